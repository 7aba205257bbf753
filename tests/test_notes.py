"""Notes a colleague keeps about a client: stored with author and time, searchable, idempotent."""

from __future__ import annotations

import json

import pytest

from kith.graph.errors import KithError
from kith.graph.model import InteractionKind, Role
from kith.graph.settings import PrivacyMode, Settings
from kith.graph.sqlite_store import SQLiteStore
from kith.graph.text import query_phrases
from kith.ingest.notes import add_note, note_text
from tests.cli import kith as run_kith


@pytest.fixture
def store(tmp_path):
    s = SQLiteStore.open(tmp_path / "kith.db")
    yield s
    s.close()


def test_a_note_is_remembered_searchable_and_added_once(tmp_path, store):
    settings = Settings(db=tmp_path / "kith.db", internal_domains=["firm.com"], privacy="topics")
    text = "Prefers calls before 10am. Daughter just started at Oxford; ask about the sailing trip."
    first = add_note(store, settings, "Ben@Acme.com", "ana@firm.com", text, at=1_700_000_000, create=True)
    assert first.new and first.text_kept
    item = first.interaction
    assert item.kind == InteractionKind.NOTE and item.occurred_at == 1_700_000_000 and item.body == ""
    ana, ben = (store.people_by_email([e])[e] for e in ("ana@firm.com", "ben@acme.com"))
    assert [(p.person_id, p.role) for p in item.participants] == [(ana, Role.AUTHOR), (ben, Role.SUBJECT)]
    assert item.provenance.source_kind == "note"
    assert store.get_people([ana])[ana].is_internal
    hits = store.search_text(query_phrases("sailing trip"))
    assert [h.doc_id for h in hits] == [item.id]
    assert store.interactions_of(ben)[0].subject == text
    assert next(iter(store.knows_of([ben]))).notes == 1

    again = add_note(store, settings, "ben@acme.com", "ana@firm.com", text, at=1_700_000_000)
    assert not again.new and again.interaction.id == item.id
    assert store.counts()["interactions"] == 1 and next(iter(store.knows_of([ben]))).notes == 1


def test_full_mode_keeps_the_body_and_metadata_mode_keeps_no_text(tmp_path, store):
    full = add_note(store, Settings(db=tmp_path / "kith.db", privacy="full"), "ben@acme.com", "ana@firm.com",
                    "Allergic to peanuts.", at=1, create=True)
    assert full.interaction.body == "Allergic to peanuts." and full.interaction.subject == "Allergic to peanuts."
    meta = add_note(store, Settings(db=tmp_path / "kith.db", privacy="metadata"), "ben@acme.com", "ana@firm.com",
                    "Allergic to shellfish.", at=2)
    assert not meta.text_kept and (meta.interaction.subject, meta.interaction.body, meta.interaction.topics) == ("", "", [])


def test_bad_input_says_what_to_do(tmp_path, store):
    settings = Settings(db=tmp_path / "kith.db")
    with pytest.raises(KithError, match="not an email address"):
        add_note(store, settings, "Ben Baker", "ana@firm.com", "x")
    with pytest.raises(KithError, match="empty"):
        add_note(store, settings, "ben@acme.com", "ana@firm.com", "  ")


def kith(tmp_path, *args):
    return run_kith("--db", tmp_path / "cli.db", *args, env={"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)})


def test_kith_note_add(tmp_path):
    assert kith(tmp_path, "init").returncode == 0
    done = kith(tmp_path, "note", "add", "--about", "ben@acme.com", "--by", "ana@firm.com", "--at", "2024-03-01",
                "Loves jazz", "--json", "--create")
    assert done.returncode == 0, done.stderr
    note = json.loads(done.stdout)
    assert note["new"] and note["occurred_at"] == 1709251200 and "jazz" in " ".join(note["topics"]).lower()
    bad = kith(tmp_path, "note", "add", "--about", "ben@acme.com", "--by", "ana@firm.com", "--at", "yesterday", "x")
    assert bad.returncode == 1 and "--at 'yesterday' is not a date" in bad.stderr


def test_an_address_nobody_has_is_refused_with_the_nearest_match_unless_created(tmp_path, store):
    settings = Settings(db=tmp_path / "kith.db", internal_domains=["firm.com"])
    add_note(store, settings, "ben.baker@acme.com", "ana@firm.com", "Loves jazz", at=1, create=True)
    people = store.counts()["people"]
    with pytest.raises(KithError, match=r"--about ben\.bakr@acme\.com: nobody .*Did you mean ben\.baker@acme\.com\?.*--create"):
        add_note(store, settings, "ben.bakr@acme.com", "ana@firm.com", "Prefers mornings", at=2)
    with pytest.raises(KithError, match=r"--by zed@elsewhere\.org: nobody with this address is in the graph\. Check"):
        add_note(store, settings, "ben.baker@acme.com", "zed@elsewhere.org", "Prefers mornings", at=2)
    assert store.counts()["people"] == people and store.counts()["interactions"] == 1
    add_note(store, settings, "ben.bakr@acme.com", "ana@firm.com", "Prefers mornings", at=2, create=True)
    assert store.counts()["people"] == people + 1


def test_kith_note_add_refuses_a_typo(tmp_path):
    assert kith(tmp_path, "init").returncode == 0
    assert kith(tmp_path, "note", "add", "--about", "ben@acme.com", "--by", "ana@firm.com", "x", "--create").returncode == 0
    typo = kith(tmp_path, "note", "add", "--about", "ben@acme.co", "--by", "ana@firm.com", "Loves jazz")
    assert typo.returncode == 1 and "Did you mean ben@acme.com?" in typo.stderr.replace("\n", "")


def test_the_privacy_rule_refuses_a_mode_it_does_not_know():
    # a misspelt mode must not keep text as if it were "topics" (graph.settings.PrivacyMode)
    with pytest.raises(ValueError):
        note_text("Loves jazz", "none")
    assert note_text("Loves jazz", PrivacyMode.METADATA) == ("", [], "")
    assert note_text("Loves jazz", "full")[2] == "Loves jazz"
