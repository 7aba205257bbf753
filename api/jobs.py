"""Background ingest jobs: uploaded files go to a temporary folder; one thread runs the jobs in turn,
each in a process of its own (``api.job_worker``), and the jobs are kept in the access database, so
that a restarted server (or another ``--workers`` process) shows what happened to them.

One job at a time: the embedded store has a single writer, and a second ingest would only queue
behind the first. A job that runs longer than ``ApiSettings.ingest_timeout_s``, or is cancelled, has
its process group killed; the next job then runs. A job whose server stopped before it ended is
shown as failed (the graph keeps what it ingested, and a rerun of the same files changes nothing).
Temporary files are removed when a job ends.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import SecretStr

from kith.api.settings import ApiSettings
from kith.graph.sqlite_store import create_private

JOBS_KEPT = 500
POLL_S = 0.25  # how often a running job's cancellation is looked for
_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs(
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  user_name TEXT NOT NULL,
  files TEXT NOT NULL,
  state TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  report TEXT,
  error TEXT NOT NULL DEFAULT '',
  cancel INTEGER NOT NULL DEFAULT 0,
  server TEXT NOT NULL,
  server_pid INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_created ON jobs(created_at);
"""
_COLUMNS = "id, kind, user_name, files, state, created_at, started_at, finished_at, report, error"
SERVER_STOPPED = ("The server stopped before this job ended; upload the files again "
                  "(what it ingested stays, and a rerun changes nothing already in the graph).")
log = logging.getLogger("kith.jobs")


class JobKind(StrEnum):
    EMAIL = "email"
    CALENDAR = "calendar"
    DEALS = "deals"
    CONTACTS = "contacts"


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


