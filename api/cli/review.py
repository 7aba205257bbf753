"""`kith review`: decide possible duplicates, and undo or split identity decisions."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from rich.table import Table

from kith.api.cli.context import AsJson, out, print_json, say, store_of
from kith.graph.errors import NotFound

app = typer.Typer(help="List possible duplicate people and decide them.", invoke_without_command=True)

By = Annotated[str, typer.Option("--by", help="Who decides (recorded in the audit log).")]


def _me() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@app.callback()
def review(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="How many to list.")] = 50,
    as_json: AsJson = False,
) -> None:
    """List open merge candidates, most likely first. Decide with `kith review merge|reject ID`."""
    if ctx.invoked_subcommand:
        return
    store = store_of(ctx)
    items = store.review_items(limit=limit)
    people = store.get_people({pid for i in items for pid in (i.person_id, i.other_id)})

    def who(pid: str) -> dict:
        p = people.get(pid)
        return {"id": pid, "name": p.name if p else "", "emails": p.emails if p else []}

    rows = [{"id": i.id, "score": i.score, "reason": i.reason, "person": who(i.person_id), "other": who(i.other_id)}
            for i in items]
    if as_json:
        print_json(rows)
        return
    if not rows:
        out.print("Nothing to review.")
        return
    table = Table("id", "score", "person", "other", "why")
    for r in rows:
        table.add_row(str(r["id"]), f"{r['score']:.2f}",
                      f"{r['person']['name']}\n{', '.join(r['person']['emails'])}",
                      f"{r['other']['name']}\n{', '.join(r['other']['emails'])}", r["reason"])
    out.print(table)
    out.print("Decide with `kith review merge ID` or `kith review reject ID`.")


@app.command()
def merge(ctx: typer.Context, item: int, by: By = "", as_json: AsJson = False) -> None:
    """Merge the pair of review item ITEM into one person."""
    from kith.graph import identity

    event = identity.resolve_review(store_of(ctx), item, merge=True, actor=by or _me())
    say(as_json, _event_json(event), f"Merged (identity event #{event.id}; `kith review undo {event.id}` reverses it).")


@app.command()
def reject(ctx: typer.Context, item: int, by: By = "", as_json: AsJson = False) -> None:
    """Record that the pair of review item ITEM are different people."""
    from kith.graph import identity

    identity.resolve_review(store_of(ctx), item, merge=False, actor=by or _me())
    say(as_json, {"item": item, "decision": "rejected"}, "Recorded as different people.")


@app.command()
def undo(ctx: typer.Context, event: int, by: By = "", as_json: AsJson = False) -> None:
    """Reverse identity event EVENT (a merge, an automatic attach, or a split)."""
    from kith.graph import identity

    result = identity.undo(store_of(ctx), event, actor=by or _me())
    say(as_json, _event_json(result), f"Undone (identity event #{result.id}).")


@app.command()
def split(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="An address of the person to split.")],
    addresses: Annotated[list[str], typer.Option("--address", help="Address to move to a new person (repeatable).")],
    name: Annotated[str, typer.Option(help="Name of the new person.")] = "",
    reason: Annotated[str, typer.Option(help="Why (recorded).")] = "split by hand",
    by: By = "",
    as_json: AsJson = False,
) -> None:
    """Move ADDRESSES (and what was done through them) out of the person with EMAIL."""
    from kith.graph import identity
    from kith.ingest.identity.lookup import as_stored, person_by_email

    store = store_of(ctx)
    pid = person_by_email(store, email)
    if pid is None:
        raise NotFound(f"No person has the address {email}.")
    event = identity.split_person(store, pid, [as_stored(a) for a in addresses], reason, by or _me(), name=name)
    say(as_json, _event_json(event),
        f"Split into a new person (identity event #{event.id}; `kith review undo {event.id}` reverses it).")


def _event_json(event) -> dict:
    """An identity decision (a merge, split or undo) as JSON."""
    return {"event": event.id, "kind": str(event.kind), "person_id": event.person_id, "other_id": event.other_id,
            "emails": list(event.emails), "reason": event.reason, "actor": event.actor, "at": event.at}
