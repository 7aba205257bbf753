"""What every command shares: the settings and store of this invocation, and its output."""

from __future__ import annotations

import json
import sys

import typer
from rich.console import Console

from graph.settings import Settings
from graph.store import Store, open_store

out = Console()
err = Console(stderr=True)


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
