"""Expertise ranking on small hand-computed graphs, on SQLite and (when KITH_NEO4J_URI is set) on Neo4j."""

from __future__ import annotations

import math
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kith.graph.errors import KithError
from kith.graph.evidence import document_sharing, snippet
from kith.graph.expertise import ROLE_WEIGHTS, experts
from kith.graph.model import Category, Person, Role, Sharing
from kith.graph.sqlite_store import SQLiteStore
from tests.factories import NOW, Graph, at


def bm25(tf: float, length: int, mean_length: float, df: int, n: int) -> float:
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    return idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / mean_length))


def test_scores_follow_the_model_by_hand(store):
    g = Graph(store)
    g.people("alice", "bob", internal=True)
    g.person("carol")
    g.email("e1", NOW, "alice", ["carol"], subject="export controls")
    g.email("e2", NOW, "bob", ["alice"], ["carol"], subject="export controls review")

    # One stemmed query word, in both subjects (counted four times: text + 3 × subject); lengths 2 and 3.
    e1, e2 = bm25(4, 2, 2.5, 2, 2), bm25(4, 3, 2.5, 2, 2)
    readers = 1 + 0.5 * math.log(2)  # e2 has two readers: alice (to) and carol (cc)
    # author of e1, recipient of e2: no division by who else is on it, every role damped by e2's
    # readers; the sum over n documents / √n
    alice = (e1 * 1.0 + e2 * 0.5 / readers) / math.sqrt(2)
    bob = e2 * 1.0 / readers

    ranked = experts(store, "Export", now=NOW)
    assert [e.person_id for e in ranked] == ["alice", "bob"]  # carol is not a colleague
    assert ranked[0].score == 1.0
    assert ranked[1].score == pytest.approx(bob / alice)
    assert ranked[0].documents == 2 and ranked[1].documents == 1
    assert [(e.doc_id, e.role) for e in ranked[0].evidence] == [("e1", "from"), ("e2", "to")]
    assert ranked[0].evidence[0].weight == pytest.approx(e1 / (alice * math.sqrt(2)))
    assert ranked[0].name == "Alice" and ranked[0].emails == ["alice@firm.example"]
    parts = ranked[0].parts  # score = topical x role x recency
    assert parts.topical == pytest.approx((e1 + e2) / math.sqrt(2)) and parts.recency == pytest.approx(1.0)
    assert parts.topical * parts.role * parts.recency == pytest.approx(alice)

    everyone = experts(store, "export", now=NOW, internal_only=False)
    carol = (e1 * 0.5 + e2 * 0.1 / readers) / math.sqrt(2)
    assert [e.person_id for e in everyone] == ["alice", "bob", "carol"]
    assert everyone[2].score == pytest.approx(carol / alice)


def test_the_author_beats_a_recipient_of_the_same_mail(store):
    g = Graph(store)
    g.people("writer", "reader", internal=True)
    g.email("e", NOW, "writer", ["reader"], subject="Sanctions screening of new vendors",
            body="Our sanctions screening covers every vendor.")
    assert [e.person_id for e in experts(store, "sanctions screening", now=NOW)] == ["writer", "reader"]


def test_cc_on_everything_does_not_beat_the_author_of_three_on_topic_mails(store):
    g = Graph(store)
    g.people("author", "manager", "busy", internal=True)
    g.person("client")
    with g.batch():
        for n in range(100):
            g.email(f"x{n}", at(n % 50), "busy", ["client"], ["manager"],
                    subject=f"Weekly status {n}", body="Budget, staffing and the data room; tax audit next.")
        for n in range(3):
            g.email(f"t{n}", at(n), "author", ["client"], subject="Tax audit",
                    body="The tax audit: the inspector's questions and our answers on the audit.")
    ranked = [e.person_id for e in experts(store, "tax audit", now=NOW)]  # each status mail names it in passing
    assert ranked.index("author") < ranked.index("manager")


