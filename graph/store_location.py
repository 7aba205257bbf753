"""Where the store is: the settings that open one, read without pydantic so that a fast command
(`kith status`) pays for nothing more. ``graph.settings.Settings`` is the one definition of every setting;
it takes its environment prefix, config file and these fields' defaults from here, and
``Settings.location`` gives the same ``StoreLocation`` that ``load_store_location`` reads.

Only plain strings are read here (the environment always is one). Any other value in the config file is
left to ``Settings`` to judge, so that a wrong type gets the same message whichever path meets it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Literal

import platformdirs

ENV_PREFIX = "KITH_"


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir("kith", appauthor=False)) / "kith.db"


def config_file_path() -> Path:
    explicit = os.environ.get("KITH_CONFIG")
    if explicit:
        return Path(explicit)
    return Path(platformdirs.user_config_dir("kith", appauthor=False)) / "kith.toml"


def absolute(path: Path) -> Path:
    """Database paths resolved once, in the settings: a relative --db means the same file to every part of Kith."""
    return path.expanduser().absolute()


@dataclass(frozen=True)
class StoreLocation:  # no slots: Settings reads the defaults off the class
    db: Path
    neo4j_uri: str = ""
    neo4j_user: str = "neo4j"
    neo4j_password: str = field(default="", repr=False)
    neo4j_database: str = "neo4j"
    neo4j_retry_seconds: float = 30.0

    @property
    def location(self) -> StoreLocation:  # what open_store reads, from Settings or from this
        return self

    @property
    def store_kind(self) -> Literal["sqlite", "neo4j"]:
        return "neo4j" if self.neo4j_uri else "sqlite"

    def describe(self) -> str:
        return str(self.db) if self.store_kind == "sqlite" else self.neo4j_uri


def load_store_location(overrides: Mapping[str, object]) -> StoreLocation | None:
    """The store's location from ``overrides`` (None: not given), the environment and the config file, in
    ``Settings``' order; None when the config file holds something only ``Settings`` can judge."""
    names = [f.name for f in fields(StoreLocation)]
    env = {key.lower(): value for key, value in os.environ.items()}  # pydantic-settings: case-insensitive
    file = _config_file()
    if file is None:
        return None
    found: dict[str, object] = {}
    for name in names:
        for source in (overrides, env, file):
            key = name if source is not env else (ENV_PREFIX + name).lower()
            if source.get(key) is not None:
                found[name] = source[key]
                break
    if not all(isinstance(value, str | Path) for value in found.values()):
        return None
    db = Path(found.pop("db")) if "db" in found else default_db_path()
    kinds = {f.name: type(f.default) for f in fields(StoreLocation) if f.name != "db"}  # str, or float
    try:
        values = {name: kinds[name](str(value)) for name, value in found.items()}
    except ValueError:
        return None  # Settings says what is wrong with it
    return StoreLocation(db=absolute(db), **values)


def _config_file() -> dict[str, object] | None:
    """The config file's top-level values ({} without one); None when it does not parse."""
    import tomllib

    path = config_file_path()
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
