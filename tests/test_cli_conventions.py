"""Conventions every `kith` command keeps: --version, --json wherever a result is printed, help without
Python types, and JSON that a script can read back."""

from __future__ import annotations

import json
from importlib.metadata import version

import typer

from kith.api.cli import app
from tests.cli import kith

# Commands that print no result of their own: a server, and an export that writes the file format asked for.
NO_RESULT = {"serve", "export"}


def leaf_commands(group, path=()):
    for name, command in group.commands.items():
        if hasattr(command, "commands") and command.commands:
            yield from leaf_commands(command, (*path, name))
            if command.callback is not None and command.invoke_without_command:
                yield (*path, name), command  # `kith review`, `kith evaluate`: the group runs itself too
        else:
            yield (*path, name), command


def test_every_command_that_prints_a_result_has_json():
    missing = [" ".join(path) for path, command in leaf_commands(typer.main.get_command(app))
               if path[-1] not in NO_RESULT and not any("--json" in p.opts for p in command.params)]
    assert missing == []


def test_version():
    run = kith("--version")
    assert run.returncode == 0 and run.stdout == f"kith {version('kithgraph')}\n"


def test_help_names_values_not_python_types():
    commands = [list(path) for path, _ in leaf_commands(typer.main.get_command(app))]
    for args in [[], ["ingest"], ["users"], *commands]:
        text = kith(*args, "--help").stdout
        assert "Usage: kith" in text
        assert not any(t in text for t in ("<bool>", "<str>", "<int>", "<float>", "<path>", "list[", "Path]")), (
            args, text)


def test_access_commands_answer_in_json(tmp_path):
    db = tmp_path / "kith.db"
    assert json.loads(kith("--db", db, "users", "add", "ana", "--json").stdout) == {
        "name": "ana", "role": "member", "person_id": ""}
    assert json.loads(kith("--db", db, "users", "role", "ana", "admin", "--json").stdout) == {"name": "ana",
                                                                                            "role": "admin"}
    made = json.loads(kith("--db", db, "tokens", "create", "--user", "ana", "--json").stdout)
    assert json.loads(kith("--db", db, "tokens", "revoke", made["id"], "--json").stdout)["revoked"] == 1
    assert json.loads(kith("--db", db, "tokens", "revoke", "--user", "ana", "--json").stdout)["revoked"] == 0
    wall = json.loads(kith("--db", db, "walls", "define", "w", "--user", "ana", "--org", "o_acme", "--json").stdout)
    assert wall == {"wall": "w", "added": {"users": ["ana"], "orgs": ["o_acme"], "deals": []}}
    assert json.loads(kith("--db", db, "walls", "lift", "w", "--json").stdout) == {"lifted": "w"}
    assert json.loads(kith("--db", db, "users", "remove", "ana", "--json").stdout) == {"removed": "ana"}
    assert json.loads(kith("--db", db, "init", "--json").stdout)["location"] == str(db)


def test_evaluate_help_states_the_defaults_graph_evaluate_uses():
    # the options default to None so that --help does not import numpy; the help text names the real values
    from kith.graph.evaluate import DEFAULT_K, DEFAULT_QUANTILE

    text = " ".join(kith("evaluate", "--help").stdout.split())
    assert f"(default {DEFAULT_QUANTILE:g})" in text and f"(default {DEFAULT_K})" in text
