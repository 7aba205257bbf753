"""`kith users` and `kith tokens`: who may use the API, and their tokens (shown once)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from api.access import AccessRole, AccessStore
from api.context import out, print_json, settings_of

users = typer.Typer(help="API users and their roles.", no_args_is_help=True)
tokens = typer.Typer(help="API tokens.", no_args_is_help=True)


def access_of(ctx: typer.Context) -> AccessStore:
    return AccessStore(settings_of(ctx).access_path)


@users.command("add")
def add_user(
    ctx: typer.Context,
    name: str,
    role: Annotated[AccessRole, typer.Option(help="admin, member or viewer.")] = AccessRole.MEMBER,
    email: Annotated[str, typer.Option(help="The user's own address, linking them to their person in the graph.")] = "",
) -> None:
    """Add a user."""
    person_id = ""
    if email:
        from api.context import store_of

        person_id = store_of(ctx).people_by_email([email.lower()]).get(email.lower(), "")
    access_of(ctx).add_user(name, role, person_id)
    out.print(f"Added {name} ({role}). Create a token with `kith tokens create --user {name}`.")


@users.command("list")
def list_users(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
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
    label: Annotated[str, typer.Option(help="What the token is for.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help='Print {"token": ...}.')] = False,
) -> None:
    """Create an API token. It is shown once; only its hash is stored."""
    token = access_of(ctx).create_token(user, label)
    if as_json:
        print_json({"token": token, "user": user})
        return
    out.print(f"Token for {user} (shown once; keep it safe):\n{token}")


@tokens.command("revoke")
def revoke_tokens(ctx: typer.Context, user: Annotated[str, typer.Option("--user")]) -> None:
    """Revoke every token of a user."""
    n = access_of(ctx).revoke_tokens(user)
    out.print(f"Revoked {n} token(s) of {user}.")
