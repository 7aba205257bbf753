"""Ethical walls are applied where the graph is read: expertise, insights, paths and explain."""

from __future__ import annotations

import pytest

from kith.graph import ids
from kith.graph.errors import NotFound
from kith.graph.expertise import experts, experts_with_path
from kith.graph.explain import explain
from kith.graph.insights import insights
from kith.graph.model import Interaction, Organization, Person, WorksAt
from kith.graph.paths import warm_paths
from kith.graph.scope import walled_scope
from tests.factories import DAY, T0, email, person, write

NOW = T0

ANA = person("ana@firm.com", "Ana Alves", True)
DEV = person("dev@firm.com", "Dev Patel", True)
WALLED = person("wendy@acme.com", "Wendy Walled")
OPEN = person("otto@globex.com", "Otto Open")
ACME = Organization(ids.org_id("acme"), "Acme", "acme", ["acme.com"])
GLOBEX = Organization(ids.org_id("globex"), "Globex", "globex", ["globex.com"])


def mail(key: str, sender: Person, to: Person, at: int, subject: str) -> Interaction:
    return email(key, sender, [to], at, subject)


@pytest.fixture
def graph(store):
    store.upsert_people([ANA, DEV, WALLED, OPEN])
    store.upsert_organizations([ACME, GLOBEX])
    store.add_works_at([WorksAt(WALLED.id, ACME.id, "General Counsel", since=NOW - 900 * DAY),
                        WorksAt(OPEN.id, GLOBEX.id, "CFO", since=NOW - 900 * DAY)])
    items = []
    for n in range(12):  # Ana and Wendy: a strong relationship about a merger, silent for a year
        items.append(mail(f"w{n}", ANA, WALLED, NOW - 400 * DAY - n * DAY, "Project Falcon merger filing"))
        items.append(mail(f"w{n}r", WALLED, ANA, NOW - 400 * DAY - n * DAY + 3600, "Re: Project Falcon merger filing"))
    items += [mail("o1", DEV, OPEN, NOW - DAY, "Merger control thresholds"),
              mail("o2", OPEN, DEV, NOW - DAY + 60, "Re: Merger control thresholds"),
              mail("wo", WALLED, OPEN, NOW - 2 * DAY, "Introductions")]
    write(store, *items)
    return store


def test_expertise_ignores_documents_behind_the_wall(graph):
    everyone = [e.person_id for e in experts(graph, "merger", now=NOW)]
    assert everyone[0] == ANA.id and DEV.id in everyone
    walled = experts(graph, "merger", now=NOW, scope=walled_scope(graph, orgs=[ACME.id]))
    assert [e.person_id for e in walled] == [DEV.id]
    assert all("Falcon" not in ev.snippet for e in walled for ev in e.evidence)


def test_paths_never_pass_through_the_wall(graph):
    scope = walled_scope(graph, orgs=[ACME.id])
    via = warm_paths(graph, OPEN.id, sources=[ANA.id], now=NOW)
    assert any(WALLED.id in p.people for p in via)
    walled = warm_paths(graph, OPEN.id, sources=[ANA.id], now=NOW, scope=scope)
    assert all(WALLED.id not in p.people for p in walled)
    assert warm_paths(graph, WALLED.id, now=NOW, scope=scope) == []
    assert experts_with_path(graph, "merger", WALLED.id, now=NOW, scope=scope) == []


def test_insights_say_nothing_about_the_walled_organisation(graph):
    everyone = insights(graph, now=NOW).as_list()
    assert any(WALLED.id in str(item) for item in everyone)
    walled = insights(graph, now=NOW, scope=walled_scope(graph, orgs=[ACME.id])).as_list()
    text = str(walled)
    assert WALLED.id not in text and ACME.id not in text and "Acme" not in text


def test_explain_treats_a_walled_person_as_unknown(graph):
    assert explain(graph, ANA.id, WALLED.id, now=NOW).score > 0
    with pytest.raises(NotFound, match="No person"):
        explain(graph, ANA.id, WALLED.id, now=NOW, scope=walled_scope(graph, orgs=[ACME.id]))
