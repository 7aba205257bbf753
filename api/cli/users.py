"""`kith users`, `kith tokens` and `kith walls`: who may use the API, their tokens (shown once), and the
ethical walls that keep users from organisations and deals."""

from __future__ import annotations

import getpass
import time
from datetime import datetime, timezone
from typing import Annotated

import typer
from rich.table import Table

from kith.api.access import AccessRole, AccessStore, token_id
from kith.api.cli.context import AsJson, out, print_json, say, settings_of
from kith.graph.errors import KithError

users = typer.Typer(help="API users and their roles.", no_args_is_help=True)
tokens = typer.Typer(help="API tokens.", no_args_is_help=True)
walls = typer.Typer(help="Ethical walls: users kept from organisations and deals (every change is audited).",
                    no_args_is_help=True)


def access_of(ctx: typer.Context) -> AccessStore:
    return AccessStore(settings_of(ctx).access_path)


@users.command("add")
def add_user(
    ctx: typer.Context,
    name: str,
    role: Annotated[AccessRole, typer.Option(help="admin, member or viewer.")] = AccessRole.MEMBER,
    email: Annotated[str, typer.Option(help="The user's own address, linking them to their person in the graph.")] = "",
    as_json: AsJson = False,
) -> None:
    """Add a user."""
    person_id = ""
    if email:
        from kith.api.cli.context import store_of
        from kith.ingest.identity.lookup import person_by_email

        person_id = person_by_email(store_of(ctx), email) or ""
    access_of(ctx).add_user(name, role, person_id)
    say(as_json, {"name": name, "role": str(role), "person_id": person_id},
        f"Added {name} ({role}). Create a token with `kith tokens create --user {name}`.")


@users.command("remove")
def remove_user(ctx: typer.Context, name: str, as_json: AsJson = False) -> None:
    """Remove a user and their tokens (the audit log keeps what they did)."""
    access_of(ctx).remove_user(name)
    say(as_json, {"removed": name}, f"Removed {name} and their tokens.")


@users.command("role")
def set_role(ctx: typer.Context, name: str,
             role: Annotated[AccessRole, typer.Argument(help="admin, member or viewer.")], as_json: AsJson = False) -> None:
    """Change a user's role; their tokens carry the new role from their next request."""
    access_of(ctx).set_role(name, role)
    say(as_json, {"name": name, "role": str(role)}, f"{name} is now {role}.")


@users.command("list")
def list_users(ctx: typer.Context, as_json: AsJson = False) -> None:
    """List users."""
    found = access_of(ctx).users()
    if as_json:
        print_json([{"name": u.name, "role": str(u.role), "person_id": u.person_id} for u in found])
        return
    table = Table("name", "role", "person")
    for u in found:
        table.add_row(u.name, str(u.role), u.person_id)
    out.print(table)


