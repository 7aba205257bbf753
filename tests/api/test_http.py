"""Main flows over real HTTP against uvicorn: authentication, health and metrics, lookups, paging,
sharing levels, blocking, ingest uploads with their job status, and the audit log."""

from __future__ import annotations

import time

from pydantic import SecretStr

from kith.api.app import create_app
from kith.graph.settings import PrivacyMode
from tests import loopback
from tests.api.world import ServerThread, World, free_port, world  # noqa: F401 (the fixture)

PERSON = "query($id: ID!) { person(id: $id) { id name } }"


def test_no_token_no_data(world: World):
    r = loopback.post(world.url + "/graphql", json={"query": "{ me { name } }"})
    assert r.status_code == 401
    assert "Authorization: Bearer" in r.json()["errors"][0]["message"]
    r = loopback.post(world.url + "/graphql", json={"query": "{ me { name } }"},
                      headers={"Authorization": "Bearer kith_not-a-real-token"})
    assert r.status_code == 401 and "Unknown, expired or revoked" in r.text
    r = loopback.get(world.url + "/graphql", params={"query": "{ me { name } }"})
    assert r.status_code == 401


def test_graphiql_page_is_served_without_a_token(world: World):
    r = loopback.get(world.url + "/graphql", headers={"Accept": "text/html"})
    assert r.status_code == 200 and "graphiql" in r.text.lower()


