"""Stuck jobs and leaks over many uploads through the API's `ingest` mutation, on a real `kith serve`.

    python bench/api_uploads.py [--uploads 100] [--workers 1] [--timeout 900]

Starts `kith serve` on loopback with a fresh store, creates an admin token with the CLI, then uploads
``--uploads`` small files in turn (mail, calendars, vCards and deal CSVs, every tenth one hostile: a
one-line file of 2 MB, random bytes, a message of 5,000 recipients), and polls every job until it is
done or failed. Prints: jobs done / failed / still queued or running at the deadline (stuck), the
seconds it took, and the server's RSS (MB) and open file descriptors before and after (its workers
included), as signs of a leak.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

KINDS = ("EMAIL", "CALENDAR", "CONTACTS", "DEALS")


def upload_file(n: int) -> tuple[str, str, bytes]:
    """(kind, file name, content) of upload ``n``."""
    kind = KINDS[n % 4]
    if n % 10 == 9:  # hostile
        hostile = {"EMAIL": ("big.eml", b"From: a@b.com\nTo: " + b", ".join(b"p%d@x.com" % i for i in range(5000))
                             + b"\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n\nhi\n"),
                   "CALENDAR": ("line.ics", b"BEGIN:VCALENDAR\r\n" + b"x" * 2_000_000),
                   "CONTACTS": ("random.vcf", os.urandom(100_000)),
                   "DEALS": ("random.csv", os.urandom(100_000))}
        return (kind, *hostile[kind])
    if kind == "EMAIL":
        return kind, f"m{n}.eml", (f"From: Ana <ana@firm.com>\nTo: c{n}@client{n % 7}.com\nSubject: note {n}\n"
                                   f"Message-ID: <{n}@firm.com>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n\nhello\n").encode()
    if kind == "CALENDAR":
        return kind, f"c{n}.ics", (f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:e{n}\r\n"
                                   f"DTSTART:20240101T100000Z\r\nORGANIZER:mailto:ana@firm.com\r\n"
                                   f"ATTENDEE:mailto:c{n}@client.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode()
    if kind == "CONTACTS":
        return kind, f"v{n}.vcf", f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Person {n}\r\nEMAIL:p{n}@client.com\r\nEND:VCARD\r\n".encode()
    return kind, f"d{n}.csv", f"id,name,account,stage,amount\nd{n},Deal {n},Client {n % 5},open,{n}\n".encode()


def tree(pid: int) -> list[int]:
    """The process and its descendants (Linux /proc)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                todo += [int(c) for c in Path(f"/proc/{p}/task/{task}/children").read_text().split()]
        except OSError:
            pass
    return out


def usage(pid: int) -> tuple[float, int]:
    """(RSS MB, open fds) of the server and its workers."""
    rss, fds = 0, 0
    for p in tree(pid):
        try:
            rss += int(next(line.split()[1] for line in Path(f"/proc/{p}/status").read_text().splitlines()
                            if line.startswith("VmRSS:")))
            fds += len(os.listdir(f"/proc/{p}/fd"))
        except (OSError, StopIteration):
            pass
    return rss / 1024, fds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--uploads", type=int, default=100)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=900)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="kith-bench-uploads-"))
    env = dict(os.environ, KITH_DB=str(folder / "kith.db"), KITH_NEO4J_URI="", KITH_CONFIG=str(folder / "kith.toml"))
    kith = [sys.executable, "-m", "kith.api"]
    subprocess.run(kith + ["init"], env=env, check=True, capture_output=True)
    subprocess.run(kith + ["users", "add", "bench", "--role", "admin"], env=env, check=True, capture_output=True)
    token = json.loads(subprocess.run(kith + ["tokens", "create", "--user", "bench", "--json"], env=env, check=True,
                                      capture_output=True, text=True).stdout)["token"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(kith + ["serve", "--port", str(port), "--workers", str(args.workers), "--log-level", "warning"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url, headers = f"http://127.0.0.1:{port}/graphql", {"Authorization": f"Bearer {token}"}
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
                time.sleep(0.3)
        rss0, fds0 = usage(server.pid)
        start = time.monotonic()
        jobs, refused = [], 0
        for n in range(args.uploads):
            kind, name, content = upload_file(n)
            files = {"operations": (None, json.dumps({"query": f"mutation($f: [Upload!]!) {{ ingest(kind: {kind}, "
                                                               "files: $f) { id } }", "variables": {"f": [None]}})),
                     "map": (None, '{"0": ["variables.f.0"]}'), "0": (name, content, "application/octet-stream")}
            answer = httpx.post(url, files=files, headers=headers, timeout=60).json()
            if answer.get("data") and answer["data"].get("ingest"):
                jobs.append(answer["data"]["ingest"]["id"])
            else:
                refused += 1
        states: dict[str, str] = {}
        query = "query($id: ID!) { ingestJob(id: $id) { state } }"
        while time.monotonic() - start < args.timeout:
            for job in jobs:
                if states.get(job) not in ("done", "failed", "cancelled"):
                    r = httpx.post(url, json={"query": query, "variables": {"id": job}}, headers=headers, timeout=60)
                    states[job] = r.json()["data"]["ingestJob"]["state"]
            if all(s in ("done", "failed", "cancelled") for s in states.values()):
                break
            time.sleep(1)
        seconds = time.monotonic() - start
        rss1, fds1 = usage(server.pid)
        counts = {s: list(states.values()).count(s) for s in sorted(set(states.values()))}
        stuck = sum(1 for s in states.values() if s in ("queued", "running"))
        print(f"uploads {args.uploads}, workers {args.workers}: refused {refused}, jobs {counts}, stuck {stuck}, "
              f"{seconds:.0f} s; server RSS {rss0:.0f} -> {rss1:.0f} MB, open fds {fds0} -> {fds1}")
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
