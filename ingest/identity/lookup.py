"""Finding the person or organisation a user names, by the same rules the ingest stored them under.

One place for the CLI (``--to``, ``--from``, ``--org``...) and the GraphQL API (``person(email:)``,
``organization(name:/domain:)``): addresses go through ``normalize_address`` (``Ana.Smith+deals@gmail.com``
is ``anasmith@gmail.com``), domains through ``registrable_domain`` (``www.acme.com`` and ``eu.acme.com``
are ``acme.com``), names through ``normalize_company`` ("ACME, Inc." is "acme")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kith.ingest.identity.addresses import normalize_address
from kith.ingest.identity.organizations import normalize_company, registrable_domain

if TYPE_CHECKING:
    from kith.graph.store import Store


def as_stored(email: str) -> str:
    """The form an address is stored under; an address ``normalize_address`` refuses is only trimmed and
    lower-cased, so that the caller's "not an address of this person" names what was typed."""
    return normalize_address(email) or email.strip().lower()


def person_by_email(store: Store, email: str) -> str | None:
    """The id of the person with this address, or None."""
    address = normalize_address(email)
    return store.people_by_email([address]).get(address) if address else None


def organization_by(store: Store, *, domain: str = "", name: str = "") -> str | None:
    """The id of the organisation with this domain, else with this name (as ingested), or None."""
    if domain.strip():
        host = domain.strip().lower().rstrip(".")
        host = registrable_domain(host) or host
        found = store.orgs_by_domain([host]).get(host)
        if found is not None:
            return found
    key = normalize_company(name) if name.strip() else ""
    return store.orgs_by_normalized_name([key]).get(key) if key else None
