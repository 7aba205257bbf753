"""Expertise: who knows about a topic, judged by the documents they took part in.

Document-centric ranking in the style of Balog et al. (2006), Model 2, with a recency prior:

    score(ca | q) = Σ_d  match(q, d) · prior(d) · a(ca, d)

- The documents d are the interactions and deals the store's full-text search finds for the topic,
  dated before ``as_of`` when one is given, at most ``MAX_HITS`` of them (the store's best). Bulk mail,
  mailing lists, bounces and automated replies are skipped: they say nothing about anyone's expertise.
- match(q, d) is BM25 over the tokens ``graph.text`` indexes (stemmed words, CJK bigram phrases),
  computed here from the hit's text and not taken from the store, whose scores differ between SQLite
  (FTS5) and Neo4j (Lucene), so both stores rank identically. A subject's words count four times (a
  light BM25F: the subject names the thread, and a reply's is its question's): measured against
  twice, +0.009/+0.014 NDCG@10 on Stack Exchange (full/topics), -0.002 to +0.015 on the firms;
  three, five and seven times gained +0.003, +0.008 and +0.009 on average over those twelve: more
  adds little. Document frequencies and the mean length come from the hits; k1 = 1.2, b = 0.75.
- prior(d) = 0.5 ** (age / HALF_LIFE_DAYS), age counted back from ``as_of`` (or now). On the
  development sets (``bench/experts_quality.py``) a year's half-life cost NDCG and two years cost
  nothing against none; expertise does fade, so two years. Undated documents count one half-life old.
- a(ca, d), how much the document says about one person, is their role's weight (``ROLE_WEIGHTS``):
  whoever wrote it (sender, author, organiser, our deal team) is the evidence of knowing; a recipient
  read it, or was asked because they know; a cc'd one may have read it. Nobody's credit is divided
  by the number of people on it (that gave a 40-person mail's author 1/40), but every role's weight
  is gently damped by the readers, / (1 + 0.5 ln readers): a mail to thirty (a roundup, a status
  mail naming six matters, a pitch) says less about its author's knowledge than an answer to one.
  Damping the author too was measured +0.08 to +0.16 NDCG@10 on the five generated firms and no
  change on the Stack Exchange set (1.0 in place of 0.5 within 0.02). A reader of a reply gets a
  tenth: a reply goes back to whoever asked, and asking is not knowing. For the same reason the
  author of a question (a new mail whose subject asks, "?", or that a reply among the documents
  read answers) gets 0.3: measured +0.06 NDCG@10 on the Stack Exchange set (0.1-0.5 all within
  0.01), within 0.02 on the firms. So does an asker's follow-up, a reply by whoever started the
  thread (found up the chain of replies, read from the store where the documents do not hold it),
  and its readers, the ones asked again, keep a recipient's weight: measured +0.054 to +0.087
  NDCG@10 on the five firms in both modes, -0.006 on Stack Exchange (where an asker's own later
  answer is labelled expertise); no credit at all for follow-ups gained 0.01 more on the firms and
  cost Stack Exchange 0.013. Someone in several roles takes their strongest; a declined invitation
  counts nothing.
- A person's sum over the n matching documents they are on is divided by √n: being on everything
  (cc'd on every status mail that names the topic) does not outweigh a few documents that are about
  it. Measured: +0.06 NDCG@10 on the Stack Exchange set; √n beat n^0.25 and n there. On the
  generated firms it cost 0.03-0.08 against no division until authors were damped by readers too;
  with that, n^0.4, √n and n^0.6 are within 0.03 on every set.

Candidates are colleagues by default ("who here knows about X"); ``internal_only=False`` ranks
everyone. People who opted out or are blocked are never ranked, nor are mailboxes that are not a
person: role and no-reply addresses (info@, noreply@), distribution lists (written to by three or
more people, never writing) and broadcasters (writing to ten or more, never replying, never written
to), judged from the documents the query read: an answer ``as_of`` a day sees only what was known
then, and no store call is added (reading a busy colleague's KNOWS edges took 100 ms). A list that
fewer than three people wrote to about the topic is not recognised. Aliases are one person already
(identity resolution). Scores are scaled so the best expert has 1.0; each expert carries the score's
parts (``Parts``) and the documents that carried it, with the snippets the privacy mode and the
colleagues' sharing allow (``graph.evidence``).
"""

