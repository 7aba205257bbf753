"""Email into a real SQLite file: threads, idempotency, resume, privacy, exclusions and identities."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from kith.graph import ids
from kith.graph.errors import StoreUnavailable
from kith.graph.model import Category, Person, Provenance, ReviewStatus
from kith.graph.settings import Settings
from kith.graph.sqlite_store import SQLiteStore
from kith.graph.text import query_phrases
from kith.ingest.email import pipeline
from kith.ingest.email.pipeline import ingest_email
from kith.ingest.identity.addresses import normalize_address
from kith.ingest.synthetic import make_firm, write_corpus


def eml(folder: Path, name: str, *, frm: str, to: str, subject: str, date: str, mid: str = "", reply_to_mid: str = "",
        body: str = "Hello.", extra: str = "") -> Path:
    headers = [f"From: {frm}", f"To: {to}", f"Subject: {subject}", f"Date: {date}"]
    if mid:
        headers.append(f"Message-ID: <{mid}>")
    if reply_to_mid:
        headers += [f"In-Reply-To: <{reply_to_mid}>", f"References: <{reply_to_mid}>"]
    if extra:
        headers.append(extra)
    path = folder / name
    path.write_text("\n".join(headers) + "\n\n" + body + "\n", encoding="utf-8")
    return path


@pytest.fixture
def mail(tmp_path) -> Path:
    """An empty folder for the test's messages."""
    folder = tmp_path / "mail"
    folder.mkdir()
    return folder


@pytest.fixture
def settings(tmp_path):
    return Settings(db=tmp_path / "kith.db", internal_domains=["firm.com"])


def thread(folder: Path) -> Path:
    eml(folder, "a.eml", frm="Ben Baker <ben@acme.com>", to="Ana Alves <ana@firm.com>",
        subject="Export controls review", date="Mon, 6 Nov 2023 10:00:00 +0000", mid="m1@acme.com",
        body="Could you review the export controls classification?\n\nBest,\nBen Baker\nGeneral Counsel\nAcme Corporation\n"
             "Tel: +1 415 555 0100")
    eml(folder, "b.eml", frm='"Alves, Ana" <Ana@Firm.com>', to="Ben Baker <ben+legal@acme.com>",
        subject="Re: Export controls review", date="Mon, 6 Nov 2023 12:00:00 +0000", mid="m2@firm.com",
        reply_to_mid="m1@acme.com", body="Yes, this week.\n\n> Could you review")
    eml(folder, "c.eml", frm="MAILER-DAEMON@mx.acme.com", to="ana@firm.com",
        subject="Undelivered Mail Returned to Sender", date="Tue, 7 Nov 2023 10:00:00 +0000", mid="bounce1@mx",
        extra="Auto-Submitted: auto-replied")
    eml(folder, "d.eml", frm="Acme News <news@acme.com>", to="ana@firm.com", subject="Acme quarterly newsletter",
        date="Wed, 8 Nov 2023 10:00:00 +0000", mid="news1@acme.com", extra="Precedence: bulk")
    return folder


def pair(store, x: str, y: str):
    px, py = (store.people_by_email([e])[e] for e in (x, y))
    return next((k for k in store.knows_of([px]) if {k.a, k.b} == {px, py}), None), px


