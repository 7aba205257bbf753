"""Where the store is, read without pydantic (graph.store_location) for the fast commands: the same answer
as the full settings (graph.settings.Settings) from every source, and a value only the settings can judge
left to them."""

from __future__ import annotations

import os

import pytest

from kith.graph.errors import KithError
from kith.graph.settings import load_settings
from kith.graph.store_location import StoreLocation, load_store_location

# (overrides, environment, config file) -> what both must read
CASES = {
    "defaults": ({}, {}, None),
    "environment": ({}, {"KITH_DB": "rel/env.db", "KITH_NEO4J_USER": "ops"}, None),
    "environment names in any case": ({}, {"kith_neo4j_uri": "bolt://h:7687", "Kith_Neo4j_Password": "pw"}, None),
    "config file": ({}, {}, 'db = "~/kith/file.db"\nneo4j_database = "crm"\nprivacy = "full"\n'),
    "environment over file": ({}, {"KITH_DB": "/env.db"}, 'db = "/file.db"\nneo4j_user = "file"\n'),
    "options over both": ({"db": "/opt.db", "neo4j_uri": ""}, {"KITH_NEO4J_URI": "bolt://h:1"},
                          'neo4j_uri = "bolt://file:2"\n'),
    "an empty value is a value": ({}, {"KITH_NEO4J_URI": ""}, 'neo4j_uri = "bolt://file:2"\n'),
    "a number": ({}, {"KITH_NEO4J_RETRY_SECONDS": "2.5"}, None),
}


@pytest.fixture
def sources(tmp_path, monkeypatch):
    def use(env: dict[str, str], toml: str | None) -> None:
        monkeypatch.chdir(tmp_path)
        for name in [n for n in os.environ if n.upper().startswith("KITH_")]:
            monkeypatch.delenv(name)
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
        config = tmp_path / "kith.toml"
        if toml is not None:
            config.write_text(toml, encoding="utf-8")
        monkeypatch.setenv("KITH_CONFIG", str(config))
        for name, value in env.items():
            monkeypatch.setenv(name, value)
    return use


@pytest.mark.parametrize("case", CASES)
def test_the_light_read_agrees_with_the_settings(sources, case):
    overrides, env, toml = CASES[case]
    sources(env, toml)
    light = load_store_location(overrides)
    assert isinstance(light, StoreLocation)
    assert light == load_settings(**overrides).location


@pytest.mark.parametrize("toml", ['db = 5\n', 'neo4j_uri = ["a", "b"]\n', 'db = "x.db"\nthis is not toml\n',
                                  'neo4j_retry_seconds = "soon"\n'])
def test_what_only_the_settings_can_judge_is_left_to_them(sources, toml):
    sources({}, toml)
    assert load_store_location({}) is None


def test_status_names_the_bad_store_setting_as_the_settings_do(sources, tmp_path):
    from tests.cli import kith

    sources({}, "db = 5\n")
    result = kith("status")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "KITH_DB" in result.stderr and str(tmp_path / "kith.toml") in result.stderr.replace("\n", "")
