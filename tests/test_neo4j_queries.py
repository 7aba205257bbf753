"""The Cypher the Neo4j store emits, checked without a database through a recording executor.

The behaviour is the store contract's job (tests/contract, against a real server when KITH_NEO4J_URI is
set); these tests pin the shape: constants only, values only as parameters, batched writes, one
transaction per call, and the one-line errors a user sees when the server is unreachable.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from neo4j import exceptions as neo4j_errors

from kith.graph import ids
from kith.graph import neo4j_queries as q
from kith.graph.errors import NotFound, SchemaTooNew, StoreUnavailable
from kith.graph.model import (
    KNOWS_COUNTERS,
    Deal,
    DealRole,
    DealRoleKind,
    IdentityEvent,
    IdentityEventKind,
    Interaction,
    InteractionKind,
    Organization,
    Participant,
    Knows,
    ReviewItem,
    ReviewStatus,
    Role,
    Sharing,
    WorksAt,
)
from kith.graph.neo4j_store import (
    DOCUMENTS_INDEX,
    GENERATION_KEY,
    IDENTITY_EVENT_SEQ_KEY,
    REVIEW_ITEM_SEQ_KEY,
    SCHEMA_VERSION,
    SCHEMA_VERSION_KEY,
    DriverExecutor,
    Neo4jStore,
    schema_script,
)
from tests.factories import PROV, T0, email, person, write
from kith.graph.store import STORE_ID_KEY
from kith.graph.text import query_phrases

REPO = Path(__file__).resolve().parents[1]
STATEMENTS = {name: value for name, value in vars(q).items() if name.isupper() and isinstance(value, str)}
BY_TEXT = {value: name for name, value in STATEMENTS.items()}
SCHEMA = q.split_statements((REPO / "schema.cypher").read_text(encoding="utf-8"))
PARAM = re.compile(r"\$(\w+)")


# -- the recording executor ----------------------------------------------------------------------
class RecordingExecutor:
    """A CypherExecutor that records (transaction, statement name, params) and answers canned rows.

    ``answers`` maps a statement name to rows, or to a function of the params returning rows."""

    def __init__(self, answers: dict[str, Any] | None = None):
        self.answers = {"BUMP_GENERATION": [{"gen": 1}], **(answers or {})}
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.transactions = 0
        self.committed: list[int] = []

    def _answer(self, where: str, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        assert query in BY_TEXT or query in SCHEMA, f"not a constant of graph/neo4j_queries.py:\n{query}"
        name = BY_TEXT.get(query, "SCHEMA")
        # The driver fails on a missing parameter; an unused one means the statement lost a condition.
        assert set(PARAM.findall(query)) == set(params), (name, sorted(params))
        self.calls.append((where, name, params))
        answer = self.answers.get(name, [])
        return answer(params) if callable(answer) else list(answer)

    def run(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self._answer("read", query, params)

    def stream(self, query: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        yield from self._answer("stream", query, params)

    def write(self, work: Callable[[Any], Any]) -> Any:
        self.transactions += 1
        number = self.transactions
        executor = self

        class Tx:
            def run(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
                return executor._answer(f"write#{number}", query, params)

        result = work(Tx())
        self.committed.append(number)
        return result

    def close(self) -> None:
        pass

    def names(self, where: str | None = None) -> list[str]:
        return [name for w, name, _ in self.calls if where is None or w == where]

    def params(self, name: str) -> list[dict[str, Any]]:
        return [p for _, n, p in self.calls if n == name]


ANA, BEN, CHO = person("ana@firm.com", "Ana Alves"), person("ben@acme.com", "Ben Baker"), person("cho@acme.com")


# -- the statements themselves -------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_statements_take_values_only_as_parameters(name):
    text = STATEMENTS[name]
    assert "'" not in text and '"' not in text, "a string literal: pass the value as a parameter"
    assert not re.search(r"\{\s*\w*\s*\}", text), "a format placeholder left in the text"
    assert "%s" not in text and "?" not in text
    assert PARAM.search(text) or name in {"ALL_PEOPLE", "ALL_ORGANIZATIONS", "COUNTS",
                                                 "COUNT_RECORDS"}, "a statement that takes no parameters"
    if re.search(r"\b(MERGE|CREATE)\b", text) and "$rows" in text:
        # after the lookups its rows refer to by position (CALL () { UNWIND $people ... }), if any
        rows = re.sub(r"\ACALL \(\) \{\n(  .*\n)*\}\n", "", text.strip() + "\n")
        rows = re.sub(r"\ACALL \(\) \{\n(  .*\n)*\}\n", "", rows)
        assert rows.startswith("UNWIND $rows AS row"), "batched writes start with UNWIND $rows"


def test_every_schema_statement_is_idempotent_and_the_package_ships_the_repo_schema():
    assert schema_script() == (REPO / "schema.cypher").read_text(encoding="utf-8")
    assert SCHEMA and all("IF NOT EXISTS" in s for s in SCHEMA)
    unique = {m.group(1, 2) for s in SCHEMA for m in [re.search(r"\(n:(\w+)\) REQUIRE n\.(\w+) IS UNIQUE", s)] if m}
    assert unique == {("Person", "id"), ("Email", "address"), ("Organization", "id"), ("Domain", "name"),
                      ("Interaction", "id"), ("Deal", "id"), ("Topic", "name"), ("Erased", "email_hash"),
                      ("Meta", "key"), ("IdentityEvent", "id"), ("ReviewItem", "id")}
    # Either order of a pair is one queue entry: the store sorts the pair, the constraint keeps it single.
    assert any("(n:ReviewItem) REQUIRE (n.person_id, n.other_id) IS UNIQUE" in s for s in SCHEMA)
    assert {"IdentityEvent", "ReviewItem"} <= set(q.LABELS)
    fulltext = [s for s in SCHEMA if "FULLTEXT" in s]
    assert len(fulltext) == 1 and f"INDEX {DOCUMENTS_INDEX} " in fulltext[0]
    assert "(n:Interaction|Deal) ON EACH [n.search_tokens]" in fulltext[0] and "'whitespace'" in fulltext[0]


def test_knows_statements_cover_every_counter():
    for counter in KNOWS_COUNTERS:
        assert f"k.{counter} = row.{counter}" in q.MERGE_KNOWS
        assert f"k.{counter} = k.{counter} + row.{counter}" in q.MERGE_KNOWS
        assert counter in q.PROPERTY_KEYS


# -- what each call sends ------------------------------------------------------------------------
def test_upsert_people_sends_one_batched_statement_per_batch_in_one_transaction():
    db = RecordingExecutor()
    crowd = [person(f"p{n}@x.com") for n in range(2500)]
    Neo4jStore(db).upsert_people([ANA, *crowd])
    assert db.names() == ["BUMP_GENERATION"] + ["UPSERT_PEOPLE"] * 3
    assert {w for w, _, _ in db.calls} == {"write#1"}
    batches = db.params("UPSERT_PEOPLE")
    assert [len(p["rows"]) for p in batches] == [1000, 1000, 501]
    first = batches[0]["rows"][0]
    assert first["emails"] == ["ana@firm.com"] and first["name"] == "Ana Alves"
    assert first["prov"] == {"src_kind": "email", "src": "/mail/inbox.mbox", "src_record": "msg-1",
                             "ingested_at": 1_700_000_000}
    assert "ana@firm.com" not in q.UPSERT_PEOPLE and "Ana" not in q.UPSERT_PEOPLE
    assert db.params("BUMP_GENERATION") == [{"key": GENERATION_KEY}]


def test_add_interactions_looks_up_and_writes_in_one_transaction_and_skips_known_ids():
    known = email("known@acme.com", BEN, [ANA], subject="Old news")
    fresh = email("fresh@acme.com", BEN, [ANA, CHO], T0 + 60, subject="GDPR transfers", topics=["export controls"])
    db = RecordingExecutor({"EXISTING_INTERACTIONS": [{"id": known.id}]})
    new = write(Neo4jStore(db), known, fresh, fresh)
    assert new == [fresh.id]
    assert db.transactions == 1 and {w for w, _, _ in db.calls} == {"write#1"}
    assert db.names() == ["BUMP_GENERATION", "EXISTING_INTERACTIONS", "CREATE_INTERACTIONS", "MERGE_KNOWS"]
    assert db.params("EXISTING_INTERACTIONS") == [{"ids": [known.id, fresh.id]}]
    [created] = db.params("CREATE_INTERACTIONS")[0]["rows"]
    assert created["props"]["id"] == fresh.id and created["props"]["search_text"] == "GDPR transfers\nexport controls"
    assert created["props"]["search_tokens"] == "gdpr transfer export control"  # stemmed
    assert "occurred_at" in created["props"] and "duration_s" not in created["props"]  # no nulls stored
    participants = created["participants"]
    people = db.params("CREATE_INTERACTIONS")[0]["people"]  # each person and topic sent once, named by position
    assert [db.params("CREATE_INTERACTIONS")[0]["topics"][n] for n in created["topics"]] == ["export controls"]
    assert [r["position"] for r in participants] == [0, 1, 2]
    assert [people[r["person"]] for r in participants] == [BEN.id, ANA.id, CHO.id] == people
    assert [r["address"] for r in participants] == ["ben@acme.com", "ana@firm.com", "cho@acme.com"]
    [sent] = db.params("MERGE_KNOWS")
    knows = [{**r, "a": sent["people"][r["a"]], "b": sent["people"][r["b"]]} for r in sent["rows"]]
    assert len(sent["people"]) == len(set(sent["people"])) == 3
    assert {frozenset((r["a"], r["b"])) for r in knows} == {frozenset((BEN.id, ANA.id)), frozenset((BEN.id, CHO.id))}
    assert all(r["a"] < r["b"] and set(KNOWS_COUNTERS) <= r.keys() for r in knows)
    assert sum(r["emails_ab"] + r["emails_ba"] for r in knows) == 2  # the duplicate counted once


def test_a_large_batch_of_interactions_is_written_in_bounded_transactions(monkeypatch):
    """Each transaction holds at most _TX_INTERACTIONS interactions with their own edges and KNOWS
    deltas (a transaction's memory stays bounded however large the ingest batch)."""
    from kith.graph import neo4j_store

    monkeypatch.setattr(neo4j_store, "_TX_INTERACTIONS", 2)
    items = [email(f"m{n}@acme.com", BEN, [ANA, ANA], T0 + n) for n in range(5)]
    db = RecordingExecutor()
    assert write(Neo4jStore(db), *items) == [i.id for i in items]
    assert db.transactions == 3
    assert [len(p["rows"]) for p in db.params("CREATE_INTERACTIONS")] == [2, 2, 1]
    assert [sum(r["emails_ab"] + r["emails_ba"] for r in p["rows"]) for p in db.params("MERGE_KNOWS")] == [2, 2, 1]
    [sent, *_] = db.params("CREATE_INTERACTIONS")
    for row in sent["rows"]:  # Ana twice as "to": the first one is kept
        assert [(sent["people"][r["person"]], r["role"], r["position"]) for r in row["participants"]] == [
            (BEN.id, "from", 0), (ANA.id, "to", 1)]


def test_a_re_ingest_sends_nothing_but_the_lookup():
    item = email("m1@acme.com", BEN, [ANA])
    db = RecordingExecutor({"EXISTING_INTERACTIONS": lambda p: [{"id": i} for i in p["ids"]]})
    assert write(Neo4jStore(db), item) == []
    assert db.names() == ["BUMP_GENERATION", "EXISTING_INTERACTIONS"]


def test_update_person_of_an_unknown_id_raises_inside_the_transaction():
    db = RecordingExecutor()  # UPDATE_PERSON matches no row
    with pytest.raises(NotFound):
        Neo4jStore(db).update_person("p_missing", blocked=True)
    assert db.names() == ["BUMP_GENERATION", "UPDATE_PERSON"] and db.committed == []  # rolled back, bump and all
    db = RecordingExecutor({"UPDATE_PERSON": [{"id": BEN.id}]})
    Neo4jStore(db).update_person(BEN.id, sharing=Sharing.SUBJECTS)
    assert db.params("UPDATE_PERSON") == [
        {"id": BEN.id, "opted_out": None, "blocked": None, "sharing": "subjects", "is_internal": None}]


def test_erase_person_records_hashes_not_addresses_and_drops_what_is_left_alone():
    lookup = {"emails": ["ben@acme.com"], "touched": ["i_1", "i_2"], "subject_of": ["i_note"], "knows": 2}
    db = RecordingExecutor({"ERASE_LOOKUP": [lookup], "UNDERPOPULATED_INTERACTIONS": [{"id": "i_1"}]})
    removed = Neo4jStore(db).erase_person(BEN.id)
    assert removed == {"emails": 1, "interactions": 2, "knows": 2}
    assert db.transactions == 1
    assert db.names() == ["BUMP_GENERATION", "ERASE_LOOKUP", "RECORD_ERASED", "DELETE_PERSON",
                          "UNDERPOPULATED_INTERACTIONS", "DELETE_INTERACTIONS"]
    assert db.params("ERASE_LOOKUP")[0]["subject_role"] == "subject"
    assert db.params("RECORD_ERASED")[0]["hashes"] == [ids.email_hash("ben@acme.com")]
    assert db.params("DELETE_INTERACTIONS") == [{"ids": ["i_note", "i_1"]}]
    with pytest.raises(NotFound):
        Neo4jStore(RecordingExecutor()).erase_person("p_missing")


def test_remove_interactions_names_their_people_then_deletes_them_in_one_transaction():
    db = RecordingExecutor({"PARTICIPANTS_OF": [{"person_id": BEN.id}]})
    assert Neo4jStore(db).remove_interactions(["i_1", "i_2", "i_1"]) == [BEN.id]
    assert db.transactions == 1
    assert db.names() == ["BUMP_GENERATION", "PARTICIPANTS_OF", "DELETE_INTERACTIONS"]
    assert db.params("DELETE_INTERACTIONS") == [{"ids": ["i_1", "i_2"]}]


def test_set_meta_sends_one_batched_statement_in_one_transaction():
    db = RecordingExecutor()
    Neo4jStore(db).set_meta({"checkpoint:/mail": "42", "checkpoint:/other": "7"})
    assert db.names() == ["BUMP_GENERATION", "SET_META"] and db.committed == [1]
    assert db.params("SET_META") == [{"rows": [{"key": "checkpoint:/mail", "value": "42"},
                                               {"key": "checkpoint:/other", "value": "7"}]}]
    assert q.SET_META.strip().startswith("UNWIND $rows AS row")


# -- identity ------------------------------------------------------------------------------------
MERGED = IdentityEvent(IdentityEventKind.MERGE, BEN.id, CHO.id, ["cho@acme.com"], "same phone", "ana", T0,
                       snapshot={"id": CHO.id, "name": "", "sharing": "all"})


def test_a_merge_moves_every_fact_and_participation_in_one_transaction():
    lookup = {"from_id": CHO.id, "to_id": BEN.id, "touched": ["i_2", "i_1", "i_2"]}
    db = RecordingExecutor({"REASSIGN_LOOKUP": [lookup]})
    touched = Neo4jStore(db).reassign_person(CHO.id, BEN.id)
    assert touched == ["i_1", "i_2"]
    assert db.transactions == 1 and db.committed == [1] and {w for w, _, _ in db.calls} == {"write#1"}
    assert db.names() == ["BUMP_GENERATION", "REASSIGN_LOOKUP", "MERGE_PERSON_FIELDS", "MOVE_EMAILS",
                          "MOVE_WORKS_AT", "MOVE_DEAL_ROLES", "MOVE_PARTICIPATIONS", "DELETE_PERSON"]
    both = {"from_id": CHO.id, "to_id": BEN.id}
    assert db.params("REASSIGN_LOOKUP") == [{**both, "emails": None}]  # null: every participation
    assert db.params("MOVE_EMAILS") == db.params("MOVE_PARTICIPATIONS") == [{**both, "emails": None}]
    assert db.params("MOVE_WORKS_AT") == db.params("MOVE_DEAL_ROLES") == db.params("MERGE_PERSON_FIELDS") == [both]
    assert db.params("DELETE_PERSON") == [{"id": CHO.id}]
    # A participation moves whole (role, status, position and the address it was made through) unless
    # the kept person already holds that role there; employment widens like add_works_at.
    assert "SET moved = properties(r)" in q.MOVE_PARTICIPATIONS and "DELETE r" in q.MOVE_PARTICIPATIONS
    assert "WHERE held.role = r.role" in q.MOVE_PARTICIPATIONS
    assert "ON MATCH SET" in q.MOVE_WORKS_AT and "w.since < kept.since" in q.MOVE_WORKS_AT
    for flag in ("opted_out", "blocked", "is_internal"):
        assert f"t.{flag} = coalesce(t.{flag}, false) OR coalesce(f.{flag}, false)" in q.MERGE_PERSON_FIELDS


def test_a_split_moves_only_those_addresses_and_what_was_done_through_them():
    lookup = {"from_id": BEN.id, "to_id": CHO.id, "touched": ["i_9"]}
    db = RecordingExecutor({"REASSIGN_LOOKUP": [lookup]})
    assert Neo4jStore(db).reassign_person(BEN.id, CHO.id, ["cho@acme.com", "cho@acme.com"]) == ["i_9"]
    assert db.names() == ["BUMP_GENERATION", "REASSIGN_LOOKUP", "MOVE_EMAILS", "MOVE_PARTICIPATIONS"]
    assert db.transactions == 1
    expected = {"from_id": BEN.id, "to_id": CHO.id, "emails": ["cho@acme.com"]}
    assert db.params("REASSIGN_LOOKUP") == db.params("MOVE_EMAILS") == db.params("MOVE_PARTICIPATIONS") == [expected]
    assert "r.address IN $emails" in q.MOVE_PARTICIPATIONS and "r.address IN $emails" in q.REASSIGN_LOOKUP


@pytest.mark.parametrize("found", [{"from_id": None, "to_id": BEN.id}, {"from_id": CHO.id, "to_id": None}, None])
@pytest.mark.parametrize("emails", [None, ["cho@acme.com"]])
def test_reassigning_an_unknown_person_raises_without_committing(found, emails):
    db = RecordingExecutor({"REASSIGN_LOOKUP": [] if found is None else [{**found, "touched": []}]})
    with pytest.raises(NotFound, match="No person with id"):
        Neo4jStore(db).reassign_person(CHO.id, BEN.id, emails)
    assert db.names() == ["BUMP_GENERATION", "REASSIGN_LOOKUP"] and db.committed == []


def test_replace_knows_deletes_then_writes_folded_edges_in_one_transaction():
    db = RecordingExecutor()
    edges = [Knows(ANA.id, BEN.id, T0, T0, emails_ab=1), Knows(ANA.id, BEN.id, T0 + 5, T0 + 5, emails_ba=1)]
    Neo4jStore(db).replace_knows([ANA.id, BEN.id, ANA.id], edges)
    assert db.names() == ["BUMP_GENERATION", "DELETE_KNOWS_OF", "MERGE_KNOWS"] and db.transactions == 1
    assert db.params("DELETE_KNOWS_OF") == [{"ids": [ANA.id, BEN.id], "gen": 1}]  # the generation it makes
    [row] = db.params("MERGE_KNOWS")[0]["rows"]
    assert (row["first_at"], row["last_at"], row["emails_ab"], row["emails_ba"]) == (T0, T0 + 5, 1.0, 1.0)


def test_an_identity_event_takes_its_id_from_the_counter_in_the_same_transaction():
    db = RecordingExecutor({"RESERVE_IDS": [{"last": 7}]})
    assert Neo4jStore(db).add_identity_event(MERGED) == 7
    assert db.names() == ["BUMP_GENERATION", "RESERVE_IDS", "ADD_IDENTITY_EVENT"] and db.transactions == 1
    assert db.params("RESERVE_IDS") == [{"key": IDENTITY_EVENT_SEQ_KEY, "count": 1}]
    [sent] = db.params("ADD_IDENTITY_EVENT")
    assert sent == {"id": 7, "kind": "merge", "person_id": BEN.id, "other_id": CHO.id, "emails": ["cho@acme.com"],
                    "snapshot": '{"id": "%s", "name": "", "sharing": "all"}' % CHO.id, "reason": "same phone",
                    "actor": "ana", "at": T0, "undone_by": ""}


def test_undoing_an_event_not_in_force_raises_without_committing():
    db = RecordingExecutor()
    with pytest.raises(NotFound, match="still in force"):
        Neo4jStore(db).mark_identity_event_undone(3, "dev", T0)
    assert db.names() == ["BUMP_GENERATION", "MARK_IDENTITY_EVENT_UNDONE"] and db.committed == []
    assert db.params("MARK_IDENTITY_EVENT_UNDONE") == [{"id": 3, "actor": "dev", "at": T0}]
    assert "WHERE e.undone_at IS NULL" in q.MARK_IDENTITY_EVENT_UNDONE


def test_identity_events_are_read_by_either_side_or_id_and_returned_oldest_first():
    def event(n: int) -> dict:
        return {"event": {"id": n, "kind": "merge", "person_id": BEN.id, "other_id": CHO.id, "emails": ["c@x"],
                          "snapshot": '{"name": "Cho"}', "reason": "r", "actor": "ana", "at": T0 + n,
                          "undone_by": ""}}

    db = RecordingExecutor({"IDENTITY_EVENTS": lambda p: [event(5), event(2)] if p["person_ids"] else [event(2)]})
    got = Neo4jStore(db).identity_events(person_ids=[CHO.id], event_ids=[2])
    assert [e.id for e in got] == [2, 5] and got[0].snapshot == {"name": "Cho"} and got[0].undone_at is None
    assert db.params("IDENTITY_EVENTS") == [{"person_ids": [CHO.id], "event_ids": []},
                                           {"person_ids": [], "event_ids": [2]}]
    assert "{person_id: pid}" in q.IDENTITY_EVENTS and "{other_id: pid}" in q.IDENTITY_EVENTS


def test_review_items_are_stored_as_sorted_pairs_and_counted_once():
    low, high = sorted((BEN.id, CHO.id))
    known = dict(zip(("person_id", "other_id"), sorted((ANA.id, "p_z"))))
    db = RecordingExecutor({
        "EXISTING_REVIEW_ITEMS": [known],
        "RESERVE_IDS": [{"last": 12}],
        "ADD_REVIEW_ITEMS": lambda p: [{"added": len(p["rows"])}],
    })
    items = [ReviewItem(high, low, 0.84, "alike", T0), ReviewItem(low, high, 0.9, "again", T0),
             ReviewItem("p_z", ANA.id, 0.5, "known", T0)]
    assert Neo4jStore(db).add_review_items(items) == 1
    assert db.names() == ["BUMP_GENERATION", "EXISTING_REVIEW_ITEMS", "RESERVE_IDS", "ADD_REVIEW_ITEMS"]
    assert db.transactions == 1
    pairs = db.params("EXISTING_REVIEW_ITEMS")[0]["rows"]
    assert all(r["person_id"] < r["other_id"] for r in pairs) and len(pairs) == 2  # either order is one pair
    assert db.params("RESERVE_IDS") == [{"key": REVIEW_ITEM_SEQ_KEY, "count": 1}]
    [row] = db.params("ADD_REVIEW_ITEMS")[0]["rows"]
    assert row == {"id": 12, "person_id": low, "other_id": high, "score": 0.84, "reason": "alike",
                   "created_at": T0, "status": "open", "resolved_by": ""}  # the first of the pair wins
    assert "MERGE (r:ReviewItem {person_id: row.person_id, other_id: row.other_id})" in q.ADD_REVIEW_ITEMS


def test_queueing_only_known_pairs_reserves_no_ids():
    db = RecordingExecutor({"EXISTING_REVIEW_ITEMS": lambda p: p["rows"]})
    assert Neo4jStore(db).add_review_items([ReviewItem(BEN.id, CHO.id, 0.8, "alike", T0)]) == 0
    assert db.names() == ["BUMP_GENERATION", "EXISTING_REVIEW_ITEMS"]


def test_review_status_of_an_unknown_item_raises_and_reads_filter_by_status():
    db = RecordingExecutor()
    store = Neo4jStore(db)
    with pytest.raises(NotFound):
        store.set_review_status(99, ReviewStatus.MERGED, "ana", T0)
    assert db.committed == [] and db.params("SET_REVIEW_STATUS") == [
        {"id": 99, "status": "merged", "actor": "ana", "at": T0}]
    row = {"item": {"id": 1, "person_id": BEN.id, "other_id": CHO.id, "score": 0.9, "reason": "r",
                    "created_at": T0, "status": "rejected", "resolved_by": "ana", "resolved_at": T0}}
    db = RecordingExecutor({"REVIEW_ITEMS": [row]})
    [item] = Neo4jStore(db).review_items(status=None, limit=-1)
    assert (item.status, item.resolved_by, item.id) == (ReviewStatus.REJECTED, "ana", 1)
    Neo4jStore(db).review_items()
    assert db.params("REVIEW_ITEMS") == [{"status": None, "limit": 2**62}, {"status": "open", "limit": 100}]
    assert "ORDER BY r.score DESC, r.id" in q.REVIEW_ITEMS


def test_participant_addresses_are_written_and_read_back():
    item = Interaction(ids.interaction_id("email", "a"), InteractionKind.EMAIL, T0,
                       [Participant(BEN.id, Role.FROM, address="ben@acme.com"),
                        Participant(ANA.id, Role.TO, address="ana@firm.com")])
    db = RecordingExecutor()
    write(Neo4jStore(db), item)
    [row] = db.params("CREATE_INTERACTIONS")[0]["rows"]
    assert [r["address"] for r in row["participants"]] == ["ben@acme.com", "ana@firm.com"]
    stored = {"interaction": {"id": item.id, "kind": "email", "occurred_at": T0, "category": "personal"},
              "participants": [{"person_id": ANA.id, "role": "to", "status": "unknown", "position": 1,
                                "address": "ana@firm.com"},
                               {"person_id": BEN.id, "role": "from", "status": "unknown", "position": 0,
                                "address": None}],  # stored before addresses were kept
              "topics": []}
    got = Neo4jStore(RecordingExecutor({"GET_INTERACTIONS": [stored]})).get_interactions([item.id])[item.id]
    assert got.participants == [Participant(BEN.id, Role.FROM, address=""),
                                Participant(ANA.id, Role.TO, address="ana@firm.com")]


def test_duplicate_interactions_in_one_call_keep_the_first_in_order_of_first_occurrence():
    a1 = email("a@acme.com", BEN, [ANA], subject="first")
    b = email("b@acme.com", CHO, [ANA])
    a2 = email("a@acme.com", BEN, [ANA, CHO], subject="second")
    db = RecordingExecutor()
    assert write(Neo4jStore(db), a1, b, a2) == [a1.id, b.id]
    assert db.params("EXISTING_INTERACTIONS") == [{"ids": [a1.id, b.id]}]
    created = [r["props"] for r in db.params("CREATE_INTERACTIONS")[0]["rows"]]
    assert [(p["id"], p.get("subject")) for p in created] == [(a1.id, "first"), (b.id, None)]  # "": not stored


def test_iter_people_streams_and_replies_to_reads_in_id_order():
    row = {"person": {"id": ANA.id, "name": "Ana"}, "emails": [{"address": "ana@firm.com", "ingested_at": T0}]}
    db = RecordingExecutor({
        "ALL_PEOPLE": [row],
        "REPLIES_TO": [{"id": "i_b"}, {"id": "i_a"}],
        "GET_INTERACTIONS": lambda p: [{"interaction": {"id": i, "kind": "email", "category": "personal"},
                                        "participants": [], "topics": []} for i in p["ids"]],
    })
    store = Neo4jStore(db)
    people = store.iter_people()
    assert db.calls == []  # nothing is read until the stream is consumed
    assert [(p.id, p.emails) for p in people] == [(ANA.id, ["ana@firm.com"])]
    assert "ORDER BY p.id" in q.ALL_PEOPLE
    assert [i.id for i in store.replies_to(["i_root", "i_root"])] == ["i_a", "i_b"]
    assert db.params("REPLIES_TO") == [{"ids": ["i_root"]}]
    assert store.replies_to([]) == [] and store.identity_events() == []


def test_search_sends_the_or_joined_phrases_and_maps_deals():
    rows = [{"doc_id": "d_1", "is_deal": True, "kind": None, "occurred_at": T0, "text": "Acme deal", "score": 2.0},
            {"doc_id": "i_1", "is_deal": False, "kind": "email", "occurred_at": None, "text": "x", "score": 1.0}]
    db = RecordingExecutor({"SEARCH_TEXT": rows})
    store = Neo4jStore(db)
    hits = store.search_text(query_phrases("gdpr 出口管制"), limit=5, before=T0)
    assert [(h.doc_id, h.kind) for h in hits] == [("d_1", "deal"), ("i_1", "email")]
    assert db.params("SEARCH_TEXT") == [
        {"index": DOCUMENTS_INDEX, "query": '"gdpr" OR "出口 口管 管制"', "before": T0, "limit": 5}]
    assert store.search_text([]) == [] and len(db.calls) == 1


def test_reads_of_nothing_send_nothing():
    db = RecordingExecutor()
    store = Neo4jStore(db)
    assert store.get_people([]) == {} and store.people_by_email([]) == {} and store.knows_of([]) == []
    assert store.works_at() == [] and store.deals_of() == [] and store.get_interactions([]) == {}
    assert db.calls == []


def test_migrate_applies_the_schema_one_statement_per_transaction_and_refuses_a_newer_database():
    db = RecordingExecutor()
    Neo4jStore(db).migrate()
    # a new database: no full-text index or text yet, and no store id (it is given one)
    assert db.names("read") == ["GET_META", "DOCUMENTS_INDEX_EVENTUAL", "AWAIT_INDEXES", "SEARCH_TEXTS", "GET_META"]
    assert db.names().count("SCHEMA") == len(SCHEMA) == db.transactions - 2  # then DROP_INDEX, SET_META
    assert db.params("DROP_INDEX") == [{"index": "interaction_occurred_at"}]  # of a version before 4: unused
    [written] = db.params("SET_META")
    assert written["rows"][0] == {"key": SCHEMA_VERSION_KEY, "value": str(SCHEMA_VERSION)}
    assert written["rows"][1]["key"] == STORE_ID_KEY and len(written["rows"][1]["value"]) == 32
    newer = RecordingExecutor({"GET_META": [{"value": str(SCHEMA_VERSION + 1)}]})
    with pytest.raises(SchemaTooNew):
        Neo4jStore(newer, "The Neo4j database 'neo4j' at bolt://db:7687").migrate()
    assert newer.transactions == 0  # nothing modified


def test_migrating_a_version_1_database_indexes_every_kept_text_again_with_stemmed_tokens():
    texts = {"": [{"id": "d_1", "text": "Partnerships"}, {"id": "i_1", "text": "Grinding 出口管制"}],
             "i_1": [{"id": "i_2", "text": ""}]}
    db = RecordingExecutor({"GET_META": [{"value": "1"}], "SEARCH_TEXTS": lambda p: texts.get(p["after"], [])})
    Neo4jStore(db).migrate()
    assert [p["after"] for p in db.params("SEARCH_TEXTS")] == ["", "i_1", "i_2"]
    assert db.params("SET_SEARCH") == [
        {"rows": [{"id": "d_1", "text": "Partnerships", "tokens": "partnership"},
                  {"id": "i_1", "text": "Grinding 出口管制", "tokens": "grind 出口 口管 管制"}]},
        {"rows": [{"id": "i_2", "text": None, "tokens": None}]},
    ]
    assert db.params("SET_META")[-1]["rows"][0]["value"] == str(SCHEMA_VERSION)


def test_every_statement_is_used_by_some_store_method():
    """Drive every Store method once; together they must send every constant (none is dead)."""
    db = RecordingExecutor({
        "UPDATE_PERSON": [{"id": BEN.id}],
        "ERASE_LOOKUP": [{"emails": ["ben@acme.com"], "touched": ["i_1"], "subject_of": [], "knows": 0}],
        "UNDERPOPULATED_INTERACTIONS": [{"id": "i_1"}],
        "INTERACTIONS_OF": [{"id": "i_1"}],
        "INTERACTIONS_BETWEEN": [],
        "PATH_FACTS": [{"generation": "1", "people": [], "shared": []}],
        "COUNTS": [dict.fromkeys(("people", "organizations", "interactions", "deals", "knows", "works_at",
                                  "topics"), 0)],
        "WIPE_BATCH": [{"deleted": 0}],
        "WIPE_EDGES": [{"deleted": 0}],
        "REASSIGN_LOOKUP": [{"from_id": "p_x", "to_id": "p_y", "touched": ["i_1"]}],
        "RESERVE_IDS": [{"last": 1}],
        "MARK_IDENTITY_EVENT_UNDONE": [{"id": 1}],
        "SET_REVIEW_STATUS": [{"id": 1}],
        "SEARCH_TEXTS": lambda p: [{"id": "i_1", "text": "tax"}] if p["after"] == "" else [],
    })
    store = Neo4jStore(db)
    acme = Organization(ids.org_id("acme"), "Acme", "acme", ["acme.com"], PROV)
    store.migrate()
    store.wipe()
    store.upsert_people([ANA, BEN])
    store.update_person(BEN.id, opted_out=True)
    store.upsert_organizations([acme])
    store.add_works_at([WorksAt(BEN.id, acme.id, "Counsel", since=T0)])
    write(store, email("m@acme.com", BEN, [ANA], subject="Hello", topics=["greetings"]))
    store.upsert_deals([Deal("d_1", "Acme programme", acme.id, roles=[DealRole(BEN.id, DealRoleKind.CHAMPION)])])
    store.erase_person(BEN.id)
    store.remove_interactions(["i_1"])
    store.set_meta({"k": "v"})
    store.reassign_person("p_x", ANA.id)
    store.reassign_person(ANA.id, "p_x", ["ana@firm.com"])
    store.replace_knows([ANA.id], [Knows(ANA.id, "p_x", T0, T0, emails_ab=1)])
    store.add_identity_event(MERGED)
    store.mark_identity_event_undone(1, "dev", T0)
    store.add_review_items([ReviewItem(BEN.id, ANA.id, 0.9, "alike", T0)])
    store.set_review_status(1, ReviewStatus.REJECTED, "ana", T0)
    store.get_people([ANA.id])
    list(store.iter_people())
    list(store.iter_organizations())
    store.replies_to(["i_1"])
    store.identity_events(person_ids=[ANA.id], event_ids=[1])
    store.review_items()
    store.people_by_email(["ana@firm.com"])
    store.people_at_domains(["firm.com"])
    store.erased_hashes(["h"])
    store.get_organizations([acme.id])
    store.orgs_by_domain(["acme.com"])
    store.orgs_by_normalized_name(["acme"])
    store.works_at(person_ids=[ANA.id], org_ids=[acme.id])
    store.interactions_of(ANA.id)
    store.interactions_between(ANA.id, BEN.id)
    store.path_facts([ANA.id], [(ANA.id, BEN.id)], before=T0, limit=5)
    store.get_deals(["d_1"])
    store.deals_of(person_ids=[ANA.id], org_ids=[acme.id])
    store.knows_of([ANA.id])
    list(store.iter_knows())
    list(store.iter_knows_columns(since=1))
    list(store.iter_person_flags())
    store.knows_replaced_since(1)
    store.search_text(['"hello"'])
    store.counts()
    store.generation()
    store.schema_version()
    for name in ("PUT_KNOWS", "PUT_IDENTITY_EVENTS", "PUT_REVIEW_ITEMS", "PUT_ERASED"):  # graph.migrate's
        store.put_rows(STATEMENTS[name], [{}])
    store.record_counts()
    version_3 = RecordingExecutor({"GET_META": [{"value": "3"}], "DOCUMENTS_INDEX_EVENTUAL": [{"eventual": False}]})
    Neo4jStore(version_3).migrate()
    assert set(STATEMENTS) == set(db.names() + version_3.names()) - {"SCHEMA"}
    assert db.names("stream") == ["ALL_PEOPLE", "ALL_ORGANIZATIONS", "ALL_KNOWS", "KNOWS_SINCE", "PERSON_FLAGS"]


# -- errors a user sees --------------------------------------------------------------------------
class _FailingDriver:
    def __init__(self, error: Exception):
        self.error = error
        self.closed = False

    def verify_connectivity(self) -> None:
        raise self.error

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (neo4j_errors.ServiceUnavailable("Failed to DNS resolve address db:7687: [Errno -2] Name or\nservice not known"),
         "Cannot reach Neo4j at bolt://db:7687: Failed to DNS resolve address db:7687: [Errno -2] Name or service "
         "not known. Is the server running (docker compose up neo4j) and the URI right?"),
        (neo4j_errors.AuthError("The client is unauthorized due to authentication failure."),
         "Neo4j at bolt://db:7687 refused the credentials for user 'neo4j': check KITH_NEO4J_USER / "
         "KITH_NEO4J_PASSWORD."),
    ],
)
def test_connection_errors_become_one_line_store_unavailable(error, message):
    drivers: list[_FailingDriver] = []

    def factory(uri: str, auth: tuple[str, str], **config: object) -> _FailingDriver:
        drivers.append(_FailingDriver(error))
        return drivers[-1]

    with pytest.raises(StoreUnavailable) as caught:
        Neo4jStore.connect("bolt://db:7687", "neo4j", "secret", "neo4j", driver_factory=factory)
    assert str(caught.value) == message
    assert "\n" not in str(caught.value) and "secret" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert drivers[0].closed


