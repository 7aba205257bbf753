"""Email ingest throughput and memory, against the raw header-parse floor of the same files.

    python bench/ingest_email.py [--messages 200000] [--small 50000] [--workers N] [--keep DIR] [--store neo4j]

Generates a synthetic firm's mail (threads, cc lists, CJK and accented names, signatures, bulk mail,
bounces) as mbox files, then prints, from one run:
- raw header parsing: messages/s of reading the same files and parsing only their headers (stdlib
  BytesHeaderParser, one process): the floor no ingester could beat;
- end to end: messages/s of `kith ingest email` into a fresh SQLite file in the default privacy mode;
- their ratio (target >= 0.5);
- peak RSS of the ingest process at --small and at --messages messages (target: within 10 %);
- CPU per message by stage: the --small messages ingested again in ONE process under cProfile (CPU
  clock), its time split by the functions that do each stage (profiling inflates Python-heavy stages
  more than others: read the split as shares).
Each ingest runs in its own process so that its peak RSS is its own. With ``--store neo4j`` the same
corpus is also ingested into the Neo4j at KITH_NEO4J_URI (KITH_NEO4J_USER, _PASSWORD; the database is
EMPTIED first), and the run prints its messages/s beside SQLite's (target >= 0.5x).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kith.ingest.email.sources import RawMessage, iter_messages  # noqa: E402
from kith.ingest.synthetic import FIRM_DOMAIN, make_firm, write_corpus  # noqa: E402


def header_parse_rate(paths: list[Path]) -> tuple[int, float]:
    parser = BytesHeaderParser(policy=compat32)
    start = time.perf_counter()
    n = 0
    for item in iter_messages(paths):
        if isinstance(item, RawMessage):
            msg = parser.parsebytes(item.data)
            msg.get("from"), msg.get("to"), msg.get("date"), msg.get("message-id")
            n += 1
    return n, time.perf_counter() - start


def _remove(db: Path) -> None:
    """A kept folder's earlier run would make the next one a rerun, all duplicates."""
    for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        stale.unlink(missing_ok=True)


def ingest_in_child(paths: list[Path], db: Path, workers: int, store: str = "sqlite") -> dict:
    """Run the ingest into a new database (SQLite, or the emptied Neo4j of KITH_NEO4J_*) in a fresh
    process; return its report, seconds, CPU and peak RSS."""
    _remove(db)
    code = (
        "import json, resource, sys, time\n"
        "from kith.graph.settings import Settings\n"
        "from kith.graph.backends import open_store\n"
        "from kith.ingest.email.pipeline import ingest_email\n"
        f"settings = Settings(db={str(db)!r}, internal_domains=[{FIRM_DOMAIN!r}])\n"
        "store = open_store(settings)\n"
        "if store.kind == 'neo4j':\n"
        "    store.wipe()\n"
        "def sched():  # the main thread's (CPU, waiting for a core) seconds so far (Linux)\n"
        "    try:\n"
        "        return [int(v) / 1e9 for v in open('/proc/self/schedstat').read().split()[:2]]\n"
        "    except OSError:\n"
        "        return [0.0, 0.0]\n"
        "seen = [0.0, 0.0]  # when the first and the last message were handled\n"
        "def progress(n):\n"
        "    seen[1] = time.perf_counter()\n"
        "    seen[0] = seen[0] or seen[1]\n"
        "setup = resource.getrusage(resource.RUSAGE_SELF)\n"
        "start, sched0 = time.perf_counter(), sched()\n"
        f"report = ingest_email(store, settings, {[str(p) for p in paths]!r}, workers={workers}, on_progress=progress)\n"
        "seconds = time.perf_counter() - start\n"
        "main = [b - a for a, b in zip(sched0, sched())]\n"
        "me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps({'report': report.as_dict('messages'), 'seconds': seconds, 'rss_mib': me.ru_maxrss / 1024,"
        " 'worker_rss_mib': kids.ru_maxrss / 1024, 'cpu_s': me.ru_utime + me.ru_stime,"
        " 'worker_cpu_s': kids.ru_utime + kids.ru_stime, 'setup_cpu_s': setup.ru_utime + setup.ru_stime,"
        " 'main_thread_cpu_s': main[0], 'main_thread_runqueue_s': main[1],"
        " 'first_s': seen[0] - start, 'last_s': seen[1] - start}))\n"
    )
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ} if store == "neo4j" else {**os.environ, "KITH_NEO4J_URI": ""}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def print_wall_split(run: dict, workers: int) -> None:
    """Where the wall time of an ingest went: before the first message, between, after the last; the
    main thread's CPU, its wait for a core (other processes' load) and the rest (blocked: on the
    parser workers' results, or the disk); the CPU of its other threads (reading the workers' results)
    and of the workers; how full the cores were."""
    wall, cores = run["seconds"], min(workers + 1, os.cpu_count() or 1)
    main, queued = run["main_thread_cpu_s"], run["main_thread_runqueue_s"]
    others = run["cpu_s"] - run["setup_cpu_s"] - main
    busy = (run["cpu_s"] - run["setup_cpu_s"] + run["worker_cpu_s"]) / (wall * cores)
    print(f"wall split: {wall:.1f} s = {run['first_s']:.1f} s to the first message + "
          f"{run['last_s'] - run['first_s']:.1f} s + {wall - run['last_s']:.1f} s after the last (its batch's writes)")
    print(f"  main thread: CPU {main:.1f} s, waiting for a core {queued:.1f} s, blocked {wall - main - queued:.1f} s "
          f"(on the workers' results or the disk); its other threads: CPU {others:.1f} s; parser workers: CPU "
          f"{run['worker_cpu_s']:.1f} s; the {cores} cores {busy:.0%} busy with this ingest")


