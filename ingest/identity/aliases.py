"""Which mailbox names a person's name produces at a company: jane.smith@, jsmith@, j.smith@, jane_smith@,
jane.q.smith@, janes@, janesmith@, smith.jane@, and the same with a known nickname (bob.baker@ for
Robert Baker). The resolver attaches an unnamed address to the one known person at its company domain
whose name produces its local part; two such people mean the address goes to `kith review`.

Initials come from the given name as written only: a nickname's initial (B for Robert, via Bob) would
make bbaker@ Robert's as well as Bill's. Local parts that end in a number (support1@, jsmith2@) are
numbered accounts: another person, or a role, never an alias of the unnumbered one.
"""

from __future__ import annotations

import re
from functools import lru_cache

from kith.graph.text import fold
from kith.ingest.identity.names import NameParts, given_variants

_NOT_LETTER = re.compile(r"[^a-z]")
_NUMBERED = re.compile(r"\d+$")
_TRUNCATED = (7, 8)  # old Unix mailbox names cut flast short: vkamins@, vkaminsk@


def _letters(text: str) -> str:
    return _NOT_LETTER.sub("", text)


def is_numbered(local: str) -> bool:
    """support1, jsmith2: a numbered account, never merged with its unnumbered sibling."""
    return bool(_NUMBERED.search(local))


@lru_cache(maxsize=65536)
def local_forms(name: NameParts) -> frozenset[str]:
    """The local parts (lower-case, as normalised addresses hold them) this name produces."""
    family = _letters(fold(name.family).replace("-", ""))
    given = _letters(fold(name.given))
    if len(family) < 2 or len(given) < 2:
        return frozenset()
    words = fold(name.full).replace("-", " ").split()
    middles = [_letters(w) for w in words[len(name.given.split()):-len(name.family.split()) or None]]
    middle = middles[0][:1] if middles and middles[0] else ""
    g0 = given[0]
    forms = {f"{g0}{family}", f"{g0}.{family}", f"{g0}_{family}", f"{family}{g0}", f"{family}.{g0}"}
    forms |= {f"{g0}{family}"[:n] for n in _TRUNCATED if n < len(family) + 1}
    if middle:
        forms |= {f"{g0}{middle}{family}", f"{g0}.{middle}.{family}", f"{given}.{middle}.{family}",
                  f"{given}{middle}{family}", f"{given}_{middle}_{family}"}
    for g in given_variants(given):
        forms |= {f"{g}.{family}", f"{g}{family}", f"{g}_{family}", f"{g}-{family}", f"{family}.{g}",
                  f"{family}_{g}", f"{g}{family[0]}", f"{g}.{family[0]}"}
    return frozenset(forms)
