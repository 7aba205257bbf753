"""`kith` run in this process, as a user would run it: arguments parsed, output printed, errors turned
into an exit status by ``kith.api.cli.main``. A subprocess costs a second of imports; this costs
milliseconds. tests/test_cli_smoke.py keeps the real processes (`python -m kith.api`, the `kith` script)."""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from kith.api.cli import main


@dataclass(frozen=True, slots=True)
class Run:
    """What a finished `kith` left: the fields of ``subprocess.CompletedProcess`` that the tests read."""

    returncode: int
    stdout: str
    stderr: str


def kith(*args: object, env: dict[str, str] | None = None, cwd: str | Path | None = None) -> Run:
    """Run ``kith ARGS`` with ``env`` added to the environment (a value None removes a variable)."""
    with CliRunner().isolation(env=env) as (out, err, _), contextlib.chdir(cwd or os.getcwd()):
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        sys.stdout.flush(), sys.stderr.flush()
        return Run(code, out.getvalue().decode(), err.getvalue().decode())
