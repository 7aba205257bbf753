"""The network's unscored arrays: people (sorted ids, flags) and KNOWS edges with their columns and the
CSR adjacency of every edge, built from the store's streaming columnar reads or from records. What
``graph.network_file`` writes and maps, and ``graph.network`` scores."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING

import numpy as np

from kith.graph.model import KNOWS_COUNTERS, Knows, Person
from kith.graph.store import KNOWS_COLUMNS, Store
from kith.graph.strength import quieter_active_at

if TYPE_CHECKING:
    import pyarrow as pa

_STORED = ("first_at", "last_at", *KNOWS_COUNTERS)  # the KNOWS values read from the store
_REVIEW_READ = 1_000_000  # open review items read (all, in practice)
_REFRESH_SHARE = 0.1  # a refresh reads at most this share of the edges again; past it, the whole read is as cheap


@dataclass(slots=True)
class Edges:
    """Unscored edges and people of one store generation (or one ``as_of``), index-aligned, with the
    adjacency of every edge (CSR). Its arrays may be memory-mapped from a file (``graph.network_file``)."""

    ids: np.ndarray  # person ids (numpy str), sorted
    internal: np.ndarray  # bool per person
    usable: np.ndarray  # bool per person: neither opted out nor blocked
    a: np.ndarray  # int32 per edge, a < b, edges in (a, b) order
    b: np.ndarray
    cols: dict[str, np.ndarray]  # float64 per edge; first_at/last_at NaN when unknown; active_at (graph.strength)
    indptr: np.ndarray  # int64 per person + 1: row i of the adjacency is entries indptr[i]:indptr[i + 1]
    nbr: np.ndarray  # int32 per entry (2 per edge): the neighbour, ascending within a row
    eid: np.ndarray  # int32 per entry: the edge
    row: np.ndarray  # int32 per entry: the row it is in

    ARRAYS = ("ids", "internal", "usable", "a", "b", "indptr", "nbr", "eid", "row")
    COLUMNS = (*_STORED, "active_at")  # what ``cols`` holds

    @classmethod
    def build(cls, people: Iterable[Person], knows: Iterable[Knows]) -> Edges:
        """From records (``as_of`` refolds, tests)."""
        flags = {p.id: (p.is_internal, not (p.opted_out or p.blocked)) for p in people}
        values = [attrgetter(*KNOWS_COLUMNS)(k) for k in knows]
        for k in values:  # people seen only on an edge: outside the firm, usable
            flags.setdefault(k[0], (False, True))
            flags.setdefault(k[1], (False, True))
        columns = dict(zip(KNOWS_COLUMNS, zip(*values))) if values else {c: () for c in KNOWS_COLUMNS}
        return cls.from_columns(((pid, i, u) for pid, (i, u) in flags.items()), [columns])

    @classmethod
    def from_columns(cls, flags: Iterable[tuple[str, bool, bool]],
                     batches: Iterable[Mapping[str, Sequence]]) -> Edges:
        """From (person id, internal, usable) and batches of KNOWS columns (``Store.iter_knows_columns``).
        Every edge's two people must be among ``flags``. Vectorised throughout: ids become positions by
        one Arrow hash lookup per column (``a``, ``b``: Arrow arrays or sequences of str), no Python work per edge."""
        ids, internal, usable, index = _people(flags)
        a, b, cols = _read(index, batches)
        return cls.assemble(ids, internal, usable, a, b, cols)

    @classmethod
    def assemble(cls, ids: np.ndarray, internal: np.ndarray, usable: np.ndarray, a: np.ndarray, b: np.ndarray,
                 cols: dict[str, np.ndarray]) -> Edges:
        """From people and edges (positions among ``ids``, in any order, each pair once) with their stored
        columns: sorted into (a, b) order, with ``active_at`` and the adjacency."""
        key = (a.astype(np.int64) << 32) | b
        order = None if np.all(key[1:] > key[:-1]) else np.argsort(key)  # (a, b) order whatever the store's
        del key
        if order is not None:
            a, b = a[order], b[order]
            cols = {c: cols[c][order] for c in _STORED}
        cols["active_at"] = quieter_active_at(a, b, cols["last_at"])
        return cls(ids, internal, usable, a, b, cols, *_adjacency(len(ids), a, b))


def _people(flags: Iterable[tuple[str, bool, bool]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, pa.Array]:
    """(sorted ids, internal, usable, the sorted ids as Arrow strings: ``_positions``' index) of
    (person id, internal, usable)."""
    import pyarrow as pa  # Arrow where the network is built: a process that maps the file never needs it

    pid, internal, usable = [list(c) for c in zip(*flags)] or ([], [], [])
    ids = np.array(pid, dtype=str)
    order = np.argsort(ids, kind="stable")
    ids, internal, usable = ids[order], np.array(internal, bool)[order], np.array(usable, bool)[order]
    return ids, internal, usable, pa.array(ids.tolist(), pa.string())  # for the build only


def _read(index: pa.Array, batches: Iterable[Mapping[str, Sequence]],
          most: int | None = None) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]] | None:
    """(a, b, stored columns) of batches of KNOWS columns; None once past ``most`` edges. An edge that
    names someone not among ``index`` is left out: a person written after the people were read (an ingest
    running beside the read), so after the generation the network is built for; the next refresh reads
    that edge, written since that generation."""
    import pyarrow as pa
    import pyarrow.compute as pc

    a_parts, b_parts, parts, count = [], [], {c: [] for c in _STORED}, 0
    for batch in batches:
        count += len(batch["a"])
        if most is not None and count > most:
            return None
        if not len(batch["a"]):
            continue
        a_parts.append(_strings(batch["a"]))
        b_parts.append(_strings(batch["b"]))
        for c in _STORED:
            parts[c].append(_floats(batch[c]))
    a, b = (pc.index_in(pa.chunked_array(p, pa.string()), value_set=index) for p in (a_parts, b_parts))
    cols = {c: np.concatenate(parts.pop(c)) if parts[c] else np.zeros(0) for c in _STORED}
    if a.null_count or b.null_count:
        known = pc.and_(pc.is_valid(a), pc.is_valid(b))
        a, b, keep = a.filter(known), b.filter(known), known.to_numpy()
        cols = {c: v[keep] for c, v in cols.items()}
    return (*(x.to_numpy().astype(np.int32, copy=False) for x in (a, b)), cols)


def refresh_edges(store: Store, old: Edges, since: int) -> Edges | None:
    """``old``, the edges at generation ``since``, brought to the store's present from its change record:
    people and flags are read whole (few beside edges), edges only where written since (``Store.
    iter_knows_columns(since)``, ``knows_replaced_since``); the old arrays are patched in numpy. None
    when more than a share of the edges changed: then a whole read is about as cheap."""
    import pyarrow as pa

    ids, internal, usable, index = _people(store.iter_person_flags())
    changed = _read(index, store.iter_knows_columns(since), most=int(_REFRESH_SHARE * len(old.a)) + 1_000)
    if changed is None:
        return None
    at = np.searchsorted(ids, old.ids).astype(np.int32)  # old position -> new; ids stay sorted, so order holds
    stays = at < len(ids)
    stays[stays] = ids[at[stays]] == old.ids[stays]  # people since removed (erased, merged away) take their edges
    replaced = np.zeros(len(ids), bool)
    replaced[_positions(index, pa.array(store.knows_replaced_since(since), pa.string()))] = True
    keep = np.flatnonzero(stays[old.a] & stays[old.b])
    a, b = at[old.a[keep]], at[old.b[keep]]
    fresh = ~replaced[a] & ~replaced[b]
    keep, a, b = keep[fresh], a[fresh], b[fresh]
    ca, cb, ccols = changed
    written = (ca.astype(np.int64) << 32) | cb  # edges written since: their new values win
    order = np.argsort(written)
    written, ca, cb = written[order], ca[order], cb[order]
    key = (a.astype(np.int64) << 32) | b  # ascending still
    hit = np.searchsorted(written, key)
    hit[hit == len(written)] = 0
    kept = written[hit] != key if len(written) else np.ones(len(key), bool)
    new = np.searchsorted(key[kept], written) + np.arange(len(written))  # merged: no sort of the whole
    stay = np.ones(int(kept.sum()) + len(written), bool)
    stay[new] = False

    def merged(old_values: np.ndarray, new_values: np.ndarray) -> np.ndarray:
        out = np.empty(len(stay), old_values.dtype)
        out[stay], out[new] = old_values, new_values
        return out

    rows = keep[kept]
    a, b = merged(a[kept], ca), merged(b[kept], cb)
    cols = {c: merged(old.cols[c][rows], ccols[c][order]) for c in _STORED}
    return hold_maybe_colleagues(store, Edges.assemble(ids, internal, usable, a, b, cols))


def _strings(values: Sequence[str] | pa.Array) -> pa.Array:
    import pyarrow as pa

    return values if isinstance(values, pa.Array) else pa.array(values, pa.string())


def _positions(index: pa.Array, pids: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Index of each of ``pids`` among the sorted ids (``_people``); an id that is not there is left out."""
    import pyarrow.compute as pc

    return pc.index_in(pids, value_set=index).drop_null().to_numpy().astype(np.int32, copy=False)


def _floats(values: Sequence) -> np.ndarray:
    """A column as float64 (None -> NaN); an array stays as it is (``_read`` concatenates: a copy)."""
    if not isinstance(values, np.ndarray):
        try:
            return np.fromiter(values, np.float64, len(values))  # a third of np.array's time on a tuple
        except TypeError:  # a None among them
            pass
    return np.asarray(values, dtype=np.float64)


def _adjacency(people: int, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, ...]:
    """(indptr, nbr, eid, row) of edges (a, b) in (a, b) order, a < b: every edge from both ends, rows in
    person order, neighbours ascending. Row r is its edges (x, r) by ascending x (all x < r), then its
    edges (r, y) in order (all y > r): one stable sort by b instead of a sort of every entry."""
    edges = len(a)
    into, out = np.bincount(b, minlength=people), np.bincount(a, minlength=people)
    indptr = np.zeros(people + 1, np.int64)
    np.cumsum(into + out, out=indptr[1:])
    nbr, eid, row = (np.empty(2 * edges, np.int32) for _ in range(3))
    seq = np.arange(edges, dtype=np.int64)
    by_b = np.argsort(b, kind="stable").astype(np.int32)  # (b, a) order: a ascending within each b
    bs = b[by_b]
    at = indptr[bs] + seq - (np.cumsum(into) - into)[bs]  # the k-th of row r's (x, r) edges
    nbr[at], eid[at], row[at] = a[by_b], by_b, bs
    at = indptr[a] + into[a] + seq - (np.cumsum(out) - out)[a]  # after them, row r's (r, y) edges
    nbr[at], eid[at], row[at] = b, seq, a
    return indptr, nbr, eid, row


class PersonIds(Sequence[str]):
    """Person ids by index, read from the (possibly mapped) sorted id array as needed."""

    def __init__(self, ids: np.ndarray):
        self._ids = ids

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, n):  # type: ignore[override]
        return str(self._ids[n]) if isinstance(n, (int, np.integer)) else [str(x) for x in self._ids[n]]


