"""`kith serve --workers N`: the worker processes serve from the store chosen on the command line."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx

from tests.api.world import free_port


def test_workers_use_the_sqlite_file_named_by_db_even_with_neo4j_in_the_environment(tmp_path):
    port = free_port()
    db = tmp_path / "kith.db"
    env = {**os.environ, "KITH_NEO4J_URI": "bolt://127.0.0.1:1", "KITH_ACCESS_DB": str(tmp_path / "access.db")}
    subprocess.run([sys.executable, "-m", "kith.api", "--db", str(db), "init"], env=env, check=True, capture_output=True)
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
