"""`kith migrate --to bolt://…`: copy the embedded SQLite store into Neo4j (graph.migrate)."""

from __future__ import annotations

from typing import Annotated

import typer

from kith.api.cli.context import out, print_json, settings_of
from kith.graph.errors import KithError


def migrate(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help="The Neo4j to copy into, e.g. bolt://db.firm.internal:7687 "
                                                 "(user, password, database: KITH_NEO4J_USER, _PASSWORD, _DATABASE).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Copy the SQLite store (--db / KITH_DB) into Neo4j, then compare counts. Safe to repeat; an
    interrupted copy resumes. Afterwards set KITH_NEO4J_URI to serve from Neo4j."""
    from kith.graph.migrate import migrate as copy
    from kith.graph.neo4j_store import Neo4jStore
    from kith.graph.sqlite_store import SQLiteStore

    settings = settings_of(ctx)
    if not settings.db.is_file():
        raise KithError(f"There is no SQLite store at {settings.db}: name it with --db or KITH_DB.")
    src = SQLiteStore.open(settings.db)
    ctx.call_on_close(src.close)
    dst = Neo4jStore.connect(to, settings.neo4j_user, settings.neo4j_password.get_secret_value(),
                             settings.neo4j_database, retry_seconds=settings.neo4j_retry_seconds)
    ctx.call_on_close(dst.close)
    report = copy(src, dst, on_step=None if as_json else lambda name, n: out.print(f"{name}: {n:,} copied"))
    if as_json:
        print_json({"copied": report.copied, "source": report.source, "target": report.target})
        return
    out.print(f"Copied {settings.db} into {to}; the counts match: "
              + ", ".join(f"{k} {v:,}" for k, v in report.target.items()))