from __future__ import annotations

import math
import re
import threading
import time
import weakref
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from kith.graph.errors import KithError
from kith.graph.evidence import document_sharing, snippet
from kith.graph.mailboxes import is_role_or_noreply
from kith.graph.memo import per_generation
from kith.graph.model import Attendance, Category, DealRoleKind, Role, TextHit
from kith.graph.scope import EVERYTHING, Scope
from kith.graph.store import Store
from kith.graph.strength import DAY
from kith.graph.text import CJK, fold, folded_phrases, phrases, query_phrases, stems

if TYPE_CHECKING:
    from kith.graph.paths import WarmPath
    from kith.graph.settings import PrivacyMode

MAX_HITS = 300  # documents read per query, the store's most relevant first
HALF_LIFE_DAYS = 730.0
EVIDENCE_PER_PERSON = 3
K1, B = 1.2, 0.75  # BM25
SUBJECT_BOOST = 3.0  # a subject's words count this much again
READER_DAMPING = 0.5  # everyone's weight on a document / (1 + this × ln(its readers))
ASKER = 0.3  # the author of a question
VOLUME_DAMPING = 0.5  # a person's sum over their n matching documents is divided by n ** this
REPLY_READER = 0.1  # a reader of a reply: most often the one who asked
THREAD_DEPTH = 6  # replies followed up a thread to find who started it
ROLE_WEIGHTS: dict[str, float] = {
    Role.FROM: 1.0,
    Role.ORGANIZER: 1.0,
    Role.AUTHOR: 1.0,
    Role.TO: 0.5,
    Role.ATTENDEE: 0.5,
    Role.CC: 0.1,
    Role.SUBJECT: 0.1,  # the person a note is about
    Role.BCC: 0.05,
    DealRoleKind.TEAM_MEMBER: 1.0,  # ours, working the deal
    DealRoleKind.DECISION_MAKER: 0.3,
    DealRoleKind.CHAMPION: 0.3,
    DealRoleKind.INFLUENCER: 0.3,
    DealRoleKind.ECONOMIC_BUYER: 0.3,
}
_READERS = frozenset({Role.TO, Role.CC, Role.BCC, Role.ATTENDEE})


@dataclass(frozen=True, slots=True)
class Evidence:
    doc_id: str
    kind: str  # email | meeting | call | note | deal
    occurred_at: int | None
    role: str  # the person's part in it
    weight: float  # this document's share of the person's score
    snippet: str  # "" when the sharing rule hides it


@dataclass(frozen=True, slots=True)
class Parts:
    """Why a score is what it is: score ∝ topical × role × recency."""

    topical: float  # the summed topical match (BM25) of the person's n matching documents, / √n
    role: float  # 0-1: their role's weight, averaged over those documents by match and recency
    recency: float  # 0-1: the recency prior, averaged over those documents by match

    def as_dict(self) -> dict:
        return {"topical": round(self.topical, 6), "role": round(self.role, 6), "recency": round(self.recency, 6)}


@dataclass(frozen=True, slots=True)
class Expert:
    person_id: str
    name: str
    emails: list[str]
    score: float  # relative: the best expert for the query has 1.0
    documents: int  # how many matching documents they took part in
    evidence: list[Evidence] = field(default_factory=list)
    parts: Parts = Parts(0.0, 0.0, 0.0)

    def as_dict(self) -> dict:
        return {
            "id": self.person_id, "name": self.name, "emails": self.emails, "score": round(self.score, 6),
            "documents": self.documents, "parts": self.parts.as_dict(),
            "evidence": [
                {"id": e.doc_id, "kind": e.kind, "occurred_at": e.occurred_at, "role": e.role,
                 "weight": round(e.weight, 6), "snippet": e.snippet}
                for e in self.evidence
            ],
        }


