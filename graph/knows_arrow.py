"""A SQLite store's KNOWS table read into Arrow columns by Apache Arrow's ADBC SQLite driver, in a
process of its own. The driver fills columns in C, with no Python object per value (sqlite3's tuples
were two thirds of a network build), but it links its own copy of SQLite: two SQLite libraries in one
process drop each other's file locks (sqlite.org/howtocorrupt.html, 2.2.1; the API then failed with
"disk I/O error"). So the driver runs only here, in a child that never holds the store open otherwise,
and the batches come back as an Arrow IPC stream on its stdout."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from kith.graph.errors import StoreError
from kith.graph.model import KNOWS_COUNTERS

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

TIMES = ("first_at", "last_at")  # the KNOWS columns that may be NULL
_BATCH_ROWS = 65_536
# The driver takes a column's type from its first batch, so no column may be NULL there: an unknown
# time comes as 0 with a flag before it.
SELECT = ("SELECT a, b, " + ", ".join([f"{c} IS NULL, CAST(ifnull({c}, 0) AS REAL)" for c in TIMES]
                                      + [f"CAST({c} AS REAL)" for c in KNOWS_COUNTERS])
          + " FROM knows ORDER BY a, b")


def read_knows(path: Path) -> Iterator[dict[str, pa.Array | np.ndarray]]:
    """The KNOWS edges of the store at ``path`` as committed (one snapshot), in (a, b) order, as batches
    of ``KNOWS_COLUMNS``: ids as Arrow strings, numbers as float64 arrays (an unknown time NaN)."""
    import numpy as np
    import pyarrow as pa

    for batch in _batches(path):
        a, b, *rest = batch.columns
        columns = {"a": a, "b": b}
        for n, c in enumerate(TIMES):
            columns[c] = np.where(rest[2 * n].to_numpy() != 0, np.nan, rest[2 * n + 1].to_numpy())
        for c, values in zip(KNOWS_COUNTERS, rest[2 * len(TIMES):]):
            columns[c] = values.to_numpy()
        yield columns


def _batches(path: Path) -> Iterator[pa.RecordBatch]:
    """``SELECT``'s rows from the child: a, b, per time its is-null flag and value, the counters."""
    import pyarrow as pa

    with subprocess.Popen([sys.executable, "-m", "kith.graph.knows_arrow", str(path), str(_BATCH_ROWS)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as child:
        try:
            yield from pa.ipc.open_stream(child.stdout)
        except pa.ArrowInvalid:  # the child failed before or while writing: its stderr says why
            pass
        except BaseException:  # the caller stopped early, or was interrupted
            child.kill()
            raise
        error = child.stderr.read().decode(errors="replace").strip()
    if child.returncode != 0:
        reason = error.splitlines()[-1] if error else f"exit status {child.returncode}"
        raise StoreError(f"Reading the network from {path} failed: {reason}")


def _write(path: Path, batch_rows: int) -> None:
    import adbc_driver_sqlite.dbapi as adbc
    import pyarrow as pa

    with adbc.connect(f"{path.resolve().as_uri()}?mode=ro") as conn, conn.cursor() as cur:
        cur.execute("PRAGMA busy_timeout = 30000")  # as the store's own connection: wait out a writer's brief locks
        cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(batch_rows)})
        cur.execute(SELECT)
        batches = cur.fetch_record_batch()
        with pa.ipc.new_stream(sys.stdout.buffer, batches.schema) as out:
            for batch in batches:
                out.write_batch(batch)


if __name__ == "__main__":
    try:
        _write(Path(sys.argv[1]), int(sys.argv[2]))
    except Exception as exc:  # one line for the parent's error (the driver's message goes on to the query)
        sys.exit(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
