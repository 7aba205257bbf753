"""The fast commands' wall time (issue #18: `kith status` and `kith --help` under 0.5 s), with hyperfine.

    python bench/cli_fast.py --db STORE.db [--runs 15]

Copies STORE.db (and its .access.db) to a temporary folder first: opening a store may migrate it. Prints,
from one run, each command's mean and median wall time and CPU (user + system), `python -c pass` as the
interpreter's floor and `kith --help` as the CLI's own, and the load average: on a shared machine read
the CPU column and the ratios, not the wall time alone.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

TARGET_S = 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a Kith SQLite store (copied, never opened in place)")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    if not shutil.which("hyperfine"):
        sys.exit("hyperfine is not installed: apt-get install hyperfine")
    kith = Path(sys.executable).with_name("kith")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "kith.db"
        shutil.copy(args.db, db)
        access = args.db.with_name(args.db.stem + ".access.db")
        if access.exists():
            shutil.copy(access, db.with_name("kith.access.db"))
        subprocess.run([kith, "--db", db, "status"], check=True, capture_output=True)  # any migration, once
        commands = {"python -c pass": f"{sys.executable} -c pass", "kith --help": f"{kith} --help",
                    "kith status": f"{kith} --db {db} status", "kith status --json": f"{kith} --db {db} status --json"}
        out = Path(tmp) / "hyperfine.json"
        names = [arg for name, command in commands.items() for arg in ("-n", name, command)]
        subprocess.run(["hyperfine", "-N", "-w", "3", "-r", str(args.runs), "--export-json", out, *names],
                       check=True, capture_output=True)
        results = json.loads(out.read_text())["results"]
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; target < {TARGET_S} s wall")
    print(f"{'command':<20} {'mean':>8} {'median':>8} {'cpu':>8}")
    for r in results:
        print(f"{r['command']:<20} {r['mean']:8.3f} {r['median']:8.3f} {r['user'] + r['system']:8.3f}")
    help_, status = results[1], results[2]
    print(f"status / --help: wall {status['median'] / help_['median']:.2f}x, "
          f"cpu {(status['user'] + status['system']) / (help_['user'] + help_['system']):.2f}x")


if __name__ == "__main__":
    main()
