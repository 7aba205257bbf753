"""The network's file: ``graph.edges.Edges`` of one store generation, written once beside the store
(``Store.network_dir``) and memory-mapped by every process that serves it.

One folder per stamp (the store's id and generation) holding one ``.npy`` per array. The operating
system shares mapped pages, so N API workers hold one copy, and a restart maps the file instead of
reading the store. Every write to the store moves its generation on: the next ``load_network`` finds
no folder for the new stamp and builds one, one process at a time under a lock (the others wait, then
map it). The new folder is built from the previous one where the store's change record allows
(``graph.edges.refresh_edges``: only what was written since is read), else from the whole store. Only
the folder of the current stamp is ever served, so a stale file is never used; older folders are
removed (a process still mapping one keeps its pages until it lets go).
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from kith.graph.edges import Edges, read_edges, refresh_edges
from kith.graph.store import STORE_ID_KEY, Store

log = logging.getLogger(__name__)
_COMPLETE = "stamp"  # written last: a folder without it is unfinished
_FORMAT = 2  # part of every folder's name: bump when the arrays change, so no older file is opened


def shared_edges(store: Store, generation: int) -> Edges:
    """``store``'s edges at ``generation``, mapped from its network file (built first when missing).
    Falls back to reading them into memory when the folder cannot be written."""
    folder = store.network_dir()
    if folder is None:
        return read_edges(store)
    store_id = store.get_meta(STORE_ID_KEY) or "store"
    name = _name(store_id, generation)
    try:
        if not (folder / name / _COMPLETE).exists():
            folder.mkdir(parents=True, exist_ok=True)
            with _locked(folder / ".lock"):
                if not (folder / name / _COMPLETE).exists():
                    edges = _refreshed(store, folder, store_id, generation) or read_edges(store)
                    if store.generation() != generation:  # written to while we read: not this stamp's
                        return edges
                    _write(edges, folder, name)
        return _open(folder / name)
    except OSError as exc:
        log.warning("Cannot use the network file in %s (%s); reading the network into memory. "
                    "Make the folder writable to share one copy between processes.", folder, exc)
        return read_edges(store)


def _name(store_id: str, generation: int) -> str:
    return f"{store_id}-{generation}-v{_FORMAT}"


def _refreshed(store: Store, folder: Path, store_id: str, generation: int) -> Edges | None:
    """The edges at ``generation`` from the newest earlier complete folder of this store and the store's
    change record; None when there is none, or too much changed."""
    earlier = []
    for path in folder.iterdir():
        stem, _, gen = path.name.removesuffix(f"-v{_FORMAT}").rpartition("-")
        if stem == store_id and gen.isdigit() and int(gen) < generation and (path / _COMPLETE).exists():
            earlier.append(int(gen))
    if not earlier:
        return None
    since = max(earlier)
    return refresh_edges(store, _open(folder / _name(store_id, since)), since)


def discard(store: Store) -> None:
    """Remove every network file of ``store`` (a process mapping one keeps its pages until it lets go)."""
    folder = store.network_dir()
    if folder is not None and folder.exists():
        with _locked(folder / ".lock"):
            _remove_all_but(folder, ".lock")


def _write(edges: Edges, folder: Path, name: str) -> None:
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=folder))
    try:
        for array in Edges.ARRAYS:
            np.save(building / f"{array}.npy", getattr(edges, array))
        for column in Edges.COLUMNS:
            np.save(building / f"col_{column}.npy", edges.cols[column])
        (building / _COMPLETE).write_text(name)
        os.rename(building, folder / name)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    _remove_all_but(folder, name, ".lock")  # earlier generations, and folders a crashed build left


def _remove_all_but(folder: Path, *keep: str) -> None:
    for old in folder.iterdir():
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)


def _open(path: Path) -> Edges:
    arrays = {a: _mapped(path / f"{a}.npy") for a in Edges.ARRAYS}
    cols = {c: _mapped(path / f"col_{c}.npy") for c in Edges.COLUMNS}
    return Edges(cols=cols, **arrays)


def _mapped(file: Path) -> np.ndarray:
    # a plain ndarray over the mapping (which it keeps open): np.memmap's Python __getitem__ cost a warm
    # path ~8 % of its search and explanation, read one element at a time
    return np.load(file, mmap_mode="r").view(np.ndarray)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
