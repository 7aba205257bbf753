"""The in-memory graph that ranking runs on: people, their flags and scored KNOWS edges in CSR arrays.

Built from ``store.iter_knows()`` and ``store.iter_people()`` and cached per store, per
``store.generation()``: a write to the store makes the next ``load_network`` rebuild. Edges are
scored with ``graph.strength`` at ``now`` (default: the start of the current UTC hour, so one cached
network serves every query in that hour; an hour moves a score by under 0.7 points, most on the first
day after a contact).

``as_of=T`` sees only evidence before T: the edges are refolded (``graph.knows.fold``) from every
stored interaction with ``occurred_at < T`` (interactions of unknown time are never "before"), and
scored at T. That reads every person's interactions once, so it is cached per generation and T.
People flags (opted out, blocked, internal) are always the current ones: an opt-out applies to the
past too. An outsider queued for review as possibly one with a colleague (``kith review``: a
colleague's personal address with the same name, say) is not usable either until someone decides:
it may be the colleague, who is no external contact of the firm.

Adjacency is CSR over people sorted by id (so SQLite and Neo4j give identical networks): row ``i``
lists neighbour indices in ascending order with the edge's strength and its path cost
``-ln(strength / 100)``; a path's score is ``100 x exp(-sum of costs)``.
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter

import numpy as np

from kith.graph.knows import fold
from kith.graph.model import KNOWS_COUNTERS, Interaction, Knows, Person
from kith.graph.scope import EVERYTHING, Scope
from kith.graph.store import Store
from kith.graph.strength import DEFAULT_WEIGHTS, Signals, Weights, quieter_active_at, score_columns, signals

COLUMNS = ("first_at", "last_at", *KNOWS_COUNTERS)
HOUR = 3600
_NETWORKS_KEPT = 4  # scored networks cached per store (different as_of / weights / hour)
_SCOPES_KEPT = 16  # walled readers' masks and search bounds cached per network
_REVIEW_READ = 1_000_000  # open review items read (all, in practice)


@dataclass(slots=True)
class Edges:
    """Unscored edges and people of one store generation (or one ``as_of``), index-aligned."""

    ids: list[str]  # person ids, sorted
    internal: np.ndarray  # bool per person
    usable: np.ndarray  # bool per person: neither opted out nor blocked
    a: np.ndarray  # int32 per edge, a < b
    b: np.ndarray
    cols: dict[str, np.ndarray]  # float64 per edge; first_at/last_at NaN when unknown; active_at (graph.strength)

    @classmethod
    def build(cls, people: Iterable[Person], knows: Iterable[Knows], held: frozenset[str] = frozenset()) -> Edges:
        """``held``: people kept off paths as if blocked (outsiders in review as maybe a colleague)."""
        flags = {p.id: (p.is_internal, not (p.opted_out or p.blocked or p.id in held)) for p in people}
        pair_of, values_of = attrgetter("a", "b"), attrgetter(*COLUMNS)
        pairs, values = [], []
        for k in knows:
            pairs.append(pair_of(k))
            values.append(values_of(k))
        ids = sorted(flags.keys() | {pid for pair in pairs for pid in pair})
        index = {pid: n for n, pid in enumerate(ids)}
        internal = np.fromiter((flags.get(p, (False, True))[0] for p in ids), bool, len(ids))
        usable = np.fromiter((flags.get(p, (False, True))[1] for p in ids), bool, len(ids))
        a = np.fromiter((index[x] for x, _ in pairs), np.int32, len(pairs))
        b = np.fromiter((index[y] for _, y in pairs), np.int32, len(pairs))
        order = np.lexsort((b, a))  # (a, b) order whatever order the store streamed them in
        table = np.array(values, dtype=np.float64).reshape(len(values), len(COLUMNS))[order]  # None -> NaN
        cols = {c: np.ascontiguousarray(table[:, n]) for n, c in enumerate(COLUMNS)}
        a, b = a[order], b[order]
        cols["active_at"] = quieter_active_at(a, b, cols["last_at"])
        return cls(ids, internal, usable, a, b, cols)


class Network:
    """Scored, undirected relationship graph. Person ids outside it have strength 0 to everyone."""

    def __init__(self, edges: Edges, now: int, weights: Weights = DEFAULT_WEIGHTS, as_of: int | None = None):
        self.now, self.weights, self.as_of = now, weights, as_of
        self.ids = edges.ids
        self.index = {pid: n for n, pid in enumerate(edges.ids)}
        self.internal, self.usable = edges.internal, edges.usable
        self._edges = edges
        scores = score_columns(edges.cols, now, weights) if len(edges.a) else np.zeros(0)
        live = np.flatnonzero(scores > 0).astype(np.int32)
        src = np.concatenate([edges.a[live], edges.b[live]])
        dst = np.concatenate([edges.b[live], edges.a[live]])
        eid = np.concatenate([live, live])
        order = np.lexsort((dst, src))
        n = len(self.ids)
        self.indptr = np.zeros(n + 1, np.int64)
        np.cumsum(np.bincount(src, minlength=n), out=self.indptr[1:])
        self.row = src[order].astype(np.int32)  # the row of each adjacency entry
        self.nbr = dst[order].astype(np.int32)
        self.eid = eid[order].astype(np.int32)
        self.strengths = scores[self.eid]
        with np.errstate(divide="ignore"):
            self.cost = -np.log(self.strengths / 100.0)
        np.maximum(self.cost, 0.0, out=self.cost)
        self.scores = scores
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
        return len(self.nbr) // 2

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
        return 0 if n is None else int(self.indptr[n + 1] - self.indptr[n])

    # -- edges -----------------------------------------------------------------------------------
    def _entry(self, x: int, y: int) -> int:
        lo, hi = int(self.indptr[x]), int(self.indptr[x + 1])
        at = lo + int(np.searchsorted(self.nbr[lo:hi], y))
        return at if at < hi and self.nbr[at] == y else -1

    def strength(self, a: str, b: str) -> float:
        x, y = self.index.get(a), self.index.get(b)
        if x is None or y is None:
            return 0.0
        at = self._entry(x, y)
        return float(self.strengths[at]) if at >= 0 else 0.0

    def neighbours(self, pid: str) -> list[tuple[str, float]]:
        """(person id, strength), strongest first."""
        n = self.index.get(pid)
        if n is None:
            return []
        lo, hi = int(self.indptr[n]), int(self.indptr[n + 1])
        pairs = [(self.ids[int(m)], float(s)) for m, s in zip(self.nbr[lo:hi], self.strengths[lo:hi])]
        return sorted(pairs, key=lambda p: (-p[1], p[0]))

    def knows(self, a: str, b: str) -> Knows | None:
        """The KNOWS record the pair's strength was scored from."""
        x, y = self.index.get(a), self.index.get(b)
        if x is None or y is None:
            return None
        at = self._entry(x, y)
        if at < 0:
            return None
        e = int(self.eid[at])
        cols = self._edges.cols
        values = {c: float(cols[c][e]) for c in KNOWS_COUNTERS}
        first, last = cols["first_at"][e], cols["last_at"][e]
        return Knows(self.ids[int(self._edges.a[e])], self.ids[int(self._edges.b[e])],
                     None if math.isnan(first) else int(first), None if math.isnan(last) else int(last), **values)

    def signals(self, a: str, b: str) -> Signals | None:
        k = self.knows(a, b)
        if k is None:
            return None
        e = int(self.eid[self._entry(self.index[a], self.index[b])])
        return signals(k, self.now, self.weights, active_at=float(self._edges.cols["active_at"][e]))

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
        self.generation: int | None = None
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
        cache.generation, cache.edges, cache.networks = None, {}, OrderedDict()


