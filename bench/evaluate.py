"""`kith evaluate` figures: the strength model beside the recency-only and frequency-only baselines.

    python bench/evaluate.py [--messages 20000] [--k 100]

Two corpora, each into a fresh SQLite store:
1. "lifecycle": relationships that begin, run and end. 60 colleagues and 80 client organisations of
   6 contacts; each colleague-contact relationship starts at a random time, lasts an exponential
   time (mean 300 days) and produces threads at its own rate (log-normal, median ~1.5 a month),
   replies hours later, a meeting in one thread of eight, a colleague cc'd now and then; a fifth of
   pairs are one-off cold emails. Written through the Store interface, KNOWS deltas by graph.knows.
2. "synthetic mail": ``ingest.synthetic`` messages through the real email ingest. Its generator picks
   colleague and contacts uniformly at random for every thread, so no pair is likelier than another
   to talk again: an honest floor where every scorer should sit near AUC 0.5.
Prints split, pairs, positives, and AUC / precision@k of the three scorers.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graph.evaluate import Backtest, evaluate  # noqa: E402
from graph.knows import deltas  # noqa: E402
from graph.model import (  # noqa: E402
    Attendance,
    Interaction,
    InteractionKind,
    InteractionWrite,
    Participant,
    Person,
    Role,
)
from graph.settings import Settings  # noqa: E402
from graph.sqlite_store import SQLiteStore  # noqa: E402

DAY = 86_400
T0 = 1_600_000_000
SPAN_DAYS = 1095


def lifecycle_corpus(store: SQLiteStore, seed: int = 5) -> int:
    rng = random.Random(seed)
    colleagues = [f"c{n:03d}" for n in range(60)]
    contacts = [f"o{o:03d}.{n}" for o in range(80) for n in range(6)]
    store.upsert_people([Person(p, p, [f"{p}@firm.example"], is_internal=True) for p in colleagues]
                        + [Person(p, p, [f"{p}@client.example"]) for p in contacts])
    items: list[tuple[Interaction, Interaction | None]] = []
    n = 0
    for colleague in colleagues:
        for contact in rng.sample(contacts, 25):
            start = rng.uniform(0, SPAN_DAYS)
            if rng.random() < 0.2:  # a one-off
                n += 1
                items.append((_email(f"m{n}", start, colleague, [contact]), None))
                continue
            end = min(SPAN_DAYS, start + rng.expovariate(1 / 300))
            rate = math.exp(rng.gauss(math.log(1.5), 0.8)) / 30  # threads per day
            t = start
            while True:
                t += rng.expovariate(rate)
                if t > end:
                    break
                n += 1
                if rng.random() < 0.125:
                    parts = [Participant(colleague, Role.ORGANIZER, Attendance.ACCEPTED),
                             Participant(contact, Role.ATTENDEE, Attendance.ACCEPTED)]
                    items.append((Interaction(f"m{n}", InteractionKind.MEETING, _at(t), parts, subject="meeting"), None))
                    continue
                cc = [rng.choice(colleagues)] if rng.random() < 0.2 else []
                sender, other = (colleague, contact) if rng.random() < 0.6 else (contact, colleague)
                root = _email(f"m{n}", t, sender, [other], [c for c in cc if c != sender])
                items.append((root, None))
                parent, when = root, t
                for r in range(rng.choice([0, 1, 1, 2, 3])):
                    when += rng.uniform(0.5, 48) / 24
                    reply = _email(f"m{n}.{r}", when, other if r % 2 == 0 else sender,
                                   [sender if r % 2 == 0 else other], parent=parent.id)
                    items.append((reply, parent))
                    parent = reply
    items.sort(key=lambda ip: (ip[0].occurred_at, ip[0].id))
    for k in range(0, len(items), 5000):
        store.add_interactions([InteractionWrite(i, tuple(deltas(i, p))) for i, p in items[k : k + 5000]])
    return len(items)


def _at(days: float) -> int:
    return T0 + int(days * DAY)


def _email(iid: str, days: float, frm: str, to: list[str], cc: list[str] = (), parent: str = "") -> Interaction:
    parts = [Participant(frm, Role.FROM), *(Participant(p, Role.TO) for p in to), *(Participant(p, Role.CC) for p in cc)]
    return Interaction(iid, InteractionKind.EMAIL, _at(days), parts, subject="matter", parent_id=parent)


def synthetic_corpus(folder: Path, messages: int) -> SQLiteStore:
    from ingest.email.pipeline import ingest_email
    from ingest.synthetic import FIRM_DOMAIN, make_firm, write_corpus

    firm = make_firm(seed=7, colleagues=60, organizations=80, contacts_per_org=6)
    paths = write_corpus(folder / "mail", firm, messages, per_file=10_000)
    settings = Settings(db=folder / "synthetic.db", internal_domains=[FIRM_DOMAIN])
    store = SQLiteStore.open(settings.db)
    ingest_email(store, settings, paths, workers=1)
    return store


def show(name: str, result: Backtest, seconds: float) -> None:
    print(f"\n{name}: split at {time.strftime('%Y-%m-%d', time.gmtime(result.split_at))}, {result.pairs:,} pairs "
          f"scored, {result.positives:,} positive ({result.positives / result.pairs:.1%}), "
          f"{result.new_pairs:,} new pairs after the split; evaluate took {seconds:.1f} s")
    print(f"  {'scorer':<16}{'ROC AUC':>9}{f'P@{result.k}':>9}")
    for label, f in (("strength model", result.model), ("recency only", result.recency),
                     ("frequency only", result.frequency)):
        print(f"  {label:<16}{f.auc:>9.3f}{f.precision_at_k:>9.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=20_000, help="synthetic mail messages")
    ap.add_argument("--k", type=int, default=100)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="kith-bench-evaluate-"))

    store = SQLiteStore.open(folder / "lifecycle.db")
    count = lifecycle_corpus(store)
    t = time.perf_counter()
    result = evaluate(store, k=args.k)
    show(f"lifecycle corpus ({count:,} interactions)", result, time.perf_counter() - t)
    store.close()

    store = synthetic_corpus(folder, args.messages)
    t = time.perf_counter()
    result = evaluate(store, k=args.k)
    show(f"synthetic mail ({args.messages:,} messages via ingest)", result, time.perf_counter() - t)
    store.close()


if __name__ == "__main__":
    main()
