"""How well ``experts`` ranks on a firm's own labelled topics, beside two baselines from the same run.

A labelled set maps each topic to the people who know it, by address, with a graded relevance
(1 = knows something, 3 = the person to ask): ``{"export controls": {"ana@firm.com": 3, ...}}``.
Three scorers rank the same candidates (colleagues, or everyone; never people who opted out, are
blocked, or are role, list and no-reply addresses) from the same stored text:

- ``kith``: ``graph.expertise.experts``;
- ``bm25``: the store's own full-text score (BM25 in SQLite) of every matching document, summed over
  everyone on it, whatever their role: the plain search engine;
- ``most active``: everyone by the number of personal interactions they sent, whatever the topic.

Lists and broadcasters (``graph.expertise.mailboxes``) are told from the documents a query read, so
``most active``, which reads none, can rank a busy digest sender.

Metrics, averaged over topics: NDCG@10 with graded gains (gain = grade, discount log2(rank + 1)),
MAP (relevant = grade > 0; precision at each relevant rank, over all relevant people) and P@5.
A labelled person the store does not know still counts in the ideal ranking: missing them costs.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kith.graph import expertise
from kith.graph.errors import KithError
from kith.graph.model import Category, Role
from kith.graph.settings import PrivacyMode
from kith.graph.store import Store
from kith.graph.text import query_phrases

DEPTH = 100  # ranks read per topic (MAP looks this deep)
SCORERS = ("kith", "bm25", "most active")
_SENT = (Role.FROM, Role.ORGANIZER, Role.AUTHOR)


def ndcg(ranked: Sequence[str], gains: Mapping[str, float], k: int = 10) -> float:
    ideal = sorted((g for g in gains.values() if g > 0), reverse=True)[:k]
    best = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    got = sum(gains.get(p, 0) / math.log2(i + 2) for i, p in enumerate(ranked[:k]))
    return got / best if best else 0.0


def average_precision(ranked: Sequence[str], relevant: set[str]) -> float:
    hits, total = 0, 0.0
    for i, p in enumerate(ranked):
        if p in relevant:
            hits += 1
            total += hits / (i + 1)
    return total / len(relevant) if relevant else 0.0


def precision_at(ranked: Sequence[str], relevant: set[str], k: int = 5) -> float:
    return sum(1 for p in ranked[:k] if p in relevant) / k


@dataclass
class Figures:
    ndcg10: float = 0.0
    map: float = 0.0
    p5: float = 0.0

    def as_dict(self) -> dict:
        return {"ndcg@10": round(self.ndcg10, 4), "map": round(self.map, 4), "p@5": round(self.p5, 4)}


@dataclass
class Report:
    topics: int
    labels: int  # (topic, person) pairs
    unknown: int  # labelled addresses the store has no person for
    scorers: dict[str, Figures] = field(default_factory=dict)
    per_topic: dict[str, dict[str, float]] = field(default_factory=dict)  # topic -> scorer -> NDCG@10
    notice: str = ""  # what the ranking read, when it must be said (``expertise.notice``)

    def as_dict(self) -> dict:
        return {"topics": self.topics, "labels": self.labels, "unknown_addresses": self.unknown,
                "scorers": {name: f.as_dict() for name, f in self.scorers.items()}, "per_topic": self.per_topic,
                "notice": self.notice}


def read_labels(path: str | Path) -> dict[str, dict[str, float]]:
    """A labels file: a JSON object of topic -> {address: grade}."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KithError(f"Cannot read the labels {path}: {exc}. Write them as JSON: "
                        '{"topic": {"person@firm.com": 3, ...}, ...}.') from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise KithError(f"The labels {path} must be a JSON object of topic -> {{address: grade}}.")
    return {str(t): {str(a).strip().lower(): float(g) for a, g in v.items()} for t, v in data.items()}


def evaluate(store: Store, labels: Mapping[str, Mapping[str, float]], *, internal_only: bool = True,
             now: int | None = None, privacy: PrivacyMode = PrivacyMode.TOPICS) -> Report:
    """Rank every labelled topic with the three scorers and average their figures; ``privacy`` is the
    mode the store was written in (``metadata``: the report says it ranked from subjects only)."""
    if not labels:
        raise KithError("The labelled set has no topics.")
    addresses = {a for g in labels.values() for a in g}
    person_of = store.people_by_email(addresses)
    eligible = expertise.Eligibility(store, internal_only)
    active = _most_active(store, eligible)
    report = Report(len(labels), sum(len(g) for g in labels.values()), len(addresses - set(person_of)),
                    notice=expertise.notice(privacy))
    sums = {name: Figures() for name in SCORERS}
    for topic, graded in labels.items():
        gains: dict[str, float] = defaultdict(float)
        for address, g in graded.items():
            key = person_of.get(address, "?" + address)  # aliases of one person are one person
            gains[key] = max(gains[key], g)
        relevant = {p for p, g in gains.items() if g > 0}
        rankings = {
            "kith": [e.person_id for e in expertise.experts(store, topic, limit=DEPTH, internal_only=internal_only,
                                                            now=now)],
            "bm25": _bm25_sum(store, topic, eligible),
            "most active": active,
        }
        report.per_topic[topic] = {}
        for name, ranked in rankings.items():
            f = sums[name]
            score = ndcg(ranked, gains)
            f.ndcg10 += score
            f.map += average_precision(ranked[:DEPTH], relevant)
            f.p5 += precision_at(ranked, relevant)
            report.per_topic[topic][name] = round(score, 4)
    n = len(labels)
    report.scorers = {name: Figures(f.ndcg10 / n, f.map / n, f.p5 / n) for name, f in sums.items()}
    return report


def _bm25_sum(store: Store, topic: str, eligible: expertise.Eligibility) -> list[str]:
    hits = store.search_text(query_phrases(topic), limit=expertise.MAX_HITS)
    items = store.get_interactions([h.doc_id for h in hits if h.kind != "deal"])
    deals = store.get_deals([h.doc_id for h in hits if h.kind == "deal"])
    score: dict[str, float] = defaultdict(float)
    documents: list[tuple[dict[str, str], bool]] = []
    for h in hits:
        if h.kind == "deal":
            roles = {r.person_id: str(r.role) for r in deals[h.doc_id].roles} if h.doc_id in deals else {}
            reply = False
        else:
            item = items.get(h.doc_id)
            ok = item is not None and item.category == Category.PERSONAL
            roles = {p.person_id: str(p.role) for p in reversed(item.participants)} if ok else {}
            reply = ok and bool(item.parent_id)
        documents.append((roles, reply))
        for pid in roles:
            score[pid] += h.score
    ranked = sorted(score, key=lambda p: (-score[p], p))
    ok = eligible(ranked, documents)
    return [p for p in ranked if p in ok][:DEPTH]


def _most_active(store: Store, eligible: expertise.Eligibility) -> list[str]:
    sent: dict[str, int] = {}
    for p in store.iter_people():
        sent[p.id] = sum(1 for i in store.interactions_of(p.id) if i.category == Category.PERSONAL
                         and any(x.person_id == p.id and x.role in _SENT for x in i.participants))
    ranked = sorted((p for p in sent if sent[p]), key=lambda p: (-sent[p], p))
    ok = eligible(ranked)
    return [p for p in ranked if p in ok][:DEPTH]
