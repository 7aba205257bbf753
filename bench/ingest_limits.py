"""Peak memory of each ingest on hostile and huge inputs, beside the same ingest of a small file.

    python bench/ingest_limits.py [--mb 200] [--body-mb 150] [--only email-line,csv-rows] [--keep DIR]

Generates, in a temporary folder, one input per kind:
- email-line: a .eml of one line of ``--mb`` MB; email-base64 / mbox-base64: a message whose body is
  ``--body-mb`` MB of base64 (as a .eml, and inside an mbox between two small messages);
- csv-line / csv-rows: a deal CSV whose one data row is ``--mb`` MB, and one of ``--mb`` MB of 1 kB rows;
- ics-line / ics-events: a .ics whose one DESCRIPTION line is ``--mb`` MB, and one of ``--mb`` MB of events;
- vcf-line / vcf-cards: the same for vCards;
- recipients: one message of 1,000,000 To addresses (25 MB);
then runs `kith ingest <kind> --json` on each in a process of its own, into a fresh SQLite file, and
prints that process's peak RSS (ru_maxrss), its time, exit status and report, beside the peak RSS of
the same command on a 100 kB input of that kind from the same run (the baseline: interpreter, imports,
store). ``KITH_BENCH_PYTHONPATH`` runs another checkout of Kith (say the code before a change).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

MB = 1 << 20
HEAD = ("From: Ana Lima <ana@firm.com>\nTo: Bo Chen <bo@client.com>\nSubject: {subject}\n"
        "Message-ID: <{n}@firm.com>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n")


def _fill(f, size: int, piece: bytes) -> None:
    """``size`` bytes of ``piece`` repeated, written in 1 MB chunks (never held whole)."""
    chunk = piece * (MB // len(piece) + 1)
    while size > 0:
        f.write(chunk[: min(size, MB)])
        size -= MB


def email_line(path: Path, size: int) -> None:
    with path.open("wb") as f:
        f.write(b"Subject: ")
        _fill(f, size, b"x")


def _base64_message(f, n: int, size: int) -> None:
    f.write((HEAD.format(subject="the deck", n=n) + "MIME-Version: 1.0\nContent-Type: multipart/mixed; "
             'boundary="b1"\n\n--b1\nContent-Type: text/plain\n\nThe deck is attached.\n--b1\n'
             'Content-Type: application/pdf\nContent-Disposition: attachment; filename="deck.pdf"\n'
             "Content-Transfer-Encoding: base64\n\n").encode())
    line = base64.b64encode(os.urandom(57)) + b"\n"  # 76 characters a line, as mail clients write it
    _fill(f, size, line * 1000)
    f.write(b"\n--b1--\n")


def email_base64(path: Path, size: int) -> None:
    with path.open("wb") as f:
        _base64_message(f, 1, size)


def mbox_base64(path: Path, size: int) -> None:
    with path.open("wb") as f:
        for n in (1, 2, 3):
            f.write(b"From ana@firm.com Mon Jan  1 10:00:00 2024\n")
            if n == 2:
                _base64_message(f, n, size)
            else:
                f.write((HEAD.format(subject=f"note {n}", n=n) + "\nhello\n").encode())
            f.write(b"\n")


def recipients(path: Path, size: int) -> None:
    with path.open("wb") as f:
        f.write(b"From: ana@firm.com\nTo: ")
        f.write(", ".join(f"p{i}@client{i % 97}.com" for i in range(size // 25)).encode())
        f.write(b"\nSubject: all\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n\nhello\n")


CSV_HEAD = b"id,name,account,stage,amount,owner,notes\n"


def csv_line(path: Path, size: int) -> None:
    with path.open("wb") as f:
        f.write(CSV_HEAD + b"d1,Big deal,Acme,open,100,ana@firm.com,")
        _fill(f, size, b"x")
        f.write(b"\n")


def csv_rows(path: Path, size: int) -> None:
    notes = b"y" * 900
    with path.open("wb") as f:
        f.write(CSV_HEAD)
        n, written = 0, 0
        while written < size:
            n += 1
            row = b"d%d,Deal %d,Client %d,open,%d,ana@firm.com,%s\n" % (n, n, n % 500, n, notes)
            f.write(row)
            written += len(row)


ICS_HEAD = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n"


def _event(n: int, description: bytes) -> bytes:
    return (b"BEGIN:VEVENT\r\nUID:e%d@bench\r\nDTSTART:20240101T%02d0000Z\r\nDTEND:20240101T%02d3000Z\r\n"
            b"SUMMARY:Meeting %d\r\nORGANIZER;CN=Ana:mailto:ana@firm.com\r\n"
            b"ATTENDEE;PARTSTAT=ACCEPTED:mailto:c%d@client%d.com\r\nDESCRIPTION:%s\r\nEND:VEVENT\r\n"
            % (n, n % 24, n % 24, n, n % 5000, n % 300, description))


def ics_line(path: Path, size: int) -> None:
    with path.open("wb") as f:
        f.write(ICS_HEAD + _event(1, b"")[:-len(b"\r\nEND:VEVENT\r\n")])
        _fill(f, size, b"x")
        f.write(b"\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def ics_events(path: Path, size: int) -> None:
    with path.open("wb") as f:
        f.write(ICS_HEAD)
        n, written = 0, 0
        while written < size:
            n += 1
            written += f.write(_event(n, b"z" * 700))
        f.write(b"END:VCALENDAR\r\n")


def _card(n: int, note: bytes) -> bytes:
    return (b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Person %d\r\nEMAIL:p%d@client%d.com\r\nORG:Client %d\r\n"
            b"NOTE:%s\r\nEND:VCARD\r\n" % (n, n, n % 300, n % 300, note))


def vcf_line(path: Path, size: int) -> None:
    with path.open("wb") as f:
        f.write(_card(1, b"")[:-len(b"\r\nEND:VCARD\r\n")])
        _fill(f, size, b"x")
        f.write(b"\r\nEND:VCARD\r\n")


def vcf_cards(path: Path, size: int) -> None:
    with path.open("wb") as f:
        n, written = 0, 0
        while written < size:
            n += 1
            written += f.write(_card(n, b"w" * 800))


# name -> (ingest command, file name, writer, size: "mb" | "body" | "recipients")
INPUTS: dict[str, tuple[str, str, Callable[[Path, int], None], str]] = {
    "email-line": ("email", "line.eml", email_line, "mb"),
    "email-base64": ("email", "attachment.eml", email_base64, "body"),
    "mbox-base64": ("email", "attachment.mbox", mbox_base64, "body"),
    "recipients": ("email", "recipients.eml", recipients, "recipients"),
    "csv-line": ("deals", "line.csv", csv_line, "mb"),
    "csv-rows": ("deals", "rows.csv", csv_rows, "mb"),
    "ics-line": ("calendar", "line.ics", ics_line, "mb"),
    "ics-events": ("calendar", "events.ics", ics_events, "mb"),
    "vcf-line": ("contacts", "line.vcf", vcf_line, "mb"),
    "vcf-cards": ("contacts", "cards.vcf", vcf_cards, "mb"),
}


def run_ingest(command: str, path: Path, db: Path) -> dict:
    """`kith ingest COMMAND PATH --json` in a process of its own: peak RSS (MB), seconds, status, report."""
    env = dict(os.environ, KITH_DB=str(db), KITH_NEO4J_URI="", KITH_CONFIG=str(db.with_suffix(".toml")))
    extra = os.environ.get("KITH_BENCH_PYTHONPATH")
    if extra:
        env["PYTHONPATH"] = extra
    args = [sys.executable, "-m", "kith.api", "ingest", command, str(path), "--json"]
    if command == "email":
        args += ["--workers", "1"]
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak RSS, not the largest child's so far
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        out.seek(0), err.seek(0)
        out, errors = out.read(), err.read()
    try:
        report = json.loads(out)
    except ValueError:
        report = {"crash": errors.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]}
    return {"rss_mb": usage.ru_maxrss / 1024, "seconds": seconds, "status": proc.returncode, "report": report}


def summary(report: dict) -> str:
    if "crash" in report:
        return f"CRASH {report['crash'][0][:80]}"
    skipped = ", ".join(f"{k} {v}" for k, v in report.get("skipped", {}).items())
    reason = report["errors"][0]["reason"][:70] if report.get("errors") else ""
    return f"ingested {report.get('ingested', 0)}" + (f"; skipped {skipped}" if skipped else "") + (
        f"; {reason}" if reason else "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=int, default=200, help="size of the big inputs")
    ap.add_argument("--body-mb", type=int, default=150, help="size of the base64 body")
    ap.add_argument("--only", default="", help="comma-separated input names (default: all)")
    ap.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    args = ap.parse_args()
    names = [n for n in args.only.split(",") if n] or list(INPUTS)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="kith-bench-limits-"))
    folder.mkdir(parents=True, exist_ok=True)
    sizes = {"mb": args.mb * MB, "body": args.body_mb * MB, "recipients": 25_000_000}
    print(f"{'input':<13} {'size MB':>8} {'peak RSS MB':>11} {'small-input RSS MB':>18} {'ratio':>6} {'s':>6} "
          f"{'exit':>4}  report")
    try:
        for name in names:
            command, file_name, write, size_kind = INPUTS[name]
            big, small = folder / file_name, folder / f"small-{file_name}"
            write(big, sizes[size_kind])
            write(small, 100_000)
            base = run_ingest(command, small, folder / f"small-{name}.db")
            got = run_ingest(command, big, folder / f"{name}.db")
            print(f"{name:<13} {big.stat().st_size / MB:>8.0f} {got['rss_mb']:>11.0f} {base['rss_mb']:>18.0f} "
                  f"{got['rss_mb'] / base['rss_mb']:>6.1f} {got['seconds']:>6.1f} {got['status']:>4}  "
                  f"{summary(got['report'])}", flush=True)
            if not args.keep:
                big.unlink()
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
