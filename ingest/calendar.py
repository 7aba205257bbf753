"""Calendars into the graph: .ics files -> meeting occurrences -> resolved participants -> batched writes.

Reading (no database): each file is read event by event, twice (which UID each VEVENT has, then each
series parsed with icalendar once its last event is read, the calendar's time zones parsed once for all),
so memory stays bounded and a broken event costs only its own series; an event longer than
max_event_bytes is skipped. A series is one UID's VEVENTs (a master and its RECURRENCE-ID overrides).
A series with RRULE/RDATE is expanded with recurring-ical-events between ``now - recurrence_lookback_days``
and ``now + recurrence_horizon_days`` (EXDATEs and cancelled overrides drop out there); any other event is
one occurrence wherever it lies.
Google exports' X-WR-TIMEZONE is applied first; floating times are read as UTC.

Choices:
- An occurrence's id is ``meeting`` + UID, plus the RECURRENCE-ID (the original start, in UTC) for a
  recurring or overriding one; an event without UID is keyed on its start, summary and organizer.
  Re-ingesting, or the same invitation in two people's exports, adds nothing.
- STATUS:CANCELLED (on the event, on an override, or METHOD:CANCEL) is skipped as "cancelled".
- PARTSTAT becomes Attendance (DELEGATED counts as declined: someone else went); the organizer is
  ACCEPTED unless they also appear as a declining attendee. CUTYPE ROOM, RESOURCE and GROUP are not
  people. Only mailto: addresses (or an EMAIL parameter) become participants, through the Resolver.
- An event with at least one person is stored even when alone (it adds no KNOWS); one with nobody
  is skipped as "no participants" (a recurring series without any ORGANIZER or ATTENDEE, such as
  a holiday calendar, is one such skip, not expanded). A recurring series with no occurrence in
  the window is one skip.
- Privacy: metadata keeps neither SUMMARY nor DESCRIPTION; topics keeps SUMMARY and key phrases of
  both; full also keeps DESCRIPTION as the body.
- Report: ``records`` counts occurrences, plus events that could not be read (errors naming the
  file and UID) and skipped series. A file that is not a calendar is an error; a calendar with no
  VEVENT is skipped as "file without events"; neither counts as a record (as an unreadable mail
  file in the email ingest). Checkpoints count series per file.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

import icalendar
import recurring_ical_events
import x_wr_timezone

from kith.graph import ids
from kith.graph.knows import deltas
from kith.graph.model import Attendance, Interaction, InteractionKind, InteractionWrite, Participant, Provenance, Role
from kith.graph.settings import Settings
from kith.graph.store import Store
from kith.ingest.checkpoints import Checkpoints
from kith.ingest.files import BoundedLines, ReadLimits, file_size, files_under
from kith.ingest.report import RunReport, over_limit, skip_category
from kith.ingest.resolve import Resolver
from kith.ingest.topics import kept_topics_and_terms

CALENDAR_SUFFIXES = (".ics", ".ical", ".icalendar", ".ifb")
_NOT_PEOPLE = frozenset({"ROOM", "RESOURCE", "GROUP"})
_PARTSTAT = {
    "ACCEPTED": Attendance.ACCEPTED,
    "TENTATIVE": Attendance.TENTATIVE,
    "DECLINED": Attendance.DECLINED,
    "DELEGATED": Attendance.DECLINED,
    "NEEDS-ACTION": Attendance.NEEDS_ACTION,
}
MAX_OCCURRENCES = 5000  # per series and window: a FREQ=MINUTELY rule must not flood the graph


@dataclass(frozen=True, slots=True)
class Attendee:
    name: str
    address: str  # as written, without "mailto:"
    status: Attendance = Attendance.UNKNOWN


@dataclass(slots=True)
class Occurrence:
    """One meeting as read from a file, before identity resolution."""

    source: str
    uid: str
    key: str  # natural key of the interaction id
    start: int | None
    duration_s: int | None
    all_day: bool
    summary: str
    description: str
    organizer: Attendee | None
    attendees: list[Attendee]


@dataclass(slots=True)
class Series:
    """A unit of reading: one UID's events in one file, or a file that could not be read."""

    source: str
    position: str
    occurrences: list[Occurrence] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # reasons, one per record not taken
    error: str = ""

    @property
    def records(self) -> int:
        return len(self.occurrences) + len(self.skipped) + (1 if self.error else 0)


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    stop: datetime

    @classmethod
    def around(cls, now: datetime, settings: Settings) -> Window:
        return cls(now - timedelta(days=settings.recurrence_lookback_days),
                   now + timedelta(days=settings.recurrence_horizon_days))