def test_the_author_of_mails_to_many_does_not_beat_the_author_of_an_answer_to_one(store):
    g = Graph(store)
    team = [f"t{n}" for n in range(9)]
    g.people("partner", "expert", *team, internal=True)
    text = dict(subject="Transfer pricing", body="Transfer pricing: the benchmarking and the intercompany royalty.")
    for n in range(2):  # the same words, to nine colleagues at once, twice
        g.email(f"s{n}", at(n), "partner", team, **text)
    g.email("a", at(0), "expert", ["t0"], **text)
    ranked = [e.person_id for e in experts(store, "transfer pricing", now=NOW)]
    assert ranked[0] == "expert" and ranked.index("partner") < ranked.index("t1")


def test_the_one_who_asked_ranks_below_those_who_answered(store):
    g = Graph(store)
    g.people("asker", "expert1", "expert2", internal=True)
    g.email("q", at(3), "asker", ["expert1", "expert2"], subject="Question: merger control thresholds?",
            body="Does anyone know the merger control thresholds for a filing?")
    g.email("a1", at(2), "expert1", ["asker"], subject="Re: Question: merger control thresholds?",
            body="Merger control thresholds depend on turnover; a filing is needed above them.", parent="q")
    g.email("a2", at(2), "expert2", ["asker"], subject="Re: Question: merger control thresholds?",
            body="The merger control filing thresholds differ by country.", parent="q")
    ranked = [e.person_id for e in experts(store, "merger control", now=NOW)]
    assert ranked.index("asker") > ranked.index("expert1") and ranked.index("asker") > ranked.index("expert2")


def test_an_askers_follow_ups_in_their_thread_are_asking_too(store):
    g = Graph(store)
    g.people("junior", "expert", internal=True)
    # the question and the answer say little in the topic's words; the junior's follow-ups, replies to
    # the answer, say a lot (the thread's first mail is read from the store: it does not match)
    g.email("q", at(5), "junior", ["expert"], subject="Quick question", body="Can you help with a filing?")
    g.email("a", at(4), "expert", ["junior"], subject="Re: Quick question", parent="q",
            body="Merger control: the turnover thresholds decide it.")
    g.email("f1", at(3), "junior", ["expert"], subject="Re: Quick question", parent="a",
            body="Thanks. More on merger control: merger control in two countries, merger control timing?")
    g.email("a2", at(2), "expert", ["junior"], subject="Re: Quick question", parent="f1", body="Yes, both.")
    g.email("f2", at(1), "junior", ["expert"], subject="Re: Quick question", parent="a2",
            body="And merger control remedies? Merger control again, sorry.")
    ranked = [e.person_id for e in experts(store, "merger control", now=NOW)]
    assert ranked.index("junior") > ranked.index("expert")  # asked of, again and again: the expert


def test_lists_role_addresses_and_broadcasters_are_never_experts(store):
    g = Graph(store)
    g.people("ana", "ben", "cat", "dan", "eve", internal=True)
    for pid in ("litigation-list", "info", "digest"):
        g.person(pid, internal=True)
    for n, who in enumerate(["ana", "ben", "cat", "dan"]):  # everyone writes to the list; it never writes
        g.email(f"l{n}", at(n), who, ["litigation-list"], subject="Patent litigation docket",
                body="Patent litigation: the docket for the week.")
    g.email("i", at(1), "info", ["eve"], subject="Patent litigation seminar", body="Patent litigation seminar.")
    readers = [f"r{n}" for n in range(12)]
    g.people(*readers, internal=True)
    g.email("d", at(1), "digest", readers, subject="Patent litigation digest",  # to twelve; nobody writes back
            body="Patent litigation, patent litigation, patent litigation news.")
    g.email("e", at(2), "eve", ["ana"], subject="patent", body="A patent question.")
    ranked = {e.person_id for e in experts(store, "patent litigation", now=NOW, limit=50)}
    assert ranked and not ranked & {"litigation-list", "info", "digest"}
    assert {"ana", "ben", "cat", "dan"} <= ranked


def test_plurals_and_inflections_find_each_other(store):
    g = Graph(store)
    g.people("pat", "quin", internal=True)
    g.person("x")
    g.email("p", NOW, "pat", ["x"], subject="Partnership agreement", body="The partnership agreement draft.")
    g.email("q", NOW, "quin", ["x"], subject="Grinding the beans", body="Grinders and grinding.")
    assert [e.person_id for e in experts(store, "partnerships", now=NOW)] == ["pat"]
    assert [e.person_id for e in experts(store, "grinder", now=NOW)] == ["quin"]