def test_health_and_metrics_need_no_token_and_show_no_graph(world: World):
    health = loopback.get(world.url + "/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    world.data("{ me { name } }")
    metrics = loopback.get(world.url + "/metrics")
    assert metrics.status_code == 200
    assert 'kith_http_requests_total{method="POST",path="/graphql",status="200"}' in metrics.text
    assert world.walled.name not in metrics.text and world.walled.contact not in metrics.text


def test_person_by_id_and_email_and_nested(world: World):
    email = world.walled.people[world.walled.contact][1]
    data = world.data("query($e: String!) { person(email: $e) { id name organization { name } "
                      "knows(first: 2) { edges { cursor node { strength band person { name } } } "
                      "pageInfo { hasNextPage endCursor } } } }", {"e": email.upper()})
    person = data["person"]
    assert person["id"] == world.walled.contact
    page = person["knows"]
    assert len(page["edges"]) == 2 and page["pageInfo"]["hasNextPage"]
    strengths = [e["node"]["strength"] for e in page["edges"]]
    assert strengths == sorted(strengths, reverse=True)
    nxt = world.data("query($id: ID!, $after: String) { person(id: $id) { knows(first: 2, after: $after) "
                     "{ edges { node { person { name } } } } } }",
                     {"id": world.walled.contact, "after": page["pageInfo"]["endCursor"]})
    first_names = {e["node"]["person"]["name"] for e in page["edges"]}
    assert not first_names & {e["node"]["person"]["name"] for e in nxt["person"]["knows"]["edges"]}
    assert world.data(PERSON, {"id": "p_nobody"}) == {"person": None}


def test_lookups_by_address_and_domain_follow_the_ingest_s_normal_forms(world: World):
    # the same rules as the CLI's --to (ingest.identity.lookup): a +tag, a subdomain, www. all still match
    local, _, domain = world.walled.people[world.walled.contact][1].partition("@")
    q = "query($e: String!, $d: String!) { person(email: $e) { id } organization(domain: $d) { id } }"
    for email, host in ((f"{local}+deals@{domain}", f"eu.{domain}"), (f"{local.upper()}@{domain}", f"www.{domain}")):
        data = world.data(q, {"e": email, "d": host})
        assert data == {"person": {"id": world.walled.contact}, "organization": {"id": world.walled.org_id}}


def test_warm_paths_experts_and_account_map(world: World):
    paths = world.data("query($to: ID!) { warmPaths(to: $to, first: 3) { edges { node { score introduction "
                       "people { id } hops { strength band evidence { kind } } } } } }", {"to": world.other_contact})
    nodes = [e["node"] for e in paths["warmPaths"]["edges"]]
    assert nodes and all(n["people"][-1]["id"] == world.other_contact for n in nodes)
    assert [n["score"] for n in nodes] == sorted((n["score"] for n in nodes), reverse=True)
    experts = world.data('{ experts(topic: "merger control", first: 3) { edges { node { score person { isInternal } '
                         "evidence { snippet role weight } parts { topical role recency } } } } }")
    best = experts["experts"]["edges"][0]["node"]
    assert best["score"] == 1.0
    assert best["parts"]["topical"] > 0 and 0 < best["parts"]["role"] <= 1 and 0 < best["parts"]["recency"] <= 1
    amap = world.data("query($o: ID!) { accountMap(organization: $o) { organization { id } "
                      "coverage { contacts known } contacts(first: 100) { edges { node { person { id } ties(first: 100) { edges { node { strength } } } } } } } }",
                      {"o": world.other_org})["accountMap"]
    assert amap["organization"]["id"] == world.other_org
    assert amap["coverage"]["contacts"] == len(amap["contacts"]["edges"]) > 0


def test_experts_say_when_they_were_ranked_from_subjects_only(world: World):
    query = ('{ experts(topic: "merger control", first: 3) { notice edges { node { score } } } '
             'expertsWithPath(topic: "merger control", to: "%s", first: 3) { notice } }' % world.other_contact)
    found = world.data(query)
    assert found["experts"]["edges"] and found["experts"]["notice"] is None  # the world keeps text
    assert found["expertsWithPath"]["notice"] is None
    settings = world.settings.model_copy(update={"privacy": PrivacyMode.METADATA})
    app = create_app(settings, store=world.app.state.store, access=world.app.state.access)
    with ServerThread(app, port := free_port()):
        response = loopback.post(f"http://127.0.0.1:{port}/graphql", json={"query": query}, timeout=30,
                                 headers={"Authorization": f"Bearer {world.tokens['viewer']}"})
    data = response.json()["data"]
    assert data["experts"]["notice"].startswith("Ranked from subjects only")
    assert data["expertsWithPath"]["notice"] == data["experts"]["notice"]


def test_sharing_levels_decide_what_others_see(world: World):
    q = ("query($id: ID!) { interactions(person: $id, first: 20) { edges { node { kind subject topics snippet "
         "visibility participants { person { id } } } } } }")
    colleague = world.colleague
    try:
        for level, shows_subject in (("HIDE", False), ("SUBJECTS", True), ("ALL", True)):
            world.data("mutation($p: ID!, $l: SharingLevel!) { setSharing(person: $p, level: $l) { sharing } }",
                       {"p": colleague, "l": level})
            nodes = [e["node"] for e in world.data(q, {"id": colleague}, as_="viewer")["interactions"]["edges"]]
            assert nodes
            for n in nodes:  # the strictest colleague on a document decides; ours is at most this strict
                if level == "HIDE":
                    assert n["visibility"] == "HIDE" and n["subject"] is None and n["snippet"] is None and not n["topics"]
                elif level == "SUBJECTS":
                    assert n["visibility"] in ("SUBJECTS", "HIDE") and not n["topics"]
            # the colleague themselves (the member user) still sees their own mail whole
            own = [e["node"] for e in world.data(q, {"id": colleague}, as_="member")["interactions"]["edges"]]
            assert all(n["visibility"] == "ALL" for n in own)
            # strengths and paths stay usable
            assert world.data("query($to: ID!) { warmPaths(to: $to, first: 1) { edges { node { score } } } }",
                              {"to": world.other_contact}, as_="viewer")["warmPaths"]["edges"]
    finally:
        world.data("mutation($p: ID!) { setSharing(person: $p, level: ALL) { id } }", {"p": colleague})


def test_notes_and_sharing_act_for_a_colleague_the_user_may_speak_for(world: World):
    note = "mutation($a: ID!, $b: ID) { addNote(about: $a, by: $b, text: \"Met at the fair.\") { new } }"
    sharing = "mutation($p: ID) { setSharing(person: $p, level: HIDE) { id } }"

    def error(query: str, variables: dict, as_: str) -> str:
        [found] = world.gql(query, variables, as_=as_)["errors"]
        return found["message"]

    contact = world.other_contact
    assert error(note, {"a": contact, "b": None}, "admin").startswith("Your user is not linked to a colleague")
    assert error(note, {"a": contact, "b": contact}, "member") == (
        "Only an admin may add a note on another colleague's behalf.")
    assert error(note, {"a": world.colleague, "b": contact}, "admin").endswith("is not a colleague but an outside contact.")
    assert error(sharing, {"p": contact}, "member") == "Only an admin may set another colleague's sharing."
    assert error(sharing, {"p": contact}, "admin").endswith("is not a colleague but an outside contact.")
    assert error(sharing, {"p": None}, "admin").startswith("Your user is not linked to a colleague")


def test_blocked_and_opted_out_contacts_vanish_for_others(world: World):
    target = world.other_contact
    name = world.data(PERSON, {"id": target})["person"]["name"]
    amap = "query($o: ID!) { accountMap(organization: $o) { contacts(first: 100) { edges { node { person { id } } } } } }"
    for flag in ("blockContact(person: $p) { blocked }", "optOut(person: $p) { optedOut }"):
        try:
            world.data(f"mutation($p: ID!) {{ {flag} }}", {"p": target}, as_="member")
            assert world.data(PERSON, {"id": target}, as_="member") == {"person": None}
            hits = world.data("query($t: String!) { search(text: $t, first: 20) { edges { node { id } } } }",
                              {"t": name}, as_="viewer")["search"]["edges"]
            assert target not in {h["node"]["id"] for h in hits}
            assert target not in str(world.data(amap, {"o": world.other_org}, as_="viewer"))
            body = world.gql("query($to: ID!) { warmPaths(to: $to, first: 1) { edges { cursor } } }", {"to": target})
            assert "No person has the id" in body["errors"][0]["message"]
            # an admin can still look them up directly, to undo it or erase them
            assert world.data(PERSON, {"id": target}, as_="admin")["person"]["id"] == target
        finally:
            undo = flag.replace("(person: $p)", "(person: $p, blocked: false)") if "block" in flag else \
                flag.replace("(person: $p)", "(person: $p, optedOut: false)")
            world.data(f"mutation($p: ID!) {{ {undo} }}", {"p": target})
    assert world.data(PERSON, {"id": target}, as_="member")["person"]["id"] == target


def test_ingest_upload_runs_in_the_background(world: World):
    vcard = ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Uma Upload\r\nEMAIL:uma.upload@newclient.example\r\n"
             "ORG:New Client Ltd\r\nTITLE:Head of Legal\r\nEND:VCARD\r\n").encode()
    files = {"operations": (None, '{"query": "mutation($f: [Upload!]!) { ingest(kind: CONTACTS, files: $f) '
                                  '{ id state files } }", "variables": {"f": [null]}}'),
             "map": (None, '{"0": ["variables.f.0"]}'),
             "0": ("cards.vcf", vcard, "text/vcard")}
    r = loopback.post(world.url + "/graphql", files=files,
                      headers={"Authorization": f"Bearer {world.tokens['member']}"})
    job = r.json()["data"]["ingest"]
    assert job["state"] in ("queued", "running", "done") and job["files"] == ["000-cards.vcf"]
    q = "query($id: ID!) { ingestJob(id: $id) { state report error } }"
    deadline = time.monotonic() + 30
    while (status := world.data(q, {"id": job["id"]}, as_="member")["ingestJob"])["state"] not in ("done", "failed"):
        assert time.monotonic() < deadline, status
        time.sleep(0.1)
    assert status["state"] == "done", status
    assert status["report"]["ingested"] == 1
    assert world.data(q, {"id": job["id"]}, as_="viewer")["ingestJob"] is None  # not theirs
    found = world.data('{ person(email: "uma.upload@newclient.example") { name title } }', as_="member")
    assert found["person"]["name"] == "Uma Upload"


