"""Account maps: who we know at an organisation, who of us knows them, how well, and where coverage
is thin or going cold.

Contacts are the organisation's current people (``graph.paths.staff``), less anyone behind the
reader's walls and anyone who opted out or was blocked. Each contact's ties are the firm's colleagues
who know them, strongest first, scored by ``graph.strength`` on the in-memory network. Coverage counts
contacts by their best tie's band; the organisation is single-threaded when one colleague holds
``insights.SINGLE_THREAD_SHARE`` of the summed strength (and the sum is meaningful), the same rule the
insights use; a contact is going cold when their best tie was last touched more than
``insights.SILENT_DAYS`` ago.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from kith.graph.insights import SILENT_DAYS, SINGLE_THREAD_MIN_TOTAL, SINGLE_THREAD_SHARE
from kith.graph.memo import per_generation
from kith.graph.network import load_network
from kith.graph.paths import staff
from kith.graph.scope import EVERYTHING, Scope
from kith.graph.store import Store
from kith.graph.strength import DAY, DEFAULT_WEIGHTS, Weights, band


@dataclass(frozen=True, slots=True)
class Tie:
    colleague_id: str
    strength: float
    band: str
    last_at: int | None


@dataclass(frozen=True, slots=True)
class AccountContact:
    person_id: str
    title: str
    ties: list[Tie]  # strongest first

    @property
    def best_strength(self) -> float:
        return self.ties[0].strength if self.ties else 0.0

    @property
    def last_touch(self) -> int | None:
        times = [t.last_at for t in self.ties if t.last_at is not None]
        return max(times) if times else None


@dataclass(frozen=True, slots=True)
class Coverage:
    contacts: int
    known: int  # contacts at least one colleague knows
    strong: int
    medium: int
    weak: int
    cold: int
    going_cold: int
    holders: list[tuple[str, float]]  # colleague id, share of the summed strength; largest first
    single_threaded: bool


@dataclass(frozen=True, slots=True)
class AccountMap:
    org_id: str
    contacts: list[AccountContact]  # best known first
    coverage: Coverage


@per_generation()
def account_map(store: Store, org_id: str, *, as_of: int | None = None, scope: Scope = EVERYTHING,
                now: int | None = None, weights: Weights = DEFAULT_WEIGHTS) -> AccountMap | None:
    """The map of one organisation, or None when it does not exist for this reader."""
    if not scope.sees_org(org_id) or org_id not in store.get_organizations([org_id]):
        return None
    net = load_network(store, as_of=as_of, weights=weights, now=now)
    usable = net.usable_for(scope)
    people = [p for p in staff(store, org_id, as_of=as_of)
              if scope.sees_person(p) and (p not in net.index or usable[net.index[p]])]
    flags = store.get_people(people)
    people = [p for p in people if p in flags and not (flags[p].opted_out or flags[p].blocked)]
    titles = _titles(store, org_id, people)
    contacts = []
    for pid in people:
        ties = []
        for colleague, strength in net.neighbours(pid):
            i = net.index[colleague]
            if net.internal[i] and usable[i]:
                k = net.knows(pid, colleague)
                ties.append(Tie(colleague, strength, band(strength), k.last_at if k else None))
        ties.sort(key=lambda t: (-t.strength, t.colleague_id))
        contacts.append(AccountContact(pid, titles.get(pid, ""), ties))
    contacts.sort(key=lambda c: (-c.best_strength, c.person_id))
    return AccountMap(org_id, contacts, _coverage(contacts, net.now))


def _coverage(contacts: list[AccountContact], now: int) -> Coverage:
    bands: dict[str, int] = defaultdict(int)
    held: dict[str, float] = defaultdict(float)
    going_cold = 0
    for c in contacts:
        if c.ties:
            bands[band(c.best_strength)] += 1
            touch = c.last_touch
            if touch is not None and now - touch > SILENT_DAYS * DAY:
                going_cold += 1
        for t in c.ties:
            held[t.colleague_id] += t.strength
    total = sum(held.values())
    holders = sorted(((cid, s / total) for cid, s in held.items()), key=lambda h: (-h[1], h[0])) if total else []
    single = bool(holders) and total >= SINGLE_THREAD_MIN_TOTAL and holders[0][1] >= SINGLE_THREAD_SHARE
    return Coverage(len(contacts), sum(1 for c in contacts if c.ties), bands["strong"], bands["medium"],
                    bands["weak"], bands["cold"], going_cold, holders, single)


def _titles(store: Store, org_id: str, people: list[str]) -> dict[str, str]:
    """Each person's newest non-empty title at this organisation."""
    out: dict[str, tuple[int, str]] = {}
    for w in store.works_at(person_ids=people):
        if w.org_id == org_id and w.title:
            since = w.since or 0
            if w.person_id not in out or since > out[w.person_id][0]:
                out[w.person_id] = (since, w.title)
    return {pid: title for pid, (_, title) in out.items()}
