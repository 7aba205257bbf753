"""Rows out of CSV, JSON and XLSX deal files, bounded by the size limits, with the header fitted to
the profile; a file that is binary or lacks the columns a deal needs is refused whole."""

from __future__ import annotations

import csv
import fnmatch
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kith.ingest.deals.profiles import Profile
from kith.ingest.files import BoundedLines, ReadLimits, file_over, files_under
from kith.ingest.report import over_limit

DEAL_SUFFIXES = (".csv", ".json", ".xlsx")


@dataclass(slots=True)
class Row:
    source: str
    number: int  # 1-based, data rows only
    values: dict  # column (or top-level JSON key) -> value


@dataclass(frozen=True, slots=True)
class RowError:
    source: str
    position: str
    reason: str
    whole_file: bool = False


def iter_deal_files(paths: Iterable[Path | str], profile: Profile) -> Iterator[str]:
    def wanted(name: str) -> bool:
        if profile.include:
            return any(fnmatch.fnmatch(name, g) for g in profile.include)
        return name.lower().endswith(DEAL_SUFFIXES)

    return files_under(paths, wanted)


def read_rows(path: str, profile: Profile, on_header: Callable[[str, list[str]], None] | None = None,
              limits: ReadLimits = ReadLimits()) -> Iterator[Row | RowError]:
    """The records of one export, in order. Never raises for bad input. A CSV or sheet whose header
    lacks every column the profile reads a deal's id or name from is one error; its other columns are
    matched to the profile's whatever their case or separators ("Close Date" for close_date), and
    ``on_header(path, columns)`` hears the header as matched. A record or file past ``limits`` is an error
    that says which limit, and is never read whole."""
    try:
        suffix = Path(path).suffix.lower()
        if suffix == ".xlsx":
            yield from _xlsx_rows(path, profile, on_header)
        elif suffix == ".json":
            yield from _json_rows(path, profile, limits)
        else:
            yield from _csv_rows(path, profile, on_header, limits)
    except OSError as exc:
        yield RowError(path, "file", f"cannot read the file: {exc.strerror or exc}", True)
    except Exception as exc:  # a file the format's reader rejects as a whole
        yield RowError(path, "file", f"unreadable {Path(path).suffix or 'deal'} file: {_short(exc)}", True)


def _column_key(name: str) -> str:
    return re.sub(r"[\s_\-.:]+", "", name).casefold()


def _template_parts(column: str) -> list[str]:
    return re.findall(r"\{([^{}]+)\}", column) or [column]


def profile_columns(profile: Profile) -> set[str]:
    """Every column name the profile reads (a dotted path also by its first part, a template by its parts)."""
    names = [c for columns in profile.fields.values() for c in columns]
    names += [c for p in profile.people for c in (*p.column, *p.name_column, *p.role_column)]
    names += list(profile.references)
    parts = [part for name in names for part in _template_parts(name)]
    return set(parts) | {part.split(".", 1)[0] for part in parts}


def _identifying(profile: Profile) -> list[str]:
    """The columns a file needs one of: those a deal's id or name is read from."""
    return [part for c in profile.fields["id"] + profile.fields["name"] for part in _template_parts(c)]


def _fit_header(path: str, header: list[str], profile: Profile, on_header: Callable | None
                ) -> tuple[list[str], RowError | None]:
    """The header with each column the profile knows by another spelling renamed to the profile's (told to
    ``on_header``), or the error of a header without any column the profile takes a deal's id or name from."""
    wanted = {_column_key(c): c for c in sorted(profile_columns(profile), reverse=True)}
    fitted = [h if h in wanted.values() else wanted.get(_column_key(h), h) for h in header]
    needed = _identifying(profile)
    if not set(needed) & set(fitted):
        shown = ", ".join(repr(h) for h in header[:12] if h) + (", ..." if len(header) > 12 else "")
        return fitted, RowError(path, "file", f"missing columns: the {profile.name} profile takes a deal's id or "
                                f"name from one of {', '.join(map(repr, needed))}, and the file has {shown or 'none'}; "
                                "choose another --profile or write one (see `kith ingest deals --help`)", True)
    if on_header:
        on_header(path, fitted)
    return fitted, None


def _binary(text: str) -> bool:
    """Text with control characters or undecodable bytes in more than 1% of it: not a CSV."""
    bad = sum(1 for c in text if (c < " " and c not in "\t\r\n\f") or c == "\ufffd")
    return bad > len(text) // 100


