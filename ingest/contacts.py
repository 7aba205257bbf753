"""Contacts into the graph: vCard 2.1/3/4 exports (Outlook, Gmail, iPhone, Android...) -> people.

Reading (no database): a file is read line by line (UTF-8, else Windows-1252), cut into BEGIN:VCARD ...
END:VCARD blocks by hand (a card longer than Settings.max_card_bytes is skipped, read past), so that one broken card is reported (file + "card N (name)") while the
rest go in; vCard 2.1 quoted-printable soft line breaks are joined and decoded before vobject parses
each block.

Choices:
- A card's first usable email is its person, through the Resolver: an address already known is that
  person (the card merges into them), a new one goes through the usual name and domain rules. The
  card's further emails are attached to the same person (an audited ATTACH event), unless one
  already belongs to someone else: then the pair is queued for `kith review`, never merged silently.
- A card without email but with a name is a person keyed on the folded name within the card's
  organisation (``Resolver.named_person``, scope ``card:<org key>``): the same name at the same
  company from an iPhone and a Gmail export is one person. A similar known name is queued for
  review. A card with neither name nor email is skipped as "no name or email".
- Phones (not faxes or pagers) are normalised like signature phones; TITLE + ORG become a WORKS_AT
  period (no dates) with the card's provenance; the ORG's first unit is the company.
- NOTE becomes a note interaction about the person (role SUBJECT, no author: the export does not
  say who wrote it) in topics and full privacy modes, its text kept as for `kith note add`;
  metadata mode keeps no note text, so no note.
- Idempotent: people, emails, phones and employment are upserts; a note's id comes from the person
  and the note text; the report counts a card as a duplicate when a card with the same natural key
  (UID, else first email, else name + org) and the same content was ingested before.
"""

from __future__ import annotations

import hashlib
import logging
import quopri
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import vobject

from kith.graph import ids
from kith.graph.knows import deltas
from kith.graph.model import Interaction, InteractionKind, InteractionWrite, Participant, Provenance, Role
from kith.graph.settings import Settings
from kith.graph.store import Store
from kith.graph.text import fold
from kith.ingest.checkpoints import Checkpoints
from kith.ingest.files import BoundedLines, ReadLimits, files_under
from kith.ingest.identity.organizations import normalize_company
from kith.ingest.identity.phones import normalize_phone
from kith.ingest.notes import note_text
from kith.ingest.report import RunReport, over_limit
from kith.ingest.resolve import Resolver

CONTACT_SUFFIXES = (".vcf", ".vcard")
_BEGIN = re.compile(r"^\s*BEGIN\s*:\s*VCARD\s*$", re.IGNORECASE)
_END = re.compile(r"^\s*END\s*:\s*VCARD\s*$", re.IGNORECASE)
_QP = re.compile(r"ENCODING\s*=\s*QUOTED-PRINTABLE|;QUOTED-PRINTABLE\b", re.IGNORECASE)
_CHARSET = re.compile(r"CHARSET\s*=\s*([\w-]+)", re.IGNORECASE)
_NOT_PHONES = frozenset({"fax", "pager"})
for _name in ("vobject", "vobject.base"):  # unreadable lines are dropped per card, not logged
    logging.getLogger(_name).setLevel(logging.CRITICAL)


@dataclass(slots=True)
class Card:
    source: str
    position: str
    name: str = ""
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    title: str = ""
    org: str = ""
    note: str = ""
    uid: str = ""

    def natural_key(self) -> str:
        if self.uid:
            return f"uid:{self.uid}"
        if self.emails:
            return f"email:{self.emails[0].lower()}"
        return f"name:{fold(self.name)}|{normalize_company(self.org) if self.org else ''}"

    def content_hash(self) -> str:
        text = "\x1f".join([self.name, *self.emails, "|", *self.phones, self.title, self.org, self.note])
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class CardError:
    source: str
    position: str
    reason: str
    whole_file: bool = False  # the file itself could not be read: no card at all


# -- reading -------------------------------------------------------------------------------------
def iter_contact_files(paths: Iterable[Path | str]) -> Iterator[str]:
    return files_under(paths, lambda name: name.lower().endswith(CONTACT_SUFFIXES))


def read_cards(path: str, limits: ReadLimits = ReadLimits()) -> Iterator[Card | CardError]:
    """The cards of one file, in order, streamed. Never raises for bad input. A card longer than
    limits.card_bytes is an error that says so, read past without being held."""
    try:
        with open(path, "rb") as f:
            lines = BoundedLines(f, limits.card_bytes)
            number = 0
            for number, (block, size) in enumerate(_blocks(lines, limits.card_bytes), 1):
                yield _card(path, number, block) if block else CardError(
                    path, f"card {number}", over_limit(f"a card of {size:,} characters", limits.card_bytes,
                                                       "KITH_MAX_CARD_BYTES"))
    except OSError as exc:
        yield CardError(path, "file", f"cannot read the file: {exc.strerror or exc}", whole_file=True)
        return
    if not number:
        yield CardError(path, "file", "not a vCard file: no BEGIN:VCARD ... END:VCARD found", whole_file=True)


