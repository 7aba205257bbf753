"""Warm paths: the best chains of relationships from the firm (or a colleague, or a team) to a person.

Scoring. A path's score is the product of its hop strengths, on the 0-100 scale:
``score = 100 x prod(strength_i / 100)``. We chose the product over the weakest link because it
makes one weak hop sink a path (a 10 hop caps the path at 10 whatever the others are), it also
charges every extra hop (each introduction can fail: 80 -> 80 -> 80 scores 51.2, below a single 60),
and it orders paths totally, so no tie-break rules are needed to rank two paths with the same weakest
hop. Ties left (equal scores) go to fewer hops, then the stronger weakest hop, then person ids.

Rules. Paths are simple (no one twice) and have at most ``max_hops`` hops. Every intermediary is
usable: people who opted out or are blocked are never on a path, and neither are they targets (an
opted-out person asked not to be shown to others; a blocked one is not to be approached), so such a
target yields no paths. A path holds exactly one source, at its start: with the whole firm as
sources, "Ana -> Ben (a colleague) -> client" is Ben's path, not Ana's, because Ben's own path scores
at least as high. With one colleague as the source, other colleagues are ordinary intermediaries. A
target that is itself a source is dropped from the sources (no one needs a path to themselves).

Search. Best-first (A*) from the targets towards the sources on costs ``-ln(strength/100)``, so a
path's cost is ``-ln(score/100)`` and costs only grow as a path extends. The heuristic is the exact
least cost from any source within the remaining hops (``Network.bounds``; cached for the whole firm),
which prunes every partial path that cannot reach a source and lets the search stop as soon as the
frontier cannot beat the k-th path found. Each (person, hops) state is expanded at most k times,
which is exact for the k best walks; a partial path that would revisit a person is dropped.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

from kith.graph.explain import pairs_evidence
from kith.graph.memo import answered_at, per_generation
from kith.graph.model import DealRoleKind, Person
from kith.graph.network import Network, last_generation, load_network
from kith.graph.scope import EVERYTHING, Scope
from kith.graph.store import Contact, PathFacts, Store
from kith.graph.strength import DEFAULT_WEIGHTS, Signals, Weights, band, contributions

EVIDENCE_PER_HOP = 10
YEAR = 365 * 86400
_TIE = 1e-9
_RECENT_READ = 200  # interactions of a pair read to count the past year's
_FAR = 1e300  # above any path's cost (a hop costs at most -ln(0.0001 / 100)), below an edge of strength 0 (inf)


@dataclass(slots=True)
class Hop:
    source: str
    target: str
    strength: float
    band: str
    scored: Signals  # the pair's signals, as the network scored them (``signals`` and ``values`` from it)
    weights: Weights
    evidence: list[str] | None  # interaction ids, newest first, capped at EVIDENCE_PER_HOP; None: not read
    last_at: int | None = None  # last contact
    last_kind: str = ""  # what the last contact was (meeting, email, call, note; '' when unknown)
    past_year: dict[str, int] | None = None  # interactions by kind in the year before (None: not read)

    @property
    def signals(self) -> dict[str, float]:
        """Points per signal (graph.strength.contributions), summing to strength; worked out when asked
        for (most answers do not show them)."""
        return contributions(self.scored, self.weights)

    @property
    def values(self) -> dict[str, float]:
        """Each signal's value (graph.strength.Signals)."""
        return {n: v for n, v in self.scored.as_dict().items() if n != "score"}


@dataclass(slots=True)
class WarmPath:
    people: list[str]  # source ... target, ids
    score: float
    hops: list[Hop]
    introduction: str
    # the people on it, as read for the introduction (the API shows them from these); not part of the answer
    records: dict[str, Person] = field(default_factory=dict, compare=False, repr=False)

    @property
    def weakest(self) -> float:
        return min(h.strength for h in self.hops)


