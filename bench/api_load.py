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
    python bench/api_load.py --db /tmp/x10.db --wrk   # capacity with wrk, beside a FastAPI "hello"

``--wrk`` measures capacity with ``wrk`` instead (it must be installed): a person lookup and warmPaths
(people, scores and the introduction, no evidence) beside a FastAPI "hello" endpoint served by uvicorn with
the same worker count, all three servers up at once. Each target of the run is asked once before any is
asked again (every known person; every contact: each run carries on through the pool where the last one
stopped; warmPaths runs after the first are cut short when the pool would run out), so warmPaths answers
are not served from the per-process memo. Targets at 50 connections:
person lookup >= 25 % of hello's requests/s, warmPaths >= 5 %.

On a shared machine one long run per endpoint lets whatever else runs decide the ratio (what ran just
before matters on 2 cores), so the endpoints take turns: ``--rounds`` short rounds, each running hello,
person and warmPaths once (the order rotated each round), and each figure is the median over the rounds
of that round's ratio to hello. Beside it, the server's CPU per request (its processes' user and system
time, psutil) and hello's over it: how much CPU a server gets moves with the load, its CPU per request
much less, so that ratio is the steadier one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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
from kith.api.settings import ApiSettings  # noqa: E402
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


PERSON = "query($id: ID!) { person(id: $id) { name emails isInternal } }"
PACED_MS = 1000
HELLO_APP = """from fastapi import FastAPI

app = FastAPI()


@app.get("/hello")
async def hello() -> dict:
    return {"hello": "world"}
"""
# Each wrk thread walks the request bodies (one per line) from its own offset (the run's start, args[3],
# plus its share of the pool): distinct targets.
WRK_SCRIPT = """
local bodies, at, threads = {}, 0, 0
setup = function(thread)
  thread:set("number", threads)
  threads = threads + 1
end
init = function(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  at = tonumber(args[3]) + math.floor(number * #bodies / tonumber(args[2]))
end
request = function()
  if #bodies == 0 then return wrk.format("GET", "/hello") end
  at = at + 1
  return wrk.format("POST", "/graphql", nil, bodies[(at % #bodies) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %f %d %d %d\\n", summary.requests, summary.duration / 1e6,
    latency:percentile(50), latency:percentile(99), summary.errors.status + summary.errors.connect
    + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


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


def targets(db: Path, rng: random.Random, limit: int | None = 500) -> tuple[list[str], list[str]]:
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
        return contacts[:limit], orgs[:200]
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
def running(command: list[str], url: str, probe: str, **popen: object) -> Iterator[tuple[str, subprocess.Popen]]:
    """A server started by ``command`` until the block ends; yields ``url`` and the process once ``probe``
    answers 200."""
    server = subprocess.Popen(command, **popen)
    try:
        deadline = time.monotonic() + 300  # a busy machine starts workers slowly
        while True:
            try:
                if httpx.get(url + probe, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit(f"{' '.join(command[:4])} did not start")
            time.sleep(0.2)
        yield url, server
    finally:
        server.terminate()
        server.wait(timeout=20)


@contextmanager
def serving(db: Path, workers: int) -> Iterator[tuple[str, subprocess.Popen]]:
    """``kith serve`` on a free loopback port, until the block ends; yields its URL and process once /healthz
    answers."""
    port = free_port()
    env = {**os.environ, "KITH_DB": str(db), "KITH_NEO4J_URI": ""}
    with running([sys.executable, "-m", "kith.api", "--db", str(db), "serve", "--host", "127.0.0.1", "--port",
                  str(port), "--workers", str(workers), "--log-level", "warning"],
                 f"http://127.0.0.1:{port}", "/healthz", cwd=REPO, env=env) as served:
        yield served


def phase(db: Path, token: str, contacts: list[str], orgs: list[str], args: argparse.Namespace, think_ms: float) -> None:
    """One load run against a freshly started server."""
    with serving(db, args.workers) as (url, _):
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


@contextmanager
def hello_serving(workers: int, folder: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """The ceiling: a FastAPI "hello" under uvicorn with the same worker count, on a free loopback port."""
    (folder / "hello_app.py").write_text(HELLO_APP)
    port = free_port()
    with running([sys.executable, "-m", "uvicorn", "hello_app:app", "--app-dir", str(folder), "--host", "127.0.0.1",
                  "--port", str(port), "--workers", str(workers), "--log-level", "warning"],
                 f"http://127.0.0.1:{port}", "/hello") as served:
        yield served


def cpu_seconds(server: subprocess.Popen) -> float:
    """CPU time (user + system) used so far by a server and its worker processes."""
    import psutil  # the bench extra

    procs = [psutil.Process(server.pid)]
    procs += procs[0].children(recursive=True)
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def wrk(url: str, script: Path, bodies: Path, connections: int, seconds: float, server: subprocess.Popen,
        token: str = "", start: int = 0) -> dict:
    """wrk's figures, and the server's CPU per request; its threads walk ``bodies`` from ``start``."""
    threads = min(connections, 2)
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds:g}s", "--timeout", "10s",
               "-s", str(script), "-H", "Content-Type: application/json"]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    cpu = cpu_seconds(server)
    out = subprocess.run([*command, url, "--", str(bodies), str(threads), str(start)], capture_output=True, text=True,
                         check=True)
    cpu = cpu_seconds(server) - cpu
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT"))
    requests, duration, p50, p99, errors = line.split()[1:]
    return {"rps": int(requests) / float(duration), "requests": int(requests), "p50": int(p50) / 1000,
            "p99": int(p99) / 1000, "errors": int(errors), "load": os.getloadavg()[0], "threads": threads,
            "cpu_us": 1e6 * cpu / max(1, int(requests))}


def wrk_phase(db: Path, token: str, args: argparse.Namespace, folder: Path) -> None:
    """Capacity with wrk: hello, person lookup and uncached warmPaths taking turns in short rounds."""
    store = SQLiteStore.open(db)
    people = sorted(p.id for p in store.iter_people())
    store.close()
    contacts, _ = targets(db, random.Random(args.seed), limit=None)
    script = folder / "bench.lua"
    script.write_text(WRK_SCRIPT)
    files = {"hello": [], "person": [{"query": PERSON, "variables": {"id": p}} for p in people],
             "warmPaths": [{"query": WARM_PATHS, "variables": {"to": c}} for c in contacts]}
    for name, bodies in files.items():
        random.Random(args.seed).shuffle(bodies)
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(b) + "\n" for b in bodies))
    kinds = list(files)
    print(f"\nwrk: {args.rounds} rounds of {args.wrk_seconds:g} s per endpoint and connection count (warmPaths: "
          f"shorter when its pool would run out), the order rotated each round; {args.workers} workers on "
          f"{os.cpu_count()} CPUs; distinct targets: {len(people):,} people, {len(contacts):,} contacts", flush=True)
    results: dict[tuple[int, str, int], dict] = {}
    asked = dict.fromkeys(kinds, 0)  # how far each wrk thread walked the pool: where the next run starts
    sent = dict.fromkeys(kinds, 0)  # requests so far
    with hello_serving(args.workers, folder) as (hello, hello_server), serving(db, args.workers) as (url, server):
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(args.workers * 3):  # each worker maps its network and answers once before the clock
            for body in (files["person"][-1], files["warmPaths"][-1]):
                r = httpx.post(url + "/graphql", json=body, headers=headers, timeout=120)
                assert r.status_code == 200 and not r.json().get("errors"), r.text[:500]
        for n in range(args.rounds):
            for kind in kinds[n % len(kinds):] + kinds[:n % len(kinds)]:
                for c in args.connections:
                    to, proc, tok = (hello, hello_server, "") if kind == "hello" else (url, server, token)
                    seconds = args.wrk_seconds
                    if kind == "warmPaths" and n:  # memoised per process: runs short enough to stay in the pool
                        rate = results[(n - 1, kind, c)]["rps"] * len(args.connections)
                        left = len(files[kind]) - sent[kind]
                        seconds = max(1, min(seconds, int(left / rate / (args.rounds - n))))  # wrk: whole s
                    r = wrk(to, script, folder / f"{kind}.jsonl", c, seconds, proc, tok, asked[kind])
                    asked[kind] += -(-r["requests"] // r["threads"])  # each thread walked this far
                    sent[kind] += r["requests"]
                    results[(n, kind, c)] = r
    print(f"{'round':>5} {'endpoint':<10} {'conns':>5} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9} "
          f"{'errors':>6} {'of hello':>9} {'CPU us/req':>10} {'CPU of hello':>12}  load")
    for (n, kind, c), r in results.items():
        base = results[(n, "hello", c)]
        r["share"], r["cpu_share"] = r["rps"] / base["rps"], base["cpu_us"] / r["cpu_us"]
        print(f"{n + 1:>5} {kind:<10} {c:>5} {r['rps']:>9,.0f} {r['p50']:>8.1f} {r['p99']:>8.1f} {r['requests']:>9,} "
              f"{r['errors']:>6} {r['share']:>8.1%} {r['cpu_us']:>10,.0f} {r['cpu_share']:>11.1%}  {r['load']:.1f}")
    median = statistics.median
    print(f"\nmedians over {args.rounds} rounds (min-max of the share of hello's requests/s):")
    for c in args.connections:
        for kind in kinds:
            runs = [results[(n, kind, c)] for n in range(args.rounds)]
            shares = [r["share"] for r in runs]
            print(f"{kind:<10} {c:>5} conns: {median(r['rps'] for r in runs):>7,.0f} req/s  {median(shares):6.1%} of "
                  f"hello ({min(shares):.1%}-{max(shares):.1%})  {median(r['cpu_us'] for r in runs):>6,.0f} us CPU a "
                  f"request  {median(r['cpu_share'] for r in runs):6.1%} of hello's by CPU  "
                  f"errors {sum(r['errors'] for r in runs)}  load {median(r['load'] for r in runs):.1f}")
    c = max(args.connections)
    for kind, target in (("person", 0.25), ("warmPaths", 0.05)):
        share = median(results[(n, kind, c)]["share"] for n in range(args.rounds))
        cpu_share = median(results[(n, kind, c)]["cpu_share"] for n in range(args.rounds))
        repeats = max(0, sent[kind] - len(files[kind]))
        print(f"{kind} at {c} connections: {share:.1%} of hello's requests/s, {cpu_share:.1%} by CPU per request "
              f"(medians; target >= {target:.0%}: {'met' if share >= target else 'MISSED'}); {repeats:,} requests "
              f"asked a target again (pool {len(files[kind]):,})")


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
    parser.add_argument("--wrk", action="store_true", help="measure capacity with wrk beside a FastAPI hello")
    parser.add_argument("--wrk-seconds", type=int, default=4, help="length of each wrk run (whole seconds)")
    parser.add_argument("--rounds", type=int, default=5, help="--wrk: rounds in which the endpoints take turns")
    parser.add_argument("--connections", type=int, nargs="+", default=[50], help="--wrk: wrk's connection counts")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="kith-api-load-"))
    db = args.db or folder / "kith.db"
    try:
        if not db.exists():
            build(db, args.scale, args.seed)
        settings = demo_settings(ApiSettings(db=db), db)
        access = AccessStore(settings.access_path)
        if "bench" not in {u.name for u in access.users()}:
            access.add_user("bench", AccessRole.VIEWER)
        token = access.create_token("bench", "bench/api_load.py")
        if args.wrk:
            wrk_phase(db, token, args, folder)
            return
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