def test_audit_log_records_who_looked_up_whom(world: World):
    world.data(PERSON, {"id": world.other_contact}, as_="viewer")
    rows = world.data("query($s: ID!) { auditLog(first: 20, subject: $s) { edges { node { user operation subject } } } }",
                      {"s": world.other_contact})["auditLog"]["edges"]
    assert any(r["node"]["user"] == "viewer" and r["node"]["operation"] == "query:person" for r in rows)


def test_metrics_can_require_a_token(world: World):
    settings = world.settings.model_copy(update={"metrics_token": SecretStr("scrape-me")})
    app = create_app(settings, store=world.app.state.store, access=world.app.state.access)
    with ServerThread(app, port := free_port()):
        url = f"http://127.0.0.1:{port}/metrics"
        assert loopback.get(url).status_code == 401
        assert loopback.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert loopback.get(url, headers={"Authorization": f"Bearer {world.tokens['admin']}"}).status_code == 401
        allowed = loopback.get(url, headers={"Authorization": "Bearer scrape-me"})
        assert allowed.status_code == 200 and "kith_http_requests_total" in allowed.text


def test_sync_status_tells_when_each_account_last_synced_and_how_it_ended(world: World):
    from kith.ingest.sync.state import record_status

    store = world.app.state.store  # the world's own store, SQLite or Neo4j
    record_status(store, "ana-mail", "imap", ok=True, fetched=12, ingested=10)
    record_status(store, "ana-mail", "imap", ok=False, error="imap.firm.example cannot be reached")
    [status] = world.data("{ syncStatus { account kind ok error at lastSuccessAt fetched } }", as_="viewer")["syncStatus"]
    assert status["account"] == "ana-mail" and status["kind"] == "imap"
    assert status["ok"] is False and "cannot be reached" in status["error"]
    assert status["lastSuccessAt"] is not None and status["fetched"] == 0  # the failed run fetched nothing
