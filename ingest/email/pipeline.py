"""Email into the graph: read -> parse (in worker processes) -> resolve identities -> batched writes.

Idempotent (an interaction's id comes from its Message-ID, or a content hash when there is none, and
a known id is never written twice) and resumable (after every committed batch, each source file's
count of committed messages is checkpointed; a rerun passes over them without parsing).
"""

from __future__ import annotations

import multiprocessing
import os
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from itertools import chain, islice
from pathlib import Path
from typing import Protocol

from kith.graph.knows import deltas, reply_deltas
from kith.graph.model import (
    Attendance, Category, Interaction, InteractionKind, InteractionWrite, Participant, Provenance, Role,
)
from kith.graph.gc_tuning import fewer_collections
from kith.graph.settings import PrivacyMode, Settings
from kith.graph.store import Store
from kith.ingest.checkpoints import Checkpoints
from kith.ingest.email.parse import Limits
from kith.ingest.email.prepare import Mail, prepare
from kith.ingest.email.sources import RawMessage, ReadError, iter_messages
from kith.ingest.report import RunReport, skip_category
from kith.ingest.resolve import Resolver
from kith.ingest.signatures import load_matcher

WINDOW = 2000  # messages handed to the worker pool at a time
_CHUNK = 100  # messages per task a worker takes
_THREADS_REMEMBERED = 50_000  # subjects kept for threading replies that lack In-Reply-To
_CATEGORIES = {c.value: c for c in Category}
_UNKNOWN = Attendance.UNKNOWN


class Progress(Protocol):
    """Where a run has got to: told of every message handled, saved with every committed batch."""

    def seen(self, item: RawMessage | ReadError) -> None: ...
    def save(self) -> None: ...


class _FileProgress:
    """Files: each file's count of committed messages (unreadable regions are not counted)."""

    def __init__(self, checkpoints: Checkpoints):
        self.checkpoints = checkpoints

    def seen(self, item: RawMessage | ReadError) -> None:
        if isinstance(item, RawMessage):
            self.checkpoints.advance(item.source)

    def save(self) -> None:
        self.checkpoints.save()


def _prepared(items: Iterator[RawMessage | ReadError], privacy: PrivacyMode, limits: Limits, workers: int, ahead: int
              ) -> Iterator[tuple[RawMessage | ReadError, Mail | str | None]]:
    """Messages with what ``prepare`` makes of them (None for a ReadError, the reason for a message
    past a size limit, which is never parsed), in input order; parsed
    by ``workers`` processes up to ``ahead`` messages ahead of the caller, so that parsing goes on
    while a batch is written (this bounds memory)."""
    if workers > 1:
        first = list(islice(items, _CHUNK + 1))
        if len(first) <= _CHUNK:  # one chunk is one worker's task: a pool would gain nothing
            workers = 1
        items = chain(first, items)
    if workers <= 1:
        for item in items:
            yield item, (None if isinstance(item, ReadError) else item.over_limit
                         or prepare(item.data, privacy, limits))
        return
    load_matcher()  # each forked worker would otherwise build its own (~0.2 s of CPU)
    # Not multiprocessing.Pool: its worker-handler thread also waits on the result pipe, so it spins
    # while a result waits to be read, competing with this thread for the GIL.
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    try:
        def submit(window):
            data = [i.data for i in window if _parsed(i)]
            return [pool.submit(_prepare_all, data[n : n + _CHUNK], privacy, limits)
                    for n in range(0, len(data), _CHUNK)]

        def merged(window, pending):
            results = chain.from_iterable(f.result() for f in pending)
            return ((i, _mail(next(results)) if _parsed(i) else getattr(i, "over_limit", None)) for i in window)

        queue: deque = deque()
        while True:
            while len(queue) * WINDOW < ahead and (window := list(islice(items, WINDOW))):
                queue.append((window, submit(window)))
            if not queue:
                return
            yield from merged(*queue.popleft())
    finally:  # a caller that stops early (an error while writing) does not wait for the parses queued
        pool.shutdown(cancel_futures=True)


def _parsed(item: RawMessage | ReadError) -> bool:
    return isinstance(item, RawMessage) and not item.over_limit


def _prepare_all(chunk: list[bytes], privacy: PrivacyMode, limits: Limits) -> list[tuple | str]:
    """Plain tuples travel back: a named tuple costs twice as much to pickle and unpickle."""
    return [m if isinstance(m := prepare(data, privacy, limits), str) else tuple(m) for data in chunk]


def _mail(result: tuple | str) -> Mail | str:
    return result if isinstance(result, str) else Mail._make(result)