class PersonIndex(Mapping[str, int]):
    """Person id -> index by binary search in the sorted id array (no per-process dictionary)."""

    def __init__(self, ids: np.ndarray):
        self._ids = ids

    def __getitem__(self, pid: str) -> int:
        at = int(np.searchsorted(self._ids, pid)) if isinstance(pid, str) else len(self._ids)
        if at < len(self._ids) and self._ids[at] == pid:
            return at
        raise KeyError(pid)

    def __iter__(self) -> Iterator[str]:
        return (str(x) for x in self._ids)

    def __len__(self) -> int:
        return len(self._ids)


def hold_maybe_colleagues(store: Store, edges: Edges) -> Edges:
    """Keeps off paths every outsider that an open review item pairs with a colleague: perhaps the
    colleague's own address (``kith review`` decides). Marks them unusable in ``edges``, before any
    file is written (a review decision is a write, so the next generation's file has it)."""
    index = PersonIndex(edges.ids)
    for item in store.review_items(limit=_REVIEW_READ):
        a, b = index.get(item.person_id), index.get(item.other_id)
        if a is not None and b is not None and edges.internal[a] != edges.internal[b]:
            edges.usable[b if edges.internal[a] else a] = False
    return edges


def read_edges(store: Store) -> Edges:
    """The store's people and KNOWS edges as they stand, in two streaming columnar reads."""
    return hold_maybe_colleagues(store, Edges.from_columns(store.iter_person_flags(), store.iter_knows_columns()))
