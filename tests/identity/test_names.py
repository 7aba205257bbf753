"""Name parsing and the merge / review / distinct thresholds the resolver relies on."""

from __future__ import annotations

import csv

import pytest
from hypothesis import given, strategies as st

from kith.ingest.identity.names import MERGE, REVIEW, NameParts, name_similarity, parse_name, same_given_name
from tests.corpora import corpus


@pytest.mark.parametrize(
    ("display", "address", "expected"),
    [
        ("Jane Smith", "", NameParts("Jane Smith", "Jane", "Smith")),
        ("Smith, Jane", "", NameParts("Jane Smith", "Jane", "Smith")),
        ('"Smith, Jane"', "", NameParts("Jane Smith", "Jane", "Smith")),
        ("Dr. Jane Smith, PhD", "", NameParts("Jane Smith", "Jane", "Smith")),
        ("SMITH Jane", "", NameParts("Jane Smith", "Jane", "Smith")),
        ("JANE SMITH", "", NameParts("Jane Smith", "Jane", "Smith")),
        ("MÜLLER Hans-Peter", "", NameParts("Hans-Peter Müller", "Hans-Peter", "Müller")),
        ("José García", "", NameParts("José García", "José", "García")),
        ("Anna van der Berg", "", NameParts("Anna van der Berg", "Anna", "van der Berg")),
        ("Jane Smith (Acme)", "", NameParts("Jane Smith", "Jane", "Smith")),
        ("Jane Smith | Acme Corp", "", NameParts("Jane Smith", "Jane", "Smith")),
        ("", "jane.smith@acme.com", NameParts("Jane Smith", "Jane", "Smith")),
        ("jane.smith@acme.com", "jane.smith@acme.com", NameParts("Jane Smith", "Jane", "Smith")),
        ("jane_smith", "jane_smith@acme.com", NameParts("Jane Smith", "Jane", "Smith")),
        ("", "noreply@acme.com", NameParts("")),  # role accounts name nobody
        ("", "john.doe@acme.com", NameParts("John Doe", "John", "Doe")),
        ("", "jsmith@acme.com", NameParts("")),  # one word: no guess at where the name splits
        ("山田太郎", "", NameParts("山田太郎")),  # no space: the split is unknown
        ("山田 太郎", "", NameParts("山田 太郎", "太郎", "山田")),  # family name first
    ],
)
def test_parse_name(display: str, address: str, expected: NameParts) -> None:
    assert parse_name(display, address) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [("Bob", "Robert"), ("liz", "Elizabeth"), ("Bill", "William"), ("JOSÉ", "jose"), ("Peggy", "Margaret")],
)
def test_same_given_name(a: str, b: str) -> None:
    assert same_given_name(a, b) and same_given_name(b, a)


@pytest.mark.parametrize(("a", "b"), [("Jane", "John"), ("Bob", "Bill"), ("Anna", ""), ("Robert", "Roberta")])
def test_different_given_names(a: str, b: str) -> None:
    assert not same_given_name(a, b)


def _sim(a: str, b: str) -> float:
    return name_similarity(parse_name(a), parse_name(b))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Jane Smith", "Smith, Jane"),
        ("Jane Smith", "Dr. Jane Smith, PhD"),
        ("Jane Smith", "JANE SMITH"),
        ("Jane Smith", "SMITH Jane"),
        ("José García", "Jose Garcia"),
        ("Hans Müller", "Hans Mueller"),
        ("Hans-Peter Müller", "Hans Peter Muller"),
        ("Robert Smith", "Bob Smith"),
        ("William Gates", "Bill Gates"),
        ("山田太郎", "山田 太郎"),
    ],
)
def test_same_person_merges(a: str, b: str) -> None:
    assert _sim(a, b) >= MERGE


