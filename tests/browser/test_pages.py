"""Kith's browser pages end to end, in Debian's headless Chromium driven by playwright-core
(web/e2e/drive.mjs), against a real `kith serve` on loopback over a demo firm, started and stopped here.

A partner signs in to /map with a token, searches the demo client, sees its account map (the same
people and ties as the export of that account map), a warm path to one of its people with the best
path highlighted, and expands a colleague's ties; a walled user sees nothing of the walled
organisation; GraphiQL loads and runs a query with a token. Any request that leaves 127.0.0.1 fails
the run. Screenshots go to artifacts/screenshots/ (the README says so); the first paint of a
~500-person account map is printed, not asserted.

Needs node, web/node_modules (`cd web && npm ci`) and /usr/bin/chromium; skips without them, except
under CI=true, where .ci/run installs them and their absence is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import networkx as nx
import pytest

from kith.api.access import AccessRole, AccessStore
from kith.api.cli.demo import DemoSizes, build_demo, demo_settings
from kith.graph import ids
from kith.graph.accounts import account_map
from kith.graph.exports import account_graph
from kith.graph.model import Organization, WorksAt
from kith.api.settings import ApiSettings
from kith.graph.sqlite_store import SQLiteStore
from tests import loopback
from tests.api.world import _walled_org, free_port
from tests.corpora import REPO
from tests.factories import DAY, email, person, write

CHROMIUM = Path(os.environ.get("KITH_CHROMIUM", "/usr/bin/chromium"))
DRIVER = REPO / "web" / "e2e" / "drive.mjs"
SCREENSHOTS = REPO / "artifacts" / "screenshots"
SIZES = DemoSizes(colleagues=40, organizations=8, contacts_per_org=5, messages=1500, meeting_series=8,
                  meeting_weeks=6, single_meetings=40, deals=30, notes=15)
BIG_CONTACTS = 460  # with the 40 colleagues who know them: a 500-person account map


def _needs() -> list[str]:
    missing = []
    if not shutil.which("node"):
        missing.append("node")
    if not (REPO / "web" / "node_modules" / "playwright-core").exists():
        missing.append("web/node_modules (cd web && npm ci)")
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    return missing


def _big_org(store: SQLiteStore, colleagues: list[str], now: int) -> tuple[str, str]:
    """An organisation of BIG_CONTACTS people, each known by two colleagues through recent mail."""
    org = Organization(ids.org_id("bigco holdings"), "Bigco Holdings", "bigco holdings", ["bigco-holdings.example"])
    store.upsert_organizations([org])
    firm = store.get_people(colleagues)
    team = [firm[c] for c in colleagues]
    people = [person(f"contact{n:03}@bigco-holdings.example", f"Bigco Contact {n:03}") for n in range(BIG_CONTACTS)]
    store.upsert_people(people)
    store.add_works_at([WorksAt(p.id, org.id, "Director" if n % 10 == 0 else "", since=now - 900 * DAY)
                        for n, p in enumerate(people)])
    mails = []
    for n, p in enumerate(people):
        for c in (team[i] for i in {n % len(team), (n * 7 + 3) % len(team)}):
            for k in range(1 + n % 4):
                mails.append(email(f"big-{n}-{c.id}-{k}", c, [p], now - (k * 20 + n % 200) * DAY))
                mails.append(email(f"big-{n}-{c.id}-{k}-re", p, [c], now - (k * 20 + n % 200) * DAY + 3600))
    write(store, *mails)
    return org.id, org.name


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict:
    missing = _needs()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the browser tests need {', '.join(missing)}; .ci/run installs them")
        pytest.skip(f"the browser tests need {', '.join(missing)}")
    folder = tmp_path_factory.mktemp("browser")
    db = folder / "kith.db"
    settings = demo_settings(ApiSettings(db=db, access_db=folder / "access.db"), db)
    demo = build_demo(settings, db, seed=5, sizes=SIZES)
    store = SQLiteStore.open(db)
    try:
        walled, client_id, contact_id = _walled_org(store, demo.firm.clients)
        colleague_ids = [store.people_by_email([c.email.lower()])[c.email.lower()] for c in demo.firm.colleagues]
        big_id, big_name = _big_org(store, colleague_ids, int(time.time()))
        client = store.get_organizations([client_id])[client_id]
        people = store.get_people([contact_id, colleague_ids[0]])
        expected = {name: {"nodes": sorted(g.nodes), "edges": g.number_of_edges()}
                    for name, g in (("client", account_graph(store, client_id)), ("big", account_graph(store, big_id)))}
        coverage = account_map(store, client_id).coverage
        expected["client"].update(going_cold=coverage.going_cold, single_threaded=coverage.single_threaded)
    finally:
        store.close()
    access = AccessStore(settings.access_path)
    tokens = {}
    for name, role in (("partner", AccessRole.ADMIN), ("walled", AccessRole.MEMBER)):
        access.add_user(name, role, colleague_ids[0])
        tokens[name] = access.create_token(name, "browser tests")
    access.add_wall("conflict", users=["walled"], orgs=[walled.org_id])

    port = free_port()
    env = {**os.environ, "KITH_ACCESS_DB": str(settings.access_path), "KITH_NEO4J_URI": ""}
    server = subprocess.Popen([sys.executable, "-m", "kith.api", "--db", str(db), "serve", "--port", str(port),
                               "--log-level", "warning"], env=env, cwd=REPO, stdout=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if loopback.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("kith serve did not start")
            time.sleep(0.2)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for old in SCREENSHOTS.glob("*.png"):  # only this run's pictures, never a stale failure
            old.unlink()
        config = {
            "base": base, "chromium": str(CHROMIUM), "screenshots": str(SCREENSHOTS), "tokens": tokens,
            "client": {"id": client_id, "name": client.name},
            "contact": {"id": contact_id, "name": people[contact_id].name},
            "colleague": {"id": colleague_ids[0], "name": people[colleague_ids[0]].name},
            "big": {"id": big_id, "name": big_name},
            "walled": {"short": walled.short, "contactName": walled.people[walled.contact][0]},
        }
        (folder / "config.json").write_text(json.dumps(config))
        done = subprocess.run(["node", str(DRIVER), str(folder / "config.json")], capture_output=True, text=True,
                              timeout=300, cwd=REPO / "web")
        assert done.returncode == 0, done.stderr[-4000:]
        result = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        server.terminate()
        server.wait(timeout=20)
    return {**result, "expected": expected, "walled_org": walled, "tokens": tokens, "config": config}


def test_no_request_leaves_loopback_and_no_page_errors(run):
    assert run["outside"] == []
    assert run["consoleErrors"] == []


def test_graphiql_loads_from_bundled_assets_and_runs_a_query_with_a_token(run):
    assert run["graphiql"]["response"] == {"data": {"me": {"name": "partner", "role": "admin"}}}


def test_map_signs_in_with_the_token_in_session_storage_not_the_url(run):
    signed = run["partner"]["signedIn"]
    assert signed["stored"]
    assert "Unknown, expired or revoked API token" in signed["refused"]  # a wrong token is refused, with what to do
    assert run["tokens"]["partner"] not in signed["url"] and signed["url"].endswith("/map")


def test_account_map_draws_the_clients_people_and_the_colleagues_who_know_them(run):
    account, expected = run["partner"]["account"], run["expected"]["client"]
    assert any(r["id"] == run["config"]["client"]["id"] for r in account["results"])
    assert sorted(n["id"] for n in account["nodes"]) == expected["nodes"]
    assert len(account["edges"]) == expected["edges"] > 0
    assert {n["kind"] for n in account["nodes"]} == {"colleague", "contact"}
    assert {e["band"] for e in account["edges"]} <= {"strong", "medium", "weak", "cold"}
    assert "last touch" in account["edgeTip"] and "strength" in account["edgeTip"]
    assert "(colleague)" in account["nodeTip"] or "(contact)" in account["nodeTip"]
    saved = nx.read_graphml(account["download"]["path"])  # the map's own download button, read by networkx
    assert account["download"]["name"].endswith(".graphml") and sorted(saved.nodes) == expected["nodes"]
    side = account["side"].lower()  # headings are shown in capitals
    assert "coverage" in side and "who holds the relationships" in side
    assert ("going cold:" in side) == (expected["going_cold"] > 0)
    assert ("single-threaded:" in side) == expected["single_threaded"]


def test_warm_path_view_highlights_the_best_path_with_each_hops_explanation(run):
    paths = run["partner"]["paths"]
    contact = run["config"]["contact"]
    assert paths["paths"] >= 1
    best = [e for e in paths["edges"] if e["best"]]
    assert best and any(contact["id"] in (e["source"], e["target"]) for e in best)
    assert f"Warm paths to {contact['name']}" in paths["side"] and "last touch" in paths["side"]
    expanded = run["partner"]["expanded"]
    assert expanded["after"] > expanded["before"]  # clicking the colleague drew their ties
    from_me = run["partner"]["fromMe"]  # "Paths from: me" (the partner's own colleague record)
    assert from_me and all(p[0] == run["config"]["colleague"]["id"] and p[-1] == contact["id"] for p in from_me)


def test_walled_user_sees_nothing_of_the_walled_organisation_on_the_map(run):
    walled, seen = run["walled_org"], run["walled"]
    shown = [r["id"] for r in seen["search"]["results"] + seen["byContact"]["results"]]
    assert not set(shown) & ({walled.org_id} | set(walled.people))
    assert seen["expanded"]["after"] > seen["expanded"]["before"]  # the colleague's other ties are there
    assert not {n["id"] for n in seen["view"]["nodes"]} & set(walled.people)
    assert not [s for s in walled.secrets() if s in seen["text"]]


def test_a_500_person_account_map_draws_and_its_first_paint_is_printed(run):
    big, expected = run["partner"]["big"], run["expected"]["big"]
    assert len(big["nodes"]) == len(expected["nodes"]) >= 500 and len(big["edges"]) == expected["edges"]
    print(f"\nfirst paint of a {len(big['nodes'])}-node, {len(big['edges'])}-edge account map: "
          f"{big['paintMs']:.0f} ms in the page (the GraphQL query {big['queryMs']:.0f} ms, Cytoscape's set-up and layout "
          f"{big['layoutMs']:.0f} ms, the rest parsing and the first frame), {big['clickToPaintMs']} ms click to paint (load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} CPUs) "
          f"as the driver saw it; screenshots in {SCREENSHOTS}")
