"""What every sync connection needs from an account: its secret and the TLS context to trust."""

from __future__ import annotations

import os
import ssl

from kith.graph.errors import KithError
from kith.graph.settings import SyncAccount


def read_secret(account: SyncAccount) -> str:
    """The password (or XOAUTH2 access token) from the environment variable or file the account names."""
    what = "access token" if account.auth == "xoauth2" else "password"
    if account.password_env:
        value = os.environ.get(account.password_env, "")
        if not value:
            raise KithError(f"account {account.name}: the environment variable {account.password_env} holding its "
                            f"{what} is not set.")
        return value
    if account.password_file:
        try:
            return account.password_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise KithError(f"account {account.name}: cannot read its {what} file {account.password_file}: "
                            f"{exc.strerror or exc}.") from None
    raise KithError(f"account {account.name}: give password_env or password_file (the {what} is never taken "
                    "from the command line).")


def tls_context(account: SyncAccount) -> ssl.SSLContext:
    """The system's trusted CAs, or only the CA file the user chose (a self-signed server's own certificate)."""
    try:
        return ssl.create_default_context(cafile=str(account.ca_file) if account.ca_file else None)
    except (OSError, ssl.SSLError) as exc:
        raise KithError(f"account {account.name}: cannot load the CA file {account.ca_file}: {exc}.") from None