@per_generation(reads_generation=True)
def warm_paths(
    store: Store,
    to: str | Sequence[str],
    *,
    sources: Sequence[str] | None = None,
    k: int = 5,
    max_hops: int = 4,
    as_of: int | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
    now: int | None = None,
    network: Network | None = None,
    evidence: bool = False,
    scope: Scope = EVERYTHING,
) -> list[WarmPath]:
    """The ``k`` best paths from ``sources`` (default: every usable internal colleague) to any of ``to``,
    best first. ``network`` may be passed when the caller already loaded it for the same as_of/weights.
    Each hop's ``evidence`` is read only with ``evidence=True`` (else None: ``hop_evidence`` reads it
    when it is asked for). Nobody behind the reader's walls (``scope``) is a source, an intermediary or
    a target, and no hop's evidence names an interaction that involves them."""
    # The network of the generation last read, checked against the one the answer's read brings: one
    # round trip to a server, not two, and a write made since (here or elsewhere) still shows at once.
    # The memo (graph.memo) keeps the answer under that generation, so it reads none of its own.
    known = None if network else last_generation(store)
    while True:
        fresh = known is None
        net = network or load_network(store, as_of=as_of, weights=weights, now=now, generation=known)
        if network is None and fresh:
            known = last_generation(store)  # as load_network just read it
        found = best_paths(net, [to] if isinstance(to, str) else list(to), sources, k=k, max_hops=max_hops,
                           scope=scope)
        paths, generation = _explain_paths(store, net, found, scope)
        if network is not None:  # a network of the caller's: the answer is from the generation its read saw
            known = generation
            break
        if fresh or (store.generation() if generation is None else generation) == known:
            break
        known = None  # the store moved on: again, on the network load_network reads afresh
    if known is not None:
        answered_at(known)
    if evidence:
        hops = list({(h.source, h.target): h for w in paths for h in w.hops}.values())
        for hop, ids in zip(hops, hop_evidence(store, [(h.source, h.target) for h in hops], as_of=as_of, scope=scope)):
            hop.evidence = ids
    return paths


def hop_evidence(store: Store, pairs: Sequence[tuple[str, str]], *, as_of: int | None = None,
                 scope: Scope = EVERYTHING) -> list[list[str]]:
    """The evidence of each hop (source, target) of warm paths found ``as_of``, in one batched read."""
    return pairs_evidence(store, pairs, before=as_of, limit=EVIDENCE_PER_HOP, scope=scope)


def best_paths(net: Network, targets: Sequence[str], sources: Sequence[str] | None = None, *, k: int = 5,
               max_hops: int = 4, scope: Scope = EVERYTHING) -> list[tuple[float, list[str]]]:
    """(score, person ids source..target) of the k best paths, best first; the search alone."""
    if k <= 0 or max_hops <= 0:
        return []
    usable = net.usable_for(scope)
    goal = sorted({net.index[t] for t in targets if t in net.index and usable[net.index[t]]})
    if not goal:
        return []
    n = len(net.ids)
    is_target = np.zeros(n, bool)
    is_target[goal] = True
    if sources is None:
        is_source = net.internal & usable & ~is_target
        bounds = net.firm_bounds(max_hops, scope)
    else:
        is_source = np.zeros(n, bool)
        is_source[[net.index[s] for s in sources if s in net.index]] = True
        is_source &= usable & ~is_target
        bounds = net.bounds(is_source, usable & ~is_source & ~is_target, max_hops)
    if not is_source.any():
        return []
    relay = usable & ~is_source & ~is_target
    return _search(net, goal, is_source, relay, bounds, k, max_hops)


def _search(net: Network, goal: list[int], is_source: np.ndarray, relay: np.ndarray, bounds: np.ndarray,
            k: int, max_hops: int) -> list[tuple[float, list[str]]]:
    indptr, nbr, cost = net.indptr, net.nbr, net.cost
    # Labels: (estimate, cost so far, hops, node, path from target back to node).
    heap = [(float(bounds[max_hops, t]), 0.0, 0, t, (t,)) for t in goal if math.isfinite(bounds[max_hops, t])]
    heapq.heapify(heap)
    expanded: dict[int, int] = {}
    results: list[tuple[float, int, tuple[int, ...]]] = []
    worst = _FAR  # cost of the k-th best path found so far

    def record(c: float, path: tuple[int, ...]) -> None:
        nonlocal worst
        results.append((c, len(path), path))
        if len(results) >= k:
            results.sort()
            worst = results[k - 1][0] + _TIE
            del results[k + 8:]  # keep near-ties for the final ordering

    while heap:
        estimate, c, hops, v, path = heapq.heappop(heap)
        if estimate > worst:
            break
        state = v * (max_hops + 1) + hops
        if expanded.get(state, 0) >= k:
            continue
        expanded[state] = expanded.get(state, 0) + 1
        lo, hi = int(indptr[v]), int(indptr[v + 1])
        nb = nbr[lo:hi]
        nc = cost[lo:hi] + c
        ok = nc <= worst
        done = ok & is_source[nb]
        if done.any():
            for u, cu in zip(nb[done].tolist(), nc[done].tolist()):
                if cu <= worst:
                    record(cu, path + (u,))
        left = max_hops - hops - 1  # hops a neighbour may still use
        if left >= 1:
            est = nc + bounds[left][nb]
            go = ok & relay[nb] & (est <= worst)
            if go.any():
                for u, cu, eu in zip(nb[go].tolist(), nc[go].tolist(), est[go].tolist()):
                    if u not in path and eu <= worst:
                        heapq.heappush(heap, (eu, cu, hops + 1, u, path + (u,)))
    best = []
    for _, _, path in results:
        p = list(reversed(path))
        strengths = [net.hop_strength(x, y) for x, y in zip(p, p[1:])]
        score = round(100 * math.prod(s / 100 for s in strengths), 4)
        ids = [net.ids[i] for i in p]
        best.append((-round(score, 6), len(p), -min(strengths), ids, score))
    best.sort()
    return [(row[-1], row[-2]) for row in best[:k]]


