"""Live scans against the local HTTPS mock of ARM, through the real Azure SDK clients.

Nothing of mlwaf is mocked: the CLI (or `read_live`) builds the SDK clients, which send real
HTTPS requests to the server in tests/live/server.py, trusted through REQUESTS_CA_BUNDLE.
"""

from __future__ import annotations

import base64
import json
import math
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from typer.testing import CliRunner

from mlwaf import armid
from mlwaf.cli import app
from mlwaf.sources import coverage
from mlwaf.sources.live import AuthError, LiveOptions, LiveUsageError, read_live
from tests.live.server import EXPIRED_TOKEN, VALID_TOKEN, Fault, MockArm

pytestmark = pytest.mark.corpus

runner = CliRunner()
GRAPH = "/providers/Microsoft.ResourceGraph/resources"
WORKSPACES = "microsoft.machinelearningservices/workspaces"
DIAG_TYPES = {
    WORKSPACES,
    "microsoft.machinelearningservices/workspaces/onlineendpoints",
    "microsoft.machinelearningservices/registries",
    "microsoft.cognitiveservices/accounts",
}


def _scan(*args: str):
    return runner.invoke(app, ["scan", *args], catch_exceptions=False)


def _allowed(estate) -> list[str]:
    return sorted(s for s in estate.subscriptions if s not in estate.forbidden)


def _rows(estate, subs) -> list[dict]:
    return [r for r in estate.graph_rows if r["subscriptionId"] in subs]


def _expected_requests(estate, subs: list[str], mock: MockArm) -> Counter:
    """(method, path) -> count for a clean scan of `subs` (explicitly named, one batch)."""
    want: Counter = Counter()
    for sid in estate.subscriptions:
        want[("GET", f"/subscriptions/{sid}")] += 1
    rows = _rows(estate, set(subs))
    want[("POST", GRAPH)] = max(1, math.ceil(len(rows) / mock.graph_page))
    for row in rows:
        lists = []
        if row["type"] == WORKSPACES:
            lists += [f"{row['id']}/{c}" for c in ("computes", "connections", "datastores", "schedules")]
            network = row["properties"].get("managedNetwork") or {}
            if network and "outboundRules" not in network:
                lists.append(f"{row['id']}/outboundRules")
        if row["type"] in DIAG_TYPES:
            lists.append(f"{row['id']}/providers/Microsoft.Insights/diagnosticSettings")
        for path in lists:
            items = estate.lists.get(path.lower(), [])
            want[("GET", path.lower())] += max(1, math.ceil(len(items) / mock.list_page))
    return want


_FACT_TABLES = ("authorizationresources", "advisorresources", "securityresources", "policyresources")
_FACT_LISTS = ("/usages", "/skus", "/quotas")


def _fact_call(entry) -> bool:
    """A call of the collectors of what Azure already knows (counted in tests/live/test_facts.py)."""
    path = urlsplit(entry.path).path.lower()
    if entry.method == "POST":
        query = str((entry.body or {}).get("query", ""))
        return query.startswith(_FACT_TABLES) or "project id, name, type, subscriptionId, properties" in query
    return path.endswith(_FACT_LISTS) or path.startswith("/providers/microsoft.")


def _seen_requests(mock: MockArm) -> Counter:
    seen: Counter = Counter()
    for entry in mock.requests():
        if _fact_call(entry):
            continue
        path = urlsplit(entry.path).path
        seen[(entry.method, path if entry.method == "POST" else path.lower())] += 1
    return seen


def _normalize(want: Counter) -> Counter:
    return Counter({(m, p if m == "POST" else p.lower()): n for (m, p), n in want.items()})


def _covered(rid: str, errors: list[dict]) -> bool:
    rid = rid.lower()
    return any(rid == e["scope"].lower() or rid.startswith(e["scope"].lower() + "/") for e in errors if e.get("scope"))


def _findings(report: dict) -> list[tuple]:
    return sorted(
        (f["check_id"], f["resource_id"], f["status"], f["message"], json.dumps(f["evidence"], sort_keys=True))
        for f in report["findings"]
    )


