"""Email addresses as identity keys: one normal form per mailbox, so the same person matches.

Choices:
- Domains are stored as ASCII (IDNA 2008 A-labels, via UTS #46 mapping): ``jörg@bücher.de`` becomes
  ``jörg@xn--bcher-kva.de``. That is the form on the wire and in DNS, so it compares equal however a
  client displayed it. Local parts keep their Unicode (RFC 6532), lower-cased.
- ``+tag`` sub-addresses are dropped on every domain except ``_PLUS_IS_LITERAL``: Yahoo's sub-addresses
  use ``-`` (``name-keyword@``), so a ``+`` there is not a separator. ``-`` is never stripped: too
  many real mailboxes contain it.
- Gmail ignores dots in the local part and treats googlemail.com as gmail.com.
"""

from __future__ import annotations

import re
from functools import lru_cache

import idna

_PLUS_IS_LITERAL = frozenset({"yahoo.com", "ymail.com", "rocketmail.com"})
_IGNORES_DOTS = frozenset({"gmail.com"})
_DOMAIN_ALIASES = {"googlemail.com": "gmail.com"}

# A local part with no spaces, quotes or angle brackets; a domain of dot-separated labels.
_LOCAL = re.compile(r"[^\s@<>\"(),;:\[\]\\]+")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")

@lru_cache(maxsize=1 << 17)
def normalize_address(raw: str) -> str | None:
    """The canonical form of an address, or None when ``raw`` is not a single usable address."""
    text = raw.strip().strip("<>").strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    local, at, domain = text.rpartition("@")
    if not at or not _LOCAL.fullmatch(local) or local.startswith(".") or local.endswith("."):
        return None
    domain = _ascii_domain(domain)
    if domain is None:
        return None
    local = local.lower()
    domain = _DOMAIN_ALIASES.get(domain, domain)
    if domain not in _PLUS_IS_LITERAL:
        local = local.split("+", 1)[0]
    if domain in _IGNORES_DOTS:
        local = local.replace(".", "")
    if not local or local == "undisclosed-recipients":
        return None
    return f"{local}@{domain}"


def domain_of(address: str) -> str:
    """The domain part of an address ("" when there is none)."""
    _, at, domain = address.rpartition("@")
    return domain.strip().lower() if at else ""


def _ascii_domain(domain: str) -> str | None:
    domain = domain.strip().rstrip(".")
    if domain.isascii() and "xn--" not in domain:
        domain = domain.lower()  # all IDNA would do here, a hundred times faster
    else:
        try:
            domain = idna.encode(domain, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError):
            return None
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        return None
    return domain
