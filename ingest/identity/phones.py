"""Phone numbers as signatures and vCards write them, in one form so that the two compare equal."""

from __future__ import annotations

import re

_TRUNK_ZERO = re.compile(r"^(\+\d{1,3})\s*\(0\)")


def normalize_phone(raw: str) -> str:
    """Digits, with "+" for an international number ("00..." and "+44 (0)20..." handled); '' when it
    cannot be a phone number (fewer than 7 or more than 15 digits)."""
    raw = _TRUNK_ZERO.sub(r"\1", raw.strip())
    digits = "".join(c for c in raw if c.isdigit())
    international = raw.startswith("+") or raw.startswith("00")
    if raw.startswith("00"):
        digits = digits[2:]
    if not 7 <= len(digits) <= 15:
        return ""
    return ("+" if international else "") + digits
