"""The ``kith`` command line. Commands live in small modules and register on ``app``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from graph.errors import KithError
from graph.settings import Settings, load_settings
from graph.store import Store, open_store

app = typer.Typer(
    name="kith",
    help="Kith: who in the firm knows whom, and who knows what.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console()
err = Console(stderr=True)


@app.callback()
def _global_options(
    ctx: typer.Context,
    db: Annotated[Path | None, typer.Option("--db", help="SQLite database file (overrides KITH_DB).")] = None,
    neo4j: Annotated[
        str | None, typer.Option("--neo4j", help="Neo4j URI, e.g. bolt://localhost:7687 (overrides KITH_NEO4J_URI).")
    ] = None,
) -> None:
    overrides: dict[str, object] = {"db": db}
    if db is not None:
        overrides["neo4j_uri"] = ""  # an explicit --db means the embedded store
    if neo4j is not None:
        overrides["neo4j_uri"] = neo4j
    ctx.obj = load_settings(**overrides)


def settings_of(ctx: typer.Context) -> Settings:
    return ctx.find_root().obj


def store_of(ctx: typer.Context) -> Store:
    """The configured store, closed when the command ends."""
    store = open_store(settings_of(ctx))
    ctx.call_on_close(store.close)
    return store


def print_json(value: object) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def describe(store: Store, settings: Settings) -> str:
    return str(settings.db) if store.kind == "sqlite" else settings.neo4j_uri


@app.command()
def init(ctx: typer.Context) -> None:
    """Create (or migrate) the store and its schema."""
    settings = settings_of(ctx)
    store = store_of(ctx)
    out.print(f"Kith store ready: {store.kind} at {describe(store, settings)} (schema version {store.schema_version()}).")


@app.command()
def status(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False) -> None:
    """Show the store, its schema version and how many records it holds."""
    settings = settings_of(ctx)
    store = store_of(ctx)
    report = {
        "store": store.kind,
        "location": describe(store, settings),
        "schema_version": store.schema_version(),
        "counts": store.counts(),
    }
    if as_json:
        print_json(report)
        return
    table = Table(title=f"Kith {report['store']} store at {report['location']}", show_header=False)
    table.add_row("schema version", str(report["schema_version"]))
    for key, value in report["counts"].items():
        table.add_row(key, f"{value:,}")
    out.print(table)


def main() -> None:
    """Entry point: user errors become one line on stderr and exit status 1, never a traceback."""
    try:
        app()
    except KithError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        err.print("interrupted; run the same command again to resume.")
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
