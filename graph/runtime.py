"""Process settings for long-running readers: the API server, and the benchmarks that time its queries."""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000  # allocations between young collections (CPython's default: 700)


def settle_gc() -> None:
    """Take what is alive now (modules, schema, settings) out of the garbage collector's view, and
    collect the young generation less often. A query allocates thousands of short-lived objects; at
    CPython's defaults enough of them outlive two young collections that a full collection over the
    whole heap (10-20 ms on a small machine) lands on about every fifteenth query."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, 20, 10)
