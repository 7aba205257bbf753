"""Graph exports for Gephi, yEd and Neo4j Bloom: an account map and an ego network, written as GraphML,
GEXF and JSON, read back with networkx's own readers with every attribute intact, walls applied, and
the GraphML valid against the GraphML structure schema. Also `kith export` end to end."""

from __future__ import annotations

import io
from pathlib import Path

import networkx as nx
import pytest
from lxml import etree
from typer.testing import CliRunner

from kith.api.cli import app
from kith.graph import ids
from kith.graph.accounts import account_map
from kith.graph.exports import GraphFormat, account_graph, ego_graph, read, write
from kith.graph.model import Organization, WorksAt
from kith.graph.scope import walled_scope
from kith.graph.sqlite_store import SQLiteStore
from tests.factories import DAY, T0, mails, person, write as write_mail

ANA = person("ana@firm.com", "Ana Alves", True)
DEV = person("dev@firm.com", "Dev Patel", True)
BEN = person("ben@acme.com", "Ben Müller")
CHO = person("cho@acme.com", "Cho Chen")
EVE = person("eve@acme.com", "Eve Evans")
ZED = person("zed@globex.com", "Zed Zhou")
ACME = Organization(ids.org_id("acme"), "Acme", "acme", ["acme.com"])
GLOBEX = Organization(ids.org_id("globex"), "Globex", "globex", ["globex.com"])
FORMATS = list(GraphFormat)
SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).with_name("graphml.xsd"))))


@pytest.fixture
def store(tmp_path):
    s = SQLiteStore.open(tmp_path / "kith.db")
    s.upsert_people([ANA, DEV, BEN, CHO, EVE, ZED])
    s.upsert_organizations([ACME, GLOBEX])
    s.add_works_at([WorksAt(BEN.id, ACME.id, "General Counsel", since=T0 - 400 * DAY),
                    WorksAt(CHO.id, ACME.id, "", since=T0 - 400 * DAY),
                    WorksAt(EVE.id, ACME.id, "CFO", since=T0 - 400 * DAY),
                    WorksAt(ZED.id, GLOBEX.id, "CEO", since=T0 - 400 * DAY)])
    write_mail(s, *mails(ANA, BEN, 20, T0), *mails(BEN, ANA, 20, T0 - 3600), *mails(DEV, CHO, 2, T0 - 200 * DAY),
               *mails(BEN, ZED, 6, T0 - 10 * DAY), *mails(DEV, ANA, 5, T0 - 5 * DAY))
    yield s
    s.close()


def _as_dict(graph: nx.Graph) -> tuple[dict, dict]:
    nodes = {n: {k: v for k, v in d.items() if k != "id"} for n, d in graph.nodes(data=True)}
    edges = {frozenset((a, b)): dict(d) for a, b, d in graph.edges(data=True)}
    for d in edges.values():
        d.pop("id", None)  # GEXF numbers its edges
    return nodes, edges


def test_account_map_export_holds_the_account_maps_people_ties_and_attributes(store):
    graph = account_graph(store, ACME.id, scope=walled_scope(store))
    found = account_map(store, ACME.id)
    assert set(graph.nodes) == {c.person_id for c in found.contacts} | {ANA.id, DEV.id}
    assert graph.number_of_edges() == sum(len(c.ties) for c in found.contacts) == 2
    assert graph.nodes[BEN.id] == {"label": "Ben Müller", "email": "ben@acme.com", "organization": "Acme",
                                   "title": "General Counsel", "kind": "contact"}
    assert graph.nodes[ANA.id]["kind"] == "colleague"
    ben = next(c for c in found.contacts if c.person_id == BEN.id)
    tie = graph.edges[BEN.id, ANA.id]
    assert tie["strength"] == round(ben.ties[0].strength, 2) and tie["band"] == ben.ties[0].band
    assert tie["last_touch"] == "2023-11-14T22:13:20Z"  # Ana's last mail to Ben, at T0
    assert ZED.id not in graph  # Ben knows him, but he is not at Acme


@pytest.mark.parametrize("fmt", FORMATS, ids=[f.value for f in FORMATS])
def test_exports_round_trip_through_networkx_readers(store, fmt):
    for graph in (account_graph(store, ACME.id), ego_graph(store, BEN.id, hops=2)):
        back = read(write(graph, fmt), fmt)
        assert _as_dict(back) == _as_dict(graph)
    # and the file opens with the reader a user would call on it, not only through graph.exports
    text = write(account_graph(store, ACME.id), fmt).encode()
    if fmt is GraphFormat.GRAPHML:
        assert set(nx.read_graphml(io.BytesIO(text)).edges[BEN.id, ANA.id]) == {"strength", "band", "last_touch"}
    elif fmt is GraphFormat.GEXF:
        assert nx.read_gexf(io.BytesIO(text)).nodes[EVE.id]["title"] == "CFO"


def test_graphml_validates_against_the_graphml_schema(store):
    for graph in (account_graph(store, ACME.id), ego_graph(store, ANA.id, hops=2)):
        document = etree.fromstring(write(graph, GraphFormat.GRAPHML).encode())
        assert SCHEMA.validate(document), SCHEMA.error_log
    broken = etree.fromstring(write(account_graph(store, ACME.id), GraphFormat.GRAPHML).encode())
    edge = broken.find(".//{http://graphml.graphdrawing.org/xmlns}edge")
    edge.set("target", "nobody")  # the schema does catch an edge to an undeclared node
    assert not SCHEMA.validate(broken)


def test_ego_network_reaches_hops_and_keeps_walled_people_out(store):
    one, two = ego_graph(store, BEN.id, hops=1), ego_graph(store, BEN.id, hops=2)
    assert set(one.nodes) == {BEN.id, ANA.id, ZED.id}
    assert set(two.nodes) == {BEN.id, ANA.id, ZED.id, DEV.id}  # Dev through Ana
    assert two.has_edge(ANA.id, DEV.id) and two.edges[ANA.id, DEV.id]["band"]
    walled = ego_graph(store, ANA.id, hops=2, scope=walled_scope(store, [GLOBEX.id]))
    assert ZED.id not in walled and BEN.id in walled


def test_walled_reader_cannot_export_the_walled_organisation(store):
    from kith.graph.errors import NotFound

    with pytest.raises(NotFound):
        account_graph(store, ACME.id, scope=walled_scope(store, [ACME.id]))
    with pytest.raises(NotFound):
        ego_graph(store, BEN.id, scope=walled_scope(store, [ACME.id]))


def test_cli_export_writes_graphml_for_an_org_domain_and_an_ego_network(store, tmp_path):
    runner = CliRunner()
    db = str(store.path) if hasattr(store, "path") else str(tmp_path / "kith.db")
    result = runner.invoke(app, ["--db", db, "export", "graphml", "--org", "acme.com"])
    assert result.exit_code == 0, result.output
    graph = nx.read_graphml(io.BytesIO(result.stdout.encode()))
    assert set(graph.nodes) == {BEN.id, CHO.id, EVE.id, ANA.id, DEV.id}
    out = tmp_path / "ben.gexf"
    result = runner.invoke(app, ["--db", db, "export", "gexf", "--person", "BEN@acme.com", "--hops", "1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert set(nx.read_gexf(out).nodes) == {BEN.id, ANA.id, ZED.id}
    result = runner.invoke(app, ["--db", db, "export", "json", "--org", "nowhere.example"])
    assert result.exit_code == 1 and "No organisation" in str(result.exception)