def test_a_thread_becomes_people_an_organisation_and_a_reciprocal_relationship(mail, store, settings):
    report = ingest_email(store, settings, [thread(mail)], workers=1)
    assert (report.files, report.records, report.ingested, report.error_count) == (4, 4, 4, 0)
    k, ana = pair(store, "ana@firm.com", "ben@acme.com")
    ana_is_a = k.a == ana
    assert (k.emails_ab, k.emails_ba) == (1, 1)
    assert (k.replies_ab if ana_is_a else k.replies_ba) == 1
    assert (k.reply_hours_ab if ana_is_a else k.reply_hours_ba) == pytest.approx(2.0)
    people = store.get_people([ana, store.people_by_email(["ben@acme.com"])["ben@acme.com"]])
    assert people[ana].is_internal and people[ana].name == "Ana Alves"
    ben = next(p for p in people.values() if not p.is_internal)
    assert ben.phones == ["+14155550100"]
    titles = {(w.title, store.get_organizations([w.org_id])[w.org_id].name) for w in store.works_at([ben.id])}
    assert ("General Counsel", "Acme") in titles
    # the bounce and the newsletter are kept and classified, and add no relationship
    categories = {i.subject: i.category for i in store.interactions_of(ana)}
    assert categories["Undelivered Mail Returned to Sender"] == Category.BOUNCE
    assert categories["Acme quarterly newsletter"] == Category.BULK
    assert store.counts()["knows"] == 1


def test_running_the_same_ingest_again_changes_nothing(mail, store, settings):
    thread(mail)
    ingest_email(store, settings, [mail], workers=1)
    counts, edges = store.counts(), list(store.iter_knows())
    again = ingest_email(store, settings, [mail], workers=1)
    assert again.ingested == 0 and again.resumed == 4
    assert store.counts() == counts and list(store.iter_knows()) == edges
    # a file changed since (so its checkpoint no longer applies) is re-read, and deduplicated by Message-ID
    (mail / "a.eml").write_text((mail / "a.eml").read_text() + "\n")
    third = ingest_email(store, settings, [mail], workers=1)
    assert (third.ingested, third.duplicates, third.resumed) == (0, 1, 3)
    assert list(store.iter_knows()) == edges


def test_a_person_whose_job_was_never_written_gets_it_from_their_company_address(mail, store, settings):
    # What Neo4j holds when it died between a new person's write and their job's (each its own
    # transaction there): the person, known by address, and no job. The resumed ingest records it.
    store.upsert_people([Person(ids.person_id("ben@acme.com"), "Ben Baker", ["ben@acme.com"],
                                provenance=Provenance("email", "earlier run", "m0"))])
    ingest_email(store, settings, [thread(mail)], workers=1)
    ben = store.people_by_email(["ben@acme.com"])["ben@acme.com"]
    [acme] = store.orgs_by_domain(["acme.com"]).values()
    jobs = {(w.org_id, w.title, w.since) for w in store.works_at(person_ids=[ben])}
    assert (acme, "", 1699264800) in jobs  # since the first message that shows the address


def test_an_interrupted_ingest_resumes_where_it_stopped(tmp_path, store, settings):
    mbox = tmp_path / "inbox.mbox"
    messages = []
    for n in range(30):
        messages.append(
            f"From ben@acme.com Mon Nov  6 10:00:00 2023\nFrom: Ben <ben@acme.com>\nTo: ana@firm.com\n"
            f"Subject: Update {n}\nDate: Mon, 6 Nov 2023 10:{n:02d}:00 +0000\nMessage-ID: <u{n}@acme.com>\n\nText {n}\n\n")
    mbox.write_text("".join(messages))
    seen = 0

    def crash_after_twelve(_):
        nonlocal seen
        seen += 1
        if seen == 12:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest_email(store, settings, [mbox], workers=1, batch_size=5, on_progress=crash_after_twelve)
    assert store.counts()["interactions"] == 10  # two batches of five were committed
    report = ingest_email(store, settings, [mbox], workers=1, batch_size=5)
    assert (report.resumed, report.ingested, report.duplicates) == (10, 20, 0)
    k, _ = pair(store, "ana@firm.com", "ben@acme.com")
    assert k.emails_ab + k.emails_ba == 30


def reply_and_parent(folder: Path, parent_name: str) -> None:
    """Into ``folder``: Ana's reply (read first, by name) to Ben's message an hour earlier."""
    eml(folder, "1-reply.eml", frm="ana@firm.com", to="ben@acme.com", subject="Re: Terms",
        date="Mon, 6 Nov 2023 11:00:00 +0000", mid="r@firm.com", reply_to_mid="p@acme.com")
    eml(folder, parent_name, frm="ben@acme.com", to="ana@firm.com", subject="Terms",
        date="Mon, 6 Nov 2023 10:00:00 +0000", mid="p@acme.com")