def _explain_paths(store: Store, net: Network, found: list[tuple[float, list[str]]],
                   scope: Scope = EVERYTHING) -> tuple[list[WarmPath], int | None]:
    """The paths, and the store's generation as their read saw it (None: nothing to read)."""
    if not found:
        return [], None
    hops = {(x, y): _hop(net, x, y) for _, p in found for x, y in zip(p, p[1:])}
    paths = [(score, p, [hops[(x, y)] for x, y in zip(p, p[1:])]) for score, p in found]
    told = list({id(h): h for _, _, hs in paths for h in [hs[0] if len(hs) == 1 else hs[1]]}.values())
    at = net.as_of if net.as_of is not None else net.now
    # one read: the people, the targets' jobs, and the relationship each introduction rests on
    facts = store.path_facts({pid for _, p in found for pid in p}, [(h.source, h.target) for h in told],
                             before=at, limit=_RECENT_READ, titled={p[-1] for _, p in found})
    for hop, items in zip(told, facts.shared):
        _recent(hop, items, at, scope)
    titles = _titles(facts)
    return [WarmPath(p, score, hs, introduction(p, hs, facts.people, titles),
                     {pid: facts.people[pid] for pid in p if pid in facts.people})
            for score, p, hs in paths], facts.generation


def _recent(hop: Hop, shared: list[Contact], at: int, scope: Scope) -> None:
    """What the pair's last contact was, and their interactions by kind in the year before ``at`` (the
    network's time: as_of, else now), from their shared interactions newest first."""
    counts: dict[str, int] = {}
    for item in shared:
        if not scope.sees_all(item.people) or item.occurred_at is None:
            continue
        if not hop.last_kind:
            hop.last_kind = str(item.kind)
        if item.occurred_at >= at - YEAR:
            counts[str(item.kind)] = counts.get(str(item.kind), 0) + 1
    hop.past_year = counts


def _hop(net: Network, x: str, y: str) -> Hop:
    scored = net.scored(x, y)
    assert scored is not None
    k, s = scored
    return Hop(x, y, s.score, band(s.score), s, net.weights, None, last_at=k.last_at)


def _titles(facts: PathFacts) -> dict[str, str]:
    """Current "title at Org" of each person whose jobs the facts hold, where known."""
    rows = [w for w in facts.jobs if w.until is None]
    out: dict[str, str] = {}
    for w in sorted(rows, key=lambda w: (w.since is None, -(w.since or 0))):
        if w.person_id not in out and w.org_id in facts.orgs:
            org = facts.orgs[w.org_id].name
            out[w.person_id] = f"{w.title} at {org}" if w.title else org
    return out


def _name(people: dict[str, Person], pid: str) -> str:
    p = people.get(pid)
    return (p.name or (p.emails[0] if p.emails else pid)) if p else pid


def _first_name(people: dict[str, Person], pid: str) -> str:
    """How to greet someone: their given name, or '' when no evidence names them."""
    p = people.get(pid)
    if p is None or not p.name:
        return ""
    return p.given_name or p.name.split()[0]


def _day(at: int) -> str:
    d = datetime.fromtimestamp(at, timezone.utc)
    return f"{d.day} {d:%b %Y}"


_LAST = {"meeting": "last met", "call": "last spoke"}  # else: last in touch (by email)
_PLURAL = {"meeting": "meetings", "call": "calls", "email": "emails", "note": "notes"}


def _why(hop: Hop, you: bool = False) -> str:
    """Why a hop is a relationship, in words: "(you) last met on 3 May 2024, 4 meetings and 2 emails
    in the past year"."""
    if hop.last_at is None:
        return "last contact of unknown date"
    last = _LAST.get(hop.last_kind) or ("were last in touch" if you else "last in touch") + (
        " by email" if hop.last_kind == "email" else "")
    counts = [f"{n} {_PLURAL[k] if n != 1 else k}"
              for k, n in sorted((hop.past_year or {}).items(), key=lambda kv: -kv[1]) if k in _PLURAL]
    return (f"{'you ' if you else ''}{last} on {_day(hop.last_at)}, "
            + (" and ".join(counts) + " in the past year" if counts else "nothing in the past year"))


