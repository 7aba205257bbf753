"""The Mutation type: ingest uploads, identity fixes, notes, sharing, blocking, opt-outs and erasure.

Roles are checked by the permission classes (matrix in ``api.permissions``). A write's target must be
visible to the writer: a person behind their walls is "not found", exactly as a missing one. Blocked
and opted-out people stay addressable here (by id), so they can be unblocked, opted back in or erased.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from kith.api.graphql import types as t
from kith.api.jobs import ENDED, JobKind
from kith.api.graphql.permissions import CanWrite, Forbidden, IsAdmin
from kith.api.graphql.pagination import BadInput
from kith.graph import erasure
from kith.graph.errors import NotFound
from kith.graph.model import Person, Sharing

MAX_FILES = 100
MAX_NAME_BYTES = 200  # stored as "NNN-name", under the 255-byte limit of every common file system
MAX_NOTE_CHARS = 20_000


async def target_person(info: Info, person_id: str, argument: str) -> Person:
    """A person the writer may act on: any that exists outside their walls (else the same NotFound as
    for a missing id)."""
    ctx = info.context
    record = await ctx.loaders.people_records.load(person_id) if ctx.scope.sees_person(person_id) else None
    if record is None:
        raise NotFound(f"No person has the id given in `{argument}`; find ids with `search`.")
    return record


async def _colleague(info: Info, given: strawberry.ID | None, argument: str, on_behalf: str) -> Person:
    """The colleague a mutation acts for: ``given`` (admins only, unless it is the user) or the user."""
    ctx = info.context
    pid = str(given) if given is not None else ctx.person_id
    if not pid:
        raise BadInput(f"Your user is not linked to a colleague in the graph; pass `{argument}:` with a colleague's "
                       "id, or re-add the user with `kith users add NAME --email YOU@FIRM`.")
    if pid != ctx.person_id and not ctx.is_admin:
        raise Forbidden(f"Only an admin may {on_behalf}.")
    record = await target_person(info, pid, argument)
    if not record.is_internal:
        raise BadInput(f"{record.name or record.id} is not a colleague but an outside contact.")
    return record


def _forget(info: Info, *person_ids: str) -> None:
    """Drop these people from the request's loader after a write changed them (``people`` reads through it)."""
    loader = info.context.loaders.people_records
    for pid in person_ids:
        if loader.cache_map.get(pid) is not None:
            loader.clear(pid)


async def _changed(info: Info, event) -> t.IdentityChange:
    _forget(info, event.person_id, event.other_id)
    return t.IdentityChange(event_id=event.id, kind=str(event.kind), person=await t.person_node(info, event.person_id),
                            other=await t.person_node(info, event.other_id), emails=list(event.emails))