def _csv_rows(path: str, profile: Profile, on_header: Callable | None, limits: ReadLimits
              ) -> Iterator[Row | RowError]:
    """Rows streamed: none is held longer than limits.row_bytes (a longer one is skipped, read past)."""
    with open(path, "rb") as f:
        lines = BoundedLines(f, limits.row_bytes)
        sample = lines.sample(65536)
        if _binary(sample):
            yield RowError(path, "file", "not a CSV file: binary data (control characters or undecodable bytes)", True)
            return
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
        lines.rewind()
        lines.quote = dialect.quotechar or '"'
        csv.field_size_limit(limits.row_bytes)  # a longer field is a longer row: an error, not a read of it all
        reader = csv.reader(lines, dialect)
        header = next(reader, None)
        if lines.cut or lines.read > limits.row_bytes:
            yield RowError(path, "file", over_limit(f"a header row of {lines.read:,} characters", limits.row_bytes,
                                                    "KITH_MAX_ROW_BYTES"), True)
            return
        if not header:
            yield RowError(path, "file", "empty file: no header row", True)
            return
        header, problem = _fit_header(path, [h.strip() for h in header], profile, on_header)
        if problem:
            yield problem
            return
        n = 0
        while True:
            lines.start_record()
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # a field past the limit, or a broken quote: on to the row's end
                cells, problem = [], _short(exc)
                lines.finish_record()
            else:
                problem = ""
            n += 1
            if lines.cut or lines.read > limits.row_bytes:
                yield RowError(path, f"row {n}", over_limit(f"a row of {lines.read:,} characters", limits.row_bytes,
                                                            "KITH_MAX_ROW_BYTES"))
            elif problem:
                yield RowError(path, f"row {n}", f"unreadable row: {problem}")
            elif any(c.strip() for c in cells):
                yield Row(path, n, dict(zip(header, (c.strip() for c in cells))))


def _json_rows(path: str, profile: Profile, limits: ReadLimits) -> Iterator[Row | RowError]:
    too_big = file_over(path, limits.file_bytes)  # read whole: skipped unread when too large
    if too_big:
        yield RowError(path, "file", f"{too_big}; export it as CSV, which is read row by row", True)
        return
    doc = json.loads(Path(path).read_bytes())
    records = field_at(doc, profile.records) if profile.records and isinstance(doc, dict) else None
    if records is None:
        records = doc if isinstance(doc, list) else next((v for v in doc.values() if isinstance(v, list)), None) \
            if isinstance(doc, dict) else None
    if not isinstance(records, list):
        yield RowError(path, "file", f"no list of records found (looked for {profile.records or 'a top-level list'!r})", True)
        return
    needed = _identifying(profile)
    sample = [r for r in records[:1000] if isinstance(r, dict)]
    if sample and not any(field_at(r, c) not in (None, "") for r in sample for c in needed):
        yield RowError(path, "file", f"missing fields: the {profile.name} profile takes a deal's id or name from one "
                       f"of {', '.join(map(repr, needed))}, and no record has any; choose another --profile or write "
                       "one (see `kith ingest deals --help`)", True)
        return
    for n, record in enumerate(records, 1):
        if isinstance(record, dict):
            yield Row(path, n, record)
        else:
            yield RowError(path, f"row {n}", f"not an object: {type(record).__name__}")


def _xlsx_rows(path: str, profile: Profile, on_header: Callable | None) -> Iterator[Row | RowError]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        if profile.sheet and profile.sheet not in book.sheetnames:
            yield RowError(path, "file", f"no sheet named {profile.sheet!r} (sheets: {', '.join(book.sheetnames)})", True)
            return
        sheet = book[profile.sheet] if profile.sheet else book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = None
        for cells in rows:
            if any(c not in (None, "") for c in cells):
                header = ["" if c is None else str(c).strip() for c in cells]
                break
        if header is None:
            yield RowError(path, "file", "empty sheet: no header row", True)
            return
        header, problem = _fit_header(path, header, profile, on_header)
        if problem:
            yield problem
            return
        n = 0
        for cells in rows:
            if not any(c not in (None, "") for c in cells):
                continue
            n += 1
            yield Row(path, n, {h: ("" if c is None else c.strip() if isinstance(c, str) else c)
                                for h, c in zip(header, cells) if h})
    finally:
        book.close()


def field_at(record: object, dotted: str) -> object:
    """A value by column name, else by dotted path ("properties.amount")."""
    if isinstance(record, dict) and dotted in record:
        return record[dotted]
    value = record
    for part in dotted.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _short(exc: BaseException) -> str:
    return (" ".join(str(exc).split()) or type(exc).__name__)[:200]
