"""Experts on a topic, with the documents that show it and why they score what they do."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from kith.api.graphql.pagination import Connection
from kith.api.graphql.types.paths import WarmPath
from kith.api.graphql.types.records import Interaction, Person, interaction_nodes


@strawberry.type
class ExpertEvidence:
    id: strawberry.ID
    kind: str
    occurred_at: datetime | None
    role: str
    weight: float
    snippet: str | None

    @strawberry.field(description="The interaction itself (null for deals).")
    async def interaction(self, info: Info) -> Interaction | None:
        found = await interaction_nodes(info, [str(self.id)]) if self.kind != "deal" else []
        return found[0] if found else None


@strawberry.type(description="Why an expert scores what they do: the score is proportional to topical × role × recency.")
class ExpertParts:
    topical: float = strawberry.field(description="Summed topical match (BM25) of their n matching documents, over √n.")
    role: float = strawberry.field(description="0-1: how much they wrote rather than read those documents.")
    recency: float = strawberry.field(description="0-1: how recent those documents are (two-year half-life).")


@strawberry.type(description="Someone who knows about a topic, with the documents that show it.")
class Expert:
    person: Person
    score: float
    documents: int
    evidence: list[ExpertEvidence]
    parts: ExpertParts


@strawberry.type
class ExpertPath:
    expert: Expert
    path: WarmPath
    path_score: float
    score: float


_NOTICE = ("What the answer must be read with, when something must be said: under metadata privacy, that it "
           "was ranked from subjects only (the store keeps no message text). Null otherwise.")


@strawberry.type(description="Experts on a topic, best first, and what their ranking read.")
class ExpertConnection(Connection[Expert]):
    notice: str | None = strawberry.field(default=None, description=_NOTICE)


@strawberry.type(description="Experts with a warm path, best combined first, and what their ranking read.")
class ExpertPathConnection(Connection[ExpertPath]):
    notice: str | None = strawberry.field(default=None, description=_NOTICE)
