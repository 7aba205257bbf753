"""The ``kith`` command line. Commands live in small modules and register on ``app`` here."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from kith.api.cli import demo, expert_eval, export, ingest, insights, migrate, note, rank, review, serve, sync, users
from kith.api.cli.context import AsJson, err, location_of, out, print_json, say, settings_of, store_of
from kith.graph.errors import KithError

app = typer.Typer(
    name="kith",
    help="Kith: who in the firm knows whom, and who knows what.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(ingest.app, name="ingest")
app.add_typer(sync.app, name="sync")
app.add_typer(review.app, name="review")
app.command()(rank.paths)
app.command()(rank.explain)
app.add_typer(note.app, name="note")
app.command()(demo.demo)
app.add_typer(users.users, name="users")
app.add_typer(users.tokens, name="tokens")
app.add_typer(users.walls, name="walls")
app.command()(insights.experts)
app.command()(insights.insights)
# `kith evaluate` alone is the strength backtest; `kith evaluate experts` checks the expert ranking.
evaluate_app = typer.Typer(help="Measure Kith's answers against baselines on your own data.")
evaluate_app.callback(invoke_without_command=True)(insights.evaluate)
evaluate_app.command("experts")(expert_eval.experts)
evaluate_app.command("stackexchange")(expert_eval.stackexchange)
app.add_typer(evaluate_app, name="evaluate")
app.command()(serve.serve)
app.command()(export.export)
app.command()(migrate.migrate)


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"kith {version('kithgraph')}")
        raise typer.Exit()


@app.callback()
def _global_options(
    ctx: typer.Context,
    db: Annotated[Path | None, typer.Option("--db", help="SQLite database file (overrides KITH_DB).")] = None,
    neo4j: Annotated[
        str | None, typer.Option("--neo4j", help="Neo4j URI, e.g. bolt://localhost:7687 (overrides KITH_NEO4J_URI).")
    ] = None,
    version: Annotated[bool, typer.Option("--version", callback=_show_version, is_eager=True,
                                          help="Print Kith's version and exit.")] = False,
) -> None:
    overrides: dict[str, object] = {"db": db}
    if db is not None:
        overrides["neo4j_uri"] = ""  # an explicit --db means the embedded store
    if neo4j is not None:
        overrides["neo4j_uri"] = neo4j
    ctx.obj = overrides  # settings_of loads the settings when a command first asks (not for --help)


@app.command()
def init(ctx: typer.Context, as_json: AsJson = False) -> None:
    """Create (or migrate) the store and its schema."""
    settings_of(ctx)  # creating a store: every setting is checked first
    store = store_of(ctx, create=True)
    report = {"store": store.kind, "location": location_of(ctx).describe(), "schema_version": store.schema_version()}
    say(as_json, report,
        f"Kith store ready: {report['store']} at {report['location']} (schema version {report['schema_version']}).")


@app.command()
def status(ctx: typer.Context, as_json: AsJson = False) -> None:
    """Show the store, its schema version and how many records it holds."""
    from kith.ingest.sync.state import sync_statuses

    store = store_of(ctx)  # reads only where the store is: no pydantic, a fast command
    report = {
        "store": store.kind,
        "location": location_of(ctx).describe(),
        "schema_version": store.schema_version(),
        "counts": store.counts(),
        "sync": sync_statuses(store),
    }
    if as_json:
        print_json(report)
        return
    table = Table(title=f"Kith {report['store']} store at {report['location']}", show_header=False)
    table.add_row("schema version", str(report["schema_version"]))
    for key, value in report["counts"].items():
        table.add_row(key, f"{value:,}")
    out.print(table)
    for account in report["sync"]:
        state = "ok" if account["ok"] else f"failed: {account['error']}"
        out.print(f"sync {account['account']} ({account['kind']}): {state} at {_when(account['at'])}", highlight=False)


def _when(epoch: int) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


@cache
def _command() -> typer.core.TyperGroup:
    """``app`` as the click command it runs as, built once per process (``app(...)`` builds it on every call,
    30 ms: the tests run `kith` in their own process hundreds of times). Pretty exceptions are off, so
    ``Typer.__call__`` adds nothing to it."""
    return typer.main.get_command(app)


def main(args: list[str] | None = None) -> None:
    """Entry point: user errors become one line on stderr and exit status 1, never a traceback."""
    try:
        _command()(args, prog_name="kith")
    except KithError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        err.print("interrupted; run the same command again to resume.")
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