def test_live_scan_is_complete_read_only_and_replays(arm, estate, tmp_path):
    subs = sorted(estate.subscriptions)
    forbidden = next(iter(estate.forbidden))
    allowed = _allowed(estate)
    ws = sorted(r["id"] for r in _rows(estate, set(allowed)) if r["type"] == WORKSPACES)
    ws_rules = next(w for w in ws if w.lower() + "/outboundrules" in estate.lists)
    ws_plain = next(w for w in ws if w != ws_rules)
    diag = next(r["id"] for r in _rows(estate, set(allowed)) if r["type"].endswith("/registries"))
    arm.fail("POST", GRAPH, Fault(429, retry_after=1))
    arm.fail("GET", f"{ws[0]}/computes", Fault(429, retry_after=1))
    arm.fail("GET", f"{ws_plain}/connections", Fault(500))
    arm.fail("GET", f"{diag}/providers/Microsoft.Insights/diagnosticSettings", Fault(delay=0.4))
    arm.fail("GET", f"{ws_rules}/outboundRules", Fault(404))
    out, rec = tmp_path / "live.json", tmp_path / "rec"

    args = [a for s in subs for a in ("--subscription", s)]
    started = time.monotonic()
    result = _scan(*args, "--max-concurrency", "4", "--no-progress", "--record", str(rec),
                   "--format", "json", "--output", str(out), "--reproducible")
    elapsed = time.monotonic() - started
    assert result.exit_code == 3, result.output + result.stderr
    report = json.loads(out.read_text())

    # Nothing lost: the forbidden subscription and the 404 child list are not-assessed entries.
    errors = report["errors"]
    by_scope = {e["scope"].lower(): e for e in errors}
    assert set(by_scope) == {f"/subscriptions/{forbidden}", ws_rules.lower()}
    assert by_scope[f"/subscriptions/{forbidden}"]["status"] == 403
    assert by_scope[ws_rules.lower()]["status"] == 404
    assert by_scope[ws_rules.lower()]["call"].startswith(f"GET {arm.url}{ws_rules}/outboundRules?api-version=")
    inventory = {r["id"].lower() for r in report["resources"]}
    missing = [rid for rid in estate.all_ids() if rid.lower() not in inventory and not _covered(rid, errors)]
    assert missing == []
    assert len(inventory) == len(report["resources"])

    # The exact requests: the clean scan's, plus one retry per planned 429/500; nothing else.
    want = _normalize(_expected_requests(estate, allowed, arm))
    want[("POST", GRAPH)] += 1
    want[("GET", f"{ws[0]}/computes".lower())] += 1
    want[("GET", f"{ws_plain}/connections".lower())] += 1
    assert _seen_requests(arm) == want
    assert all(e.method in ("GET", "POST") for e in arm.requests())
    graph_bodies = [e.body for e in arm.requests() if e.method == "POST" and e.status == 200 and not _fact_call(e)]
    assert all(b["subscriptions"] == allowed for b in graph_bodies)
    assert sorted(bool(b["options"].get("$skipToken")) for b in graph_bodies).count(False) == 1

    # A 429 pauses every worker: nothing new reaches the server during its Retry-After.
    log = arm.requests()
    for hit in (e for e in log if e.status == 429):
        during = [e for e in log if hit.at < e.at < hit.at + 0.9]
        assert len(during) <= 3, f"{len(during)} requests within a 1 s Retry-After of a 429"
    assert elapsed < 15

    # Origins say where each live resource came from.
    computes = [r for r in report["resources"] if r["type"].lower().endswith("/computes")]
    assert computes and all(r["origin"]["api_version"] == "2025-12-01" for r in computes)
    assert all(r["origin"]["request"].startswith(f"GET {arm.url}/subscriptions/") for r in computes)
    graph_res = [r for r in report["resources"] if r["origin"]["kind"] == "live/resource-graph"]
    assert graph_res and all(r["origin"]["request"].startswith("POST ") for r in graph_res)

    # The token is nowhere: not in the report, the recording, or what was printed.
    assert VALID_TOKEN not in out.read_text()
    assert VALID_TOKEN not in result.output + result.stderr
    for f in rec.rglob("*"):
        if f.is_file():
            assert VALID_TOKEN not in f.read_text()

    # Replay: the recording, offline, gives the same findings and the same gaps.
    manifest = json.loads((rec / "mlwaf-recording.json").read_text())
    assert manifest["notAssessed"] == errors
    assert all((rec / c["file"]).is_file() for c in manifest["calls"] if c.get("file"))
    replay_out = tmp_path / "replay.json"
    replay = _scan(str(rec), "--format", "json", "--output", str(replay_out), "--reproducible")
    assert replay.exit_code == 3, replay.output
    replayed = json.loads(replay_out.read_text())
    assert _findings(replayed) == _findings(report)
    assert len(_findings(report)) > 50
    assert replayed["errors"] == errors