# -- reading -------------------------------------------------------------------------------------
def iter_calendar_files(paths: Iterable[Path | str]) -> Iterator[str]:
    return files_under(paths, lambda name: name.lower().endswith(CALENDAR_SUFFIXES))


def read_calendar(path: str, window: Window, skip: int = 0, data: bytes | None = None,
                  limits: ReadLimits = ReadLimits()) -> Iterator[Series]:
    """The series of one file (or of ``data``, fetched from ``path``), in order; the first ``skip`` are
    counted but not expanded. Never raises for bad input: an unreadable file or event comes back as a
    Series with ``error``, and the file's other events still come back."""
    try:
        f = io.BytesIO(data) if data is not None else open(path, "rb")
    except OSError as exc:
        yield Series(path, "file", error=f"cannot read the file: {exc.strerror or exc}")
        return
    with f:
        try:
            yield from _streamed(path, f, window, skip, limits.event_bytes)
        except OSError as exc:
            yield Series(path, "file", error=f"cannot read the file: {exc.strerror or exc}")


_BEGIN = re.compile(r"BEGIN:(\S*)\s*$", re.IGNORECASE)
_END = re.compile(r"END:(\S+)\s*$", re.IGNORECASE)
_UID = re.compile(r"UID[;:]", re.IGNORECASE)


def _components(lines: BoundedLines) -> Iterator[tuple[int, str, list[str], int]]:
    """(calendar number, name, lines, characters) of each component of each VCALENDAR, in order: "" for the
    calendar's own property lines; of a component longer than the limit only the lines before it are kept.
    A top-level component that is not a VCALENDAR comes back as calendar 0, without its lines."""
    number, name, block, depth = 0, "", [], 0
    for line in lines:
        if not depth:
            begin = _BEGIN.match(line)
            if begin and begin.group(1).upper() == "VCALENDAR":
                number, depth, block = number + 1, 1, []
            elif begin:
                yield 0, begin.group(1).upper(), [], 0
            continue
        if depth == 1:
            begin = _BEGIN.match(line)
            if begin:
                yield number, "", block, 0  # the calendar's properties so far
                lines.start_record()
                name, depth, block = begin.group(1).upper(), 2, [line]
            elif _END.match(line):
                yield number, "", block, 0
                depth, block = 0, []
            else:
                block.append(line)
            continue
        if lines.read <= lines.limit:  # past the limit: read on to its END, keeping no more
            block.append(line)
        if _BEGIN.match(line):
            depth += 1
        elif _END.match(line):
            depth -= 1
            if depth == 1:
                yield number, name, block, lines.read
                block = []


def _uid(block: list[str]) -> str:
    """The event's own UID (not an alarm's), its lines unfolded."""
    unfolded: list[str] = []
    for line in block[1:]:
        if line[:1] in (" ", "\t") and unfolded:
            unfolded[-1] += line[1:].rstrip("\r\n")
        else:
            unfolded.append(line.rstrip("\r\n"))
    depth = 0
    for line in unfolded:
        if _BEGIN.match(line):
            depth += 1
        elif _END.match(line):
            depth -= 1
        elif not depth and _UID.match(line):
            return line.split(":", 1)[1].strip()
    return ""


def _streamed(path: str, f: BinaryIO, window: Window, skip: int, limit: int) -> Iterator[Series]:
    """A calendar read twice, event by event: first which UID each event has, then each series (a UID's
    events, with the calendar's properties and time zones) parsed as soon as its last event is read, so a
    broken event costs only its series. Memory: the largest series, the time zones, and a number per event."""
    last: dict[tuple[int, str], int] = {}  # (calendar, UID) -> the number of its last event
    lines = BoundedLines(f, limit, legacy="utf-8")  # as icalendar reads bytes: replaced if not UTF-8
    events, calendars, strays = Counter(), set(), []
    for cal, name, block, _ in _components(lines):
        if not cal:
            strays.append(name)
            continue
        calendars.add(cal)
        if name == "VEVENT":
            events[cal] += 1
            last[(cal, _uid(block) or f"(no UID, event {events[cal]})")] = events[cal]
    if strays:
        yield Series(path, "file", error=f"invalid calendar: top-level {strays[0]}, not VCALENDAR")
    if not last:
        if calendars:
            yield Series(path, "file", skipped=["file without events"])
        elif not strays:
            yield Series(path, "file", error="invalid calendar: no BEGIN:VCALENDAR found")
        return
    lines.rewind()
    pending: dict[tuple[int, str], list[tuple[list[str], int]]] = {}
    head: dict[int, list[str]] = defaultdict(list)  # each calendar's properties
    zones: dict[int, tuple[str, ...]] = defaultdict(tuple)  # and its time zones' lines
    events, n = Counter(), 0
    for cal, name, block, size in _components(lines):
        if not cal:
            continue
        if name == "":
            head[cal] += block
        elif name == "VTIMEZONE":
            zones[cal] += tuple(block)
        if name != "VEVENT":
            continue
        events[cal] += 1
        key = (cal, _uid(block) or f"(no UID, event {events[cal]})")
        pending.setdefault(key, []).append((block, size))
        if last[key] != events[cal]:
            continue
        n, uid, blocks = n + 1, key[1], pending.pop(key)
        too_big = max((size for _, size in blocks if size > limit), default=0)
        if n <= skip:
            yield Series(path, uid)
        elif too_big:
            yield Series(path, _position(n, uid),
                         error=over_limit(f"an event of {too_big:,} characters", limit, "KITH_MAX_EVENT_BYTES"))
        else:
            yield _parsed_series(path, n, uid, head[cal], zones[cal],
                                 [line for block, _ in blocks for line in block], window)


