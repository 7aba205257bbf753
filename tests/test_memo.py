"""The per-generation answer cache: reused while the graph stands still, dropped on any write."""

from kith.graph.memo import per_generation
from kith.graph.sqlite_store import SQLiteStore

calls = []


@per_generation(maxsize=2)
def answer(store, question, *, sources=()):
    calls.append(question)
    return [question, len(calls)]


def test_the_same_question_is_answered_once_until_the_store_changes(tmp_path):
    store = SQLiteStore.open(tmp_path / "kith.db")
    first = answer(store, "who knows acme", sources=["a", "b"])
    assert answer(store, "who knows acme", sources=["a", "b"]) is first
    assert answer(store, "who knows acme", sources=["b"]) is not first
    store.set_meta({"touch": "1"})
    assert answer(store, "who knows acme", sources=["a", "b"]) is not first
    assert calls.count("who knows acme") == 3


class Unhashable:
    __hash__ = None


def test_unhashable_arguments_are_computed_every_time(tmp_path):
    store = SQLiteStore.open(tmp_path / "kith.db")
    calls.clear()
    answer(store, "x", sources=[Unhashable()])
    answer(store, "x", sources=[Unhashable()])
    assert calls.count("x") == 2
