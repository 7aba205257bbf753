"""Record reads: how much turning store rows into model records costs on top of fetching them.

    python bench/store_reads.py [--records 10000] [--repeat 7] [--store sqlite|neo4j]

Writes ``--records`` people (two addresses and a phone each) and as many interactions (three participants,
two topics, provenance; all shared by one pair) into a fresh SQLite file, or into the emptied Neo4j of
KITH_NEO4J_* with ``--store neo4j``, then times, best of ``--repeat``:

- ``get_people`` of every id, ``get_interactions`` of every id, ``interactions_between`` of the pair
  (every interaction, newest first);
- beside each, the baseline measured in the same run: the same rows fetched and left as the database
  driver returns them (SQLite: tuples; Neo4j: the executor's dicts), no records made.

The ratio (read / raw fetch) is what the row mappers cost; it is comparable between runs on a loaded
machine where the milliseconds are not. The garbage collector is set as the API server sets it
(``graph.gc_tuning.settle_gc``); times are the process's CPU time, which other processes on a shared
machine disturb less than the wall clock.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kith.graph.gc_tuning import settle_gc  # noqa: E402
from kith.graph.model import (  # noqa: E402
    Interaction,
    InteractionKind,
    InteractionWrite,
    Participant,
    Person,
    Provenance,
    Role,
)

T0 = 1_700_000_000


def world(n: int) -> tuple[list[Person], list[Interaction]]:
    prov = Provenance("email", "/mail/inbox.mbox", "msg", ingested_at=T0)
    people = [Person(f"p{k:06d}", f"Person {k}", [f"p{k}@a.example", f"p{k}@b.example"], [f"+1415555{k:04d}"],
                     given_name="Person", family_name=str(k), provenance=prov) for k in range(n)]
    a, b = people[0].id, people[1].id
    items = [Interaction(f"i{k:06d}", InteractionKind.EMAIL, T0 - k * 60,
                         [Participant(a, Role.FROM, address=f"p0@a.example"),
                          Participant(b, Role.TO, address=f"p1@a.example"),
                          Participant(people[2 + k % (n - 2)].id, Role.CC)],
                         subject=f"Subject {k}", topics=["pricing", f"topic{k % 50}"], thread_id=f"t{k // 3}",
                         provenance=Provenance("email", "/mail/inbox.mbox", f"m{k}", ingested_at=T0))
             for k in range(n)]
    return people, items


def best(repeat: int, run) -> float:
    times = []
    for _ in range(repeat):
        start = time.thread_time()
        run()
        times.append(time.thread_time() - start)
    return min(times)


def sqlite_raw(store, people: list[str], items: list[str], pair: tuple[str, str]) -> dict:
    """The rows each read fetches, as plain tuples, with no record made."""
    def fetch(sql: str, values: list[str]) -> list:
        cur = store._conn().cursor()
        cur.row_factory = None
        out = []
        for start in range(0, len(values), 500):
            chunk = values[start:start + 500]
            out += cur.execute(sql.format(marks=",".join("?" * len(chunk))), chunk).fetchall()
        return out

    def get_people() -> None:
        fetch("SELECT * FROM people WHERE id IN ({marks})", people)
        fetch("SELECT person_id, email FROM person_emails WHERE person_id IN ({marks})", people)
        fetch("SELECT person_id, phone FROM person_phones WHERE person_id IN ({marks})", people)

    def get_interactions(ids: list[str] = items) -> None:
        fetch("SELECT * FROM interactions WHERE id IN ({marks})", ids)
        fetch("SELECT * FROM participants WHERE interaction_id IN ({marks})", ids)

    def between() -> None:
        ids = [r[0] for r in store._conn().execute(
            "SELECT DISTINCT i.id FROM participants pa JOIN participants pb ON pb.interaction_id = pa.interaction_id "
            "JOIN interactions i ON i.id = pa.interaction_id WHERE pa.person_id = ? AND pb.person_id = ? "
            "ORDER BY i.occurred_at IS NULL, i.occurred_at DESC, i.id", pair)]
        get_interactions(ids)

    return {"get_people": get_people, "get_interactions": get_interactions, "interactions_between": between}


def neo4j_raw(store, people: list[str], items: list[str], pair: tuple[str, str]) -> dict:
    from kith.graph import neo4j_queries as q

    def fetch(query: str, values: list[str]) -> None:
        for start in range(0, len(values), 1000):
            store._db.run(query, {"ids": values[start:start + 1000]})

    def between() -> None:
        store._db.run(q.INTERACTIONS_BETWEEN, {"pairs": [list(pair)], "before": None, "limit": None})

    return {"get_people": lambda: fetch(q.GET_PEOPLE, people),
            "get_interactions": lambda: fetch(q.GET_INTERACTIONS, items), "interactions_between": between}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--store", choices=("sqlite", "neo4j"), default="sqlite")
    args = parser.parse_args()

    people, items = world(args.records)
    with tempfile.TemporaryDirectory(prefix="kith-reads-") as tmp:
        if args.store == "sqlite":
            from kith.graph.sqlite_store import SQLiteStore

            store = SQLiteStore.open(Path(tmp) / "kith.db")
            raw = sqlite_raw
        else:
            from kith.graph.neo4j_store import Neo4jStore

            store = Neo4jStore.connect(os.environ["KITH_NEO4J_URI"], os.environ.get("KITH_NEO4J_USER", "neo4j"),
                                       os.environ.get("KITH_NEO4J_PASSWORD", ""),
                                       os.environ.get("KITH_NEO4J_DATABASE", "neo4j"))
            store.wipe()
            raw = neo4j_raw
        store.upsert_people(people)
        store.add_interactions([InteractionWrite(i) for i in items])
        pids, iids, pair = [p.id for p in people], [i.id for i in items], (people[0].id, people[1].id)
        reads = {"get_people": lambda: store.get_people(pids),
                 "get_interactions": lambda: store.get_interactions(iids),
                 "interactions_between": lambda: store.interactions_between(*pair)}
        assert len(store.interactions_between(*pair)) == len(items)
        baselines = raw(store, pids, iids, pair)
        settle_gc()  # as the API server runs its reads
        print(f"{args.store}, {args.records} records, best of {args.repeat}; load average "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"{'read':<22}{'ms':>9}{'raw fetch ms':>14}{'ratio':>8}{'µs/record':>11}")
        for name, read in reads.items():
            # interleaved, so that a burst of load hits both alike
            got, base = [], []
            for _ in range(args.repeat):
                got.append(best(1, read))
                base.append(best(1, baselines[name]))
            ms, raw_ms = min(got) * 1e3, min(base) * 1e3
            print(f"{name:<22}{ms:>9.1f}{raw_ms:>14.1f}{ms / raw_ms:>8.2f}{ms * 1e3 / args.records:>11.2f}")
        if args.store == "neo4j":
            store.wipe()
        store.close()


if __name__ == "__main__":
    main()
