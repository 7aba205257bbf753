"""Email into the graph: read -> parse (in worker processes) -> resolve identities -> batched writes.

Idempotent (an interaction's id comes from its Message-ID, or a content hash when there is none, and
a known id is never written twice) and resumable (after every committed batch, each source file's
count of committed messages is checkpointed; a rerun passes over them without parsing).
"""

from __future__ import annotations

import multiprocessing
import os
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from graph import ids
from graph.knows import deltas, reply_deltas
from graph.model import Category, Interaction, InteractionKind, InteractionWrite, Participant, Provenance, Role
from graph.settings import Settings
from graph.store import Store
from ingest.checkpoints import Checkpoints
from ingest.email.parse import MessageError, ParsedEmail, parse_message
from ingest.email.sources import RawMessage, ReadError, iter_messages
from ingest.report import RecordError, RunReport
from ingest.resolve import Resolver
from ingest.signatures import SignatureFacts, read_signature
from ingest.topics import key_phrases

WINDOW = 2000  # messages handed to the worker pool at a time (bounds memory)
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|fw|fwd|aw|wg|sv|vs|antw|rif|tr|回复|答复|转发|返信)\s*(?:\[\d+\])?\s*[:：]\s*)+",
                           re.IGNORECASE)
_THREADS_REMEMBERED = 50_000  # subjects kept for threading replies that lack In-Reply-To


@dataclass(slots=True)
class Prepared:
    """What a worker makes of one message: the parsed headers and what privacy lets us derive."""

    msg: ParsedEmail
    topics: list[str] = field(default_factory=list)
    signature: SignatureFacts | None = None


def prepare(item: RawMessage | ReadError, privacy: str) -> Prepared | RecordError:
    """Parse one message and extract its topics and signature. Never raises for bad input."""
    if isinstance(item, ReadError):
        return RecordError(item.source, item.position, item.reason, unreadable=True)
    try:
        msg = parse_message(item)
    except MessageError as exc:
        return RecordError(item.source, item.position, exc.reason)
    except Exception as exc:  # a parser bug must not stop a batch: report it with the message's place
        return RecordError(item.source, item.position, f"unexpected {type(exc).__name__}: {exc}")
    prepared = Prepared(msg)
    if msg.category == Category.PERSONAL:
        if privacy != "metadata":
            prepared.topics = key_phrases(f"{msg.subject}\n{msg.body}")
        if msg.signature:
            sender = msg.from_[0].name if msg.from_ else ""
            prepared.signature = read_signature(msg.signature, sender)
    return prepared


def _prepare_in_worker(args: tuple[RawMessage | ReadError, str]) -> Prepared | RecordError:
    return prepare(*args)


def _prepared(items: Iterator[RawMessage | ReadError], privacy: str, workers: int
              ) -> Iterator[tuple[RawMessage | ReadError, Prepared | RecordError]]:
    """Messages with their prepared form, in input order; parsed by ``workers`` processes, one
    window ahead of the caller so parsing overlaps the database writes."""
    if workers <= 1:
        for item in items:
            yield item, prepare(item, privacy)
        return
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        def submit(window):
            return pool.map_async(_prepare_in_worker, [(i, privacy) for i in window], chunksize=64) if window else None

        window = list(islice(items, WINDOW))
        pending = submit(window)
        while window:
            upcoming = list(islice(items, WINDOW))
            following = submit(upcoming)
            yield from zip(window, pending.get())
            window, pending = upcoming, following


def normalized_subject(subject: str) -> str:
    return " ".join(_REPLY_PREFIX.sub("", subject).casefold().split())


