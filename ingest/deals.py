"""Deal records into the graph: CSV, JSON and XLSX CRM exports read through a mapping profile.

A profile (``ingest/deal_profiles/*.toml``: salesforce, hubspot, generic; or any TOML file, which may
``extends = "generic"`` and rename only what differs) maps columns to a deal's fields, stages to
open/won/lost, and person columns to roles. See generic.toml for every key.

Choices:
- A deal's id is ``deal_id(profile system, record id)``: the same record from the same system is the
  same deal whatever the file is called. Rows of one record (Salesforce contact-role reports) merge:
  later rows fill fields, roles accumulate. A row without a record id is keyed on a hash of its
  values and flagged "no record id".
- Accounts become organisations through ``Resolver.company`` (normalize_company: "GTXPro" is
  "GTX Pro"). A profile may name reference lists (``[references.<column>]``: a file beside the input
  and its column, e.g. the CRM's accounts.csv): a value is replaced by the reference spelling whose
  normalised key equals it, else whose key is within ``FUZZY_THRESHOLD`` (rapidfuzz ratio on the
  keys, or failing that on the folded full spellings, of at least ``FUZZY_MIN_CHARS`` characters), flagged "<column> matched by similarity";
  keys with other numbers never match ("Fund 2" / "Fund 3"); a value matching nothing is kept as written and flagged "<column> not in <file>". Accounts are
  also matched, the same way, against the accounts earlier rows of the run named.
- A file is refused as a whole when it is binary (named .csv or not) or has no column the profile
  reads a deal's id or name from (the error names both sides); header columns match the profile's
  whatever their case and separators, and those the profile does not read are listed in the report.
- Rows are never dropped for dirty data: a row without an account is a deal without organisation,
  flagged "no account"; an unparseable date or amount is left empty and flagged. Only a record that
  cannot be read at all (a JSON item that is not an object) is an error. So for every run
  ``rows == ingested + duplicates + resumed + skipped``, and ``flagged`` says what was repaired.
- People named by address go through the Resolver like email senders; people named only by name
  (the Maven export's sales agent, a HubSpot owner) are ``Resolver.named_person`` within the profile's
  system: one id per folded name, internal when the profile says so, a similar known name queued for
  `kith review` rather than merged.
"""

from __future__ import annotations

import csv
import fnmatch
import hashlib
import json
import re
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from importlib import resources
from pathlib import Path

from rapidfuzz import fuzz, process

from kith.graph import ids
from kith.graph.errors import KithError
from kith.graph.model import Deal, DealRole, DealRoleKind, DealStatus, Provenance, text_name
from kith.graph.settings import Settings
from kith.graph.store import Store
from kith.graph.text import fold
from kith.ingest.checkpoints import Checkpoints
from kith.ingest.files import BoundedLines, ReadLimits, file_over, files_under
from kith.ingest.identity.addresses import normalize_address
from kith.ingest.identity.organizations import display_company, normalize_company
from kith.ingest.report import RunReport, over_limit
from kith.ingest.resolve import Resolver

DEAL_SUFFIXES = (".csv", ".json", ".xlsx")
FUZZY_THRESHOLD = 90  # rapidfuzz ratio (0-100) between normalised keys: about one typo per ten letters
FUZZY_MIN_CHARS = 6  # shorter keys only match exactly: "konex" and "konix" may be two companies
_PERSON = re.compile(r"^\s*(?P<name>.*?)\s*[<(\[]\s*(?P<address>[^<>()\[\]\s]+@[^<>()\[\]\s]+)\s*[>)\]]\s*$")
_DIGITS = re.compile(r"\d+")
_FIELDS = ("id", "name", "account", "stage", "amount", "currency", "opened", "closed")


# -- profiles ------------------------------------------------------------------------------------
@dataclass(slots=True)
class PersonColumn:
    column: list[str]
    role: DealRoleKind
    by: str = "email"  # email | name
    name_column: list[str] = field(default_factory=list)
    split: str = ""
    internal: bool = False
    role_column: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Reference:
    file: str
    column: str