def test_a_matching_phrase_beats_a_partial_match_and_more_of_it_beats_less(store):
    g = Graph(store)
    g.people("ann", "ben", "cat", internal=True)
    g.person("x")
    g.email("a", NOW, "ann", ["x"], subject="merger control filing in Brussels")
    g.email("b", NOW, "ben", ["x"], subject="merger of two teams before filing season")
    g.email("c", NOW, "cat", ["x"], subject="holiday filing")
    assert [e.person_id for e in experts(store, "merger control", now=NOW)] == ["ann", "ben"]


def test_recency_halves_a_document_every_two_years(store):
    g = Graph(store)
    g.people("old", "new", internal=True)
    g.person("c")
    g.email("e-old", at(730), "old", ["c"], subject="sanctions screening")
    g.email("e-new", NOW, "new", ["c"], subject="sanctions screening")
    ranked = experts(store, "sanctions", now=NOW)
    assert [(e.person_id, round(e.score, 9)) for e in ranked] == [("new", 1.0), ("old", 0.5)]


def test_role_weights_order_sender_recipient_cc_bcc(store):
    g = Graph(store)
    g.people("s", "t", "c", "b", internal=True)
    g.email("e", NOW, "s", ["t"], ["c"], ["b"], subject="patent licensing")
    ranked = experts(store, "patent", now=NOW)
    assert [e.person_id for e in ranked] == ["s", "t", "c", "b"]
    # everyone on it is damped alike by its three readers, so the scores keep the weights' ratios
    assert [round(e.score, 9) for e in ranked] == [1.0, 0.5, 0.1, 0.05]
    assert ROLE_WEIGHTS[Role.FROM] > ROLE_WEIGHTS[Role.TO] > ROLE_WEIGHTS[Role.CC] > ROLE_WEIGHTS[Role.BCC]


def test_bulk_mail_declined_meetings_and_hidden_people_count_nothing(store):
    g = Graph(store)
    g.people("ann", "ben", "dee", internal=True)
    g.person("gone", internal=True, opted_out=True)
    g.person("x")
    g.email("bulk", NOW, "ann", ["x"], subject="ESG reporting newsletter", category=Category.BULK)
    g.meeting("m", NOW, "ben", ["x"], declined=["dee"], subject="ESG reporting workshop")
    g.email("e", NOW, "gone", ["x"], subject="ESG reporting")
    assert [e.person_id for e in experts(store, "ESG", now=NOW)] == ["ben"]


def test_deals_and_notes_are_evidence_too(store):
    g = Graph(store)
    g.people("partner", "author", internal=True)
    g.person("client")
    g.org("acme")
    g.deal("d1", "Acme IPO readiness", "acme", opened=at(10), team=["partner"], clients=["client"])
    g.note("n1", at(10), "author", ["client"], subject="IPO readiness: what the client asked")
    ranked = experts(store, "IPO readiness", now=NOW)
    assert {e.person_id for e in ranked} == {"partner", "author"}
    kinds = {e.person_id: e.evidence[0].kind for e in ranked}
    assert kinds == {"partner": "deal", "author": "note"}


def test_cjk_queries_find_cjk_documents(store):
    g = Graph(store)
    g.people("yuki", "wei", internal=True)
    g.person("c")
    g.email("j", NOW, "yuki", ["c"], subject="出口管制に関する相談")
    g.email("z", NOW, "wei", ["c"], subject="数据跨境传输")
    assert [e.person_id for e in experts(store, "出口管制", now=NOW)] == ["yuki"]
    assert [e.person_id for e in experts(store, "跨境传输", now=NOW)] == ["wei"]
    assert experts(store, "輸出", now=NOW) == []


def test_as_of_ignores_later_documents_and_measures_age_from_then(store):
    g = Graph(store)
    g.people("early", "late", internal=True)
    g.person("c")
    g.email("e1", at(100), "early", ["c"], subject="transfer pricing")
    g.email("e2", at(10), "late", ["c"], subject="transfer pricing")
    past = experts(store, "transfer pricing", as_of=at(50))
    assert [e.person_id for e in past] == ["early"]
    assert all(ev.occurred_at < at(50) for e in past for ev in e.evidence)
    assert [e.person_id for e in experts(store, "transfer pricing", now=NOW)] == ["late", "early"]


