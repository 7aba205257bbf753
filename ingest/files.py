"""Input files of the calendar, deals and contacts ingests: folders walked, sizes for progress, and
size limits: lines read in bounded pieces, files read whole only when they are small enough."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, NamedTuple

from kith.graph.settings import Settings
from kith.ingest.report import over_limit


def files_under(paths: Iterable[Path | str], wanted: Callable[[str], bool]) -> Iterator[str]:
    """Named files as given; folders walked in sorted order for the file names ``wanted`` accepts."""
    for path in map(Path, paths):
        if path.is_dir():
            for folder, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    if wanted(name):
                        yield os.path.join(folder, name)
        else:
            yield str(path)


def file_size(path: str) -> int:
    """A file's size in bytes for progress bars; 0 when it cannot be read."""
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


class ReadLimits(NamedTuple):
    """Sizes past which a record or file is skipped, read past without being held (Settings.max_*)."""

    row_bytes: int = Settings.model_fields["max_row_bytes"].default
    card_bytes: int = Settings.model_fields["max_card_bytes"].default
    event_bytes: int = Settings.model_fields["max_event_bytes"].default
    file_bytes: int = Settings.model_fields["max_file_bytes"].default

    @classmethod
    def of(cls, settings: Settings) -> ReadLimits:
        return cls(settings.max_row_bytes, settings.max_card_bytes, settings.max_event_bytes, settings.max_file_bytes)


def file_over(path: str, limit: int) -> str:
    """The skip reason of a file read whole that is larger than ``limit``, else ''; by its size, unread."""
    size = file_size(path)
    return over_limit(f"a file of {size:,} bytes", limit, "KITH_MAX_FILE_BYTES") if size > limit else ""


_PIECE = 1 << 16
_ESCAPED = re.compile("[\udc80-\udcff]")


def _with_fallback(line: str, legacy: str) -> str:
    """A line that is not valid in the file's encoding (undecodable bytes kept as surrogate escapes)
    read in the ``legacy`` encoding (Windows-1252 reads every byte; UTF-8 replaces what it cannot read)."""
    if line.isascii() or not _ESCAPED.search(line):
        return line
    return line.encode("utf-8", "surrogateescape").decode(legacy, errors="replace")


class BoundedLines:
    """The lines of a text file (UTF-16 by its BOM, else UTF-8, a line that is not read as ``legacy``),
    none held longer than ``limit`` characters: a longer line is read past in pieces and comes back as
    an empty line, with ``cut`` set. ``read`` counts the characters read since ``start_record``, and
    ``quotes`` the ``quote`` characters (a CSV's): an odd count is a record cut short inside a quoted field."""

    def __init__(self, f: BinaryIO, limit: int, quote: str = '"', legacy: str = "cp1252"):
        head = f.read(4)
        f.seek(0)
        encoding = "utf-16" if head[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
        self._text = io.TextIOWrapper(f, encoding, errors="surrogateescape", newline="")
        self.limit, self.quote, self.legacy = limit, quote, legacy
        self.read, self.cut, self.quotes = 0, False, 0

    def start_record(self) -> None:
        self.read, self.cut, self.quotes = 0, False, 0

    def finish_record(self) -> None:
        """Read past the rest of a record cut short inside a quoted field: up to the line closing it."""
        while self.quotes % 2 and next(self, ""):
            pass

    def rewind(self) -> None:
        self._text.seek(0)
        self.start_record()

    def sample(self, size: int) -> str:
        """About the first ``size`` characters, in whole lines (a line cut short is left out)."""
        lines: list[str] = []
        while self.read < size and (line := next(self, "")):
            lines.append(line)
        return "".join(lines)[:size]

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = self._text.readline(self.limit + 1)
        if not line:
            raise StopIteration
        self.read += len(line)
        self.quotes += line.count(self.quote)
        if len(line) <= self.limit:
            return _with_fallback(line, self.legacy)
        self.cut = True
        while line and not line.endswith(("\n", "\r")):
            line = self._text.readline(_PIECE)
            self.read += len(line)
            self.quotes += line.count(self.quote)
        return "\n"