def _blocks(lines: BoundedLines, limit: int) -> Iterator[tuple[list[str], int]]:
    """Top-level BEGIN:VCARD ... END:VCARD line blocks with their size (a nested AGENT card stays inside
    its parent); a block past ``limit`` comes back empty. An unterminated last card is still yielded,
    so it is reported rather than lost."""
    depth, block = 0, []
    for line in lines:
        line = line.rstrip("\r\n")
        if _BEGIN.match(line):
            if not depth:
                lines.start_record()
            depth += 1
        if depth and not (lines.cut or lines.read > limit):
            block.append(line)
        elif block:
            block = []  # past the limit: read on to its END, keeping nothing
        if depth and _END.match(line):
            depth -= 1
            if depth == 0:
                yield block, lines.read
                block = []
    if depth:
        yield block, lines.read


def _join_quoted_printable(lines: list[str]) -> list[str]:
    """vCard 2.1 quoted-printable values continue on the next line after a trailing '='."""
    out: list[str] = []
    carrying = False
    for line in lines:
        if carrying:
            out[-1] = out[-1][:-1] + line
        else:
            out.append(line)
        head = out[-1].split(":", 1)[0]
        carrying = bool(_QP.search(head)) and out[-1].endswith("=")
    return out


_PROPERTY = re.compile(r"^[A-Za-z0-9.-]+[;:]")
_BLOBS = re.compile(r"^(?:[\w-]+\.)?(?:PHOTO|LOGO|SOUND|KEY|PROFILE|AGENT)[;:]", re.IGNORECASE)


def _without_blobs(lines: list[str]) -> list[str]:
    """The card without binary properties (and their continuation lines) or a PROFILE line."""
    out, dropping = [], False
    for line in lines:
        if _PROPERTY.match(line):
            dropping = bool(_BLOBS.match(line))
        if not dropping:
            out.append(line)
    return out


def _card(path: str, number: int, lines: list[str]) -> Card | CardError:
    position = f"card {number}"
    if not _END.match(lines[-1]):
        return CardError(path, position, "unterminated card: no END:VCARD")
    lines = _join_quoted_printable(lines)
    try:
        component = vobject.readOne("\r\n".join(lines) + "\r\n", ignoreUnreadable=True)
    except Exception as exc:  # vobject raises its own errors and plain ones for broken lines
        try:  # a broken PHOTO/KEY blob or a stray PROFILE line must not cost the whole card
            component = vobject.readOne("\r\n".join(_without_blobs(lines)) + "\r\n", ignoreUnreadable=True)
        except Exception:
            return CardError(path, position, f"unreadable card: {_short(exc)}")
    try:
        return _fields(path, position, component)
    except Exception as exc:
        return CardError(path, position, f"unreadable card: {_short(exc)}")


def _fields(path: str, position: str, c) -> Card:
    card = Card(path, position)
    card.name = _text(c, "fn") or _structured_name(c)
    card.emails = [e for e in (_value(p).strip() for p in c.contents.get("email", [])) if "@" in e]
    for p in c.contents.get("tel", []):
        types = {t.lower() for t in p.params.get("TYPE", [])} | {k.lower() for k in p.params if not p.params[k]}
        if types & _NOT_PHONES:
            continue
        phone = normalize_phone(_value(p).removeprefix("tel:"))
        if phone and phone not in card.phones:
            card.phones.append(phone)
    card.title = _text(c, "title")
    org = c.contents.get("org")
    if org:
        units = org[0].value if isinstance(org[0].value, list) else [org[0].value]
        first = units[0] if units else ""
        card.org = (", ".join(s.strip() for s in first) if isinstance(first, list) else str(first)).strip()
    card.note = _text(c, "note")
    card.uid = _text(c, "uid")
    if card.name:
        card.position = f"{position} ({card.name})"
    return card


def _value(prop) -> str:
    value = prop.value
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    value = str(value)
    encoding = prop.params.get("ENCODING", [""])[0].upper() if prop.params.get("ENCODING") else ""
    if encoding == "QUOTED-PRINTABLE" or "QUOTED-PRINTABLE" in prop.singletonparams:
        charset = (prop.params.get("CHARSET") or ["utf-8"])[0]
        raw = quopri.decodestring(value.encode("latin-1", errors="replace"))
        try:
            value = raw.decode(charset)
        except (LookupError, UnicodeDecodeError):
            value = raw.decode("utf-8", errors="replace")
    return value


def _text(c, name: str) -> str:
    props = c.contents.get(name)
    return " ".join(_value(props[0]).split()) if name != "note" and props else (_value(props[0]).strip() if props else "")


