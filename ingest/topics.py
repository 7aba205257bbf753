"""Key phrases of a subject or body, for expertise search, by token statistics (no model).

1. Words are folded (graph.text.fold) and the text is cut into runs of content words: stop words, email
   boilerplate (re:, fwd:, aw:, meeting, call, update, weekdays ...), anything with a digit, email
   addresses, URLs and punctuation all end a run. Stop words are English plus the spaCy list of
   whichever other language has more stop words in the text.
2. Candidates are the 1-3 word n-grams inside runs. Score = occurrences x (1 + 0.5 x (words - 1)),
   so "data transfers" once outranks "data" once, but "data" five times outranks both.
3. Best first (ties: earliest first), skipping a phrase that lies inside an already chosen one that
   occurs at least as often ("data" inside "gdpr data transfers").

Chinese and Japanese have no spaces: a CJK run is cut at hiragana (Japanese particles and endings),
a few Chinese function words (关于, 的 ...) and between katakana and kanji; each piece of 2-6
characters is a one-word candidate (出口管制に関する相談 -> 出口管制; 関 is too short, 相談 "consultation"
is boilerplate). Longer kanji pieces are cut into 4-character words, a rough stand-in for a dictionary.
"""

from __future__ import annotations

import importlib.util
import os
import re
from functools import cache, lru_cache
from itertools import chain, groupby
from operator import itemgetter
from typing import TYPE_CHECKING

from kith.graph.text import fold

if TYPE_CHECKING:
    from kith.graph.settings import PrivacyMode

_LANGUAGES = ("de", "fr", "es", "it", "nl", "pt", "sv", "da", "nb", "pl")
_BOILERPLATE = frozenset(
    """re fw fwd aw wg sv tr rv antw ant vs fyi eom urgent important reminder meeting meetings call
    calls update updates updated review question questions request follow followup follow-up invitation
    invite accepted declined tentative canceled cancelled agenda minutes notes draft final summary
    discussion intro introduction sync catch catchup catch-up hi hello dear thanks thank regards best
    attached attachment please today tomorrow yesterday week weekly daily monthly month year quarter
    am pm ok re-scheduled rescheduled new est edt cst cdt pst pdt gmt utc bst cet cest ist jst
    monday tuesday wednesday thursday friday saturday sunday mon tue wed thu fri sat sun
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec
    besprechung termin anruf einladung frage anfrage ruckmeldung aktualisiert abgesagt angenommen
    montag dienstag mittwoch donnerstag freitag januar februar marz juni juli oktober dezember
    会議 会议 電話 电话 相談 确认 確認 回复 返信 转发 転送 打合 件名""".split()
)
_MAX_WORDS = 3
_CJK_WORD = 6  # longest CJK piece kept whole

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_KANA = "\u3040-\u30ff"  # hiragana and katakana; Korean is written with spaces and reads as words
_PIECE = re.compile(
    r"(?P<skip>https?://\S+|www\.\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)"
    rf"|(?P<cjk>[{_HAN}{_KANA}]+)"
    r"|(?P<word>[^\W\d_]+(?:[-'&][^\W\d_]+)*)"
    r"|(?P<other>\S)"
)
# Where a CJK run is cut: hiragana (Japanese particles, endings) and a few Chinese function words.
# Most single characters of spaCy's Chinese stop list also start content words (出口, 管制), so not those.
_CJK_BREAK = re.compile(
    r"[\u3040-\u309f]+|关于|有关|对于|以及|或者|还是|我们|你们|他们|请问|是否|[的了之吗呢吧]"
)
_KATAKANA = re.compile(r"[\u30a0-\u30ff]+")
_CJK_WORD_PIECE = re.compile(rf"[\u30a0-\u30ff]+|[{_HAN}]+")


def key_phrases(text: str, limit: int = 8) -> list[str]:
    """Up to ``limit`` lower-cased key phrases of ``text``, best first."""
    return _ranked(_runs(text), limit)


def content_terms(text: str) -> str:
    """The content words of ``text`` (as ``key_phrases`` cuts them: folded, no stop words, boilerplate,
    numbers, addresses or links; CJK as words), sorted: enough to search by, not to read back."""
    return " ".join(sorted(filter(None, _content_of(text))))


