"""`kith serve --workers N`: the worker processes serve from the store chosen on the command line.

The two tests share one `kith serve --workers 2` (a start is three processes that each import Kith): over a
SQLite file named by --db while the environment names a Neo4j, with its metrics behind a token. The second
test kills a worker and then stops the server, so it runs last."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests import loopback
from tests.api.world import free_port
from tests.cli import kith

pytestmark = pytest.mark.xdist_group("kith-serve")  # one worker runs both, in order, on one server


@dataclass
class Served:
    process: subprocess.Popen
    url: str
    metrics: Path  # the PROMETHEUS_MULTIPROC_DIR given to the server
    errors: Path  # its standard error
    lines: list[str] = field(default_factory=list)  # its standard output so far

    def output(self, needle: str, seconds: float = 30) -> str:
        """Its output once ``needle`` is in it, or all of it after ``seconds``."""
        deadline = time.monotonic() + seconds
        while needle not in "".join(self.lines) and time.monotonic() < deadline:
            time.sleep(0.05)
        return "".join(self.lines)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    port = free_port()
    db, shared = folder / "kith.db", folder / "metrics"
    shared.mkdir()
    env = {**os.environ, "KITH_NEO4J_URI": "bolt://127.0.0.1:1", "KITH_ACCESS_DB": str(folder / "access.db"),
           "KITH_METRICS_TOKEN": "scrape-me", "PROMETHEUS_MULTIPROC_DIR": str(shared)}
    assert kith("--db", db, "init", env=env).returncode == 0  # in this process; the server below is a real one
    with (folder / "stderr").open("w") as errors:  # the server has its own copy of the file
        process = subprocess.Popen([sys.executable, "-m", "kith.api", "--db", str(db), "serve", "--workers", "2",
                                    "--port", str(port), "--log-level", "warning"],
                                   env=env, stdout=subprocess.PIPE, stderr=errors, text=True)
    served = Served(process, f"http://127.0.0.1:{port}", shared, folder / "stderr")
    threading.Thread(target=lambda: served.lines.extend(process.stdout), daemon=True).start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                loopback.get(served.url + "/healthz", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        yield served
    finally:
        served.stop()


def test_workers_use_the_sqlite_file_named_by_db_even_with_neo4j_in_the_environment(served):
    assert served.process.poll() is None, served.errors.read_text()
    health = loopback.get(served.url + "/healthz", timeout=10)
    assert health.status_code == 200 and health.json()["store"] == "sqlite"
    assert "sqlite store at" in served.output("sqlite store at")


def _healthz_count(text: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith('kith_http_requests_total{') and 'path="/healthz"' in line)


def _running(pid: int) -> bool:
    """Not yet ended: neither gone nor a zombie (Linux's /proc)."""
    try:
        return Path(f"/proc/{pid}/stat").read_bytes().rpartition(b")")[2].split()[0] not in (b"Z", b"X")
    except FileNotFoundError:
        return False


def test_metrics_add_up_every_worker_dead_ones_included_and_can_require_a_token(served):
    url, token = served.url, {"Authorization": "Bearer scrape-me"}
    try:
        assert loopback.get(url + "/metrics").status_code == 401
        [run] = list(served.metrics.iterdir())  # this run's folder, inside the one given
        before = _healthz_count(loopback.get(url + "/metrics", headers=token).text)
        for _ in range(40):  # a new connection each: the workers take them in turns
            assert loopback.get(url + "/healthz").status_code == 200
        served_by = {int(p.stem.rsplit("_", 1)[1]) for p in run.glob("counter_*.db")}
        scrapes = [loopback.get(url + "/metrics", headers=token) for _ in range(4)]
        assert served_by and all(r.status_code == 200 for r in scrapes), [(r.status_code, r.text[:400])
                                                                            for r in scrapes]
        after = _healthz_count(loopback.get(url + "/metrics", headers=token).text)
        assert after >= before + 40  # the 40, whichever worker answered them and whichever answers this

        dead = served_by.pop()
        os.kill(dead, signal.SIGKILL)  # uvicorn starts another; the dead one's counts stay, its gauges go
        deadline = time.monotonic() + 20
        while _running(dead) and time.monotonic() < deadline:  # a killed process takes a moment to end; till
            time.sleep(0.01)  # then it is alive and its gauges rightly count
        while time.monotonic() < deadline:
            try:
                text = loopback.get(url + "/metrics", headers=token, timeout=2).text
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert _healthz_count(text) == after
        assert not list(run.glob(f"gauge_live*_{dead}.db"))
    finally:
        served.stop()
    assert not list(served.metrics.iterdir())  # the run's folder is removed when the server stops
