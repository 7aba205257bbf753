"""`kith serve --workers N`: the worker processes serve from the store chosen on the command line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx

from tests.api.world import free_port
from tests.cli import kith


def test_workers_use_the_sqlite_file_named_by_db_even_with_neo4j_in_the_environment(tmp_path):
    port = free_port()
    db = tmp_path / "kith.db"
    env = {**os.environ, "KITH_NEO4J_URI": "bolt://127.0.0.1:1", "KITH_ACCESS_DB": str(tmp_path / "access.db")}
    assert kith("--db", db, "init", env=env).returncode == 0  # in this process; the server below is a real one
    server = subprocess.Popen([sys.executable, "-m", "kith.api", "--db", str(db), "serve", "--workers", "2",
                               "--port", str(port), "--log-level", "warning"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline, health = time.monotonic() + 60, None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert health is not None, server.communicate(timeout=10)
        assert health.status_code == 200 and health.json()["store"] == "sqlite"
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=30)
    assert "sqlite store at" in out


def _healthz_count(text: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith('kith_http_requests_total{') and 'path="/healthz"' in line)


def test_metrics_add_up_every_worker_dead_ones_included_and_can_require_a_token(tmp_path):
    port = free_port()
    db, shared = tmp_path / "kith.db", tmp_path / "metrics"
    shared.mkdir()
    env = {**os.environ, "KITH_NEO4J_URI": "", "KITH_ACCESS_DB": str(tmp_path / "access.db"),
           "KITH_METRICS_TOKEN": "scrape-me", "PROMETHEUS_MULTIPROC_DIR": str(shared)}
    assert kith("--db", db, "init", env=env).returncode == 0
    server = subprocess.Popen([sys.executable, "-m", "kith.api", "--db", str(db), "serve", "--workers", "2",
                               "--port", str(port), "--log-level", "warning"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url, token = f"http://127.0.0.1:{port}", {"Authorization": "Bearer scrape-me"}
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            try:
                httpx.get(url + "/healthz", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert httpx.get(url + "/metrics").status_code == 401
        for _ in range(40):  # a new connection each: the workers take them in turns
            assert httpx.get(url + "/healthz").status_code == 200
        [run] = list(shared.iterdir())  # this run's folder, inside the one given
        served = {int(p.stem.rsplit("_", 1)[1]) for p in run.glob("counter_*.db")}
        assert served and all(httpx.get(url + "/metrics", headers=token).status_code == 200 for _ in range(4))
        before = _healthz_count(httpx.get(url + "/metrics", headers=token).text)
        assert before >= 41  # the 40 and the first, whichever worker answered them and whichever answers this

        dead = served.pop()
        os.kill(dead, signal.SIGKILL)  # uvicorn starts another; the dead one's counts stay, its gauges go
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                text = httpx.get(url + "/metrics", headers=token, timeout=2).text
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert _healthz_count(text) == before
        assert not list(run.glob(f"gauge_live*_{dead}.db"))
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert not list(shared.iterdir())  # the run's folder is removed when the server stops
