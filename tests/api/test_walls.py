"""Ethical walls over HTTP: a user walled off from one client organisation learns nothing about it from
any query, with aliases, fragments and nested selections, while an unwalled user asking the same
sees it. "Nothing" is checked on the raw response body: no id, name, domain or address of the
organisation or of its people appears anywhere in it."""

from __future__ import annotations

import pytest

from tests.api.world import World, world  # noqa: F401 (the fixture)

PERSON_FIELDS = """
fragment P on Person {
  id name emails title
  organization { id name domains }
  knows(first: 50) { edges { node { person { id name emails } strength } } }
  interactions(first: 50) { edges { node { subject snippet topics participants { person { id name emails } } } } }
  deals(first: 20) { edges { node { name organization { name domains } people { person { name emails } } } } }
}
"""

PATH_FIELDS = """
fragment W on WarmPath {
  score introduction
  people { id name emails }
  hops { source { id name } target { id name emails organization { name } }
         evidence { id subject snippet participants { person { id name emails } } } }
}
"""


def _walled_interaction_subject(world: World) -> str:
    """A topic word from the walled organisation's own mail (what experts would find)."""
    body = world.data("query($id: ID!) { interactions(person: $id, first: 20) { edges { node { subject } } } }",
                      {"id": world.walled.contact})
    subjects = [e["node"]["subject"] for e in body["interactions"]["edges"] if e["node"]["subject"]]
    assert subjects, "the walled contact should have mail"
    topic = subjects[0].removeprefix("Re: ").split(" – ")[0]
    return topic


def _queries(world: World) -> dict[str, tuple[str, dict]]:
    w = world.walled
    email = w.people[w.contact][1]
    contact_name = w.people[w.contact][0]
    topic = _walled_interaction_subject(world)
    return {
        "person": ("query($id: ID!, $email: String!) { a: person(id: $id) { ...P } b: person(email: $email) { ...P } "
                   "c: person(email: $email) { id } }" + PERSON_FIELDS, {"id": w.contact, "email": email}),
        "organization": ("query($id: ID!, $name: String!, $domain: String!) {"
                         " byId: organization(id: $id) { ...O } byName: organization(name: $name) { ...O }"
                         " byDomain: organization(domain: $domain) { ...O } }"
                         " fragment O on Organization { id name domains people(first: 50) { edges { node { ...P } } }"
                         " deals(first: 20) { edges { node { name people { person { name } } } } } }" + PERSON_FIELDS,
                         {"id": w.org_id, "name": w.name, "domain": w.domains[0]}),
        "search": ("query($a: String!, $b: String!, $c: String!) {"
                   " byName: search(text: $a, first: 50) { ...S } byDomain: search(text: $b, first: 50) { ...S }"
                   " byPerson: search(text: $c, first: 50) { ...S } }"
                   " fragment S on SearchMatchConnection { edges { node { kind id name detail"
                   " person { id name emails } organization { id name domains } } } }",
                   {"a": w.name, "b": w.domains[0], "c": contact_name}),
        "warmPathsTo": ("query($to: ID!) { p: warmPaths(to: $to, first: 10) { edges { node { ...W } } } }" + PATH_FIELDS,
                        {"to": w.contact}),
        "warmPathsThrough": ("query($to: ID!, $from: [ID!]) { all: warmPaths(to: $to, first: 20, maxHops: 4)"
                             " { edges { node { ...W } } } mine: warmPaths(to: $to, from: $from, first: 20, maxHops: 4)"
                             " { edges { node { ...W } } } }" + PATH_FIELDS,
                             {"to": world.other_contact, "from": [world.colleague]}),
        "experts": ("query($topic: String!) { x: experts(topic: $topic, first: 20) { ...E } "
                    "y: experts(topic: $topic, first: 20, internalOnly: false) { ...E } }"
                    " fragment E on ExpertConnection { edges { node { score person { id name emails }"
                    " evidence { id kind snippet interaction { subject snippet participants { person { name emails } } } } } } }",
                    {"topic": topic}),
        "expertsWithPath": ("query($topic: String!, $to: ID!) { expertsWithPath(topic: $topic, to: $to, first: 10)"
                            " { edges { node { score expert { person { name } evidence { snippet } } path { ...W } } } } }"
                            + PATH_FIELDS, {"topic": topic, "to": w.contact}),
        "accountMap": ("query($org: ID!) { m: accountMap(organization: $org) { organization { id name domains }"
                       " coverage { contacts known holders { colleague { name } share } }"
                       " contacts(first: 50) { edges { node { title person { id name emails } ties(first: 100) { edges { node { person { name } } } } } } } } }",
                       {"org": w.org_id}),
        "insights": ("query { insights(first: 100) {"
                     " goingCold { colleague { name } contact { id name emails organization { name } } }"
                     " singleThreaded { organization { id name domains } holder { name } }"
                     " jobChanges { person { name emails } fromOrganization { name } toOrganization { name } }"
                     " clientTiers { organization { id name domains } tier }"
                     " reconnect { contact { name emails } reason openDeals { name organization { name } } } } }", {}),
        "explainStrength": ("query($a: ID!, $b: ID!) { e: explainStrength(a: $a, b: $b) { score band"
                            " a { name } b { name emails } evidence { subject participants { person { name } } } } }",
                            {"a": world.colleague, "b": w.contact}),
        "interactions": ("query($me: ID!) { interactions(person: $me, first: 100) { edges { node {"
                         " subject snippet topics participants { person { id name emails } } } } }"
                         " me { person { ...P } } }" + PERSON_FIELDS, {"me": world.colleague}),
    }