def _structured_name(c) -> str:
    props = c.contents.get("n")
    if not props:
        return ""
    n = props[0].value
    if isinstance(n, str):
        return " ".join(n.replace(";", " ").split())
    parts = [n.prefix, n.given, n.additional, n.family, n.suffix]
    return " ".join(" ".join(p) if isinstance(p, list) else str(p) for p in parts if p).strip()


def _short(exc: BaseException) -> str:
    return (" ".join(str(exc).split()) or type(exc).__name__)[:200]


# -- the run -------------------------------------------------------------------------------------
class ContactsIngest:
    """One run over some vCard files. ``run`` returns the report; progress goes to ``on_progress(bytes)``."""

    def __init__(self, store: Store, settings: Settings, *, batch_size: int = 500,
                 exclude_addresses: Sequence[str] = (), exclude_domains: Sequence[str] = (),
                 on_progress: Callable[[int], None] | None = None):
        self.store = store
        self.settings = settings
        self.batch_size = batch_size
        self.on_progress = on_progress or (lambda n: None)
        self.resolver = Resolver(store, settings, exclude_addresses, exclude_domains)
        self.report = RunReport("contacts")
        self.checkpoints = Checkpoints(store, "contacts", self.report)

    def run(self, paths: Sequence[Path | str]) -> RunReport:
        limits = ReadLimits.of(self.settings)
        for batch in self.checkpoints.batches(iter_contact_files(paths), lambda path: read_cards(path, limits), CardError,
                                              self.batch_size, self.on_progress):
            self._flush(batch)
        return self.report

    def _flush(self, batch: list[Card]) -> None:
        resolver = self.resolver
        resolver.prefetch({a for card in batch for a in map(resolver.normalize, card.emails) if a})
        notes: dict[str, Interaction] = {}
        seen: dict[str, str] = {}
        for card in batch:
            self.checkpoints.advance(card.source, 1, 1)
            key, digest = card.natural_key(), card.content_hash()
            if seen.get(key) == digest or self.store.get_meta(f"contacts-card:{key}") == digest:
                self.report.duplicates += 1
                continue
            pid = self._person(card)
            if pid is None:
                continue
            seen[key] = digest
            self.report.ingested += 1
            note = self._note(card, pid)
            if note is not None:
                notes.setdefault(note.id, note)
        created, queued = resolver.drain()
        self.report.people += created
        self.report.review += queued
        if notes:
            self.store.add_interactions([InteractionWrite(n, tuple(deltas(n))) for n in notes.values()])
        resolver.settle()
        self.store.set_meta({f"contacts-card:{k}": v for k, v in seen.items()})
        self.checkpoints.save()

    def _person(self, card: Card) -> str | None:
        resolver = self.resolver
        prov = Provenance("contacts", card.source, card.uid or card.position)
        addresses = [a for a in dict.fromkeys(filter(None, map(resolver.normalize, card.emails)))
                     if not resolver.is_excluded(a)]
        if addresses:
            pid = resolver.person(card.name, addresses[0], None, prov)
            if pid is None:
                self.report.skip("erased person", card.source)
                return None
            resolver.fill_name(pid, card.name, prov)
            for address in addresses[1:]:
                resolver.add_address(pid, address, prov, f"listed on one contact card ({card.position})")
        elif card.emails and not addresses:
            self.report.skip("excluded" if any(map(resolver.normalize, card.emails)) else "no usable email", card.source)
            return None
        else:
            org_key = normalize_company(card.org) if card.org else ""
            pid = resolver.named_person(card.name, f"card:{org_key}", prov)
            if pid is None:
                self.report.skip("no name or email", card.source)
                return None
        if card.phones:
            resolver.add_phones(pid, card.phones, prov)
        if card.org:
            org = resolver.company(card.org, prov)
            if org:
                resolver.employ(pid, org, card.title, None, prov)
        return pid

    def _note(self, card: Card, pid: str) -> Interaction | None:
        privacy = self.settings.privacy
        if not card.note or not privacy.keeps_content:
            return None
        subject, topics, body = note_text(card.note, privacy)
        digest = hashlib.sha256(card.note.encode("utf-8", "surrogatepass")).hexdigest()[:24]
        return Interaction(
            id=ids.interaction_id("note", f"vcard:{pid}:{digest}"),
            kind=InteractionKind.NOTE,
            occurred_at=None,
            participants=[Participant(pid, Role.SUBJECT)],
            subject=subject, topics=topics, body=body,
            provenance=Provenance("contacts", card.source, card.uid or card.position),
        )


def ingest_contacts(store: Store, settings: Settings, paths: Sequence[Path | str], **options) -> RunReport:
    """Ingest vCard files and folders; see ``ContactsIngest`` for the options."""
    return ContactsIngest(store, settings, **options).run(paths)
