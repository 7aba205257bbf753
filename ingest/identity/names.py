"""People's names: parsed from display names, compared for merging.

``name_similarity`` thresholds (tested in tests/identity/test_names.py):
- >= MERGE (0.92): the same name written differently ("Smith, Jane" / "Dr. Jane Smith, PhD" /
  "JANE SMITH" / jane.smith@), or a close nickname of it (Bob Smith / Robert Smith: 0.95). A
  nickname is close when it keeps the name's first letter or a two-letter piece of it (Bob/Robert,
  Bill/William, Jim/James); the nickname list's looser links (Bill for Robert, Peggy for Margaret)
  score 0.85: worth a look, never merged on their own.
- >= REVIEW (0.75): plausibly the same person, worth a look: an initial for the given name (J. Smith),
  one side lacking a family name, a close family-name spelling (Smith / Smyth), a one-letter given
  name typo (Jane / Jayne).
- below: different people, notably the same family name with another given name (Jane / John Smith).
Names alone never prove identity; the resolver combines this score with address and domain evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from nameparser import HumanName
from nicknames import NickNamer
from rapidfuzz.fuzz import ratio

from kith.graph.mailboxes import is_role_or_noreply
from kith.graph.text import fold

MERGE = 0.92
REVIEW = 0.75

_NICKNAME_SCORE = 0.95  # Bob for Robert: one person's usual variants, but not literally equal
_LOOSE_NICKNAME_SCORE = 0.85  # Bill for Robert: the list says so, but it is rarely the same person
_INITIAL_SCORE = 0.85  # J. for Jane
_PARTIAL_SCORE = 0.8  # ceiling when one side has no family name, or the family names overlap
_TYPO_CEILING = 0.9  # unequal spellings never merge on their own

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
_NOTE = re.compile(r"\s*[(\[][^)\]]*[)\]]\s*")  # "Jane Smith (Acme)", "Smith, Jane [EXT]"
_AFFILIATION = re.compile(r"\s+(?:\||via|-|–|—)\s+.*$")  # "Jane Smith | Acme", "Jane Smith via LinkedIn"
_LOCAL_SPLIT = re.compile(r"[._\-]+")
_NOT_LETTER = re.compile(r"[^\w]|[\d_]")
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


@dataclass(frozen=True, slots=True)
class NameParts:
    full: str  # given, middle and family names, without titles or suffixes
    given: str = ""
    family: str = ""


_EMPTY = NameParts("")


@lru_cache(maxsize=65536)
def parse_name(display: str, address: str = "") -> NameParts:
    """Split a display name; with none (or only an address), guess from the address's local part."""
    text = _AFFILIATION.sub("", _NOTE.sub(" ", display)).strip().strip("\"'“”‘’ ").strip()
    local = address.rpartition("@")[0]
    if not text or "@" in text or (local and fold(text) == fold(local)):
        return _from_address(address or text)
    if _CJK.search(text):
        return _from_cjk(text)
    tokens = text.split()
    if "," not in text and len(tokens) >= 2:
        # "SMITH John": leading all-capital words are the family name.
        lead = 0
        while lead < len(tokens) - 1 and _is_capitals(tokens[lead]):
            lead += 1
        if 0 < lead < len(tokens) and not any(_is_capitals(t) for t in tokens[lead:]):
            text = " ".join(tokens[:lead]) + ", " + " ".join(tokens[lead:])
    if (plain := _plain_pair(text, tokens)) is not None:
        return plain
    name = HumanName(text)
    if any(_is_capitals(t) for t in tokens) or text.islower():
        name.capitalize(force=True)
    full = " ".join(p for p in (name.first, name.middle, name.last) if p)
    return NameParts(full or text, name.first, name.last)


def _plain_pair(text: str, tokens: list[str]) -> NameParts | None:
    """"Jane Smith": two capitalised words, neither a word nameparser treats specially (a title,
    suffix, prefix, conjunction, Roman numeral), split as nameparser would split them, 50x faster;
    None for anything else. tests/identity/test_names.py checks it against nameparser."""
    if len(tokens) != 2 or not all(len(t) >= 2 and t.isalpha() and t[0].isupper() and t[1:].islower()
                                   for t in tokens):
        return None
    if any(t.lower() in _special_words() or _ROMAN.fullmatch(t.lower()) for t in tokens):
        return None
    return NameParts(text, tokens[0], tokens[1])


_ROMAN = re.compile(r"[ivxlcdm]+")


@lru_cache(maxsize=1)
def _special_words() -> frozenset[str]:
    from nameparser.config import CONSTANTS as c

    return frozenset().union(*(getattr(c, kind) for kind in (
        "bound_first_names", "conjunctions", "first_name_titles", "non_first_name_prefixes", "prefixes",
        "suffix_acronyms", "suffix_acronyms_ambiguous", "suffix_not_acronyms", "titles")))


def same_given_name(a: str, b: str) -> bool:
    """True for the same given name up to case and accents, or a known nickname pair (Bob/Robert)."""
    x, y = _key(a), _key(b)
    if not x or not y:
        return False
    return x == y or _are_nicknames(x, y)


