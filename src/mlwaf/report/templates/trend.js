"use strict";
// The trend panel of the mlwaf HTML report (--history): one tab stop; the arrow keys, Home and End
// move a cursor from run to run, and the live region reads that run's values (set with
// textContent: the values come from the history).
(function () {
  var box = document.getElementById("trend-charts");
  var source = document.getElementById("mlwaf-trend");
  if (!box || !source) return;
  var runs = JSON.parse(source.textContent);
  var readout = document.getElementById("trend-readout");
  var cursors = box.querySelectorAll("[data-trend-cursor]");
  var at = runs.length - 1;

  function show(i) {
    at = Math.max(0, Math.min(runs.length - 1, i));
    for (var k = 0; k < cursors.length; k++) {
      cursors[k].setAttribute("x1", runs[at].x);
      cursors[k].setAttribute("x2", runs[at].x);
    }
    readout.textContent = runs[at].text;
  }

  box.addEventListener("keydown", function (ev) {
    var to = { ArrowLeft: at - 1, ArrowDown: at - 1, ArrowRight: at + 1, ArrowUp: at + 1,
               Home: 0, End: runs.length - 1, PageUp: at - 10, PageDown: at + 10 }[ev.key];
    if (to === undefined) return;
    ev.preventDefault();
    show(to);
  });
  box.addEventListener("mousemove", function (ev) {
    var svg = ev.target.closest && ev.target.closest("svg");
    if (!svg) return;
    var box2 = svg.getBoundingClientRect();
    var x = (ev.clientX - box2.left) * (svg.viewBox.baseVal.width / box2.width);
    var best = 0;
    for (var k = 1; k < runs.length; k++) if (Math.abs(runs[k].x - x) < Math.abs(runs[best].x - x)) best = k;
    show(best);
  });
})();