def assert_one_reply_from_ana(store: SQLiteStore) -> None:
    k, ana = pair(store, "ana@firm.com", "ben@acme.com")
    assert (k.replies_ab, k.replies_ba) == ((1, 0) if k.a == ana else (0, 1))
    assert k.reply_hours_ab + k.reply_hours_ba == pytest.approx(1.0)


def test_a_reply_read_before_its_parent_counts_once(mail, store, settings):
    reply_and_parent(mail, "2-parent.eml")
    ingest_email(store, settings, [mail / "1-reply.eml"], workers=1)
    ingest_email(store, settings, [mail], workers=1)
    assert_one_reply_from_ana(store)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_reply_read_before_its_parent_in_one_run_counts_once(mail, store, settings, workers):
    # one run, one message per batch: the parent's batch finds the reply a batch before it stored
    reply_and_parent(mail, "3-parent.eml")
    eml(mail, "2-other.eml", frm="cy@acme.com", to="ana@firm.com", subject="Other",
        date="Mon, 6 Nov 2023 09:00:00 +0000", mid="o@acme.com")
    ingest_email(store, settings, [mail], workers=workers, batch_size=1)
    assert_one_reply_from_ana(store)


def test_a_reply_without_in_reply_to_is_threaded_by_subject(mail, store, settings):
    eml(mail, "1.eml", frm="ben@acme.com", to="ana@firm.com", subject="Board pack",
        date="Mon, 6 Nov 2023 10:00:00 +0000", mid="bp@acme.com")
    eml(mail, "2.eml", frm="ana@firm.com", to="ben@acme.com", subject="RE: Board pack",
        date="Mon, 6 Nov 2023 10:30:00 +0000", mid="bp2@firm.com")
    ingest_email(store, settings, [mail], workers=1)
    reply = store.get_interactions([ids.interaction_id("email", "bp2@firm.com")])
    assert next(iter(reply.values())).parent_id == ids.interaction_id("email", "bp@acme.com")


@pytest.mark.parametrize("privacy, body_kept", [("metadata", False), ("topics", False), ("full", True)])
def test_privacy_modes_decide_what_is_kept(tmp_path, mail, store, privacy, body_kept):
    eml(mail, "1.eml", frm="ben@acme.com", to="ana@firm.com", subject="GDPR transfer impact assessment",
        date="Mon, 6 Nov 2023 10:00:00 +0000", mid="p1@acme.com", body="Standard contractual clauses attached.")
    ingest_email(store, Settings(db=tmp_path / "kith.db", privacy=privacy), [mail], workers=1)
    [item] = store.get_interactions([ids.interaction_id("email", "p1@acme.com")]).values()
    assert item.subject == "GDPR transfer impact assessment"  # a header: kept in every mode, and searched
    assert ("contractual" in item.body) == body_kept
    assert bool(item.topics) == (privacy != "metadata")
    assert store.search_text(['"gdpr"'])
    assert bool(store.search_text(query_phrases("contractual clauses"))) == (privacy != "metadata")  # body words


def test_excluded_addresses_and_domains_are_never_ingested(mail, store, settings):
    eml(mail, "1.eml", frm="doctor@clinic.example", to="ana@firm.com", subject="Appointment",
        date="Mon, 6 Nov 2023 10:00:00 +0000", mid="x1@clinic")
    eml(mail, "2.eml", frm="ana@firm.com", to="spouse@home.example, ben@acme.com", subject="Dinner",
        date="Mon, 6 Nov 2023 10:00:00 +0000", mid="x2@firm")
    report = ingest_email(store, settings, [mail], workers=1, exclude_domains=["clinic.example"],
                          exclude_addresses=["Spouse@home.example"])
    assert report.skipped["excluded"] == 1
    assert store.people_by_email(["doctor@clinic.example", "spouse@home.example"]) == {}
    assert store.people_by_email(["ben@acme.com"])


