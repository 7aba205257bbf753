"""The report of one ingest run: what was read, what went in, what was skipped and why."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from kith.graph.model import text_name

MAX_LISTED_ERRORS = 1000  # beyond this only the count grows
OVER_LIMIT = "over a limit"  # the start of a limit's skip reason, and the report's skip category for it


def over_limit(what: str, limit: int, setting: str) -> str:
    """The skip reason of a record past a size limit, naming the setting that raises it."""
    return f"{OVER_LIMIT}: {what}, more than {limit:,} ({setting})"


def skip_category(reason: str, otherwise: str = "unparseable") -> str:
    """How a record (or file) that could not be taken is counted: past a limit, or ``otherwise``."""
    return OVER_LIMIT if reason.startswith(OVER_LIMIT) else otherwise


@dataclass(frozen=True, slots=True)
class RecordError:
    file: str
    position: str
    reason: str
    unreadable: bool = False  # a file or region that yielded no message at all


@dataclass(slots=True)
class RunReport:
    kind: str  # email | calendar | deals | contacts
    files: int = 0
    records: int = 0  # messages, events, rows or cards read
    ingested: int = 0
    duplicates: int = 0
    resumed: int = 0  # records passed over because an earlier run already committed them
    skipped: Counter = field(default_factory=Counter)  # reason -> count
    errors: list[RecordError] = field(default_factory=list)
    error_count: int = 0
    people: int = 0  # people created
    review: int = 0  # possible duplicates queued for `kith review`
    skipped_in: dict[str, Counter] = field(default_factory=dict)  # file -> its records skipped, by reason

    def skip(self, reason: str, file: str = "") -> None:
        """A record skipped; with its file, a rerun that resumes the file reports it skipped again."""
        self.skipped[reason] += 1
        if file:
            self.skipped_in.setdefault(file, Counter())[reason] += 1

    def error(self, file: str, position: str, reason: str, skipped_as: str = "unparseable",
              whole_file: bool = False) -> None:
        """A record (or a whole file, told again every run, as every "unreadable" one) that could not be
        read: counted and listed."""
        if whole_file or skipped_as == "unreadable":
            self.skipped[skipped_as] += 1
        else:
            self.skip(skipped_as, file)
        self.error_count += 1
        if len(self.errors) < MAX_LISTED_ERRORS:
            self.errors.append(RecordError(text_name(file), text_name(position), reason))

    def as_dict(self, record_name: str = "records") -> dict:
        return {
            "kind": self.kind,
            "files": self.files,
            record_name: self.records,
            "ingested": self.ingested,
            "duplicates": self.duplicates,
            "resumed": self.resumed,
            "skipped": dict(sorted(self.skipped.items())),
            "errors": [{"file": e.file, "position": e.position, "reason": e.reason} for e in self.errors],
            "error_count": self.error_count,
            "people_created": self.people,
            "review_queued": self.review,
        }
