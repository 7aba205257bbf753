"""The per-generation answer cache: reused while the graph stands still, dropped on any write."""

from kith.graph.memo import answered_at, per_generation
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


@per_generation(reads_generation=True)
def answer_with_generation(store, question):
    calls.append(question)
    generation = store.generation()  # as a read that brings the generation with the answer does
    if question != "unsure":
        answered_at(generation)
    return [question, len(calls)]


def test_an_answer_whose_read_brings_the_generation_costs_one_read_kept_or_not(tmp_path, monkeypatch):
    store = SQLiteStore.open(tmp_path / "kith.db")
    reads = []
    read_generation = store.generation
    monkeypatch.setattr(store, "generation", lambda: reads.append(1) or read_generation())
    calls.clear()
    first = answer_with_generation(store, "who knows acme")
    assert len(reads) == 1  # the function's own read: the memo read none before it
    assert answer_with_generation(store, "who knows acme") is first
    assert len(reads) == 2 and calls == ["who knows acme"]  # kept: one read, to see nothing changed
    store.set_meta({"touch": "1"})
    again = answer_with_generation(store, "who knows acme")
    assert again is not first and calls.count("who knows acme") == 2
    assert answer_with_generation(store, "who knows acme") is again
    answer_with_generation(store, "unsure")  # names no generation: never kept
    answer_with_generation(store, "unsure")
    assert calls.count("unsure") == 2
