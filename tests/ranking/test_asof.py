"""as_of: a query sees only evidence before it, on every store."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import example, given, settings, strategies as st

from kith.graph.explain import explain
from kith.graph.network import load_network
from kith.graph.paths import warm_paths
from kith.graph.sqlite_store import SQLiteStore
from tests.factories import DAY, T0, email, meeting, named, write


PEOPLE = [named("ana", internal=True), named("dev", internal=True), named("ben"), named("cat"), named("dan"),
          named("eli")]


def _item(n, spec):
    kind, x, ys, day = spec
    at = T0 + day * DAY
    if kind == "meeting":
        return meeting(f"i{n}", [PEOPLE[x]] + [PEOPLE[y] for y in ys if y != x], at)
    return email(f"i{n}", PEOPLE[x], [PEOPLE[y] for y in ys if y != x] or [PEOPLE[(x + 1) % 6]], at,
                      parent=email(f"i{n - 1}", PEOPLE[0], [], 0).id if kind == "reply" and n else "")


specs = st.lists(st.tuples(st.sampled_from(["email", "reply", "meeting"]), st.integers(0, 5),
                           st.lists(st.integers(0, 5), min_size=1, max_size=3), st.integers(0, 60)),
                 min_size=1, max_size=25)


@settings(max_examples=25, deadline=None)
@given(specs, st.integers(0, 61))
# cat replies (to dev) to ana's mail: ana was in touch that day, though no participant of the reply
@example([("email", 0, [0], 0), ("email", 1, [1], 1), ("email", 0, [2], 0), ("reply", 3, [1], 1)], 2)
def test_as_of_never_sees_the_future(spec, day):
    cut = T0 + day * DAY
    items = [_item(n, s) for n, s in enumerate(spec)]
    with tempfile.TemporaryDirectory() as d:
        everything, past = SQLiteStore.open(Path(d) / "all.db"), SQLiteStore.open(Path(d) / "past.db")
        for store, chosen in ((everything, items), (past, [i for i in items if i.occurred_at < cut])):
            store.upsert_people(PEOPLE)
            write(store, *chosen)
        then = load_network(everything, as_of=cut)
        truth = load_network(past, now=cut)
        for a in PEOPLE:
            for b in PEOPLE:
                assert then.strength(a.id, b.id) == pytest.approx(truth.strength(a.id, b.id), abs=1e-6)
            assert [(w.people, w.score) for w in warm_paths(everything, a.id, as_of=cut)] == \
                   [(w.people, w.score) for w in warm_paths(past, a.id, now=cut)]
        e = explain(everything, PEOPLE[0].id, PEOPLE[2].id, as_of=cut)
        assert e.score == pytest.approx(explain(past, PEOPLE[0].id, PEOPLE[2].id, now=cut).score, abs=1e-6)
        assert set(e.evidence) <= {i.id for i in items if i.occurred_at < cut}
        # refolding everything reproduces the stored edges
        late = T0 + 100 * DAY
        full, stored = load_network(everything, as_of=late), load_network(everything, now=late)
        assert full.scores.tolist() == pytest.approx(stored.scores.tolist(), abs=1e-6)
        everything.close()
        past.close()


def test_who_did_we_know_on_the_day_of_the_pitch(store):
    ana, ben, cat = PEOPLE[0], PEOPLE[2], PEOPLE[3]
    store.upsert_people(PEOPLE)
    write(store, *[meeting("early", [ana, ben], T0), meeting("late", [ana, cat], T0 + 30 * DAY)])
    pitch = T0 + 10 * DAY
    assert [w.people for w in warm_paths(store, cat.id, as_of=pitch)] == []
    assert [w.people for w in warm_paths(store, ben.id, as_of=pitch)] == [[ana.id, ben.id]]
    assert [w.people for w in warm_paths(store, cat.id, now=T0 + 31 * DAY)] == [[ana.id, cat.id]]
    assert load_network(store, as_of=T0).strength(ana.id, ben.id) == 0  # strictly before
