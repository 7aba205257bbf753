"""Garbage-collector settings: for long-running readers (the API server, and the benchmarks that time
its queries), and around an ingest run."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 50_000  # allocations between young collections (CPython's default: 700)


def settle_gc() -> None:
    """Take what is alive now (modules, schema, settings) out of the garbage collector's view, and
    collect the young generation less often. A query allocates thousands of short-lived objects; at
    CPython's defaults enough of them outlive two young collections that a full collection over the
    whole heap (10-20 ms on a small machine) lands on about every fifteenth query."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, 20, 10)


_collecting = {"runs": 0, "threshold": gc.get_threshold()}  # runs under way (threads), threshold before
_collecting_lock = threading.Lock()


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect the young generation less often while the block runs (threads may nest it): an ingest
    makes millions of short-lived objects but hardly any cycles, and at CPython's default threshold
    collections cost a tenth of the run."""
    with _collecting_lock:
        if not _collecting["runs"]:
            _collecting["threshold"] = threshold = gc.get_threshold()
            gc.set_threshold(max(threshold[0], YOUNG_THRESHOLD), *threshold[1:])
        _collecting["runs"] += 1
    try:
        yield
    finally:
        with _collecting_lock:
            _collecting["runs"] -= 1
            if not _collecting["runs"]:
                gc.set_threshold(*_collecting["threshold"])
