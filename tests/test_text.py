"""How both stores see text: folded Latin, CJK bigrams, and queries that match them."""

from graph.text import fold, index_text, query_phrases


def test_fold_strips_accents_but_not_japanese_voicing_marks():
    assert fold("Müller ÉCOLE") == "muller ecole"
    assert fold("プロジェクト") == "プロジェクト"


def test_cjk_runs_become_bigrams_and_queries_become_phrases():
    assert index_text("出口管制 review") == "出口 口管 管制 review"
    assert query_phrases("出口管制 Review review") == ['"出口 口管 管制"', '"review"']
    assert query_phrases("税") == ['"税"']