@tokens.command("create")
def create_token(
    ctx: typer.Context,
    user: Annotated[str, typer.Option("--user", help="Whose token.")],
    name: Annotated[str, typer.Option("--name", "--label", help="What the token is for, e.g. \"ana's laptop\".")] = "",
    expires: Annotated[str | None, typer.Option(help="Days it is valid, or \"never\" (default: the token_days setting).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help='Print {"token": ...}.')] = False,
) -> None:
    """Create an API token. It is shown once; only its hash is stored."""
    days = settings_of(ctx).token_days if expires is None else _days(expires)
    token = access_of(ctx).create_token(user, name, days * 86400 if days else None)
    expires_at = int(time.time() + days * 86400) if days else None
    if as_json:
        print_json({"token": token, "user": user, "id": token_id(token), "name": name, "expires_at": expires_at})
        return
    until = f"until {_date(expires_at)}" if expires_at else "until revoked"
    out.print(f"Token {token_id(token)} for {user}, valid {until} (shown once; keep it safe):\n{token}")


def _days(text: str) -> float:
    if text.strip().lower() == "never":
        return 0
    try:
        days = float(text)
    except ValueError:
        days = -1
    if days <= 0:
        raise KithError(f"--expires {text!r}: give a number of days (e.g. 30), or never.")
    return days


def _date(at: int | None) -> str:
    return "" if at is None else datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


@tokens.command("list")
def list_tokens(ctx: typer.Context, user: Annotated[str | None, typer.Option("--user", help="Only this user's.")] = None,
                as_json: AsJson = False) -> None:
    """List tokens: id, user, name, created, expires, revoked (never the token itself)."""
    found = access_of(ctx).tokens(user)
    if as_json:
        print_json([{"id": t.id, "user": t.user, "name": t.name, "created_at": t.created_at,
                     "expires_at": t.expires_at, "revoked_at": t.revoked_at} for t in found])
        return
    table = Table("id", "user", "name", "created", "expires", "revoked")
    for t in found:
        table.add_row(t.id, t.user, t.name, _date(t.created_at), _date(t.expires_at) or "never", _date(t.revoked_at))
    out.print(table)


@tokens.command("revoke")
def revoke_tokens(ctx: typer.Context,
                  token_id: Annotated[str | None, typer.Argument(help="The token's id (`kith tokens list`).")] = None,
                  user: Annotated[str | None, typer.Option("--user", help="Revoke every token of this user.")] = None,
                  as_json: AsJson = False) -> None:
    """Revoke one token by its id, or every token of a user with --user."""
    if (token_id is None) == (user is None):
        raise KithError("Give a token id (`kith tokens list` shows them) or --user NAME for all of a user's tokens.")
    access = access_of(ctx)
    if token_id is not None:
        access.revoke_token(token_id)
        n = 1
    else:
        n = access.revoke_tokens(user)
    if as_json:
        print_json({"revoked": n, "id": token_id, "user": user})
    elif token_id is not None:
        out.print(f"Revoked token {token_id}.")
    else:
        out.print(f"Revoked {n} token(s) of {user}.")


def _me() -> str:
    try:
        return "cli:" + getpass.getuser()
    except (KeyError, OSError):
        return "cli"


@walls.command("define")
def define_wall(
    ctx: typer.Context,
    name: str,
    user: Annotated[list[str], typer.Option("--user", help="A user kept out (repeatable).")] = [],
    org: Annotated[list[str], typer.Option("--org", help="An organisation id they may not see (repeatable).")] = [],
    deal: Annotated[list[str], typer.Option("--deal", help="A deal id they may not see (repeatable).")] = [],
    as_json: AsJson = False,
) -> None:
    """Define a wall, or add users, organisations or deals to it."""
    if not (user or org or deal):
        raise KithError("Name what the wall holds: --user NAME and --org ID or --deal ID (each repeatable).")
    access_of(ctx).add_wall(name, user, org, deal, actor=_me())
    say(as_json, {"wall": name, "added": {"users": user, "orgs": org, "deals": deal}},
        f"Wall {name}: {len(user)} user(s), {len(org)} organisation(s), {len(deal)} deal(s) added.")


@walls.command("list")
def list_walls(ctx: typer.Context, as_json: AsJson = False) -> None:
    """List walls and what they hold."""
    found = access_of(ctx).walls()
    if as_json:
        print_json([{"name": w.name, "created_at": w.created_at, "users": list(w.users), "orgs": list(w.orgs),
                     "deals": list(w.deals)} for w in found])
        return
    table = Table("name", "users", "organisations", "deals")
    for w in found:
        table.add_row(w.name, ", ".join(w.users), ", ".join(w.orgs), ", ".join(w.deals))
    out.print(table)


@walls.command("lift")
def lift_wall(ctx: typer.Context, name: str, as_json: AsJson = False) -> None:
    """Lift a wall: its users see its organisations and deals again."""
    access_of(ctx).lift_wall(name, actor=_me())
    if as_json:
        print_json({"lifted": name})
        return
    out.print(f"Lifted wall {name}.")
