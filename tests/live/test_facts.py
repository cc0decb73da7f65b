"""The collectors of what Azure already knows (access, Advisor, Defender, Azure Policy, quotas and
capacity, provider aliases), through the real SDK clients against the mock ARM server: what they
read, how many calls, 429s retried on every table and list, a 403 on one source leaving the others
intact, and a recording that reads back as the same resources."""

from __future__ import annotations

import math
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest

from mlwaf.inventory import type_listing
from mlwaf.sources import read_paths
from mlwaf.sources.live import auth, read_live
from mlwaf.sources.live.collectors import Session
from mlwaf.sources.live.facts import COLLECTORS, collect
from mlwaf.sources.live.http import Budget, Caller, Clients
from mlwaf.sources.live.options import LiveOptions
from mlwaf.sources.live.record import Recorder
from tests.live import facts as planted
from tests.live.server import Fault

pytestmark = pytest.mark.corpus

GRAPH = "/providers/Microsoft.ResourceGraph/resources"
COLLECTED = {t for types in COLLECTORS.values() for t in types} | {
    "microsoft.advisor/recommendations", "microsoft.security/assessments"}
TABLES = ("authorizationresources", "advisorresources", "securityresources", "policyresources")


def _session(arm, subs, recorder=None, **kw) -> Session:
    options = LiveOptions(subscriptions=subs, arm_endpoint=arm.url, progress=False, **kw)
    credential = auth.build_credential(options)
    return Session(options, Caller(options, Budget(options.time_budget)), Clients(credential, options), recorder)


def _allowed(estate) -> list[str]:
    return sorted(s for s in estate.subscriptions if s not in estate.forbidden)


def _read(arm, estate, tmp_path=None, plan=None, **kw):
    """The collectors alone, on the inventory a live scan read first (`plan` queues faults then)."""
    subs = _allowed(estate)
    inventory = [r for r in read_live(LiveOptions(subscriptions=subs, arm_endpoint=arm.url, progress=False)).resources
                 if r.origin.kind in ("live/resource-graph", "live/list-page") and "/providers/Microsoft.Authorization"
                 not in r.id and r.type_key not in COLLECTED]
    if plan is not None:
        plan()
    before = len(arm.requests())
    recorder = Recorder(tmp_path / "rec", LiveOptions(subscriptions=subs, arm_endpoint=arm.url)) if tmp_path else None
    session = _session(arm, subs, recorder, **kw)
    try:
        got = collect(session, subs, inventory)
    finally:
        session.clients.close()
    if recorder is not None:
        recorder.finish(got.errors, subs, got.listed, got.collected)
    return got, arm.requests()[before:], inventory


def _types(resources) -> Counter:
    return Counter(r.type_key for r in resources)