def test_a_closed_port_is_reported_by_the_real_driver():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens there
    with pytest.raises(StoreUnavailable, match=rf"^Cannot reach Neo4j at bolt://127\.0\.0\.1:{port}: .*refused.*"
                                               r"Is the server running \(docker compose up neo4j\)"):
        Neo4jStore.connect(f"bolt://127.0.0.1:{port}", "neo4j", "x", "neo4j")


def test_a_uri_that_is_not_bolt_is_refused_before_connecting():
    with pytest.raises(StoreUnavailable, match="is not a Neo4j URI: use bolt://host:7687"):
        Neo4jStore.connect("http://localhost:7474", "neo4j", "x", "neo4j", driver_factory=pytest.fail)


class _BusySession:
    """A session whose auto-commit statement fails with ``error`` and whose managed read answers."""

    def __init__(self, error: Exception, calls: list[str]):
        self.error, self.calls = error, calls

    def __enter__(self) -> _BusySession:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def run(self, query: str, params: dict[str, Any]) -> Iterator[Any]:
        self.calls.append("auto-commit")
        raise self.error

    def execute_read(self, work: Callable[[Any], Any]) -> Any:
        import neo4j

        self.calls.append("managed")
        return work(type("Tx", (), {"run": lambda _self, query, params: [neo4j.Record({"id": "p_1"})]})())


@pytest.mark.parametrize("retryable", [True, False])
def test_a_read_that_fails_retryably_is_tried_again_as_a_managed_read(retryable):
    calls: list[str] = []
    error = neo4j_errors.TransientError("the server is busy") if retryable else neo4j_errors.ClientError("bad")
    driver = type("Driver", (), {"session": lambda _self, **kw: _BusySession(error, calls)})()
    executor = DriverExecutor(driver, "bolt://db:7687", "neo4j", "neo4j")
    if retryable:
        assert executor.run(q.GET_META, {"key": "k"}) == [{"id": "p_1"}]
        assert calls == ["auto-commit", "managed"]
    else:
        with pytest.raises(neo4j_errors.ClientError):
            executor.run(q.GET_META, {"key": "k"})
        assert calls == ["auto-commit"]
