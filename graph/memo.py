"""Answers kept while the graph stands still: the same question over an unchanged store (same
``store.generation()``, same hour) gets the answer computed the first time.

A server asks the same things again and again (a pursuit team opening the same account map, the
same expertise search); any write to the store starts afresh. Results are shared between callers,
so they must be treated as read-only.

A function whose own read brings the store's generation (``per_generation(reads_generation=True)``:
warm paths, whose one read returns it) says which generation its answer is from with ``answered_at``;
then a question not kept costs no separate read of the generation, and one kept costs one (to see
that nothing was written since). An answer whose function names no generation is not kept.
"""

from __future__ import annotations

import functools
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

R = TypeVar("R")
HOUR = 3600
_answered: ContextVar[list[int] | None] = ContextVar("kith_memo_answered", default=None)


def _frozen(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return frozenset(value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return value


def answered_at(generation: int) -> None:
    """Tell the memo around the running function (``reads_generation``) the store generation its answer
    was read at: as read before or with the answer's data, never after."""
    slot = _answered.get()
    if slot is not None:
        slot.append(generation)


def per_generation(maxsize: int = 512, *, reads_generation: bool = False) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Memoise ``fn(store, *args, **kwargs)`` per store, generation and hour. ``reads_generation``: ``fn``
    reports its answer's generation (``answered_at``) instead of the memo reading it first."""

    def decorate(fn: Callable[..., R]) -> Callable[..., R]:
        caches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        lock = threading.Lock()

        def kept_answer(store: Any, key: tuple, generation: int) -> tuple[bool, Any]:
            with lock:
                kept_generation, kept = caches.get(store, (None, None))
                if kept is not None and kept_generation == generation and key in kept:
                    kept.move_to_end(key)
                    return True, kept[key]
            return False, None

        def keep(store: Any, key: tuple, generation: int, result: Any) -> None:
            with lock:
                kept_generation, kept = caches.get(store, (None, None))
                if kept is None or kept_generation != generation:
                    kept = OrderedDict()
                    caches[store] = (generation, kept)
                kept[key] = result
                while len(kept) > maxsize:
                    kept.popitem(last=False)

        @functools.wraps(fn)
        def wrapper(store: Any, *args: Any, **kwargs: Any) -> R:
            try:
                key = (_frozen(args), _frozen(kwargs), int(time.time()) // HOUR)
                hash(key)
            except TypeError:  # an argument that cannot be a key: just compute
                return fn(store, *args, **kwargs)
            if not reads_generation:
                generation = store.generation()
                hit, result = kept_answer(store, key, generation)
                if not hit:
                    result = fn(store, *args, **kwargs)
                    keep(store, key, generation, result)
                return result
            with lock:
                _, kept = caches.get(store, (None, None))
                asked_before = kept is not None and key in kept
            if asked_before:  # one read to see that nothing was written since
                hit, result = kept_answer(store, key, store.generation())
                if hit:
                    return result
            slot: list[int] = []
            token = _answered.set(slot)
            try:
                result = fn(store, *args, **kwargs)
            finally:
                _answered.reset(token)
            if slot:
                keep(store, key, slot[-1], result)
            return result

        wrapper.uncached = fn  # type: ignore[attr-defined]
        return wrapper

    return decorate
