"""Warm paths and pair explanations: strengths, bands and signals carry no content and are always shown."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from kith.api.graphql.types.records import (
    Interaction,
    Person,
    interaction_nodes,
    when,
)


# -- ranked answers -------------------------------------------------------------------------------------
@strawberry.type
class Signal:
    name: str
    points: float
    value: float | None = None


@strawberry.type(description="One relationship on a path.")
class Hop:
    source: Person
    target: Person
    strength: float
    band: str
    as_of: strawberry.Private[int | None]
    hop: strawberry.Private[Any]  # the graph.paths.Hop, read by the fields asked for

    @strawberry.field
    def signals(self) -> list[Signal]:  # made only when asked for
        return [Signal(name=n, points=v, value=self.hop.values.get(n)) for n, v in self.hop.signals.items()]

    @strawberry.field
    def last_at(self) -> datetime | None:
        return when(self.hop.last_at)

    @strawberry.field(description="Interactions that made this relationship, newest first.")
    async def evidence(self, info: Info) -> list[Interaction]:
        ids = await info.context.loaders.hop_evidence.load((str(self.source.id), str(self.target.id), self.as_of))
        return await interaction_nodes(info, ids)


@strawberry.type(description="A chain of relationships from a colleague to the target, with the introduction to ask for.")
class WarmPath:
    people: list[Person]
    score: float
    hops: list[Hop]
    introduction: str


def warm_path_node(path, as_of: int | None, people: dict[str, Person]) -> WarmPath | None:
    """A graph WarmPath (found ``as_of``) as a node, or None when anyone on it is not among ``people``
    (the visible ones, from ``person_nodes``, read once for all paths of an answer). Its hops' evidence is
    read when a query selects it."""
    if any(pid not in people for pid in path.people):
        return None
    hops = [Hop(source=people[h.source], target=people[h.target], strength=h.strength, band=h.band,
                as_of=as_of, hop=h) for h in path.hops]
    return WarmPath(people=[people[p] for p in path.people], score=path.score, hops=hops,
                    introduction=path.introduction)



@strawberry.type
class Explanation:
    a: Person
    b: Person
    score: float
    band: str
    signals: list[Signal]
    facts: JSON
    now: datetime
    as_of: datetime | None
    evidence_ids: strawberry.Private[list[str]]

    @strawberry.field(description="Interactions that counted towards the pair, newest first.")
    async def evidence(self, info: Info) -> list[Interaction]:
        return await interaction_nodes(info, self.evidence_ids)
