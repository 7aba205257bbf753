"""Graph exports over GraphQL: `accountMap { export }` and `person { exportNetwork }` give files networkx
reads back, holding the same people as the account map; a walled reader's exports hold nothing of the
walled organisation."""

from __future__ import annotations

import io
import json

import networkx as nx

from tests.api.world import World, world  # noqa: F401 (the fixture)

ACCOUNT = """query($id: ID!) { accountMap(organization: $id) {
  contacts(first: 100) { edges { node { person { id } ties(first: 100) { edges { node { person { id } strength } } } } } }
  graphml: export(format: GRAPHML) gexf: export(format: GEXF) } }"""


def test_account_map_export_matches_the_account_map(world: World):
    found = world.data(ACCOUNT, {"id": world.other_org})["accountMap"]
    contacts = [e["node"] for e in found["contacts"]["edges"]]
    ties = {(c["person"]["id"], t["node"]["person"]["id"]): t["node"]["strength"]
            for c in contacts for t in c["ties"]["edges"]}
    assert ties, "the open client should have ties"
    for fmt, reader in (("graphml", nx.read_graphml), ("gexf", nx.read_gexf)):
        graph = reader(io.BytesIO(found[fmt].encode()))
        assert set(graph.nodes) == {c["person"]["id"] for c in contacts} | {b for _, b in ties}
        assert {frozenset(e) for e in graph.edges} == {frozenset(p) for p in ties}
        for (a, b), strength in ties.items():
            assert abs(graph.edges[a, b]["strength"] - strength) < 0.01
        assert {graph.nodes[c]["kind"] for c, _ in ties} == {"contact"}
        assert {graph.nodes[b]["kind"] for _, b in ties} == {"colleague"}


def test_walled_reader_exports_nothing_of_the_walled_organisation(world: World):
    body = world.gql('query($id: ID!) { accountMap(organization: $id) { export(format: JSON) } }',
                     {"id": world.walled.org_id}, as_="walled")
    assert body["data"]["accountMap"] is None
    query = 'query($id: ID!) { person(id: $id) { exportNetwork(format: JSON, hops: 2) } }'
    response = world.post(query, {"id": world.colleague}, as_="walled")
    text = response.text
    network = json.loads(response.json()["data"]["person"]["exportNetwork"])
    assert len(network["nodes"]) > 1
    assert not [s for s in world.walled.secrets() if s in text]
    # the same question from an unwalled user does reach the walled organisation's people
    open_text = world.post(query, {"id": world.colleague}, as_="admin").text
    assert any(pid in open_text for pid in world.walled.people)


def test_export_hops_out_of_range_is_refused_with_a_message(world: World):
    body = world.gql('query($id: ID!) { person(id: $id) { exportNetwork(format: GEXF, hops: 9) } }',
                     {"id": world.colleague})
    assert "hops must be between 1 and 3" in body["errors"][0]["message"]
