"""`kith ingest ...`: read sources into the graph with a progress bar and a run report."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.table import Table

from kith.api.cli.context import AsJson, err, out, print_json, settings_of, store_of
from kith.graph.errors import KithError

if TYPE_CHECKING:  # the readers are imported by the command that runs them: spaCy, icalendar... are heavy
    from kith.graph.store import Store
    from kith.ingest.deals import DealReport
    from kith.ingest.report import RunReport

app = typer.Typer(help="Read mail, calendars, deal records or contacts into the graph.", no_args_is_help=True)

ERRORS_SHOWN = 20
R = TypeVar("R")


def require_existing(paths: list[Path]) -> None:
    """A path that does not exist stops the command before the store is opened or anything is read."""
    missing = [str(p) for p in paths if not os.path.lexists(p)]
    if missing:
        raise KithError(f"no such file or folder: {', '.join(missing)}. Check the path (a folder is read whole).")


def total_bytes(paths: list[Path]) -> int:
    total = 0
    for path in paths:
        if path.is_file():
            total += path.stat().st_size
        elif path.is_dir():
            for folder, _, files in os.walk(path):
                total += sum(os.path.getsize(os.path.join(folder, f)) for f in files
                             if os.path.isfile(os.path.join(folder, f)))
    return total


def ingest_with_progress(ctx: typer.Context, paths: list[Path], label: str,
                         run: Callable[[Store, Callable[[int], None]], R]) -> R:
    """``run(store, advance)`` on the store this command writes (made when missing), under a progress bar
    of the inputs' bytes; a missing input stops it first, before the store is opened."""
    require_existing(paths)
    store = store_of(ctx, create=True)
    return with_progress(label, total_bytes(paths), lambda advance: run(store, advance))