def test_snippets_obey_each_colleagues_sharing(store):
    g = Graph(store)
    g.person("open", internal=True)
    g.person("shy", internal=True, sharing=Sharing.SUBJECTS)
    g.person("hidden", internal=True, sharing=Sharing.HIDE)
    g.person("c")
    body = "The classification of the dual-use items under export controls needs a second look."
    g.email("o", NOW, "open", ["c"], subject="Export controls", body=body)
    g.email("s", NOW, "shy", ["c"], subject="Export controls", body=body)
    g.email("h", NOW, "hidden", ["c"], subject="Export controls", body=body)
    g.email("both", at(1), "open", ["shy"], subject="Export controls again", body=body)
    shown = {e.person_id: {ev.doc_id: ev.snippet for ev in e.evidence} for e in experts(store, "export", now=NOW)}
    assert shown["open"]["o"].startswith("Export controls — ") and "dual-use" in shown["open"]["o"]
    assert shown["shy"]["s"] == "Export controls"
    assert shown["hidden"] == {"h": ""}
    assert shown["open"]["both"] == "Export controls again"  # the strictest colleague on it decides


def test_the_sharing_rule_on_its_own():
    people = {"a": Person("a", is_internal=True), "b": Person("b", is_internal=True, sharing=Sharing.SUBJECTS),
              "x": Person("x", sharing=Sharing.HIDE)}
    assert document_sharing(["a"], people) == Sharing.ALL
    assert document_sharing(["a", "b"], people) == Sharing.SUBJECTS
    assert document_sharing(["a", "x"], people) == Sharing.ALL  # only colleagues choose
    assert snippet("S", "body", Sharing.HIDE) == ""
    assert snippet("S", "body", Sharing.SUBJECTS) == "S"
    assert snippet("S", "body", Sharing.ALL) == "S — body"
    long = "word " * 100 + "needle " + "word " * 100
    cut = snippet("", long, Sharing.ALL, ["needle"])
    assert "needle" in cut and len(cut) <= 161 and cut.startswith("…")


def test_an_empty_topic_is_a_clear_error(store):
    with pytest.raises(KithError, match="at least one word"):
        experts(store, "  --  ")


def test_limit_and_ties_are_deterministic(store):
    g = Graph(store)
    g.people("b", "a", "c", internal=True)
    g.person("x")
    for pid in ("b", "a", "c"):
        g.email(f"e-{pid}", NOW, pid, ["x"], subject="pension scheme")
    assert [e.person_id for e in experts(store, "pension", now=NOW, limit=2)] == ["a", "b"]


# -- as_of never sees the future ------------------------------------------------------------------------

WORDS = ["export", "controls", "merger", "filing", "tax", "出口管制", "pension"]
documents = st.lists(
    st.tuples(
        st.integers(0, 400),  # days ago
        st.sampled_from(["ann", "ben", "cat", "dan"]),  # sender
        st.lists(st.sampled_from(["ann", "ben", "cat", "dan", "x", "y"]), min_size=1, max_size=3, unique=True),
        st.lists(st.sampled_from(WORDS), min_size=1, max_size=4),
    ),
    min_size=1,
    max_size=12,
)