# Queries whose unwalled answer must show the walled organisation (the others may or may not).
SHOWN_TO_OTHERS = {"person", "organization", "search", "warmPathsTo", "experts", "expertsWithPath", "accountMap",
                   "insights", "explainStrength", "interactions"}
NAMES = ["person", "organization", "search", "warmPathsTo", "warmPathsThrough", "experts", "expertsWithPath",
         "accountMap", "insights", "explainStrength", "interactions"]


@pytest.mark.parametrize("name", NAMES)
def test_walled_user_learns_nothing(world: World, name: str):
    query, variables = _queries(world)[name]
    walled = world.post(query, variables, as_="walled")
    assert walled.status_code == 200
    body = walled.text
    leaked = [s for s in world.walled.secrets() if s.lower() in body.lower()]
    assert not leaked, f"{name} leaked {leaked[:5]} to the walled user: {body[:600]}"
    assert "Internal error" not in body, body

    other = world.post(query, variables, as_="member")
    assert other.status_code == 200
    assert "errors" not in other.json(), other.text[:500]
    if name in SHOWN_TO_OTHERS:
        shown = [s for s in world.walled.secrets() if s.lower() in other.text.lower()]
        assert shown, f"{name} should show the walled organisation to an unwalled user: {other.text[:400]}"


def test_walled_ids_read_as_missing(world: World):
    """A walled person's id gives exactly the answer of an id that does not exist."""
    q = "query($to: ID!) { warmPaths(to: $to, first: 1) { edges { cursor } } }"
    walled = world.post(q, {"to": world.walled.contact}, as_="walled").json()
    missing = world.post(q, {"to": "p_doesnotexist"}, as_="walled").json()
    assert walled == missing
    assert "No person has the id given in `to`" in walled["errors"][0]["message"]
    q = "query($id: ID!) { accountMap(organization: $id) { organization { name } } }"
    assert world.post(q, {"id": world.walled.org_id}, as_="walled").json() == \
        world.post(q, {"id": "o_doesnotexist"}, as_="walled").json() == {"data": {"accountMap": None}}


def test_walled_user_cannot_write_to_walled_people(world: World):
    q = "mutation($id: ID!) { blockContact(person: $id) { id blocked } }"
    walled = world.post(q, {"id": world.walled.contact}, as_="walled").json()
    missing = world.post(q, {"id": "p_doesnotexist"}, as_="walled").json()
    assert walled == missing and walled["errors"][0]["message"].startswith("No person has the id")


def test_an_admin_defines_and_lifts_a_wall_and_each_change_is_audited(world: World):
    q = "query($id: ID!) { organization(id: $id) { id name } }"
    assert world.data(q, {"id": world.other_org}, as_="viewer")["organization"]["id"] == world.other_org
    define = "mutation($o: ID!) { defineWall(name: \"deal team\", users: [\"viewer\"], organizations: [$o]) { name users organizations } }"
    refused = world.gql(define, {"o": world.other_org}, as_="member")
    assert refused["errors"] and world.app.state.access.walls()[-1].name != "deal team"
    wall = world.data(define, {"o": world.other_org})["defineWall"]
    try:
        assert wall == {"name": "deal team", "users": ["viewer"], "organizations": [world.other_org]}
        assert world.data(q, {"id": world.other_org}, as_="viewer")["organization"] is None  # the next request
        assert world.data(q, {"id": world.other_org}, as_="member")["organization"]["id"] == world.other_org
    finally:
        assert world.data('mutation { liftWall(name: "deal team") }')["liftWall"] is True
    assert world.data(q, {"id": world.other_org}, as_="viewer")["organization"]["id"] == world.other_org
    log = world.app.state.access.audit_log(world.other_org)
    assert [(user, operation) for _, user, operation, _ in log[:2]] == [("admin", "wall:lift:deal team"),
                                                                       ("admin", "wall:define:deal team")]