@dataclass(slots=True)
class _Doc:
    hit: TextHit
    match: float = 0.0  # BM25 of the topic in the document
    prior: float = 1.0  # recency
    roles: dict[str, str] = field(default_factory=dict)  # person -> strongest role
    subject: str = ""
    body: str = ""
    reply: bool = False  # a reply: its readers are mostly whoever asked
    asks: bool = False  # a question: a new mail whose subject asks, or that a read reply answers
    parent: str = ""  # the interaction it replies to


@per_generation()
def experts(
    store: Store,
    topic: str,
    *,
    limit: int = 10,
    as_of: int | None = None,
    now: int | None = None,
    internal_only: bool = True,
    max_hits: int = MAX_HITS,
    half_life_days: float = HALF_LIFE_DAYS,
    evidence_per_person: int = EVIDENCE_PER_PERSON,
    scope: Scope = EVERYTHING,
) -> list[Expert]:
    """The people who know most about ``topic``, best first, each with their best evidence.

    ``as_of`` answers as of that moment: only documents dated before it count, and ages are measured
    from it. ``now`` (default: ``as_of``, else the clock) only sets the ages. Documents that involve
    anything behind the reader's walls (``scope``) are not read at all."""
    terms = _query_terms(topic)
    now = now if now is not None else as_of if as_of is not None else int(time.time())
    hits = store.search_text(query_phrases(topic), limit=max_hits, before=as_of)
    docs = _documents(store, hits, as_of, scope)
    if not docs:
        return []
    _relevance(docs, terms, now, half_life_days)
    _questions(store, docs)
    people = _people(store, {pid for d in docs for pid in d.roles})

    raw: dict[str, float] = defaultdict(float)
    found: dict[str, list[tuple[float, _Doc]]] = defaultdict(list)
    for d in docs:
        readers = sum(1 for r in d.roles.values() if r in _READERS)
        for pid, role in d.roles.items():
            p = people.get(pid)
            if p is None or not _rankable(p, internal_only):
                continue
            contribution = d.match * d.prior * _association(role, readers, d.reply, d.asks)
            if contribution > 0:
                raw[pid] += contribution
                found[pid].append((contribution, d))
    for pid, mine in found.items():
        raw[pid] /= len(mine) ** VOLUME_DAMPING

    skip = mailboxes((d.roles, d.reply) for d in docs)
    ranked = sorted((pid for pid in raw if pid not in skip), key=lambda pid: (-raw[pid], pid))[:limit]
    if not ranked:
        return []
    top = raw[ranked[0]]
    named = store.get_people(ranked)
    folded = [w for w in fold(topic).split() if len(w) > 1]  # as written: a snippet shows words, not stems
    result = []
    for pid in ranked:
        p = named[pid]
        mine = found[pid]
        total = sum(c for c, _ in mine)
        best = sorted(mine, key=lambda cd: (-cd[0], cd[1].hit.doc_id))[:evidence_per_person]
        evidence = [
            Evidence(
                d.hit.doc_id, d.hit.kind, d.hit.occurred_at, d.roles[pid], c / total,
                snippet(d.subject, d.body, document_sharing(d.roles, people), folded),
            )
            for c, d in best
        ]
        topical = sum(d.match for _, d in mine)
        recent = sum(d.match * d.prior for _, d in mine)
        parts = Parts(topical / len(mine) ** VOLUME_DAMPING, total / recent if recent else 0.0,
                      recent / topical if topical else 0.0)
        result.append(Expert(pid, p.name, list(p.emails), raw[pid] / top, len(mine), evidence, parts))
    return result


def notice(privacy: PrivacyMode) -> str:
    """What an answer ranked under ``privacy`` must say about the text it read ('' when nothing): a
    ``metadata`` store keeps no body text, so its experts are ranked from subjects alone."""
    return "" if privacy.keeps_content else "Ranked from subjects only: metadata privacy keeps no message text."


_PEOPLE_KEPT = 200_000
_people_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


class _Who(NamedTuple):
    """What ranking needs of a person. Plain values only, so the garbage collector stops tracking
    the cached records: a cache of Person objects made every full collection walk them all."""

    is_internal: bool
    opted_out: bool
    blocked: bool
    sharing: str
    role_address: bool  # every address is a role or no-reply one (info@, noreply@ ...)


