"""`kith note add`: record what the firm should remember about a client."""

from __future__ import annotations

from typing import Annotated

import typer

from kith.api.cli.context import err, out, parse_when, print_json, settings_of, store_of

app = typer.Typer(help="Notes colleagues keep about clients: preferences, family, the last conversation.",
                  no_args_is_help=True)


@app.command()
def add(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="What to remember, e.g. \"Prefers calls before 10am; daughter at Oxford\".")],
    about: Annotated[str, typer.Option("--about", help="The client's email address.")],
    by: Annotated[str, typer.Option("--by", help="Your (the author's) email address.")],
    at: Annotated[str | None, typer.Option("--at", help="When (ISO date or time, UTC unless given); default now.")] = None,
    create: Annotated[bool, typer.Option("--create", help="Add --about or --by as a new person when nobody has "
                                                          "the address (otherwise refused, with the nearest match).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the stored note as one JSON object.")] = False,
) -> None:
    """Add a note about a person. Adding the same note again changes nothing."""
    from kith.ingest.notes import add_note

    settings = settings_of(ctx)
    when = parse_when(at, "--at")
    store = store_of(ctx)
    result = add_note(store, settings, about, by, text, when, create=create)
    item = result.interaction
    if as_json:
        print_json({"id": item.id, "new": result.new, "text_kept": result.text_kept, "occurred_at": item.occurred_at,
                    "author": item.people()[0], "subject": item.people()[-1], "topics": item.topics})
        return
    out.print(f"{'Noted' if result.new else 'Already noted'}: {item.id} about {about} by {by}.")
    if not result.text_kept:
        err.print("[yellow]privacy mode is metadata:[/] the note's text was not kept, only that you noted something.")
