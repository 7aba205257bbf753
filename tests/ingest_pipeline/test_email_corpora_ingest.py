"""Every real-world mail corpus through the whole pipeline into SQLite: nothing crashes, nothing is lost."""

from __future__ import annotations

import pytest

from kith.graph.model import Category
from kith.graph.settings import Settings
from kith.graph.sqlite_store import SQLiteStore
from kith.ingest.email.pipeline import ingest_email
from tests.corpora import corpus

CORPORA = ["cpython_email_testdata", "mimekit_testdata", "ruby_mail_fixtures", "sisimai_bounce_emails",
           "perceval_mailing_list_testdata"]


@pytest.mark.parametrize("name", CORPORA)
def test_every_message_is_ingested_or_reported(tmp_path, name):
    folder = corpus(name)
    store = SQLiteStore.open(tmp_path / "kith.db")
    report = ingest_email(store, Settings(db=tmp_path / "kith.db"), [folder], workers=2)
    skipped = sum(n for reason, n in report.skipped.items() if reason != "unreadable")
    assert report.records > 0
    assert report.ingested + report.duplicates + skipped == report.records
    assert all(e.file.startswith(str(folder)) and e.reason for e in report.errors)
    assert store.counts()["interactions"] == report.ingested
    again = ingest_email(store, Settings(db=tmp_path / "kith.db"), [folder], workers=1)
    assert again.ingested == 0 and store.counts()["interactions"] == report.ingested


def test_sisimai_bounces_add_no_relationships(tmp_path):
    folder = corpus("sisimai_bounce_emails", "maildir", "bsd")
    store = SQLiteStore.open(tmp_path / "kith.db")
    ingest_email(store, Settings(db=tmp_path / "kith.db"), [folder], workers=1)
    people = [p.id for p in store.iter_people()]
    categories = {i.category for pid in people[:50] for i in store.interactions_of(pid)}
    assert Category.BOUNCE in categories
    personal = [i for pid in people for i in store.interactions_of(pid) if i.category == Category.PERSONAL]
    assert len({i.id for i in personal}) <= 3  # the two forwarded bounces in bsd/ are a person writing
