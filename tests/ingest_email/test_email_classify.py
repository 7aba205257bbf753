"""What is not a relationship: bounces, auto-replies, lists, bulk and no-reply senders."""

from __future__ import annotations

import base64

import pytest

from kith.graph.model import Category
from kith.ingest.email import RawMessage, parse_message

PLAIN = "From: {frm}\nTo: me@example.com\nSubject: {subject}\nDate: Mon, 01 Jan 2018 10:00:00 +0000\n"


def category(extra: str = "", frm: str = "Ann <ann@example.com>", subject: str = "Hello", body: str = "hi\n"):  # type: ignore[no-untyped-def]
    data = (PLAIN.format(frm=frm, subject=subject) + extra + "\n" + body).encode()
    msg = parse_message(RawMessage("/mail/x.eml", "x.eml", data))
    return msg.category, msg.category_reason


@pytest.mark.parametrize(
    ("extra", "frm", "subject", "expected", "reason_has"),
    [
        # bounces
        ('MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"\n',
         "a@example.com", "Hello", Category.BOUNCE, "report-type=delivery-status"),
        ("", "Mail Delivery Subsystem <MAILER-DAEMON@googlemail.com>", "Hello", Category.BOUNCE, "mailer-daemon"),
        ("", "postmaster@example.org", "Hello", Category.BOUNCE, "postmaster"),
        ("", "a@example.com", "Undelivered Mail Returned to Sender", Category.BOUNCE, "Subject"),
        ("", "a@example.com", "Delivery Status Notification (Failure)", Category.BOUNCE, "Subject"),
        ("", "a@example.com", "Undeliverable: Quarterly numbers", Category.BOUNCE, "Subject"),
        ("", "a@example.com", "failure notice", Category.BOUNCE, "Subject"),
        ("X-Failed-Recipients: gone@example.com\n", "a@example.com", "Hello", Category.BOUNCE, "X-Failed"),
        ("Return-Path: <>\n", "a@example.com", "Notice", Category.BOUNCE, "null Return-Path"),
        # auto-replies
        ("Auto-Submitted: auto-replied\n", "a@example.com", "Re: Hello", Category.AUTO_REPLY, "auto-replied"),
        ("Auto-Submitted: no\n", "a@example.com", "Re: Hello", Category.PERSONAL, "no automated"),
        ("X-Autoreply: yes\n", "a@example.com", "Hello", Category.AUTO_REPLY, "x-autoreply"),
        ("Precedence: auto_reply\n", "a@example.com", "Hello", Category.AUTO_REPLY, "auto_reply"),
        ("", "a@example.com", "Out of Office: back on Monday", Category.AUTO_REPLY, "Subject"),
        ("", "a@example.com", "Automatic reply: Hello", Category.AUTO_REPLY, "Subject"),
        ("", "a@example.com", "Abwesenheitsnotiz: Hallo", Category.AUTO_REPLY, "Subject"),
        ("Return-Path: <>\n", "a@example.com", "Out of Office", Category.AUTO_REPLY, "Subject"),
        ('MIME-Version: 1.0\nContent-Type: multipart/report; report-type=disposition-notification; boundary="b"\n',
         "a@example.com", "Read: Hello", Category.AUTO_REPLY, "disposition-notification"),
        # lists and bulk
        ("List-Id: Dev <dev.example.org>\n", "a@example.com", "[dev] patch", Category.MAILING_LIST, "List-Id"),
        ("List-Post: <mailto:dev@example.org>\n", "a@example.com", "x", Category.MAILING_LIST, "List-Post"),
        ("Precedence: list\n", "a@example.com", "x", Category.MAILING_LIST, "Precedence"),
        ("Precedence: bulk\n", "a@example.com", "x", Category.BULK, "Precedence: bulk"),
        ("X-Mailgun-Sid: abc\n", "a@example.com", "x", Category.BULK, "X-Mailgun-Sid"),
        ("Feedback-ID: 1:campaign:esp\n", "a@example.com", "x", Category.BULK, "Feedback-ID"),
        ("List-Unsubscribe: <https://e.example/u>\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\n",
         "a@example.com", "x", Category.BULK, "one-click"),
        # no-reply senders
        ("", "GitHub <noreply@github.com>", "x", Category.NO_REPLY, "noreply@github.com"),
        ("", "no-reply@accounts.example.com", "x", Category.NO_REPLY, "no-reply"),
        ("", "DoNotReply@bank.example", "x", Category.NO_REPLY, "DoNotReply"),
        ("", "notifications@tool.example", "x", Category.NO_REPLY, "notifications"),
        # people
        ("", "Ann <ann@example.com>", "Re: Undeliverable package?", Category.PERSONAL, "no automated"),
        ("List-Unsubscribe: <mailto:u@example.com>\n", "ann@example.com", "x", Category.PERSONAL, ""),
    ],
)
def test_classify(extra: str, frm: str, subject: str, expected: Category, reason_has: str) -> None:
    got, reason = category(extra, frm, subject)
    assert got == expected
    assert reason_has.lower() in reason.lower()


def test_bounce_wins_over_list_and_auto_markers() -> None:
    got, _ = category("List-Id: <dev.example.org>\nAuto-Submitted: auto-generated\n",
                      frm="MAILER-DAEMON@example.org")
    assert got == Category.BOUNCE


def test_delivery_status_part_nested_in_a_forward_is_a_bounce() -> None:
    body = (
        "--b\nContent-Type: text/plain\n\nfailed\n--b\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example.com\n\nFinal-Recipient: rfc822; x@example.com\nAction: failed\n--b--\n"
    )
    got, reason = category('MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n', body=body)
    assert got == Category.BOUNCE and "delivery-status" in reason


_SES = '{"notificationType":"Bounce","bounce":{"bounceType":"Permanent"},"mail":{"source":"a@example.com"}}'


@pytest.mark.parametrize(
    ("extra", "body"),
    [
        ("", _SES + "\n"),  # plain text
        ("Content-Transfer-Encoding: base64\n", base64.encodebytes(_SES.encode()).decode()),
        # quoted-printable with a soft line break inside the key: only decoding shows it
        ("Content-Transfer-Encoding: quoted-printable\n", _SES.replace("notificationType", "notifica=\ntionType") + "\n"),
    ],
)
def test_an_amazon_ses_notification_is_a_bounce_however_its_body_is_encoded(extra: str, body: str) -> None:
    got, reason = category(extra, frm="a@example.com", subject="Notice", body=body)
    assert (got, reason) == (Category.BOUNCE, "Amazon SES bounce notification")


def test_a_message_that_only_mentions_notification_type_stays_personal() -> None:
    got, _ = category(frm="a@example.com", subject="Notice", body="the notificationType field is new\n")
    assert got == Category.PERSONAL
