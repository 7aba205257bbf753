"""`kith serve`: the GraphQL API (GraphiQL at /graphql), the relationship map (/map), /healthz and /metrics
under uvicorn."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from kith.api.cli.context import out, require_store, settings_of


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0 for every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes (each keeps its own caches).")] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve the GraphQL API. Every request needs `Authorization: Bearer <token>` (`kith tokens create`)."""
    import uvicorn

    settings = settings_of(ctx)
    require_store(settings)
    out.print(f"Kith API on http://{host}:{port}/graphql ({settings.store_kind} store"
              f"{'' if settings.store_kind == 'neo4j' else ' at ' + str(settings.db)}); the map at /map; /healthz, /metrics.")
    if workers == 1:
        from kith.api.app import create_app

        uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level, access_log=False)
        return
    # Several processes import the app themselves and read the settings from the environment: hand them
    # the store chosen here (an empty URI when --db chose SQLite over a KITH_NEO4J_URI in the environment).
    os.environ["KITH_DB"] = str(settings.db)
    os.environ["KITH_NEO4J_URI"] = settings.neo4j_uri
    uvicorn.run("kith.api.app:app_from_environment", factory=True, host=host, port=port, workers=workers,
                log_level=log_level, access_log=False)