# stage -> the functions whose cumulative CPU is that stage's (nested ones are subtracted from the outer)
STAGES = {
    "mbox reading": [("sources.py", "iter_messages")],
    "parse + classify": [("parse.py", "parse_message"), ("fast.py", "read_simple")],
    "signatures": [("signatures.py", "read_signature"), ("prepare.py", "signed_name")],
    "key phrases, content terms": [("topics.py", "key_phrases"), ("topics.py", "content_terms"),
                                   ("topics.py", "phrases_and_terms")],
    "search tokens": [("text.py", "index_text")],
    "identity (resolver)": [("resolve.py", "person"), ("resolve.py", "prefetch"), ("resolve.py", "drain"),
                            ("resolve.py", "settle"), ("pipeline.py", "_read_signature")],
    "KNOWS deltas, reply lookups": [("pipeline.py", "_with_deltas")],
    "store writes": [("sqlite_store.py", "add_interactions")],
}


def stage_profile(paths: list[Path], db: Path) -> tuple[int, float, dict[str, float]]:
    """Ingest ``paths`` with one process under cProfile (CPU clock): (messages, CPU s, CPU s by stage)."""
    import cProfile
    import pstats

    from kith.graph.settings import Settings
    from kith.graph.backends import open_store
    from kith.ingest.email.pipeline import ingest_email

    _remove(db)
    settings = Settings(db=str(db), internal_domains=[FIRM_DOMAIN], neo4j_uri="")  # SQLite: the store of the ratio
    store = open_store(settings)
    profile = cProfile.Profile(time.process_time)
    start = time.process_time()
    report = profile.runcall(ingest_email, store, settings, paths, workers=1)
    total = time.process_time() - start
    store.close()
    stats = pstats.Stats(profile).stats  # (file, line, name) -> (calls, primitive, own, cumulative, callers)
    rows = {stage: sum(v[3] for (f, _, name), v in stats.items()
                       if any(f.endswith("/" + file) and name == fn for file, fn in functions))
            for stage, functions in STAGES.items()}
    rows["other (prepare, pipeline)"] = total - sum(rows.values())
    return report.records, total, rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=200_000)
    ap.add_argument("--small", type=int, default=50_000)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--keep", type=Path, help="generate into (and keep) this folder")
    ap.add_argument("--store", choices=["sqlite", "neo4j"], default="sqlite",
                    help="neo4j: also ingest the corpus into the (emptied) Neo4j at KITH_NEO4J_URI")
    args = ap.parse_args()
    if not 0 < args.small <= args.messages:
        ap.error("--small must be at least 1 and at most --messages")

    folder = args.keep or Path(tempfile.mkdtemp(prefix="kith-bench-mail-"))
    firm = make_firm(seed=7, colleagues=120, organizations=150, contacts_per_org=12)
    t = time.perf_counter()
    per_file = min(10_000, args.small)  # whole files make up the --small set
    paths = write_corpus(folder / "mail", firm, args.messages, per_file=per_file)
    size = sum(p.stat().st_size for p in paths)
    print(f"corpus: {args.messages:,} messages in {len(paths)} mbox files, {size / 2**20:,.0f} MiB "
          f"(generated in {time.perf_counter() - t:.0f} s)")
    small = paths[: args.small // per_file]

    n, seconds = header_parse_rate(paths)
    floor = n / seconds
    print(f"raw header parse (1 process):      {floor:10,.0f} messages/s  ({n:,} in {seconds:.1f} s)")

    big = ingest_in_child(paths, folder / "big.db", args.workers)
    rate = big["report"]["messages"] / big["seconds"]
    print(f"end to end into SQLite ({args.workers} workers): {rate:10,.0f} messages/s  "
          f"({big['report']['ingested']:,} ingested in {big['seconds']:.1f} s; "
          f"skipped {big['report']['skipped']})")
    print(f"ratio end-to-end / header parse:   {rate / floor:10.2f}   (target >= 0.50)")
    n = big["report"]["messages"]
    print(f"CPU per message: ingest process {big['cpu_s'] / n * 1e6:.0f} us (writes, identities; of them "
          f"{big['setup_cpu_s'] / n * 1e6:.0f} us its start: imports, opening the store), "
          f"parser workers {big['worker_cpu_s'] / n * 1e6:.0f} us in all")
    print_wall_split(big, args.workers)

    if args.store == "neo4j":
        neo = ingest_in_child(paths, folder / "unused.db", args.workers, "neo4j")
        neo_rate = neo["report"]["messages"] / neo["seconds"]
        print(f"end to end into Neo4j ({args.workers} workers):  {neo_rate:10,.0f} messages/s  "
              f"({neo['report']['ingested']:,} ingested in {neo['seconds']:.1f} s) = {neo_rate / rate:.2f}x SQLite "
              f"(target >= 0.50: {'met' if neo_rate >= 0.5 * rate else 'MISSED'})")

    little = ingest_in_child(small, folder / "small.db", args.workers)
    print(f"peak RSS, ingest process: {little['report']['messages']:,} msgs {little['rss_mib']:.0f} MiB; "
          f"{big['report']['messages']:,} msgs {big['rss_mib']:.0f} MiB; "
          f"ratio {big['rss_mib'] / little['rss_mib']:.3f} (target <= 1.10)")
    print(f"peak RSS, largest parser worker: {little['worker_rss_mib']:.0f} MiB / {big['worker_rss_mib']:.0f} MiB")
    print(f"database: {(folder / 'big.db').stat().st_size / 2**20:,.0f} MiB; self RSS of this script "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    n, cpu, stages = stage_profile(small, folder / "profile.db")
    print(f"CPU per message by stage, one process under cProfile ({n:,} messages, {cpu / n * 1e6:.0f} us each "
          f"profiled):")
    for stage, seconds in stages.items():
        print(f"  {stage:38s} {seconds / n * 1e6:6.0f} us  {seconds / cpu:5.1%}")
    if not args.keep:
        import shutil

        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
