"""The typed per-request context: who asks, what they may see, and the loaders that read for them.

Built once per request by ``api.app`` after the token is checked. ``scope`` is the reader's
``graph.scope.Scope`` (their ethical walls), computed once here and passed to every graph read;
``loaders`` are created per request so nothing cached for one reader serves another.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from strawberry.fastapi import BaseContext
from strawberry.types import Info

from kith.api.access import AccessRole, AccessStore, User
from kith.api.jobs import JobRunner
from kith.api.graphql.loaders import Loaders
from kith.graph.scope import Scope
from kith.api.settings import ApiSettings
from kith.graph.store import Store

R = TypeVar("R")
GRAPH_THREADS = 4  # graph reads are CPU-bound Python: more threads only queue on the GIL
_graph_threads = ThreadPoolExecutor(GRAPH_THREADS, thread_name_prefix="kith-graph")


async def run_blocking(fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
    """Run a graph computation in a worker thread, so the event loop (and the per-query time limit)
    keeps running while it works. At most ``GRAPH_THREADS`` run at once per process."""
    return await asyncio.get_running_loop().run_in_executor(_graph_threads, functools.partial(fn, *args, **kwargs))


async def read_now(fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
    """A store look-up by id or index, run on the event loop: it takes well under a millisecond, less
    than handing it to a thread and back (which, under load, can wait out the GIL's 5 ms switch)."""
    return fn(*args, **kwargs)


class AuditWriter:
    """Writes audit entries off the request path: each request hands its entries over when it ends, and
    a background thread writes them every ``interval`` seconds (and on ``flush``). One write per user
    and operation instead of one per request keeps the access database's commits out of the latency;
    at most ``interval`` seconds of entries are lost if the process dies."""

    def __init__(self, access: AccessStore, interval: float = 0.5):
        self.access = access
        self.interval = interval
        self._pending: dict[tuple[User, str], dict[str, None]] = {}
        self._lock = threading.Lock()
        self._writing = threading.Lock()  # one flush at a time: a flush waits for the one under way
        self._wake = threading.Event()
        self._stopped = False
        self._thread = threading.Thread(target=self._loop, name="kith-audit", daemon=True)
        self._thread.start()

    def add(self, user: User, operation: str, person_ids: Iterable[str]) -> None:
        with self._lock:
            self._pending.setdefault((user, operation), {}).update(dict.fromkeys(person_ids))

    def flush(self) -> None:
        """Write every entry handed over so far, those the background thread is writing too: a read of the
        audit log after a flush sees them."""
        with self._writing:
            with self._lock:
                pending, self._pending = self._pending, {}
            for (user, operation), ids in pending.items():
                if ids:
                    self.access.audit(user, operation, ids)

    def _loop(self) -> None:
        while not self._stopped:
            self._wake.wait(self.interval)
            try:
                self.flush()
            except Exception:  # an unwritable audit file must not kill the thread; say so and retry
                logging.getLogger("kith.api").exception("could not write the audit log")

    def close(self) -> None:
        self._stopped = True
        self._wake.set()
        self._thread.join(timeout=5)
        self.flush()


@dataclass(eq=False)
class KithContext(BaseContext):
    settings: ApiSettings
    store: Store
    access: AccessStore
    jobs: JobRunner
    audit_writer: AuditWriter
    user: User | None  # None only for GraphiQL's page itself: no operation runs without a user
    scope: Scope
    loaders: Loaders = field(init=False)
    operation: str = ""  # the operation's root fields, for the audit log
    audited: dict[str, dict[str, None]] = field(default_factory=dict)  # operation -> person ids

    def __post_init__(self) -> None:
        BaseContext.__init__(self)
        self.loaders = Loaders(self.store, read_now, self.scope)

    # -- who -------------------------------------------------------------------------------------
    @property
    def is_admin(self) -> bool:
        return self.user is not None and self.user.role == AccessRole.ADMIN

    @property
    def person_id(self) -> str:
        return self.user.person_id if self.user else ""

    # -- reads -----------------------------------------------------------------------------------
    async def run(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        return await run_blocking(fn, *args, **kwargs)

    async def read(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """A graph read, with the reader's scope passed in."""
        return await run_blocking(fn, *args, scope=self.scope, **kwargs)

    # -- audit -----------------------------------------------------------------------------------
    def audit(self, person_ids: Iterable[str]) -> None:
        """Record that this request returned these people (written once, when the request ends)."""
        bucket = self.audited.setdefault(self.operation or "query", {})
        for pid in person_ids:
            bucket[pid] = None

    def flush_audit(self) -> None:
        """Hand this request's entries to the audit writer."""
        if self.user is None:
            return
        for operation, ids in self.audited.items():
            if ids:
                self.audit_writer.add(self.user, operation, ids)
        self.audited.clear()


def context_of(info: Info) -> KithContext:
    return info.context