def test_an_erased_person_stays_erased_when_their_mail_is_read_again(mail, store, settings):
    thread(mail)
    ingest_email(store, settings, [mail], workers=1)
    store.erase_person(store.people_by_email(["ben@acme.com"])["ben@acme.com"])
    for f in mail.iterdir():  # touch every file so no checkpoint applies
        f.write_text(f.read_text() + "\n")
    report = ingest_email(store, settings, [mail], workers=1)
    assert report.skipped["erased person"] == 1
    assert store.people_by_email(["ben@acme.com"]) == {}


def test_a_known_name_at_the_same_company_is_attached_and_elsewhere_reviewed(mail, store, settings):
    eml(mail, "1.eml", frm="Robert Baker <rbaker@acme.com>", to="ana@firm.com", subject="One",
        date="Mon, 6 Nov 2023 10:00:00 +0000", mid="n1@acme.com")
    eml(mail, "2.eml", frm="Robert Baker <robert.baker@acme.com>", to="ana@firm.com", subject="Two",
        date="Tue, 7 Nov 2023 10:00:00 +0000", mid="n2@acme.com")
    eml(mail, "3.eml", frm="Bob Baker <bobbybaker@gmail.com>", to="ana@firm.com", subject="Three",
        date="Wed, 8 Nov 2023 10:00:00 +0000", mid="n3@gmail.com")
    report = ingest_email(store, settings, [mail], workers=1)
    found = store.people_by_email(["rbaker@acme.com", "robert.baker@acme.com", "bobbybaker@gmail.com"])
    assert found["rbaker@acme.com"] == found["robert.baker@acme.com"] != found["bobbybaker@gmail.com"]
    [event] = store.identity_events(person_ids=[found["rbaker@acme.com"]])
    assert event.emails == ["robert.baker@acme.com"] and "acme.com" in event.reason
    assert report.review == 1
    [item] = store.review_items()
    assert {item.person_id, item.other_id} == {found["rbaker@acme.com"], found["bobbybaker@gmail.com"]}
    assert item.status == ReviewStatus.OPEN


def test_an_ingest_that_dies_after_writing_its_new_people_loses_none_of_their_jobs_or_reviews(
        tmp_path, mail, store, settings, monkeypatch):
    # Neo4j commits each write of a batch on its own: a server that dies after the batch's people are
    # written leaves them without what the batch still had to write. SQLite rolls the batch back.
    eml(mail, "1.eml", frm="Robert Baker <rbaker@acme.com>", to="ana@firm.com", subject="One",
        date="Mon, 6 Nov 2023 10:00:00 +0000", mid="n1@acme.com")
    eml(mail, "2.eml", frm="Bob Baker <bob.baker@initech.com>", to="ana@firm.com", subject="Two",
        date="Tue, 7 Nov 2023 10:00:00 +0000", mid="n2@initech.com")
    dies_then_resumes(store, settings, mail, monkeypatch, "add_works_at")

    reference = SQLiteStore.open(tmp_path / "reference.db")
    ingest_email(reference, Settings(db=tmp_path / "reference.db", internal_domains=["firm.com"]), [mail], workers=1)
    jobs, reviews = _jobs_and_reviews(reference)
    reference.close()
    assert len(jobs) == 3 and len(reviews) == 1  # ana's, Robert's and Bob's; Bob Baker may be Robert
    assert _jobs_and_reviews(store) == (jobs, reviews)


