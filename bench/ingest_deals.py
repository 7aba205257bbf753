"""Deal ingest throughput against the raw CSV read rate of the same export.

    python bench/ingest_deals.py [--rows 10000] [--keep DIR]

Generates a 10k-row CRM export in the generic profile's columns (account name variants and typos,
rows without account, amounts written three ways, contacts as "Name (email)" lists), then prints:
- raw parse: rows/s of csv.DictReader over the file (no profile, no resolution, no database);
- end to end: rows/s of `kith ingest deals --profile generic` into a fresh SQLite file;
- their ratio, and what the run flagged.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kith.graph.settings import Settings  # noqa: E402
from kith.graph.sqlite_store import SQLiteStore  # noqa: E402
from kith.ingest.deals import ingest_deals  # noqa: E402
from kith.ingest.synthetic import FIRM_DOMAIN, make_firm, write_deals_csv  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--keep", type=Path)
    args = ap.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="kith-bench-deals-"))
    folder.mkdir(parents=True, exist_ok=True)
    firm = make_firm(seed=7, colleagues=120, organizations=150, contacts_per_org=12)
    path = folder / "deals.csv"
    write_deals_csv(path, firm, args.rows)
    print(f"export: {args.rows:,} rows, {path.stat().st_size / 2**20:,.1f} MiB")

    start = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as f:
        n = sum(1 for _ in csv.DictReader(f))
    seconds = time.perf_counter() - start
    floor = n / seconds
    print(f"raw CSV read (csv.DictReader): {floor:10,.0f} rows/s  ({n:,} in {seconds:.2f} s)")
    settings = Settings(db=folder / "bench.db", internal_domains=[FIRM_DOMAIN])
    store = SQLiteStore.open(settings.db)
    start = time.perf_counter()
    report = ingest_deals(store, settings, [path], "generic")
    seconds = time.perf_counter() - start
    rate = report.records / seconds
    print(f"end to end into SQLite:        {rate:10,.0f} rows/s  ({report.ingested:,} rows, {report.deals:,} deals, "
          f"{report.people:,} people in {seconds:.2f} s)")
    print(f"ratio end-to-end / raw:        {rate / floor:10.3f}")
    print(f"flagged: {dict(report.flagged)}")
    store.close()
    if not args.keep:
        import shutil

        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
