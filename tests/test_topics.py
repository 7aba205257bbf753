"""Key phrases of subjects and bodies for expertise search."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from kith.graph.text import fold
from kith.ingest.topics import (
    _LANGUAGES, _PIECE, _cjk_words, _runs, _stop_lists, content_terms, key_phrases, phrases_and_terms,
)


def test_gdpr_subject() -> None:
    phrases = key_phrases("Re: GDPR data transfers to the US — SCCs update")
    assert "gdpr data transfers" in phrases or "data transfers" in phrases
    assert "sccs" in phrases
    assert not {"re", "update", "us", "the"} & set(phrases)


def test_forwarded_export_controls() -> None:
    phrases = key_phrases("Fwd: Export controls review for Acme")
    assert phrases[0] == "export controls"
    assert "fwd" not in " ".join(phrases)


@pytest.mark.parametrize(
    "subject",
    ["123 456", "2024-01-15", "RE: FW: AW: WG:", "Meeting", "Call tomorrow?", "",
     "Re: Invitation: Weekly sync @ Mon Jan 15, 2024 10am - 11am (EST)",
     "jane@acme.com https://acme.com/x/y"],
)  # fmt: skip
def test_boilerplate_numbers_addresses_and_links_give_nothing(subject: str) -> None:
    assert key_phrases(subject) == []


def test_phrases_do_not_cross_punctuation_or_stop_words() -> None:
    phrases = key_phrases("Tax structuring; merger control filing and the antitrust timeline")
    assert "tax structuring" in phrases and "merger control filing" in phrases
    assert not any("structuring merger" in p or "filing antitrust" in p for p in phrases)


def test_phrases_are_folded_like_the_search_index() -> None:
    assert key_phrases("Übernahme der Müller GmbH") == ["muller gmbh", "ubernahme"]


def test_frequency_outranks_a_single_long_phrase() -> None:
    body = "Export controls apply. Export controls again. Export controls everywhere. One sanctions screening tool."
    phrases = key_phrases(body)
    assert phrases[0] == "export controls"
    assert "sanctions screening tool" in phrases
    assert "export" not in phrases  # inside a chosen phrase that occurs as often


def test_limit() -> None:
    text = "alpha beta. gamma delta. epsilon zeta. eta theta. iota kappa."
    assert len(key_phrases(text, limit=3)) == 3


def test_japanese_subject_yields_a_cjk_phrase() -> None:
    assert "出口管制" in key_phrases("出口管制に関する相談")


def test_chinese_subject_is_cut_at_function_words() -> None:
    assert "出口管制" in key_phrases("关于出口管制的咨询")


def test_katakana_keeps_its_voicing_marks() -> None:
    assert "コンプライアンス" in key_phrases("コンプライアンス研修のご案内")


def test_german_stop_words_are_recognised() -> None:
    phrases = key_phrases("AW: Fragen zur Exportkontrolle bei der Firma Müller")
    assert "exportkontrolle" in phrases
    assert not {"zur", "bei", "der", "aw"} & {w for p in phrases for w in p.split()}


@given(st.text(max_size=500))
def test_never_raises(text: str) -> None:
    phrases = key_phrases(text)
    assert len(phrases) <= 8 and all(p and p == p.strip() for p in phrases)


def _stop_reference(words: set[str]) -> frozenset[str]:
    """The stop words of a text as first written: each language's list counted against its words."""
    lists = _stop_lists()
    n_english = len(lists["en"] & words)
    used = {lang: len(lists[lang] & words) for lang in _LANGUAGES}
    best = max(_LANGUAGES, key=used.__getitem__)
    return lists[("en", best)] if used[best] > n_english else lists[("en", None)]


def _runs_reference(text: str) -> list[list[str]]:
    """Runs of content words cut piece by piece from the whole text, as first written."""
    pieces = [(cjk, fold(word) if word else None) for _, cjk, word, _ in _PIECE.findall(text)]
    stop = _stop_reference({word for _, word in pieces if word is not None})
    runs: list[list[str]] = []
    run: list[str] = []
    for cjk, word in pieces:
        if word is not None and len(word) > 1 and word not in stop:
            run.append(word)
            continue
        if run:
            runs.append(run)
            run = []
        if cjk:
            runs.extend([w] for w in _cjk_words(cjk) if w not in stop)
    if run:
        runs.append(run)
    return runs


_VOCABULARY = (
    "data transfer gdpr the der und die le de la el y a e o i of 2023 re: fwd meeting x@y.com http://a.b/c "
    "don't rock&roll , . ; - — müller straße MÜLLER İstanbul café 出口管制に関する相談 数据跨境传输 关于的 "
    "개인정보 プロジェクト 会議 相談 ﾌﾟﾛ data-data review export controls ist nicht avec pour para por che "
    "non het een och att og på nie się w z mit für zu sur dans"
).split()
_texts = st.one_of(
    st.lists(st.sampled_from(_VOCABULARY), max_size=40).map(" ".join),
    st.text(alphabet="aZéü \t\n\u3000\xa0.,@+-'&_:/09出口にßİ\u0301ア漢字ﾌﾟ", max_size=80),
)


@given(_texts)
def test_text_is_cut_into_the_runs_a_piece_by_piece_cut_gives(text: str) -> None:
    assert _runs(text) == _runs_reference(text)


@given(_texts, _texts)
def test_title_and_text_give_the_phrases_of_both_lines_and_the_terms_of_the_text(title: str, text: str) -> None:
    assert phrases_and_terms(title, text) == (key_phrases(f"{title}\n{text}"), content_terms(text))
    assert content_terms(text) == " ".join(sorted(w for run in _runs_reference(text) for w in run))


@pytest.mark.parametrize(
    ("title", "text", "phrases", "terms"),
    [
        ("Re: Transfer pricing review – Alpine.", "Following up on our discussion, here are the open points.",
         ["transfer pricing", "open points", "alpine", "following"], "following open points"),
        ("AW: Exportkontrolle", "Die Prüfung der Exportkontrolle und die Klassifizierung der Güter",
         ["exportkontrolle", "prufung", "klassifizierung"], "exportkontrolle klassifizierung prufung"),
        ("出口管制に関する相談", "Export controls: export controls again, data data.",
         ["export controls", "data", "出口管制"], "controls controls data data export export"),
    ],
)  # fmt: skip
def test_titled_texts_give_their_phrases_and_terms(title: str, text: str, phrases: list[str], terms: str) -> None:
    assert phrases_and_terms(title, text) == (phrases, terms)
