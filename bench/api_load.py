"""API load: 50 concurrent clients on loopback against the demo firm scaled x10.

Builds the demo graph (``api.cli_demo.build_demo``, every size x``--scale``) in a temporary SQLite file
(or reuses ``--db``). Then, twice, each time against a freshly started ``kith serve`` (``--workers``,
default two per CPU) on 127.0.0.1: ``--clients`` asyncio+httpx clients for ``--seconds``, each sending
a mix of warmPaths, experts and accountMap queries for random targets (500 contacts, 200
organisations, the demo's 20 topics). Prints p50, p95, p99, requests/s and errors, overall and per
query, for:
- paced: each client, like a person at a relationship map, pauses ~1 s (0.5-1.5 s) between queries,
  so about 50 requests/s are offered. The target is read here: p95 <= 50 ms, 0 errors.
- closed loop: each client sends its next query the moment an answer arrives: the server's capacity
  (requests/s); latency there is queueing, 50 requests deep.

    python bench/api_load.py                      # build x10 (a few minutes), then both runs
    python bench/api_load.py --db /tmp/x10.db     # reuse a graph built before (kept with --keep)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kith.api.access import AccessRole, AccessStore  # noqa: E402
from kith.api.cli.demo import DemoSizes, build_demo, demo_settings  # noqa: E402
from kith.graph.settings import Settings  # noqa: E402
from kith.graph.sqlite_store import SQLiteStore  # noqa: E402
from kith.ingest.synthetic import TOPICS  # noqa: E402

WARM_PATHS = ("query($to: ID!) { warmPaths(to: $to, first: 3) { edges { node { score introduction "
              "hops { strength band source { name } target { name } } } } } }")
EXPERTS = ("query($topic: String!) { experts(topic: $topic, first: 5) { edges { node { score documents "
           "person { name emails } evidence { kind snippet } } } } }")
ACCOUNT_MAP = ("query($org: ID!) { accountMap(organization: $org) { organization { name } "
               "coverage { contacts known strong medium weak cold singleThreaded } "
               "contacts(first: 10) { edges { node { title bestStrength person { name } "
               "ties(first: 5) { edges { node { strength person { name } } } } } } } } }")


PACED_MS = 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build(db: Path, scale: float, seed: int) -> None:
    start = time.perf_counter()
    sizes = DemoSizes().scaled(scale)
    print(f"building the demo firm x{scale:g}: {sizes}", flush=True)
    build_demo(Settings(db=db), db, seed=seed, sizes=sizes)
    print(f"built {db} in {time.perf_counter() - start:.0f} s", flush=True)


def targets(db: Path, rng: random.Random) -> tuple[list[str], list[str]]:
    """Contacts the firm knows (path targets) and client organisations with people."""
    store = SQLiteStore.open(db)
    try:
        external = {p.id for p in store.iter_people() if not p.is_internal and not p.opted_out and not p.blocked}
        by_org: dict[str, set[str]] = {}
        for w in store.works_at(person_ids=external):
            by_org.setdefault(w.org_id, set()).add(w.person_id)
        orgs = sorted(oid for oid, ids in by_org.items() if len(ids) >= 2)
        contacts = sorted({p for oid in orgs for p in by_org[oid]})
        rng.shuffle(orgs)
        rng.shuffle(contacts)
        return contacts[:500], orgs[:200]
    finally:
        store.close()


async def client(n: int, http: httpx.AsyncClient, until: float, contacts: list[str], orgs: list[str],
                 results: list[tuple[str, float, bool]], seed: int, think: float = 0.0) -> None:
    rng = random.Random(seed * 1000 + n)
    if think:
        await asyncio.sleep(rng.uniform(0, think))  # ramp up: users do not all click at the same instant
    while time.perf_counter() < until:
        kind = rng.choice(("warmPaths", "experts", "accountMap"))
        if kind == "warmPaths":
            body = {"query": WARM_PATHS, "variables": {"to": rng.choice(contacts)}}
        elif kind == "experts":
            body = {"query": EXPERTS, "variables": {"topic": rng.choice(TOPICS)}}
        else:
            body = {"query": ACCOUNT_MAP, "variables": {"org": rng.choice(orgs)}}
        start = time.perf_counter()
        try:
            r = await http.post("/graphql", json=body)
            ok = r.status_code == 200 and not r.json().get("errors")
        except httpx.HTTPError:
            ok = False
        results.append((kind, time.perf_counter() - start, ok))
        if think:
            await asyncio.sleep(rng.uniform(0.5, 1.5) * think)


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def report(results: list[tuple[str, float, bool]], seconds: float) -> None:
    def line(label: str, rows: list[tuple[str, float, bool]]) -> str:
        ms = [r[1] * 1000 for r in rows]
        errors = sum(1 for r in rows if not r[2])
        return (f"{label:<12} n={len(rows):>6}  p50={pct(ms, 50):7.1f} ms  p95={pct(ms, 95):7.1f} ms  "
                f"p99={pct(ms, 99):7.1f} ms  mean={statistics.fmean(ms) if ms else float('nan'):6.1f} ms  "
                f"errors={errors}")

    print(line("all", results) + f"  requests/s={len(results) / seconds:,.0f}")
    for kind in ("warmPaths", "experts", "accountMap"):
        print(line(kind, [r for r in results if r[0] == kind]))


@contextmanager
def serving(db: Path, workers: int) -> Iterator[str]:
    """``kith serve`` on a free loopback port, until the block ends; yields its URL once /healthz answers."""
    port = free_port()
    env = {**os.environ, "KITH_DB": str(db), "KITH_NEO4J_URI": ""}
    server = subprocess.Popen([sys.executable, "-m", "kith.api", "--db", str(db), "serve", "--host", "127.0.0.1",
                               "--port", str(port), "--workers", str(workers), "--log-level", "warning"],
                              cwd=REPO, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("kith serve did not start")
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


def phase(db: Path, token: str, contacts: list[str], orgs: list[str], args: argparse.Namespace, think_ms: float) -> None:
    """One load run against a freshly started server."""
    with serving(db, args.workers) as url:
        headers = {"Authorization": f"Bearer {token}"}
        start = time.perf_counter()
        for _ in range(args.workers * 3):  # new connections: each worker answers a few before the clock starts
            for body in ({"query": WARM_PATHS, "variables": {"to": contacts[0]}},
                         {"query": EXPERTS, "variables": {"topic": TOPICS[0]}},
                         {"query": ACCOUNT_MAP, "variables": {"org": orgs[0]}}):
                r = httpx.post(url + "/graphql", json=body, headers=headers, timeout=120)
                assert r.status_code == 200 and not r.json().get("errors"), r.text[:500]
        pace = f"think time ~{think_ms:g} ms" if think_ms else "closed loop, back to back"
        print(f"\n{args.clients} clients for {args.seconds:g} s, {pace} ({args.workers} workers, {os.cpu_count()} CPUs; "
              f"warmed in {time.perf_counter() - start:.1f} s)", flush=True)
        results: list[tuple[str, float, bool]] = []

        async def run() -> float:
            # Clients are made before the clock starts: creating one costs ~20 ms of this process's CPU.
            https = [httpx.AsyncClient(base_url=url, headers=headers, timeout=30) for _ in range(args.clients)]
            begin = time.perf_counter()
            until = begin + args.seconds
            await asyncio.gather(*(client(n, http, until, contacts, orgs, results, args.seed, think_ms / 1000)
                                   for n, http in enumerate(https)))
            elapsed = time.perf_counter() - begin
            await asyncio.gather(*(http.aclose() for http in https))
            return elapsed

        report(results, asyncio.run(run()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, help="reuse (or build into) this SQLite file")
    parser.add_argument("--scale", type=float, default=10)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1), help="uvicorn worker processes")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--think-ms", type=float, action="append",
                        help="run only with this pause between a client's requests (0: back to back); repeatable")
    parser.add_argument("--keep", action="store_true", help="keep the temporary graph")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="kith-api-load-"))
    db = args.db or folder / "kith.db"
    try:
        if not db.exists():
            build(db, args.scale, args.seed)
        settings = demo_settings(Settings(db=db), db)
        access = AccessStore(settings.access_path)
        if "bench" not in {u.name for u in access.users()}:
            access.add_user("bench", AccessRole.VIEWER)
        token = access.create_token("bench", "bench/api_load.py")
        contacts, orgs = targets(db, random.Random(args.seed))
        for think_ms in args.think_ms or (PACED_MS, 0):
            phase(db, token, contacts, orgs, args, think_ms)
    finally:
        if args.keep or args.db:
            print(f"graph kept in {db}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