def test_every_source_is_read_once_per_table_and_region(arm, estate, tmp_path):
    got, calls, inventory = _read(arm, estate, tmp_path)
    assert got.errors == []
    subs = _allowed(estate)
    rows = {t: [r for r in estate.tables[t] if r["subscriptionId"] in subs or not r["subscriptionId"]]
            for t in TABLES}
    types = _types(got.resources)
    assert types["microsoft.authorization/roleassignments"] == sum(
        r["type"].endswith("roleassignments") for r in rows["authorizationresources"])
    assert types["microsoft.authorization/roledefinitions"] == len(planted.BUILT_IN)
    assert types["microsoft.advisor/recommendations"] == len(rows["advisorresources"]) > 0
    assert types["microsoft.security/assessments"] == len(rows["securityresources"]) > 0
    assert types["microsoft.policyinsights/policystates"] == sum(
        r["type"].endswith("policystates") for r in rows["policyresources"]) > 0
    # Management-group objects: the custom definition and its assignment, read at the group.
    mg_ids = {r.id.lower() for r in got.resources if r.id.lower().startswith("/providers/microsoft.management/")}
    assert len(mg_ids) == 2
    # Capacity: every (subscription, region) the estate uses has its usages, SKU page and ML usage.
    regions = {(r.origin.subscription, r.raw["location"].lower()) for r in inventory
               if r.type_key.startswith("microsoft.machinelearningservices/workspaces/computes")}
    assert regions
    sku_pages = {(r.id.split("/")[2], r.raw["location"]) for r in got.resources
                 if r.type_key == "microsoft.compute/skus"}
    assert regions <= sku_pages
    usages = [r for r in got.resources if r.type_key == "microsoft.compute/locations/usages"]
    assert {u.name for u in usages} >= {"standardNCFamily", "cores"}
    assert any(r.type_key == "microsoft.machinelearningservices/locations/usages" for r in got.resources)
    assert any(r.type_key == "microsoft.machinelearningservices/vmfamily/quotas" for r in got.resources)
    # Aliases of the namespace the management group's custom definition reads, read once.
    assert [r.id for r in got.resources if r.type_key == "microsoft.resources/providers"] == [
        "/providers/Microsoft.MachineLearningServices"]
    # Listed in full: every table type for every subscription.
    for sid in subs:
        assert type_listing(sid, "microsoft.authorization/roleassignments") in got.listed

    # The calls: one Resource Graph query per table per batch (all subscriptions in one batch here),
    # one for the management groups' chains and one at those groups; four lists per region; one
    # providers call. Read-only: GET, and POST only to Resource Graph.
    first, pages = Counter(), Counter()
    for c in calls:
        if c.method == "POST":
            assert urlsplit(c.path).path == GRAPH
            pages[c.body["query"].split()[0]] += 1
            first[c.body["query"].split()[0]] += not c.body["options"].get("$skipToken")
    pairs = {(s, loc) for s, loc in sku_pages}
    assert first == {"authorizationresources": 1, "advisorresources": 1, "securityresources": 1,
                     "policyresources": 2, "resourcecontainers": 1}
    read = Counter(r.origin.path.split("/")[-1].split("-")[0] for r in got.resources
                   if r.origin.kind == "live/resource-graph")
    assert pages["securityresources"] == math.ceil(read["securityresources"] / arm.graph_page) > 1
    assert pages["authorizationresources"] == math.ceil(read["authorizationresources"] / arm.graph_page)
    gets = [c for c in calls if c.method == "GET"]
    want = 1
    for sid, loc in pairs:
        base = f"/subscriptions/{sid}/providers/"
        for path in (f"microsoft.compute/locations/{loc}/usages", f"microsoft.compute/skus#{loc}",
                     f"microsoft.machinelearningservices/locations/{loc}/usages",
                     f"microsoft.machinelearningservices/locations/{loc}/quotas"):
            want += max(1, math.ceil(len(estate.lists[base + path]) / arm.list_page))
    assert len(gets) == want
    assert all(c.method in ("GET", "POST") for c in calls)
    skus = [c for c in gets if urlsplit(c.path).path.lower().endswith("/skus")]
    assert all(parse_qs(urlsplit(c.path).query)["$filter"][0].startswith("location eq ") for c in skus)

    # The recording reads back offline as the same resources.
    replay = read_paths([tmp_path / "rec"])
    assert replay.errors == []
    assert sorted((r.type_key, r.key) for r in replay.resources) == sorted((r.type_key, r.key) for r in got.resources)
    assert {(r.key, repr(sorted(r.raw.items()))) for r in replay.resources} == {
        (r.key, repr(sorted(r.raw.items()))) for r in got.resources}


def test_a_429_on_every_table_and_list_is_retried(arm, estate):
    def plan():
        for table in (*TABLES, "resourcecontainers"):
            arm.fail("POST", GRAPH, Fault(429, retry_after=0.05, table=table))
        sid = _allowed(estate)[0]
        region = "eastus2"
        for path in (f"/subscriptions/{sid}/providers/Microsoft.Compute/locations/{region}/usages",
                     f"/subscriptions/{sid}/providers/Microsoft.Compute/skus",
                     f"/subscriptions/{sid}/providers/Microsoft.MachineLearningServices/locations/{region}/usages",
                     "/providers/Microsoft.MachineLearningServices"):
            arm.fail("GET", path, Fault(429, retry_after=0.05))

    got, calls, _ = _read(arm, estate, plan=plan)
    assert got.errors == []
    assert sum(c.status == 429 for c in calls) == 9
    assert all(queue == [] for queue in arm.faults.values())