@dataclass(slots=True)
class Profile:
    name: str
    system: str
    fields: dict[str, list[str]]
    won: frozenset[str]
    lost: frozenset[str]
    people: list[PersonColumn]
    roles: dict[str, DealRoleKind]
    references: dict[str, Reference]
    currency: str = ""
    records: str = ""
    sheet: str = ""
    include: list[str] = field(default_factory=list)
    date_formats: list[str] = field(default_factory=list)
    path: Path | None = None


def available_profiles() -> list[str]:
    return sorted(p.name.removesuffix(".toml") for p in resources.files("kith.ingest.deal_profiles").iterdir()
                  if p.name.endswith(".toml"))


def _raw_profile(name_or_path: str) -> tuple[dict, Path | None]:
    path = Path(name_or_path)
    if name_or_path.endswith(".toml") or path.exists():
        try:
            return tomllib.loads(path.read_text(encoding="utf-8")), path
        except OSError as exc:
            raise KithError(f"Cannot read the deal profile {path}: {exc.strerror or exc}.") from None
        except tomllib.TOMLDecodeError as exc:
            raise KithError(f"The deal profile {path} is not valid TOML: {exc}.") from None
    if name_or_path not in available_profiles():
        raise KithError(f"No deal profile named {name_or_path!r}. Use one of {', '.join(available_profiles())}, "
                        "or give the path of a .toml mapping file.")
    text = resources.files("kith.ingest.deal_profiles").joinpath(f"{name_or_path}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text), None


def _merge(base: dict, over: dict) -> dict:
    """Tables merge key by key; anything else (arrays included) is replaced."""
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _names(value: object) -> list[str]:
    if value is None or value == "":
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def load_profile(name_or_path: str) -> Profile:
    """A shipped profile by name, or a TOML mapping file (which may extend a shipped one)."""
    raw, path = _raw_profile(name_or_path)
    seen = {name_or_path}
    while "extends" in raw:
        parent = raw.pop("extends")
        if parent in seen:
            raise KithError(f"The deal profile {name_or_path} extends itself through {parent!r}.")
        seen.add(parent)
        base, _ = _raw_profile(parent)
        raw = _merge(base, raw)
    where = path or name_or_path
    try:
        roles = {str(k).casefold(): DealRoleKind(v) for k, v in raw.get("roles", {}).items()}
        people = [
            PersonColumn(_names(p["column"]), DealRoleKind(p.get("role", "influencer")), p.get("by", "email"),
                         _names(p.get("name_column")), p.get("split", ""), bool(p.get("internal", False)),
                         _names(p.get("role_column")))
            for p in raw.get("people", [])
        ]
        references = {col: Reference(r["file"], r["column"]) for col, r in raw.get("references", {}).items()}
    except (KeyError, ValueError, TypeError) as exc:
        raise KithError(f"The deal profile {where} is incomplete or has a bad value ({exc}). "
                        f"Roles are one of: {', '.join(r.value for r in DealRoleKind)}.") from None
    for p in people:
        if p.by not in ("email", "name"):
            raise KithError(f"The deal profile {where}: people 'by' must be \"email\" or \"name\", not {p.by!r}.")
    fields = {f: _names(raw.get("fields", {}).get(f)) for f in _FIELDS}
    if not fields["id"] and not fields["name"]:
        raise KithError(f"The deal profile {where} maps neither an id nor a name column; map at least one.")
    status = raw.get("status", {})
    return Profile(
        name=raw.get("name", str(where)), system=raw.get("system", raw.get("name", "crm")), fields=fields,
        won=frozenset(s.casefold() for s in status.get("won", [])),
        lost=frozenset(s.casefold() for s in status.get("lost", [])),
        people=people, roles=roles, references=references, currency=raw.get("currency", ""),
        records=raw.get("records", ""), sheet=raw.get("sheet", ""), include=list(raw.get("include", [])),
        date_formats=list(raw.get("date_formats", [])), path=path,
    )


# -- reading -------------------------------------------------------------------------------------
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


def _fit_header(path: str, header: list[str], profile: Profile) -> tuple[list[str], RowError | None]:
    """The header with each column the profile knows by another spelling renamed to the profile's, or
    the error of a header without any column the profile takes a deal's id or name from."""
    wanted = {_column_key(c): c for c in sorted(profile_columns(profile), reverse=True)}
    fitted = [h if h in wanted.values() else wanted.get(_column_key(h), h) for h in header]
    needed = _identifying(profile)
    if not set(needed) & set(fitted):
        shown = ", ".join(repr(h) for h in header[:12] if h) + (", ..." if len(header) > 12 else "")
        return fitted, RowError(path, "file", f"missing columns: the {profile.name} profile takes a deal's id or "
                                f"name from one of {', '.join(map(repr, needed))}, and the file has {shown or 'none'}; "
                                "choose another --profile or write one (see `kith ingest deals --help`)", True)
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
        header, problem = _fit_header(path, [h.strip() for h in header], profile)
        if problem:
            yield problem
            return
        if on_header:
            on_header(path, header)
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
    records = _path(doc, profile.records) if profile.records and isinstance(doc, dict) else None
    if records is None:
        records = doc if isinstance(doc, list) else next((v for v in doc.values() if isinstance(v, list)), None) \
            if isinstance(doc, dict) else None
    if not isinstance(records, list):
        yield RowError(path, "file", f"no list of records found (looked for {profile.records or 'a top-level list'!r})", True)
        return
    needed = _identifying(profile)
    sample = [r for r in records[:1000] if isinstance(r, dict)]
    if sample and not any(_path(r, c) not in (None, "") for r in sample for c in needed):
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
        header, problem = _fit_header(path, header, profile)
        if problem:
            yield problem
            return
        if on_header:
            on_header(path, header)
        n = 0
        for cells in rows:
            if not any(c not in (None, "") for c in cells):
                continue
            n += 1
            yield Row(path, n, {h: ("" if c is None else c.strip() if isinstance(c, str) else c)
                                for h, c in zip(header, cells) if h})
    finally:
        book.close()


def _path(record: object, dotted: str) -> object:
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


# -- values --------------------------------------------------------------------------------------
def parse_amount(value: object) -> float | None:
    """1054, "1,054.50", "$1 054", "1.054,50 €" -> a number; None when it is none. Raises ValueError."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = re.sub(r"[^\d,.\-]", "", str(value))
    if not re.search(r"\d", text):
        raise ValueError(f"not an amount: {value!r}")
    if "," in text and "." in text:
        text = text.replace(",", "") if text.rfind(".") > text.rfind(",") else text.replace(".", "").replace(",", ".")
    elif "," in text:
        head, _, tail = text.rpartition(",")
        text = text.replace(",", "") if len(tail) == 3 and head.count(",") == text.count(",") - 1 else text.replace(",", ".")
    return float(text)


def parse_date(value: object, formats: Sequence[str]) -> int | None:
    """A date or timestamp cell -> UTC epoch seconds; None when empty. Raises ValueError."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return int((value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp())
    if isinstance(value, date):
        return int(datetime(value.year, value.month, value.day, tzinfo=timezone.utc).timestamp())
    text = str(value).strip()
    if text.isdigit() and len(text) in (10, 13):  # epoch seconds or milliseconds (HubSpot's API)
        return int(text) // (1000 if len(text) == 13 else 1)
    for fmt in formats:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return int(parsed.replace(tzinfo=timezone.utc).timestamp())
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))  # raises ValueError
    return int((parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp())


class Canon:
    """Known spellings of one column's values (a reference list, and what the run has seen)."""

    def __init__(self, names: Iterable[str] = ()):
        self.by_key: dict[str, str] = {}
        self.by_text: dict[str, str] = {}  # folded full spelling, legal form included ("acme corporation")
        self._found: dict[str, tuple[str, str]] = {}
        for name in names:
            self.learn(name)

    def find(self, value: str) -> tuple[str, str]:
        """(canonical spelling, how: "exact" | "similar" | "") for a value."""
        key = normalize_company(value)
        if key in self.by_key:
            return self.by_key[key], "exact"
        if value in self._found:
            return self._found[value]
        found = self._similar(key, self.by_key) or self._similar(" ".join(fold(value).split()), self.by_text)
        self._found[value] = (found, "similar") if found else (value, "")
        return self._found[value]

    @staticmethod
    def _similar(text: str, known: dict[str, str]) -> str:
        """The known spelling within the threshold, never one with other digits ("Fund 2" / "Fund 3")."""
        if len(text) < FUZZY_MIN_CHARS or not known:
            return ""
        digits = _DIGITS.findall(text)
        for candidate, _, _ in process.extract(text, known.keys(), scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD,
                                               limit=5):
            if _DIGITS.findall(candidate) == digits:
                return known[candidate]
        return ""

    def learn(self, value: str) -> None:
        key = normalize_company(value)
        self._found.clear()
        if key:
            self.by_key.setdefault(key, value)
            self.by_text.setdefault(" ".join(fold(value).split()), value)


# -- the run -------------------------------------------------------------------------------------
@dataclass(slots=True)
class DealReport(RunReport):
    flagged: Counter = field(default_factory=Counter)  # rows that went in with a repair or a gap
    deals: int = 0  # distinct deals written
    ignored: dict[str, list[str]] = field(default_factory=dict)  # file -> header columns the profile does not read

    def as_dict(self, record_name: str = "rows") -> dict:
        out = RunReport.as_dict(self, record_name)
        out["deals"] = self.deals
        out["flagged"] = dict(sorted(self.flagged.items()))
        out["ignored_columns"] = self.ignored
        return out


class DealIngest:
    """One run over some deal exports. ``run`` returns the report; progress goes to ``on_progress(bytes)``."""

    def __init__(self, store: Store, settings: Settings, profile: Profile | str = "generic", *,
                 batch_size: int = 1000, exclude_addresses: Sequence[str] = (), exclude_domains: Sequence[str] = (),
                 on_progress: Callable[[int], None] | None = None):
        self.store = store
        self.settings = settings
        self.profile = load_profile(profile) if isinstance(profile, str) else profile
        self.batch_size = batch_size
        self.on_progress = on_progress or (lambda n: None)
        self.resolver = Resolver(store, settings, exclude_addresses, exclude_domains)
        self.report = DealReport("deals")
        self.checkpoints = Checkpoints(store, f"deals:{self.profile.system}", self.report)
        self._references: dict[tuple[str, str], Canon | None] = {}
        self._accounts = Canon()
        self._org_of: dict[str, str] = {}  # account spelling -> org id
        self._written: set[str] = set()  # deal ids this run wrote

    def run(self, paths: Sequence[Path | str]) -> DealReport:
        limits = ReadLimits.of(self.settings)
        for batch in self.checkpoints.batches(iter_deal_files(paths, self.profile),
                                              lambda path: read_rows(path, self.profile, self._header, limits),
                                              RowError,
                                              self.batch_size, self.on_progress):
            self._flush(batch)
        return self.report

    def _header(self, path: str, header: list[str]) -> None:
        used = profile_columns(self.profile)
        ignored = [h for h in header if h and h not in used]
        if ignored:
            self.report.ignored[text_name(path)] = ignored

    # -- one batch -------------------------------------------------------------------------------
    def _flush(self, batch: list[Row]) -> None:
        resolver = self.resolver
        resolver.prefetch({a for row in batch for a in self._addresses(row)})
        deals: dict[str, Deal] = {}
        rows_of: dict[str, int] = Counter()
        for row in batch:
            self.checkpoints.advance(row.source, 1, 1)
            deal = self._deal(row)
            rows_of[deal.id] += 1
            if deal.id in deals:
                _merge_into(deals[deal.id], deal)
            else:
                deals[deal.id] = deal
        known = set(self.store.get_deals([d for d in deals if d not in self._written]))
        for deal_id, count in rows_of.items():
            if deal_id in known:
                self.report.duplicates += count
            else:
                self.report.ingested += count
        created, queued = resolver.drain()
        self.report.people += created
        self.report.review += queued
        if deals:
            self.store.upsert_deals(list(deals.values()))
        resolver.settle()
        new = set(deals) - known - self._written
        self.report.deals += len(new)
        self._written |= new
        self.checkpoints.save()

    def _value(self, row: Row, field_name: str) -> object:
        for column in self.profile.fields[field_name]:
            value = _path(row.values, column)
            if value not in (None, ""):
                return value
        return None

    def _text(self, row: Row, field_name: str) -> str:
        value = self._value(row, field_name)
        return "" if value is None else " ".join(str(value).split())

    def _deal(self, row: Row) -> Deal:
        profile, report = self.profile, self.report
        record_id = self._text(row, "id")
        prov = Provenance("deals", row.source, f"row {row.number}" + (f" ({record_id})" if record_id else ""))
        if not record_id:
            record_id = "sha256:" + hashlib.sha256(
                json.dumps(row.values, sort_keys=True, default=str).encode()).hexdigest()[:32]
            report.flagged["no record id"] += 1
        account = self._canonical(row, "account")
        name = self._name(row)
        stage = self._text(row, "stage")
        status = (DealStatus.WON if stage.casefold() in profile.won
                  else DealStatus.LOST if stage.casefold() in profile.lost else DealStatus.OPEN)
        amount = None
        try:
            amount = parse_amount(self._value(row, "amount"))
        except ValueError:
            report.flagged["bad amount"] += 1
        dates = {}
        for f in ("opened", "closed"):
            try:
                dates[f] = parse_date(self._value(row, f), profile.date_formats)
            except (ValueError, OverflowError, OSError):
                dates[f] = None
                report.flagged[f"bad {f} date"] += 1
        org = self._org(account, prov) if account else ""
        if not account:
            report.flagged["no account"] += 1
        deal = Deal(
            id=ids.deal_id(profile.system, record_id),
            name=name or (f"{display_company(account)} {record_id}" if account else record_id),
            org_id=org, stage=stage, status=status, amount=amount,
            currency=(self._text(row, "currency") or profile.currency).upper(),
            opened_at=dates["opened"], closed_at=dates["closed"], provenance=prov,
        )
        deal.roles = self._roles(row, dates["opened"] or dates["closed"], prov)
        return deal

    def _name(self, row: Row) -> str:
        columns = self.profile.fields["name"]
        if len(columns) == 1 and "{" in columns[0]:
            def part(match: re.Match) -> str:
                column = match.group(1)
                if column in self.profile.references or column in self.profile.fields["account"]:
                    return self._canonical(row, column)
                value = _path(row.values, column)
                return "" if value is None else " ".join(str(value).split())

            text = re.sub(r"\{([^{}]+)\}", part, columns[0])
            return re.sub(r"^[\s\-–—:,/|]*(?:for|at|with)?\s+|\s+(?:for|at|with)\s*$|[\s\-–—:,/|]+$", "", text).strip()
        return self._text(row, "name")

    def _canonical(self, row: Row, column_or_field: str) -> str:
        """A value as its reference spelling (flagging a similarity match or a miss)."""
        if column_or_field in self.profile.fields:
            columns = self.profile.fields[column_or_field]
            value = self._text(row, column_or_field)
        else:
            columns = [column_or_field]
            raw = _path(row.values, column_or_field)
            value = "" if raw is None else " ".join(str(raw).split())
        if not value:
            return ""
        for column in [column_or_field, *columns]:
            if column in self.profile.references:
                canon = self._reference(row.source, column)
                if canon is None:
                    return value
                found, how = canon.find(value)
                if how == "similar":
                    self.report.flagged[f"{column} matched by similarity"] += 1
                elif found != value:
                    self.report.flagged[f"{column} respelled as in {self.profile.references[column].file}"] += 1
                elif not how:
                    self.report.flagged[f"{column} not in {self.profile.references[column].file}"] += 1
                return found
        return value

    def _reference(self, source: str, column: str) -> Canon | None:
        ref = self.profile.references[column]
        folder = str(Path(source).parent)
        if (folder, column) not in self._references:
            candidates = [Path(folder) / ref.file]
            if self.profile.path:
                candidates.append(self.profile.path.parent / ref.file)
            canon = None
            for candidate in candidates:
                if candidate.is_file():
                    as_list = replace(self.profile, fields={**self.profile.fields, "id": [ref.column], "name": []})
                    values = [_path(r.values, ref.column) for r in read_rows(str(candidate), as_list)
                              if isinstance(r, Row)]
                    canon = Canon(str(v) for v in values if v not in (None, ""))
                    break
            if canon is None:
                self.report.error(source, "profile", f"reference list {ref.file} for {column!r} not found beside "
                                  "the input or the profile; its values are taken as written", "unreadable")
            self._references[(folder, column)] = canon
        return self._references[(folder, column)]

    def _org(self, account: str, prov: Provenance) -> str:
        if account in self._org_of:
            return self._org_of[account]
        found, how = self._accounts.find(account)
        if how == "similar":
            self.report.flagged["account matched by similarity"] += 1
        else:
            self._accounts.learn(account)
        org = self.resolver.company(found, prov) or ""
        if how != "similar":
            self._org_of[account] = org
        return org

    def _entries(self, row: Row, spec: PersonColumn) -> list[tuple[str, str]]:
        """(display name, raw address) pairs a person column names."""
        out = []
        for column in spec.column:
            value = _path(row.values, column)
            if value in (None, ""):
                continue
            cells = value if isinstance(value, list) else (str(value).split(spec.split) if spec.split else [str(value)])
            names = []
            for column_n in spec.name_column:
                v = _path(row.values, column_n)
                if v not in (None, ""):
                    names = str(v).split(spec.split) if spec.split else [str(v)]
                    break
            for n, cell in enumerate(cells):
                cell = " ".join(str(cell).split())
                if not cell:
                    continue
                match = _PERSON.match(cell)
                if match:
                    out.append((match["name"].strip(" \"'"), match["address"]))
                elif spec.by == "email" and "@" in cell:
                    out.append((names[n].strip() if n < len(names) else "", cell))
                else:
                    out.append((cell, ""))
            break
        else:
            for column_n in spec.name_column:  # no address column: the name alone
                v = _path(row.values, column_n)
                if v not in (None, ""):
                    out += [(" ".join(s.split()), "") for s in (str(v).split(spec.split) if spec.split else [str(v)])
                            if s.strip()]
                    break
        return out

    def _addresses(self, row: Row) -> Iterator[str]:
        for spec in self.profile.people:
            for _, raw in self._entries(row, spec):
                address = normalize_address(raw) if raw else None
                if address:
                    yield address

    def _roles(self, row: Row, at: int | None, prov: Provenance) -> list[DealRole]:
        resolver, roles = self.resolver, []
        for spec in self.profile.people:
            role = spec.role
            for column in spec.role_column:
                value = _path(row.values, column)
                if value not in (None, ""):
                    role = self.profile.roles.get(str(value).strip().casefold(), role)
                    break
            for name, raw in self._entries(row, spec):
                address = resolver.normalize(raw) if raw else None
                if address:
                    if resolver.is_excluded(address):
                        continue
                    pid = resolver.person(name, address, at, prov)
                    if pid and spec.internal:
                        resolver.mark_internal(pid, prov)
                elif name and "@" not in name:
                    pid = resolver.named_person(name, self.profile.system, prov, internal=spec.internal)
                else:
                    self.report.flagged["unusable person address"] += 1
                    pid = None
                if pid:
                    roles.append(DealRole(pid, role))
        return list(dict.fromkeys(roles))


def _merge_into(into: Deal, other: Deal) -> None:
    """Another row of the same deal: its non-empty fields win, its roles add."""
    for name in ("name", "org_id", "stage", "currency", "amount", "opened_at", "closed_at"):
        value = getattr(other, name)
        if value not in (None, ""):
            setattr(into, name, value)
    if other.stage:
        into.status = other.status
    into.roles = list(dict.fromkeys([*into.roles, *other.roles]))


def ingest_deals(store: Store, settings: Settings, paths: Sequence[Path | str], profile: Profile | str = "generic",
                 **options) -> DealReport:
    """Ingest deal exports (CSV, JSON, XLSX) through a mapping profile; see ``DealIngest``."""
    return DealIngest(store, settings, profile, **options).run(paths)
