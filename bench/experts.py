"""Expertise query latency over a million interaction texts (target: p95 <= 50 ms on SQLite).

    python bench/experts.py [--docs 1000000] [--queries 300] [--keep FILE]

Builds (or reuses, with --keep) a SQLite store through the Store interface, in batches: 2,000
colleagues and 30,000 outside contacts; each interaction an email, meeting or note about one of
8,000 topics (two or three words from a 3,000-word domain vocabulary, drawn Zipf-like, s = 0.9, so a
few topics are everywhere and most are rare), plus filler words and, in one in twenty, a CJK phrase;
3 % bulk mail. Then times ``graph.expertise.experts`` over random 1-3 word queries (words drawn with
the same Zipf weights, one in ten in CJK) and prints p50/p95/p99, the store's search share of it, and
the hits read per query. The process runs with the API server's garbage-collector settings
(``graph.gc_tuning.settle_gc``).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kith.graph.expertise import experts  # noqa: E402
from kith.graph.knows import deltas  # noqa: E402
from kith.graph.model import (  # noqa: E402
    Category,
    Interaction,
    InteractionKind,
    InteractionWrite,
    Participant,
    Person,
    Role,
)
from kith.graph.gc_tuning import settle_gc  # noqa: E402
from kith.graph.sqlite_store import SQLiteStore  # noqa: E402
from kith.graph.text import query_phrases  # noqa: E402

SYLLABLES = ["ka", "lo", "mi", "re", "to", "sa", "ne", "vu", "di", "po", "ra", "le", "ti", "mo", "gu", "fe", "zi",
             "ba", "no", "she", "pri", "tra", "con", "ex", "port", "dis", "ver", "lan", "gro", "mar"]
CJK = ["出口管制", "数据跨境传输", "合併審査", "개인정보", "知的財産", "反垄断调查", "税务筹划", "労働紛争", "供应链", "株主総会"]
FILLER = ["update", "draft", "call", "follow", "question", "review", "notes", "meeting", "next", "steps", "comments",
          "summary", "agenda", "deadline", "client", "matter", "team", "please", "thanks", "week"]
BATCH = 10_000
DAY = 86_400
T0 = 1_600_000_000


def vocabulary(rng: random.Random, n: int) -> list[str]:
    words: dict[str, None] = {}
    while len(words) < n:
        words["".join(rng.choice(SYLLABLES) for _ in range(rng.choice([2, 3, 3, 4])))] = None
    return list(words)


def zipf_weights(n: int, s: float) -> list[float]:
    return [1 / (k + 1) ** s for k in range(n)]


def build(path: Path, docs: int, seed: int = 3) -> None:
    rng = random.Random(seed)
    words = vocabulary(rng, 3000)
    wweights = zipf_weights(len(words), 0.9)
    topics = [" ".join(rng.choices(words, wweights, k=rng.choice([2, 3]))) for _ in range(8000)]
    tweights = zipf_weights(len(topics), 0.9)
    store = SQLiteStore.open(path)
    colleagues = [f"c{n:05d}" for n in range(2000)]
    contacts = [f"x{n:06d}" for n in range(30_000)]
    store.upsert_people([Person(pid, f"Colleague {pid}", [f"{pid}@firm.example"], is_internal=True) for pid in colleagues])
    for n in range(0, len(contacts), BATCH):
        store.upsert_people([Person(pid, f"Contact {pid}", [f"{pid}@client.example"]) for pid in contacts[n : n + BATCH]])
    start = time.perf_counter()
    made = 0
    while made < docs:
        writes = []
        for _ in range(min(BATCH, docs - made)):
            made += 1
            when = T0 + int(made / docs * 1095 * DAY)
            topic = rng.choices(topics, tweights)[0]
            subject = f"{topic} {' '.join(rng.sample(FILLER, 2))}"
            if rng.random() < 0.05:
                subject += " " + rng.choice(CJK)
            roll = rng.random()
            me = rng.choice(colleagues)
            if roll < 0.75:
                to = rng.sample(contacts, rng.choice([1, 1, 2])) + rng.sample(colleagues, rng.choice([0, 0, 1]))
                parts = [Participant(me, Role.FROM), *(Participant(p, Role.TO) for p in to)]
                parts += [Participant(p, Role.CC) for p in rng.sample(colleagues, rng.choice([0, 0, 1, 2]))]
                kind = InteractionKind.EMAIL
            elif roll < 0.9:
                parts = [Participant(me, Role.ORGANIZER),
                         *(Participant(p, Role.ATTENDEE) for p in rng.sample(contacts, 2) + rng.sample(colleagues, 1))]
                kind = InteractionKind.MEETING
            else:
                parts = [Participant(me, Role.AUTHOR), Participant(rng.choice(contacts), Role.SUBJECT)]
                kind = InteractionKind.NOTE
            category = Category.BULK if rng.random() < 0.03 else Category.PERSONAL
            item = Interaction(f"i{made:07d}", kind, when, parts, subject=subject,
                               topics=[topic], category=category)
            writes.append(InteractionWrite(item, tuple(deltas(item))))
        store.add_interactions(writes)
        if made % 100_000 == 0:
            print(f"  {made:,} interactions ({made / (time.perf_counter() - start):,.0f}/s)", flush=True)
    store.close()
    (path.parent / (path.name + ".words")).write_text("\n".join(words), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--keep", type=Path, help="build into (and reuse) this SQLite file")
    args = ap.parse_args()

    path = args.keep or Path(tempfile.mkdtemp(prefix="kith-bench-experts-")) / "kith.db"
    if not path.exists():
        print(f"building {args.docs:,} interaction texts in {path} ...", flush=True)
        t = time.perf_counter()
        build(path, args.docs)
        print(f"built in {time.perf_counter() - t:.0f} s")
    words = (path.parent / (path.name + ".words")).read_text(encoding="utf-8").split("\n")
    store = SQLiteStore.open(path)
    print(f"store: {store.counts()['interactions']:,} interactions")
    rng = random.Random(99)
    wweights = zipf_weights(len(words), 0.9)
    queries = [
        rng.choice(CJK) if rng.random() < 0.1 else " ".join(rng.choices(words, wweights, k=rng.choice([1, 2, 3])))
        for _ in range(args.queries)
    ]
    experts(store, queries[0], now=T0 + 1100 * DAY)  # warm the page cache once
    settle_gc()
    total, search, hits = [], [], []
    for q in queries:
        t = time.perf_counter()
        found = store.search_text(query_phrases(q), limit=500)
        search.append((time.perf_counter() - t) * 1000)
        hits.append(len(found))
        t = time.perf_counter()
        experts(store, q, now=T0 + 1100 * DAY)
        total.append((time.perf_counter() - t) * 1000)
    store.close()

    def pct(xs: list[float], p: float) -> float:
        return statistics.quantiles(xs, n=100, method="inclusive")[p - 1] if len(xs) > 1 else xs[0]

    print(f"{len(queries)} queries (1-3 words, Zipf-drawn; 10 % CJK), experts() end to end:")
    print(f"  p50 {pct(total, 50):6.1f} ms   p95 {pct(total, 95):6.1f} ms   p99 {pct(total, 99):6.1f} ms"
          f"   (target p95 <= 50 ms: {'met' if pct(total, 95) <= 50 else 'NOT met'})")
    print(f"  of which store.search_text alone: p50 {pct(search, 50):.1f} ms, p95 {pct(search, 95):.1f} ms")
    print(f"  hits read per query: median {statistics.median(hits):.0f}, max {max(hits)}")


if __name__ == "__main__":
    main()
