"""The process one API ingest job runs in: ``python -m kith.api.job_worker``, the job on stdin as JSON
(kind, folder, profile and the server's settings), the run report on stdout as JSON.

A process of its own, started fresh (not forked from the server): it inherits none of uvicorn's signal
handlers or locks, so the email pipeline's worker pool behaves as under `kith ingest`, and a job that
hangs can be ended with its whole process group. Exit 0: the report; exit 1: ``{"error": message}``
for an error the user can act on; anything else is a failure whose traceback is on stderr.
"""

from __future__ import annotations

import json
import sys


def main() -> int:
    spec = json.load(sys.stdin)
    from kith.api.jobs import JobKind, ingest_function
    from kith.graph.backends import open_store
    from kith.graph.errors import KithError
    from kith.graph.settings import Settings

    settings = Settings(**spec["settings"])
    kind = JobKind(spec["kind"])
    try:
        store = open_store(settings)
        try:
            options = {"profile": spec["profile"]} if kind == JobKind.DEALS else {}
            report = ingest_function(kind)(store, settings, [spec["folder"]], **options)
        finally:
            store.close()
    except KithError as exc:
        json.dump({"error": str(exc)}, sys.stdout)
        return 1
    json.dump(report.as_dict(), sys.stdout, default=str)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