def _people(store: Store, ids: set[str]) -> dict[str, _Who]:
    """Who each of ``ids`` is, remembered per store until its generation changes: the same
    colleagues sit on most matching documents."""
    generation = store.generation()
    with _cache_lock:
        entry = _people_cache.get(store)
        if entry is None or entry[0] != generation:
            entry = (generation, {})
            _people_cache[store] = entry
        cache: dict[str, _Who | None] = entry[1]
        missing = [pid for pid in ids if pid not in cache]
    if missing:
        found = store.get_people(missing)
        with _cache_lock:
            if len(cache) + len(missing) > _PEOPLE_KEPT:
                cache.clear()
            for pid in missing:
                p = found.get(pid)
                cache[pid] = None if p is None else _Who(
                    p.is_internal, p.opted_out, p.blocked, p.sharing.value,
                    bool(p.emails) and all(is_role_or_noreply(e) for e in p.emails))
    return {pid: p for pid in ids if (p := cache.get(pid)) is not None}


LIST_SENDERS = 3  # a mailbox that never writes but is written to by this many people is a list or shared inbox
BROADCAST_RECIPIENTS = 10  # one that writes to this many, never replies and is never written to: a digest
_WRITERS = frozenset({Role.FROM, Role.AUTHOR, Role.ORGANIZER})


def mailboxes(documents: Iterable[tuple[Mapping[str, str], bool]]) -> set[str]:
    """Who among the people on ``documents`` (each a map of person -> role, and whether it is a reply)
    is a distribution list, a shared inbox or a broadcaster, judged by how they take part in them: a
    list is written to by several people and never writes; a digest writes to many, never replies and
    is never written to (one who answers many askers on a list replies). Judged from the documents the
    query read, so an answer ``as_of`` a day sees only what was known then."""
    wrote_to: dict[str, set[str]] = defaultdict(set)
    written_by: dict[str, set[str]] = defaultdict(set)
    replied: set[str] = set()
    for roles, reply in documents:
        writers = [p for p, r in roles.items() if r in _WRITERS]
        readers = [p for p, r in roles.items() if r in _READERS]
        for w in writers:
            wrote_to[w].update(readers)
            if reply:
                replied.add(w)
        for r in readers:
            written_by[r].update(writers)
    return {p for p, by in written_by.items() if len(by) >= LIST_SENDERS and not wrote_to.get(p)} | {
        p for p, to in wrote_to.items()
        if len(to) >= BROADCAST_RECIPIENTS and not written_by.get(p) and p not in replied}


def _rankable(p: _Who, internal_only: bool) -> bool:
    return not p.opted_out and not p.blocked and not p.role_address and (p.is_internal or not internal_only)


class Eligibility:
    """Who of some people may be ranked as experts at all (``graph.expert_eval`` ranks baselines
    over the same candidates)."""

    def __init__(self, store: Store, internal_only: bool = True):
        self.store, self.internal_only = store, internal_only

    def __call__(self, ids: Sequence[str], documents: Iterable[tuple[Mapping[str, str], bool]] = ()) -> set[str]:
        """The rankable of ``ids``, less the mailboxes that ``documents`` (as ``mailboxes`` reads them) show."""
        people = _people(self.store, set(ids))
        ok = {pid for pid in ids if pid in people and _rankable(people[pid], self.internal_only)}
        return ok - mailboxes(documents)


def _query_terms(topic: str) -> list[tuple[str, ...]]:
    terms = list(dict.fromkeys(tuple(p) for p in phrases(topic)))
    if not terms:
        raise KithError(f"Cannot search for {topic!r}: give a topic with at least one word, e.g. \"export controls\".")
    return terms


