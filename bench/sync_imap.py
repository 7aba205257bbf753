"""IMAP sync throughput beside the file ingest of the same messages, and the cost of a sync with nothing new.

    python bench/sync_imap.py [--messages 50000] [--folders 10] [--workers N]

Generates a synthetic firm's mail, puts it in a local Dovecot (Debian's dovecot-imapd, started on
loopback with a throw-away config, as in the tests) spread over ``--folders`` folders, and writes the
same messages as mbox files. Prints, from one run:
- file ingest: messages/s of `kith ingest email` of the mbox files into a fresh SQLite file;
- first sync: messages/s of `kith sync imap` of every folder into another fresh SQLite file;
- their ratio (target >= 0.5);
- an incremental sync with nothing new over all folders, in seconds (target <= 1 s for 10 folders).
Dovecot indexes the maildirs before the clock starts, as a live server has.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kith.graph.settings import Settings, SyncAccount  # noqa: E402
from kith.graph.sqlite_store import SQLiteStore  # noqa: E402
from kith.ingest.email.pipeline import ingest_email  # noqa: E402
from kith.ingest.synthetic import FIRM_DOMAIN, make_firm, messages, write_mbox  # noqa: E402
from kith.ingest.sync.imap import sync_imap  # noqa: E402
from tests.sync.servers import NOBODY, Dovecot  # noqa: E402

PASSWORD = "bench-pass"


def fill_maildirs(server: Dovecot, folders: list[str], texts: list[str]) -> None:
    """Write the messages straight into the user's maildirs (APPEND of 50k would time the server's writes)."""
    home = server.mail / "bench"
    per = -(-len(texts) // len(folders))
    for f, folder in enumerate(folders):
        box = home if folder == "INBOX" else home / f".{folder}"
        for sub in ("cur", "new", "tmp"):
            (box / sub).mkdir(parents=True, exist_ok=True)
        for n, text in enumerate(texts[f * per : (f + 1) * per]):
            (box / "cur" / f"{1700000000 + n}.M{f}P{n}.bench:2,S").write_text(text, encoding="utf-8")
    if os.geteuid() == 0:
        for path in [home, *home.rglob("*")]:
            os.chown(path, NOBODY, NOBODY)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=50_000)
    ap.add_argument("--folders", type=int, default=10)
    ap.add_argument("--workers", type=int, default=None, help="parser processes for both (default: the pipeline's)")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kith-bench-sync-"))
    firm = make_firm(seed=7, colleagues=120, organizations=150, contacts_per_org=12)
    texts = list(messages(firm, args.messages))
    folders = ["INBOX"] + [f"Folder{n:02d}" for n in range(1, args.folders)]
    mbox = []
    per = -(-len(texts) // len(folders))
    for f in range(len(folders)):
        path = work / f"mail-{f:02d}.mbox"
        write_mbox(path, iter(texts[f * per : (f + 1) * per]))
        mbox.append(path)

    server = Dovecot()
    try:
        fill_maildirs(server, folders, texts)
        server.add_user("bench", PASSWORD)
        server.start()
        client = server.client("bench", PASSWORD)
        for folder in folders:  # let Dovecot build its indexes, as a live server has them
            client.select_folder(folder, readonly=True)
            client.search(["UID", "1:*"])
        client.logout()
        os.environ["KITH_BENCH_IMAP_PASSWORD"] = PASSWORD
        account = SyncAccount(name="bench", kind="imap", host="127.0.0.1", port=server.port, security="none",
                              user="bench", password_env="KITH_BENCH_IMAP_PASSWORD", folders=folders)

        def settings(db: Path) -> Settings:
            return Settings(db=db, internal_domains=[FIRM_DOMAIN])

        with closing(SQLiteStore.open(work / "warm.db")) as store:  # imports and lazy loads, paid by neither
            ingest_email(store, settings(work / "warm.db"), mbox[:1], workers=args.workers)
        with closing(SQLiteStore.open(work / "files.db")) as store:
            start = time.perf_counter()
            files = ingest_email(store, settings(work / "files.db"), mbox, workers=args.workers)
            file_s = time.perf_counter() - start
        with closing(SQLiteStore.open(work / "sync.db")) as store:
            start = time.perf_counter()
            synced = sync_imap(store, settings(work / "sync.db"), account, workers=args.workers)
            sync_s = time.perf_counter() - start
            start = time.perf_counter()
            again = sync_imap(store, settings(work / "sync.db"), account, workers=args.workers)
            idle_s = time.perf_counter() - start
    finally:
        server.close()
        shutil.rmtree(work, ignore_errors=True)

    file_rate, sync_rate = files.records / file_s, synced.records / sync_s
    print(f"messages: {len(texts):,} in {len(folders)} folders")
    print(f"file ingest (mbox):        {file_rate:8,.0f} messages/s  ({files.ingested:,} ingested in {file_s:.1f} s)")
    print(f"first IMAP sync (Dovecot): {sync_rate:8,.0f} messages/s  ({synced.ingested:,} ingested in {sync_s:.1f} s)")
    print(f"ratio sync / file ingest:  {sync_rate / file_rate:8.2f}   (target >= 0.50)")
    print(f"sync with nothing new:     {idle_s:8.3f} s for {len(folders)} folders, {again.records} fetched "
          "(target <= 1 s for 10 folders)")


if __name__ == "__main__":
    main()
