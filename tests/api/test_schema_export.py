"""The committed schema.graphql is the schema the code builds."""

from __future__ import annotations

from pathlib import Path

from kith.api.graphql.schema import sdl

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_committed_schema_matches_the_code():
    assert SCHEMA_FILE.exists(), "schema.graphql is missing; run `python -m kith.api.graphql.schema > schema.graphql`"
    assert SCHEMA_FILE.read_text(encoding="utf-8") == sdl(), (
        "schema.graphql is out of date with the code; refresh it with `python -m kith.api.graphql.schema > schema.graphql` "
        "and commit it")