@pytest.mark.parametrize("dies_at", ["upsert_people", "add_works_at", "add_interactions"])
def test_an_ingest_that_dies_mid_batch_records_each_identity_event_once(mail, store, settings, monkeypatch, dies_at):
    # On Neo4j each write of a batch commits on its own: the attach of robert.baker@ to Robert must be
    # neither lost (his address already written when the ingest resumes) nor recorded twice.
    eml(mail, "1.eml", frm="Robert Baker <rbaker@acme.com>", to="ana@firm.com", subject="One",
        date="Mon, 6 Nov 2023 10:00:00 +0000", mid="n1@acme.com")
    ingest_email(store, settings, [mail], workers=1)
    eml(mail, "2.eml", frm="Robert Baker <robert.baker@acme.com>", to="ana@firm.com", subject="Two",
        date="Tue, 7 Nov 2023 10:00:00 +0000", mid="n2@acme.com")
    dies_then_resumes(store, settings, mail, monkeypatch, dies_at)

    robert = store.people_by_email(["rbaker@acme.com"])["rbaker@acme.com"]
    assert [(e.kind, e.person_id, e.emails) for e in store.identity_events(person_ids=[robert])] == [
        ("attach", robert, ["robert.baker@acme.com"])]


def dies_then_resumes(store, settings, folder: Path, monkeypatch, method: str) -> None:
    """Ingest ``folder`` while the real store's ``method`` fails as an unreachable server does, then
    again with the store whole: the resumed ingest."""
    def dies(*args):
        raise StoreUnavailable("Cannot reach Neo4j at bolt://127.0.0.1:7687.")

    monkeypatch.setattr(store, method, dies)
    with pytest.raises(StoreUnavailable):
        ingest_email(store, settings, [folder], workers=1)
    monkeypatch.undo()
    ingest_email(store, settings, [folder], workers=1)


def _jobs_and_reviews(store) -> tuple[list[tuple], list[tuple]]:
    people = [p.id for p in store.iter_people()]
    jobs = sorted((w.person_id, w.org_id, w.title, w.since) for w in store.works_at(person_ids=people))
    return jobs, sorted((r.person_id, r.other_id, r.score, r.reason) for r in store.review_items(status=None))


def test_a_new_signature_records_a_job_change(mail, store, settings):
    sig = "Thanks,\n\nCarla Diaz\n{title}\n{company}\nMobile: +44 20 7946 0000"
    eml(mail, "1.eml", frm="Carla Diaz <carla@gmail.com>", to="ana@firm.com", subject="Catch-up",
        date="Mon, 6 Mar 2023 10:00:00 +0000", mid="s1@gmail.com",
        body="Good to see you.\n\n" + sig.format(title="Head of Compliance", company="Globex Ltd"))
    eml(mail, "2.eml", frm="Carla Diaz <carla@gmail.com>", to="ana@firm.com", subject="News",
        date="Mon, 6 Nov 2023 10:00:00 +0000", mid="s2@gmail.com",
        body="I have moved on.\n\n" + sig.format(title="Chief Compliance Officer", company="Initech GmbH"))
    ingest_email(store, settings, [mail], workers=1)
    carla = store.people_by_email(["carla@gmail.com"])["carla@gmail.com"]
    history = store.works_at([carla])
    orgs = store.get_organizations([w.org_id for w in history])
    assert [(w.title, orgs[w.org_id].name) for w in history] == [
        ("Head of Compliance", "Globex"), ("Chief Compliance Officer", "Initech")]


@pytest.mark.parametrize("batch_size", [1, 100])
def test_a_signature_signed_on_many_messages_dates_the_job_from_the_earliest(mail, store, settings, batch_size):
    # the newest message comes first: each later one, signed alike, must still move the job's start back
    sig = "\n\nBest,\nDana Lee\nPartner\nNorthwind Traders Ltd\nTel: +1 415 555 0199"
    for n, day in enumerate(["Fri, 10 Mar 2023", "Wed, 8 Mar 2023", "Mon, 6 Mar 2023"]):
        eml(mail, f"{n}.eml", frm="Dana Lee <dana.lee@gmail.com>", to="ana@firm.com", subject=f"Note {n}",
            date=f"{day} 10:00:00 +0000", mid=f"d{n}@gmail.com", body="See attached." + sig)
    ingest_email(store, settings, [mail], workers=1, batch_size=batch_size)
    [dana] = store.people_by_email([normalize_address("dana.lee@gmail.com")]).values()
    [job] = store.works_at([dana])
    assert (store.get_organizations([job.org_id])[job.org_id].name, job.title) == ("Northwind Traders", "Partner")
    assert job.since == 1678096800  # Mon, 6 Mar 2023 10:00 UTC: the last message read, the earliest sent
    assert store.get_people([dana])[dana].phones == ["+14155550199"]