def test_allow_incomplete_exits_zero_and_keeps_the_gaps(arm, estate, tmp_path):
    out = tmp_path / "r.json"
    args = [a for s in sorted(estate.subscriptions) for a in ("--subscription", s)]
    result = _scan(*args, "--allow-incomplete", "-f", "json", "-o", str(out))
    assert result.exit_code == 0, result.output + result.stderr
    report = json.loads(out.read_text())
    assert [e["status"] for e in report["errors"]] == [403]


def test_only_forbidden_subscriptions_means_nothing_scanned(arm, estate, tmp_path):
    forbidden = next(iter(estate.forbidden))
    result = _scan("--subscription", forbidden, "-f", "json", "-o", str(tmp_path / "r.json"))
    assert result.exit_code == 2


def test_all_subscriptions_batches_and_management_group(arm, estate):
    arm.list_page = 1  # the subscription list comes in pages (nextLink)
    allowed = _allowed(estate)
    found = read_live(LiveOptions(all_subscriptions=True, subscription_batch=1, arm_endpoint=arm.url, progress=False))
    assert found.errors == []
    assert [s.path for s in found.scanned] == [f"/subscriptions/{s}" for s in allowed]
    assert len([e for e in arm.requests() if e.method == "GET" and urlsplit(e.path).path == "/subscriptions"]) == 2
    batches = [tuple(e.body["subscriptions"]) for e in arm.requests()
               if e.method == "POST" and not _fact_call(e) and not e.body["options"].get("$skipToken")]
    assert sorted(batches) == [(s,) for s in allowed]
    ids = {r.id for r in found.resources}
    assert {r["id"] for r in _rows(estate, set(allowed)) if r["type"] in coverage.GRAPH_TYPES} <= ids

    by_mg = read_live(LiveOptions(management_groups=["mg-ml"], arm_endpoint=arm.url, progress=False))
    assert {r.id for r in by_mg.resources} == ids
    assert any(e.body and e.body.get("managementGroups") == ["mg-ml"] for e in arm.requests())


def test_resource_group_scope(arm, estate):
    allowed = _allowed(estate)
    # The endpoint from MLWAF_ARM_ENDPOINT (set by the fixture), as on the command line.
    # The progress bar on: its updates from many workers must not disturb the scan.
    found = read_live(LiveOptions(subscriptions=allowed, resource_groups=["rg-ml-0"], progress=True))
    assert found.resources
    # Resources in a group are in rg-ml-0; what the collectors of Azure's facts read above any group
    # (role assignments and policy assignments at the subscription, usages, tenant-level roles) stays.
    groups = {armid.resource_group_of(r.id) for r in found.resources}
    assert groups == {"rg-ml-0", None}
    above = {r.type_key for r in found.resources if armid.resource_group_of(r.id) is None}
    assert "microsoft.authorization/policyassignments" in above
    assert above <= coverage.FACT_TYPES | {"microsoft.machinelearningservices/vmfamily/quotas"}
    planted = [r for r in estate.tables["authorizationresources"] if r["resourceGroup"] not in ("", "rg-ml-0")
               and r["subscriptionId"] in allowed]
    assert planted and not {r["id"].lower() for r in planted} & {r.key for r in found.resources}
    posts = [e.body["query"] for e in arm.requests() if e.method == "POST"]
    assert "resourceGroup in~ ('rg-ml-0')" in next(q for q in posts if q.startswith("resources"))
    fact_tables = [q for q in posts if q.startswith(_FACT_TABLES) and "/managementgroups/" not in q]
    assert fact_tables and all("resourceGroup in~ ('rg-ml-0') or isempty(resourceGroup)" in q for q in fact_tables)
    # Not listed in full: a principal's assignments in other groups were not read.
    assert not any("roleassignments" in p for p in found.listed)


