"""The fast read of the common message (fast.read_simple) and the classifier's cheap test
(classify.quick_category) give exactly what the full parse and the full rules give; every other shape
is left to the full parse."""

from __future__ import annotations

import base64
import importlib
import random

import pytest

from kith.graph.model import Category
from kith.ingest.email import RawMessage, iter_messages
from kith.ingest.email.fast import read_simple
from kith.ingest.email.parse import Limits, MessageError, parse_message
from kith.ingest.synthetic import make_firm, messages

from test_email_fast_paths import CORPORA, MESSAGES

classify_mod = importlib.import_module("kith.ingest.email.classify")
parse_mod = importlib.import_module("kith.ingest.email.parse")

HEAD = "From: Ann <ann@example.com>\nTo: me@example.com\nSubject: {subject}\nDate: Mon, 01 Jan 2018 10:00:00 +0000\n"
SES = base64.encodebytes(b'{"notificationType":"Bounce","bounce":{}}').decode()
# One message per way a rule can fire (and a near miss of each), single-part and plain-headed.
AUTOMATED = [
    HEAD.format(subject=subject) + extra + "\n" + body
    for extra, subject, body in [
        ("X-Failed-Recipients: gone@example.com\n", "Hello", "hi\n"),
        ("Return-Path: <>\n", "Notice", "hi\n"),
        ("Return-Path: < >\n", "Out of office", "hi\n"),
        ("Return-Path: <ann@example.com>\n", "Hello", "hi\n"),
        ("Sender: MAILER-DAEMON@example.com\n", "Hello", "hi\n"),
        ("Sender: owner-list@example.com\n", "Hello", "hi\n"),
        ("", "Undelivered Mail Returned to Sender", "hi\n"),
        ("", "Re: Undeliverable: numbers", "hi\n"),
        ("", "Out of Office: back Monday", "hi\n"),
        ("Auto-Submitted: auto-replied\n", "Hello", "hi\n"),
        ("Auto-Submitted: no\n", "Hello", "hi\n"),
        ("X-Autoreply: yes\n", "Hello", "hi\n"),
        ("Precedence: bulk\n", "Hello", "hi\n"),
        ("Precedence: list\n", "Hello", "hi\n"),
        ("Precedence: first-class\n", "Hello", "hi\n"),
        ("List-Id: <dev.example.com>\n", "Hello", "hi\n"),
        ("X-Mailgun-Sid: abc\n", "Hello", "hi\n"),
        ("Feedback-ID: 1:2:3\n", "Hello", "hi\n"),
        ("List-Unsubscribe: <x>\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\n", "Hello", "hi\n"),
        ("List-Unsubscribe: <x>\n", "Hello", "hi\n"),
        ("Content-Type: message/delivery-status\n", "Hello", "Status: 5.0.0\n"),
        ("Content-Transfer-Encoding: base64\n", "Hello", SES),
        ("", "Hello", '{"notificationType":"Complaint"}\n'),
        ("", "Hello", "notificationType is a word here\n"),
        ("Reply-To: no-reply@example.com\n", "Hello", "hi\n"),
    ]
] + [HEAD.replace("ann@", "noreply@").format(subject="Hello") + "\nhi\n"]


def synthetic(count: int = 400) -> list[bytes]:
    return [m.encode() for m in messages(make_firm(), count)]


def real() -> list[bytes]:
    found: list[bytes] = []
    if CORPORA.is_dir():
        for name in ("cpython_email_testdata", "mimekit_testdata", "ruby_mail_fixtures", "sisimai_bounce_emails",
                     "perceval_mailing_list_testdata"):
            found += [item.data for item in iter_messages([CORPORA / name]) if isinstance(item, RawMessage)]
    return found


def _essentials(data: bytes, limits: Limits):  # type: ignore[no-untyped-def]
    try:
        return parse_message(RawMessage("", "", data), limits).essentials()
    except MessageError as exc:
        return exc.reason


@pytest.mark.parametrize(("limits", "share"), [(Limits(), 0.25), (Limits(header_bytes=300, recipients=3), 0.05)])
def test_the_fast_read_gives_what_the_full_parse_gives(limits: Limits, share: float) -> None:
    items = MESSAGES + [m.encode() for m in AUTOMATED] + synthetic() + real()
    items += [d.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") for d in items]  # CRLF copies
    taken = 0
    for data in items:
        fast = _fast(data, limits)
        if fast is not None:
            taken += 1
            assert fast == _essentials(data, limits), data[:300]
    assert taken > len(items) * share  # the synthetic firm's mail and the plain real messages, within the limits


def test_the_synthetic_firms_mail_all_takes_the_fast_read() -> None:
    assert all(read_simple(d) is not None for d in synthetic(200))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\n\n",
        b"From: a@example.com\nTo: b@example.com\nSubject: no body separator\n",
        b"Subject: neither From, To nor Date\n\nbody\n",
        b"From: a@example.com\nTo: b@example.com\nSubject: Gr\xc3\xbc\xc3\x9fe\n\nraw 8-bit header\n",
        b"From: a@example.com\nTo: b@example.com\nthis is not a header\nKeywords: x\n\nbody\n",
        b"From: a@example.com\nTo: b@example.com\nContent-Type: multipart/alternative; boundary=XX\n\n--XX\n"
        b"Content-Type: text/plain\n\nplain\n--XX--\n",
        b"From: a@example.com\nTo: b@example.com\nContent-Type: message/rfc822\n\nFrom: c@example.com\n\ninner\n",
        b"From: a@example.com\nTo: b@example.com\nContent-Transfer-Encoding: x-uuencode\n\nbegin 644 x\n`\nend\n",
        b"From: a@example.com\nTo: b@example.com\nX-Long: " + b"y" * 400 + b"\n\nover the header limit\n",
    ],
)
def test_other_shapes_are_left_to_the_full_parse(data: bytes) -> None:
    assert read_simple(data, Limits(header_bytes=300, recipients=3)) is None


