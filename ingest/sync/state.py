"""Where each sync account has got to, kept in the store's meta: in both stores, and committed in the
same transaction as the records it describes (SQLite), so a stopped sync resumes where it stopped.

Keys: ``sync:<account>:<folder>`` holds one folder's (or calendar's) JSON position;
``sync:status:<account>`` the outcome of the account's last run; ``sync:accounts`` the names of every
account ever synced, so that ``kith status`` can list them.
"""

from __future__ import annotations

import json
import time

from kith.graph.store import Store

_ACCOUNTS = "sync:accounts"


class SyncState:
    """One account's per-folder positions: read from the store, changed in memory, then saved."""

    def __init__(self, store: Store, account: str):
        self.store = store
        self.account = account
        self._loaded: dict[str, dict] = {}
        self._changed: dict[str, dict] = {}

    def _key(self, folder: str) -> str:
        return f"sync:{self.account}:{folder}"

    def get(self, folder: str) -> dict:
        if folder in self._changed:
            return self._changed[folder]
        if folder not in self._loaded:
            saved = self.store.get_meta(self._key(folder))
            self._loaded[folder] = json.loads(saved) if saved else {}
        return self._loaded[folder]

    def set(self, folder: str, position: dict) -> None:
        """Remember a position (in memory); written by the next ``save``."""
        self._changed[folder] = position

    def save(self) -> None:
        if self._changed:
            self.store.set_meta({self._key(f): json.dumps(p, sort_keys=True) for f, p in self._changed.items()})
            self._loaded.update(self._changed)
            self._changed = {}


def record_status(store: Store, account: str, kind: str, *, ok: bool, error: str = "", **figures: int) -> None:
    """The outcome of one run of an account, for ``kith status`` and GraphQL ``syncStatus``."""
    names = set(json.loads(store.get_meta(_ACCOUNTS) or "[]"))
    status = {"account": account, "kind": kind, "ok": ok, "error": error, "at": int(time.time()), **figures}
    if ok:
        status["last_success_at"] = status["at"]
    else:
        previous = json.loads(store.get_meta(f"sync:status:{account}") or "{}")
        status["last_success_at"] = previous.get("last_success_at")
    store.set_meta({f"sync:status:{account}": json.dumps(status), _ACCOUNTS: json.dumps(sorted(names | {account}))})


def sync_statuses(store: Store) -> list[dict]:
    """The last run of every account synced so far, by account name."""
    names = json.loads(store.get_meta(_ACCOUNTS) or "[]")
    return [json.loads(store.get_meta(f"sync:status:{name}") or "{}") for name in names]
