"""The graph model: plain records that flow from readers through identity resolution into a store.

Times are UTC epoch seconds (int); ``None`` means unknown, never 1970 and never "now".
Every record carries the provenance of the source record that established it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum

from kith.graph.text import document_text, index_text


def text_name(name: str) -> str:
    """A file name as text any store or terminal accepts: itself when it is UTF-8, otherwise with its
    undecodable bytes (which Python holds as surrogate escapes) written as ``\\xNN``."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


class InteractionKind(StrEnum):
    EMAIL = "email"
    MEETING = "meeting"
    CALL = "call"
    NOTE = "note"


class Role(StrEnum):
    """A participant's part in an interaction."""

    FROM = "from"
    TO = "to"
    CC = "cc"
    BCC = "bcc"
    ORGANIZER = "organizer"
    ATTENDEE = "attendee"
    AUTHOR = "author"  # of a note
    SUBJECT = "subject"  # the person a note is about


class Attendance(StrEnum):
    ACCEPTED = "accepted"
    TENTATIVE = "tentative"
    DECLINED = "declined"
    NEEDS_ACTION = "needs-action"
    UNKNOWN = "unknown"


class Category(StrEnum):
    """What kind of traffic an interaction is. Only PERSONAL counts towards relationship strength."""

    PERSONAL = "personal"
    BULK = "bulk"
    MAILING_LIST = "mailing-list"
    AUTO_REPLY = "auto-reply"
    BOUNCE = "bounce"
    NO_REPLY = "no-reply"


class DealStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class DealRoleKind(StrEnum):
    DECISION_MAKER = "decision-maker"
    CHAMPION = "champion"
    INFLUENCER = "influencer"
    ECONOMIC_BUYER = "economic-buyer"
    TEAM_MEMBER = "team-member"  # one of ours


class Sharing(StrEnum):
    """How much of a colleague's interactions others may see."""

    ALL = "all"
    SUBJECTS = "subjects"
    HIDE = "hide"


@dataclass(frozen=True, slots=True)
class Provenance:
    source_kind: str  # email | calendar | deals | contacts | note | manual
    source: str  # file path or system name
    record: str  # record id within the source (Message-ID, UID, row number...)
    ingested_at: int = field(default_factory=lambda: int(time.time()))

    def __post_init__(self) -> None:
        # a file name that is not UTF-8 reaches here with surrogate escapes, which no store can hold
        if self.source.isascii() and self.record.isascii():  # the usual case, checked at once
            return
        for name in ("source", "record"):
            object.__setattr__(self, name, text_name(getattr(self, name)))


@dataclass(slots=True)
class Person:
    id: str
    name: str = ""
    emails: list[str] = field(default_factory=list)  # normalised
    phones: list[str] = field(default_factory=list)
    given_name: str = ""
    family_name: str = ""
    is_internal: bool = False
    opted_out: bool = False  # asked not to be used as an intermediary or shown to others
    blocked: bool = False  # a colleague blocked this contact
    sharing: Sharing = Sharing.ALL  # for colleagues: what others see of their interactions
    provenance: Provenance | None = None


@dataclass(slots=True)
class Organization:
    id: str
    name: str
    normalized_name: str
    domains: list[str] = field(default_factory=list)
    provenance: Provenance | None = None
    name_guessed: bool = False  # the name is a guess from a domain ("Acmeholdings"); a written one replaces it


@dataclass(slots=True)
class WorksAt:
    """One period of employment. A job change adds a row; it never overwrites one."""

    person_id: str
    org_id: str
    title: str = ""
    since: int | None = None
    until: int | None = None
    provenance: Provenance | None = None


@dataclass(frozen=True, slots=True)
class Participant:
    person_id: str
    role: Role
    status: Attendance = Attendance.UNKNOWN
    address: str = ""  # the address they took part through, so a split can move exactly these


@dataclass(slots=True)
class Interaction:
    id: str
    kind: InteractionKind
    occurred_at: int | None
    participants: list[Participant]
    subject: str = ""  # a header, kept in every privacy mode (a note's text: not in metadata)
    topics: list[str] = field(default_factory=list)
    body: str = ""  # kept only in full privacy mode
    thread_id: str = ""
    parent_id: str = ""  # the interaction this one replies to
    category: Category = Category.PERSONAL
    duration_s: int | None = None
    provenance: Provenance | None = None
    # topics privacy: the body's content words, unordered (ingest.topics.content_terms). Only indexed
    # for search (the stores' document text), never stored on the interaction nor shown.
    terms: str = ""
    # index_text of the document text, when the reader made it (in a parser worker); None: made here
    search_tokens: str | None = field(default=None, compare=False, repr=False)

    def document(self) -> tuple[str, str]:
        """(the text a store indexes for search, its index tokens)."""
        text = document_text(self.subject, self.topics, self.body, self.terms)
        return text, index_text(text) if self.search_tokens is None else self.search_tokens

    def people(self, *roles: Role) -> list[str]:
        """Distinct participant ids, optionally only those in the given roles, in order."""
        seen: dict[str, None] = {}
        for p in self.participants:
            if not roles or p.role in roles:
                seen.setdefault(p.person_id, None)
        return list(seen)


