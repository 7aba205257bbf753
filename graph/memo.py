"""Answers kept while the graph stands still: the same question over an unchanged store (same
``store.generation()``, same hour) gets the answer computed the first time.

A server asks the same things again and again (a pursuit team opening the same account map, the
same expertise search); any write to the store starts afresh. Results are shared between callers,
so they must be treated as read-only.
"""

from __future__ import annotations

import functools
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

R = TypeVar("R")
HOUR = 3600


def _frozen(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return frozenset(value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return value


def per_generation(maxsize: int = 512) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Memoise ``fn(store, *args, **kwargs)`` per store, generation and hour."""

    def decorate(fn: Callable[..., R]) -> Callable[..., R]:
        caches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        lock = threading.Lock()

        @functools.wraps(fn)
        def wrapper(store: Any, *args: Any, **kwargs: Any) -> R:
            try:
                key = (_frozen(args), _frozen(kwargs), int(time.time()) // HOUR)
                hash(key)
            except TypeError:  # an argument that cannot be a key: just compute
                return fn(store, *args, **kwargs)
            generation = store.generation()
            with lock:
                kept_generation, kept = caches.get(store, (None, None))
                if kept is None or kept_generation != generation:
                    kept = OrderedDict()
                    caches[store] = (generation, kept)
                if key in kept:
                    kept.move_to_end(key)
                    return kept[key]
            result = fn(store, *args, **kwargs)
            with lock:
                kept[key] = result
                while len(kept) > maxsize:
                    kept.popitem(last=False)
            return result

        wrapper.uncached = fn  # type: ignore[attr-defined]
        return wrapper

    return decorate
