"""`kith` as its own process: the installed script and `python -m kith.api`, and what a quick command
imports. Every other CLI test runs in-process (tests/cli.py); these are the few that need a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Libraries a command pays for only when it uses them (spaCy alone costs most of a second).
HEAVY = ("spacy", "numpy", "sklearn", "scipy", "networkx", "strawberry", "fastapi", "uvicorn", "neo4j",
         "rapidfuzz", "icalendar", "vobject", "tldextract", "nameparser", "extract_msg", "openpyxl")

IMPORTED = """
import json, sys
from kith.api.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("\\nIMPORTED " + json.dumps(sorted(m for m in sys.modules if "." not in m)))
"""


def imported_by(*args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", IMPORTED, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.rpartition("\nIMPORTED ")[2]))


def test_help_and_version_import_no_heavy_library():
    for args in (["--help"], ["--version"], ["ingest", "--help"], ["paths", "--help"]):
        modules = imported_by(*args)
        assert not modules & {*HEAVY, "pydantic", "pydantic_settings"}, (args, sorted(modules & {*HEAVY, "pydantic"}))


def test_status_imports_only_the_store_and_where_it_is(tmp_path):
    """`kith status` reads the store's location alone (graph.store_location): not pydantic's ~0.3 s."""
    db = tmp_path / "kith.db"
    imported_by("--db", str(db), "init")
    assert not imported_by("--db", str(db), "status", "--json") & {*HEAVY, "pydantic", "pydantic_settings"}


def test_the_installed_script_and_python_m_kith_api(tmp_path):
    script = Path(sys.executable).with_name("kith")
    if not script.exists():
        pytest.skip(f"no kith script beside {sys.executable}: install the package (pip install -e .)")
    db = tmp_path / "kith.db"
    made = subprocess.run([script, "--db", db, "init", "--json"], capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["location"] == str(db)
    status = subprocess.run([sys.executable, "-m", "kith.api", "--db", db, "status", "--json"], capture_output=True,
                            text=True, timeout=120)
    assert status.returncode == 0 and json.loads(status.stdout)["counts"]["people"] == 0
    version = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=120)
    assert version.returncode == 0 and version.stdout.startswith("kith ")
    missing = subprocess.run([script, "--db", tmp_path / "none.db", "status"], capture_output=True, text=True,
                             timeout=120)
    assert missing.returncode == 1 and "no store at" in missing.stderr and "Traceback" not in missing.stderr


def test_a_table_sent_to_a_pipe_keeps_whole_lines(tmp_path):
    """`kith users list | grep ...` typed in an 80-column terminal: the pipe gets whole rows."""
    import fcntl
    import pty
    import struct
    import termios

    from kith.api.access import AccessRole, AccessStore

    name = "a-user-whose-name-alone-is-wider-than-an-eighty-column-terminal-" + "x" * 40
    AccessStore(tmp_path / "kith.access.db").add_user(name, AccessRole.MEMBER, "")
    terminal, typed_in = pty.openpty()  # stdin is the user's terminal, 80 columns wide; stdout a pipe
    fcntl.ioctl(typed_in, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    try:
        listed = subprocess.run([sys.executable, "-m", "kith.api", "--db", tmp_path / "kith.db", "users", "list"],
                                stdin=typed_in, capture_output=True, text=True, timeout=120,
                                env={k: v for k, v in os.environ.items() if k != "COLUMNS"})
    finally:
        os.close(terminal), os.close(typed_in)
    assert listed.returncode == 0, listed.stderr
    assert name in listed.stdout and "member" in listed.stdout.split(name)[1].splitlines()[0]
