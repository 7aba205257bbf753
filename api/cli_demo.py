"""`kith demo`: a sample firm's mail, ingested into its own embedded store, ready to query."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli_ingest import progress_bar, show_report, total_bytes
from api.context import out, settings_of
from graph.settings import default_db_path
from graph.sqlite_store import SQLiteStore
from ingest.email.pipeline import ingest_email
from ingest.synthetic import FIRM_DOMAIN, make_firm, write_corpus

DEMO_MESSAGES = 6000


def demo_db_path(ctx: typer.Context) -> Path:
    """The demo never writes into the user's own store unless --db names a file explicitly."""
    explicit = ctx.find_root().params.get("db")
    return Path(explicit) if explicit else default_db_path().with_name("demo.db")


def demo(
    ctx: typer.Context,
    messages: Annotated[int, typer.Option(help="How many sample messages to generate.")] = DEMO_MESSAGES,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same firm.")] = 7,
    as_json: Annotated[bool, typer.Option("--json", help="Print the ingest report as JSON.")] = False,
) -> None:
    """Generate a sample firm (colleagues, clients, threaded mail), ingest it and show what to ask."""
    settings = settings_of(ctx).model_copy(update={"internal_domains": [FIRM_DOMAIN], "neo4j_uri": ""})
    db = demo_db_path(ctx)
    settings = settings.model_copy(update={"db": db})
    folder = db.with_name(db.stem + "-mail")
    firm = make_firm(seed=seed)
    paths = write_corpus(folder, firm, messages, per_file=2000, seed=seed + 4)
    store = SQLiteStore.open(db)
    ctx.call_on_close(store.close)
    with progress_bar("ingesting sample mail") as bar:
        task = bar.add_task("mail", total=total_bytes(paths))
        report = ingest_email(store, settings, paths, on_progress=lambda n: bar.advance(task, n))
    show_report(report, "messages", as_json)
    if as_json:
        return
    colleague = firm.colleagues[0]
    company = next(iter(firm.clients))
    out.print(f"\nThe demo firm is in {db}. Try:")
    out.print(f"  kith --db {db} status")
    out.print(f"  kith --db {db} review")
    out.print(f"  # who do we know at {company}, and who of us knows them (colleague: {colleague.email})")
