"""Insights: relationships going cold, single-threaded accounts, job changes, client tiers, reconnects."""

from __future__ import annotations

from datetime import datetime

import strawberry

from kith.api.graphql.types.records import Deal, Organization, Person


# -- insights -------------------------------------------------------------------------------------------
@strawberry.type
class ColdRelationship:
    colleague: Person
    contact: Person
    past_score: float
    score: float
    last_at: datetime | None
    days_silent: int


@strawberry.type
class SingleThreadedAccount:
    organization: Organization
    holder: Person
    share: float
    total: float
    colleagues: int
    contacts: int


@strawberry.type
class JobChange:
    person: Person
    from_organization: Organization | None
    from_title: str
    to_organization: Organization | None
    to_title: str
    at: datetime | None


@strawberry.type
class ClientTier:
    organization: Organization
    tier: str
    recency_days: float | None
    frequency: float
    monetary: float
    rfm: list[int]


@strawberry.type
class Reconnect:
    colleague: Person
    contact: Person
    priority: float
    past_score: float
    days_silent: int
    open_deals: list[Deal]
    reason: str


@strawberry.type
class Insights:
    going_cold: list[ColdRelationship]
    single_threaded: list[SingleThreadedAccount]
    job_changes: list[JobChange]
    client_tiers: list[ClientTier]
    reconnect: list[Reconnect]