@dataclass(frozen=True, slots=True)
class DealRole:
    person_id: str
    role: DealRoleKind


@dataclass(slots=True)
class Deal:
    id: str
    name: str
    org_id: str = ""
    stage: str = ""
    status: DealStatus = DealStatus.OPEN
    amount: float | None = None
    currency: str = ""
    opened_at: int | None = None
    closed_at: int | None = None
    roles: list[DealRole] = field(default_factory=list)
    provenance: Provenance | None = None


# Signals a KNOWS edge accumulates. Counters add; first_at/last_at take min/max.
KNOWS_COUNTERS: tuple[str, ...] = (
    "emails_ab",  # emails a sent with b as a recipient
    "emails_ba",
    "email_weight",  # group-size dampened sum over those emails
    "meetings",
    "meeting_weight",  # group-size dampened
    "calls",
    "notes",
    "replies_ab",  # a replied to b
    "replies_ba",
    "reply_hours_ab",  # summed latency of a's replies to b
    "reply_hours_ba",
)


@dataclass(slots=True)
class Knows:
    """The derived relationship signals of one unordered pair (a < b)."""

    a: str
    b: str
    first_at: int | None = None
    last_at: int | None = None
    emails_ab: float = 0
    emails_ba: float = 0
    email_weight: float = 0
    meetings: float = 0
    meeting_weight: float = 0
    calls: float = 0
    notes: float = 0
    replies_ab: float = 0
    replies_ba: float = 0
    reply_hours_ab: float = 0
    reply_hours_ba: float = 0

    def add(self, other: Knows) -> None:
        """Fold another delta for the same pair into this one (spelled out: a loop over KNOWS_COUNTERS
        with getattr/setattr cost the ingest's main process ~3x as much; a new counter goes here too)."""
        self.emails_ab += other.emails_ab
        self.emails_ba += other.emails_ba
        self.email_weight += other.email_weight
        self.meetings += other.meetings
        self.meeting_weight += other.meeting_weight
        self.calls += other.calls
        self.notes += other.notes
        self.replies_ab += other.replies_ab
        self.replies_ba += other.replies_ba
        self.reply_hours_ab += other.reply_hours_ab
        self.reply_hours_ba += other.reply_hours_ba
        self.first_at = _min(self.first_at, other.first_at)
        self.last_at = _max(self.last_at, other.last_at)


@dataclass(frozen=True, slots=True)
class InteractionWrite:
    """An interaction and the KNOWS deltas it contributes, written together: the deltas apply only
    when the interaction is new, so re-ingesting changes nothing."""

    interaction: Interaction
    knows: tuple[Knows, ...] = ()


@dataclass(frozen=True, slots=True)
class TextHit:
    doc_id: str
    kind: str  # interaction kind or "deal"
    occurred_at: int | None
    text: str
    score: float  # the store's own relevance; comparable only within one result list


class IdentityEventKind(StrEnum):
    MERGE = "merge"  # two people found to be one; other_id's facts moved to person_id
    ATTACH = "attach"  # a new address recognised as an existing person's
    SPLIT = "split"  # addresses moved out of person_id into other_id


@dataclass(slots=True)
class IdentityEvent:
    """An auditable, reversible identity decision: what, when, why, by whom."""

    kind: IdentityEventKind
    person_id: str
    other_id: str
    emails: list[str]  # the addresses that moved
    reason: str
    actor: str  # "kith" for automatic decisions, else the user
    at: int
    snapshot: dict = field(default_factory=dict)  # other_id's person record before a merge
    id: int | None = None
    undone_at: int | None = None
    undone_by: str = ""


class ReviewStatus(StrEnum):
    OPEN = "open"
    MERGED = "merged"
    REJECTED = "rejected"


@dataclass(slots=True)
class ReviewItem:
    """Two people who may be one, left for a person to decide."""

    person_id: str
    other_id: str
    score: float
    reason: str
    created_at: int
    status: ReviewStatus = ReviewStatus.OPEN
    id: int | None = None
    resolved_by: str = ""
    resolved_at: int | None = None


def _min(x: int | None, y: int | None) -> int | None:
    return y if x is None else x if y is None else min(x, y)


def _max(x: int | None, y: int | None) -> int | None:
    return y if x is None else x if y is None else max(x, y)
