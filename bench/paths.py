"""Warm-path benchmark: a generated firm of 100k people and 2M KNOWS edges in a real SQLite store.

Measures ``graph.paths.warm_paths`` from the whole firm to random client contacts (k=5, 4 hops, with
hop explanations and evidence look-ups), p50/p95 over the targets, and as the baseline, in the same
run, networkx ``multi_source_dijkstra`` from the firm to the same targets over the full graph with
the same ``-ln(strength/100)`` weights. Target: p95 <= 20 ms and >= 10x faster than the baseline.

    python bench/paths.py [--people 100000] [--edges 2000000] [--queries 200] [--baseline 20] [--store neo4j]

With ``--store neo4j`` the same graph is also written to the Neo4j at KITH_NEO4J_URI (KITH_NEO4J_USER,
_PASSWORD; the database is EMPTIED first), and the run prints the network load time from Neo4j beside
SQLite's (target <= 2x) and the warm-path timings on the network loaded from Neo4j.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

import networkx as nx
import numpy as np

from kith.graph.model import Knows, Person
from kith.graph.network import load_network
from kith.graph.paths import warm_paths
from kith.graph.sqlite_store import SQLiteStore

DAY = 86_400
NOW = 1_750_000_000


def generate(people: int, edges: int, seed: int) -> tuple[list[Person], list[Knows]]:
    """5% colleagues; clients in organisations of ten. Edges: 55% colleague-client, 15% between
    colleagues, 30% between clients (mostly within an organisation); channel mix and recency vary."""
    rng = np.random.default_rng(seed)
    firm = people // 20
    ids = [f"p_{n:07d}" for n in range(people)]
    folks = [Person(pid, name=f"Person {n}", emails=[f"person{n}@{'firm' if n < firm else f'org{n // 10}'}.example"],
                    is_internal=n < firm, opted_out=n >= firm and n % 97 == 0) for n, pid in enumerate(ids)]
    kinds = rng.choice(3, size=int(edges * 1.2), p=[0.55, 0.15, 0.30])
    x = np.where(kinds < 2, rng.integers(0, firm, len(kinds)), rng.integers(firm, people, len(kinds)))
    same_org = (x // 10) * 10 + rng.integers(0, 10, len(kinds))
    y = np.select([kinds == 0, kinds == 1],
                  [rng.integers(firm, people, len(kinds)), rng.integers(0, firm, len(kinds))],
                  np.where(rng.random(len(kinds)) < 0.7, np.clip(same_org, firm, people - 1),
                           rng.integers(firm, people, len(kinds))))
    a, b = np.minimum(x, y), np.maximum(x, y)
    pairs = np.unique(np.stack([a[a != b], b[a != b]], axis=1), axis=0)
    pairs = pairs[rng.permutation(len(pairs))[:edges]]
    n = len(pairs)
    emails_ab, emails_ba = rng.poisson(3, n), rng.poisson(2, n)
    meetings = rng.poisson(0.6, n)
    last = NOW - rng.exponential(200, n) * DAY
    first = last - rng.exponential(300, n) * DAY
    replies = np.minimum(emails_ba, rng.poisson(1, n))
    knows = [
        Knows(ids[int(p)], ids[int(q)], int(f), int(t), emails_ab=int(e1), emails_ba=int(e2),
              email_weight=(e1 + e2) * float(w), meetings=int(m), meeting_weight=float(m) * float(mw),
              replies_ba=int(r), reply_hours_ba=float(r) * float(h))
        for p, q, f, t, e1, e2, w, m, mw, r, h in zip(
            pairs[:, 0], pairs[:, 1], first, last, emails_ab, emails_ba, rng.choice([1, 0.5, 0.2], n),
            meetings, rng.choice([1, 0.5, 0.1], n), replies, rng.exponential(12, n))
    ]
    return folks, knows


def neo4j_copy(people: list[Person], knows: list[Knows]):
    """The same graph in the Neo4j at KITH_NEO4J_URI, emptied first."""
    from kith.graph import neo4j_queries as q
    from kith.graph.model import KNOWS_COUNTERS
    from kith.graph.neo4j_store import Neo4jStore

    store = Neo4jStore.connect(os.environ["KITH_NEO4J_URI"], os.environ.get("KITH_NEO4J_USER", "neo4j"),
                               os.environ.get("KITH_NEO4J_PASSWORD", ""), os.environ.get("KITH_NEO4J_DATABASE", "neo4j"))
    t = time.perf_counter()
    store.wipe()
    for n in range(0, len(people), 10_000):
        store.upsert_people(people[n : n + 10_000])
    for n in range(0, len(knows), 20_000):
        store.put_rows(q.PUT_KNOWS, [{"a": k.a, "b": k.b, "props": {
            "first_at": k.first_at, "last_at": k.last_at, **{c: float(getattr(k, c)) for c in KNOWS_COUNTERS}}}
            for k in knows[n : n + 20_000]])
    print(f"wrote them to Neo4j in {time.perf_counter() - t:.1f} s")
    return store


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--edges", type=int, default=2_000_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--baseline", type=int, default=20, help="targets for the networkx baseline")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--store", choices=["sqlite", "neo4j"], default="sqlite",
                    help="neo4j: also load the network from the (emptied) Neo4j at KITH_NEO4J_URI")
    args = ap.parse_args()

    t = time.perf_counter()
    people, knows = generate(args.people, args.edges, args.seed)
    print(f"generated {len(people):,} people and {len(knows):,} KNOWS edges in {time.perf_counter() - t:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore.open(Path(tmp) / "bench.db")
        t = time.perf_counter()
        store.upsert_people(people)
        store.replace_knows([], knows)
        print(f"wrote them to SQLite in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        net = load_network(store, now=NOW)
        sqlite_load = time.perf_counter() - t
        print(f"load_network (read + score + CSR): {sqlite_load:.1f} s")
        if args.store == "neo4j":
            store.close()
            store = neo4j_copy(people, knows)
            t = time.perf_counter()
            net = load_network(store, now=NOW)
            neo_load = time.perf_counter() - t
            print(f"load_network from Neo4j: {neo_load:.1f} s = {neo_load / sqlite_load:.2f}x SQLite's "
                  f"(target <= 2x: {'met' if neo_load <= 2 * sqlite_load else 'MISSED'}); warm paths below use it")
        del knows
        t = time.perf_counter()
        net.firm_bounds(4)
        print(f"whole-firm search bounds (once per generation): {time.perf_counter() - t:.2f} s")

        rng = random.Random(args.seed)
        clients = [p.id for p in people if not p.is_internal and not p.opted_out and net.degree(p.id)]
        targets = rng.sample(clients, args.queries)
        warm_paths(store, targets[0], now=NOW)  # warm-up
        times, found = [], 0
        for target in targets:
            t = time.perf_counter()
            result = warm_paths(store, target, now=NOW, k=5, max_hops=4)
            times.append((time.perf_counter() - t) * 1000)
            found += bool(result)
        p50, p95 = statistics.median(times), float(np.percentile(times, 95))
        print(f"warm_paths (whole firm -> random client, k=5, <=4 hops): p50 {p50:.2f} ms, p95 {p95:.2f} ms, "
              f"max {max(times):.1f} ms; {found}/{len(targets)} targets reached")

        t = time.perf_counter()
        graph = nx.Graph()
        graph.add_nodes_from(range(len(net.ids)))
        upper = net.row < net.nbr
        graph.add_weighted_edges_from(zip(net.row[upper].tolist(), net.nbr[upper].tolist(), net.cost[upper].tolist()))
        firm = set(np.flatnonzero(net.internal & net.usable).tolist())
        print(f"networkx graph built in {time.perf_counter() - t:.1f} s")
        base = []
        for target in targets[: args.baseline]:
            t = time.perf_counter()
            nx.multi_source_dijkstra(graph, firm - {net.index[target]}, target=net.index[target])
            base.append((time.perf_counter() - t) * 1000)
        b50, b95 = statistics.median(base), float(np.percentile(base, 95))
        print(f"baseline networkx multi_source_dijkstra (firm -> target, full graph): p50 {b50:.1f} ms, p95 {b95:.1f} ms "
              f"over {len(base)} targets")
        print(f"speed-up: {b50 / p50:.0f}x at p50, {b95 / p95:.0f}x at p95; "
              f"target p95 <= 20 ms: {'met' if p95 <= 20 else 'MISSED'}, >= 10x: {'met' if b50 / p50 >= 10 else 'MISSED'}")
        store.close()


if __name__ == "__main__":
    main()
