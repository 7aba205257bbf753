"""The in-memory graph that ranking runs on: people, their flags and scored KNOWS edges in CSR arrays.

Built from the store's columnar reads (``iter_person_flags``, ``iter_knows_columns``) into a file
beside the store that every process maps (``graph.network_file``), per ``store.generation()``: a
write to the store makes the next ``load_network`` rebuild it, and a process that finds the file
current maps it instead of reading the store. Edges are
scored with ``graph.strength`` at ``now`` (default: the start of the current UTC hour, so one cached
network serves every query in that hour; an hour moves a score by under 0.7 points, most on the first
day after a contact).

``as_of=T`` sees only evidence before T: the edges are refolded (``graph.knows.sum_edges``) from every
stored interaction with ``occurred_at < T`` (interactions of unknown time are never "before"), and
scored at T. That reads every person's interactions once, so it is cached per generation and T.
People flags (opted out, blocked, internal) are always the current ones: an opt-out applies to the
past too. An outsider queued for review as possibly one with a colleague (``kith review``: a
colleague's personal address with the same name, say) is not usable either until someone decides:
it may be the colleague, who is no external contact of the firm.

Adjacency is CSR over people sorted by id (so SQLite and Neo4j give identical networks): row ``i``
lists neighbour indices in ascending order with the edge's path cost ``-ln(strength / 100)``; a
path's score is ``100 x exp(-sum of costs)``. Person ids are looked up by binary search in the
sorted id array, so a process holds no per-person objects.
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from kith.graph.edges import Edges, PersonIds, PersonIndex, hold_maybe_colleagues
from kith.graph.knows import sum_edges
from kith.graph.model import KNOWS_COUNTERS, Interaction, Knows
from kith.graph.network_file import shared_edges
from kith.graph.scope import EVERYTHING, Scope
from kith.graph.store import Store
from kith.graph.strength import DEFAULT_WEIGHTS, Signals, Weights, score_columns, signals

HOUR = 3600
_NETWORKS_KEPT = 4  # scored networks cached per store (different as_of / weights / hour)
_SCOPES_KEPT = 16  # walled readers' masks and search bounds cached per network
_SCORE_SLICE = 65_536  # edges scored at a time


class Network:
    """Scored, undirected relationship graph. Person ids outside it have strength 0 to everyone.

    The adjacency is ``Edges``' (every edge, mapped from the shared file when there is one); scoring adds
    one strength per edge and one path cost per entry, ``inf`` for an edge that scores 0 (no
    relationship at ``now``: it is on no path and no one's neighbour)."""

    def __init__(self, edges: Edges, now: int, weights: Weights = DEFAULT_WEIGHTS, as_of: int | None = None):
        self.now, self.weights, self.as_of = now, weights, as_of
        self.ids = PersonIds(edges.ids)
        self.index = PersonIndex(edges.ids)
        self.internal, self.usable = edges.internal, edges.usable
        self.indptr, self.nbr, self.eid, self.row = edges.indptr, edges.nbr, edges.eid, edges.row
        self._edges = edges
        self.scores = np.empty(len(edges.a))
        for start in range(0, len(edges.a), _SCORE_SLICE):  # in slices: whole-network temporaries would be
            part = slice(start, start + _SCORE_SLICE)  # hundreds of MiB that the allocator then keeps
            self.scores[part] = score_columns({c: v[part] for c, v in edges.cols.items()}, now, weights)
        with np.errstate(divide="ignore"):
            cost = np.log(self.scores / 100.0)
        np.negative(cost, out=cost)
        np.maximum(cost, 0.0, out=cost)
        self.cost = cost[self.eid]  # per entry: the search reads a row's costs as one slice
        self._firm_bounds: OrderedDict[tuple[int, Scope], np.ndarray] = OrderedDict()
        self._usable: OrderedDict[Scope, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    # -- people ----------------------------------------------------------------------------------
    def __contains__(self, pid: str) -> bool:
        return pid in self.index

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def edge_count(self) -> int:
        return int(np.count_nonzero(self.scores > 0))

    @property
    def latest(self) -> int | None:
        """When the newest evidence of any relationship is from (None when there is none)."""
        last = self._edges.cols["last_at"]
        return int(np.nanmax(last)) if len(last) and not np.isnan(last).all() else None

    def is_internal(self, pid: str) -> bool:
        n = self.index.get(pid)
        return n is not None and bool(self.internal[n])

    def is_usable(self, pid: str) -> bool:
        """Neither opted out nor blocked (unknown people count as usable)."""
        n = self.index.get(pid)
        return n is None or bool(self.usable[n])

    def internal_ids(self) -> list[str]:
        return [self.ids[n] for n in np.flatnonzero(self.internal)]

    def degree(self, pid: str) -> int:
        n = self.index.get(pid)
        return 0 if n is None else int(np.count_nonzero(np.isfinite(self.cost[self.indptr[n]:self.indptr[n + 1]])))

    # -- edges -----------------------------------------------------------------------------------
    def _entry(self, x: int, y: int) -> int:
        """The adjacency entry of x -> y, -1 when they have no relationship."""
        lo, hi = int(self.indptr[x]), int(self.indptr[x + 1])
        at = lo + int(np.searchsorted(self.nbr[lo:hi], y))
        return at if at < hi and self.nbr[at] == y and math.isfinite(self.cost[at]) else -1

    def hop_strength(self, x: int, y: int) -> float:
        """Strength between two people by index (0 when none)."""
        at = self._entry(x, y)
        return float(self.scores[self.eid[at]]) if at >= 0 else 0.0

    def strength(self, a: str, b: str) -> float:
        x, y = self.index.get(a), self.index.get(b)
        return 0.0 if x is None or y is None else self.hop_strength(x, y)

    def neighbours(self, pid: str) -> list[tuple[str, float]]:
        """(person id, strength), strongest first."""
        n = self.index.get(pid)
        if n is None:
            return []
        lo, hi = int(self.indptr[n]), int(self.indptr[n + 1])
        strengths = self.scores[self.eid[lo:hi]]
        live = strengths > 0
        pairs = [(self.ids[int(m)], float(s)) for m, s in zip(self.nbr[lo:hi][live], strengths[live])]
        return sorted(pairs, key=lambda p: (-p[1], p[0]))

    def _edge(self, a: str, b: str) -> int:
        """The edge between two people by id, -1 when they have no relationship."""
        x, y = self.index.get(a), self.index.get(b)
        at = -1 if x is None or y is None else self._entry(x, y)
        return -1 if at < 0 else int(self.eid[at])

    def _knows(self, e: int) -> Knows:
        cols = self._edges.cols
        values = {c: float(cols[c][e]) for c in KNOWS_COUNTERS}
        first, last = cols["first_at"][e], cols["last_at"][e]
        return Knows(self.ids[int(self._edges.a[e])], self.ids[int(self._edges.b[e])],
                     None if math.isnan(first) else int(first), None if math.isnan(last) else int(last), **values)

    def knows(self, a: str, b: str) -> Knows | None:
        """The KNOWS record the pair's strength was scored from."""
        e = self._edge(a, b)
        return None if e < 0 else self._knows(e)

    def signals(self, a: str, b: str) -> Signals | None:
        scored = self.scored(a, b)
        return None if scored is None else scored[1]

    def scored(self, a: str, b: str) -> tuple[Knows, Signals] | None:
        """The pair's KNOWS record and the signals it scored (one look-up of the edge for both)."""
        e = self._edge(a, b)
        if e < 0:
            return None
        k = self._knows(e)
        return k, signals(k, self.now, self.weights, active_at=float(self._edges.cols["active_at"][e]))

    # -- search support --------------------------------------------------------------------------
    def bounds(self, sources: np.ndarray, relays: np.ndarray, hops: int) -> np.ndarray:
        """``out[r, v]``: the least cost of reaching v from a source in at most r hops (r < ``hops``
        + 1), passing only through ``relays``; inf where none. The A* heuristic of warm paths."""
        n = len(self.ids)
        out = np.full((hops + 1, n), np.inf)
        out[0, sources] = 0.0
        for r in range(1, hops + 1):
            prev = out[r - 1]
            cur = prev.copy()
            active = np.flatnonzero(np.isfinite(prev) & (sources | relays))
            if len(active):
                lo, hi = self.indptr[active], self.indptr[active + 1]
                counts = hi - lo
                if counts.sum():
                    entries = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
                    np.minimum.at(cur, self.nbr[entries], prev[self.row[entries]] + self.cost[entries])
            out[r] = cur
        return out

    def usable_for(self, scope: Scope = EVERYTHING) -> np.ndarray:
        """Who may be on a path for a reader: usable, and not behind the reader's walls."""
        if not scope.hidden_people:
            return self.usable
        with self._lock:
            if scope not in self._usable:
                mask = self.usable.copy()
                mask[[self.index[p] for p in scope.hidden_people if p in self.index]] = False
                self._usable[scope] = mask
                if len(self._usable) > _SCOPES_KEPT:
                    self._usable.popitem(last=False)
            return self._usable[scope]

    def firm_bounds(self, hops: int, scope: Scope = EVERYTHING) -> np.ndarray:
        """``bounds`` from every usable colleague, cached: the default source set of every query."""
        usable = self.usable_for(scope)
        with self._lock:
            if (hops, scope) not in self._firm_bounds:
                sources = self.internal & usable
                self._firm_bounds[(hops, scope)] = self.bounds(sources, usable & ~sources, hops)
                if len(self._firm_bounds) > _SCOPES_KEPT:
                    self._firm_bounds.popitem(last=False)
            return self._firm_bounds[(hops, scope)]


class _StoreCache:
    def __init__(self) -> None:
        self.generation: int | None = None  # of the networks kept
        self.seen: int | None = None  # the store's, as last read (newer than theirs while stale ones serve)
        self.built_at = 0.0  # when the cached generation was read (time.monotonic)
        self.edges: dict[int | None, Edges] = {}
        self.networks: OrderedDict[tuple, Network] = OrderedDict()
        self.stale_ok_s = 0.0  # set by serve_stale
        self.lock = threading.Lock()


_caches: weakref.WeakKeyDictionary[Store, _StoreCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def _cache_of(store: Store) -> _StoreCache:
    with _caches_lock:
        cache = _caches.get(store)
        if cache is None:
            cache = _caches[store] = _StoreCache()
        return cache


def serve_stale(store: Store, seconds: float) -> None:
    """Let every reader of ``store`` in this process use a network up to ``seconds`` old: a server
    answering while an ingest writes would otherwise rebuild it after every batch."""
    _cache_of(store).stale_ok_s = seconds


def forget_network(store: Store) -> None:
    """Drop ``store``'s networks in this process, stale or not: after a change that must show at once
    (someone opted out, was blocked, merged or erased)."""
    cache = _cache_of(store)
    with cache.lock:
        cache.generation, cache.seen, cache.edges, cache.networks = None, None, {}, OrderedDict()


def last_generation(store: Store) -> int | None:
    """``store.generation()`` as ``load_network`` last read it in this process (None: never)."""
    return _cache_of(store).seen


def load_network(store: Store, *, as_of: int | None = None, weights: Weights = DEFAULT_WEIGHTS,
                 now: int | None = None, stale_ok_s: float = 0.0, generation: int | None = None) -> Network:
    """The scored network of ``store``: as stored, scored at ``now`` (default: this hour's start), or
    as it stood before ``as_of`` and scored then. ``stale_ok_s``: a server answering while an ingest
    writes may keep using a network built that recently instead of rebuilding after every batch.
    ``generation``: the store's, as the caller knows it (``last_generation``), instead of a read; the
    caller then checks it with one it reads beside its answer (``graph.paths.warm_paths``)."""
    at = int(as_of) if as_of is not None else int(now) if now is not None else int(time.time()) // HOUR * HOUR
    cache = _cache_of(store)
    with cache.lock:
        generation = cache.seen = store.generation() if generation is None else generation
        fresh_enough = cache.networks and time.monotonic() - cache.built_at < max(stale_ok_s, cache.stale_ok_s)
        if generation != cache.generation and not fresh_enough:
            cache.generation, cache.edges, cache.networks = generation, {}, OrderedDict()
            cache.built_at = time.monotonic()
        key = (as_of, weights, at)
        found = cache.networks.get(key)
        if found is not None:
            cache.networks.move_to_end(key)
            return found
        edges = cache.edges.get(as_of)
        if edges is None:
            edges = cache.edges[as_of] = _read_edges(store, as_of, generation)
            while len(cache.edges) > _NETWORKS_KEPT:
                cache.edges.pop(next(iter(cache.edges)))
        network = cache.networks[key] = Network(edges, at, weights, as_of)
        while len(cache.networks) > _NETWORKS_KEPT:
            cache.networks.popitem(last=False)
        return network


def _read_edges(store: Store, as_of: int | None, generation: int) -> Edges:
    if as_of is None:
        return shared_edges(store, generation)
    people = list(store.iter_people())
    return hold_maybe_colleagues(store, Edges.build(people, knows_before(store, as_of, [p.id for p in people]).values()))


def knows_before(store: Store, before: int, person_ids: Sequence[str], *,
                 replies: bool = False) -> dict[tuple[str, str], Knows]:
    """KNOWS edges refolded from the interactions of these people that occurred before ``before``.
    ``replies``: also others' replies to those interactions, which link their sender to the parent's
    sender without naming them (a caller that passes every person has these already)."""
    items: dict[str, Interaction] = {}
    for pid in person_ids:
        for item in store.interactions_of(pid, before=before):
            items.setdefault(item.id, item)
    if replies:
        for item in store.replies_to(list(items)):
            if item.occurred_at is not None and item.occurred_at < before:
                items.setdefault(item.id, item)
    missing = {i.parent_id for i in items.values() if i.parent_id} - items.keys()
    known = store.get_interactions(missing) if missing else {}
    # a parent from after the cut is future evidence: the reply then counts as a plain email
    parents = {**{i: p for i, p in known.items() if p.occurred_at is not None and p.occurred_at < before},
               **items}
    return sum_edges(sorted(items.values(), key=lambda i: i.id),
                     lambda i: parents.get(i.parent_id) if i.parent_id else None)
