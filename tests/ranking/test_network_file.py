"""The network file shared by processes: built once per store generation beside the store, mapped by
every process (two processes answer identically from one file), rebuilt after an ingest changes the
store, and never used once stale. Both stores; the processes are real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kith.graph.erasure import erase_person
from kith.graph.network import forget_network, load_network
from kith.graph.paths import warm_paths
from kith.graph.sqlite_store import SQLiteStore
from tests.factories import MEDIUM, STRONG, T0, WEAK, edge, named, write_graph
from tests.neo4j_server import neo4j_env

FAY, GUS = named("fay", internal=True), named("gus", internal=True)
XU, YAN, TARA = named("xu"), named("yan"), named("tara")
PEOPLE = [FAY, GUS, XU, YAN, TARA]
EDGES = [edge(FAY, XU, STRONG), edge(XU, TARA, MEDIUM), edge(GUS, TARA, WEAK), edge(FAY, YAN, MEDIUM)]

# A process of its own: open the store named by argv[1] (a SQLite path, or "neo4j" for the server in
# KITH_NEO4J_*), load the network, and print its answers and the network file it maps.
CHILD = """
import json, os, sys
from kith.graph.network import load_network
from kith.graph.paths import warm_paths
if sys.argv[1] == "neo4j":
    from kith.graph.neo4j_store import Neo4jStore
    store = Neo4jStore.connect(os.environ["KITH_NEO4J_URI"], os.environ["KITH_NEO4J_USER"],
                               os.environ["KITH_NEO4J_PASSWORD"], os.environ.get("KITH_NEO4J_DATABASE", "neo4j"))
else:
    from kith.graph.sqlite_store import SQLiteStore
    store = SQLiteStore.open(sys.argv[1])
net = load_network(store, now=int(sys.argv[2]))
paths = [(w.people, w.score) for w in warm_paths(store, sys.argv[3], now=int(sys.argv[2]))]
maps = sorted({line.split()[-1] for line in open("/proc/self/maps") if str(store.network_dir()) in line})
print(json.dumps({"paths": paths, "strengths": net.scores.tolist(), "maps": maps}))
"""


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    """Neo4j's network files go to the user's cache folder: a fresh one per test."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def _files(store) -> list[Path]:
    folder = store.network_dir()
    return sorted(p for p in folder.iterdir() if not p.name.startswith(".")) if folder.exists() else []


def _child(store, target: str) -> dict:
    where = "neo4j" if store.kind == "neo4j" else str(store.path)
    env = {**os.environ, **(neo4j_env() if store.kind == "neo4j" else {})}
    out = subprocess.run([sys.executable, "-c", CHILD, where, str(T0), target], capture_output=True, text=True,
                         env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_the_file_is_rebuilt_after_an_ingest_changes_the_store(store):
    write_graph(store, PEOPLE, EDGES)
    assert load_network(store, now=T0).strength(GUS.id, YAN.id) == 0
    [before] = _files(store)
    store.replace_knows([], [edge(GUS, YAN, STRONG)])  # an ingest adds a relationship
    forget_network(store)  # as a new process would start
    assert load_network(store, now=T0).strength(GUS.id, YAN.id) > 50
    [after] = _files(store)
    assert after != before  # the old generation's file is gone, the new one is there


def test_two_processes_map_one_file_and_answer_identically(store):
    write_graph(store, PEOPLE, EDGES)
    first, second = _child(store, TARA.id), _child(store, TARA.id)
    [folder] = _files(store)
    assert first == second
    assert first["maps"] and all(m.startswith(str(folder)) for m in first["maps"])  # mapped, not copied
    assert first["paths"] == [[w.people, w.score] for w in warm_paths(store, TARA.id, now=T0)]
    assert [p for p, _ in first["paths"]] == [[FAY.id, XU.id, TARA.id], [GUS.id, TARA.id]]


def test_a_restart_maps_the_file_instead_of_building_it(store):
    write_graph(store, PEOPLE, EDGES)
    _child(store, TARA.id)
    [folder] = _files(store)
    built = (folder / "stamp").stat()
    _child(store, TARA.id)
    assert _files(store) == [folder] and (folder / "stamp").stat().st_mtime_ns == built.st_mtime_ns


def test_a_stale_file_is_never_used(store):
    write_graph(store, PEOPLE, EDGES)
    assert [w.people for w in warm_paths(store, TARA.id, now=T0)][0] == [FAY.id, XU.id, TARA.id]
    store.update_person(XU.id, opted_out=True)  # a write the mapped file does not know about
    assert [p for p, _ in _child(store, TARA.id)["paths"]] == [[GUS.id, TARA.id]]


def test_an_erasure_leaves_no_network_file_that_holds_the_erased(store):
    write_graph(store, PEOPLE, EDGES)
    _child(store, TARA.id)  # another process built and mapped the file
    assert _files(store)
    erase_person(store, XU.id)
    assert _files(store) == []
    assert [w.people for w in warm_paths(store, TARA.id, now=T0)] == [[GUS.id, TARA.id]]
    [rebuilt] = _files(store)
    assert XU.id not in np.load(rebuilt / "ids.npy").tolist()


def test_a_new_database_in_the_same_place_never_reuses_the_old_file(tmp_path):
    path = tmp_path / "kith.db"
    old = SQLiteStore.open(path)
    write_graph(old, PEOPLE, EDGES)
    generation = old.generation()
    assert load_network(old, now=T0).strength(FAY.id, XU.id) > 0
    old.close()
    for f in tmp_path.glob("kith.db*"):
        if f.is_file():
            f.unlink()
    new = SQLiteStore.open(path)  # as many writes as the old one, a different graph
    write_graph(new, PEOPLE, [edge(GUS, YAN, STRONG), *EDGES[1:]])
    assert new.generation() == generation
    net = load_network(new, now=T0)
    assert net.strength(FAY.id, XU.id) == 0 and net.strength(GUS.id, YAN.id) > 0
    new.close()


class _IngestBetweenReads:
    """The real store, with an ingest's writes (a new person, then their edge) landing once, right after
    a network build has read the people and before it reads the edges."""

    def __init__(self, store, *people_and_edges):
        self._store, self._write = store, people_and_edges

    def __getattr__(self, name):
        return getattr(self._store, name)

    def iter_person_flags(self):
        yield from self._store.iter_person_flags()
        if self._write:
            people, edges = self._write
            self._store.upsert_people(people)
            self._store.replace_knows([], edges)
            self._write = ()


def test_a_build_that_meets_an_ingest_between_its_reads_answers_and_the_next_sees_the_new_edge(store):
    write_graph(store, PEOPLE, EDGES)
    ned = named("ned")
    racing = _IngestBetweenReads(store, [ned], [edge(GUS, ned, STRONG)])
    net = load_network(racing, now=T0)  # the edge names someone the build's people did not include
    assert net.strength(FAY.id, XU.id) > 50 and net.strength(GUS.id, ned.id) == 0
    assert load_network(racing, now=T0).strength(GUS.id, ned.id) > 50  # a later generation: read since
