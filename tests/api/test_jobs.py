"""API ingest jobs run in a process of their own: one that hangs is stopped by its time limit or a
cancellation and the next job runs; jobs are kept in the access database, so a restart shows them."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from kith.api.jobs import SERVER_STOPPED, JobKind, JobRunner, JobState
from kith.api.settings import ApiSettings
from kith.graph.sqlite_store import SQLiteStore
from tests import loopback
from tests.api.world import World, world  # noqa: F401 (the fixture)

CARD = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Uma Upload\r\nEMAIL:uma@newclient.example\r\nEND:VCARD\r\n"


def settings_in(tmp_path, **changes) -> ApiSettings:
    SQLiteStore.open(tmp_path / "kith.db").close()
    return ApiSettings(db=tmp_path / "kith.db", access_db=tmp_path / "access.db", **changes)


def folder_with(tmp_path, name: str, content: bytes | None) -> os.PathLike:
    """A job's folder: a file, or (content None) a FIFO nobody writes to, which a reader waits on forever."""
    folder = tmp_path / f"job-{name}"
    folder.mkdir()
    if content is None:
        os.mkfifo(folder / name)
    else:
        (folder / name).write_bytes(content)
    return folder


def running(jobs: JobRunner, job_id: str) -> None:
    deadline = time.monotonic() + 20
    while jobs.get(job_id).state != JobState.RUNNING:
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_a_stuck_job_is_stopped_by_its_time_limit_and_the_next_one_runs(tmp_path):
    jobs = JobRunner(settings_in(tmp_path, ingest_timeout_s=2))
    fifo = Path(folder_with(tmp_path, "stuck.ics", None)) / "stuck.ics"
    stuck = jobs.submit(JobKind.CALENDAR, fifo.parent, "ana")
    writer = None  # once its reader waits on the FIFO: a write end, held open unwritten so that it stays stuck
    deadline = time.monotonic() + 30
    while writer is None and jobs.get(stuck.id).state in (JobState.QUEUED, JobState.RUNNING):
        assert time.monotonic() < deadline
        try:
            writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:  # no reader yet (or the job stopped before it read)
            time.sleep(0.05)
    # the stuck job's limit is fixed; the next one gets a limit that a loaded machine cannot miss
    jobs.settings = jobs.settings.model_copy(update={"ingest_timeout_s": 60.0})
    after = jobs.submit(JobKind.CONTACTS, folder_with(tmp_path, "cards.vcf", CARD), "ana")
    ended = jobs.wait(stuck.id, timeout=30)
    if writer is not None:
        os.close(writer)
    assert ended.state == JobState.FAILED and "ran longer than 2 s and was stopped" in ended.error
    done = jobs.wait(after.id, timeout=60)
    assert done.state == JobState.DONE and done.report["ingested"] == 1
    jobs.shutdown()


def test_a_running_job_can_be_cancelled(tmp_path):
    jobs = JobRunner(settings_in(tmp_path))
    stuck = jobs.submit(JobKind.CALENDAR, folder_with(tmp_path, "stuck.ics", None), "ana")
    running(jobs, stuck.id)
    start = time.monotonic()
    jobs.cancel(stuck.id)
    assert jobs.wait(stuck.id, timeout=10).state == JobState.CANCELLED and time.monotonic() - start < 5
    queued = jobs.submit(JobKind.CONTACTS, folder_with(tmp_path, "cards.vcf", CARD), "ana")
    assert jobs.wait(queued.id, timeout=60).state == JobState.DONE
    jobs.shutdown()


def test_a_restarted_server_shows_what_happened_to_its_jobs(tmp_path):
    settings = settings_in(tmp_path)
    first = JobRunner(settings)
    done = first.submit(JobKind.CONTACTS, folder_with(tmp_path, "cards.vcf", CARD), "ana")
    assert first.wait(done.id, timeout=60).state == JobState.DONE
    stuck = first.submit(JobKind.CALENDAR, folder_with(tmp_path, "stuck.ics", None), "ana")
    running(first, stuck.id)
    first.shutdown()
    second = JobRunner(settings)
    assert second.get(done.id).state == JobState.DONE and second.get(done.id).report["ingested"] == 1
    stopped = second.get(stuck.id)
    assert stopped.state == JobState.FAILED and stopped.error == SERVER_STOPPED


def job_workers() -> list[int]:
    """This process's live children running a job worker."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:  # ended meanwhile
            continue
        if int(fields[1]) == os.getpid() and fields[0] != "Z" and b"kith.api.job_worker" in cmdline:
            found.append(int(stat.parent.name))
    return found


def test_a_job_starting_as_the_server_stops_leaves_no_worker_behind(tmp_path):
    jobs = JobRunner(settings_in(tmp_path))
    stuck = jobs.submit(JobKind.CALENDAR, folder_with(tmp_path, "stuck.ics", None), "ana")
    deadline = time.monotonic() + 20
    while jobs.get(stuck.id).state != JobState.RUNNING:  # no sleep: stop the moment the job starts its worker
        assert time.monotonic() < deadline
    jobs.shutdown()
    ended = threading.Thread(target=jobs._pool.shutdown)  # the job's thread, once its worker has ended
    ended.start()
    ended.join(10)
    left = job_workers()
    for pid in left:  # a worker waiting on the FIFO would wait forever
        os.kill(pid, 9)
    assert not left and jobs.get(stuck.id).error == SERVER_STOPPED


def test_cancel_through_the_api(world: World):
    job_folder = world.app.state.jobs.save_uploads([])
    os.mkfifo(job_folder / "000-stuck.ics")
    job = world.app.state.jobs.submit(JobKind.CALENDAR, job_folder, "member")
    running(world.app.state.jobs, job.id)
    m = "mutation($id: ID!) { cancelIngestJob(id: $id) { state } }"
    refused = world.gql(m, {"id": job.id}, as_="viewer")
    assert refused["errors"] and world.app.state.jobs.get(job.id).state == JobState.RUNNING
    assert world.data(m, {"id": job.id}, as_="member")["cancelIngestJob"]["state"] in ("running", "cancelled")
    assert world.app.state.jobs.wait(job.id, timeout=10).state == JobState.CANCELLED
    status = world.data("query($id: ID!) { ingestJob(id: $id) { state error } }", {"id": job.id}, as_="member")
    assert status["ingestJob"] == {"state": "cancelled", "error": "Cancelled."}
    assert loopback.get(world.url + "/metrics").text.count('kith_ingest_jobs{state="cancelled"}') == 1
