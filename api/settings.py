"""The settings of the API server and the CLI: the graph's and the ingests' (``graph.settings.Settings``) and
what only the server and the CLI read. One object, from the same environment (KITH_*) and TOML file."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator

from kith.graph.settings import Settings, absolute, settings_from


class ApiSettings(Settings):
    access_db: Path | None = Field(None, description="users, tokens, walls and audit (default: beside KITH_DB)")
    introspection: bool = Field(True, description="serve GraphQL introspection (set KITH_INTROSPECTION=false in production)")
    query_timeout_s: float = Field(10.0, gt=0, description="seconds one API query may run before it is cancelled")
    metrics_token: SecretStr = Field(SecretStr(""), description="when set, /metrics asks for Authorization: Bearer <it>")
    token_days: float = Field(90.0, ge=0, description="days a new API token is valid unless told otherwise (0: until revoked)")
    ingest_timeout_s: float = Field(4 * 3600.0, gt=0, description="seconds one API ingest job may run before it is stopped")
    max_query_bytes: int = Field(256 << 10, gt=0, description="largest API request body (query and variables) read")
    max_upload_bytes: int = Field(1 << 30, gt=0, description="largest API upload (all files of one ingest job)")
    network_stale_s: float = Field(60.0, ge=0, description="seconds the API may answer paths from a network built "
                                                           "before an ingest's latest writes")
    teams: dict[str, list[str]] = Field(
        default_factory=dict, description='named teams for `kith paths --team`, JSON: {"m-and-a": ["ana@firm.com"]}'
    )

    @field_validator("access_db")
    @classmethod
    def _absolute_access(cls, path: Path | None) -> Path | None:
        return None if path is None else absolute(path)

    @property
    def access_path(self) -> Path:
        return self.access_db or self.db.with_name(self.db.stem + ".access.db")


def load_api_settings(**overrides: object) -> ApiSettings:
    """ApiSettings from file and environment, with explicit overrides (e.g. CLI options) on top."""
    return settings_from(ApiSettings, overrides)
