"""Job title, company and phone numbers read from an email signature block, by rules.

- Titles: a spaCy Matcher over ``spacy.blank("en")`` tokens: up to three capitalised words before a
  role word (Partner, Counsel, Director, Officer, CEO, Geschäftsführer ...), optionally followed by
  "of/for X" ("Head of Legal") or, after VP and Leiter, by the function ("VP Sales"). Only short
  lines count, the role word must be capitalised, and legal footers ("Geschäftsführer: Max ...",
  "intended recipient") are skipped, so disclaimers do not become titles.
- Company: the first short line (or its part before a "|" or ",") ending in an unambiguous legal form
  (cleanco's terms: LLP, GmbH, Inc ...); else the title line's remainder after "at"/"@"; else the line
  right after the title when it looks like a name (no digits, addresses or links). As written.
- Phones: numbers labelled Tel/T/Phone/Mobile/M/Direct/D/Office (and German Telefon/Mobil/Handy), or
  unlabelled ones in international (+...) or North American (555-555-5555) form. Fax numbers are left
  out. Normalised to digits, with "+" for international ones ("00" and "+44 (0)20" handled).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

import spacy
from spacy.matcher import Matcher

from kith.ingest.identity.organizations import has_legal_suffix
from kith.ingest.identity.phones import normalize_phone

_ROLES = (
    "partner", "partnerin", "associate", "counsel", "counselor", "attorney", "lawyer", "solicitor",
    "barrister", "paralegal", "director", "directrice", "directeur", "manager", "president", "officer",
    "principal", "analyst", "consultant", "advisor", "adviser", "engineer", "developer", "architect",
    "designer", "scientist", "researcher", "accountant", "auditor", "actuary", "economist",
    "specialist", "coordinator", "administrator", "secretary", "assistant", "founder", "cofounder",
    "co-founder", "owner", "chairman", "chairwoman", "chair", "head", "lead", "trainee", "intern",
    "ceo", "cfo", "cto", "coo", "cio", "ciso", "cmo", "cro", "cpo", "clo", "gc", "md", "vp", "svp",
    "evp", "avp", "geschäftsführer", "geschäftsführerin", "rechtsanwalt", "rechtsanwältin",
    "syndikusrechtsanwalt", "syndikusrechtsanwältin", "steuerberater", "steuerberaterin",
    "wirtschaftsprüfer", "wirtschaftsprüferin", "prokurist", "prokuristin", "vorstand", "notar",
    "notarin", "leiter", "leiterin", "avocat", "avocate", "associé", "associée",
)  # fmt: skip
_FUNCTION_FOLLOWS = ("vp", "svp", "evp", "avp", "leiter", "leiterin")  # "VP Sales", "Leiter Recht"

_ROLE_WORD = re.compile(r"\b(?:" + "|".join(map(re.escape, _ROLES)) + r")\b", re.IGNORECASE)  # pre-filter

_CAPITALISED = {"IS_LOWER": False, "IS_PUNCT": False, "LIKE_NUM": False, "LIKE_EMAIL": False}
_TITLE_PATTERNS = [
    [dict(_CAPITALISED, OP="{0,3}"), {"LOWER": {"IN": list(_ROLES)}, "IS_LOWER": False},
     {"LOWER": {"IN": ["of", "for", "für"]}}, dict(_CAPITALISED, OP="{1,4}")],
    [dict(_CAPITALISED, OP="{0,3}"), {"LOWER": {"IN": list(_ROLES)}, "IS_LOWER": False}],
    [dict(_CAPITALISED, OP="{0,3}"), {"LOWER": {"IN": list(_FUNCTION_FOLLOWS)}, "IS_LOWER": False},
     dict(_CAPITALISED, OP="{1,3}")],
]  # fmt: skip

_MAX_LINE_TOKENS = 12
_FOOTER = re.compile(
    r"confidential|privileged|intended (?:recipient|solely)|disclaimer|unauthori[sz]ed|virus"
    r"|registered (?:in|office|number)|regulated by|this (?:e-?mail|message)|legally"
    r"|vertraulich|handelsregister|registergericht|amtsgericht|\bhrb\b|ust-?id|sitz der",
    re.IGNORECASE,
)
_LINK = re.compile(r"@|https?:|www\.|\.(?:com|org|net|de|co\.uk)\b", re.IGNORECASE)
_AT_COMPANY = re.compile(r"^\s*(?:[,|]\s*)?(?:at|@|bei)\s+(.+)$", re.IGNORECASE)  # "VP Sales at Contoso"
_PART = re.compile(r"\s+[|·•–—]\s+|\t+")

_NUMBER = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d[\d\s().\-/]{5,}\d(?!\w)")
_LABEL = re.compile(
    r"(?i)(?:^|[\s|,;(])(tel|tél|telephone|telefon|phone|ph|t|mobile|mobil|mob|cell|handy|m|direct|"
    r"direct line|dir|dw|d|office|o|work|w|main|fax|telefax|f)\.?\s*[:.]?\s*$"
)
_FAX_LABELS = frozenset({"fax", "telefax", "f"})
_NANP = re.compile(r"\(?\d{3}\)?[\s.\-]\d{3}[\s.\-]\d{4}")


@dataclass(frozen=True, slots=True)
class SignatureFacts:
    title: str = ""
    company: str = ""
    phones: tuple[str, ...] = ()


@lru_cache(maxsize=1 << 14)  # people send the same signature again and again
def read_signature(text: str, sender_name: str = "") -> SignatureFacts:
    """What a signature block says about its sender: job title, company and phone numbers."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line and not _FOOTER.search(line)]
    title, title_at, remainder = _find_title(lines, sender_name)
    return SignatureFacts(title, _find_company(lines, title_at, remainder, sender_name),
                          tuple(_find_phones(lines)))


