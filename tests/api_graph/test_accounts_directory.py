"""Account maps and the directory: who we know at an organisation, and finding people and organisations."""

from __future__ import annotations

import pytest

from kith.graph import ids
from kith.graph.accounts import account_map
from kith.graph import directory
from kith.graph.directory import search
from kith.graph.model import Organization, WorksAt
from kith.graph.scope import walled_scope
from tests.factories import DAY, T0, mails, person, write

NOW = T0

ANA = person("ana@firm.com", "Ana Alves", True)
DEV = person("dev@firm.com", "Dev Patel", True)
BEN = person("ben@acme.com", "Ben Müller")
CHO = person("cho@acme.com", "Cho Chen")
EVE = person("eve@acme.com", "Eve Evans")
ACME = Organization(ids.org_id("acme"), "Acme", "acme", ["acme.com"])
GLOBEX = Organization(ids.org_id("globex"), "Globex", "globex", ["globex.co.uk"])


@pytest.fixture
def graph(store):
    store.upsert_people([ANA, DEV, BEN, CHO, EVE])
    store.upsert_organizations([ACME, GLOBEX])
    store.add_works_at([WorksAt(p.id, ACME.id, t, since=NOW - 400 * DAY)
                        for p, t in ((BEN, "General Counsel"), (CHO, ""), (EVE, "CFO"))])
    items = mails(ANA, BEN, 20, NOW) + mails(BEN, ANA, 20, NOW - 3600) + mails(DEV, CHO, 2, NOW - 200 * DAY)
    write(store, *items)
    return store


def test_account_map_lists_contacts_their_colleagues_and_coverage(graph):
    found = account_map(graph, ACME.id, now=NOW)
    assert [c.person_id for c in found.contacts] == [BEN.id, CHO.id, EVE.id]
    ben, cho, eve = found.contacts
    assert ben.title == "General Counsel" and [t.colleague_id for t in ben.ties] == [ANA.id]
    assert ben.ties[0].band in ("strong", "medium") and cho.ties[0].colleague_id == DEV.id
    assert eve.ties == [] and eve.last_touch is None
    cov = found.coverage
    assert (cov.contacts, cov.known, cov.going_cold) == (3, 2, 1)
    assert cov.holders[0][0] == ANA.id and cov.single_threaded


def test_account_map_hides_opted_out_contacts_and_unknown_orgs(graph):
    graph.update_person(BEN.id, opted_out=True)
    assert BEN.id not in [c.person_id for c in account_map(graph, ACME.id, now=NOW).contacts]
    assert account_map(graph, "o_missing", now=NOW) is None


def test_a_walled_reader_gets_no_map_and_no_people_of_the_wall(graph):
    scope = walled_scope(graph, orgs=[ACME.id])
    assert scope.hidden_people == {BEN.id, CHO.id, EVE.id}
    assert account_map(graph, ACME.id, now=NOW, scope=scope) is None
    assert search(graph, "acme", scope=scope) == []
    assert search(graph, "ben", scope=scope) == []
    assert [m.id for m in search(graph, "ben")] == [BEN.id]


def test_search_by_name_prefix_accent_free_address_and_domain(graph, monkeypatch):
    assert [m.id for m in search(graph, "ben mull")] == [BEN.id]
    assert [m.id for m in search(graph, "Müller")] == [BEN.id]
    assert [(m.kind, m.id) for m in search(graph, "globex.co")] == [("organization", GLOBEX.id)]
    assert {m.id for m in search(graph, "acme")} == {ACME.id, BEN.id, CHO.id, EVE.id}
    assert search(graph, "acme")[0].id == ACME.id  # the exact name first
    assert search(graph, "   ") == [] and search(graph, "zzz") == []
    monkeypatch.setattr(directory, "REFRESH_S", 0.0)  # rebuild on the next change
    graph.update_person(CHO.id, blocked=True)
    assert search(graph, "cho") == []