def _store_of(docs, keep=lambda days: True) -> SQLiteStore:
    folder = Path(tempfile.mkdtemp(prefix="kith-expertise-"))
    s = SQLiteStore.open(folder / "kith.db")
    g = Graph(s)
    g.people("ann", "ben", "cat", "dan", internal=True)
    g.people("x", "y")
    for n, (days, frm, to, words) in enumerate(docs):
        if keep(days):
            g.email(f"e{n}", at(days), frm, [p for p in to if p != frm] or ["x"], subject=" ".join(words))
    return s


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=documents, cut=st.integers(0, 400), query=st.sampled_from(WORDS))
def test_as_of_answers_as_if_the_future_had_not_happened(docs, cut, query):
    full = _store_of(docs)
    past = _store_of(docs, keep=lambda days: days > cut)  # dated strictly before at(cut)
    try:
        seen = experts(full, query, as_of=at(cut), internal_only=False)
        assert all(ev.occurred_at < at(cut) for e in seen for ev in e.evidence)
        assert seen == experts(past, query, as_of=at(cut), internal_only=False)
    finally:
        for store in (full, past):
            store.close()
            shutil.rmtree(store.path.parent)  # hypothesis runs this 30 times: leave no folders behind


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x7F)) | st.text())
def test_the_fast_tokenizer_agrees_with_the_index(text):
    from kith.graph.expertise import tokens_of
    from kith.graph.text import phrases

    assert tokens_of(text) == [t for phrase in phrases(text) for t in phrase]


def test_experts_with_a_warm_path_combine_both_by_geometric_mean(store):
    from kith.graph.expertise import experts_with_path
    from kith.graph.network import load_network

    g = Graph(store)
    g.people("guru", "novice", "loner", internal=True)
    g.people("target", "xg", "xn", "xl")
    for n in range(4):  # guru knows most about it, novice a little, loner too but knows nobody useful
        g.email(f"gk{n}", NOW, "guru", ["xg"], subject="antitrust investigation")
    g.email("nk", NOW, "novice", ["xn"], subject="antitrust investigation")
    g.email("lk", NOW, "loner", ["xl"], subject="antitrust investigation")
    g.exchange("nt", "novice", "target", 200, 1, 30)  # novice knows the target well
    g.exchange("gn", "guru", "novice", 200, 1, 4)  # guru only through novice

    alone = {e.person_id: e.score for e in experts(store, "antitrust", now=NOW)}
    joined = experts_with_path(store, "antitrust", "target", now=NOW)
    assert {j.expert.person_id for j in joined} == {"guru", "novice"}  # loner has no path
    net = load_network(store, now=NOW)
    paths = {"novice": net.strength("novice", "target"),
             "guru": net.strength("guru", "novice") * net.strength("novice", "target") / 100}
    best = max(paths.values())
    for j in joined:
        pid = j.expert.person_id
        assert j.path.people[0] == pid and j.path.people[-1] == "target"
        assert j.path.score == pytest.approx(paths[pid], abs=1e-3)
        assert j.score == pytest.approx((alone[pid] * paths[pid] / best) ** 0.5, rel=1e-3)
    assert [j.expert.person_id for j in joined] == sorted(paths, key=lambda p: -(alone[p] * paths[p]))
    assert set(joined[0].as_dict()) >= {"name", "emails", "score", "expertise", "path"}


def test_metadata_privacy_ranks_from_subjects_never_from_body_words(store, tmp_path):
    from kith.graph.expertise import notice
    from kith.graph.settings import PrivacyMode, Settings
    from kith.ingest.email.pipeline import ingest_email

    mail = tmp_path / "mail"
    mail.mkdir()
    for n, (frm, to, subject, body) in enumerate([
        ("ana@firm.com", "ben@acme.com", "Merger control thresholds", "Turnover tests for a filing."),
        ("cy@firm.com", "ben@acme.com", "Lunch on Friday", "Also: the sanctions screening of vendors is done."),
    ]):
        (mail / f"{n}.eml").write_text(
            f"From: {frm}\nTo: {to}\nSubject: {subject}\nDate: Mon, 6 Nov 2023 10:0{n}:00 +0000\n"
            f"Message-ID: <m{n}@firm.com>\n\n{body}\n", encoding="utf-8")
    settings = Settings(db=tmp_path / "kith.db", privacy="metadata", internal_domains=["firm.com"])
    ingest_email(store, settings, [mail], workers=1)

    [ana] = experts(store, "merger control")  # the subject is a header: kept and searched
    assert ana.emails == ["ana@firm.com"] and ana.evidence[0].snippet.startswith("Merger control")
    for body_words in ("sanctions screening", "turnover", "filing"):  # body words are never kept
        assert experts(store, body_words) == []
    assert notice(settings.privacy).startswith("Ranked from subjects only")
    assert notice(PrivacyMode.TOPICS) == notice(PrivacyMode.FULL) == ""
