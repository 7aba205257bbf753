"""What every command shares: the settings and store of this invocation, and its output."""

from __future__ import annotations

import json
import sys

import typer
from rich.console import Console

from kith.graph.backends import open_store
from kith.graph.errors import KithError
from kith.graph.settings import Settings
from kith.graph.store import Store

out = Console()
err = Console(stderr=True)


def settings_of(ctx: typer.Context) -> Settings:
    return ctx.find_root().obj


def store_of(ctx: typer.Context, create: bool = False) -> Store:
    """The configured store, closed when the command ends. Only commands that write a store (``init``,
    the ingests: ``create=True``) may create one; the others refuse a missing one."""
    settings = settings_of(ctx)
    if not create:
        require_store(settings)
    store = open_store(settings)
    ctx.call_on_close(store.close)
    return store


def require_store(settings: Settings) -> None:
    if settings.store_kind == "sqlite" and not settings.db.is_file():
        raise KithError(f"no store at {settings.db}; run `kith init` or an ingest to create one, "
                        "or point --db or KITH_DB at an existing one.")


def print_json(value: object) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def describe(store: Store, settings: Settings) -> str:
    return str(settings.db) if store.kind == "sqlite" else settings.neo4j_uri