def test_a_name_derived_from_the_address_merges_with_the_display_name() -> None:
    assert name_similarity(parse_name("", "jane.smith@acme.com"), parse_name("Smith, Jane")) >= MERGE


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Jane Smith", "J. Smith"),
        ("Jane Smith", "Jane"),
        ("Jane Smith", "Jane Smyth"),
        ("Jane Smith", "Jayne Smith"),
        ("Robert Smith", "Roberta Smith"),
        ("María García", "María García López"),
    ],
)
def test_plausible_matches_go_to_review(a: str, b: str) -> None:
    assert REVIEW <= _sim(a, b) < MERGE


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Jane Smith", "John Smith"),
        ("Jane Smith", "Mary Smith"),
        ("Jane Smith", "Joan Smith"),
        ("Jane Smith", "Jane Jones"),
        ("Bob Smith", "Bill Smith"),
        ("山田太郎", "田中太郎"),
    ],
)
def test_different_people_stay_distinct(a: str, b: str) -> None:
    assert _sim(a, b) < REVIEW


def test_similarity_is_symmetric_and_bounded() -> None:
    names = ["Jane Smith", "Smith, Jane", "Bob Smith", "Robert Smith", "J. Smith", "Jane", "山田太郎", ""]
    for a in names:
        for b in names:
            score = _sim(a, b)
            assert 0.0 <= score <= 1.0
            assert score == pytest.approx(_sim(b, a))


def test_every_nickname_pair_of_the_shared_list_is_recognised() -> None:
    path = corpus("names_nicknames", "carltonnorthern_nicknames_names.csv")
    with path.open(newline="") as f:
        # Initials used as nicknames (Casey -> K.C.) are left out: names are compared without dots.
        rows = [r for r in csv.DictReader(f) if r["relationship"] == "has_nickname" and "." not in r["name2"]]
    assert rows
    missed = [(r["name1"], r["name2"]) for r in rows if not same_given_name(r["name1"].title(), r["name2"].title())]
    assert not missed


@given(st.text(max_size=40), st.text(max_size=30))
def test_parse_name_never_raises(display: str, address: str) -> None:
    parts = parse_name(display, address)
    assert isinstance(parts.full, str)


def test_a_loose_nickname_of_the_list_is_only_worth_a_look() -> None:
    # the nickname list links Bill to Robert as well as to William; only the close pair merges
    assert _sim("Bill Smith", "William Smith") >= MERGE
    assert REVIEW <= _sim("Bill Smith", "Robert Smith") < MERGE


def test_two_plain_words_split_as_nameparser_splits_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """parse_name skips nameparser for "Given Family"; on given names of the nickname list paired
    with each other and with nameparser's own special words (titles, prefixes, suffixes ...), the
    result is what it is with every name sent through nameparser."""
    import random
    from importlib import resources

    from nameparser.config import CONSTANTS

    from kith.ingest.identity import names

    given = sorted({w.strip().capitalize() for line in resources.files("nicknames").joinpath("names.csv")
                    .read_text(encoding="utf-8").splitlines() for w in line.split(",") if w.strip().isalpha()})
    special = sorted(w.capitalize() for kind in ("titles", "prefixes", "suffix_acronyms", "suffix_not_acronyms",
                                                  "conjunctions", "first_name_titles", "bound_first_names")
                     for w in getattr(CONSTANTS, kind) if w.isalpha())
    rng = random.Random(5)
    pool = given + special + ["Ii", "Iv", "Xiv", "Mc", "Van", "Jr", "Dr", "Sir"]
    texts = [f"{rng.choice(pool)} {rng.choice(pool)}" for _ in range(3000)]
    parse_name.cache_clear()
    fast = [parse_name(t) for t in texts]
    assert sum(names._plain_pair(t, t.split()) is not None for t in texts) > 500  # the shortcut is taken
    monkeypatch.setattr(names, "_plain_pair", lambda text, tokens: None)
    parse_name.cache_clear()
    assert [parse_name(t) for t in texts] == fast
    parse_name.cache_clear()
