"""`kith review split` finds the addresses to move as the ingest stored them, as GraphQL's splitPerson does."""

from __future__ import annotations

import json

import pytest

from kith.graph.model import Person
from kith.graph.sqlite_store import SQLiteStore
from tests.cli import kith
from tests.factories import PROV


@pytest.fixture
def path(tmp_path):
    """A store where Ana has her firm address and her Gmail address."""
    path = tmp_path / "kith.db"
    store = SQLiteStore.open(path)
    store.upsert_people([Person("p_ana", name="Ana Smith", emails=["ana@firm.com", "anasmith@gmail.com"],
                                provenance=PROV)])
    store.close()
    return path


def test_split_takes_an_address_as_typed_in_any_form(path):

    run = kith("--db", path, "review", "split", "Ana@Firm.com", "--address", "Ana.Smith+deals@GMAIL.com",
               "--by", "lead", "--json")

    assert run.returncode == 0, run.stderr
    moved = json.loads(run.stdout)
    store = SQLiteStore.open(path)
    assert store.people_by_email(["anasmith@gmail.com"])["anasmith@gmail.com"] != "p_ana"
    assert store.get_people(["p_ana"])["p_ana"].emails == ["ana@firm.com"]
    assert moved["emails"] == ["anasmith@gmail.com"]


def test_split_names_an_address_the_person_does_not_have(path):

    run = kith("--db", path, "review", "split", "ana@firm.com", "--address", "Bob@Elsewhere.com", "--by", "lead")

    assert run.returncode != 0
    assert "bob@elsewhere.com is not an address of Ana Smith" in run.stderr
