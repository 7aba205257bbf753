"""What every command shares: the settings and store of this invocation, and its output."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from kith.graph.errors import KithError

if TYPE_CHECKING:
    from kith.api.settings import ApiSettings
    from kith.graph.settings import Settings
    from kith.graph.store import Store
    from kith.graph.store_location import StoreLocation

PIPE_WIDTH = 10_000  # a pipe or file gets whole lines: no table cut at 80 columns


def _console(stderr: bool = False) -> Console:
    """A terminal's own width; a pipe or file (unless COLUMNS says otherwise) gets whole lines."""
    stream = sys.stderr if stderr else sys.stdout
    piped = not stream.isatty() and "COLUMNS" not in os.environ
    return Console(stderr=stderr, width=PIPE_WIDTH if piped else None)


out = _console()
err = _console(stderr=True)

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
AsOf = Annotated[str | None, typer.Option(
    "--as-of", help="Answer as of this date (YYYY-MM-DD or ISO time, UTC unless given): later evidence is ignored.")]


def parse_when(text: str | None, option: str = "--as-of") -> int | None:
    """A date or ISO time (UTC unless it says otherwise) as epoch seconds: the one parser of --as-of,
    --split-at and --at."""
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise KithError(f"{option} {text!r} is not a date: write it as YYYY-MM-DD or 2024-05-01T09:00.") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return int(when.timestamp())


def settings_of(ctx: typer.Context) -> ApiSettings:
    """This invocation's settings: the environment and config file under the global options, loaded once."""
    root = ctx.find_root()
    if not isinstance(root.obj, dict):
        return root.obj
    from kith.api.settings import load_api_settings  # pydantic: loaded by the commands that need settings

    root.obj = load_api_settings(**root.obj)
    return root.obj


def location_of(ctx: typer.Context) -> StoreLocation:
    """Where this invocation's store is. A command that needs nothing else (``status``) reads just that,
    without pydantic; the settings, when already loaded or when the config file needs judging, say it."""
    from kith.graph.store_location import load_store_location

    root = ctx.find_root()
    if isinstance(root.obj, dict):
        where = load_store_location(root.obj)
        if where is not None:
            return where
    return settings_of(ctx).location


def store_of(ctx: typer.Context, create: bool = False) -> Store:
    """The configured store, closed when the command ends. Only commands that write a store (``init``,
    the ingests: ``create=True``) may create one; the others refuse a missing one."""
    from kith.graph.backends import open_store

    where = location_of(ctx)
    if not create:
        require_store(where)
    store = open_store(where)
    ctx.call_on_close(store.close)
    return store


def require_store(settings: Settings | StoreLocation) -> None:
    where = settings.location
    if where.store_kind == "sqlite" and not where.db.is_file():
        raise KithError(f"no store at {where.db}; run `kith init` or an ingest to create one, "
                        "or point --db or KITH_DB at an existing one.")


def print_json(value: object) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def say(as_json: bool, value: object, text: str, **style: object) -> None:
    """A command's result: ``value`` as JSON with --json, else ``text`` for a person."""
    if as_json:
        print_json(value)
    else:
        out.print(text, **style)