def test_retry_after_is_waited_out_before_the_same_call_again(arm, estate):
    """A 429's Retry-After on a Resource Graph table and on an ARM list: the same call comes back
    no sooner than the server asked (a lower bound: the log's times are when answers were sent)."""
    wait = 0.5
    usages = f"/subscriptions/{_allowed(estate)[0]}/providers/Microsoft.Compute/locations/eastus2/usages"

    def plan():
        arm.fail("POST", GRAPH, Fault(429, retry_after=wait, table="securityresources"))
        arm.fail("GET", usages, Fault(429, retry_after=wait))

    got, calls, _ = _read(arm, estate, plan=plan)
    assert got.errors == []
    hits = [c for c in calls if c.status == 429]
    assert len(hits) == 2
    for hit in hits:
        again = [c for c in calls if c.at > hit.at and c.method == hit.method and c.path == hit.path
                 and c.body == hit.body]
        assert again and again[0].status == 200
        assert again[0].at - hit.at >= wait


@pytest.mark.parametrize("table", ["securityresources", "authorizationresources"])
def test_a_403_on_one_source_leaves_the_others(arm, estate, table):
    clean, _, _ = _read(arm, estate)
    got, _, _ = _read(arm, estate, plan=lambda: estate.forbidden_tables.add(table))
    lost = {"securityresources": "microsoft.security/assessments",
            "authorizationresources": "microsoft.authorization/roleassignments"}[table]
    assert {e.status for e in got.errors} == {403}
    assert sorted(e.scope for e in got.errors) == [f"/subscriptions/{s}" for s in _allowed(estate)]
    assert all(table in e.message for e in got.errors)
    gone = {lost, "microsoft.authorization/roledefinitions"} if "auth" in table else {lost}
    assert not any(r.type_key in gone for r in got.resources)
    kept = [r for r in clean.resources if r.type_key not in gone]
    assert sorted(r.key for r in got.resources) == sorted(r.key for r in kept)
    assert not any(type_listing(s, lost) in got.listed for s in _allowed(estate))


@pytest.mark.parametrize("limit", [1, 3])
def test_requests_in_flight_stay_within_max_concurrency(arm, estate, limit):
    """The collectors run side by side, each over its own workers; one semaphore of the session
    holds the requests in flight, the inventory's and the collectors' together, to --max-concurrency."""
    arm.latency = 0.02  # answers overlap only if they take a while
    found = read_live(LiveOptions(subscriptions=_allowed(estate), arm_endpoint=arm.url, progress=False,
                                  max_concurrency=limit))
    assert found.errors == []
    assert any(r.type_key == "microsoft.security/assessments" for r in found.resources)
    assert arm.peak_in_flight == limit


def test_tenant_level_rows_are_read_by_one_batch_only(arm, estate):
    """Every batch of subscriptions gets the tenant's built-in role definitions back: only the
    first asks for them, so none is read twice (a duplicate in every report)."""
    got, calls, _ = _read(arm, estate, subscription_batch=1)
    assert got.errors == []
    definitions = [r.key for r in got.resources if r.type_key == "microsoft.authorization/roledefinitions"]
    assert len(definitions) == len(set(definitions)) == len(planted.BUILT_IN)
    first = [c.body["query"] for c in calls if c.method == "POST" and not c.body["options"].get("$skipToken")
             and c.body["query"].startswith("authorizationresources")]
    assert len(first) == len(_allowed(estate)) == 2
    assert sum("isnotempty(subscriptionId)" in q for q in first) == 1
