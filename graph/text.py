"""Text as both stores index it: lower-cased, accents folded, words stemmed, CJK runs split into
overlapping bigrams.

Words are reduced to their Snowball (Porter2) English stem, so "partnerships" finds "partnership" and
"grinding" finds "grinder"'s "grind"; the index and the query go through the same ``stems``. English
only: one stemmer for every text keeps index and query in step without guessing a language per word
(a German or French word mostly passes through unchanged and still matches itself).

Chinese and Japanese are written without spaces, so a word tokenizer sees a whole sentence as one
token. Indexing character bigrams (出口管制 -> 出口 口管 管制) and searching for the query's bigrams as a
phrase finds words of any length without a dictionary, the way Lucene's CJK analyzer does.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from itertools import chain

CJK = (  # the scripts indexed as character bigrams, as a regex character-class body
    "\u3040-\u30ff"  # hiragana, katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # han
    "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af"  # hangul
)
_TOKEN = re.compile(rf"[{CJK}]+|[^\W_]+", re.UNICODE)
_CJK_RUN = re.compile(rf"[{CJK}]+")


_KANA_VOICING = "\u3099\u309a"  # combining marks that make プ and ジ: part of the letter, not an accent
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _unmarked(run: re.Match) -> str:
    return "".join(c for c in run.group() if not unicodedata.combining(c) or c in _KANA_VOICING)


def fold(text: str) -> str:
    """Lower-case and strip accents (Müller -> muller), leaving CJK untouched."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return unicodedata.normalize("NFC", _NON_ASCII.sub(_unmarked, decomposed))  # marks are never ASCII


_local = threading.local()


def stems(words: list[str]) -> list[str]:
    """The Snowball English stems of folded words (PyStemmer, the Snowball authors' C binding; one
    stemmer per thread, as its objects are not thread-safe)."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        import Stemmer

        stemmer = _local.stemmer = Stemmer.Stemmer("english", 1 << 16)
    return stemmer.stemWords(words)


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def phrases(text: str) -> list[list[str]]:
    """Each word as a one-token phrase; each CJK run as the phrase of its bigrams."""
    return folded_phrases(fold(text))


def folded_phrases(folded: str) -> list[list[str]]:
    """``phrases`` of text already folded."""
    tokens = _TOKEN.findall(folded)
    words = iter(stems([t for t in tokens if not _CJK_RUN.fullmatch(t)]))
    return [_bigrams(t) if _CJK_RUN.fullmatch(t) else [next(words)] for t in tokens]


def index_text(text: str) -> str:
    """The space-separated token string a store indexes for full-text search. No token spans
    whitespace and folding goes letter by letter, so the text is tokenised a whitespace-free chunk
    at a time, each distinct chunk once (words recur: a message's subject, key phrases and content
    words, and the same vocabulary across a mailbox)."""
    return " ".join(chain.from_iterable(map(_chunk_tokens, text.split())))


@lru_cache(maxsize=1 << 15)  # as ingest.topics caches its pieces of words
def _chunk_tokens(chunk: str) -> tuple[str, ...]:
    folded = fold(chunk)
    if not _CJK_RUN.search(folded):  # the usual case: every token is a one-token phrase
        return tuple(stems(_TOKEN.findall(folded)))
    return tuple(token for phrase in folded_phrases(folded) for token in phrase)


def query_phrases(text: str) -> list[str]:
    """The query as distinct quoted phrases, a syntax FTS5 and Lucene both read (joined with OR)."""
    seen: dict[str, None] = {}
    for phrase in phrases(text):
        seen.setdefault('"' + " ".join(phrase) + '"', None)
    return list(seen)


def document_text(subject: str, topics: list[str], body: str = "", terms: str = "") -> str:
    """What a store indexes for an interaction: whatever text the privacy mode let through (in
    ``topics`` privacy, the body's content words without their order, ``terms``)."""
    parts = [subject, " ".join(topics), body, terms]
    return "\n".join(p for p in parts if p)