def test_time_budget_bounds_a_slow_scan(arm, estate):
    allowed = _allowed(estate)
    ws = sorted(r["id"] for r in _rows(estate, set(allowed)) if r["type"] == WORKSPACES)
    arm.fail("GET", f"{ws[0]}/computes", Fault(delay=4))
    started = time.monotonic()
    found = read_live(LiveOptions(subscriptions=allowed, time_budget=1.5, arm_endpoint=arm.url, progress=False))
    assert time.monotonic() - started < 3.5
    slow = [e for e in found.errors if e.scope == ws[0] and e.path.endswith("/computes")]
    assert slow and "no answer within" in slow[0].message
    assert all(e.status is None for e in slow)


def test_server_errors_retry_then_give_up_with_an_entry(arm, estate):
    allowed = _allowed(estate)
    ws = sorted(r["id"] for r in _rows(estate, set(allowed)) if r["type"] == WORKSPACES)
    arm.fail("GET", f"{ws[0]}/connections", *[Fault(503, retry_after=0)] * 3)
    found = read_live(LiveOptions(subscriptions=allowed, max_attempts=3, arm_endpoint=arm.url, progress=False))
    [entry] = found.errors
    assert entry.status == 503 and "after 3 attempts" in entry.message and entry.scope == ws[0]
    assert _seen_requests(arm)[("GET", f"{ws[0]}/connections".lower())] == 3


def test_provider_registration_post_is_refused(arm, estate):
    """ARM's SDK registers a missing resource provider by POST on a 409: the read-only policy refuses it."""
    allowed = _allowed(estate)
    ws = sorted(r["id"] for r in _rows(estate, set(allowed)) if r["type"] == WORKSPACES)
    arm.fail("GET", f"{ws[0]}/computes", Fault(409, code="MissingSubscriptionRegistration"))
    found = read_live(LiveOptions(subscriptions=allowed, arm_endpoint=arm.url, progress=False))
    [entry] = found.errors
    assert entry.scope == ws[0] and "read-only" in entry.message
    assert [e for e in arm.requests() if e.method == "POST" and "register" in e.path.lower()] == []


def test_read_only_policy_refuses_writes_and_other_hosts(arm):
    from azure.core.rest import HttpRequest

    from mlwaf.sources.live.auth import StaticTokenCredential
    from mlwaf.sources.live.http import Clients, ReadOnlyViolation

    clients = Clients(StaticTokenCredential(VALID_TOKEN), LiveOptions(subscriptions=[], arm_endpoint=arm.url))
    sub = "/subscriptions/00000001-1111-4222-8333-000000000001"
    for method, url in (("PUT", f"{arm.url}{sub}/resourceGroups/x?api-version=2021-04-01"),
                        ("DELETE", f"{arm.url}{sub}?api-version=2022-12-01"),
                        ("PATCH", f"{arm.url}{sub}?api-version=2022-12-01"),
                        ("POST", f"{arm.url}{sub}/providers/Microsoft.Storage/storageAccounts/st/listKeys"
                                 "?api-version=2023-01-01"),
                        ("GET", f"https://localhost:1{sub}?api-version=2022-12-01")):
        with pytest.raises(ReadOnlyViolation):
            clients.ml._send_request(HttpRequest(method, url))
    clients.close()
    assert arm.requests() == []