ENDED = (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


@dataclass(slots=True)
class Job:
    id: str
    kind: JobKind
    user: str
    files: list[str]
    state: JobState = JobState.QUEUED
    created_at: int = field(default_factory=lambda: int(time.time()))
    started_at: int | None = None
    finished_at: int | None = None
    report: dict[str, Any] | None = None
    error: str = ""


def ingest_function(kind: JobKind) -> Callable[..., Any]:
    if kind == JobKind.EMAIL:
        from kith.ingest.email.pipeline import ingest_email

        return ingest_email
    if kind == JobKind.CALENDAR:
        from kith.ingest.calendar import ingest_calendar

        return ingest_calendar
    if kind == JobKind.DEALS:
        from kith.ingest.deals import ingest_deals

        return ingest_deals
    from kith.ingest.contacts import ingest_contacts

    return ingest_contacts


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _settings_for_worker(settings: ApiSettings) -> dict[str, Any]:
    values = settings.model_dump()
    return {k: v.get_secret_value() if isinstance(v, SecretStr) else v for k, v in values.items()}


class JobRunner:
    def __init__(self, settings: ApiSettings, workers: int = 1):
        self.settings = settings
        self.server = uuid.uuid4().hex  # this runner; a job of another, dead or replaced, is orphaned
        self._local = threading.local()
        create_private(settings.access_path)
        self._conn().executescript(_SCHEMA)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kith-ingest")
        self._running: dict[str, subprocess.Popen] = {}
        self._stopping = False
        self._fail_orphans()

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.settings.access_path, timeout=30, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA journal_mode = WAL")
            self._local.conn = conn
        return conn

    def _fail_orphans(self) -> None:
        """Jobs left queued or running by a server that is gone (or replaced in this very process id)."""
        rows = self._conn().execute("SELECT id, server, server_pid FROM jobs WHERE state IN ('queued', 'running')")
        orphans = [job_id for job_id, server, pid in rows
                   if server != self.server and (pid == os.getpid() or not _alive(pid))]
        for job_id in orphans:
            self._end(job_id, JobState.FAILED, error=SERVER_STOPPED)

    def _end(self, job_id: str, state: JobState, report: dict | None = None, error: str = "") -> None:
        self._conn().execute("UPDATE jobs SET state = ?, finished_at = ?, report = ?, error = ? WHERE id = ?",
                             (str(state), int(time.time()), json.dumps(report) if report is not None else None,
                              error, job_id))

    # -- reading ---------------------------------------------------------------------------------
    def get(self, job_id: str) -> Job | None:
        row = self._conn().execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            return None
        job_id, kind, user, files, state, created, started, finished, report, error = row
        return Job(job_id, JobKind(kind), user, json.loads(files), JobState(state), created, started, finished,
                   json.loads(report) if report else None, error)

    def counts(self) -> dict[str, int]:
        out = {str(s): 0 for s in JobState}
        out.update(self._conn().execute("SELECT state, count(*) FROM jobs GROUP BY state").fetchall())
        return out

    # -- running ---------------------------------------------------------------------------------
    def save_uploads(self, files: list[tuple[str, BinaryIO]]) -> Path:
        """Copy uploads into a new temporary folder (blocking; run it off the event loop)."""
        folder = Path(tempfile.mkdtemp(prefix="kith-upload-"))  # their size: capped by api.body_limit
        try:
            for n, (name, stream) in enumerate(files):
                safe = Path(name or f"upload-{n}").name.lstrip(".") or f"upload-{n}"
                target = folder / f"{n:03d}-{safe}"
                with target.open("wb") as out:
                    shutil.copyfileobj(stream, out, 1 << 20)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return folder

    def submit(self, kind: JobKind, folder: Path, user: str, profile: str = "generic") -> Job:
        job = Job(uuid.uuid4().hex, kind, user, sorted(p.name for p in folder.iterdir()))
        conn = self._conn()
        conn.execute("INSERT INTO jobs (id, kind, user_name, files, state, created_at, server, server_pid) "
                     "VALUES (?,?,?,?,?,?,?,?)", (job.id, str(kind), user, json.dumps(job.files), str(job.state),
                                                  job.created_at, self.server, os.getpid()))
        conn.execute("DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state IN ('done', 'failed', 'cancelled') "
                     "ORDER BY created_at DESC LIMIT -1 OFFSET ?)", (JOBS_KEPT,))
        self._pool.submit(self._run, job.id, kind, folder, profile)
        return job

    def cancel(self, job_id: str) -> Job | None:
        """Ask a queued or running job to stop (any server process of this access database sees it)."""
        self._conn().execute("UPDATE jobs SET cancel = 1 WHERE id = ?", (job_id,))
        self._conn().execute("UPDATE jobs SET state = 'cancelled', finished_at = ? WHERE id = ? AND state = 'queued'",
                             (int(time.time()), job_id))
        return self.get(job_id)

    def _cancelled(self, job_id: str) -> bool:
        return bool(self._conn().execute("SELECT cancel FROM jobs WHERE id = ?", (job_id,)).fetchone()[0])

    def _run(self, job_id: str, kind: JobKind, folder: Path, profile: str) -> None:
        try:
            started = self._conn().execute("UPDATE jobs SET state = 'running', started_at = ? "
                                           "WHERE id = ? AND state = 'queued'", (int(time.time()), job_id))
            if started.rowcount:
                self._end(job_id, *self._work(job_id, kind, folder, profile))
        except Exception:  # the job fails, the server goes on; the client sees no traceback
            log.exception("ingest job %s failed", job_id)
            self._end(job_id, JobState.FAILED, error="The ingest failed unexpectedly; see the server log.")
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _work(self, job_id: str, kind: JobKind, folder: Path, profile: str) -> tuple[JobState, dict | None, str]:
        spec = json.dumps({"kind": str(kind), "folder": str(folder), "profile": profile,
                           "settings": _settings_for_worker(self.settings)}, default=str)
        proc = subprocess.Popen([sys.executable, "-m", "kith.api.job_worker"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        self._running[job_id] = proc
        if self._stopping:  # shutdown came between this job's start and here, so it did not see the worker
            self._kill(proc)
        limit = self.settings.ingest_timeout_s  # fixed when the job starts
        deadline = time.monotonic() + limit
        try:
            given: str | None = spec
            while True:
                try:
                    out, err = proc.communicate(given, timeout=POLL_S)
                    break
                except subprocess.TimeoutExpired:
                    given = None
                    if self._cancelled(job_id):
                        self._kill(proc)
                        proc.communicate()
                        return JobState.CANCELLED, None, "Cancelled."
                    if time.monotonic() > deadline:
                        self._kill(proc)
                        proc.communicate()
                        return JobState.FAILED, None, (
                            f"The ingest ran longer than {limit:g} s and was stopped; "
                            "send fewer files per job, or ingest them on the server with `kith ingest`.")
        finally:
            self._running.pop(job_id, None)
        if self._stopping:
            return JobState.FAILED, None, SERVER_STOPPED
        if proc.returncode == 0:
            return JobState.DONE, json.loads(out), ""
        if proc.returncode == 1 and out.startswith("{"):
            return JobState.FAILED, None, json.loads(out)["error"]
        if self._cancelled(job_id):
            return JobState.CANCELLED, None, "Cancelled."
        log.error("ingest job %s: worker exited with %s\n%s", job_id, proc.returncode, err[-4000:])
        return JobState.FAILED, None, "The ingest failed unexpectedly; see the server log."

    @staticmethod
    def _kill(proc: subprocess.Popen) -> None:
        """End the worker and any process it started (the email pipeline's pool)."""
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def wait(self, job_id: str, timeout: float = 60) -> Job | None:
        """Block until a job ends (for tests and scripts)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.get(job_id)
            if job is None or job.state in ENDED:
                return job
            time.sleep(0.05)
        return self.get(job_id)

    def shutdown(self) -> None:
        """Stop: running workers are killed and their jobs, like those still queued, told as stopped."""
        self._stopping = True
        self._pool.shutdown(wait=False, cancel_futures=True)
        for proc in list(self._running.values()):
            self._kill(proc)
        self._conn().execute("UPDATE jobs SET state = 'failed', finished_at = ?, error = ? WHERE server = ? "
                             "AND state IN ('queued', 'running')", (int(time.time()), SERVER_STOPPED, self.server))