def _documents(store: Store, hits: list[TextHit], as_of: int | None, scope: Scope = EVERYTHING) -> list[_Doc]:
    """The hits with their people and shown text; non-personal traffic and anything dated on or after
    ``as_of`` dropped (a store's ``before`` already does it; this makes it a guarantee)."""
    hits = [h for h in hits if as_of is None or (h.occurred_at is not None and h.occurred_at < as_of)]
    deal_ids = [h.doc_id for h in hits if h.kind == "deal"]
    items = store.get_interactions([h.doc_id for h in hits if h.kind != "deal"])
    deals = store.get_deals(deal_ids) if deal_ids else {}
    docs = []
    for h in hits:
        d = _Doc(h)
        if h.kind == "deal":
            deal = deals.get(h.doc_id)
            if deal is None or not scope.sees_deal(deal.id, deal.org_id) or not all(
                    scope.sees_person(r.person_id) for r in deal.roles):
                continue
            for r in deal.roles:
                _take(d.roles, r.person_id, r.role)
            d.subject = deal.name
        else:
            item = items.get(h.doc_id)
            if item is None or item.category != Category.PERSONAL or not scope.sees_interaction(item):
                continue
            for p in item.participants:
                if not (p.role == Role.ATTENDEE and p.status == Attendance.DECLINED):
                    _take(d.roles, p.person_id, p.role)
            d.subject, d.body, d.reply, d.parent = item.subject, item.body, bool(item.parent_id), item.parent_id
        docs.append(d)
    return docs


def _take(roles: dict[str, str], pid: str, role: str) -> None:
    if ROLE_WEIGHTS.get(role, 0.0) > ROLE_WEIGHTS.get(roles.get(pid, ""), 0.0):
        roles[pid] = role


def _association(role: str, readers: int, reply: bool, asks: bool = False) -> float:
    """a(ca, d): how much a document says about one person in ``role`` (see the module docstring)."""
    weight = ROLE_WEIGHTS[role] / (1 + READER_DAMPING * math.log(max(readers, 1)))
    if asks and role in _WRITERS:
        weight *= ASKER
    if reply and not asks and role in _READERS:  # a follow-up's readers are the ones asked
        weight *= REPLY_READER
    return weight


def _questions(store: Store, docs: list[_Doc], depth: int = THREAD_DEPTH) -> None:
    """Mark the documents among ``docs`` that ask: a new mail (not a reply) whose subject asks ("?"), or
    that a reply among the documents read answers; and a reply by whoever started its thread (a
    follow-up, "thanks, and what about ..."), found up the chain of replies, read from the store where
    the documents do not hold it (at most ``depth`` replies up)."""
    up: dict[str, tuple[str, str]] = {d.hit.doc_id: (d.parent, _writer(d.roles.items())) for d in docs}
    need = {d.parent for d in docs if d.parent} - up.keys()
    for _ in range(depth):
        if not need:
            break
        for iid, item in store.get_interactions(need).items():
            up[iid] = (item.parent_id, _writer((p.person_id, p.role) for p in item.participants))
        need = {up[i][0] for i in need if i in up and up[i][0]} - up.keys()
    answered = {d.parent for d in docs if d.parent}
    for d in docs:
        if d.hit.kind != "email":
            continue
        if not d.reply:
            d.asks = "?" in d.subject or d.hit.doc_id in answered
            continue
        first, steps = d.parent, 0
        while first in up and up[first][0] and steps < depth:
            first, steps = up[first][0], steps + 1
        author = up[d.hit.doc_id][1]
        d.asks = bool(author) and first in up and up[first][1] == author


def _writer(roles: Iterable[tuple[str, str]]) -> str:
    return next((p for p, r in roles if r in _WRITERS), "")


def _relevance(docs: list[_Doc], terms: list[tuple[str, ...]], now: int, half_life_days: float) -> None:
    """Set each document's BM25 match and recency prior (see the module docstring)."""
    counts: list[tuple[int, list[float]]] = []
    for d in docs:
        tokens = tokens_of(d.hit.text)
        tf: list[float] = [_occurrences(tokens, t) for t in terms]
        if d.subject:
            subject = tokens_of(d.subject)
            tf = [n + SUBJECT_BOOST * _occurrences(subject, t) for n, t in zip(tf, terms)]
        counts.append((len(tokens), tf))
    mean_length = max(sum(n for n, _ in counts) / len(docs), 1.0)
    df = [sum(1 for _, tf in counts if tf[i]) for i in range(len(terms))]
    idf = [math.log(1 + (len(docs) - n + 0.5) / (n + 0.5)) for n in df]
    for d, (length, tf) in zip(docs, counts):
        norm = K1 * (1 - B + B * length / mean_length)
        d.match = sum(w * n * (K1 + 1) / (n + norm) for w, n in zip(idf, tf) if n)
        at = d.hit.occurred_at
        age = half_life_days if at is None else max(0, now - at) / DAY
        d.prior = 0.5 ** (age / half_life_days)


