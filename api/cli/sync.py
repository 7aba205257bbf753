"""`kith sync ...`: keep the graph current from mail and calendar servers (accounts in the TOML config)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

import typer

from kith.api.cli.context import err, out, print_json, settings_of, store_of
from kith.api.cli.ingest import show_report, with_progress
from kith.graph.errors import KithError

if TYPE_CHECKING:
    from kith.graph.settings import Settings, SyncAccount
    from kith.graph.store import Store

app = typer.Typer(help="Fetch what is new from mail (IMAP) and calendar (CalDAV) servers.",
                  invoke_without_command=True)

_RECORDS = {"imap": "messages", "caldav": "events"}


def run_account(store: Store, settings: Settings, account: SyncAccount, as_json: bool):
    """One sync of one account under a progress bar; the run report."""
    if account.kind == "imap":
        from kith.ingest.sync.imap import sync_imap as sync
    else:
        from kith.ingest.sync.calendars import sync_caldav as sync
    report = with_progress(f"syncing {account.name}", None,
                           lambda advance: sync(store, settings, account, on_progress=advance))
    if not as_json:
        show_report(report, _RECORDS[account.kind], as_json)
    return report


def _configured(settings: Settings, name: str) -> SyncAccount:
    for account in settings.accounts:
        if account.name == name:
            return account
    known = ", ".join(a.name for a in settings.accounts) or "none configured"
    raise KithError(f"No account named {name!r} in the config ([[accounts]]; known: {known}).")


@app.callback()
def sync_all(
    ctx: typer.Context,
    all_accounts: Annotated[bool, typer.Option("--all", help="Sync every account in the config.")] = False,
    watch: Annotated[float, typer.Option("--watch", help="With --all: sync again every this many seconds, until stopped.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print each account's run report as JSON.")] = False,
) -> None:
    """Sync one account (`kith sync imap|caldav`) or every configured one (`kith sync --all`)."""
    if ctx.invoked_subcommand is not None:
        return
    if not all_accounts:
        out.print(ctx.get_help())
        raise typer.Exit(2)
    settings = settings_of(ctx)
    if not settings.accounts:
        raise KithError("No accounts to sync: add [[accounts]] tables to the config file.")
    store = store_of(ctx, create=True)  # a sync writes, like an ingest
    while True:
        failed = _sync_accounts(store, settings, as_json)
        if watch <= 0:
            if failed:
                raise KithError(f"{len(failed)} of {len(settings.accounts)} accounts failed: {', '.join(failed)}.")
            return
        err.print(f"next sync in {watch:g} s (Ctrl-C stops)")
        time.sleep(watch)


def _sync_accounts(store: Store, settings: Settings, as_json: bool) -> list[str]:
    """Every account once; one failing account is reported and the others still run."""
    failed, reports = [], {}
    for account in settings.accounts:
        try:
            report = run_account(store, settings, account, as_json)
            reports[account.name] = report.as_dict(_RECORDS[account.kind])
        except KithError as exc:
            failed.append(account.name)
            reports[account.name] = {"error": str(exc)}
            err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
    if as_json:
        print_json(reports)
    return failed


def _one(ctx: typer.Context, account: SyncAccount, as_json: bool) -> None:
    report = run_account(store_of(ctx, create=True), settings_of(ctx), account, as_json)
    if as_json:
        print_json(report.as_dict(_RECORDS[account.kind]))


@app.command()
def imap(
    ctx: typer.Context,
    account: Annotated[str, typer.Option("--account", help="A configured account, by name.")] = "",
    host: Annotated[str, typer.Option(help="IMAP server (instead of --account).")] = "",
    port: Annotated[int | None, typer.Option(help="Default 993 with tls, 143 otherwise.")] = None,
    security: Annotated[str, typer.Option(help="tls | starttls | none")] = "tls",
    user: Annotated[str, typer.Option(help="Login name.")] = "",
    password_env: Annotated[str, typer.Option(help="Environment variable holding the password (or token).")] = "",
    password_file: Annotated[Path | None, typer.Option(help="File holding the password (or token).")] = None,
    xoauth2: Annotated[bool, typer.Option("--xoauth2", help="The secret is an OAuth2 access token (XOAUTH2).")] = False,
    ca_file: Annotated[Path | None, typer.Option(help="Trust server certificates signed by this CA (PEM).")] = None,
    folder: Annotated[list[str], typer.Option("--folder", help="Folder to sync (repeatable; default INBOX and the \\Sent folder).")] = [],
    as_json: Annotated[bool, typer.Option("--json", help="Print the run report as one JSON object.")] = False,
) -> None:
    """Fetch new mail from an IMAP server. Passwords come from --password-env or --password-file only."""
    chosen = _chosen(ctx, account, ("host", "user"), name=f"{user}@{host}", kind="imap", host=host, port=port,
                     security=security, user=user, password_env=password_env, password_file=password_file,
                     auth="xoauth2" if xoauth2 else "password", ca_file=ca_file, folders=folder)
    _one(ctx, chosen, as_json)


@app.command()
def caldav(
    ctx: typer.Context,
    account: Annotated[str, typer.Option("--account", help="A configured account, by name.")] = "",
    url: Annotated[str, typer.Option(help="CalDAV server or principal URL (instead of --account).")] = "",
    user: Annotated[str, typer.Option(help="Login name.")] = "",
    password_env: Annotated[str, typer.Option(help="Environment variable holding the password.")] = "",
    password_file: Annotated[Path | None, typer.Option(help="File holding the password.")] = None,
    ca_file: Annotated[Path | None, typer.Option(help="Trust server certificates signed by this CA (PEM).")] = None,
    calendar: Annotated[list[str], typer.Option("--calendar", help="Calendar to sync, by name (repeatable; default all).")] = [],
    as_json: Annotated[bool, typer.Option("--json", help="Print the run report as one JSON object.")] = False,
) -> None:
    """Bring calendars from a CalDAV server up to date: new, moved, cancelled and deleted meetings."""
    chosen = _chosen(ctx, account, ("url", "user"), name=f"{user}@{urlsplit(url).hostname or 'caldav'}",
                     kind="caldav", url=url, user=user, password_env=password_env, password_file=password_file,
                     ca_file=ca_file, calendars=calendar)
    _one(ctx, chosen, as_json)


def _chosen(ctx: typer.Context, configured: str, needs: tuple[str, ...], **fields) -> SyncAccount:
    """The configured account of that name, else one made of the command's options."""
    if configured:
        return _configured(settings_of(ctx), configured)
    if not all(fields[n] for n in needs):
        raise KithError(f"Give --account NAME, or {' and '.join('--' + n for n in needs)}.")
    from pydantic import ValidationError

    try:
        from kith.graph.settings import SyncAccount

        return SyncAccount(**fields)
    except ValidationError as exc:
        raise KithError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from None
