"""The network file's change record, on every store: a refresh from an earlier generation's arrays
(``graph.edges.refresh_edges``) gives exactly the arrays of a whole read, whatever was written since."""

from __future__ import annotations

import numpy as np

from kith.graph.edges import Edges, read_edges, refresh_edges
from kith.graph.identity import merge_people, recompute_knows, split_person, undo
from kith.graph.model import Person
from kith.graph.network_file import shared_edges
from tests.factories import DAY, T0, email, meeting, named, write

ANA, DEV = named("ana", internal=True), named("dev", internal=True)
BEN, CHO, EVE, FAY = named("ben"), named("cho"), named("eve"), named("fay")
BENNY = named("benny")  # Ben again, at a second address: merged into Ben below


def _assert_same(got: Edges, want: Edges) -> None:
    for name in Edges.ARRAYS:
        x, y = getattr(got, name), getattr(want, name)
        assert x.dtype == y.dtype and np.array_equal(x, y), name
    assert got.cols.keys() == want.cols.keys()
    for name in want.cols:
        assert np.array_equal(got.cols[name], want.cols[name], equal_nan=True), name


def _refreshed(store, old: Edges, since: int) -> Edges:
    got = refresh_edges(store, old, since)
    assert got is not None, "a small change refreshes rather than reading everything"
    _assert_same(got, read_edges(store))
    return got


def test_a_refresh_equals_a_whole_read_after_ingests_merges_erasures_and_flag_changes(store):
    store.upsert_people([ANA, DEV, BEN, CHO, EVE, BENNY])
    write(store, *(email(f"m{k}", ANA, [BEN, CHO], T0 + k * DAY, "Review") for k in range(3)),
          email("d1", DEV, [EVE], T0), email("b1", BENNY, [DEV], T0 + DAY))
    first = edges = read_edges(store)
    since = start = store.generation()

    write(store, email("m9", CHO, [ANA], T0 + 9 * DAY), email("x1", EVE, [CHO], None))  # added to, and new
    store.upsert_people([FAY])  # a new person with a new edge
    write(store, meeting("mt1", [DEV, FAY, BEN], T0 + 5 * DAY))
    edges, since = _refreshed(store, edges, since), store.generation()

    merge_people(store, BEN.id, BENNY.id, "same person", "test")  # Benny's edges move onto Ben
    edges, since = _refreshed(store, edges, since), store.generation()

    store.erase_person(EVE.id)
    store.update_person(CHO.id, opted_out=True)
    store.update_person(FAY.id, is_internal=True)
    edges, since = _refreshed(store, edges, since), store.generation()

    gone = store.remove_interactions([meeting("mt1", [DEV, FAY, BEN], None).id])
    recompute_knows(store, gone)
    _refreshed(store, edges, since)
    assert store.generation() > since
    _refreshed(store, first, start)  # from the first generation, over every change at once


def test_a_refresh_after_a_split_and_its_undo(store):
    other_ben = Person(BEN.id, emails=["ben@other.com"])  # Ben's second address: another person, it turns out
    store.upsert_people([ANA, BEN, CHO, other_ben])
    write(store, email("s1", ANA, [BEN], T0), email("s2", CHO, [other_ben], T0 + DAY))
    edges, since = read_edges(store), store.generation()
    event = split_person(store, BEN.id, ["ben@other.com"], "two people", "test")
    edges, since = _refreshed(store, edges, since), store.generation()
    undo(store, event.id, "test")
    _refreshed(store, edges, since)


def test_the_network_file_of_a_new_generation_equals_a_whole_read(store, tmp_path):
    if store.network_dir() is None:
        return
    store.upsert_people([ANA, BEN, CHO])
    write(store, email("f1", ANA, [BEN], T0))
    shared_edges(store, store.generation())  # the file of this generation
    write(store, email("f2", CHO, [ANA, BEN], T0 + DAY))
    _assert_same(shared_edges(store, store.generation()), read_edges(store))  # refreshed from the last file
