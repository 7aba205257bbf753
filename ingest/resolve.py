"""Identity resolution: (display name, address) pairs from any reader become person ids.

Rules, in order:
1. An address is normalised (case, plus-addressing, provider dot rules); one that is not an address,
   is excluded by the user, or belongs to an erased person is dropped.
2. A known address is its person.
3. A new address whose display name matches a known person with an address at the same company
   domain (similarity >= names.MERGE, from a real display name) is attached to that person: an
   audited, reversible ATTACH event.
4. Otherwise a new person; when a known person's name is similar (>= names.REVIEW) the pair goes to
   the review queue (`kith review`) instead of merging silently.
Organisations come from company domains (never free-mail or disposable ones) and signatures;
colleagues are people at the firm's configured internal domains.

The resolver caches what it learns and hands new records to the pipeline in batches (``drain``).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from graph import ids
from graph.identity import record_attach
from graph.model import Organization, Person, Provenance, ReviewItem, WorksAt
from graph.settings import Settings
from graph.store import Store
from graph.text import fold
from ingest.identity.addresses import domain_of, is_role_or_noreply, normalize_address
from ingest.identity.names import MERGE, REVIEW, NameParts, name_similarity, parse_name
from ingest.identity.organizations import (
    display_company,
    normalize_company,
    organization_from_domain,
    registrable_domain,
)


@dataclass(slots=True)
class Pending:
    """New records the resolver made since the last drain, in write order."""

    people: dict[str, Person] = field(default_factory=dict)
    orgs: dict[str, Organization] = field(default_factory=dict)
    works_at: dict[tuple[str, str, str], WorksAt] = field(default_factory=dict)
    attaches: list[tuple[str, str, str]] = field(default_factory=list)  # person id, address, reason
    reviews: list[ReviewItem] = field(default_factory=list)


class Resolver:
    def __init__(self, store: Store, settings: Settings, exclude_addresses=(), exclude_domains=()):
        self.store = store
        self.settings = settings
        self.exclude_addresses = {a for a in map(normalize_address, [*settings.exclude_addresses, *exclude_addresses]) if a}
        self.exclude_domains = {d.lower().lstrip("@") for d in [*settings.exclude_domains, *exclude_domains]}
        self.pending = Pending()
        self._person_of: dict[str, str | None] = {}  # address -> person id (None: erased)
        self._names: dict[str, NameParts] = {}  # person id -> parsed name
        self._domains: dict[str, set[str]] = defaultdict(set)  # person id -> registrable domains
        self._by_family: dict[str, list[str]] = defaultdict(list)  # folded family name -> person ids
        self._org_of_domain: dict[str, str | None] = {}
        self._org_of_key: dict[str, str] = {}
        self._created = 0
        for person in store.iter_people():
            self._learn(person.id, person.name, person.emails)
            for email in person.emails:
                self._person_of[email] = person.id

    # -- addresses -------------------------------------------------------------------------------
    def normalize(self, raw: str) -> str | None:
        return normalize_address(raw) if raw else None

    def is_excluded(self, address: str) -> bool:
        if address in self.exclude_addresses:
            return True
        if not self.exclude_domains:
            return False
        domain = domain_of(address)
        return any(
            domain == d or domain.endswith("." + d) for d in self.exclude_domains
        )

    def prefetch(self, addresses: set[str]) -> None:
        """Look up a batch's unseen addresses in the store at once (known people, erased people)."""
        unseen = [a for a in addresses if a not in self._person_of]
        if not unseen:
            return
        known = self.store.people_by_email(unseen)
        self._person_of.update(known)
        hashes = {ids.email_hash(a): a for a in unseen if a not in known}
        for erased in self.store.erased_hashes(hashes):
            self._person_of[hashes[erased]] = None

    # -- people ----------------------------------------------------------------------------------
    def person(self, display: str, address: str, at: int | None, prov: Provenance) -> str | None:
        """The person behind a normalised address (None when they were erased)."""
        if address in self._person_of:
            return self._person_of[address]
        name = parse_name(display, address)
        derived = not display.strip() or "@" in display
        pid = self._match(name, address, derived, at, prov)
        self._person_of[address] = pid
        return pid

    def _match(self, name: NameParts, address: str, derived: bool, at: int | None, prov: Provenance) -> str:
        domain = registrable_domain(domain_of(address)) or domain_of(address)
        best, best_score = None, 0.0
        if name.family and not is_role_or_noreply(address):
            for candidate in self._by_family.get(fold(name.family), ()):
                score = name_similarity(name, self._names[candidate])
                if score > best_score:
                    best, best_score = candidate, score
        company = organization_from_domain(domain) is not None
        if best and best_score >= MERGE and not derived and company and domain in self._domains[best]:
            self.pending.people[best] = self._with_email(best, address, prov)
            self.pending.attaches.append(
                (best, address, f"display name '{name.full}' matches ({best_score:.2f}) at {domain}"))
            self._domains[best].add(domain)
            return best
        pid = ids.person_id(address)
        internal = self.settings.is_internal_domain(domain_of(address))
        self.pending.people[pid] = Person(pid, name.full, [address], given_name=name.given, family_name=name.family,
                                          is_internal=internal, provenance=prov)
        self._created += 1
        self._learn(pid, name.full, [address], name)
        if best and best_score >= REVIEW:
            why = "same name" if best_score >= MERGE else "similar names"
            self.pending.reviews.append(ReviewItem(
                best, pid, round(best_score, 3),
                f"{why}: '{self._names[best].full}' and '{name.full}' <{address}>", int(time.time())))
        org = None if is_role_or_noreply(address) else self.org_of_address(address, prov)
        if org:
            self.employ(pid, org, "", at, prov)
        return pid

    def add_address(self, pid: str, address: str, prov: Provenance, reason: str) -> None:
        """Another address a record says belongs to ``pid`` (a contact card listing two emails).
        A new address is attached (an audited ATTACH event); one that is already someone else's is
        not moved: the pair goes to the review queue."""
        known = self._person_of.get(address, "")
        if known == pid or known is None:  # already theirs, or an erased person's
            return
        if known:
            self.pending.reviews.append(ReviewItem(pid, known, 1.0, f"{reason}: <{address}> belongs to another person",
                                                   int(time.time())))
            return
        self._person_of[address] = pid
        self.pending.people[pid] = self._with_email(pid, address, prov)
        self.pending.attaches.append((pid, address, reason))
        self._domains[pid].add(registrable_domain(domain_of(address)) or domain_of(address))

    def named_person(self, display: str, scope: str, prov: Provenance, internal: bool = False) -> str | None:
        """A person known only by name (a CRM's sales agent, a contact card without email).

        Their id comes from the folded name within ``scope`` (the source system, or the card's
        company), so the same name in the same scope is the same person on every run. Names alone
        never prove identity: when someone already known has a similar name (>= names.REVIEW) the
        pair is queued for `kith review` instead of merged. None when there is no name."""
        name = parse_name(display)
        if not name.full:
            return None
        pid = ids.person_id(f"name:{scope}:{fold(name.full)}")
        if pid in self._names:
            if internal and pid in self.pending.people:
                self.pending.people[pid].is_internal = True
            return pid
        best, best_score = None, 0.0
        for candidate in self._by_family.get(fold(name.family), ()) if name.family else ():
            score = name_similarity(name, self._names[candidate])
            if score > best_score:
                best, best_score = candidate, score
        self.pending.people[pid] = Person(pid, name.full, [], given_name=name.given, family_name=name.family,
                                          is_internal=internal, provenance=prov)
        self._created += 1
        self._learn(pid, name.full, [], name)
        if best and best_score >= REVIEW:
            why = "same name" if best_score >= MERGE else "similar names"
            self.pending.reviews.append(ReviewItem(
                best, pid, round(best_score, 3),
                f"{why}: '{self._names[best].full}' and '{name.full}' (known only by name, {prov.source_kind})",
                int(time.time())))
        return pid

    def fill_name(self, pid: str, display: str, prov: Provenance) -> None:
        """A record that names a known person (a contact card): fills their name where it is empty;
        a name already stored is never overwritten."""
        name = parse_name(display)
        if not name.full:
            return
        person = self.pending.people.get(pid) or Person(pid, provenance=prov)
        if not person.name:
            person.name, person.given_name, person.family_name = name.full, name.given, name.family
        self.pending.people[pid] = person
        if not self._names.get(pid, NameParts("")).full:
            self._learn(pid, name.full, [], name)

    def mark_internal(self, pid: str, prov: Provenance) -> None:
        """A record says this person is one of the firm's own (a deal's team member)."""
        person = self.pending.people.get(pid) or Person(pid, provenance=prov)
        person.is_internal = True
        self.pending.people[pid] = person

    def _with_email(self, pid: str, address: str, prov: Provenance) -> Person:
        person = self.pending.people.get(pid) or Person(pid, provenance=prov)
        person.emails = [*person.emails, address]
        return person

    def _learn(self, pid: str, display: str, emails: list[str], name: NameParts | None = None) -> None:
        name = name or parse_name(display, emails[0] if emails else "")
        self._names[pid] = name
        if name.family:
            self._by_family[fold(name.family)].append(pid)
        for email in emails:
            self._domains[pid].add(registrable_domain(domain_of(email)) or domain_of(email))

    # -- organisations ---------------------------------------------------------------------------
    def org_of_address(self, address: str, prov: Provenance) -> str | None:
        """The organisation an address's company domain stands for (None for free-mail)."""
        domain = domain_of(address)
        if domain in self._org_of_domain:
            return self._org_of_domain[domain]
        found = organization_from_domain(domain)
        org = None
        if found:
            display, key = found
            registrable = registrable_domain(domain)
            org = (self.store.orgs_by_domain([registrable]).get(registrable)
                   or self.organization(display, key, prov, registrable, guessed=True))
        self._org_of_domain[domain] = org
        return org

    def organization(self, display: str, key: str, prov: Provenance, domain: str = "", guessed: bool = False) -> str:
        """The organisation under a normalised name, created if new. ``guessed``: the name is read off a
        domain, and a written name (a signature's, a record's) replaces it."""
        oid = self._org_of_key.get(key)
        if oid is None:
            oid = self._org_of_key[key] = self.store.orgs_by_normalized_name([key]).get(key) or ids.org_id(key)
        org = self.pending.orgs.get(oid)
        if org is None:
            self.pending.orgs[oid] = Organization(oid, display, key, [domain] if domain else [], prov, guessed)
            return oid
        if domain and domain not in org.domains:
            org.domains.append(domain)
        if org.name_guessed and not guessed:
            org.name, org.name_guessed = display, False
        return oid

    def company(self, name: str, prov: Provenance) -> str | None:
        """The organisation a signature or record names ("Acme Ltd." -> Acme)."""
        key = normalize_company(name)
        return self.organization(display_company(name), key, prov) if key else None

    def employ(self, pid: str, org: str, title: str, at: int | None, prov: Provenance) -> None:
        """Evidence that a person worked at org (with title) at time ``at``. The period starts at the
        earliest evidence and stays open (``until`` None): mail shows a job began, rarely that it
        ended; a later row at another org or with another title is what records a change."""
        key = (pid, org, title)
        row = self.pending.works_at.get(key)
        if row is None:
            self.pending.works_at[key] = WorksAt(pid, org, title, at, None, prov)
        elif at is not None:
            row.since = at if row.since is None else min(row.since, at)

    def add_phones(self, pid: str, phones: Sequence[str], prov: Provenance) -> None:
        person = self.pending.people.get(pid) or Person(pid, provenance=prov)
        person.phones = list(dict.fromkeys([*person.phones, *phones]))
        self.pending.people[pid] = person

    # -- writing ---------------------------------------------------------------------------------
    def drain(self) -> tuple[int, int]:
        """Write pending people, organisations, employment, attaches and review items.
        Returns (people created, review items queued) since the last drain."""
        p = self.pending
        if p.orgs:
            self.store.upsert_organizations(list(p.orgs.values()))
        if p.people:
            self.store.upsert_people(list(p.people.values()))
        if p.works_at:
            self.store.add_works_at(list(p.works_at.values()))
        for pid, address, reason in p.attaches:
            record_attach(self.store, pid, address, reason)
        queued = self.store.add_review_items(p.reviews) if p.reviews else 0
        created, self._created = self._created, 0
        self.pending = Pending()
        return created, queued

