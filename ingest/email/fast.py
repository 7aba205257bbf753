"""The common message read straight from its bytes into what ``prepare`` needs, without the stdlib's
``Message`` or a ``ParsedEmail``: most mail is one part (text/plain or text/html), with an all-ASCII
header block of plain fields (encoded words are fine: they are ASCII).

``read_simple`` takes such a message and returns None for anything else, which then goes through
``parse_message`` unchanged: multipart and message/* bodies, raw 8-bit bytes in a header (their
charset is guessed from the body's), a defective header block (one with a stray line too, which
``parse_message`` drops), uuencoded bodies, and every message ``parse_message`` refuses (empty, no
From/To/Date, a header block past its limit), so that its reason stays its own (past the recipient
limit, ``read_people`` raises the same MessageError).
Each step calls the helper ``parse_message`` calls, so both give the same result; the classifier's
cheap test (classify.quick_category) is what makes skipping the ``Message`` pay.
"""

from __future__ import annotations

import quopri
from email._encoded_words import decode_b  # what Message.get_payload decodes base64 with

from kith.ingest.email.bodies import html_to_text, split_body
from kith.ingest.email.build import FIELD, HEADER_BLOCK
from kith.ingest.email.classify import classify, notification_text, quick_category
from kith.ingest.email.mime import BuiltMessage, header_charset, header_content_type
from kith.ingest.email.parse import (
    Essentials,
    Headers,
    Limits,
    _line_endings,
    inline_text_type,
    payload_text,
    read_people,
)

_UUENCODED = ("x-uuencode", "uuencode", "uue", "x-uue")


def read_simple(raw: bytes, limits: Limits = Limits()) -> Essentials | None:
    """``parse_message(raw, limits).essentials()`` for a single-part message with an ASCII header
    block; None when the message is not of that shape (or is refused, except past the recipient
    limit: then the same MessageError)."""
    # _normalise's scan for stray header lines is left out: a header block HEADER_BLOCK takes has none,
    # and one that has some is left to parse_message
    data = _line_endings(raw)
    end = data.find(b"\n\n")
    if end < 0 or end > limits.header_bytes:
        return None
    head = data[: end + 1]
    if not head.isascii():
        return None
    head_text = head.decode("ascii")
    if not HEADER_BLOCK.fullmatch(head_text):
        return None
    fields = FIELD.findall(head_text)
    first: dict[str, str] = {}  # what Message.get gives: the first field's raw value
    for name, value in fields:
        first.setdefault(name.lower(), value)
    ctype_value = first.get("content-type")
    ctype = header_content_type(ctype_value)
    encoding = first.get("content-transfer-encoding", "").lower()
    if ctype.partition("/")[0] in ("multipart", "message") or encoding in _UUENCODED:
        return None
    try:
        charset = header_charset(ctype_value)
    except (ValueError, LookupError):
        charset = None
    headers = Headers(fields, charset)
    if not headers.names & {"from", "to", "date"}:
        return None
    people = read_people(headers, limits)  # past the recipient limit, raises as parse_message does
    body_bytes = data[end + 2 :]
    kind = inline_text_type(first.get("content-disposition"), ctype)
    text = payload_text(_decoded(body_bytes, encoding), charset) if kind else ""
    body, signature = split_body(html_to_text(text) if kind == "text/html" else text)
    payload = body_bytes.decode("ascii", "surrogateescape")  # Message's payload
    category, _ = quick_category(
        headers.values, ctype, people.subject, people.from_,
        lambda: notification_text(payload, encoding, lambda: _decoded(body_bytes, encoding)),
    ) or classify(BuiltMessage(fields, payload), headers.values, people.from_, people.subject)
    return Essentials(people.message_id, data, people.date, people.from_, people.to, people.cc, people.bcc,
                      people.subject, people.in_reply_to, people.references, category, body, signature)


def _decoded(body: bytes, encoding: str) -> bytes:
    """``Message.get_payload(decode=True)`` of a single part (uuencoded ones excepted); ``encoding``
    is its Content-Transfer-Encoding, lower-case."""
    if encoding == "quoted-printable":
        return quopri.decodestring(body)
    if encoding == "base64":
        return decode_b(b"".join(body.splitlines()))[0]
    return body
