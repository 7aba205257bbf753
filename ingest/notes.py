"""Notes: what a colleague records for the firm to remember about a client (preferences, family, the
last conversation), stored as a NOTE interaction: the colleague as AUTHOR, the client as SUBJECT.

Choices:
- The firm asks for notes to be remembered, so their text is kept in topics mode too, unlike an
  email's body: the whole note is the interaction's subject (indexed for search) and its key phrases
  its topics. Full mode also keeps it as the body. Metadata mode keeps no text: the note is stored
  (who noted something about whom, and when) and ``NoteResult.text_kept`` is False, so the caller
  can say so.
- A note's id comes from author, subject, time and text: adding the same note twice adds it once.
- Sharing: notes are read through the same rules as the author's other interactions (the API applies
  ``Person.sharing`` of the AUTHOR); the author is always stored.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from kith.graph import ids
from kith.graph.errors import KithError
from kith.graph.knows import deltas
from kith.graph.model import Interaction, InteractionKind, InteractionWrite, Participant, Provenance, Role
from kith.graph.settings import PrivacyMode, Settings
from kith.graph.store import Store
from kith.ingest.resolve import Resolver
from kith.ingest.topics import key_phrases

NEAREST_SCORE = 80  # rapidfuzz ratio (0-100) of the nearest known address worth suggesting
SUBJECT_CHARS = 2000  # a note longer than this keeps its start as subject; full mode keeps it whole as body


def note_text(text: str, privacy: PrivacyMode | str) -> tuple[str, list[str], str]:
    """(subject, topics, body) of a note's text under a privacy mode (an unknown mode is refused)."""
    privacy = PrivacyMode(privacy)
    text = text.strip()
    if not privacy.keeps_content or not text:
        return "", [], ""
    return text[:SUBJECT_CHARS], key_phrases(text), text if privacy.keeps_body else ""


@dataclass(frozen=True, slots=True)
class NoteResult:
    interaction: Interaction
    new: bool  # False when the same note was already stored
    text_kept: bool


def _require_known(store: Store, addresses: dict[str, str]) -> None:
    """Refuse an address nobody in the graph has, naming the nearest known one."""
    known = store.people_by_email(addresses.values())
    for label, address in addresses.items():
        if address in known or store.erased_hashes([ids.email_hash(address)]):
            continue  # an erased person's address is refused below, with its own message
        from rapidfuzz import process

        emails = (e for person in store.iter_people() for e in person.emails)
        nearest = process.extractOne(address, emails, score_cutoff=NEAREST_SCORE)
        hint = f" Did you mean {nearest[0]}?" if nearest else ""
        raise KithError(f"{label} {address}: nobody with this address is in the graph.{hint} "
                        "Check the address, or give --create to add them as a new person.")


def add_note(store: Store, settings: Settings, about: str, by: str, text: str, at: int | None = None,
             source: str = "kith note add", create: bool = False) -> NoteResult:
    """Store a note by the person at address ``by`` about the person at address ``about``: both known
    to the graph, or with ``create`` new people (so that a typo does not become someone)."""
    if not text.strip():
        raise KithError("The note is empty. Give its text, e.g. kith note add --about ana@acme.com --by you@firm.com \"Prefers morning calls\".")
    resolver = Resolver(store, settings)
    people: dict[str, tuple[str, str]] = {}
    for label, raw in (("--about", about), ("--by", by)):
        address = resolver.normalize(raw.strip())
        if not address:
            raise KithError(f"{label} {raw!r} is not an email address. Give the person's address, e.g. {label} ana@acme.com.")
        people[label] = (address, "")
    if not create:
        _require_known(store, {label: address for label, (address, _) in people.items()})
    resolver.prefetch({address for address, _ in people.values()})
    at = int(time.time()) if at is None else at
    digest = hashlib.sha256(text.strip().encode("utf-8", "surrogatepass")).hexdigest()[:24]
    prov = Provenance("note", source, f"{people['--by'][0]}->{people['--about'][0]}@{at}:{digest}")
    pids = {}
    for label, (address, _) in people.items():
        pid = resolver.person("", address, at, prov)
        if pid is None:
            raise KithError(f"{address} belongs to a person who was erased; Kith keeps nothing about them.")
        pids[label] = pid
    resolver.drain()
    subject, topics, body = note_text(text, settings.privacy)
    item = Interaction(
        id=ids.interaction_id("note", f"{pids['--by']}|{pids['--about']}|{at}|{digest}"),
        kind=InteractionKind.NOTE,
        occurred_at=at,
        participants=[Participant(pids["--by"], Role.AUTHOR, address=people["--by"][0]),
                      Participant(pids["--about"], Role.SUBJECT, address=people["--about"][0])],
        subject=subject, topics=topics, body=body,
        provenance=prov,
    )
    new = store.add_interactions([InteractionWrite(item, tuple(deltas(item)))])
    resolver.settle()
    return NoteResult(item, bool(new), settings.privacy.keeps_content)
