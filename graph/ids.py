"""Deterministic ids from natural keys, so that re-ingesting the same source yields the same ids."""

from __future__ import annotations

import hashlib


def _digest(*parts: str) -> str:
    h = hashlib.blake2b(digest_size=10)
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.hexdigest()


def person_id(natural_key: str) -> str:
    """A person's id from their first normalised email address (or another stable key)."""
    return "p_" + _digest(natural_key.strip().lower())


def org_id(normalized_name: str) -> str:
    return "o_" + _digest(normalized_name.strip().lower())


def interaction_id(kind: str, natural_key: str) -> str:
    """From a Message-ID, an iCalendar UID plus recurrence, a note's key or a content hash."""
    return "i_" + _digest(kind, natural_key.strip())


def deal_id(source: str, natural_key: str) -> str:
    return "d_" + _digest(source, natural_key.strip())


def email_hash(email: str) -> str:
    """What an erased person leaves behind: enough to refuse re-ingesting them, not to recover them."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()