_ASCII_WORD = re.compile(r"[A-Za-z0-9]+")
_NON_ASCII_WORD_CHAR = re.compile(rf"[^\W\x00-\x7f]|[{CJK}]")  # CJK: unassigned code points too


@lru_cache(maxsize=1 << 16)  # the same documents match query after query; callers never modify the list
def tokens_of(text: str) -> list[str]:
    """The tokens ``graph.text`` indexes for ``text``, flattened. Text that folds to ASCII, most of it,
    takes a fast path (there a word is a run of letters and digits), as does text whose only non-ASCII
    characters are punctuation (an en dash); the rest goes through ``graph.text.folded_phrases``."""
    folded = fold(text)
    if folded.isascii() or not _NON_ASCII_WORD_CHAR.search(folded):
        return stems(_ASCII_WORD.findall(folded))
    return [t for phrase in folded_phrases(folded) for t in phrase]


def _occurrences(tokens: list[str], phrase: tuple[str, ...]) -> int:
    if len(phrase) == 1:
        return tokens.count(phrase[0])
    n = len(phrase)
    first = phrase[0]
    return sum(1 for i, t in enumerate(tokens) if t == first and tuple(tokens[i : i + n]) == phrase)


# -- experts with a warm path ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExpertPath:
    """An expert, their best warm path to the target, and the two combined."""

    expert: Expert
    path: WarmPath
    path_score: float  # relative: the best path among the experts has 1.0
    score: float  # sqrt(expert.score × path_score)

    def as_dict(self) -> dict:
        p = self.path
        return {
            **self.expert.as_dict(), "expertise": round(self.expert.score, 6), "score": round(self.score, 6),
            "path": {"people": list(p.people), "score": p.score, "hops": len(p.hops),
                     "weakest": min((h.strength for h in p.hops), default=0.0),
                     "introduction": p.introduction, "relative": round(self.path_score, 6)},
        }


@per_generation()
def experts_with_path(
    store: Store,
    topic: str,
    to: str | Sequence[str],
    *,
    limit: int = 10,
    as_of: int | None = None,
    now: int | None = None,
    internal_only: bool = True,
    pool: int = 30,
    max_hops: int = 4,
    scope: Scope = EVERYTHING,
) -> list[ExpertPath]:
    """People who know about ``topic`` and have a warm path to ``to`` (person ids), in one call.

    The best ``pool`` experts are each joined with their own best path (``graph.paths.warm_paths``
    from that expert alone, over one network loaded once, so another expert may relay). The two
    scores, each relative to the best of its kind among them, combine by geometric mean: a strong
    expert with a cool path and a weaker expert with a warm one meet in the middle, and a zero on
    either side stays zero. Experts without any path within ``max_hops`` are left out."""
    from kith.graph.network import load_network
    from kith.graph.paths import warm_paths

    ranked = experts(store, topic, limit=max(pool, limit), as_of=as_of, now=now, internal_only=internal_only,
                     scope=scope)
    targets = {to} if isinstance(to, str) else set(to)
    ranked = [e for e in ranked if e.person_id not in targets]
    if not ranked:
        return []
    network = load_network(store, as_of=as_of, now=None if as_of is not None else now)
    best = {}
    for e in ranked:
        found = warm_paths(store, to, sources=[e.person_id], k=1, max_hops=max_hops, as_of=as_of, network=network,
                           scope=scope)
        if found and found[0].score > 0:
            best[e.person_id] = found[0]
    if not best:
        return []
    top_path = max(p.score for p in best.values())
    joined = [
        ExpertPath(e, best[e.person_id], best[e.person_id].score / top_path,
                   math.sqrt(e.score * best[e.person_id].score / top_path))
        for e in ranked
        if e.person_id in best
    ]
    joined.sort(key=lambda j: (-j.score, j.expert.person_id))
    return joined[:limit]