class EmailIngest:
    """One run over some mail. ``run`` returns the report; progress goes to ``on_progress(bytes)``."""

    def __init__(self, store: Store, settings: Settings, *, exclude_addresses: Sequence[str] = (),
                 exclude_domains: Sequence[str] = (), batch_size: int = 500, workers: int | None = None,
                 on_progress: Callable[[int], None] | None = None):
        self.store = store
        self.settings = settings
        self.batch_size = batch_size
        self.workers = workers if workers is not None else min(4, os.cpu_count() or 1)
        self.on_progress = on_progress or (lambda n: None)
        self.resolver = Resolver(store, settings, exclude_addresses, exclude_domains)
        self.report = RunReport("email")
        self._threads: OrderedDict[str, tuple[str, str, str, frozenset[str], int | None]] = OrderedDict()
        self.checkpoints = Checkpoints(store, "email")  # units: messages of each file

    # -- the run ---------------------------------------------------------------------------------
    def run(self, paths: Sequence[Path | str], include: Sequence[str] = (), exclude: Sequence[str] = ()) -> RunReport:
        batch: list[Prepared] = []
        fresh = self._skip_committed(iter_messages(paths, include, exclude))
        for item, result in _prepared(fresh, self.settings.privacy, self.workers):
            self.on_progress(len(item.data) if isinstance(item, RawMessage) else 0)
            if isinstance(item, RawMessage):
                self.checkpoints.advance(item.source)
            if isinstance(result, RecordError):
                self.report.error(result.file, result.position, result.reason,
                                  "unreadable" if result.unreadable else "unparseable")
                continue
            batch.append(result)
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
                resume_from[item.source] = self.checkpoints.resume_point(item.source).units
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
    def _flush(self, batch: list[Prepared]) -> None:
        if not batch:
            self.checkpoints.save()  # messages that were all skipped or unreadable
            return
        self.resolver.prefetch({a for p in batch for a in self._addresses(p.msg)})
        items: dict[str, Interaction] = {}
        for prepared in batch:
            item = self._interaction(prepared)
            if item is None:
                continue
            if item.id in items:
                self.report.duplicates += 1
                continue
            items[item.id] = item
        with self.store.batch():  # people, mail and checkpoint commit together
            created, queued = self.resolver.drain()
            writes = self._with_deltas(items)
            new = self.store.add_interactions(writes)
            self.checkpoints.save()
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

    def _addresses(self, msg: ParsedEmail) -> Iterator[str]:
        for a in (*msg.from_, *msg.to, *msg.cc, *msg.bcc):
            normalized = self.resolver.normalize(a.address)
            if normalized:
                yield normalized

    def _interaction(self, prepared: Prepared) -> Interaction | None:
        msg = prepared.msg
        prov = Provenance("email", msg.source, msg.message_id or msg.position)
        resolver = self.resolver
        sender = next((n for n in (resolver.normalize(a.address) for a in msg.from_) if n), None)
        if sender is None:
            self.report.skip("no sender address")
            return None
        if resolver.is_excluded(sender):
            self.report.skip("excluded")
            return None
        sender_id = resolver.person(msg.from_[0].name, sender, msg.date, prov)
        if sender_id is None:
            self.report.skip("erased person")
            return None
        participants = [Participant(sender_id, Role.FROM, address=sender)]
        for role, addresses in ((Role.TO, msg.to), (Role.CC, msg.cc), (Role.BCC, msg.bcc)):
            for a in addresses:
                address = resolver.normalize(a.address)
                if not address or resolver.is_excluded(address):
                    continue
                pid = resolver.person(a.name, address, msg.date, prov)
                if pid is not None:
                    participants.append(Participant(pid, role, address=address))
        if prepared.signature:
            self._read_signature(sender_id, sender, prepared.signature, msg.date, prov)

        key = msg.message_id or f"sha256:{msg.content_hash}"
        iid = ids.interaction_id("email", key)
        parent_id, thread_id = self._thread(msg, iid, sender, participants)
        privacy = self.settings.privacy
        return Interaction(
            id=iid,
            kind=InteractionKind.EMAIL,
            occurred_at=msg.date,
            participants=participants,
            subject="" if privacy == "metadata" else msg.subject,
            topics=prepared.topics,
            body=msg.body if privacy == "full" else "",
            thread_id=thread_id,
            parent_id=parent_id,
            category=msg.category,
            provenance=prov,
        )

    def _read_signature(self, pid: str, address: str, facts: SignatureFacts, at: int | None, prov: Provenance) -> None:
        resolver = self.resolver
        if facts.phones:
            resolver.add_phones(pid, facts.phones, prov)
        if not (facts.title or facts.company):
            return
        org = resolver.company(facts.company, prov) if facts.company else resolver.org_of_address(address, prov)
        if org:
            resolver.employ(pid, org, facts.title, at, prov)

    def _thread(self, msg: ParsedEmail, iid: str, sender: str, participants: list[Participant]) -> tuple[str, str]:
        """(parent id, thread id): from In-Reply-To / References, else a reply's subject."""
        parent_mid = msg.in_reply_to or (msg.references[-1] if msg.references else "")
        root_mid = msg.references[0] if msg.references else parent_mid
        subject = normalized_subject(msg.subject)
        if parent_mid:
            parent_id, thread_id = ids.interaction_id("email", parent_mid), ids.interaction_id("email", root_mid)
        else:
            parent_id, thread_id = self._thread_by_subject(msg, subject, sender)
            thread_id = thread_id or iid
        if subject:
            recipients = frozenset(p.address for p in participants[1:])
            self._threads[subject] = (iid, thread_id, sender, recipients, msg.date)
            self._threads.move_to_end(subject)
            if len(self._threads) > _THREADS_REMEMBERED:
                self._threads.popitem(last=False)
        return parent_id, thread_id

    def _thread_by_subject(self, msg: ParsedEmail, subject: str, sender: str) -> tuple[str, str]:
        """A last resort: "Re: X" answers the latest "X" this sender received earlier."""
        if not subject or not _REPLY_PREFIX.match(msg.subject):
            return "", ""
        found = self._threads.get(subject)
        if not found:
            return "", ""
        parent_id, thread_id, _, recipients, at = found
        if sender not in recipients or (msg.date is not None and at is not None and at > msg.date):
            return "", ""
        return parent_id, thread_id


def ingest_email(store: Store, settings: Settings, paths: Sequence[Path | str], **options) -> RunReport:
    """Ingest mail files and folders; see ``EmailIngest`` for the options."""
    include = options.pop("include", ())
    exclude = options.pop("exclude", ())
    return EmailIngest(store, settings, **options).run(paths, include, exclude)
