"""A Neo4j server killed in the middle of `kith ingest email`: the ingest stops with a clear message and,
once the server is back, the same command resumes with no loss and no duplicates.

Runs its own server (.ci/neo4j/neo4j.sh on a free port, data in a temporary folder, a small heap and page
cache), so that killing it touches nothing else."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kith.graph.neo4j_store import Neo4jStore
from kith.graph.settings import Settings
from kith.graph.sqlite_store import SQLiteStore
from kith.ingest.email.pipeline import ingest_email
from kith.ingest.synthetic import FIRM_DOMAIN, make_firm, write_corpus
from tests.api.world import free_port
from tests.cli import kith
from tests.neo4j_server import neo4j_env

pytestmark = pytest.mark.xdist_group("own-neo4j")  # its own server: runs beside the tests on the shared one

LAUNCHER = Path(__file__).resolve().parents[2] / ".ci" / "neo4j" / "neo4j.sh"


def launcher(command: str, env: dict[str, str]) -> None:
    done = subprocess.run(["bash", str(LAUNCHER), command], env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def kill(pidfile: Path) -> None:
    """Kill the server the launcher started, if it still runs: a crash, not a clean stop."""
    try:
        pid = int(pidfile.read_text())
        if b"kith.Neo4jServer" in Path(f"/proc/{pid}/cmdline").read_bytes():
            os.kill(pid, signal.SIGKILL)
    except (FileNotFoundError, ProcessLookupError):
        pass


def test_an_ingest_survives_the_server_dying_under_it(tmp_path):
    neo4j_env()  # skips where there is no test Neo4j (and so, most likely, no Java to run one)
    port = free_port()
    server = {"NEO4J_PORT": str(port), "NEO4J_RUN": str(tmp_path / "neo4j"), "KITH_NEO4J_PASSWORD": "crash-test-pw",
              "NEO4J_HEAP": "512m", "NEO4J_PAGECACHE": "32", "NEO4J_JAVA_OPTS": "-XX:TieredStopAtLevel=1",
              "NEO4J_PLAN_BY_SIZE": "false", "NEO4J_EXPRESSIONS": "interpreted", "NEO4J_REPLAN": "false"}
    uri = f"bolt://127.0.0.1:{port}"
    env = {"KITH_NEO4J_URI": uri, "KITH_NEO4J_PASSWORD": "crash-test-pw", "KITH_INTERNAL_DOMAINS": FIRM_DOMAIN,
           "KITH_EMAIL_BATCH": "20",  # a file a batch: the server dies between committed batches
           "KITH_NEO4J_RETRY_SECONDS": "3"}  # gives up 3 s after the server died, not the default 30
    firm = make_firm(seed=4, colleagues=12, organizations=10, contacts_per_org=5)
    mail = write_corpus(tmp_path / "mail", firm, 240, per_file=20)  # twelve files
    launcher("start", server)
    ingest = None
    try:
        ingest = subprocess.Popen([sys.executable, "-m", "kith.api", "ingest", "email", *map(str, mail), "--json"],
                                  env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        store = Neo4jStore.connect(uri, "neo4j", "crash-test-pw")
        try:
            # The ingest runs in short slices and is counted while paused, so that on a loaded machine it
            # cannot finish between a count and the kill: the server dies with ten files of twelve to go.
            deadline = time.monotonic() + 300
            os.kill(ingest.pid, signal.SIGSTOP)
            while store.counts()["interactions"] < 40:  # two files in
                os.kill(ingest.pid, signal.SIGCONT)
                assert ingest.poll() is None and time.monotonic() < deadline, ingest.communicate(timeout=60)
                time.sleep(0.2)
                os.kill(ingest.pid, signal.SIGSTOP)
            assert store.counts()["interactions"] < 240  # files still to go
        finally:
            store.close()
        kill(tmp_path / "neo4j" / "neo4j.pid")
        os.kill(ingest.pid, signal.SIGCONT)
        # Built while the ingest's driver retries before it gives up.
        reference = SQLiteStore.open(tmp_path / "reference.db")
        ingest_email(reference, Settings(db=tmp_path / "reference.db", internal_domains=[FIRM_DOMAIN]), mail)
        out, err = ingest.communicate(timeout=300)
        assert ingest.returncode == 1, (out, err)
        assert "Cannot reach Neo4j at " + uri in err and "Traceback" not in err

        launcher("start", server)  # the same data folder: Neo4j recovers from its transaction log
        again = kith("ingest", "email", *mail, "--json", env=env)  # in this process: no second start-up
        assert again.returncode == 0, again.stderr

        store = Neo4jStore.connect(uri, "neo4j", "crash-test-pw")
        try:
            assert store.counts() == reference.counts()  # nothing lost, nothing twice
            assert sorted(store.iter_knows(), key=lambda k: (k.a, k.b)) == \
                   sorted(reference.iter_knows(), key=lambda k: (k.a, k.b))  # no delta applied twice
        finally:
            store.close()
            reference.close()
    finally:
        kill(tmp_path / "neo4j" / "neo4j.pid")  # its data is thrown away: no clean stop to wait for
        if ingest is not None and ingest.poll() is None:
            ingest.kill()  # a failed check may have left it paused