def _find_title(lines: list[str], sender_name: str) -> tuple[str, int, str]:
    """The title, the index of its line and what follows it on that line."""
    for index, line in enumerate(lines):
        found = _title_in(line) if _ROLE_WORD.search(line) else None
        if not found:
            continue
        title, remainder = found
        if sender_name and title.lower().startswith(sender_name.lower()):
            title = title[len(sender_name) :].strip(" ,|-")
        if title:
            return title, index, remainder
    return "", -1, ""


@lru_cache(maxsize=1 << 14)  # colleagues share title lines ("Head of Legal")
def _title_in(line: str) -> tuple[str, str] | None:
    """The longest (then first) title in a line and the text after it; None when there is none."""
    nlp, matcher = _pipeline()
    doc = nlp.make_doc(line)
    if len(doc) > _MAX_LINE_TOKENS:
        return None
    spans = [doc[start:end] for _, start, end in matcher(doc)]
    spans = [s for s in spans if s.end == len(doc) or doc[s.end].text != ":"]
    if not spans:
        return None
    span = max(spans, key=lambda s: (len(s), -s.start))
    return span.text, doc[span.end :].text


def _find_company(lines: list[str], title_at: int, remainder: str, sender_name: str) -> str:
    for line in lines:
        if len(line.split()) <= _MAX_LINE_TOKENS and not _LINK.search(line):
            for part in _PART.split(line):
                for candidate in _comma_prefixes(part):
                    if has_legal_suffix(candidate) and candidate.lower() != sender_name.lower():
                        return candidate
    after = _AT_COMPANY.match(remainder)
    if after:
        return after.group(1).strip()
    if 0 <= title_at < len(lines) - 1:
        line = lines[title_at + 1]
        looks_like_name = (
            len(line.split()) <= 6
            and not any(c.isdigit() for c in line)
            and not _LINK.search(line)
            and line[0].isupper()
            and line.lower() != sender_name.lower()
        )
        if looks_like_name:
            return line.strip(" ,|")
    return ""


def _comma_prefixes(part: str) -> list[str]:
    """"Acme GmbH, Hauptstraße 1, Berlin" -> the whole, then "Acme GmbH", then "Acme GmbH, Hauptstraße 1"."""
    pieces = part.split(",")
    return [part.strip()] + [",".join(pieces[:i]).strip() for i in range(1, len(pieces))]


def _find_phones(lines: list[str]) -> list[str]:
    phones: dict[str, None] = {}
    for line in lines:
        for match in _NUMBER.finditer(line):
            raw = match.group()
            label = _LABEL.search(line[: match.start()])
            if label and label.group(1).lower() in _FAX_LABELS:
                continue
            if not label and not raw.startswith(("+", "00")) and not _NANP.fullmatch(raw):
                continue
            phone = normalize_phone(raw)
            if phone:
                phones.setdefault(phone, None)
    return list(phones)


def load_matcher() -> None:
    """Build the title matcher now, not at the first signature: a parent about to fork parser workers
    builds it once for all of them."""
    _pipeline()


@cache
def _pipeline() -> tuple[spacy.language.Language, Matcher]:
    nlp = spacy.blank("en")
    matcher = Matcher(nlp.vocab)
    matcher.add("TITLE", _TITLE_PATTERNS)
    return nlp, matcher