def phrases_and_terms(title: str, text: str, limit: int = 8) -> tuple[list[str], str]:
    """The key phrases of ``title`` and ``text`` together (``key_phrases`` of the two as two lines) and
    ``content_terms(text)``, cutting ``text`` into words once (the two differ only when the title tips
    which language's stop words apply)."""
    head_words, head = _scan(title)
    body_words, body = _scan(text)
    stop_body = _stop_words(body_words)
    stop = stop_body if head_words <= body_words else _stop_words(head_words | body_words)
    content = _content(head + body, stop)
    body_content = content[len(head) :] if stop is stop_body else _content(body, stop_body)
    return _ranked(_split(content), limit), " ".join(sorted(filter(None, body_content)))


def kept_topics_and_terms(privacy: PrivacyMode, title: str, text: str) -> tuple[list[str], str]:
    """What ``privacy`` keeps derived from a titled text: its key phrases (``topics`` and ``full``) and
    the text's content words (``topics`` only)."""
    if privacy.keeps_terms:
        return phrases_and_terms(title, text)
    if privacy.keeps_content:
        return key_phrases(f"{title}\n{text}"), ""
    return [], ""


def _ranked(runs: list[list[str]], limit: int) -> list[str]:
    # One-word phrases are keys of their own (str), longer ones tuples: no tuple per word.
    counts: dict[str | tuple[str, ...], int] = {}  # in first-seen order: run by run, 1-grams first
    get = counts.get
    for run in runs:
        if len(run) == 1:  # most runs: one word between stop words
            a = run[0]
            counts[a] = get(a, 0) + 1
            continue
        for a in run:
            counts[a] = get(a, 0) + 1
        for pair in zip(run, run[1:]):
            if pair[0] != pair[1]:  # not "data data"
                counts[pair] = get(pair, 0) + 1
        if len(run) == 2:
            continue
        for triple in zip(run, run[1:], run[2:]):
            a, b, c = triple
            if a != b and b != c and a != c:
                counts[triple] = get(triple, 0) + 1
    # score = count x (1 + 0.5 x (words - 1)), doubled to stay in integers; stable: earliest first
    phrases = list(counts)
    scores = [-n * 2 if type(p) is str else -n * (len(p) + 1) for p, n in counts.items()]
    chosen: list[str | tuple[str, ...]] = []
    covered: dict[str | tuple[str, ...], int] = {}  # phrase -> highest count of a chosen phrase around it
    for i in sorted(range(len(phrases)), key=scores.__getitem__):
        if len(chosen) == limit:
            break
        phrase = phrases[i]
        count = counts[phrase]
        if covered.get(phrase, 0) < count:
            chosen.append(phrase)
            if type(phrase) is tuple:
                for sub in _sub_phrases(phrase):
                    if covered.get(sub, 0) < count:
                        covered[sub] = count
    return [p if type(p) is str else " ".join(p) for p in chosen]


def _runs(text: str) -> list[list[str]]:
    """Runs of consecutive content words; every CJK word is a run of its own.

    Words are folded one by one; CJK is left as written, since folding strips the voicing marks of
    kana (プ -> フ), which would garble the phrase shown to people."""
    return _split(_content_of(text))


def _content_of(text: str) -> list[str]:
    """The tokens of ``text`` with its stop words blanked (``_content`` with ``text``'s own stop words)."""
    words, tokens = _scan(text)
    return _content(tokens, _stop_words(words))


def _scan(text: str) -> tuple[set[str], list[str]]:
    """The folded words of ``text`` (to pick its stop words by) and its tokens (see ``_chunk``)."""
    chunks = list(map(_chunk, text.split()))  # no piece spans a space
    return set(chain.from_iterable(map(itemgetter(0), chunks))), list(chain.from_iterable(map(itemgetter(1), chunks)))


def _content(tokens: list[str], stop: frozenset[str]) -> list[str]:
    """``tokens`` with the ``stop`` words (from _stop_words) blanked: what is left between blanks are runs."""
    return [t if t not in stop else "" for t in tokens]