def close_nicknames(x: str, y: str) -> bool:
    """Two given names (folded letters) that share the first letter or a two-letter piece."""
    return x[:1] == y[:1] or bool({x[i:i + 2] for i in range(len(x) - 1)} & {y[i:i + 2] for i in range(len(y) - 1)})


def name_similarity(a: NameParts, b: NameParts) -> float:
    """How likely two names denote one person, 0..1, insensitive to given/family order."""
    if _key(a.full) and _key(a.full) == _key(b.full):  # "Hans-Peter Müller" / "Hans Peter Muller"
        return 1.0
    if (a.given or a.family) and (b.given or b.family):
        swap_a, swap_b = NameParts(a.full, a.family, a.given), NameParts(b.full, b.family, b.given)
        return max(_parts_similarity(a, b), _parts_similarity(a, swap_b), _parts_similarity(swap_a, b))
    return _typo_similarity(_key(a.full), _key(b.full))


def _parts_similarity(a: NameParts, b: NameParts) -> float:
    given = _given_similarity(a.given, b.given)
    if a.family and b.family:
        return given * _family_similarity(a, b)
    if not a.given or not b.given:  # "Smith" alone against "Jane Smith"
        given = _typo_similarity(_key(a.family or a.given), _key(b.family or b.given))
    return given * _PARTIAL_SCORE


def _given_similarity(a: str, b: str) -> float:
    x, y = _key(a), _key(b)
    if not x or not y:
        return _PARTIAL_SCORE if (x or y) else 1.0
    if x == y:
        return 1.0
    if _are_nicknames(x, y):
        return _NICKNAME_SCORE if close_nicknames(x, y) else _LOOSE_NICKNAME_SCORE
    if len(x) == 1 or len(y) == 1:
        return _INITIAL_SCORE if x[0] == y[0] else 0.0
    return _typo_similarity(x, y)


def _typo_similarity(x: str, y: str) -> float:
    """For short strings (given names, unsplit CJK names) one letter often makes another name
    (Jan, Jane; 山田, 田中), so the edit ratio is squared."""
    if not x or not y:
        return 0.0
    return 1.0 if x == y else min((ratio(x, y) / 100) ** 2, _TYPO_CEILING)


def _family_similarity(a: NameParts, b: NameParts) -> float:
    x, y = _key(a.family), _key(b.family)
    if x == y or _key(a.family.lower().translate(_UMLAUTS)) == _key(b.family.lower().translate(_UMLAUTS)):
        return 1.0
    if _surnames(a) <= _surnames(b) or _surnames(b) <= _surnames(a):  # "García" in "García López"
        return _TYPO_CEILING
    # Family names are longer and more distinctive than given names: the plain edit ratio.
    return min(ratio(x, y) / 100, _TYPO_CEILING)


@lru_cache(maxsize=65536)
def _surnames(name: NameParts) -> frozenset[str]:
    """The words after the given name (middle and family names): hyphenated ones split."""
    words = fold(name.full).replace("-", " ").split()
    given = len(name.given.replace("-", " ").split())
    return frozenset(words[given:])


def _from_address(address: str) -> NameParts:
    """Jane Smith from jane.smith@; nothing from role accounts, one-word local parts (jsmith) or an
    initial for the given name (j.smith@: a display name seen later says who)."""
    local = address.rpartition("@")[0].split("+", 1)[0]
    if not local or is_role_or_noreply(address):
        return _EMPTY
    parts = [p for p in (_NOT_LETTER.sub("", p) for p in _LOCAL_SPLIT.split(local)) if p]
    if not 2 <= len(parts) <= 3 or len(parts[0]) < 2 or len(parts[-1]) < 2:
        return _EMPTY
    words = [p.capitalize() for p in parts]
    return NameParts(" ".join(words), words[0], words[-1])


def _from_cjk(text: str) -> NameParts:
    """CJK names put the family name first; without a space between them the split is unknown."""
    tokens = text.split()
    if len(tokens) == 2 and all(_CJK.match(t) for t in tokens):
        return NameParts(text, tokens[1], tokens[0])
    return NameParts(text)


def _is_capitals(token: str) -> bool:
    letters = [c for c in token if c.isalpha()]
    return len(letters) > 1 and all(c.isupper() for c in letters)


@lru_cache(maxsize=65536)
def _key(name: str) -> str:
    return _NOT_LETTER.sub("", fold(name))


_NICKNAMER: NickNamer | None = None


def _nicknamer() -> NickNamer:
    global _NICKNAMER
    if _NICKNAMER is None:
        _NICKNAMER = NickNamer()
    return _NICKNAMER


@lru_cache(maxsize=16384)
def given_variants(given: str, loose: bool = False) -> frozenset[str]:
    """A given name (folded letters) with its close nicknames and the names it is a close nickname of;
    ``loose``: every nickname link of the list."""
    x = _key(given)
    if not x:
        return frozenset()
    nn = _nicknamer()
    return frozenset({x} | {n for n in (*nn.nicknames_of(x), *nn.canonicals_of(x))
                            if n.isalpha() and len(n) >= 2 and (loose or close_nicknames(x, n))})


@lru_cache(maxsize=16384)
def _are_nicknames(x: str, y: str) -> bool:
    return y in _nicknamer().nicknames_of(x) or y in _nicknamer().canonicals_of(x)