def test_expired_token_exits_2_with_what_to_do(arm, estate, monkeypatch, tmp_path):
    monkeypatch.setenv("MLWAF_ACCESS_TOKEN", EXPIRED_TOKEN)
    result = _scan("--subscription", _allowed(estate)[0], "-f", "json", "-o", str(tmp_path / "r.json"))
    assert result.exit_code == 2
    assert "ExpiredAuthenticationToken" in result.stderr and "az account get-access-token" in result.stderr
    assert EXPIRED_TOKEN not in result.stderr + result.output
    assert not (tmp_path / "r.json").exists()

    # A JWT whose exp has passed is refused before any call.
    def b64(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    jwt = f"{b64({'alg': 'none'})}.{b64({'exp': int(time.time()) - 60})}.sig"
    monkeypatch.setenv("MLWAF_ACCESS_TOKEN", jwt)
    before = len(arm.requests())
    with pytest.raises(AuthError, match="expired"):
        read_live(LiveOptions(subscriptions=_allowed(estate), arm_endpoint=arm.url, progress=False))
    assert len(arm.requests()) == before


def test_no_identity_exits_2_and_says_how_to_sign_in(arm, estate, monkeypatch, tmp_path):
    monkeypatch.delenv("MLWAF_ACCESS_TOKEN")
    for name in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE",
                 "IDENTITY_ENDPOINT", "MSI_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no az, pwsh or azd to ask
    monkeypatch.setenv("HOME", str(tmp_path))
    result = _scan("--subscription", _allowed(estate)[0], "-f", "json", "-o", str(tmp_path / "r.json"))
    assert result.exit_code == 2
    assert "az login" in result.stderr and "MLWAF_ACCESS_TOKEN" in result.stderr
    assert "Attempted credentials" not in result.stderr  # the SDK's chain log stays quiet
    assert arm.requests() == []


def test_usage_errors_exit_2(tmp_path, sample_estate):
    sub = "00000001-1111-4222-8333-000000000001"
    assert _scan(str(sample_estate), "--subscription", sub).exit_code == 2
    assert _scan("--subscription", "not-a-guid").exit_code == 2
    assert _scan().exit_code == 2
    assert _scan("--subscription", sub, "--cloud", "Mars").exit_code == 2
    assert _scan("--subscription", sub, "--arm-endpoint", "http://plain.example").exit_code == 2
    assert _scan("--subscription", sub, "--resource-group", "rg'; drop").exit_code == 2
    full = tmp_path / "full"
    full.mkdir()
    (full / "x.json").write_text("{}")
    with pytest.raises(LiveUsageError, match="new or empty folder"):
        read_live(LiveOptions(subscriptions=[sub], record=full))


def test_offline_scan_never_imports_azure(sample_estate, tmp_path):
    code = (
        "import sys\n"
        "from mlwaf.cli import app\n"
        "from typer.testing import CliRunner\n"
        f"r = CliRunner().invoke(app, ['scan', {str(sample_estate)!r}, '-f', 'json',\n"
        f"                             '-o', {str(tmp_path / 'o.json')!r}])\n"
        "assert r.exit_code in (0, 3), r.output\n"
        "loaded = sorted(m for m in sys.modules if m == 'azure' or m.startswith('azure.'))\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_recording_file_names_stay_inside_the_folder():
    from mlwaf.sources.recording import file_for

    assert file_for("/subscriptions/s/resourceGroups/rg/providers/X/computes") == \
        "subscriptions/s/resourceGroups/rg/providers/X/computes.json"
    assert file_for("/a/b", 2) == "a/b.page-2.json"
    assert ".." not in file_for("/subscriptions/../../etc/passwd").split("/")
    assert file_for("/x/na me:1") == "x/na%20me%3A1.json"


def test_retry_after_forms():
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    from mlwaf.sources.live.http import retry_after

    assert retry_after({"Retry-After": "7"}) == 7
    when = datetime.now(UTC) + timedelta(seconds=30)
    assert 25 < retry_after({"Retry-After": format_datetime(when, usegmt=True)}) <= 31
    assert retry_after({"x-ms-user-quota-resets-after": "00:00:05"}) == 5
    assert retry_after({}) is None


def test_graph_query_pages_and_types(arm, estate):
    """Every Resource Graph page is asked for with the previous page's skip token."""
    allowed = _allowed(estate)
    read_live(LiveOptions(subscriptions=allowed, arm_endpoint=arm.url, progress=False))
    posts = [e.body for e in arm.requests() if e.method == "POST" and not _fact_call(e)]
    tokens = [b["options"].get("$skipToken") for b in posts]
    assert tokens[0] is None and all(tokens[1:])
    assert len(set(tokens)) == len(tokens)
    offsets = [0] + [int(base64.urlsafe_b64decode(t).decode().split(":")[1]) for t in tokens[1:]]
    assert offsets == list(range(0, arm.graph_page * len(posts), arm.graph_page))
    assert all(b["options"]["resultFormat"] == "objectArray" for b in posts)
    query = posts[0]["query"]
    assert "'microsoft.machinelearningservices/workspaces'" in query and "order by id asc" in query
    assert all(parse_qs(urlsplit(e.path).query)["api-version"] == ["2024-04-01"]
               for e in arm.requests() if e.method == "POST" and not _fact_call(e))


def test_progress_bar_off_without_a_terminal():
    from mlwaf.sources.live.progress import Progress

    assert Progress(None).enabled is False  # pytest captures stderr: not a terminal
    assert Progress(True).enabled is True


def test_path_reports_live_scan_is_marked(arm, estate, tmp_path):
    """The ScannedInput list says which subscriptions were read, with their resource counts."""
    allowed = _allowed(estate)
    found = read_live(LiveOptions(subscriptions=allowed, arm_endpoint=arm.url, progress=False))
    counts = {s.path: s.resources for s in found.scanned}
    asked = set()  # the fact lists read (usages, quotas, SKUs by region): those of the regions used
    for e in arm.requests():
        parts = urlsplit(e.path)
        region = parse_qs(parts.query).get("$filter", [""])[0].removeprefix("location eq ").strip("'")
        asked.add(parts.path.lower() + (f"#{region}" if parts.path.lower().endswith("/skus") else ""))
    for sid in allowed:
        unasked = {r["id"] for r in estate.graph_rows if r["type"] not in coverage.GRAPH_TYPES}  # no check planned
        served = [i for i in estate.all_ids() if i.lower().startswith(f"/subscriptions/{sid}/") and i not in unasked]
        # and what Azure knows about it: table rows, usage counters and quotas, a resource per SKU page
        served += [r["id"] for rows in estate.tables.values() for r in rows if r["subscriptionId"] == sid]
        served.append(f"/subscriptions/{sid}")  # the subscription itself, with its management groups
        for path in estate.fact_lists & asked:
            if path.startswith(f"/subscriptions/{sid}/"):
                items = estate.lists[path]
                served += ["sku page"] * math.ceil(len(items) / arm.list_page) if "/skus#" in path else items
        assert counts[f"/subscriptions/{sid}"] == len(served)
    assert all(s.kind == "live-subscription" for s in found.scanned)
    assert Path(tmp_path).exists()


def test_clouds_set_endpoint_audience_and_authority(monkeypatch):
    monkeypatch.delenv("MLWAF_ARM_ENDPOINT", raising=False)
    gov = LiveOptions(subscriptions=["00000001-1111-4222-8333-000000000001"], cloud="AzureUSGovernment")
    gov.validate()
    assert (gov.endpoint, gov.scope, gov.authority) == (
        "https://management.usgovcloudapi.net",
        "https://management.core.usgovcloudapi.net/.default",
        "login.microsoftonline.us",
    )
    china = LiveOptions(all_subscriptions=True, cloud="AzureChinaCloud", arm_endpoint="https://arm.proxy.example/")
    assert china.endpoint == "https://arm.proxy.example" and china.scope.endswith("chinacloudapi.cn/.default")
    assert LiveOptions(all_subscriptions=True).endpoint == "https://management.azure.com"


def test_a_failed_listing_is_unknown_never_fail(arm, estate, tmp_path):
    """No diagnostic setting is a FAIL only where the list was read in full; where the listing
    call failed, the check cannot know (UNKNOWN), and the failure is a not-assessed entry."""
    allowed = _allowed(estate)
    workspaces = sorted(r["id"] for r in _rows(estate, set(allowed)) if r["type"] == WORKSPACES)
    diag = "/providers/Microsoft.Insights/diagnosticSettings"
    undiagnosed = [w for w in workspaces if not estate.lists.get(f"{w}{diag}".lower())]
    assert len(undiagnosed) >= 2, "the mock estate needs two workspaces without diagnostic settings"
    broken, listed = undiagnosed[0], undiagnosed[1]
    arm.fail("GET", f"{broken}{diag}", Fault(403, code="AuthorizationFailed"))
    out = tmp_path / "live.json"
    args = [a for s in allowed for a in ("--subscription", s)]
    result = _scan(*args, "--no-progress", "-f", "json", "-o", str(out), "--reproducible")
    assert result.exit_code == 3
    report = json.loads(out.read_text())
    verdict = {
        f["resource_id"].lower(): f["status"] for f in report["findings"] if f["check_id"] == "MLW-OPS-003"
    }
    assert verdict[broken.lower()] == "UNKNOWN"
    assert verdict[listed.lower()] == "FAIL"
    assert any(e["scope"].lower() == broken.lower() and e["status"] == 403 for e in report["errors"])
    # Live resources say which subscription they were read from; tenant-level ones (built-in role
    # definitions, management-group policy objects, providers) belong to none.
    in_subscriptions = [r for r in report["resources"] if r["id"].lower().startswith("/subscriptions/")]
    assert {r["origin"]["subscription"].lower() for r in in_subscriptions} == {s.lower() for s in allowed}
    tenant = [r for r in report["resources"] if not r["id"].lower().startswith("/subscriptions/")]
    assert tenant and all("subscription" not in r["origin"] for r in tenant)


def test_child_lists_start_while_resource_graph_pages_still_come(arm, estate):
    """Resource Graph pages are serial (each skip token asks for the next): the child lists of a
    page's workspaces are read while later pages are still on their way, not after the last."""
    arm.latency = 0.05
    allowed = _allowed(estate)
    found = read_live(LiveOptions(subscriptions=allowed, max_concurrency=8, arm_endpoint=arm.url, progress=False))
    assert found.errors == []
    log = arm.requests()
    posts = [e.at for e in log if e.method == "POST" and not _fact_call(e)]
    assert len(posts) >= 4, "the estate must need several Resource Graph pages"
    children = [e.at for e in log if e.method == "GET" and "/workspaces/" in e.path.lower()]
    assert sum(at < max(posts) for at in children) >= 3
    # Overlapping changes no answer: the inventory is in the same order as a serial read.
    again = read_live(LiveOptions(subscriptions=allowed, max_concurrency=1, arm_endpoint=arm.url, progress=False))
    assert [r.id for r in again.resources] == [r.id for r in found.resources]
    assert again.listed == found.listed


def test_proxy_settings_come_from_the_environment(arm, estate, monkeypatch):
    """HTTPS_PROXY and NO_PROXY are read once per scan, as requests reads them: through a proxy
    that is not there every call fails (a not-assessed entry, nothing sent); with the endpoint in
    NO_PROXY the scan goes direct."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    for name in ("https_proxy", "no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{closed}")
    sub = _allowed(estate)[0]
    options = {"subscriptions": [sub], "max_attempts": 1, "arm_endpoint": arm.url, "progress": False}
    blocked = read_live(LiveOptions(**options))
    assert arm.requests() == []
    assert [e.scope for e in blocked.errors] == [f"/subscriptions/{sub}"]
    assert "connection failed" in blocked.errors[0].message and blocked.resources == []

    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    direct = read_live(LiveOptions(**options))
    assert direct.errors == [] and direct.resources


def test_an_authentication_failure_stops_resource_graph_paging(arm, estate):
    """A 401 on a child list while Resource Graph pages are still coming stops the scan (exit 2
    on the command line): no further page is asked for."""
    arm.latency = 0.05
    allowed = _allowed(estate)
    first = sorted(r["id"] for r in _rows(estate, {allowed[0]}) if r["type"] == WORKSPACES)[0]
    arm.fail("GET", f"{first}/computes", Fault(401, code="ExpiredAuthenticationToken"))
    with pytest.raises(AuthError, match="ExpiredAuthenticationToken"):
        read_live(LiveOptions(subscriptions=allowed, max_concurrency=4, arm_endpoint=arm.url, progress=False))
    pages = math.ceil(len(_rows(estate, set(allowed))) / arm.graph_page)
    assert len([e for e in arm.requests() if e.method == "POST" and not _fact_call(e)]) < pages - 2
