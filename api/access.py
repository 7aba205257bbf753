"""Who may use the API: users, their roles and API tokens, ethical walls, and the audit log.

Kept in a small SQLite file of its own (``Settings.access_db``, beside the graph by default), so the
same access rules serve either graph store. Tokens are shown once and stored only as SHA-256 hashes;
each has a name, an id (the start of its hash, for listing and revoking it) and, unless made without,
an expiry.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from kith.graph.errors import KithError, NotFound, StoreError

TOKEN_PREFIX = "kith_"
TOKEN_ID_CHARS = 12  # a token's id: the first characters of its hash
_SCHEMA = """
CREATE TABLE IF NOT EXISTS users(
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  person_id TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens(
  hash TEXT PRIMARY KEY,
  user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
  label TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX IF NOT EXISTS tokens_user ON tokens(user_name);
CREATE TABLE IF NOT EXISTS walls(name TEXT PRIMARY KEY, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS wall_members(
  wall TEXT NOT NULL REFERENCES walls(name) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('user', 'org', 'deal')),
  value TEXT NOT NULL,
  PRIMARY KEY (wall, kind, value)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit(
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  user_name TEXT NOT NULL,
  operation TEXT NOT NULL,
  subject TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_subject ON audit(subject);
"""


class AccessRole(StrEnum):
    ADMIN = "admin"  # everything, including users, walls and erasure
    MEMBER = "member"  # read, ingest, notes, their own sharing, block/opt-out contacts
    VIEWER = "viewer"  # read only


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: AccessRole
    person_id: str = ""  # the colleague this user is in the graph, when known
    walled_orgs: frozenset[str] = field(default_factory=frozenset)
    walled_deals: frozenset[str] = field(default_factory=frozenset)

    @property
    def walled(self) -> bool:
        return bool(self.walled_orgs or self.walled_deals)


class AuthError(KithError):
    pass


@dataclass(frozen=True, slots=True)
class Wall:
    name: str
    created_at: int
    users: tuple[str, ...]
    orgs: tuple[str, ...]
    deals: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: str
    user: str
    name: str
    created_at: int
    expires_at: int | None
    revoked_at: int | None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_id(token: str) -> str:
    """The id a token is listed and revoked by: the start of its hash, which reveals nothing of it."""
    return _hash(token)[:TOKEN_ID_CHARS]


class AccessStore:
    def __init__(self, path: Path):
        from kith.graph.sqlite_store import create_private  # the store module: not paid by `kith --help`

        self.path = Path(path)
        self._local = threading.local()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            create_private(self.path)
            self._conn().executescript(_SCHEMA)
            if "expires_at" not in {r[1] for r in self._conn().execute("PRAGMA table_info(tokens)")}:
                self._conn().execute("ALTER TABLE tokens ADD COLUMN expires_at INTEGER")  # an older database
        except (OSError, sqlite3.OperationalError) as exc:
            raise StoreError(f"Cannot open the access database {self.path}: {exc}. Set KITH_ACCESS_DB "
                             "to a writable path.") from None

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            self._local.conn = conn
        return conn

    # -- users and tokens ------------------------------------------------------------------------
    def add_user(self, name: str, role: AccessRole, person_id: str = "") -> User:
        try:
            self._conn().execute("INSERT INTO users (name, role, person_id, created_at) VALUES (?,?,?,?)",
                                 (name, str(role), person_id, int(time.time())))
        except sqlite3.IntegrityError:
            raise KithError(f"A user named {name!r} exists already; `kith users list` shows them.") from None
        return User(name, role, person_id)

    def remove_user(self, name: str) -> None:
        """A user and their tokens go; what the audit log says they did stays."""
        conn = self._conn()
        if not conn.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount:
            raise NotFound(f"No user named {name!r}; `kith users list` shows them.")
        conn.execute("DELETE FROM wall_members WHERE kind = 'user' AND value = ?", (name,))

    def set_role(self, name: str, role: AccessRole) -> None:
        if not self._conn().execute("UPDATE users SET role = ? WHERE name = ?", (str(role), name)).rowcount:
            raise NotFound(f"No user named {name!r}; `kith users list` shows them.")

    def users(self) -> list[User]:
        return [User(n, AccessRole(r), p) for n, r, p in
                self._conn().execute("SELECT name, role, person_id FROM users ORDER BY name")]

    def create_token(self, user_name: str, label: str = "", expires_in_s: float | None = None) -> str:
        """A new token for the user, named ``label``, valid ``expires_in_s`` seconds (None: until revoked);
        returned once, only its hash is kept."""
        if not self._conn().execute("SELECT 1 FROM users WHERE name = ?", (user_name,)).fetchone():
            raise NotFound(f"No user named {user_name!r}; add one with `kith users add {user_name} --role member`.")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = int(time.time())
        self._conn().execute("INSERT INTO tokens (hash, user_name, label, created_at, expires_at) VALUES (?,?,?,?,?)",
                             (_hash(token), user_name, label, now,
                              None if expires_in_s is None else now + int(expires_in_s)))
        return token

    def tokens(self, user_name: str | None = None) -> list[TokenInfo]:
        sql = "SELECT hash, user_name, label, created_at, expires_at, revoked_at FROM tokens"
        rows = self._conn().execute(sql + (" WHERE user_name = ?" if user_name else "") + " ORDER BY created_at",
                                    (user_name,) if user_name else ()).fetchall()
        return [TokenInfo(h[:TOKEN_ID_CHARS], *rest) for h, *rest in rows]

    def revoke_token(self, token_id: str) -> None:
        """Revoke the one token whose id (``tokens()``) this is."""
        found = [t for t in self.tokens() if t.id == token_id.strip().lower()]
        if not found:
            raise NotFound(f"No token has the id {token_id!r}; `kith tokens list` shows them.")
        self._conn().execute("UPDATE tokens SET revoked_at = ? WHERE substr(hash, 1, ?) = ? AND revoked_at IS NULL",
                             (int(time.time()), TOKEN_ID_CHARS, found[0].id))

    def revoke_tokens(self, user_name: str) -> int:
        cur = self._conn().execute("UPDATE tokens SET revoked_at = ? WHERE user_name = ? AND revoked_at IS NULL",
                                   (int(time.time()), user_name))
        return cur.rowcount

    def authenticate(self, token: str) -> User:
        """The token's user, with their walls. A user found is kept (per thread, with its connection) while
        the database stands still: any commit since, by this connection (``total_changes``) or another
        (``PRAGMA data_version``), a revocation or a wall among them, reads it afresh; expiry is checked
        every time. Two queries per request were ~5 % of a person lookup."""
        digest = _hash(token)
        conn = self._conn()
        state = (conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes)
        known = getattr(self._local, "known", None)
        if known is None or known[0] != state:
            known = self._local.known = (state, {})
        kept = known[1].get(digest)
        if kept is not None and (kept[1] is None or kept[1] > time.time()):
            return kept[0]
        row = conn.execute(
            "SELECT u.name, u.role, u.person_id, t.hash, t.expires_at FROM tokens t JOIN users u ON u.name = t.user_name "
            "WHERE t.hash = ? AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)",
            (digest, int(time.time()))).fetchone()
        if row is None or not hmac.compare_digest(row[3], digest):
            raise AuthError("Unknown, expired or revoked API token.")
        orgs, deals = self._walled(row[0])
        user = User(row[0], AccessRole(row[1]), row[2], orgs, deals)
        known[1][digest] = (user, row[4])
        return user

    # -- ethical walls ---------------------------------------------------------------------------
    def add_wall(self, name: str, users: Iterable[str] = (), orgs: Iterable[str] = (), deals: Iterable[str] = (),
                 actor: str = "") -> None:
        """Define a wall, or add users (kept from) organisations and deals to it; audited as ``actor``."""
        users, orgs, deals = list(users), list(orgs), list(deals)
        unknown = sorted(set(users) - {u.name for u in self.users()})
        if unknown:
            raise NotFound(f"No user named {', '.join(map(repr, unknown))}; `kith users list` shows them.")
        conn = self._conn()
        conn.execute("INSERT OR IGNORE INTO walls (name, created_at) VALUES (?, ?)", (name, int(time.time())))
        conn.executemany("INSERT OR IGNORE INTO wall_members (wall, kind, value) VALUES (?,?,?)",
                         [(name, "user", v) for v in users] + [(name, "org", v) for v in orgs]
                         + [(name, "deal", v) for v in deals])
        self._audit_rows(actor, f"wall:define:{name}", [*users, *orgs, *deals] or [name])

    def lift_wall(self, name: str, actor: str = "") -> None:
        """Remove a wall: its users see its organisations and deals again; audited as ``actor``."""
        wall = next((w for w in self.walls() if w.name == name), None)
        if wall is None:
            raise NotFound(f"No wall named {name!r}; `kith walls list` shows them.")
        self._conn().execute("DELETE FROM walls WHERE name = ?", (name,))
        self._audit_rows(actor, f"wall:lift:{name}", [*wall.users, *wall.orgs, *wall.deals] or [name])

    def walls(self) -> list[Wall]:
        members: dict[str, dict[str, list[str]]] = {}
        for wall, kind, value in self._conn().execute("SELECT wall, kind, value FROM wall_members ORDER BY value"):
            members.setdefault(wall, {}).setdefault(kind, []).append(value)
        return [Wall(name, at, *(tuple(members.get(name, {}).get(k, ())) for k in ("user", "org", "deal")))
                for name, at in self._conn().execute("SELECT name, created_at FROM walls ORDER BY name")]

    def _walled(self, user_name: str) -> tuple[frozenset[str], frozenset[str]]:
        rows = self._conn().execute(
            "SELECT m.kind, m.value FROM wall_members w JOIN wall_members m ON m.wall = w.wall "
            "WHERE w.kind = 'user' AND w.value = ? AND m.kind IN ('org', 'deal')", (user_name,)).fetchall()
        return (frozenset(v for k, v in rows if k == "org"), frozenset(v for k, v in rows if k == "deal"))

    # -- audit -----------------------------------------------------------------------------------
    def audit(self, user: User, operation: str, subjects: Iterable[str]) -> None:
        self._audit_rows(user.name, operation, subjects)

    def _audit_rows(self, user_name: str, operation: str, subjects: Iterable[str]) -> None:
        now = int(time.time())
        conn = self._conn()
        with conn:  # one transaction, not one per row
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO audit (at, user_name, operation, subject) VALUES (?,?,?,?)",
                             [(now, user_name, operation, s) for s in dict.fromkeys(subjects)])

    def audit_log(self, subject: str | None = None, limit: int = 100) -> list[tuple[int, str, str, str]]:
        sql = "SELECT at, user_name, operation, subject FROM audit"
        args: list[object] = []
        if subject:
            sql += " WHERE subject = ?"
            args.append(subject)
        return self._conn().execute(sql + " ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
