"""How both stores see text: folded Latin, CJK bigrams, and queries that match them."""

from kith.graph.text import fold, index_text, query_phrases


def test_fold_strips_accents_but_not_japanese_voicing_marks():
    assert fold("Müller ÉCOLE") == "muller ecole"
    assert fold("プロジェクト") == "プロジェクト"


def test_cjk_runs_become_bigrams_and_queries_become_phrases():
    assert index_text("出口管制 review") == "出口 口管 管制 review"
    assert query_phrases("出口管制 Review review") == ['"出口 口管 管制"', '"review"']
    assert query_phrases("税") == ['"税"']


def test_words_are_stemmed_alike_in_the_index_and_the_query():
    assert index_text("Partnerships, grinding and the grinders") == "partnership grind and the grinder"
    assert query_phrases("partnership GRINDING") == ['"partnership"', '"grind"']
    assert index_text("Prüfungen 出口管制") == "prufungen 出口 口管 管制"  # other languages pass through


SAMPLES = ["Müller – Straße", "Ångström—naïve café", "İstanbul ΣΑΣ ǅ ﬁ ½", "出口管制 and データ プロジェクト",
           "עִבְרִית العَرَبِيَّة हिन्दी ไทย", "x\u0301y\u20ddz", "Crème brûlée—über", "plain ascii words",
           "Export controls – “Acme”… ½ ²", "Łódź ø ß ı ١٢٣",
           # marks and odd spaces at word edges: index_text tokenises word by word, these fold the whole text
           "a \u0308b ¨c\u00a0d\u3000出口 \u3099プ\x1cx\u2028y É\tΣ"]


def test_fold_strips_exactly_the_combining_marks_everywhere_in_the_text():
    import unicodedata

    from kith.graph.text import _KANA_VOICING, fold

    def reference(text: str) -> str:  # the definition: decompose, drop every combining mark but kana voicing
        decomposed = unicodedata.normalize("NFKD", text.casefold())
        return unicodedata.normalize("NFC", "".join(
            c for c in decomposed if not unicodedata.combining(c) or c in _KANA_VOICING))

    for text in SAMPLES:
        assert fold(text) == reference(text), text


def test_expertise_tokens_are_the_indexed_tokens():
    from kith.graph.expertise import tokens_of
    from kith.graph.text import phrases

    for text in SAMPLES:
        assert tokens_of(text) == [t for phrase in phrases(text) for t in phrase], text


def test_the_index_holds_every_token_of_every_phrase():
    from kith.graph.text import phrases

    for text in SAMPLES:
        assert index_text(text) == " ".join(t for phrase in phrases(text) for t in phrase), text