class EmailIngest:
    """One run over some mail. ``run`` returns the report; progress goes to ``on_progress(bytes)``."""

    def __init__(self, store: Store, settings: Settings, *, exclude_addresses: Sequence[str] = (),
                 exclude_domains: Sequence[str] = (), batch_size: int | None = None, workers: int | None = None,
                 on_progress: Callable[[int], None] | None = None):
        self.store = store
        self.settings = settings
        self.batch_size = batch_size or settings.email_batch
        self.workers = workers if workers is not None else min(4, os.cpu_count() or 1)
        self.on_progress = on_progress or (lambda n: None)
        self.resolver = Resolver(store, settings, exclude_addresses, exclude_domains)
        self.report = RunReport("email")
        self._threads: OrderedDict[str, tuple[str, str, str, frozenset[str], int | None]] = OrderedDict()
        # (person, address, signature facts) read in this batch -> the organisation they gave (None: none)
        self._signatures: dict[tuple[str, str, tuple[str, str, tuple[str, ...]]], str | None] = {}
        # (person, role, address) -> its Participant: immutable, so one object serves every message it is in
        # (one built per message cost ~3 us of the main process's ~110, and was one more object for the GC)
        self._participants: dict[tuple[str, Role, str], Participant] = {}
        self.checkpoints = Checkpoints(store, "email", self.report)  # units: messages of each file

    # -- the run ---------------------------------------------------------------------------------
    def run(self, paths: Sequence[Path | str], include: Sequence[str] = (), exclude: Sequence[str] = ()) -> RunReport:
        with fewer_collections():
            items = iter_messages(paths, include, exclude, self.settings.max_message_bytes)
            return self._run(self._skip_committed(items), _FileProgress(self.checkpoints))

    def run_messages(self, items: Iterable[RawMessage | ReadError], progress: Progress) -> RunReport:
        """Mail from elsewhere (a mail server): ``progress`` is told of each message as it is handled
        and saved with every committed batch, so that the caller knows where to resume."""
        with fewer_collections():
            return self._run(iter(items), progress)

    def _run(self, fresh: Iterator[RawMessage | ReadError], progress: Progress) -> RunReport:
        self._progress = progress
        batch: list[tuple[str, str, Mail]] = []  # (source, position, mail)
        ahead = self.batch_size + 2 * WINDOW  # the workers parse a whole batch while it is written
        limits = Limits(self.settings.max_header_bytes, self.settings.max_recipients)
        for item, result in _prepared(fresh, self.settings.privacy, limits, self.workers, ahead):
            progress.seen(item)
            if isinstance(item, ReadError):
                self.on_progress(0)
                self.report.error(item.source, item.position, item.reason, "unreadable")
                continue
            self.on_progress(len(item.data))
            if isinstance(result, str):
                self.report.error(item.source, item.position, result, skip_category(result))
                continue
            batch.append((item.source, item.position, result))
            if len(batch) >= self.batch_size:
                self._flush(batch)
                batch = []
        self._flush(batch)
        return self.report

    def _skip_committed(self, items: Iterable[RawMessage | ReadError]) -> Iterator[RawMessage | ReadError]:
        """Count every message, and pass over those an earlier run already committed."""
        seen: dict[str, int] = {}
        resume_from: dict[str, int] = {}
        for item in items:
            if item.source not in seen:
                self.report.files += 1
                mark = self.checkpoints.resume_point(item.source)
                resume_from[item.source] = mark.units
                self.report.resumed -= mark.skipped.total()  # counted below as resumed, told as skipped
                seen[item.source] = 0
            if isinstance(item, RawMessage):
                self.report.records += 1
                seen[item.source] += 1
                if seen[item.source] <= resume_from[item.source]:
                    self.report.resumed += 1
                    self.on_progress(len(item.data))
                    continue
            yield item

    # -- one batch -------------------------------------------------------------------------------
    def _flush(self, batch: list[tuple[str, str, Mail]]) -> None:
        if not batch:
            self._progress.save()  # messages that were all skipped or unreadable
            return
        self.resolver.prefetch({a for _, _, mail in batch for a in _addresses(mail)})
        signed = [mail for _, _, mail in batch if mail.signature and mail.senders]
        self.resolver.prefetch_orgs({m.senders[0] for m in signed}, {m.signature[1] for m in signed if m.signature[1]})
        items: dict[str, Interaction] = {}
        for source, position, mail in batch:
            item = self._interaction(source, position, mail)
            if item is None:
                continue
            if item.id in items:
                self.report.duplicates += 1
                continue
            items[item.id] = item
        with self.store.batch():  # people, mail and checkpoint commit together
            created, queued = self.resolver.drain()
            self._signatures.clear()
            writes = self._with_deltas(items)
            new = self.store.add_interactions(writes)
            self.resolver.settle()
            self._progress.save()
        self.report.people += created
        self.report.review += queued
        self.report.ingested += len(new)
        self.report.duplicates += len(writes) - len(new)

    def _with_deltas(self, items: dict[str, Interaction]) -> list[InteractionWrite]:
        """Each interaction with its KNOWS deltas, replies included whichever side arrives second."""
        parent_ids = {i.parent_id for i in items.values() if i.parent_id} - items.keys()
        parents = {**self.store.get_interactions(parent_ids), **items}
        children: dict[str, list[Interaction]] = {}
        for child in self.store.replies_to(items):
            children.setdefault(child.parent_id, []).append(child)
        writes = []
        for item in items.values():
            found = deltas(item, parents.get(item.parent_id) if item.parent_id else None)
            for child in children.get(item.id, ()):
                if child.id not in items:
                    found += reply_deltas(child, item)
            writes.append(InteractionWrite(item, tuple(found)))
        return writes

    def _interaction(self, source: str, position: str, mail: Mail) -> Interaction | None:
        prov = Provenance("email", source, mail.message_id or position)
        resolver = self.resolver
        if not mail.senders:
            self.report.skip("no sender address", source)
            return None
        sender = mail.senders[0]
        if resolver.is_excluded(sender):
            self.report.skip("excluded", source)
            return None
        sender_id = resolver.person(mail.sender_name, sender, mail.date, prov)
        if sender_id is None:
            self.report.skip("erased person", source)
            return None
        known = self._participants
        participants = [_participant(known, sender_id, Role.FROM, sender)]
        person, excluded, at = resolver.person, resolver.is_excluded, mail.date  # looked up once per message
        for role, addresses in ((Role.TO, mail.to), (Role.CC, mail.cc), (Role.BCC, mail.bcc)):
            for name, address in addresses:
                if excluded(address):
                    continue
                pid = person(name, address, at, prov)
                if pid is not None:
                    participants.append(_participant(known, pid, role, address))
        if mail.signature:
            self._read_signature(sender_id, sender, mail.signature, mail.date, prov)
        if mail.is_forward and len(participants) == 2:  # a forward to oneself links a personal address
            other = participants[1]
            resolver.link_personal(sender_id, sender, other.person_id, other.address, "mail forwarded")

        parent_id, thread_id = self._thread(mail, sender, participants)
        return Interaction(
            id=mail.iid,
            kind=InteractionKind.EMAIL,
            occurred_at=mail.date,
            participants=participants,
            subject=mail.subject,
            topics=mail.topics,
            body=mail.body,
            terms=mail.terms,
            search_tokens=mail.search_tokens,
            thread_id=thread_id,
            parent_id=parent_id,
            category=_CATEGORIES[mail.category],
            provenance=prov,
        )

    def _read_signature(self, pid: str, address: str, facts: tuple[str, str, tuple[str, ...]], at: int | None,
                        prov: Provenance) -> None:
        """A sender signs most of their mail alike: a signature read before in the batch for the same
        person and address only dates the job again (its phones, organisation and link are pending
        already; per batch, because what is pending, with its provenance, starts anew with each)."""
        resolver = self.resolver
        key = (pid, address, facts)
        title, company, phones = facts
        if key in self._signatures:
            if org := self._signatures[key]:
                resolver.employ(pid, org, title, at, prov)
            return
        org = None
        if phones:
            resolver.add_phones(pid, phones, prov)
        if title or company:
            org = resolver.company(company, prov) if company else resolver.org_of_address(address, prov)
        if org:
            resolver.employ(pid, org, title, at, prov)
            if company:
                resolver.link_signed(pid, address, org, prov)
        self._signatures[key] = org

    def _thread(self, mail: Mail, sender: str, participants: list[Participant]) -> tuple[str, str]:
        """(parent id, thread id): from In-Reply-To / References, else a reply's subject."""
        subject = mail.thread_key
        if mail.parent_id:
            parent_id, thread_id = mail.parent_id, mail.root_id
        else:
            parent_id, thread_id = self._thread_by_subject(mail, sender)
            thread_id = thread_id or mail.iid
        if subject:
            recipients = frozenset(p.address for p in participants[1:])
            self._threads[subject] = (mail.iid, thread_id, sender, recipients, mail.date)
            self._threads.move_to_end(subject)
            if len(self._threads) > _THREADS_REMEMBERED:
                self._threads.popitem(last=False)
        return parent_id, thread_id

    def _thread_by_subject(self, mail: Mail, sender: str) -> tuple[str, str]:
        """A last resort: "Re: X" answers the latest "X" this sender received earlier."""
        if not mail.thread_key or not mail.is_reply:
            return "", ""
        found = self._threads.get(mail.thread_key)
        if not found:
            return "", ""
        parent_id, thread_id, _, recipients, at = found
        if sender not in recipients or (mail.date is not None and at is not None and at > mail.date):
            return "", ""
        return parent_id, thread_id


def _participant(known: dict[tuple[str, Role, str], Participant], pid: str, role: Role, address: str) -> Participant:
    """The run's one Participant for (person, role, address), made the first time it is asked for."""
    found = known.get((pid, role, address))
    if found is None:
        found = known[pid, role, address] = Participant(pid, role, _UNKNOWN, address)  # positional: cheaper
    return found


def _addresses(mail: Mail) -> Iterator[str]:
    yield from mail.senders
    for addresses in (mail.to, mail.cc, mail.bcc):
        for _, address in addresses:
            yield address


def ingest_email(store: Store, settings: Settings, paths: Sequence[Path | str], **options) -> RunReport:
    """Ingest mail files and folders; see ``EmailIngest`` for the options."""
    include = options.pop("include", ())
    exclude = options.pop("exclude", ())
    return EmailIngest(store, settings, **options).run(paths, include, exclude)
