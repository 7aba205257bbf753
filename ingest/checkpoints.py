"""Per-file resume points for every ingest (email, calendar, deals, contacts).

A checkpoint says: of this version of a file (its size and mtime), the first ``units`` units (messages,
events, rows or cards, in file order) are committed, and they made ``records`` records, of which
``skipped`` (by reason) were skipped. A rerun passes over those units without resolving or writing them,
counting the skipped ones as skipped again and the others as resumed; a changed file starts again from
the top (its records then come back as duplicates, because ids are deterministic).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import quote

from kith.graph.store import Store
from kith.ingest.files import file_size
from kith.ingest.report import RunReport, skip_category

T = TypeVar("T")


@dataclass(slots=True)
class Mark:
    units: int = 0
    records: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason -> records of those units skipped


class Checkpoints:
    def __init__(self, store: Store, kind: str, report: RunReport):
        self.store = store
        self.kind = kind
        self.report = report  # whose per-file skips are saved with the progress
        self._signature: dict[str, str] = {}
        self._done: dict[str, Mark] = {}

    def _key(self, source: str) -> str:
        """``kind:name``; a name that is not UTF-8 (surrogate escapes) as ``kind%bytes``, percent-encoded,
        which no UTF-8 name's key can equal."""
        try:
            source.encode("utf-8")
            return f"{self.kind}:{source}"
        except UnicodeEncodeError:
            return f"{self.kind}%{quote(os.fsencode(source), safe='/')}"

    def resume_point(self, source: str) -> Mark:
        """What an earlier run committed of this file as it is now (zero for a new or changed file). Its
        skipped records go into the report as skipped again; the caller counts the rest as resumed."""
        try:
            stat = os.stat(source)
        except OSError:
            return Mark()
        signature = f"{stat.st_size}:{stat.st_mtime_ns}"
        self._signature[source] = signature
        saved = self.store.get_meta(self._key(source))
        if saved:
            parts = saved.split(":", 4)  # size:mtime:units:records[:{"reason": skipped}]
            if len(parts) >= 4 and ":".join(parts[:2]) == signature:
                skipped = Counter(json.loads(parts[4]) if len(parts) == 5 else {})
                mark = Mark(int(parts[2]), int(parts[3]), skipped)
                self._done[source] = Mark(mark.units, mark.records, Counter(skipped))
                self.report.skipped.update(skipped)
                return mark
        return Mark()

    def advance(self, source: str, units: int = 1, records: int = 0) -> None:
        """Units handled (in memory); committed by the next ``save``."""
        mark = self._done.get(source)
        if mark is None:  # not setdefault: a Mark (and its Counter) built per message cost ~3 us
            mark = self._done[source] = Mark()
        mark.units += units
        mark.records += records

    def save(self) -> None:
        """Record every file's progress; call only after the records handled so far are written."""
        items = {}
        for source, mark in self._done.items():
            if source in self._signature:
                skipped = mark.skipped + self.report.skipped_in.get(source, Counter())
                items[self._key(source)] = (f"{self._signature[source]}:{mark.units}:{mark.records}"
                                            + (f":{json.dumps(dict(skipped), sort_keys=True)}" if skipped else ""))
        if items:
            self.store.set_meta(items)

    def pending(self, path: str, units: Iterable[T], error_type: type) -> Iterator[T]:
        """The units of one file that an earlier run did not commit, each counted as a record.
        Units of ``error_type`` are reported instead of yielded: a bad record is skipped (and
        checkpointed as done), a whole unreadable file is no record and is told again every run."""
        report, mark = self.report, self.resume_point(path)
        report.records += mark.records
        report.resumed += mark.records - mark.skipped.total()
        n = 0
        for unit in units:
            if isinstance(unit, error_type) and unit.whole_file:
                report.error(unit.source, unit.position, unit.reason, skip_category(unit.reason, "unreadable"),
                             whole_file=True)
                continue
            n += 1
            if n <= mark.units:
                continue
            report.records += 1
            if isinstance(unit, error_type):
                report.error(unit.source, unit.position, unit.reason, skip_category(unit.reason))
                self.advance(path, 1, 1)
                continue
            yield unit

    def batches(self, files: Iterable[str], read: Callable[[str], Iterable[T]], error_type: type,
                size: int, on_progress: Callable[[int], None]) -> Iterator[list[T]]:
        """``pending`` over every file, in batches of ``size`` units (the last one possibly shorter or
        empty). Counts the files, and tells ``on_progress`` each file's bytes once it is read."""
        batch: list[T] = []
        for path in files:
            self.report.files += 1
            for unit in self.pending(path, read(path), error_type):
                batch.append(unit)
                if len(batch) >= size:
                    yield batch
                    batch = []
            on_progress(file_size(path))
        yield batch
