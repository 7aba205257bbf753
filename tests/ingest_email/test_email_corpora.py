"""Third-party mail test data (../shared/corpora): every message is parsed or rejected with an
error that names where it is; bounces are bounces; mbox files split as their authors say."""

from __future__ import annotations

import functools
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from kith.graph.model import Category
from kith.ingest.email import MessageError, ParsedEmail, RawMessage, ReadError, iter_messages, parse_message
from tests.corpora import CORPORA


# What each corpus may reject, and why: fragments without From/To/Date, licence files, empty files.
EXPECTED_REJECTS = {
    "cpython_email_testdata": {
        "msg_11.txt": "no From, To or Date header",  # MIME-structure fragments
        "msg_18.txt": "no From, To or Date header",
        "msg_19.txt": "no header block",  # a digest body without headers
        "msg_37.txt": "no From, To or Date header",
        "msg_38.txt": "no From, To or Date header",
        "msg_39.txt": "no From, To or Date header",
        "msg_40.txt": "no From, To or Date header",
    },
    "mimekit_testdata": {
        "LICENSE": "no header block",
        # "From Russia with love" body lines are From_ separators in an unmunged mbox (as in MimeKit)
        "mbox/unmunged.mbox.txt#message 2 (byte 195)": "no header block",
        "mbox/unmunged.mbox.txt#message 4 (byte 435)": "no From, To or Date header",
        "messages/delivery-status-multiple-blank-lines.txt": "no From, To or Date header",
        "messages/delivery-status2.txt": "no From, To or Date header",
        "messages/multipart-related-mhtml.txt": "no From, To or Date header",  # a saved web page
    },
    "ruby_mail_fixtures": {
        "MIT-LICENSE": "no header block",
        "error_emails/bad_encoded_subject.eml": "no From, To or Date header",  # Subject only
        "rfc2822/example13.eml": "no header block",
    },
    "sisimai_bounce_emails": {
        "LICENSE": "no header block",
        "mailbox/size-0": "empty file",
        "mailbox/size-1": "empty file",
        "mailbox/size-2": "no header block",
    },
    "perceval_mailing_list_testdata": {"LICENSE": "no header block"},
}

# sisimai messages that are not bounces to us, with what they are instead.
SISIMAI_NOT_BOUNCES = {
    "maildir/not/is-not-bounce-01.eml": Category.PERSONAL,  # sisimai's own negative samples
    "maildir/not/is-not-bounce-02.eml": Category.PERSONAL,
    # a person forwarding a bounce to themselves: a human message about a bounce
    "maildir/bsd/lhost-sendmail-14.eml": Category.PERSONAL,
    "maildir/err/make-test-36.eml": Category.PERSONAL,
    "mailbox/mbox-0#message 36 (byte 92746)": Category.PERSONAL,
    # RFC 3834 vacation replies and an Apple Mail unsubscribe request
    **{f"maildir/bsd/rfc3834-0{i}.eml": Category.AUTO_REPLY for i in range(1, 7)},
    "maildir/dos/rfc3834-01.eml": Category.AUTO_REPLY,
    "maildir/mac/rfc3834-01.eml": Category.AUTO_REPLY,
    "maildir/bsd/arf-26.eml": Category.AUTO_REPLY,
    # fml list-server notices ("not a member", "loop alert")
    "maildir/bsd/lhost-fml-02.eml": Category.MAILING_LIST,
    "maildir/bsd/lhost-fml-03.eml": Category.MAILING_LIST,
}


def corpus(name: str) -> Path:
    path = CORPORA / name
    if not path.is_dir():
        pytest.skip(f"{path} not present")
    return path


def label(root: Path, item: RawMessage | ReadError) -> str:
    rel = Path(item.source).relative_to(root).as_posix()
    return f"{rel}#{item.position}" if "(byte " in item.position else rel


