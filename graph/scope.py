"""What one reader may see of the graph: ethical walls and people who are out of bounds.

A wall keeps some users away from some organisations and deals. Behind it stand the walled
organisations and deals, every deal of a walled organisation, and every person who works or worked
at a walled organisation, has an address at one of its domains, or holds a role on a walled deal. A walled reader's queries run on the graph
as if all of that did not exist: no node, no edge through it, no document that involves it. The
ranking functions take a ``Scope`` and apply it where they read, never by filtering output at the end.

Blocked and opted-out people are out of bounds for everyone except as themselves: they are never an
intermediary on a path and never appear in others' results (``Scope.excluded``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from kith.graph.model import Interaction
from kith.graph.store import Store


@dataclass(frozen=True, slots=True)
class Scope:
    hidden_people: frozenset[str] = field(default_factory=frozenset)
    hidden_orgs: frozenset[str] = field(default_factory=frozenset)
    hidden_deals: frozenset[str] = field(default_factory=frozenset)

    @property
    def walled(self) -> bool:
        return bool(self.hidden_people or self.hidden_orgs or self.hidden_deals)

    def sees_person(self, person_id: str) -> bool:
        return person_id not in self.hidden_people

    def sees_org(self, org_id: str) -> bool:
        return org_id not in self.hidden_orgs

    def sees_deal(self, deal_id: str, org_id: str = "") -> bool:
        return deal_id not in self.hidden_deals and (not org_id or org_id not in self.hidden_orgs)

    def sees_interaction(self, item: Interaction) -> bool:
        return self.sees_all(p.person_id for p in item.participants)

    def sees_all(self, person_ids: Iterable[str]) -> bool:
        """Whether an interaction between these people is in view (none of them is behind a wall)."""
        return not any(pid in self.hidden_people for pid in person_ids)


EVERYTHING = Scope()


def walled_scope(store: Store, orgs: Iterable[str] = (), deals: Iterable[str] = ()) -> Scope:
    """The scope of a reader walled off from these organisations and deals."""
    orgs, deals = frozenset(orgs), set(deals)
    if not orgs and not deals:
        return EVERYTHING
    org_deals = store.deals_of(org_ids=orgs)
    deals |= {d.id for d in org_deals}
    walled_deals = store.get_deals(deals)
    people = {w.person_id for w in store.works_at(org_ids=orgs)}
    people |= {r.person_id for d in walled_deals.values() for r in d.roles}
    # a walled organisation's newsletter sender has no job there, but is still behind the wall
    people |= store.people_at_domains({d for o in store.get_organizations(orgs).values() for d in o.domains})
    # Our own colleagues on a walled deal are not hidden as people (they are colleagues of the
    # reader too); only what they did behind the wall is.
    colleagues = {pid for pid, p in store.get_people(people).items() if p.is_internal}
    return Scope(frozenset(people - colleagues), orgs, frozenset(deals))
