"""Key phrases of subjects and bodies for expertise search."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from kith.ingest.topics import key_phrases


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