@functools.cache
def outcomes(name: str) -> dict[str, ParsedEmail | MessageError | ReadError]:
    """Every message of a corpus, parsed or rejected, keyed by file (and mbox position)."""
    root = corpus(name)
    out: dict[str, ParsedEmail | MessageError | ReadError] = {}
    for item in iter_messages([root]):
        if isinstance(item, ReadError):
            out[label(root, item)] = item
            continue
        try:
            out[label(root, item)] = parse_message(item)
        except MessageError as exc:
            assert item.source in str(exc) and item.position in str(exc)
            out[label(root, item)] = exc
    return out


@pytest.mark.parametrize("name", sorted(EXPECTED_REJECTS))
def test_every_message_is_parsed_or_rejected_with_a_named_reason(name: str) -> None:
    results = outcomes(name)
    rejected = {
        key: (r.reason if isinstance(r, (ReadError, MessageError)) else "")
        for key, r in results.items()
        if not isinstance(r, ParsedEmail)
    }
    assert {k: v.split(":")[0] for k, v in rejected.items()} == EXPECTED_REJECTS[name]
    for key, result in results.items():
        if isinstance(result, ReadError):
            assert Path(result.source).name in str(result)
    assert len(results) - len(rejected) >= 29


def test_all_sisimai_bounces_are_bounces() -> None:
    results = outcomes("sisimai_bounce_emails")
    not_bounces = {
        key: r.category
        for key, r in results.items()
        if isinstance(r, ParsedEmail) and r.category != Category.BOUNCE
    }
    assert not_bounces == SISIMAI_NOT_BOUNCES
    assert sum(isinstance(r, ParsedEmail) for r in results.values()) == 870


def test_bounces_survive_odd_line_endings_and_charsets() -> None:
    results = outcomes("sisimai_bounce_emails")
    for style in ("bsd", "dos", "mac"):  # LF, CRLF and bare-CR copies of the same bounces
        parsed = {k: r for k, r in results.items() if k.startswith(f"maildir/{style}/")}
        assert parsed and all(isinstance(r, ParsedEmail) for r in parsed.values())
    lf, cr = results["maildir/bsd/lhost-postfix-01.eml"], results["maildir/mac/lhost-postfix-01.eml"]
    assert isinstance(lf, ParsedEmail) and isinstance(cr, ParsedEmail)
    assert (lf.subject, lf.from_, lf.date) == (cr.subject, cr.from_, cr.date)


@pytest.mark.parametrize(
    ("mbox", "count"),
    [("content-length.mbox.txt", 29), ("simple.mbox.txt", 3), ("issue1189.mbox.txt", 4), ("unmunged.mbox.txt", 4)],
)
def test_mimekit_mbox_message_counts(mbox: str, count: int) -> None:
    items = list(iter_messages([corpus("mimekit_testdata") / "mbox" / mbox]))
    assert len(items) == count and all(isinstance(i, RawMessage) for i in items)


def test_mimekit_content_length_mbox_matches_its_summary() -> None:
    root = corpus("mimekit_testdata") / "mbox"
    expected = []  # (subject, date) of each message, as MimeKit's summary lists them
    for block in (root / "content-length-summary.txt").read_text().split("\nFrom - "):
        fields = dict(line.split(": ", 1) for line in block.splitlines()[1:5] if ": " in line)
        date = parsedate_to_datetime(fields["Date"]).timestamp() if "Date" in fields else None
        expected.append((fields.get("Subject", ""), date))
    parsed = [parse_message(m) for m in iter_messages([root / "content-length.mbox.txt"])]  # type: ignore[arg-type]
    assert len(parsed) == len(expected) == 29
    for (subject, date), got in zip(expected, parsed, strict=True):
        assert got.subject == " ".join(subject.split())
        # MimeKit reads an unknown zone such as "cst" as +0000; we honour it
        assert (got.date is None) == (date is None)
        assert date is None or abs(got.date - date) <= 14 * 3600  # type: ignore[operator]