def test_a_stray_header_line_is_left_to_the_full_parse_which_drops_it() -> None:
    data = b"From: a@example.com\nthis is not a header\nTo: b@example.com\nDate: Mon, 01 Jan 2018 10:00:00 +0000\n\nhi\n"
    assert read_simple(data) is None
    assert [a.address for a in parse_message(RawMessage("", "", data)).to] == ["b@example.com"]


def test_past_the_recipient_limit_the_fast_read_refuses_as_the_full_parse_does() -> None:
    data = b"From: a@example.com\nTo: a@x.com, b@x.com, c@x.com, d@x.com\n\nover the recipient limit\n"
    reason = _fast(data, Limits(recipients=3))
    assert reason == _essentials(data, Limits(recipients=3)) and "KITH_MAX_RECIPIENTS" in reason


def _fast(data: bytes, limits: Limits):  # type: ignore[no-untyped-def]
    try:
        return read_simple(data, limits)
    except MessageError as exc:
        return exc.reason


def test_the_cheap_classifier_test_agrees_with_the_rules(monkeypatch) -> None:
    items = MESSAGES + [m.encode() for m in AUTOMATED] + real()
    quick = [_category(d) for d in items]
    assert {q[0] for q in quick if isinstance(q, tuple)} == {  # every rule fired somewhere
        Category.BOUNCE, Category.AUTO_REPLY, Category.MAILING_LIST, Category.BULK, Category.NO_REPLY, Category.PERSONAL}
    monkeypatch.setattr(classify_mod, "quick_category", lambda *args: None)
    assert [_category(d) for d in items] == quick


def _category(data: bytes):  # type: ignore[no-untyped-def]
    try:
        msg = parse_message(RawMessage("", "", data))
    except MessageError as exc:
        return exc.reason
    return msg.category, msg.category_reason


# Pieces of messages, combined at random: every field the fast read or the cheap test looks at, in
# usual and odd spellings.
FIELDS = [
    "From: Ann Lee <ann@example.com>", "From: =?utf-8?q?Jos=C3=A9?= <jose@example.es>", "From: noreply@example.com",
    "From: MAILER-DAEMON@example.com", "from: owner-dev@example.org", "From: \"Lee, Ann\" <ann@example.com>",
    "To: b@example.com, \"C D\" <c@example.com>", "To: b@example.com", "Cc: e@example.com", "Bcc: f@example.com",
    "Sender: list-bounces@example.org", "Reply-To: Ann Lee <ann@example.com>", "X-From: Ann Lee",
    "Subject: Lunch", "Subject: Re: Lunch", "Subject: Out of office", "Subject: Undeliverable: Lunch",
    "Subject: =?utf-8?b?Q2Fmw6k=?=", "Date: Mon, 01 Jan 2018 10:00:00 +0000", "Date: 2018-01-01 10:00",
    "Message-ID: <m1@example.com>", "In-Reply-To: <m0@example.com>", "References: <r0@x> <m0@example.com>",
    "Content-Type: text/plain; charset=utf-8", "Content-Type: text/plain; charset=iso-8859-1",
    "Content-Type: text/html", "Content-Type: application/pdf", "Content-Type: text/plain; charset=bogus",
    "Content-Type: message/delivery-status", "Content-Type: multipart/mixed; boundary=b",
    "Content-Transfer-Encoding: quoted-printable", "Content-Transfer-Encoding: base64",
    "Content-Transfer-Encoding: 8bit", "Content-Transfer-Encoding: x-uuencode",
    "Content-Disposition: attachment; filename=a.txt", "Content-Disposition: inline",
    "Return-Path: <>", "Return-Path: <ann@example.com>", "Precedence: bulk", "Precedence: list",
    "Auto-Submitted: auto-replied", "Auto-Submitted: no", "List-Id: <dev.example.org>", "X-Mailgun-Sid: x",
    "List-Unsubscribe: <x>", "List-Unsubscribe-Post: List-Unsubscribe=One-Click", "X-Failed-Recipients: g@x.com",
    "Subject: folded\n  over two lines", "X-Empty:",
]
BODIES = [
    "Hi Ann,\n\nLunch on Friday?\n\nBest,\nBob\n", "Caf=C3=A9 =\nau lait\n", "aGVsbG8gdGhlcmUK\n",
    "<p>Hi <b>there</b></p>\n", '{"notificationType":"Bounce"}\n', "eyJub3RpZmljYXRpb25UeXBlIjoiQm91bmNlIn0=\n",
    "On Mon, Ann wrote:\n> earlier\n", "",
]


def test_random_messages_read_fast_as_they_parse_in_full(monkeypatch) -> None:
    rng = random.Random(19)
    items = [("\n".join(rng.sample(FIELDS, rng.randint(1, 9))) + "\n\n" + rng.choice(BODIES)).encode()
             for _ in range(3000)]
    limits = Limits(header_bytes=400, recipients=2)
    fast = [_fast(d, limits) for d in items]
    assert sum(f is not None for f in fast) > len(items) / 10
    categories = [_category(d) for d in items]
    monkeypatch.setattr(classify_mod, "quick_category", lambda *args: None)  # the full rules, every time
    assert [f for f in fast if f is not None] == [_essentials(d, limits) for d, f in zip(items, fast) if f is not None]
    assert [_category(d) for d in items] == categories
