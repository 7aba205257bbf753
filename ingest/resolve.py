"""Identity resolution: (display name, address) pairs from any reader become person ids.

Rules, in order:
1. An address is normalised (case, plus-addressing, provider dot rules); one that is not an address,
   is excluded by the user, or belongs to an erased person is dropped.
2. A known address is its person. A display name seen with it fills that person's name when they
   have none yet (the first message may have carried only the address).
3. A new address at a company domain is attached to a known person there (an audited, reversible
   ATTACH event) when exactly one person fits: their name produces its local part (jsmith@ for John
   Smith; ``ingest.identity.aliases``), or its display name matches theirs (>= names.MERGE), or its
   display name produces the local part of a person known there only by address. The names must
   agree where both are known. Two people who fit send the address to the review queue instead.
   Numbered accounts (support1@, jsmith2@) and role accounts are never attached.
4. Otherwise a new person; when a known person's name is similar (>= names.REVIEW) the pair goes to
   the review queue (`kith review`) instead of merging silently. Free-mail addresses are never
   attached by name alone: ``link_personal`` merges one into a person when mail went between the two
   by itself (a forward to oneself) and the names agree, ``link_signed`` when its own signature gives
   that person's name and company.
5. Later evidence corrects: a name seen for a nameless person that makes them the one other person
   who fits is a merge; a display name that disagrees with the person an address was attached to
   for its spelling alone splits it off again. Merges and splits run after the batch is written
   (``settle``), as audited events that `kith review undo` reverses.
Organisations come from company domains (never free-mail or disposable ones) and signatures;
colleagues are people at the firm's configured internal domains.

The resolver caches what it learns and hands new records to the pipeline in batches (``drain``);
each distinct address is matched once per run.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache
from dataclasses import dataclass, field

from rapidfuzz.fuzz import ratio
from rapidfuzz.process import extract

from kith.graph import ids
from kith.graph.errors import KithError
from kith.graph.identity import merge_people, record_attaches, split_person
from kith.graph.mailboxes import is_role_or_noreply
from kith.graph.model import IdentityEventKind, Organization, Person, Provenance, ReviewItem, WorksAt
from kith.graph.settings import Settings
from kith.graph.store import Store
from kith.graph.text import fold
from kith.ingest.identity.addresses import domain_of, normalize_address
from kith.ingest.identity.aliases import is_numbered, local_forms
from kith.ingest.identity.names import MERGE, REVIEW, NameParts, given_variants, name_similarity, parse_name
from kith.ingest.identity.organizations import (
    display_company,
    is_personal_domain,
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
    merges: dict[str, tuple[str, str]] = field(default_factory=dict)  # merged id -> (kept id, reason)
    splits: list[tuple[str, str, str, str]] = field(default_factory=list)  # person id, address, name, reason


_UNSEEN = object()
_NO_NAME = NameParts("")
_SCAN = 8  # family-name buckets larger than this are narrowed before names are scored
_TYPO_CUTOFF = 100 * REVIEW ** 0.5 - 0.01  # names.name_similarity squares the edit ratio of given names
_ALONE = " (the address alone)"  # an attach made without a display name: a later name may undo it
_MIDDLE_INITIAL = re.compile(r"([._-])[a-z]\1")
_FAMILY_KEY = 4  # people are indexed by the first letters of their family name (for jsmith@ -> Smith)


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
        # company domain -> the first letters of a family name -> person ids
        self._at_domain: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self._unnamed: set[str] = set()  # people without a name yet
        self._given_key: dict[str, str] = {}  # person id -> folded letters of the given name
        self._merged: set[str] = set()  # people merged into another this run
        self._signed: set[str] = set()  # free-mail senders whose signature was checked (link_signed)
        self._addresses: dict[str, list[str]] = defaultdict(list)  # person id -> addresses
        self._guessed: dict[str, str] = {}  # address -> person: attached for its local part alone
        self._org_of_domain: dict[str, str | None] = {}
        self._org_of_key: dict[str, str] = {}
        # the store's answers for this batch's signers' domains and signatures' companies (prefetch_orgs)
        self._stored_org_of_domain: dict[str, str | None] = {}
        self._stored_org_of_key: dict[str, str | None] = {}
        self._employed: set[str] = set()  # addresses whose domain's employment this run has recorded
        self._created = 0
        several = []
        for person in store.iter_people():
            self._learn(person.id, person.name, person.emails)
            for email in person.emails:
                self._person_of[email] = person.id
            if len(person.emails) > 1:
                several.append(person.id)
        for event in store.identity_events(person_ids=several) if several else ():
            if event.kind == IdentityEventKind.ATTACH and event.undone_at is None and event.reason.endswith(_ALONE):
                self._guessed[event.emails[0]] = event.person_id

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

    def prefetch_orgs(self, signers: set[str], companies: set[str]) -> None:
        """Look up at once the organisations a batch's signatures may name (its signers' company domains,
        its signatures' companies): a read each, not one per organisation (a round trip each to Neo4j).
        Good for this batch: the store's organisations change only when it is written."""
        domains = {domain_of(a) for a in signers} - self._org_of_domain.keys()
        found = [organization_from_domain(d) for d in domains]
        registrable = {r for r in map(registrable_domain, domains) if r}
        keys = {k for k in [*(f[1] for f in found if f), *map(normalize_company, companies)] if k}
        keys -= self._org_of_key.keys()
        by_domain = self.store.orgs_by_domain(registrable) if registrable else {}
        by_key = self.store.orgs_by_normalized_name(keys) if keys else {}
        self._stored_org_of_domain = {d: by_domain.get(d) for d in registrable}
        self._stored_org_of_key = {k: by_key.get(k) for k in keys}

    # -- people ----------------------------------------------------------------------------------
    def person(self, display: str, address: str, at: int | None, prov: Provenance) -> str | None:
        """The person behind a normalised address (None when they were erased)."""
        pid = self._person_of.get(address, _UNSEEN)
        if pid is _UNSEEN:
            name = parse_name(display, address)
            derived = not display.strip() or "@" in display
            pid = self._person_of[address] = self._match(name, address, derived, at, prov)
        elif display and pid in self._unnamed:
            self.fill_name(pid, display, prov, address)
        elif display and address in self._guessed:
            pid = self._check_guess(pid, address, display, prov)  # type: ignore[arg-type]
        if pid is not None and address not in self._employed:
            self._employ_at_domain(pid, address, at, prov)  # type: ignore[arg-type]
        return pid  # type: ignore[return-value]

    def _employ_at_domain(self, pid: str, address: str, at: int | None, prov: Provenance) -> None:
        """A company address is evidence of a job there, recorded for people already known as for new
        ones: an ingest resumed after a store that commits write by write (Neo4j) died between a new
        person and their job finds the person known, and must not lose the job."""
        self._employed.add(address)
        org = None if is_role_or_noreply(address) else self.org_of_address(address, prov)
        if org:
            self.employ(pid, org, "", at, prov)

    def _check_guess(self, pid: str, address: str, display: str, prov: Provenance) -> str:
        """An address attached for its local part alone, now seen with a display name: a name that
        disagrees with the person's (Julia Hayes on jhayes@, attached to James Hayes) splits it off
        again after the batch (an audited SPLIT)."""
        name = parse_name(display, address)
        if not name.full or "@" in display:
            return pid
        del self._guessed[address]
        if _agree(name, self._names[pid]):
            return pid
        new = ids.person_id(address)
        self.pending.splits.append((pid, address, name.full, f"<{address}> is named '{name.full}' in mail, "
                                                               f"not '{self._names[pid].full}'"))
        self._addresses[pid].remove(address)
        self._person_of[address] = new
        self.pending.people[new] = Person(new, name.full, [], given_name=name.given, family_name=name.family,
                                          is_internal=self.settings.is_internal_domain(domain_of(address)),
                                          provenance=prov)
        self._learn(new, name.full, [address], name)
        return new

    def _match(self, name: NameParts, address: str, derived: bool, at: int | None, prov: Provenance) -> str:
        domain = registrable_domain(domain_of(address)) or domain_of(address)
        company = _is_company(domain)
        fits = self._fits(name, address, domain) if company and not is_role_or_noreply(address) else {}
        local = address.rpartition("@")[0]
        if len(fits) == 1 and not is_numbered(local):
            [(best, why)] = fits.items()
            self.pending.people[best] = self._with_email(best, address, prov)
            self.pending.attaches.append((best, address, f"{why} at {domain}" + (_ALONE if derived else "")))
            self._add_address(best, address)
            if derived:
                self._guessed[address] = best
            elif best in self._unnamed:
                self.fill_name(best, name.full, prov)
            return best
        pid = ids.person_id(address)
        internal = self.settings.is_internal_domain(domain_of(address))
        self.pending.people[pid] = Person(pid, name.full, [address], given_name=name.given, family_name=name.family,
                                          is_internal=internal, provenance=prov)
        self._created += 1
        self._learn(pid, name.full, [address], name)
        if fits:
            for other, why in fits.items():
                self.pending.reviews.append(ReviewItem(other, pid, 0.9, f"{why} at {domain}, but "
                                                       f"{'so do others' if len(fits) > 1 else 'it is numbered'}: "
                                                       f"<{address}>", int(time.time())))
        elif not is_role_or_noreply(address):
            best, best_score = self._most_similar(name, exclude=pid)
            if best and best_score >= REVIEW:
                why = "same name" if best_score >= MERGE else "similar names"
                self.pending.reviews.append(ReviewItem(
                    best, pid, round(best_score, 3),
                    f"{why}: '{self._names[best].full}' and '{name.full}' <{address}>", int(time.time())))
        return pid

    def _most_similar(self, name: NameParts, exclude: str = "") -> tuple[str | None, float]:
        best, best_score = None, 0.0
        bucket = self._by_family.get(fold(name.family), []) if name.family else []
        for candidate in self._may_review(name, bucket) if len(bucket) > _SCAN else bucket:
            if candidate == exclude or candidate in self._merged:
                continue
            score = name_similarity(name, self._names[candidate])
            if score > best_score:
                best, best_score = candidate, score
        return best, best_score

    def _may_review(self, name: NameParts, bucket: list[str]) -> list[str]:
        """Those of a family-name bucket whose name can score >= names.REVIEW against ``name``: no
        given name, or one with the same initial or a nickname's, or a typo away (the edit ratio that
        ``name_similarity`` squares); the rest are not scored at all (common family names)."""
        x = _letters(fold(name.given)).lower()
        if not x:
            return bucket
        initials = {x[0]} | {v[0] for v in given_variants(x, loose=True)}
        keys = [self._given_key.get(pid, "") for pid in bucket]
        typos = {i for _, _, i in extract(x, keys, scorer=ratio, score_cutoff=_TYPO_CUTOFF, limit=None)}
        return [pid for i, (pid, k) in enumerate(zip(bucket, keys)) if not k or k[0] in initials or i in typos]

    def _fits(self, name: NameParts, address: str, domain: str) -> dict[str, str]:
        """People at a company domain who may own a new address there, each with the reason."""
        local, _, host = address.rpartition("@")
        plain = _MIDDLE_INITIAL.sub(r"\1", local)  # bob.x.hunter@ is how Bob Hunter writes with a middle initial
        fits: dict[str, str] = {}
        candidates: set[str] = set()
        by_family = self._at_domain.get(domain, {})
        for size in range(2, _FAMILY_KEY + 1):  # people whose family name starts somewhere in the local part
            for i in range(len(local) - size + 1):
                if found := by_family.get(local[i:i + size]):
                    candidates |= found
        for pid in sorted(candidates):  # one order: a set's follows the string hashing
            theirs = self._names[pid]
            forms = local_forms(theirs)
            if pid in self._merged or (local not in forms and plain not in forms):
                continue
            if not name.full or _agree(name, theirs):
                fits[pid] = f"<{local}@> is how '{theirs.full}' is written"
        for pid in self._by_family.get(fold(name.family), ()) if name.family else ():
            if pid not in fits and pid not in self._merged and domain in self._domains[pid] \
                    and name_similarity(name, self._names[pid]) >= MERGE:
                fits[pid] = f"display name '{name.full}' matches '{self._names[pid].full}'"
        for form in local_forms(name):  # someone known here only by an address this name produces
            pid = self._person_of.get(f"{form}@{host}")
            if pid and pid in self._unnamed and pid not in fits:
                fits[pid] = f"'{name.full}' is how <{form}@{host}> is written"
        return {pid: why for pid, why in fits.items() if not self._numbered_at(pid, host)}

    def _numbered_at(self, pid: str, host: str) -> bool:
        """Every address the person has at this host is a numbered account (jsmith2@)."""
        mine = [a for a in self._addresses.get(pid, ()) if a.endswith("@" + host)]
        return bool(mine) and all(is_numbered(a.rpartition("@")[0]) for a in mine)

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
        self._add_address(pid, address)

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
        best, best_score = self._most_similar(name, exclude=pid)
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

    def fill_name(self, pid: str, display: str, prov: Provenance, address: str = "") -> None:
        """A record that names a known person (a contact card, a display name in a later message):
        fills their name where it is empty; a name already stored is never overwritten. When the name
        now says they are the one other person known at their company it fits (as for a new address),
        the two are merged after the batch; when several fit, the pairs go to review."""
        name = parse_name(display, address)
        if not name.full or "@" in display:
            return
        person = self.pending.people.get(pid) or Person(pid, provenance=prov)
        if not person.name:
            person.name, person.given_name, person.family_name = name.full, name.given, name.family
        self.pending.people[pid] = person
        if pid not in self._unnamed and self._names.get(pid, _NO_NAME).full:
            return
        self._unnamed.discard(pid)
        self._learn(pid, name.full, [], name)
        for email in self._addresses.get(pid, ()):
            domain = registrable_domain(domain_of(email)) or domain_of(email)
            if not _is_company(domain):
                continue
            fits = {o: why for o, why in self._fits(name, email, domain).items() if o != pid}
            if len(fits) == 1 and not is_numbered(email.rpartition("@")[0]) and len(self._addresses[pid]) == 1:
                [(other, why)] = fits.items()
                self._merge_later(other, pid, f"{why} at {domain}, once <{email}> was named '{name.full}'")
                if other in self._unnamed:  # the name travels with the merge
                    self.fill_name(other, name.full, prov)
                return
            for other, why in fits.items():
                self.pending.reviews.append(ReviewItem(other, pid, 0.9, f"{why} at {domain}: <{email}> was "
                                                       f"named later", int(time.time())))

    def link_personal(self, a: str, a_address: str, b: str, b_address: str, why: str) -> None:
        """Mail went between two addresses and no one else (``why``: a forward to oneself). When one
        is free-mail, the other a company's, the free-mail one is that person's only address and the
        names agree (the same full name, or the free-mail mailbox is how the other's name is written),
        it is merged into the other person by ``settle``, an audited MERGE event."""
        if a == b or a in self._merged or b in self._merged:
            return
        if is_personal_domain(domain_of(a_address)) == is_personal_domain(domain_of(b_address)):
            return
        keep, other, personal = (a, b, b_address) if is_personal_domain(domain_of(b_address)) else (b, a, a_address)
        theirs, mine = self._names.get(keep, _NO_NAME), self._names.get(other, _NO_NAME)
        if not theirs.full or self._addresses[other] != [personal]:
            return
        local = personal.rpartition("@")[0].rstrip("0123456789")
        if mine.full and name_similarity(mine, theirs) < MERGE:
            return
        if not mine.full and local not in local_forms(theirs):
            return
        self._merge_later(keep, other, f"{why} between <{personal}> and {theirs.full}'s address")

    def link_signed(self, pid: str, address: str, org: str, prov: Provenance) -> None:
        """A free-mail sender signs with a name and a company: when exactly one person known at that
        company's domains has the same name (>= names.MERGE, given names agreeing), the free-mail
        address is theirs (their own signature), merged by ``settle``. Checked once per person."""
        if pid in self._signed or pid in self._merged or not is_personal_domain(domain_of(address)):
            return
        self._signed.add(pid)
        name = self._names.get(pid, _NO_NAME)
        if not name.full or self._addresses.get(pid) != [address]:
            return
        bucket = self._by_family.get(fold(name.family), []) if name.family else []
        same = [c for c in (self._may_review(name, bucket) if len(bucket) > _SCAN else bucket)
                if c != pid and c not in self._merged and name_similarity(name, self._names[c]) >= MERGE
                and _agree(name, self._names[c])
                and any(self.org_of_address(a, prov) == org for a in self._addresses.get(c, ()))]
        if len(same) == 1:
            self._merge_later(same[0], pid, f"<{address}> signs as {name.full} of the same company")

    def _merge_later(self, keep: str, other: str, why: str) -> None:
        """Fold ``other`` (whose addresses are all in this run's cache) into ``keep`` after the batch."""
        self._merged.add(other)
        self.pending.merges[other] = (keep, why)
        for address in self._addresses.pop(other, []):
            self._person_of[address] = keep
            self._add_address(keep, address)
        self._unnamed.discard(other)

    def settle(self) -> None:
        """Apply the merges and splits found while resolving, once the batch's records are written
        (each reader calls it after its writes)."""
        for other, (keep, why) in self.pending.merges.items():
            try:
                merge_people(self.store, keep, other, why, actor="kith")
            except KithError:  # one of them was erased or merged by hand meanwhile: nothing to do
                continue
        for pid, address, name, why in self.pending.splits:
            try:
                split_person(self.store, pid, [address], why, actor="kith", name=name)
            except KithError:
                continue
        self.pending.merges.clear()
        self.pending.splits.clear()

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
        self._given_key[pid] = _letters(fold(name.given)).lower()
        if name.family:
            self._by_family[fold(name.family)].append(pid)
        if not name.full:
            self._unnamed.add(pid)
        for domain in self._domains[pid]:
            self._index_at(pid, domain)
        for email in emails:
            self._add_address(pid, email)

    def _add_address(self, pid: str, address: str) -> None:
        self._addresses[pid].append(address)
        domain = registrable_domain(domain_of(address)) or domain_of(address)
        if domain not in self._domains[pid]:
            self._domains[pid].add(domain)
            self._index_at(pid, domain)

    def _index_at(self, pid: str, domain: str) -> None:
        """Index a named person under their company domain and the start of their family name."""
        family = "".join(c for c in fold(self._names[pid].family) if c.isalpha())
        if len(family) >= 2 and _is_company(domain):
            self._at_domain[domain][family[:_FAMILY_KEY]].add(pid)

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
            stored = (self._stored_org_of_domain[registrable] if registrable in self._stored_org_of_domain
                      else self.store.orgs_by_domain([registrable]).get(registrable))
            org = stored or self.organization(display, key, prov, registrable, guessed=True)
        self._org_of_domain[domain] = org
        return org

    def organization(self, display: str, key: str, prov: Provenance, domain: str = "", guessed: bool = False) -> str:
        """The organisation under a normalised name, created if new. ``guessed``: the name is read off a
        domain, and a written name (a signature's, a record's) replaces it."""
        oid = self._org_of_key.get(key)
        if oid is None:
            stored = (self._stored_org_of_key[key] if key in self._stored_org_of_key
                      else self.store.orgs_by_normalized_name([key]).get(key))
            oid = self._org_of_key[key] = stored or ids.org_id(key)
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
        # Review items before the people they are about: a store that commits write by write (Neo4j) and
        # dies between the two keeps the items (queued again, as a no-op, when the ingest resumes), never
        # new people without them (the resumed ingest finds those people known and queues nothing).
        queued = self.store.add_review_items(p.reviews) if p.reviews else 0
        # Attaches before the people too, for the same reason: written twice they are recorded once.
        record_attaches(self.store, p.attaches)
        if p.orgs:
            self.store.upsert_organizations(list(p.orgs.values()))
        if p.people:
            self.store.upsert_people(list(p.people.values()))
        if p.works_at:
            self.store.add_works_at(list(p.works_at.values()))
        created, self._created = self._created, 0
        self.pending = Pending(merges=p.merges, splits=p.splits)  # applied by settle after the mail
        return created, queued



@lru_cache(maxsize=65536)
def _is_company(domain: str) -> bool:
    return organization_from_domain(domain) is not None


def _agree(a: NameParts, b: NameParts) -> bool:
    """Two names that may be one person's: similar enough, with given names that do not conflict
    (Jane / J. / Bob for Robert agree; Jane / John and Bill / Robert do not)."""
    if name_similarity(a, b) < REVIEW:
        return False
    x, y = (_letters(fold(n.given)) for n in (a, b))
    if len(x) < 2 or len(y) < 2:
        return not x or not y or x[0] == y[0]
    return x == y or y in given_variants(x) or x.startswith(y) or y.startswith(x)


def _letters(text: str) -> str:
    return "".join(c for c in text if c.isalpha())
