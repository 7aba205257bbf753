"""What of a document may be shown as evidence: the one rule every ranked answer uses.

The store already holds only what the privacy mode let through (no body outside "full"; in
"metadata" only the subject). Above that, each colleague chooses what others see of their interactions
(``Person.sharing``), and a document shows what its most private colleague allows:

- ``all``: a snippet of the subject and body (the body only where the store kept one);
- ``subjects``: the subject alone (a deal's name counts as its subject), never body text;
- ``hide``: no snippet at all, only the document's id.

A document with no colleague on it (a note between two contacts, say) shows everything the store holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from kith.graph.model import Sharing
from kith.graph.text import fold

SNIPPET_CHARS = 160
_ORDER = {Sharing.ALL: 0, Sharing.SUBJECTS: 1, Sharing.HIDE: 2}


class Sharer(Protocol):
    """A person as far as sharing goes (``graph.model.Person`` is one)."""

    @property
    def is_internal(self) -> bool: ...
    @property
    def sharing(self) -> str: ...


def document_sharing(participant_ids: Iterable[str], people: Mapping[str, Sharer]) -> Sharing:
    """The sharing a document gets: the strictest of its colleagues' settings."""
    level = Sharing.ALL
    for pid in participant_ids:
        person = people.get(pid)
        if person is not None and person.is_internal and _ORDER[person.sharing] > _ORDER[level]:
            level = Sharing(person.sharing)
    return level


def snippet(subject: str, body: str, sharing: Sharing, terms: Sequence[str] = (), width: int = SNIPPET_CHARS) -> str:
    """The text a document may show under ``sharing``: at most ``width`` characters, the body cut
    around the first of ``terms`` (folded query words) it contains."""
    if sharing == Sharing.HIDE:
        return ""
    subject = " ".join(subject.split())
    if sharing == Sharing.SUBJECTS or not body:
        return _cut(subject, width)
    flat = " ".join(body.split())
    room = max(width - len(subject) - 3, 40) if subject else width
    folded = fold(flat)
    hits = [n for n in (folded.find(t) for t in terms if t) if n >= 0]
    start = 0
    if hits and len(folded) == len(flat):  # folding kept the positions: cut around the first hit
        start = max(0, min(hits) - room // 3)
    part = _cut(flat[start:], room)
    if start:
        part = "…" + part
    return _cut(f"{subject} — {part}" if subject else part, width + 1)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
