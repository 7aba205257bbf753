"""Find people and organisations by name, address or domain.

Every query word must begin a word of the name, of an address or of a domain ("ana alv" finds Ana
Alves; "acme.co" finds Acme by its domain), compared folded (case and accents ignored). Exact name
matches rank first, then people the firm knows, then by name. The index is held in memory per store
and rebuilt when the store has changed, at most every ``REFRESH_S`` seconds, so a running ingest does
not make every search rebuild it.
"""

from __future__ import annotations

import re
import threading
import time
import weakref
from dataclasses import dataclass

from kith.graph.memo import per_generation
from kith.graph.scope import EVERYTHING, Scope
from kith.graph.store import Store
from kith.graph.text import fold

REFRESH_S = 10.0
_WORDS = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class Match:
    kind: str  # "person" | "organization"
    id: str
    name: str
    detail: str  # an address or domain


@dataclass(frozen=True, slots=True)
class _Entry:
    match: Match
    name_key: str
    words: tuple[str, ...]
    internal: bool
    hidden: bool  # opted out or blocked: never shown to others


class _Index:
    def __init__(self, store: Store):
        entries = []
        for p in store.iter_people():
            words = _words(p.name, *p.emails)
            entries.append(_Entry(Match("person", p.id, p.name, p.emails[0] if p.emails else ""), fold(p.name),
                                  words, p.is_internal, p.opted_out or p.blocked))
        for o in store.iter_organizations():
            words = _words(o.name, *o.domains)
            entries.append(_Entry(Match("organization", o.id, o.name, o.domains[0] if o.domains else ""),
                                  fold(o.name), words, False, False))
        self.entries = entries


def _words(*texts: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(w for t in texts for w in _WORDS.findall(fold(t))))


_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _index(store: Store) -> _Index:
    with _LOCK:
        generation, built, index = _CACHE.get(store, (None, 0.0, None))
        if index is None or (generation != store.generation() and time.monotonic() - built > REFRESH_S):
            generation, index = store.generation(), _Index(store)
            _CACHE[store] = (generation, time.monotonic(), index)
        return index


@per_generation()
def search(store: Store, text: str, *, scope: Scope = EVERYTHING, limit: int = 20) -> list[Match]:
    """People and organisations matching ``text``, best first."""
    query = _WORDS.findall(fold(text))
    if not query or limit <= 0:
        return []
    whole = " ".join(query)
    found = []
    for e in _index(store).entries:
        if e.hidden or not all(any(w.startswith(q) for w in e.words) for q in query):
            continue
        visible = scope.sees_person(e.match.id) if e.match.kind == "person" else scope.sees_org(e.match.id)
        if visible:
            found.append((e.name_key != whole, not e.internal, e.match.name, e.match.id, e.match))
    found.sort()
    return [row[-1] for row in found[:limit]]
