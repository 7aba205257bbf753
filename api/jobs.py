"""Background ingest jobs: uploaded files go to a temporary folder, one worker thread ingests them with
a store connection of its own, and the run report is kept for the status query.

One worker: the embedded store has a single writer, and a second ingest would only queue behind the
first. Jobs live in memory; a restart forgets them (the graph keeps what they ingested, and a re-run
of the same files changes nothing). Temporary files are removed when a job ends.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO

from graph.errors import KithError
from graph.settings import Settings
from graph.store import open_store

JOBS_KEPT = 500


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


def _ingest(kind: JobKind) -> Callable[..., Any]:
    if kind == JobKind.EMAIL:
        from ingest.email.pipeline import ingest_email

        return ingest_email
    if kind == JobKind.CALENDAR:
        from ingest.calendar import ingest_calendar

        return ingest_calendar
    if kind == JobKind.DEALS:
        from ingest.deals import ingest_deals

        return ingest_deals
    from ingest.contacts import ingest_contacts

    return ingest_contacts


class JobRunner:
    def __init__(self, settings: Settings, workers: int = 1):
        self.settings = settings
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kith-ingest")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def counts(self) -> dict[str, int]:
        with self._lock:
            out = {str(s): 0 for s in JobState}
            for job in self._jobs.values():
                out[str(job.state)] += 1
            return out

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
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > JOBS_KEPT:
                self._jobs.popitem(last=False)
        self._pool.submit(self._run, job, folder, profile)
        return job

    def _run(self, job: Job, folder: Path, profile: str) -> None:
        job.state, job.started_at = JobState.RUNNING, int(time.time())
        store = None
        try:
            store = open_store(self.settings)
            options: dict[str, Any] = {"profile": profile} if job.kind == JobKind.DEALS else {}
            report = _ingest(job.kind)(store, self.settings, [folder], **options)
            job.report = report.as_dict()
            job.state = JobState.DONE
        except KithError as exc:
            job.error, job.state = str(exc), JobState.FAILED
        except Exception as exc:  # the job fails, the server goes on; the client sees no traceback
            job.error, job.state = f"The ingest failed unexpectedly ({type(exc).__name__}); see the server log.", \
                JobState.FAILED
            import logging

            logging.getLogger("kith.jobs").exception("ingest job %s failed", job.id)
        finally:
            job.finished_at = int(time.time())
            if store is not None:
                store.close()
            shutil.rmtree(folder, ignore_errors=True)

    def wait(self, job_id: str, timeout: float = 60) -> Job | None:
        """Block until a job ends (for tests and scripts)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.get(job_id)
            if job is None or job.state in (JobState.DONE, JobState.FAILED):
                return job
            time.sleep(0.05)
        return self.get(job_id)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