def _split(content: list[str]) -> list[list[str]]:
    return [list(run) for filled, run in groupby(content, bool) if filled]


@lru_cache(maxsize=1 << 15)  # words recur
def _chunk(chunk: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A chunk of text without whitespace as its folded words (every one) and its tokens: a word of two
    or more letters, or a CJK word, as itself; "" for what ends a run (a shorter word, a link, an
    address, a punctuation mark) and on both sides of each CJK word, a run of its own."""
    words: list[str] = []
    tokens: list[str] = []
    for _, cjk, word, _ in _PIECE.findall(chunk):
        if cjk:
            tokens.append("")
            for w in _cjk_words(cjk):
                tokens += (w, "")
        elif word:
            folded = fold(word)
            words.append(folded)
            tokens.append(folded if len(folded) > 1 else "")
        else:
            tokens.append("")
    return tuple(words), tuple(tokens)


def _cjk_words(run: str) -> list[str]:
    words: list[str] = []
    for part in _CJK_BREAK.split(run):
        for piece in _CJK_WORD_PIECE.findall(part):
            if len(piece) <= _CJK_WORD or _KATAKANA.fullmatch(piece):  # katakana words stay whole
                words.append(piece)
            else:
                words.extend(piece[i : i + 4] for i in range(0, len(piece), 4))
    return [w for w in words if len(w) >= 2]


def _sub_phrases(phrase: tuple[str, ...]) -> list[str | tuple[str, ...]]:
    """The shorter phrases inside ``phrase``: (a, b, c) -> a, b, c, (a b), (b c)."""
    if len(phrase) == 2:
        return list(phrase)
    a, b, c = phrase
    return [a, b, c, (a, b), (b, c)]


def _stop_words(words: set[str]) -> frozenset[str]:
    """English stop words, plus those of the language whose stop words the text uses most (when it
    uses more of them than of English ones), and boilerplate: the words that end a run."""
    english, languages = _stop_index()
    lists = _stop_lists()
    hits = languages.keys() & words  # set operations: a text's words are mostly not stop words
    n_english = len(english & words)
    if len(hits) <= n_english:  # no language can have more
        return lists[("en", None)]
    used = dict.fromkeys(_LANGUAGES, 0)
    for word in hits:
        for lang in languages[word]:
            used[lang] += 1
    best = max(_LANGUAGES, key=used.__getitem__)
    return lists[("en", best)] if used[best] > n_english else lists[("en", None)]


@cache
def _stop_index() -> tuple[frozenset[str], dict[str, tuple[str, ...]]]:
    """The English list, and for each other stop word the languages that list it."""
    lists = _stop_lists()
    languages: dict[str, tuple[str, ...]] = {}
    for lang in _LANGUAGES:
        for word in lists[lang]:
            languages[word] = (*languages.get(word, ()), lang)
    return lists["en"], languages


@cache
def _stop_lists() -> dict[str | tuple[str, str | None], frozenset[str]]:
    """spaCy's stop word lists, folded like the text; CJK lists join the English one. ("en", lang)
    is English with lang's (None: alone) and the boilerplate."""
    lists: dict[str | tuple[str, str | None], frozenset[str]] = {}
    for lang in ("en", "zh", "ja", *_LANGUAGES):
        lists[lang] = frozenset(fold(w) for w in _spacy_stop_words(lang))
    lists["en"] = lists["en"] | lists["zh"] | lists["ja"]
    for other in (None, *_LANGUAGES):  # what ends a run, one set to look a word up in
        lists[("en", other)] = lists["en"] | lists.get(other, frozenset()) | _BOILERPLATE
    return lists


def _spacy_stop_words(lang: str) -> set[str]:
    """spacy/lang/<lang>/stop_words.py, loaded on its own: importing a spaCy language package can take
    seconds (the French tokenizer exceptions take four), and only the word list is needed."""
    spec = importlib.util.find_spec("spacy")
    assert spec is not None and spec.submodule_search_locations
    path = os.path.join(spec.submodule_search_locations[0], "lang", lang, "stop_words.py")
    module_spec = importlib.util.spec_from_file_location(f"_kith_stop_words_{lang}", path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return set(module.STOP_WORDS)
