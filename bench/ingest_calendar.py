"""Calendar ingest throughput against the raw parse-and-expand rate of the same files.

    python bench/ingest_calendar.py [--series 2000] [--weeks 26] [--singles 20000] [--keep DIR]

Generates a synthetic firm's calendars (weekly recurring series with EXDATEs and one-off meetings,
clients and colleagues attending with mixed PARTSTATs) as .ics files, then prints:
- raw parse: occurrences/s of icalendar parsing the files and recurring-ical-events expanding them
  (no identity resolution, no database): the floor no ingester could beat;
- end to end: occurrences/s of `kith ingest calendar` into a fresh SQLite file (topics privacy);
- their ratio.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import icalendar  # noqa: E402
import recurring_ical_events  # noqa: E402

from kith.graph.settings import Settings  # noqa: E402
from kith.graph.sqlite_store import SQLiteStore  # noqa: E402
from kith.ingest.calendar import ingest_calendar  # noqa: E402
from kith.ingest.synthetic import FIRM_DOMAIN, make_firm, write_calendar  # noqa: E402

NOW = datetime(2024, 1, 1, tzinfo=timezone.utc)


def raw_rate(paths: list[Path]) -> tuple[int, float]:
    start = time.perf_counter()
    n = 0
    for path in paths:
        cal = icalendar.Calendar.from_ical(path.read_bytes())
        n += sum(1 for _ in recurring_ical_events.of(cal).between(datetime(2013, 1, 1), datetime(2025, 1, 1)))
    return n, time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--series", type=int, default=2000)
    ap.add_argument("--weeks", type=int, default=26)
    ap.add_argument("--singles", type=int, default=20_000)
    ap.add_argument("--files", type=int, default=10)
    ap.add_argument("--keep", type=Path)
    args = ap.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="kith-bench-cal-"))
    (folder / "cal").mkdir(parents=True, exist_ok=True)
    firm = make_firm(seed=7, colleagues=120, organizations=150, contacts_per_org=12)
    paths, expected = [], 0
    for k in range(args.files):
        path = folder / "cal" / f"calendar-{k:03d}.ics"
        expected += write_calendar(path, firm, args.series // args.files, args.weeks, args.singles // args.files, seed=k)
        paths.append(path)
    size = sum(p.stat().st_size for p in paths)
    print(f"corpus: {expected:,} occurrences ({args.series:,} weekly series x {args.weeks} + {args.singles:,} one-offs) "
          f"in {len(paths)} .ics files, {size / 2**20:,.1f} MiB")

    n, seconds = raw_rate(paths)
    floor = n / seconds
    print(f"raw parse + expand (icalendar, recurring-ical-events): {floor:10,.0f} events/s  ({n:,} in {seconds:.1f} s)")
    settings = Settings(db=folder / "bench.db", internal_domains=[FIRM_DOMAIN], privacy="topics")
    store = SQLiteStore.open(settings.db)
    start = time.perf_counter()
    report = ingest_calendar(store, settings, paths, now=NOW)
    seconds = time.perf_counter() - start
    rate = report.records / seconds
    print(f"end to end into SQLite:                                {rate:10,.0f} events/s  "
          f"({report.ingested:,} ingested in {seconds:.1f} s; skipped {dict(report.skipped)})")
    print(f"ratio end-to-end / raw:                                {rate / floor:10.2f}")
    again = time.perf_counter()
    rerun = ingest_calendar(store, settings, paths, now=NOW)
    print(f"re-run (all resumed): {time.perf_counter() - again:.1f} s, ingested {rerun.ingested}")
    store.close()
    if not args.keep:
        import shutil

        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
