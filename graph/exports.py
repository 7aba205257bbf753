"""Relationship maps as files for Gephi, yEd and Neo4j Bloom: an account map or a person's ego network
as a networkx graph, written by networkx's own GraphML / GEXF writers or as node-link JSON.

Nodes carry ``label`` (name), ``email``, ``organization`` (current employer's name), ``title`` and
``kind`` (``colleague`` or ``contact``); edges carry ``strength`` (0-100), ``band`` and ``last_touch``
(ISO 8601 UTC, absent when unknown). Both graphs are read through the reader's ``Scope`` and leave out
anyone who opted out or was blocked, as every other read does.

- ``account_graph``: the organisation's people and the colleagues who know them, one edge per tie
  (``graph.accounts.account_map``, so the same people and strengths as the API's account map).
- ``ego_graph``: everyone within ``hops`` of a person on the scored network, strongest ties first,
  at most ``MAX_EGO_NODES`` people, with every scored edge among them.
"""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone
from enum import Enum
from typing import TYPE_CHECKING

from kith.graph.errors import KithError, NotFound
from kith.graph.scope import EVERYTHING, Scope

if TYPE_CHECKING:
    import networkx as nx

    from kith.graph.store import Store

MAX_HOPS = 3
MAX_EGO_NODES = 2000


class GraphFormat(str, Enum):
    GRAPHML = "graphml"
    GEXF = "gexf"
    JSON = "json"


def _iso(at: int | None) -> str | None:
    return datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if at is not None else None


def _add_people(store: Store, graph: nx.Graph, person_ids: list[str], titles: dict[str, str]) -> None:
    people = store.get_people(person_ids)
    jobs = {}
    for w in store.works_at(person_ids=person_ids):
        if w.until is None and (w.person_id not in jobs or (w.since or 0) > (jobs[w.person_id].since or 0)):
            jobs[w.person_id] = w
    orgs = store.get_organizations({w.org_id for w in jobs.values()})
    for pid in person_ids:
        p = people[pid]
        job = jobs.get(pid)
        org = orgs.get(job.org_id) if job else None
        graph.add_node(pid, label=p.name or (p.emails[0] if p.emails else pid), email=p.emails[0] if p.emails else "",
                       organization=org.name if org else "", title=titles.get(pid) or (job.title if job else "") or "",
                       kind="colleague" if p.is_internal else "contact")


def _add_edge(graph: nx.Graph, a: str, b: str, strength: float, last_at: int | None) -> None:
    from kith.graph.strength import band

    attrs = {"strength": round(strength, 2), "band": band(strength)}
    if last_at is not None:
        attrs["last_touch"] = _iso(last_at)
    graph.add_edge(a, b, **attrs)


def account_graph(store: Store, org_id: str, *, as_of: int | None = None, scope: Scope = EVERYTHING) -> nx.Graph:
    import networkx as nx  # heavy: imported when an export is asked for

    from kith.graph.accounts import account_map

    found = account_map(store, org_id, as_of=as_of, scope=scope)
    if found is None:
        raise NotFound("No organisation has that id; find ids with `search` (or `kith export --org DOMAIN`).")
    colleagues = list(dict.fromkeys(t.colleague_id for c in found.contacts for t in c.ties))
    graph = nx.Graph(name=store.get_organizations([org_id])[org_id].name, kind="account map")
    _add_people(store, graph, [c.person_id for c in found.contacts] + colleagues,
                {c.person_id: c.title for c in found.contacts})
    for c in found.contacts:
        for t in c.ties:
            _add_edge(graph, c.person_id, t.colleague_id, t.strength, t.last_at)
    return graph


def ego_graph(store: Store, person_id: str, *, hops: int = 2, as_of: int | None = None,
              scope: Scope = EVERYTHING) -> nx.Graph:
    import networkx as nx

    from kith.graph.network import load_network

    if not 1 <= hops <= MAX_HOPS:
        raise KithError(f"hops must be between 1 and {MAX_HOPS} (got {hops}).")
    net = load_network(store, as_of=as_of)
    usable = net.usable_for(scope)
    seen = lambda pid: scope.sees_person(pid) and bool(usable[net.index[pid]])  # noqa: E731
    person = store.get_people([person_id]).get(person_id)
    if person is None or person.opted_out or person.blocked or not scope.sees_person(person_id):
        raise NotFound("No person has that id or address; find them with `search` (or `kith export --person EMAIL`).")
    kept, frontier = [person_id], [person_id]
    chosen = {person_id}
    for _ in range(hops):
        nxt = []
        for pid in frontier:
            for other, _s in net.neighbours(pid):  # strongest first
                if other not in chosen and seen(other) and len(chosen) < MAX_EGO_NODES:
                    chosen.add(other)
                    nxt.append(other)
        kept += nxt
        frontier = nxt
    graph = nx.Graph(name=person.name, kind="ego network", hops=hops)
    _add_people(store, graph, kept, {})
    for pid in kept:
        for other, strength in net.neighbours(pid):
            if other in chosen and pid < other:
                k = net.knows(pid, other)
                _add_edge(graph, pid, other, strength, k.last_at if k else None)
    return graph


def write(graph: nx.Graph, fmt: GraphFormat | str) -> str:
    """The graph as GraphML, GEXF 1.2 or node-link JSON text."""
    import networkx as nx

    fmt = GraphFormat(fmt)
    if fmt is GraphFormat.JSON:
        return json.dumps(nx.node_link_data(graph, edges="edges"), ensure_ascii=False, indent=1)
    buffer = io.BytesIO()
    if fmt is GraphFormat.GRAPHML:
        nx.write_graphml(graph, buffer, encoding="utf-8")
    else:
        nx.write_gexf(graph, buffer, encoding="utf-8", version="1.2draft")
    return buffer.getvalue().decode("utf-8")


def read(text: str, fmt: GraphFormat | str) -> nx.Graph:
    """The inverse of ``write``, with networkx's readers (what the tests and a script would use)."""
    import networkx as nx

    fmt = GraphFormat(fmt)
    if fmt is GraphFormat.JSON:
        return nx.node_link_graph(json.loads(text), edges="edges")
    data = io.BytesIO(text.encode("utf-8"))
    return nx.read_graphml(data) if fmt is GraphFormat.GRAPHML else nx.read_gexf(data)
