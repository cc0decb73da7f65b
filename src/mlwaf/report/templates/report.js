"use strict";
// The findings table of the mlwaf HTML report. Every value from the scan is written with
// textContent (never innerHTML), so a hostile resource name stays text.
(function () {
  var data = JSON.parse(document.getElementById("mlwaf-data").textContent);
  var findings = data.findings, checks = data.checks, resources = data.resources;
  var pillarTitle = {};
  data.pillars.forEach(function (p) { pillarTitle[p.id] = p.title; });
  var STATUS = {
    FAIL: ["✗", "Fail", 0], ERROR: ["!", "Error", 1], UNKNOWN: ["?", "Unknown", 2],
    PASS: ["✓", "Pass", 3], NOT_APPLICABLE: ["–", "Not applicable", 4]
  };
  var SEVERITY = { high: 0, medium: 1, low: 2 };
  var PROBLEMS = { FAIL: 1, ERROR: 1, UNKNOWN: 1 };

  var $ = function (id) { return document.getElementById(id); };
  var el = function (tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  };
  var haystack = new Array(findings.length);
  function hay(i) {
    if (haystack[i] === undefined) {
      var f = findings[i], c = checks[f.c], r = resources[f.r];
      haystack[i] = [c.id, c.title, r.name, r.type, r.id, f.m, f.p || "", r.request || "", f.x || ""]
        .join("\n").toLowerCase();
    }
    return haystack[i];
  }

  var state = { status: "problems", severity: "", pillar: "", type: "", workspace: "", text: "",
                sortKey: "", sortDir: 1, page: 0, size: 50 };
  var open = {};
  var rows = [];

  function matches(i) {
    var f = findings[i], c = checks[f.c];
    if (state.status === "problems") { if (!PROBLEMS[f.s] || f.x) return false; }
    else if (state.status === "suppressed") { if (!f.x) return false; }
    else if (state.status === "new") { if (!f.h || f.h[0] === "recurring") return false; }
    else if (state.status && f.s !== state.status) return false;
    if (state.severity && c.severity !== state.severity) return false;
    if (state.pillar && c.pillar !== state.pillar) return false;
    if (state.type && resources[f.r].type !== state.type) return false;
    if (state.workspace !== "" && (!f.w || f.w.indexOf(Number(state.workspace)) < 0)) return false;
    if (state.text) {
      var h = hay(i), words = state.text;
      for (var k = 0; k < words.length; k++) if (h.indexOf(words[k]) < 0) return false;
    }
    return true;
  }

  function location(f) {
    var r = resources[f.r];
    var path = f.p || r.path;
    if (path) return path + ((f.l || r.line) ? ":" + (f.l || r.line) : "");
    return r.request || "";
  }
  var KEYS = {
    status: function (i) { return STATUS[findings[i].s][2]; },
    severity: function (i) { return SEVERITY[checks[findings[i].c].severity]; },
    pillar: function (i) { return pillarTitle[checks[findings[i].c].pillar]; },
    check: function (i) { return checks[findings[i].c].id; },
    resource: function (i) { return resources[findings[i].r].name.toLowerCase(); },
    location: function (i) { return location(findings[i]); }
  };
  function cmp(a, b) { return a < b ? -1 : a > b ? 1 : 0; }
  function defaultOrder(a, b) {
    return cmp(KEYS.status(a), KEYS.status(b)) || cmp(KEYS.severity(a), KEYS.severity(b)) ||
      cmp(KEYS.check(a), KEYS.check(b)) || cmp(KEYS.resource(a), KEYS.resource(b)) || a - b;
  }

  function refresh(keepPage) {
    rows = [];
    for (var i = 0; i < findings.length; i++) if (matches(i)) rows.push(i);
    if (state.sortKey) {
      var key = KEYS[state.sortKey], dir = state.sortDir;
      var cache = {};
      rows.forEach(function (i) { cache[i] = key(i); });
      rows.sort(function (a, b) { return dir * cmp(cache[a], cache[b]) || defaultOrder(a, b); });
    } else {
      rows.sort(defaultOrder);
    }
    if (!keepPage) state.page = 0;
    draw();
  }

  function statusCell(f) {
    var td = el("td");
    var s = STATUS[f.s];
    var badge = el("span", "status st-" + f.s);
    badge.appendChild(el("span", null, s[0])).setAttribute("aria-hidden", "true");
    badge.appendChild(document.createTextNode(" " + s[1]));
    td.appendChild(badge);
    if (f.x) { td.appendChild(el("br")); td.appendChild(el("span", "supp", "Suppressed")); }
    if (f.b) { td.appendChild(el("br")); td.appendChild(el("span", "supp", "In baseline")); }
    if (f.h) { td.appendChild(el("br")); td.appendChild(historyMark(f.h)); }
    return td;
  }

  // --history: [state, age in days, first seen]: new, failing again after a fix, or open since.
  function historyMark(h) {
    var text = h[0] === "new" ? "New" : h[0] === "again" ? "Failing again"
      : "Open " + Math.round(h[1]) + " day" + (Math.round(h[1]) === 1 ? "" : "s");
    var mark = el("span", "hist hist-" + h[0], text);
    mark.title = "First seen failing " + h[2];
    return mark;
  }

  function evidenceTable(f) {
    if (!f.e || !f.e.length) return el("p", "muted", "No property evidence recorded.");
    var t = el("table", "evidence");
    var head = t.appendChild(el("thead")).appendChild(el("tr"));
    ["Property", "Seen"].forEach(function (h) { head.appendChild(el("th", null, h)).setAttribute("scope", "col"); });
    var body = t.appendChild(el("tbody"));
    f.e.forEach(function (e) {
      var tr = body.appendChild(el("tr"));
      tr.appendChild(el("th", null)).appendChild(el("code", null, e.path)).parentNode.setAttribute("scope", "row");
      var td = tr.appendChild(el("td"));
      if (e.expression !== undefined) {
        td.appendChild(document.createTextNode("unresolved template expression: "));
        td.appendChild(el("code", null, e.expression));
      } else if (e.present === false) {
        td.appendChild(document.createTextNode("absent"));
      } else {
        td.appendChild(el("code", null, JSON.stringify(e.value)));
      }
      if (e.default_applied !== undefined) {
        td.appendChild(document.createTextNode(" → Azure default applied: "));
        td.appendChild(el("code", null, JSON.stringify(e.default_applied)));
      }
      if (e.note) td.appendChild(el("div", "muted", e.note));
    });
    return t;
  }

  function detailRow(i, id) {
    var f = findings[i], c = checks[f.c], r = resources[f.r];
    var tr = el("tr", "detail");
    tr.id = id;
    var td = tr.appendChild(el("td"));
    td.colSpan = 7;
    var grid = td.appendChild(el("div", "detail-grid"));
    var left = grid.appendChild(el("div")), right = grid.appendChild(el("div"));
    left.appendChild(el("h4", null, "Verdict"));
    left.appendChild(el("p", null, f.m));
    left.appendChild(el("h4", null, "Evidence"));
    left.appendChild(evidenceTable(f));
    left.appendChild(el("h4", null, "Resource"));
    var p = left.appendChild(el("p"));
    p.appendChild(el("strong", null, r.name));
    p.appendChild(document.createTextNode(" · " + r.type));
    p.appendChild(el("br"));
    p.appendChild(el("code", null, r.id));
    left.appendChild(el("h4", null, "Source"));
    var src = left.appendChild(el("p"));
    src.appendChild(el("code", null, location(f) || "(not recorded)"));
    if (r.request && (f.p || r.path)) { src.appendChild(el("br")); src.appendChild(el("code", null, r.request)); }
    if (f.h) {
      left.appendChild(el("h4", null, "History"));
      left.appendChild(el("p", null, (f.h[0] === "new" ? "New in this run" : f.h[0] === "again"
        ? "Failing again after a fix" : "Open for " + f.h[1] + " days") + "; first seen failing " + f.h[2]));
    }
    if (f.x) {
      left.appendChild(el("h4", null, "Suppressed"));
      left.appendChild(el("p", null, f.x + (f.xs ? " (" + f.xs + ")" : "")));
    }
    right.appendChild(el("h4", null, "Remediation"));
    right.appendChild(el("p", null, c.remediation));
    if (c.rationale) { right.appendChild(el("h4", null, "Why it matters")); right.appendChild(el("p", null, c.rationale)); }
    if (c.defaults) { right.appendChild(el("h4", null, "When the property is absent")); right.appendChild(el("p", null, c.defaults)); }
    if (c.refs.length) {
      right.appendChild(el("h4", null, "References"));
      var ul = right.appendChild(el("ul", "refs"));
      c.refs.forEach(function (ref) {
        var li = ul.appendChild(el("li"));
        li.appendChild(document.createTextNode(ref.label + ": "));
        if (/^https:\/\//.test(ref.href)) {
          var a = li.appendChild(el("a", null, ref.text));
          a.href = ref.href;
          a.rel = "noopener noreferrer";
          a.target = "_blank";
        } else {
          li.appendChild(el("code", null, ref.text));
        }
      });
    }
    return tr;
  }

  function row(i) {
    var f = findings[i], c = checks[f.c], r = resources[f.r];
    var tr = el("tr");
    tr.appendChild(statusCell(f));
    tr.appendChild(el("td")).appendChild(el("span", "sev sev-" + c.severity,
      c.severity.charAt(0).toUpperCase() + c.severity.slice(1)));
    tr.appendChild(el("td", null, pillarTitle[c.pillar]));
    var ct = tr.appendChild(el("td"));
    ct.appendChild(el("span", "check-id", c.id));
    ct.appendChild(document.createTextNode(c.title));
    ct.appendChild(el("span", "msg", f.m));
    var rt = tr.appendChild(el("td"));
    rt.appendChild(document.createTextNode(r.name));
    rt.appendChild(el("span", "res-type", r.type.split("/").slice(1).join("/") || r.type));
    tr.appendChild(el("td", "src", location(f)));
    var bt = tr.appendChild(el("td")).appendChild(el("button", "toggle", "Details"));
    bt.type = "button";
    var id = "detail-" + i;
    bt.setAttribute("aria-controls", id);
    bt.setAttribute("aria-expanded", open[i] ? "true" : "false");
    bt.setAttribute("aria-label", "Details of " + c.id + " on " + r.name);
    bt.addEventListener("click", function () {
      if (open[i]) { delete open[i]; } else { open[i] = true; }
      var ex = document.getElementById(id);
      if (ex) { ex.parentNode.removeChild(ex); bt.setAttribute("aria-expanded", "false"); }
      else { tr.parentNode.insertBefore(detailRow(i, id), tr.nextSibling); bt.setAttribute("aria-expanded", "true"); }
    });
    return [tr, open[i] ? detailRow(i, id) : null];
  }

  function draw() {
    var body = $("findings-body");
    var pages = Math.max(1, Math.ceil(rows.length / state.size));
    if (state.page >= pages) state.page = pages - 1;
    var start = state.page * state.size, end = Math.min(rows.length, start + state.size);
    var frag = document.createDocumentFragment();
    for (var k = start; k < end; k++) {
      var pair = row(rows[k]);
      frag.appendChild(pair[0]);
      if (pair[1]) frag.appendChild(pair[1]);
    }
    if (!rows.length) {
      var tr = el("tr"), td = tr.appendChild(el("td", "muted", "No finding matches these filters."));
      td.colSpan = 7;
      frag.appendChild(tr);
    }
    body.textContent = "";
    body.appendChild(frag);
    var n = rows.length.toLocaleString("en-US"), total = findings.length.toLocaleString("en-US");
    $("count").textContent = rows.length
      ? "Showing " + (start + 1).toLocaleString("en-US") + "–" + end.toLocaleString("en-US") + " of " + n +
        " matching findings (" + total + " in all)"
      : "No matching findings (" + total + " in all)";
    $("pg-info").textContent = "Page " + (state.page + 1) + " of " + pages;
    $("pg-first").disabled = $("pg-prev").disabled = state.page === 0;
    $("pg-next").disabled = $("pg-last").disabled = state.page >= pages - 1;
    document.querySelectorAll("#findings-table th[data-key]").forEach(function (th) {
      var key = th.getAttribute("data-key");
      th.setAttribute("aria-sort", key === state.sortKey ? (state.sortDir > 0 ? "ascending" : "descending") : "none");
    });
  }

  function readFilters() {
    state.status = $("f-status").value;
    state.severity = $("f-severity").value;
    state.pillar = $("f-pillar").value;
    state.type = $("f-type").value;
    state.workspace = $("f-workspace") ? $("f-workspace").value : "";
    var text = $("f-text").value.trim().toLowerCase();
    state.text = text ? text.split(/\s+/) : "";
  }
  function onFilter() { readFilters(); refresh(false); }

  ["f-status", "f-severity", "f-pillar", "f-type", "f-workspace"].forEach(function (id) {
    if ($(id)) $(id).addEventListener("change", onFilter);
  });
  var timer = null;
  $("f-text").addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(onFilter, 120);
  });
  $("filters").addEventListener("submit", function (ev) { ev.preventDefault(); onFilter(); });
  $("filters").addEventListener("reset", function () { setTimeout(onFilter, 0); });
  document.querySelectorAll("#findings-table th[data-key] button").forEach(function (b) {
    b.addEventListener("click", function () {
      var key = b.parentNode.getAttribute("data-key");
      if (state.sortKey === key) state.sortDir = -state.sortDir;
      else { state.sortKey = key; state.sortDir = 1; }
      refresh(false);
    });
  });
  function go(page) { state.page = page; draw(); $("findings-h").scrollIntoView(); }
  $("pg-first").addEventListener("click", function () { go(0); });
  $("pg-prev").addEventListener("click", function () { go(Math.max(0, state.page - 1)); });
  $("pg-next").addEventListener("click", function () { go(state.page + 1); });
  $("pg-last").addEventListener("click", function () { go(Math.ceil(rows.length / state.size) - 1); });
  $("pg-size").addEventListener("change", function () { state.size = Number(this.value); refresh(false); });

  function showFindings(values) {
    $("filters").reset();
    Object.keys(values).forEach(function (id) { if ($(id)) $(id).value = values[id]; });
    readFilters();
    refresh(false);
    $("findings-h").scrollIntoView();
    $("f-status").focus();
  }
  document.querySelectorAll("button[data-ws]").forEach(function (b) {
    b.addEventListener("click", function () {
      showFindings({ "f-status": "problems", "f-workspace": b.getAttribute("data-ws") });
    });
  });
  document.querySelectorAll("button[data-unknown]").forEach(function (b) {
    b.addEventListener("click", function () {
      showFindings({ "f-status": "UNKNOWN", "f-text": b.getAttribute("data-unknown") });
    });
  });

  readFilters();
  refresh(false);
})();
