"""Cell values: amounts, dates, and the known spellings of one column (exact, then fuzzy)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timezone

from rapidfuzz import fuzz, process

from kith.graph.text import fold
from kith.ingest.identity.organizations import normalize_company

FUZZY_THRESHOLD = 90  # rapidfuzz ratio (0-100) between normalised keys: about one typo per ten letters
FUZZY_MIN_CHARS = 6  # shorter keys only match exactly: "konex" and "konix" may be two companies
_DIGITS = re.compile(r"\d+")


def parse_amount(value: object) -> float | None:
    """1054, "1,054.50", "$1 054", "1.054,50 €" -> a number; None when it is none. Raises ValueError."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = re.sub(r"[^\d,.\-]", "", str(value))
    if not re.search(r"\d", text):
        raise ValueError(f"not an amount: {value!r}")
    if "," in text and "." in text:
        text = text.replace(",", "") if text.rfind(".") > text.rfind(",") else text.replace(".", "").replace(",", ".")
    elif "," in text:
        head, _, tail = text.rpartition(",")
        text = text.replace(",", "") if len(tail) == 3 and head.count(",") == text.count(",") - 1 else text.replace(",", ".")
    return float(text)


def parse_date(value: object, formats: Sequence[str]) -> int | None:
    """A date or timestamp cell -> UTC epoch seconds; None when empty. Raises ValueError."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return int((value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp())
    if isinstance(value, date):
        return int(datetime(value.year, value.month, value.day, tzinfo=timezone.utc).timestamp())
    text = str(value).strip()
    if text.isdigit() and len(text) in (10, 13):  # epoch seconds or milliseconds (HubSpot's API)
        return int(text) // (1000 if len(text) == 13 else 1)
    for fmt in formats:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return int(parsed.replace(tzinfo=timezone.utc).timestamp())
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))  # raises ValueError
    return int((parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp())


class Canon:
    """Known spellings of one column's values (a reference list, and what the run has seen)."""

    def __init__(self, names: Iterable[str] = ()):
        self.by_key: dict[str, str] = {}
        self.by_text: dict[str, str] = {}  # folded full spelling, legal form included ("acme corporation")
        self._found: dict[str, tuple[str, str]] = {}
        for name in names:
            self.learn(name)

    def find(self, value: str) -> tuple[str, str]:
        """(canonical spelling, how: "exact" | "similar" | "") for a value."""
        key = normalize_company(value)
        if key in self.by_key:
            return self.by_key[key], "exact"
        if value in self._found:
            return self._found[value]
        found = self._similar(key, self.by_key) or self._similar(" ".join(fold(value).split()), self.by_text)
        self._found[value] = (found, "similar") if found else (value, "")
        return self._found[value]

    @staticmethod
    def _similar(text: str, known: dict[str, str]) -> str:
        """The known spelling within the threshold, never one with other digits ("Fund 2" / "Fund 3")."""
        if len(text) < FUZZY_MIN_CHARS or not known:
            return ""
        digits = _DIGITS.findall(text)
        for candidate, _, _ in process.extract(text, known.keys(), scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD,
                                               limit=5):
            if _DIGITS.findall(candidate) == digits:
                return known[candidate]
        return ""

    def learn(self, value: str) -> None:
        key = normalize_company(value)
        self._found.clear()
        if key:
            self.by_key.setdefault(key, value)
            self.by_text.setdefault(" ".join(fold(value).split()), value)
