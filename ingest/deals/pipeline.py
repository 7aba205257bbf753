"""The deal ingest run: rows into deals, organisations and people, resumable and idempotent."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from kith.graph import ids
from kith.graph.model import Deal, DealRole, DealStatus, Provenance, text_name
from kith.graph.settings import Settings
from kith.graph.store import Store
from kith.ingest.checkpoints import Checkpoints
from kith.ingest.deals.profiles import PersonColumn, Profile, load_profile
from kith.ingest.deals.readers import Row, RowError, field_at, iter_deal_files, profile_columns, read_rows
from kith.ingest.deals.values import Canon, parse_amount, parse_date
from kith.ingest.files import ReadLimits
from kith.ingest.identity.addresses import normalize_address
from kith.ingest.identity.organizations import display_company
from kith.ingest.report import RunReport
from kith.ingest.resolve import Resolver

_PERSON = re.compile(r"^\s*(?P<name>.*?)\s*[<(\[]\s*(?P<address>[^<>()\[\]\s]+@[^<>()\[\]\s]+)\s*[>)\]]\s*$")


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
            value = field_at(row.values, column)
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
                value = field_at(row.values, column)
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
            raw = field_at(row.values, column_or_field)
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
                    values = [field_at(r.values, ref.column) for r in read_rows(str(candidate), as_list)
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
            value = field_at(row.values, column)
            if value in (None, ""):
                continue
            cells = value if isinstance(value, list) else (str(value).split(spec.split) if spec.split else [str(value)])
            names = []
            for column_n in spec.name_column:
                v = field_at(row.values, column_n)
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
                v = field_at(row.values, column_n)
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
                value = field_at(row.values, column)
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
