"""What mutations and the admin queries return: ingest jobs, identity changes, notes, erasure, access."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from kith.api.graphql.types.records import Interaction, Person, person_node, when


# -- jobs, identity, access -----------------------------------------------------------------------------
@strawberry.type(description="A background ingest of uploaded files.")
class IngestJob:
    id: strawberry.ID
    kind: str
    state: str
    user: str
    files: list[str]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    report: JSON | None = strawberry.field(description="The run report once done (as `kith ingest --json`).")
    error: str | None

    @classmethod
    def of(cls, job) -> IngestJob:
        return cls(id=strawberry.ID(job.id), kind=str(job.kind), state=str(job.state), user=job.user,
                   files=list(job.files), created_at=when(job.created_at), started_at=when(job.started_at),
                   finished_at=when(job.finished_at), report=job.report, error=job.error or None)


@strawberry.type
class IdentityChange:
    event_id: int | None
    kind: str
    person: Person | None
    other: Person | None
    emails: list[str]


@strawberry.type
class NoteAdded:
    interaction: Interaction
    new: bool
    text_kept: bool


@strawberry.type(description="A person's flags after blockContact / optOut. They no longer appear in results.")
class PersonFlags:
    id: strawberry.ID
    blocked: bool
    opted_out: bool


@strawberry.type
class Count:
    name: str
    count: int


@strawberry.type
class Erasure:
    id: strawberry.ID
    removed: list[Count]


@strawberry.type
class Me:
    name: str
    role: str

    @strawberry.field
    async def person(self, info: Info) -> Person | None:
        pid = info.context.person_id
        return await person_node(info, pid) if pid else None


@strawberry.type(description="An ethical wall: its users see nothing of its organisations and deals.")
class Wall:
    name: str
    users: list[str]
    organizations: list[strawberry.ID]
    deals: list[strawberry.ID]

    @classmethod
    def of(cls, wall) -> Wall:
        return cls(name=wall.name, users=list(wall.users), organizations=[strawberry.ID(o) for o in wall.orgs],
                   deals=[strawberry.ID(d) for d in wall.deals])


@strawberry.type(description="The last run of one `kith sync` account.")
class SyncStatus:
    account: str
    kind: str = strawberry.field(description="imap (the protocol synced)")
    ok: bool
    error: str
    at: datetime = strawberry.field(description="When the last run ended.")
    last_success_at: datetime | None
    fetched: int = strawberry.field(description="Messages or events read by the last run.")
    ingested: int

    @classmethod
    def of(cls, status: dict) -> SyncStatus:
        return cls(account=status["account"], kind=status["kind"], ok=status["ok"], error=status["error"],
                   at=when(status["at"]), last_success_at=when(status.get("last_success_at")),
                   fetched=status.get("fetched", 0), ingested=status.get("ingested", 0))


@strawberry.type
class AuditEntry:
    at: datetime
    user: str
    operation: str
    subject: strawberry.ID


@strawberry.enum
class IngestKind(Enum):
    EMAIL = "email"
    CALENDAR = "calendar"
    DEALS = "deals"
    CONTACTS = "contacts"