def _check_upload(ctx, files: list, kind: JobKind, profile: str) -> None:
    """Refuse an upload that cannot make a job, as HTTP 400 with a message that says what to change."""
    problem = ""
    names = [getattr(f, "filename", None) for f in files]
    if not files:
        problem = "No files were uploaded; send them as a multipart request (GraphQL multipart spec)."
    elif len(files) > MAX_FILES:
        problem = f"At most {MAX_FILES} files per job; zip-free folders of mail can go in several jobs."
    elif not all(names) or not all(hasattr(f, "file") for f in files):
        problem = "Every uploaded file needs a file name (the filename of its multipart part)."
    elif any(len(name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES for name in names):
        problem = f"A file name may be at most {MAX_NAME_BYTES} bytes; rename the file and upload it again."
    elif kind == JobKind.DEALS:
        from kith.ingest.deals import available_profiles

        if profile not in available_profiles():
            problem = f"Unknown deal profile {profile!r}; use one of {', '.join(available_profiles())}."
    if problem:
        ctx.response.status_code = 400
        raise BadInput(problem)


@strawberry.type
class Mutation:
    @strawberry.mutation(permission_classes=[CanWrite],
                         description="Upload files to ingest in the background; poll `ingestJob(id)` for the report.")
    async def ingest(self, info: Info, kind: t.IngestKind, files: list[Upload],
                     profile: str = "generic") -> t.IngestJob:
        ctx = info.context
        _check_upload(ctx, files, JobKind(kind.value), profile)
        folder = await ctx.run(ctx.jobs.save_uploads, [(f.filename, f.file) for f in files])
        job = ctx.jobs.submit(JobKind(kind.value), folder, ctx.user.name, profile)
        return t.IngestJob.of(job)

    @strawberry.mutation(permission_classes=[CanWrite],
                         description="Stop an ingest job you started (admins: any job); what it ingested stays.")
    async def cancel_ingest_job(self, info: Info, id: strawberry.ID) -> t.IngestJob:
        ctx = info.context
        job = await ctx.run(ctx.jobs.get, str(id))
        if job is None or (job.user != ctx.user.name and not ctx.is_admin):
            raise NotFound("No ingest job of yours has this id; `ingest` returns it.")
        if job.state not in ENDED:
            job = await ctx.run(ctx.jobs.cancel, job.id)
        return t.IngestJob.of(job)

    @strawberry.mutation(permission_classes=[CanWrite],
                         description="Two records are one person: fold `other` into `keep` (undo with `kith review undo`).")
    async def merge_people(self, info: Info, keep: strawberry.ID, other: strawberry.ID,
                           reason: str = "merged through the API") -> t.IdentityChange:
        from kith.graph.identity import merge_people

        ctx = info.context
        a, b = await target_person(info, str(keep), "keep"), await target_person(info, str(other), "other")
        event = await ctx.run(merge_people, ctx.store, a.id, b.id, reason, ctx.user.name)
        return await _changed(info, event)

    @strawberry.mutation(permission_classes=[CanWrite],
                         description="Some addresses are someone else: move them (and what was done through them) to a new person.")
    async def split_person(self, info: Info, person: strawberry.ID, emails: list[str], name: str = "",
                           reason: str = "split through the API") -> t.IdentityChange:
        from kith.graph.identity import split_person
        from kith.ingest.identity.lookup import as_stored

        ctx = info.context
        record = await target_person(info, str(person), "person")
        event = await ctx.run(split_person, ctx.store, record.id, [as_stored(e) for e in emails], reason,
                              ctx.user.name, name)
        return await _changed(info, event)

    @strawberry.mutation(permission_classes=[CanWrite],
                         description="Record a note about a person, by you (or, for admins, by another colleague).")
    async def add_note(self, info: Info, about: strawberry.ID, text: str, by: strawberry.ID | None = None,
                       at: datetime | None = None) -> t.NoteAdded:
        from kith.ingest.notes import add_note

        ctx = info.context
        if len(text) > MAX_NOTE_CHARS:
            raise BadInput(f"The note is longer than {MAX_NOTE_CHARS} characters; shorten it.")
        subject = await target_person(info, str(about), "about")
        author = await _colleague(info, by, "by", "add a note on another colleague's behalf")
        if not subject.emails or not author.emails:
            raise BadInput("Both people need an email address for a note.")
        result = await ctx.run(add_note, ctx.store, ctx.settings, subject.emails[0], author.emails[0], text,
                               t.epoch(at), source="kith api")
        return t.NoteAdded(interaction=await t.interaction_node(info, result.interaction), new=result.new,
                           text_kept=result.text_kept)

    @strawberry.mutation(description="What others see of a colleague's interactions: your own (anyone), or "
                                     "another colleague's (admins).")
    async def set_sharing(self, info: Info, level: t.SharingLevel, person: strawberry.ID | None = None) -> t.Person:
        ctx = info.context
        pid = (await _colleague(info, person, "person", "set another colleague's sharing")).id
        await ctx.run(ctx.store.update_person, pid, sharing=Sharing(level.value))
        _forget(info, pid)
        node = await t.person_node(info, pid)
        if node is None:
            raise NotFound("No person has the id given in `person`; find ids with `search`.")
        return node

    @strawberry.mutation(permission_classes=[CanWrite],
                         description="Block a contact (never shown to others or used on a path); blocked: false unblocks.")
    async def block_contact(self, info: Info, person: strawberry.ID, blocked: bool = True) -> t.PersonFlags:
        return await _flag(info, str(person), blocked=blocked)

    @strawberry.mutation(permission_classes=[CanWrite],
                         description="Record a person's wish not to be shown or used as an intermediary; optedOut: false reverses it.")
    async def opt_out(self, info: Info, person: strawberry.ID, opted_out: bool = True) -> t.PersonFlags:
        return await _flag(info, str(person), opted_out=opted_out)

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Erase a person and everything derived from them; their addresses are never re-ingested.")
    async def erase_person(self, info: Info, person: strawberry.ID) -> t.Erasure:
        ctx = info.context
        record = await target_person(info, str(person), "person")
        removed = await ctx.run(erasure.erase_person, ctx.store, record.id)
        return t.Erasure(id=strawberry.ID(record.id), removed=[t.Count(name=k, count=v) for k, v in removed.items()])


    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Define an ethical wall, or add users, organisations or deals to it (audited).")
    async def define_wall(self, info: Info, name: str, users: list[str] | None = None,
                          organizations: list[strawberry.ID] | None = None,
                          deals: list[strawberry.ID] | None = None) -> t.Wall:
        ctx = info.context
        if not (users or organizations or deals):
            raise BadInput("Name what the wall holds: users and organizations or deals.")
        await ctx.run(ctx.access.add_wall, name, users or [], [str(o) for o in organizations or []],
                      [str(d) for d in deals or []], actor=ctx.user.name)
        return t.Wall.of(next(w for w in await ctx.run(ctx.access.walls) if w.name == name))

    @strawberry.mutation(permission_classes=[IsAdmin],
                         description="Lift an ethical wall: its users see its organisations and deals again (audited).")
    async def lift_wall(self, info: Info, name: str) -> bool:
        ctx = info.context
        await ctx.run(ctx.access.lift_wall, name, actor=ctx.user.name)
        return True


async def _flag(info: Info, pid: str, **flags: bool) -> t.PersonFlags:
    ctx = info.context
    record = await target_person(info, pid, "person")
    if record.is_internal:
        raise BadInput("That is a colleague; block and opt out apply to outside contacts.")
    await ctx.run(ctx.store.update_person, pid, **flags)
    after = (await ctx.run(ctx.store.get_people, [pid]))[pid]
    return t.PersonFlags(id=strawberry.ID(pid), blocked=after.blocked, opted_out=after.opted_out)
