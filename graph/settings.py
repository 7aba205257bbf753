"""The settings of the graph and the ingests: one typed object, read from the environment (KITH_*) and an
optional TOML file. What only the API server and the CLI read is added by ``api.settings.ApiSettings``.

Precedence: command-line options > environment > config file > defaults. The config file is
``$KITH_CONFIG`` or ``kith.toml`` in the user's config directory.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings import TomlConfigSettingsSource

from kith.graph.errors import KithError
from kith.graph.store_location import ENV_PREFIX, StoreLocation, absolute, config_file_path, default_db_path

class PrivacyMode(StrEnum):
    """What Kith keeps of a message, meeting or note. Every mode keeps who and when and the headers, the
    subject among them (a meeting's title and a deal's name are its equivalents): ``metadata`` keeps only
    that, and searches and ranks experts from subjects alone. ``topics`` also keeps what the body says, as
    key phrases and the body's content words (unordered); ``full`` also the body itself. A note has no
    header: its text is content. Every ingester asks these properties, so the rule is written once."""

    METADATA = "metadata"
    TOPICS = "topics"
    FULL = "full"

    @property
    def keeps_content(self) -> bool:
        """Something of what a body says: its key phrases, a note's text."""
        return self is not PrivacyMode.METADATA

    @property
    def keeps_terms(self) -> bool:
        """The body's content words, unordered (searchable, not readable)."""
        return self is PrivacyMode.TOPICS

    @property
    def keeps_body(self) -> bool:
        return self is PrivacyMode.FULL


def _split_list(value: object) -> object:
    if isinstance(value, str):
        return [part.strip().lower() for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return [str(part).strip().lower() for part in value if str(part).strip()]
    return value


class SyncAccount(BaseModel):
    """One mailbox or calendar account that `kith sync` keeps current (``[[accounts]]`` in the TOML).
    The secret is read from ``password_env`` or ``password_file`` (for ``auth = "xoauth2"``: the
    access token), never given on the command line."""

    model_config = {"extra": "forbid"}

    name: str = Field(pattern=r"^[A-Za-z0-9_.@+-]+$")
    kind: Literal["imap", "caldav"]
    host: str = ""  # imap
    port: int | None = None  # imap: 993 with tls, 143 otherwise
    security: Literal["tls", "starttls", "none"] = "tls"  # imap
    url: str = ""  # caldav: the server's (or the user's principal) URL
    user: str
    auth: Literal["password", "xoauth2"] = "password"
    password_env: str = ""
    password_file: Path | None = None
    ca_file: Path | None = Field(None, description="trust the server certificate signed by this CA (PEM)")
    folders: list[str] = Field(default_factory=list, description="imap: default INBOX and the \\Sent folder")
    calendars: list[str] = Field(default_factory=list, description="caldav: calendar names; default all")
    exclude_addresses: list[str] = Field(default_factory=list)
    exclude_domains: list[str] = Field(default_factory=list)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    # Where the store is (graph.store_location reads these alone, for the fast commands).
    db: Path = Field(default_factory=default_db_path, description="SQLite database file (embedded store)")
    neo4j_uri: str = Field(StoreLocation.neo4j_uri, description="bolt:// or neo4j:// URI; when set, Neo4j is the store")
    neo4j_user: str = StoreLocation.neo4j_user
    neo4j_password: SecretStr = SecretStr(StoreLocation.neo4j_password)
    neo4j_database: str = StoreLocation.neo4j_database
    neo4j_retry_seconds: float = Field(StoreLocation.neo4j_retry_seconds, gt=0, description="how long a Neo4j "
                                       "transaction is retried while the server cannot be reached")
    internal_domains: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="the firm's own email domains, comma-separated"
    )
    privacy: PrivacyMode = Field(PrivacyMode.TOPICS, description="metadata | topics | full")
    exclude_addresses: Annotated[list[str], NoDecode] = Field(default_factory=list)
    exclude_domains: Annotated[list[str], NoDecode] = Field(default_factory=list)
    recurrence_horizon_days: int = Field(365, ge=0, description="expand recurring meetings this far past now")
    recurrence_lookback_days: int = Field(3650, ge=0, description="and no further back than this before now")
    strength_weights: dict[str, float] = Field(
        default_factory=dict,
        description='graph.strength.Weights overrides, JSON: {"meeting": 4}; `kith evaluate --fit` writes them',
    )
    email_batch: int = Field(20_000, gt=0, description="messages per committed email batch: the unit that an "
                                                        "interrupted ingest resumes from")
    max_header_bytes: int = Field(1 << 20, gt=0, description="a message whose header block is larger is skipped")
    max_recipients: int = Field(1000, gt=0, description="a message with more To/Cc/Bcc addresses is skipped")
    max_message_bytes: int = Field(32 << 20, gt=0, description="a larger message is skipped, read past, never held")
    max_row_bytes: int = Field(1 << 20, gt=0, description="a longer CSV deal row (or line) is skipped, read past")
    max_card_bytes: int = Field(4 << 20, gt=0, description="a longer vCard (or line of one) is skipped, read past")
    max_event_bytes: int = Field(4 << 20, gt=0, description="a longer calendar event (or line of one) is skipped")
    max_file_bytes: int = Field(64 << 20, gt=0, description="a larger JSON deal file is skipped unread; a larger "
                                                             ".ics is read event by event, not parsed whole")

    accounts: list[SyncAccount] = Field(default_factory=list, description="`kith sync` accounts ([[accounts]])")

    _split = field_validator("internal_domains", "exclude_addresses", "exclude_domains", mode="before")(
        _split_list
    )

    @field_validator("db")
    @classmethod
    def _absolute(cls, path: Path) -> Path:
        return absolute(path)

    @property
    def location(self) -> StoreLocation:
        return StoreLocation(self.db, self.neo4j_uri, self.neo4j_user, self.neo4j_password.get_secret_value(),
                             self.neo4j_database, self.neo4j_retry_seconds)

    @property
    def store_kind(self) -> Literal["sqlite", "neo4j"]:
        return self.location.store_kind

    def is_internal_domain(self, domain: str) -> bool:
        domain = domain.lower()
        return any(domain == d or domain.endswith("." + d) for d in self.internal_domains)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_file_path())
        return init_settings, env_settings, toml


def save_strength_weights(weights: dict[str, float]) -> Path:
    """Write ``strength_weights`` into the config file (created if missing; the rest of it kept)."""
    import tomlkit

    path = config_file_path()
    try:
        doc = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
        table = tomlkit.table()
        table.update(weights)
        doc["strength_weights"] = table
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    except (OSError, tomlkit.exceptions.TOMLKitError) as exc:
        raise KithError(f"Could not write the fitted weights to {path} ({exc}); "
                        "fix the file or point KITH_CONFIG elsewhere.") from None
    return path


S = TypeVar("S", bound=Settings)


def load_settings(**overrides: object) -> Settings:
    """Settings from file and environment, with explicit overrides (e.g. CLI options) on top."""
    return settings_from(Settings, overrides)


def settings_from(kind: type[S], overrides: Mapping[str, object]) -> S:
    """``kind`` (Settings or a subclass) from file and environment, with ``overrides`` on top (None: not given)."""
    try:
        return kind(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(
            f"KITH_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise KithError(f"Invalid setting ({problems}). Fix the environment variable or {config_file_path()}.") from None