@pytest.mark.parametrize("runs", [1, 2])
def test_a_signature_names_the_organisation_its_domain_only_hinted_at(tmp_path, store, settings, runs):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    eml(first, "1.eml", frm="Bob Stone <bob@acmeholdings.com>", to="ana@firm.com", subject="Hello",
        date="Mon, 6 Mar 2023 10:00:00 +0000", mid="h1@acmeholdings.com")
    eml(second, "2.eml", frm="Carol Reyes <carol@acmeholdings.com>", to="ana@firm.com", subject="Board pack",
        date="Tue, 7 Mar 2023 10:00:00 +0000", mid="h2@acmeholdings.com",
        body="Attached.\n\nBest,\nCarol Reyes\nGeneral Counsel\nAcme Holdings Ltd\nTel: +1 415 555 0101")
    for folders in ([[first, second]] if runs == 1 else [[first], [second]]):
        ingest_email(store, settings, folders, workers=1)
    assert [o.name for o in store.iter_organizations() if o.domains == ["acmeholdings.com"]] == ["Acme Holdings"]


def test_the_parallel_parser_gives_the_same_graph(tmp_path, settings):
    # more messages than two of a worker's tasks, over several files and batches: the pool really runs
    count = 2 * pipeline._CHUNK + 37
    mail = write_corpus(tmp_path / "mail", make_firm(seed=3, colleagues=12, organizations=8, contacts_per_org=4),
                        count, per_file=count // 3)
    tables = []
    for workers in (1, 2):
        db = tmp_path / f"{workers}.db"
        with closing(SQLiteStore.open(db)) as store:
            report = ingest_email(store, settings, mail, workers=workers, batch_size=count // 2)
        assert report.ingested == count
        tables.append(every_row(db))
    assert tables[0] == tables[1]


_WRITTEN_AT = ("ingested_at", "created_at", "at")  # at: an identity event's


def every_row(db: Path) -> dict[str, list[tuple]]:
    """Each table's rows, sorted, without what differs from run to run (times written, the store's id)."""
    conn = sqlite3.connect(db)
    out = {}
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'documents_fts'"):
        columns = [c[1] for c in conn.execute(f"PRAGMA table_info('{table}')") if c[1] not in _WRITTEN_AT]
        rows = conn.execute(f"SELECT {', '.join(f'[{c}]' for c in columns)} FROM [{table}]").fetchall()
        out[table] = sorted((r for r in rows if r[:1] != ("store_id",)), key=repr)
    conn.close()
    return out


def test_a_batch_looks_up_its_signatures_organisations_in_one_read_each(tmp_path, store, settings, monkeypatch):
    """Not a read per organisation (a round trip each to Neo4j): the batch's signers' domains and its
    signatures' companies are looked up at once."""
    firm = make_firm(seed=3, colleagues=10, organizations=12, contacts_per_org=3)
    paths = write_corpus(tmp_path / "corpus", firm, 400, per_file=400)
    reads: list[str] = []
    for name in ("orgs_by_domain", "orgs_by_normalized_name"):
        read = getattr(store, name)
        monkeypatch.setattr(store, name, lambda keys, read=read, name=name: reads.append(name) or read(keys))
    report = ingest_email(store, settings, paths, workers=1, batch_size=200)
    assert report.ingested > 300 and store.counts()["organizations"] >= 12
    assert sorted(reads) == ["orgs_by_domain"] * 2 + ["orgs_by_normalized_name"] * 2  # two batches
