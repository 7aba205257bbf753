"""`kith evaluate experts` and the Stack Exchange converter: metrics by hand, a small Posts.xml written
for this test, converted, ingested and ranked by real `kith` processes on a real SQLite file."""

from __future__ import annotations

import json
import mailbox
import math
from pathlib import Path

import pytest

from kith.graph.expert_eval import average_precision, ndcg, precision_at
from kith.ingest.stackexchange import convert, grade
from tests.cli import Run, kith as run_kith

POSTS = Path(__file__).parent / "data" / "Posts.xml"


def kith(*args: str, **env: str) -> Run:
    return run_kith(*args, env={"KITH_NEO4J_URI": "", **env})


def test_metrics_by_hand():
    ranked = ["a", "b", "c", "d"]
    gains = {"a": 3, "c": 1, "e": 2}  # e is never found: it still counts in the ideal ranking
    ideal = 3 + 2 / math.log2(3) + 1 / 2
    assert ndcg(ranked, gains) == pytest.approx((3 + 1 / 2) / ideal)
    assert ndcg(["a", "e", "c"], gains) == pytest.approx(1.0)
    assert ndcg(ranked, {}) == 0.0
    assert average_precision(ranked, {"a", "c", "e"}) == pytest.approx((1 / 1 + 2 / 3) / 3)
    assert precision_at(ranked, {"a", "c", "e"}) == pytest.approx(2 / 5)


def test_the_converter_writes_questions_to_the_list_answers_to_the_asker_and_graded_labels(tmp_path):
    done = convert(POSTS, tmp_path, min_questions=1)
    messages = list(mailbox.mbox(str(tmp_path / "mail.mbox")))
    # five questions with an owner, five answers to them; the orphan answer, the tag wiki and the
    # question of a deleted user are left out
    assert done.mails == len(messages) == 10
    by_id = {m["Message-ID"]: m for m in messages}
    question, answer = by_id["<post1@stackexchange.invalid>"], by_id["<post3@stackexchange.invalid>"]
    assert (question["From"], question["To"]) == ("user4@coffee.example", "brewers@coffee.example")
    assert (answer["From"], answer["To"]) == ("user9@coffee.example", "user4@coffee.example")
    assert answer["In-Reply-To"] == "<post1@stackexchange.invalid>"
    assert answer["Subject"] == "Re: How should I store whole bean coffee?"
    text = answer.get_payload(decode=True).decode()
    assert "beans & grounds fresh" in text and "<p>" not in text
    labels = json.loads((tmp_path / "labels.json").read_text())
    # storage: user7 answered with scores 12 + 6, user9 with 3, user11's -1 is no evidence
    assert labels == {
        "storage": {"user7@coffee.example": 3, "user9@coffee.example": 1},
        "whole bean": {"user7@coffee.example": 2, "user9@coffee.example": 1},
        "grinder": {"user4@coffee.example": 1},
    }
    assert [grade(s) for s in (-1, 0, 1, 4, 5, 14, 15)] == [0, 0, 1, 1, 2, 2, 3]
    assert list(json.loads((tmp_path / "labels.json").read_text())) == sorted(labels)
    assert convert(POSTS, tmp_path / "two", min_questions=2).topics == 1  # only storage has two questions or more


