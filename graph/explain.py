"""Why two people's relationship scores what it does: each signal's value and points, and the evidence.

Points (``graph.strength.contributions``, exact for the fitted model): a ``baseline`` part, then each
signal's part of the rest: recency and person recency (zero or negative: time since the pair's last
contact, and since the quieter of the two was last in touch with anyone), frequency,
reciprocity, responsiveness and tenure (zero or positive), group size (zero or negative: a
one-to-many sender). They sum to the score. Evidence is the ids of the interactions that counted
towards the pair (personal traffic both took part in), newest first, capped.

Without ``as_of`` the stored KNOWS edge is explained, scored at ``now`` (default: this hour's start,
as in ``graph.network``); with ``as_of=T`` the edge is refolded from the two people's interactions
before T and scored at T. Person recency reads each one's newest contact from all their edges.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from kith.graph.errors import NotFound
from kith.graph.knows import deltas
from kith.graph.memo import per_generation
from kith.graph.model import Interaction, Knows
from kith.graph.network import HOUR, knows_before
from kith.graph.scope import EVERYTHING, Scope
from kith.graph.store import Store
from kith.graph.strength import DEFAULT_WEIGHTS, SIGNALS, Weights, band, columns, contributions, signals

EVIDENCE_LIMIT = 20
_PAGE = 20  # shared interactions read at first; most count, so one page usually does


@dataclass(frozen=True, slots=True)
class SignalPart:
    name: str
    value: float  # the signal (graph.strength; baseline: 1)
    weight: float  # its weight (baseline: the intercept)
    points: float  # its contribution to the score


@dataclass(slots=True)
class Explanation:
    a: str
    b: str
    score: float
    band: str
    signals: list[SignalPart]  # points sum to score
    evidence: list[str]  # interaction ids, newest first, capped
    facts: dict[str, float | int | None] = field(default_factory=dict)  # the KNOWS counters scored
    now: int = 0  # the time the score is as of
    as_of: int | None = None

    @property
    def points(self) -> dict[str, float]:
        return {s.name: s.points for s in self.signals}


@per_generation()
def explain(store: Store, a: str, b: str, *, as_of: int | None = None, weights: Weights = DEFAULT_WEIGHTS,
            now: int | None = None, limit: int = EVIDENCE_LIMIT, scope: Scope = EVERYTHING) -> Explanation:
    """Explain the strength between ``a`` and ``b`` (0 and "cold" when they never interacted).
    Someone behind the reader's walls does not exist for them: NotFound, as for an unknown id."""
    for pid in (a, b):
        if not scope.sees_person(pid):
            raise NotFound(f"No person with id {pid}.")
    at = as_of if as_of is not None else now if now is not None else int(time.time()) // HOUR * HOUR
    # every edge of either person: the pair's own, and when each was last in touch with anyone
    around = store.knows_of([a, b]) if as_of is None else [
        k for k in knows_before(store, as_of, [a, b], replies=True).values() if {a, b} & {k.a, k.b}]
    cols = columns(around)
    row = next((n for n, k in enumerate(around) if {k.a, k.b} == {a, b}), None)
    if row is None or a == b:
        edge, active_at = Knows(*sorted((a, b))), None
    else:
        edge, active_at = around[row], float(cols["active_at"][row])
    s = signals(edge, at, weights, active_at=active_at)
    points = contributions(s, weights)
    parts = [SignalPart("baseline", 1.0, weights.intercept, points["baseline"])]
    parts += [SignalPart(n, getattr(s, n), getattr(weights, n), points[n]) for n in SIGNALS]
    facts = {"first_at": edge.first_at, "last_at": edge.last_at,
             **{f: getattr(edge, f) for f in Knows.__slots__ if f not in ("a", "b", "first_at", "last_at")}}
    evidence = evidence_ids(store, a, b, before=as_of, limit=limit, scope=scope) if s.score > 0 else []
    return Explanation(a, b, s.score, band(s.score), parts, evidence, facts, at, as_of)


def evidence_ids(store: Store, a: str, b: str, *, before: int | None = None, limit: int = EVIDENCE_LIMIT,
                 scope: Scope = EVERYTHING) -> list[str]:
    """Ids of interactions that counted towards the pair, newest first, at most ``limit``; read page by
    page from the interactions both took part in. Interactions that involve anyone behind the reader's
    walls are never named."""
    return pairs_evidence(store, [(a, b)], before=before, limit=limit, scope=scope)[0]


def pairs_evidence(store: Store, pairs: Sequence[tuple[str, str]], *, before: int | None = None,
                   limit: int = EVIDENCE_LIMIT, scope: Scope = EVERYTHING) -> list[list[str]]:
    """``evidence_ids`` of each pair, their first pages read in one go (a pair needs a second page
    only when most of its shared interactions did not count towards it)."""
    if limit <= 0 or not pairs:
        return [[] for _ in pairs]
    page = max(2 * limit, _PAGE)
    firsts = store.interactions_between_pairs(pairs, before=before, limit=page)
    return [_evidence(store, a, b, first, before, page, limit, scope) for (a, b), first in zip(pairs, firsts)]


def _evidence(store: Store, a: str, b: str, batch: list[Interaction], cursor: int | None, page: int, limit: int,
              scope: Scope) -> list[str]:
    pair = tuple(sorted((a, b)))
    out: list[str] = []
    seen: set[str] = set()
    while True:
        fresh = [i for i in batch if i.id not in seen]
        for item in fresh:
            seen.add(item.id)
            if scope.sees_interaction(item) and any((k.a, k.b) == pair for k in deltas(item)):
                out.append(item.id)
                if len(out) == limit:
                    return out
        if len(batch) < page:
            return out
        times = [i.occurred_at for i in batch if i.occurred_at is not None]
        if not times:
            return out
        if fresh:
            cursor = min(times) + 1
        else:
            page *= 2  # a page of one timestamp: widen it rather than skip
        batch = store.interactions_between(a, b, before=cursor, limit=page)
