"""Mapping profiles: which column holds which field of a deal, stage names, person columns and
reference lists (``kith/ingest/deal_profiles/*.toml``, or any TOML file that ``extends`` one)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from kith.graph.errors import KithError
from kith.graph.model import DealRoleKind

_FIELDS = ("id", "name", "account", "stage", "amount", "currency", "opened", "closed")


@dataclass(slots=True)
class PersonColumn:
    column: list[str]
    role: DealRoleKind
    by: str = "email"  # email | name
    name_column: list[str] = field(default_factory=list)
    split: str = ""
    internal: bool = False
    role_column: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Reference:
    file: str
    column: str


@dataclass(slots=True)
class Profile:
    name: str
    system: str
    fields: dict[str, list[str]]
    won: frozenset[str]
    lost: frozenset[str]
    people: list[PersonColumn]
    roles: dict[str, DealRoleKind]
    references: dict[str, Reference]
    currency: str = ""
    records: str = ""
    sheet: str = ""
    include: list[str] = field(default_factory=list)
    date_formats: list[str] = field(default_factory=list)
    path: Path | None = None


def available_profiles() -> list[str]:
    return sorted(p.name.removesuffix(".toml") for p in resources.files("kith.ingest.deal_profiles").iterdir()
                  if p.name.endswith(".toml"))


def _raw_profile(name_or_path: str) -> tuple[dict, Path | None]:
    path = Path(name_or_path)
    if name_or_path.endswith(".toml") or path.exists():
        try:
            return tomllib.loads(path.read_text(encoding="utf-8")), path
        except OSError as exc:
            raise KithError(f"Cannot read the deal profile {path}: {exc.strerror or exc}.") from None
        except tomllib.TOMLDecodeError as exc:
            raise KithError(f"The deal profile {path} is not valid TOML: {exc}.") from None
    if name_or_path not in available_profiles():
        raise KithError(f"No deal profile named {name_or_path!r}. Use one of {', '.join(available_profiles())}, "
                        "or give the path of a .toml mapping file.")
    text = resources.files("kith.ingest.deal_profiles").joinpath(f"{name_or_path}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text), None


def _merge(base: dict, over: dict) -> dict:
    """Tables merge key by key; anything else (arrays included) is replaced."""
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _names(value: object) -> list[str]:
    if value is None or value == "":
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def load_profile(name_or_path: str) -> Profile:
    """A shipped profile by name, or a TOML mapping file (which may extend a shipped one)."""
    raw, path = _raw_profile(name_or_path)
    seen = {name_or_path}
    while "extends" in raw:
        parent = raw.pop("extends")
        if parent in seen:
            raise KithError(f"The deal profile {name_or_path} extends itself through {parent!r}.")
        seen.add(parent)
        base, _ = _raw_profile(parent)
        raw = _merge(base, raw)
    where = path or name_or_path
    try:
        roles = {str(k).casefold(): DealRoleKind(v) for k, v in raw.get("roles", {}).items()}
        people = [
            PersonColumn(_names(p["column"]), DealRoleKind(p.get("role", "influencer")), p.get("by", "email"),
                         _names(p.get("name_column")), p.get("split", ""), bool(p.get("internal", False)),
                         _names(p.get("role_column")))
            for p in raw.get("people", [])
        ]
        references = {col: Reference(r["file"], r["column"]) for col, r in raw.get("references", {}).items()}
    except (KeyError, ValueError, TypeError) as exc:
        raise KithError(f"The deal profile {where} is incomplete or has a bad value ({exc}). "
                        f"Roles are one of: {', '.join(r.value for r in DealRoleKind)}.") from None
    for p in people:
        if p.by not in ("email", "name"):
            raise KithError(f"The deal profile {where}: people 'by' must be \"email\" or \"name\", not {p.by!r}.")
    fields = {f: _names(raw.get("fields", {}).get(f)) for f in _FIELDS}
    if not fields["id"] and not fields["name"]:
        raise KithError(f"The deal profile {where} maps neither an id nor a name column; map at least one.")
    status = raw.get("status", {})
    return Profile(
        name=raw.get("name", str(where)), system=raw.get("system", raw.get("name", "crm")), fields=fields,
        won=frozenset(s.casefold() for s in status.get("won", [])),
        lost=frozenset(s.casefold() for s in status.get("lost", [])),
        people=people, roles=roles, references=references, currency=raw.get("currency", ""),
        records=raw.get("records", ""), sheet=raw.get("sheet", ""), include=list(raw.get("include", [])),
        date_formats=list(raw.get("date_formats", [])), path=path,
    )
