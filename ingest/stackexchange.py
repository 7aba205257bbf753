"""A Stack Exchange dump (``Posts.xml``) as mail plus expert labels: a public expert-finding benchmark.

Each question becomes a mail from its asker to a list address (everyone on the site reads it); each
answer a reply from the answerer to the asker. The labels say who really knows a tag: the users who
answered questions with that tag, graded by their answers' summed score (1 for a score of 1-4, 2 for
5-14, 3 for 15 or more; answers scoring 0 or less are no evidence of knowing). Tags become topics by
their words ("french-press" -> "french press"). ``kith evaluate experts`` reads the labels file.
"""

from __future__ import annotations

import html
import json
import mailbox
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from kith.graph.errors import KithError

LIST_LOCAL = "brewers"  # the list every question goes to; deliberately not a role-like name
_TAG = re.compile(r"<([^<>]+)>")
_HTML_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Converted:
    mails: int
    topics: int
    labelled_people: int


def grade(score: int) -> int:
    """The relevance grade of a user's summed answer score on a tag (0: not an expert)."""
    return 0 if score < 1 else 1 if score < 5 else 2 if score < 15 else 3


def convert(posts_xml: str | Path, out_dir: str | Path, domain: str = "coffee.example",
            min_questions: int = 3) -> Converted:
    """Write ``mail.mbox`` and ``labels.json`` ({topic: {address: grade}}) into ``out_dir``.
    Only tags of at least ``min_questions`` questions become topics: one question is an anecdote."""
    try:
        rows = [e.attrib for e in ET.parse(posts_xml).getroot() if e.tag == "row"]
    except (OSError, ET.ParseError) as exc:
        raise KithError(f"Cannot read {posts_xml} as a Stack Exchange Posts.xml: {exc}.") from None
    questions = {r["Id"]: r for r in rows if r.get("PostTypeId") == "1" and r.get("OwnerUserId")}
    answers = [r for r in rows if r.get("PostTypeId") == "2" and r.get("OwnerUserId") and r.get("ParentId") in questions]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    box_path = out / "mail.mbox"
    box_path.unlink(missing_ok=True)
    box = mailbox.mbox(str(box_path))
    box.lock()
    try:
        for q in questions.values():
            box.add(_mail(q, _address(q, domain), f"{LIST_LOCAL}@{domain}", q.get("Title", ""), None))
        for a in answers:
            q = questions[a["ParentId"]]
            box.add(_mail(a, _address(a, domain), _address(q, domain), "Re: " + q.get("Title", ""), q))
        box.flush()
    finally:
        box.unlock()
        box.close()

    asked: dict[str, int] = defaultdict(int)
    scores: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for q in questions.values():
        for tag in _tags(q):
            asked[tag] += 1
    for a in answers:
        for tag in _tags(questions[a["ParentId"]]):
            scores[tag][_address(a, domain)] += int(a.get("Score", "0") or 0)
    labels = {}
    for tag in sorted(scores):
        graded = {who: grade(s) for who, s in sorted(scores[tag].items()) if grade(s)}
        if asked[tag] >= min_questions and graded:
            labels[tag.replace("-", " ")] = graded
    (out / "labels.json").write_text(json.dumps(labels, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    people = {who for g in labels.values() for who in g}
    return Converted(len(questions) + len(answers), len(labels), len(people))


def _address(post: dict, domain: str) -> str:
    return f"user{post['OwnerUserId']}@{domain}"


def _tags(question: dict) -> list[str]:
    return _TAG.findall(question.get("Tags", ""))


def _mail(post: dict, sender: str, to: str, subject: str, parent: dict | None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = f"<post{post['Id']}@stackexchange.invalid>"
    if parent is not None:
        msg["In-Reply-To"] = f"<post{parent['Id']}@stackexchange.invalid>"
        msg["References"] = f"<post{parent['Id']}@stackexchange.invalid>"
    msg["Date"] = format_datetime(_when(post.get("CreationDate", "")))
    msg.set_content(_text(post.get("Body", "")))
    return msg


def _when(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
    except ValueError:
        return datetime(2015, 1, 1, tzinfo=timezone.utc)


def _text(body: str) -> str:
    """The post's HTML as plain text: paragraphs kept as lines, tags dropped, entities decoded."""
    text = re.sub(r"</p>|<br\s*/?>|</li>|</h\d>", "\n", body)
    return html.unescape(_HTML_TAG.sub("", text)).strip() + "\n"
