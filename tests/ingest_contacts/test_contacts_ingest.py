"""vCards into a real SQLite file: merged into known people, phones, employment, notes, bad cards."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kith.graph.model import InteractionKind, Role
from kith.graph.settings import Settings
from kith.graph.sqlite_store import SQLiteStore
from kith.graph.text import query_phrases
from kith.ingest.contacts import ContactsIngest, ingest_contacts, iter_contact_files
from kith.ingest.notes import add_note
from tests.corpora import corpus

CARDS = """BEGIN:VCARD
VERSION:3.0
N:Baker;Ben;;;
FN:Ben Baker
ORG:Acme Corporation;Legal
TITLE:General Counsel
EMAIL;TYPE=INTERNET,WORK:Ben@Acme.com
EMAIL;TYPE=INTERNET,HOME:ben@bakerfamily.org
TEL;TYPE=WORK,VOICE:+1 (415) 555-0100
TEL;TYPE=WORK,FAX:+1 415 555 0199
NOTE:Prefers morning calls. Daughter studies marine biology.
UID:card-ben-1
END:VCARD
BEGIN:VCARD
VERSION:4.0
FN:Dora Diaz
ORG:Acme Corp.
TITLE:CFO
TEL;VALUE=uri;TYPE=cell:tel:+44-20-7946-0958
END:VCARD
BEGIN:VCARD
VERSION:2.1
N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=B6rg
FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=B6rg M=C3=BCller
EMAIL;INTERNET:joerg@globex.de
NOTE;ENCODING=QUOTED-PRINTABLE:Met at the Frankfurt=0D=0A=
conference.
END:VCARD
BEGIN:VCARD
VERSION:3.0
N:;;;;
TEL:+1 555 0000
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Broken Card
EMAIL:broken@acme.com
BEGIN:VCARD
"""


@pytest.fixture
def settings(tmp_path):
    return Settings(db=tmp_path / "kith.db", internal_domains=["firm.com"], privacy="topics")


def write(folder: Path, text: str = CARDS, name: str = "contacts.vcf") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text.replace("\n", "\r\n"), encoding="utf-8", newline="")
    return path


def test_cards_become_people_merged_with_those_already_known(tmp_path, store, settings):
    add_note(store, settings, "ben@acme.com", "ana@firm.com", "Met at the export controls forum.", at=1_700_000_000,
             create=True)
    ben = store.people_by_email(["ben@acme.com"])["ben@acme.com"]
    report = ingest_contacts(store, settings, [write(tmp_path / "c")])
    assert (report.records, report.ingested) == (5, 3)
    assert report.skipped["no name or email"] == 1 and report.error_count == 1
    assert report.errors[0].position == "card 5" and "END:VCARD" in report.errors[0].reason
    assert report.records == report.ingested + sum(report.skipped.values())

    person = store.get_people([ben])[ben]  # the card merged into the person the note created
    assert set(person.emails) == {"ben@acme.com", "ben@bakerfamily.org"} and person.name == "Ben Baker"
    assert person.phones == ["+14155550100"]  # the fax is not a phone to call
    jobs = {(w.title, store.get_organizations([w.org_id])[w.org_id].name) for w in store.works_at([ben])}
    assert ("General Counsel", "Acme") in jobs
    assert any(e.kind == "attach" and e.emails == ["ben@bakerfamily.org"] for e in store.identity_events([ben]))

    notes = [i for i in store.interactions_of(ben) if i.provenance.source_kind == "contacts"]
    assert len(notes) == 1 and notes[0].kind == InteractionKind.NOTE
    assert notes[0].participants[0].role == Role.SUBJECT and "Prefers morning calls" in notes[0].subject
    assert any(h.doc_id == notes[0].id for h in store.search_text(query_phrases("marine biology")))

    # a card without email: a person keyed on name and company, at that company
    dora = [p for p in store.iter_people() if p.name == "Dora Diaz"]
    assert len(dora) == 1 and dora[0].emails == [] and dora[0].phones == ["+442079460958"]
    assert {w.title for w in store.works_at([dora[0].id])} == {"CFO"}
    joerg = store.people_by_email(["joerg@globex.de"])["joerg@globex.de"]
    assert store.get_people([joerg])[joerg].name == "Jörg Müller"
    assert "Frankfurt" in store.interactions_of(joerg)[0].subject


def test_reimporting_cards_changes_nothing(tmp_path, store, settings):
    path = write(tmp_path / "c")
    first = ingest_contacts(store, settings, [path])
    counts = store.counts()
    again = ingest_contacts(store, settings, [path])
    assert (again.resumed, again.skipped) == (first.ingested, first.skipped)
    os.utime(path, ns=(1, 1))
    again = ingest_contacts(store, settings, [path])
    assert (again.ingested, again.duplicates) == (0, 3)
    assert store.counts() == counts


def test_an_address_of_someone_else_is_queued_for_review_not_moved(tmp_path, store, settings):
    add_note(store, settings, "ben@bakerfamily.org", "ana@firm.com", "Personal address.", at=1_700_000_000,
             create=True)
    other = store.people_by_email(["ben@bakerfamily.org"])["ben@bakerfamily.org"]
    report = ingest_contacts(store, settings, [write(tmp_path / "c")])
    assert report.review >= 1
    assert store.people_by_email(["ben@bakerfamily.org"])["ben@bakerfamily.org"] == other


def test_metadata_privacy_keeps_no_note(tmp_path, store):
    settings = Settings(db=store.path if hasattr(store, "path") else tmp_path / "kith.db", privacy="metadata")
    ingest_contacts(store, settings, [write(tmp_path / "c")])
    assert store.counts()["interactions"] == 0 and store.counts()["people"] == 3


def test_an_interrupted_contacts_import_resumes(tmp_path, store, settings):
    path = write(tmp_path / "c")

    class Interrupted(ContactsIngest):
        def _flush(self, batch):
            if self.report.ingested:
                raise KeyboardInterrupt
            super()._flush(batch)

    with pytest.raises(KeyboardInterrupt):
        Interrupted(store, settings, batch_size=1).run([path])
    report = ingest_contacts(store, settings, [path], batch_size=1)
    assert report.resumed == 1 and report.ingested == 2


@pytest.mark.parametrize("parts", [("vcard_ezvcard_samples",), ("icaljs_tests",)])
def test_every_corpus_card_is_ingested_or_reported(tmp_path, store, settings, parts):
    folder = corpus(*parts)
    report = ingest_contacts(store, settings, [folder])
    files = list(iter_contact_files([folder]))
    assert report.files == len(files) > 0
    assert report.records == report.ingested + report.duplicates + sum(report.skipped.values())
    assert report.ingested >= report.records - 2
    assert all(e.position.startswith("card") and e.reason for e in report.errors)
