"""How many reads of the store one warm-path answer through the API costs: a server answers each with
at most one round trip to Neo4j (the read that brings the store's generation with the answer's facts),
and a write made through the API still shows in the very next answer."""

from __future__ import annotations

import threading

import pytest

from kith.graph.network import last_generation
from tests.api.world import World, world  # noqa: F401 (the fixture)

PATHS = "query($to: ID!, $n: Int!) { warmPaths(to: $to, first: $n) { edges { node { score introduction people { id name } } } } }"


class CountingExecutor:
    """The Neo4j store's executor, passing every statement on to the server and counting them: each
    ``run`` or ``stream`` is one auto-commit statement, one round trip."""

    def __init__(self, inner):
        self.inner, self.sent = inner, []

    def run(self, query, params):
        self.sent.append(query)
        return self.inner.run(query, params)

    def stream(self, query, params):
        self.sent.append(query)
        return self.inner.stream(query, params)

    def write(self, work):
        self.sent.append("write")
        return self.inner.write(work)

    def close(self):
        self.inner.close()


@pytest.fixture
def reads(world: World, monkeypatch):
    """What the store behind the API is asked: on Neo4j every statement sent to the server; on SQLite
    its reads of the generation and of the paths' facts (the same steps, without a server between)."""
    store = world.app.state.store
    for thread in threading.enumerate():  # the server's start-up network build reads too: let it finish
        if thread.name == "kith-warm":
            thread.join()
    if store.kind == "neo4j":
        counting = CountingExecutor(store._db)
        monkeypatch.setattr(store, "_db", counting)
        return counting.sent
    sent: list[str] = []
    inside = threading.local()

    def counted(name, method):
        def read(*args, **kwargs):
            if getattr(inside, "name", None) is None:  # path_facts reads the generation itself: one step
                sent.append(name)
            outer, inside.name = getattr(inside, "name", None), name
            try:
                return method(*args, **kwargs)
            finally:
                inside.name = outer
        return read

    for name in ("generation", "path_facts"):
        monkeypatch.setattr(store, name, counted(name, getattr(store, name)))
    return sent


def answer_and_reads(world: World, reads: list[str], variables: dict) -> tuple[list, list[str]]:
    """An answer and the reads it cost, from a server whose network is current, over a store that nobody
    wrote to meanwhile: a background job of another test in this session may write to the shared world
    (before the answer: the server catches up first; during it: the answer is asked again)."""
    store = world.app.state.store
    for _ in range(10):
        before = store.generation()
        if last_generation(store) != before:  # written since the server last looked: its next answer reloads
            world.data(PATHS, {**variables, "n": 9})  # the network (more reads, by design); a question never measured
            continue
        reads.clear()
        answer = world.data(PATHS, variables)["warmPaths"]["edges"]
        took = list(reads)
        if store.generation() == before:
            return answer, took
    raise AssertionError("the store was written to during every answer")


def test_a_warm_path_answer_costs_at_most_one_round_trip(world: World, reads):
    variables = {"to": world.other_contact, "n": 2}
    first = world.data(PATHS, variables)["warmPaths"]["edges"]
    assert first
    for n in (2, 2, 3, 1):  # asked before (the memo checks the generation), then new questions (the facts' read)
        answer, took = answer_and_reads(world, reads, {**variables, "n": n})
        assert answer == first[:n] or n > len(first)
        assert len(took) == 1, took
    # a write through the API shows in the next answer: blocking the target leaves no path to them
    target = {"p": world.other_contact}
    try:
        world.data("mutation($p: ID!) { blockContact(person: $p) { blocked } }", target)
        body = world.gql(PATHS, variables)
        assert "No person has the id" in body["errors"][0]["message"]
    finally:
        world.data("mutation($p: ID!) { blockContact(person: $p, blocked: false) { blocked } }", target)
    assert world.data(PATHS, variables)["warmPaths"]["edges"] == first
    answer, took = answer_and_reads(world, reads, variables)
    assert answer == first and len(took) == 1, took