@lru_cache(maxsize=8)  # a calendar's zones come before its events; a file rarely holds more than one calendar
def _parsed_zones(lines: tuple[str, ...]) -> list:
    """A calendar's VTIMEZONEs, parsed once however many series use them (Outlook and Google exports carry
    several, each often longer than an event). icalendar keeps each TZID's zone for the events parsed later."""
    if not lines:
        return []
    return icalendar.Calendar.from_ical("".join(["BEGIN:VCALENDAR\r\n", *lines, "END:VCALENDAR\r\n"])).subcomponents


def _position(number: int, uid: str) -> str:
    """How a report names a series: its number in the file, and its UID when it has one."""
    return f"event {number}" if uid.startswith("(no UID") else f"event {number} (UID {uid})"


def _parsed_series(path: str, number: int, uid: str, head: list[str], zones: tuple[str, ...], events: list[str],
                   window: Window) -> Series:
    """One series of a streamed calendar: its events parsed with the calendar's properties and time zones."""
    text = "".join(["BEGIN:VCALENDAR\r\n", *head, *events, "END:VCALENDAR\r\n"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            timezones = list(_parsed_zones(zones))
            cal = icalendar.Calendar.from_ical(text)
            if "X-WR-TIMEZONE" in cal:
                cal = x_wr_timezone.to_standard(cal)
        except Exception as exc:
            return Series(path, _position(number, uid), error=f"unreadable event: {_short(exc)}")
        cancelled_all = str(cal.get("METHOD", "")).upper() == "CANCEL"
        timezones += [c for c in cal.subcomponents if c.name == "VTIMEZONE"]
        events = [c for c in cal.subcomponents if c.name == "VEVENT"]
        return _read_series(path, number, uid, events, timezones, window, cancelled_all)


def _read_series(path: str, number: int, uid: str, events: list, timezones: list, window: Window,
                 cancelled_all: bool) -> Series:
    has_uid = not uid.startswith("(no UID")
    position = _position(number, uid)
    series = Series(path, position)
    try:
        recurring = any("RRULE" in e or "RDATE" in e for e in events)
        if recurring and not any("ORGANIZER" in e or "ATTENDEE" in e for e in events):
            series.skipped.append("no participants")  # a holiday or reminder series: not expanded
            return series
        if recurring:
            mini = icalendar.Calendar()
            for tz in timezones:
                mini.add_component(tz)
            for e in events:
                mini.add_component(e)
            components = []
            for component in recurring_ical_events.of(mini).between(window.start, window.stop):
                components.append(component)
                if len(components) > MAX_OCCURRENCES:
                    break
            if not components:
                series.skipped.append("recurrence outside the window")
                return series
            if len(components) > MAX_OCCURRENCES:
                components = components[:MAX_OCCURRENCES]
                series.skipped.append(f"more than {MAX_OCCURRENCES} occurrences in the window")
        else:
            components = events
        for component in components:
            if cancelled_all or str(component.get("STATUS", "")).upper() == "CANCELLED":
                series.skipped.append("cancelled")
                continue
            series.occurrences.append(_occurrence(path, uid if has_uid else "", component, recurring))
    except Exception as exc:  # a broken rule, date or property: report the event, keep the file going
        return Series(path, position, error=f"unreadable event: {_short(exc)}")
    return series


def _occurrence(path: str, uid: str, event, recurring: bool) -> Occurrence:
    if "DTSTART" not in event:
        raise ValueError("no DTSTART")
    start = event.start
    try:
        end = event.end
    except Exception:
        end = None
    all_day = not isinstance(start, datetime)
    duration = None
    if end is not None:
        seconds = (_utc(end) - _utc(start)).total_seconds()
        duration = int(seconds) if seconds >= 0 else None
    organizer = _address_of(event.get("ORGANIZER"), organizer=True)
    attendees = []
    raw = event.get("ATTENDEE", [])
    for value in raw if isinstance(raw, list) else [raw]:
        attendee = _address_of(value)
        if attendee is not None:
            attendees.append(attendee)
    summary = str(event.get("SUMMARY", "") or "").strip()
    description = str(event.get("DESCRIPTION", "") or "").strip()
    rid = event.get("RECURRENCE-ID")
    if not uid:
        digest = hashlib.sha256(f"{_stamp(start)}|{summary}|{organizer.address if organizer else ''}".encode()).hexdigest()
        key = f"sha256:{digest[:32]}"
    elif rid is not None or recurring:
        key = f"{uid}|{_stamp(rid.dt if rid is not None else start)}"
    else:
        key = uid
    return Occurrence(path, uid, key, int(_utc(start).timestamp()), duration, all_day, summary, description,
                      organizer, attendees)


def _address_of(value, organizer: bool = False) -> Attendee | None:
    if value is None:
        return None
    params = getattr(value, "params", {})
    if str(params.get("CUTYPE", "")).upper() in _NOT_PEOPLE:
        return None
    text = str(value).strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    if "@" not in text:
        text = str(params.get("EMAIL", "")).strip()
    if "@" not in text:
        return None
    name = str(params.get("CN", "")).strip().strip('"')
    status = Attendance.ACCEPTED if organizer else _PARTSTAT.get(str(params.get("PARTSTAT", "")).upper(),
                                                                  Attendance.UNKNOWN)
    return Attendee(name, text, status)


def _utc(value: date | datetime) -> datetime:
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)  # floating time: read as UTC
    return value.astimezone(timezone.utc)


def _stamp(value: date | datetime) -> str:
    if not isinstance(value, datetime):
        return value.strftime("%Y%m%d")
    return _utc(value).strftime("%Y%m%dT%H%M%SZ")


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


# -- the run -------------------------------------------------------------------------------------
class CalendarIngest:
    """One run over some calendars. ``run`` returns the report; progress goes to ``on_progress(bytes)``."""

    def __init__(self, store: Store, settings: Settings, *, now: datetime | None = None, batch_size: int = 500,
                 exclude_addresses: Sequence[str] = (), exclude_domains: Sequence[str] = (),
                 on_progress: Callable[[int], None] | None = None):
        self.store = store
        self.settings = settings
        self.window = Window.around(now or datetime.now(timezone.utc), settings)
        self.limits = ReadLimits.of(settings)
        self.batch_size = batch_size
        self.on_progress = on_progress or (lambda n: None)
        self.resolver = Resolver(store, settings, exclude_addresses, exclude_domains)
        self.report = RunReport("calendar")
        self.checkpoints = Checkpoints(store, "calendar", self.report)
        self.per_file: defaultdict[str, Counter] = defaultdict(Counter)  # file -> outcome counts, for accounting and tests
        self._batch: list[Occurrence] = []
        self._units: list[tuple[str, int]] = []  # (file, records) of series handled since the last commit

    def run(self, paths: Sequence[Path | str]) -> RunReport:
        for path in iter_calendar_files(paths):
            self.report.files += 1
            outcome = self.per_file[path]  # a defaultdict: the file is listed even when it holds nothing
            mark = self.checkpoints.resume_point(path)
            self.report.records += mark.records
            resumed = mark.records - mark.skipped.total()
            self.report.resumed += resumed
            if resumed:
                outcome["resumed"] += resumed
            for series in read_calendar(path, self.window, skip=mark.units, limits=self.limits):
                if not (series.occurrences or series.skipped or series.error):
                    continue  # committed by an earlier run
                self._batch.extend(self.count(series))
                if series.position != "file":  # file-level problems are told again on every run
                    self._units.append((path, series.records))
                if len(self._batch) >= self.batch_size:
                    self._flush()
            self.on_progress(file_size(path))
        self._flush()
        return self.report

    def _flush(self) -> None:
        batch, self._batch = self._batch, []
        if batch:
            self.write(batch)
        for path, records in self._units:
            self.checkpoints.advance(path, 1, records)
        self._units = []
        self.checkpoints.save()

    def count(self, series: Series) -> list[Occurrence]:
        """Report what one series holds (records, errors, skips); its occurrences, to write."""
        outcome = self.per_file[series.source]
        whole_file = series.position == "file"  # an unreadable file is not a record, as in email
        if not whole_file:
            self.report.records += series.records
        if series.error:
            self.report.error(series.source, series.position, series.error,
                              skip_category(series.error, "unreadable" if whole_file else "unparseable"), whole_file)
            outcome["error"] += 1
        for reason in series.skipped:  # a file-level skip is told again every run: not checkpointed
            self.report.skip(reason, "" if whole_file else series.source)
            outcome[f"skipped: {reason}"] += 1
        return series.occurrences

    def write(self, batch: list[Occurrence]) -> list[str]:
        """Resolve and write these occurrences now; the ids of the interactions they make, new or known."""
        resolver = self.resolver
        resolver.prefetch({a for o in batch for a in self._addresses(o)})
        items: dict[str, Interaction] = {}
        files: dict[str, str] = {}  # interaction id -> its file (a provenance holds its name as text)
        for occ in batch:
            item = self._interaction(occ)
            if item is None:
                continue
            if item.id in items:
                self.report.duplicates += 1
                self.per_file[occ.source]["duplicates"] += 1
                continue
            items[item.id] = item
            files[item.id] = occ.source
        created, queued = resolver.drain()
        self.report.people += created
        self.report.review += queued
        writes = [InteractionWrite(i, tuple(deltas(i))) for i in items.values()]
        new = set(self.store.add_interactions(writes))
        resolver.settle()
        for item in items.values():
            outcome = "ingested" if item.id in new else "duplicates"
            self.per_file[files[item.id]][outcome] += 1
        self.report.ingested += len(new)
        self.report.duplicates += len(writes) - len(new)
        return list(items)

    def _addresses(self, occ: Occurrence) -> Iterator[str]:
        for a in ([occ.organizer] if occ.organizer else []) + occ.attendees:
            normalized = self.resolver.normalize(a.address)
            if normalized:
                yield normalized

    def _interaction(self, occ: Occurrence) -> Interaction | None:
        resolver = self.resolver
        prov = Provenance("calendar", occ.source, occ.key if occ.uid else occ.key)
        at = occ.start
        participants: list[Participant] = []
        by_address: dict[str, int] = {}
        if occ.organizer:
            address = resolver.normalize(occ.organizer.address)
            if address and resolver.is_excluded(address):
                self._skip(occ, "excluded")
                return None
            pid = resolver.person(occ.organizer.name, address, at, prov) if address else None
            if pid:
                by_address[address] = len(participants)
                participants.append(Participant(pid, Role.ORGANIZER, Attendance.ACCEPTED, address))
        for a in occ.attendees:
            address = resolver.normalize(a.address)
            if not address or resolver.is_excluded(address):
                continue
            if address in by_address:  # the organizer listed again as an attendee: keep one, with its answer
                n = by_address[address]
                if a.status == Attendance.DECLINED:
                    old = participants[n]
                    participants[n] = Participant(old.person_id, old.role, Attendance.DECLINED, address)
                continue
            pid = resolver.person(a.name, address, at, prov)
            if pid:
                by_address[address] = len(participants)
                participants.append(Participant(pid, Role.ATTENDEE, a.status, address))
        if not participants:
            self._skip(occ, "no participants")
            return None
        topics, terms = kept_topics_and_terms(self.settings.privacy, occ.summary, occ.description)
        return Interaction(
            id=ids.interaction_id("meeting", occ.key),
            kind=InteractionKind.MEETING,
            occurred_at=at,
            participants=participants,
            subject=occ.summary,  # a header: kept in every privacy mode
            topics=topics,
            body=occ.description if self.settings.privacy.keeps_body else "",
            terms=terms,
            thread_id=ids.interaction_id("meeting", occ.uid) if occ.uid else "",
            duration_s=occ.duration_s,
            provenance=prov,
        )

    def _skip(self, occ: Occurrence, reason: str) -> None:
        self.report.skip(reason, occ.source)
        self.per_file[occ.source][f"skipped: {reason}"] += 1


def ingest_calendar(store: Store, settings: Settings, paths: Sequence[Path | str], **options) -> RunReport:
    """Ingest .ics files and folders; see ``CalendarIngest`` for the options."""
    return CalendarIngest(store, settings, **options).run(paths)