def introduction(p: Sequence[str], hops: Sequence[Hop], people: dict[str, Person], titles: dict[str, str]) -> str:
    """The request the source sends to take the first hop: greeting the broker by name and saying
    why they are asked (how they know the next person)."""
    source, target = p[0], p[-1]
    who = _name(people, target) + (f" ({titles[target]})" if target in titles else "")
    if len(p) == 2:
        return f"{_name(people, source)} knows {who} directly ({hops[0].band}; {_why(hops[0])}): reach out yourself."
    broker, nxt = p[1], p[2]
    first = _first_name(people, broker)
    hi = f"Hi {first}, I would like to meet {who}." if first else f"Hello, I would like to meet {who}."
    known = f"({hops[1].band}; {_why(hops[1], you=True)})"
    if nxt == target:
        ask = f"{hi} You know them {known}. Would you be willing to introduce us?"
    else:
        ask = (f"{hi} You know {_name(people, nxt)} {known}, who can take it from there. "
               f"Would you be willing to introduce me to {_name(people, nxt)}?")
    return f"{_name(people, source)} asks {_name(people, broker)}: \"{ask}\""


# -- decision makers ---------------------------------------------------------------------------------
_ROLE_RANK = {DealRoleKind.DECISION_MAKER: 0, DealRoleKind.ECONOMIC_BUYER: 1}
_NOT_SENIOR = re.compile(r"\b(assistant|intern|trainee|secretary to|pa to)\b", re.I)
_SENIORITY = (
    re.compile(r"\b(chief|ceo|cfo|coo|cto|cio|ciso|cmo|clo|cpo|chro|president|founder|owner|general counsel|"
               r"chair(man|woman|person)?|managing partner|executive director|board member)\b", re.I),
    re.compile(r"\b(evp|svp|vp|vice[- ]president|managing director|general manager|partner|head)\b", re.I),
    re.compile(r"\b(director)\b", re.I),
)


def seniority(title: str) -> int | None:
    """0 for C-level and general counsel, 1 for VP / head / partner / MD, 2 for director; None otherwise."""
    if not title or _NOT_SENIOR.search(title):
        return None
    return next((n for n, rx in enumerate(_SENIORITY) if rx.search(title)), None)


def decision_makers(store: Store, org_id: str, *, as_of: int | None = None) -> list[str]:
    """People who decide at ``org_id``, most senior first: decision makers and economic buyers on its
    deals (most recent deal first), then current staff by title seniority. Colleagues are never listed.
    With ``as_of``, only deals opened and jobs started before it (a job of unknown start counts)."""
    ranked: dict[str, tuple] = {}
    for n, deal in enumerate(store.deals_of(org_ids=[org_id])):
        if deal.org_id != org_id or (as_of is not None and (deal.opened_at is None or deal.opened_at >= as_of)):
            continue
        for role in deal.roles:
            if role.role in _ROLE_RANK:
                key = (0, _ROLE_RANK[role.role], n, role.person_id)
                ranked[role.person_id] = min(ranked.get(role.person_id, key), key)
    at = as_of
    for w in store.works_at(org_ids=[org_id]):
        if w.org_id != org_id or (at is not None and w.since is not None and w.since >= at):
            continue
        if w.until is not None and (at is None or w.until <= at):
            continue
        level = seniority(w.title)
        if level is not None:
            key = (1, level, 0, w.person_id)
            ranked[w.person_id] = min(ranked.get(w.person_id, key), key)
    people = store.get_people(ranked)
    return [pid for pid, _ in sorted(ranked.items(), key=lambda kv: kv[1])
            if pid in people and not people[pid].is_internal]


def staff(store: Store, org_id: str, *, as_of: int | None = None) -> list[str]:
    """Everyone who works (or, with ``as_of``, worked then) at ``org_id``, colleagues excluded."""
    ids = []
    for w in store.works_at(org_ids=[org_id]):
        if w.org_id != org_id or (as_of is not None and w.since is not None and w.since >= as_of):
            continue
        if w.until is not None and (as_of is None or w.until <= as_of):
            continue
        ids.append(w.person_id)
    people = store.get_people(set(ids))
    return sorted({pid for pid in ids if pid in people and not people[pid].is_internal})