@pytest.mark.parametrize("privacy", ["topics", "full"])
def test_evaluate_experts_ranks_the_answerers_first_beside_both_baselines(tmp_path, privacy):
    out = tmp_path / "se"
    assert kith("evaluate", "stackexchange", str(POSTS), str(out), "--min-questions", "1").returncode == 0
    db = str(tmp_path / "kith.db")
    env = {"KITH_PRIVACY": privacy, "KITH_INTERNAL_DOMAINS": "coffee.example"}
    ingest = kith("--db", db, "ingest", "email", str(out / "mail.mbox"), **env)
    assert ingest.returncode == 0, ingest.stderr

    result = kith("--db", db, "evaluate", "experts", str(out / "labels.json"), "--json", **env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["topics"] == 3 and report["labels"] == 5 and report["unknown_addresses"] == 0
    assert report["notice"] == ""  # the text was searched, not subjects alone
    assert set(report["scorers"]) == {"kith", "bm25", "most active"}
    for figures in report["scorers"].values():
        assert set(figures) == {"ndcg@10", "map", "p@5"} and all(0 <= v <= 1 for v in figures.values())
    # storage: user7 answered two questions on it; user4 and user13 only asked, and the list (written
    # to about storage by three askers, never writing) only received
    assert report["per_topic"]["storage"]["kith"] > report["per_topic"]["storage"]["bm25"]

    experts = [e["emails"][0] for e in json.loads(kith("--db", db, "experts", "storage", "--json", **env).stdout)]
    assert experts[0] == "user7@coffee.example"
    assert experts.index("user4@coffee.example") > 1 and experts.index("user13@coffee.example") > 1
    assert "brewers@coffee.example" not in experts
    explained = json.loads(kith("--db", db, "experts", "storage", "--json", **env).stdout)[0]["parts"]
    assert set(explained) == {"topical", "role", "recency"} and explained["role"] == pytest.approx(1.0)

    table = kith("--db", db, "evaluate", "experts", str(out / "labels.json"), **env)
    assert table.returncode == 0 and "NDCG@10" in table.stdout and "most active" in table.stdout


def test_topics_and_full_privacy_agree_on_the_top_expert(tmp_path):
    out = tmp_path / "se"
    convert(POSTS, out, min_questions=1)
    tops = {}
    for privacy in ("topics", "full"):
        db = str(tmp_path / f"{privacy}.db")
        env = {"KITH_PRIVACY": privacy, "KITH_INTERNAL_DOMAINS": "coffee.example"}
        assert kith("--db", db, "ingest", "email", str(out / "mail.mbox"), **env).returncode == 0
        tops[privacy] = [json.loads(kith("--db", db, "experts", topic, "--json", **env).stdout)[0]["emails"]
                         for topic in ("airtight jar", "fridge", "burr grinder")]
    assert tops["topics"] == tops["full"] == [["user7@coffee.example"], ["user7@coffee.example"],
                                              ["user4@coffee.example"]]


def test_metadata_privacy_ranks_from_subjects_only_and_says_so(tmp_path):
    out = tmp_path / "se"
    convert(POSTS, out, min_questions=1)
    db = str(tmp_path / "kith.db")
    env = {"KITH_PRIVACY": "metadata", "KITH_INTERNAL_DOMAINS": "coffee.example"}
    assert kith("--db", db, "ingest", "email", str(out / "mail.mbox"), **env).returncode == 0

    # "Re: How should I store whole bean coffee?": the answerers' subjects carry the question's words
    ranked = kith("--db", db, "experts", "whole bean", "--json", **env)
    assert [e["emails"][0] for e in json.loads(ranked.stdout)][:2] == ["user7@coffee.example", "user9@coffee.example"]
    assert "subjects only" in ranked.stderr  # stdout stays the JSON list
    assert json.loads(kith("--db", db, "experts", "airtight jar", "--json", **env).stdout) == []  # body words
    table = kith("--db", db, "experts", "whole bean", **env)
    assert "Ranked from subjects only" in table.stdout and "user7@coffee.example" in table.stdout

    report = json.loads(kith("--db", db, "evaluate", "experts", str(out / "labels.json"), "--json", **env).stdout)
    assert report["notice"].startswith("Ranked from subjects only")
    assert "subjects only" in kith("--db", db, "evaluate", "experts", str(out / "labels.json"), **env).stdout


def test_a_bad_labels_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "labels.json"
    bad.write_text("[1, 2]")
    result = kith("--db", str(tmp_path / "k.db"), "evaluate", "experts", str(bad))
    assert result.returncode != 0 and "topic -> {address: grade}" in result.stderr