def with_progress(label: str, total: int | None, run: Callable[[Callable[[int], None]], R]) -> R:
    """``run(advance)`` under a progress bar of ``total`` bytes (None: not known); ``advance(n)`` moves it."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn(label), BarColumn(), DownloadColumn(), TimeRemainingColumn(), console=err,
                  transient=True) as bar:
        task = bar.add_task(label, total=total)
        return run(lambda n: bar.advance(task, n))


def show_report(report: RunReport, record_name: str, as_json: bool) -> None:
    if as_json:
        print_json(report.as_dict(record_name))
        return
    table = Table(title=f"kith ingest {report.kind}", show_header=False)
    for label, value in (("files", report.files), (record_name, report.records), ("ingested", report.ingested),
                         ("duplicates (already in the graph)", report.duplicates),
                         ("resumed (committed by an earlier run)", report.resumed),
                         ("people created", report.people), ("possible duplicates for `kith review`", report.review)):
        table.add_row(label, f"{value:,}")
    for reason, count in sorted(report.skipped.items()):
        table.add_row(f"skipped: {reason}", f"{count:,}")
    out.print(table)
    for e in report.errors[:ERRORS_SHOWN]:
        err.print(f"[yellow]skipped[/] {e.file} ({e.position}): {e.reason}", highlight=False, soft_wrap=True)
    if report.error_count > ERRORS_SHOWN:
        err.print(f"... and {report.error_count - ERRORS_SHOWN:,} more; `--json` lists them all.")


def exit_status(report: RunReport) -> None:
    """A run that could not read a file (or a region of one) at all ends with status 1, after its report."""
    unreadable = report.skipped.get("unreadable", 0)
    if unreadable:
        err.print(f"[red]{unreadable:,} file(s) or region(s) could not be read[/]: see the reasons above.")
        raise typer.Exit(1)


@app.command()
def email(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help=".eml files, mbox files, maildirs, Outlook .msg, or folders of them.")],
    include: Annotated[list[str], typer.Option("--include", help="Only files matching this glob (repeatable).")] = [],
    exclude: Annotated[list[str], typer.Option("--exclude", help="Skip files matching this glob (repeatable).")] = [],
    exclude_address: Annotated[list[str], typer.Option("--exclude-address", help="Never ingest mail with this address (repeatable).")] = [],
    exclude_domain: Annotated[list[str], typer.Option("--exclude-domain", help="Never ingest mail with this domain (repeatable).")] = [],
    workers: Annotated[int, typer.Option(help="Parser processes (default: one per core, at most 4).")] = 0,
    as_json: AsJson = False,
) -> None:
    """Ingest email. Safe to re-run: known messages are skipped and an interrupted run resumes."""
    from kith.ingest.email.pipeline import ingest_email

    settings = settings_of(ctx)
    report = ingest_with_progress(ctx, paths, "reading mail", lambda store, advance: ingest_email(
        store, settings, paths, include=include, exclude=exclude, exclude_addresses=exclude_address,
        exclude_domains=exclude_domain, workers=workers or None, on_progress=advance))
    show_report(report, "messages", as_json)
    exit_status(report)


def _show_flags(report: DealReport) -> None:
    if report.flagged:
        table = Table(title="ingested with a repair or a gap", show_header=False)
        for reason, count in sorted(report.flagged.items()):
            table.add_row(reason, f"{count:,}")
        out.print(table)


@app.command()
def calendar(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help=".ics files (Outlook, Google, Apple exports) or folders of them.")],
    horizon_days: Annotated[int | None, typer.Option(help="Expand recurring meetings this many days past today (default: the recurrence_horizon_days setting).")] = None,
    exclude_address: Annotated[list[str], typer.Option("--exclude-address", help="Never ingest this address (repeatable).")] = [],
    exclude_domain: Annotated[list[str], typer.Option("--exclude-domain", help="Never ingest this domain (repeatable).")] = [],
    as_json: AsJson = False,
) -> None:
    """Ingest calendars: each meeting occurrence an interaction. Safe to re-run; an interrupted run resumes."""
    from kith.ingest.calendar import ingest_calendar

    settings = settings_of(ctx)
    if horizon_days is not None:
        settings = settings.model_copy(update={"recurrence_horizon_days": horizon_days})
    report = ingest_with_progress(ctx, paths, "reading calendars", lambda store, advance: ingest_calendar(
        store, settings, paths, exclude_addresses=exclude_address, exclude_domains=exclude_domain,
        on_progress=advance))
    show_report(report, "events", as_json)
    exit_status(report)


@app.command()
def deals(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="CSV, JSON or XLSX deal exports, or folders of them.")],
    profile: Annotated[str, typer.Option("--profile", help="Mapping profile: a built-in one (generic, salesforce, "
                                                           "hubspot...) or a .toml file.")] = "generic",
    as_json: AsJson = False,
) -> None:
    """Ingest deal records through a mapping profile. Safe to re-run; an interrupted run resumes."""
    from kith.ingest.deals import ingest_deals, load_profile

    settings = settings_of(ctx)
    chosen = load_profile(profile)  # a bad profile stops here, before the store is opened
    report = ingest_with_progress(ctx, paths, f"reading deals ({chosen.name})", lambda store, advance:
                                  ingest_deals(store, settings, paths, chosen, on_progress=advance))
    show_report(report, "rows", as_json)
    if not as_json:
        out.print(f"deals written: {report.deals:,}")
        _show_flags(report)
        for path, columns in report.ignored.items():
            err.print(f"columns not read in {path}: {', '.join(columns)} (map them in a profile to use them)",
                      highlight=False, soft_wrap=True)
    exit_status(report)


@app.command()
def contacts(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="vCard files (.vcf) or folders of them.")],
    exclude_address: Annotated[list[str], typer.Option("--exclude-address", help="Never ingest this address (repeatable).")] = [],
    exclude_domain: Annotated[list[str], typer.Option("--exclude-domain", help="Never ingest this domain (repeatable).")] = [],
    as_json: AsJson = False,
) -> None:
    """Ingest contacts (vCard 2.1, 3 and 4), merged into known people. Safe to re-run."""
    from kith.ingest.contacts import ingest_contacts

    settings = settings_of(ctx)
    report = ingest_with_progress(ctx, paths, "reading contacts", lambda store, advance: ingest_contacts(
        store, settings, paths, exclude_addresses=exclude_address, exclude_domains=exclude_domain,
        on_progress=advance))
    show_report(report, "cards", as_json)
    exit_status(report)