def load_network(store: Store, *, as_of: int | None = None, weights: Weights = DEFAULT_WEIGHTS,
                 now: int | None = None, stale_ok_s: float = 0.0) -> Network:
    """The scored network of ``store``: as stored, scored at ``now`` (default: this hour's start), or
    as it stood before ``as_of`` and scored then. ``stale_ok_s``: a server answering while an ingest
    writes may keep using a network built that recently instead of rebuilding after every batch."""
    at = int(as_of) if as_of is not None else int(now) if now is not None else int(time.time()) // HOUR * HOUR
    cache = _cache_of(store)
    with cache.lock:
        generation = store.generation()
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
            edges = cache.edges[as_of] = _read_edges(store, as_of)
            while len(cache.edges) > _NETWORKS_KEPT:
                cache.edges.pop(next(iter(cache.edges)))
        network = cache.networks[key] = Network(edges, at, weights, as_of)
        while len(cache.networks) > _NETWORKS_KEPT:
            cache.networks.popitem(last=False)
        return network


def _read_edges(store: Store, as_of: int | None) -> Edges:
    people = list(store.iter_people())
    held = maybe_colleagues(store, people)
    if as_of is None:
        return Edges.build(people, store.iter_knows(), held)
    return Edges.build(people, knows_before(store, as_of, [p.id for p in people]).values(), held)


def maybe_colleagues(store: Store, people: Sequence[Person]) -> frozenset[str]:
    """Outsiders that an open review item pairs with a colleague: perhaps the colleague's own address."""
    internal = {p.id: p.is_internal for p in people}
    held = set()
    for item in store.review_items(limit=_REVIEW_READ):
        a, b = item.person_id, item.other_id
        if a in internal and b in internal and internal[a] != internal[b]:
            held.add(b if internal[a] else a)
    return frozenset(held)


def knows_before(store: Store, before: int, person_ids: Sequence[str]) -> dict[tuple[str, str], Knows]:
    """KNOWS edges refolded from the interactions of these people that occurred before ``before``."""
    items: dict[str, Interaction] = {}
    for pid in person_ids:
        for item in store.interactions_of(pid, before=before):
            items.setdefault(item.id, item)
    missing = {i.parent_id for i in items.values() if i.parent_id} - items.keys()
    known = store.get_interactions(missing) if missing else {}
    # a parent from after the cut is future evidence: the reply then counts as a plain email
    parents = {**{i: p for i, p in known.items() if p.occurred_at is not None and p.occurred_at < before},
               **items}
    return fold(sorted(items.values(), key=lambda i: i.id),
                lambda i: parents.get(i.parent_id) if i.parent_id else None)
