"""Turn one raw message into a plain ``ParsedEmail``: decoded addresses, date, threading ids,
category and the new text of the body.

The stdlib parser runs with ``compat32``, which never raises on bad headers; header values are
then decoded here, so legacy charsets, broken RFC 2047 words and raw 8-bit headers all survive.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import codecs
import hashlib
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from email.utils import getaddresses, parsedate_tz
from functools import lru_cache
from typing import Any, NamedTuple

import charset_normalizer

from kith.graph.model import Category
from kith.ingest.email.address import Address
from kith.ingest.email.bodies import html_to_text, split_body
from kith.ingest.email.build import build_message
from kith.ingest.email.classify import classify
from kith.ingest.email.mime import content_charset, content_type
from kith.ingest.email.sources import RawMessage
from kith.ingest.report import over_limit


class MessageError(ValueError):
    """The bytes are not a usable email. ``reason`` says why; str() also names where it is."""

    def __init__(self, reason: str, source: str = "", position: str = "") -> None:
        self.reason, self.source, self.position = reason, source, position
        where = f"{source} ({position}): " if source else ""
        super().__init__(f"{where}{reason}")

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return MessageError, (self.reason, self.source, self.position)


@dataclass(slots=True)
class ParsedEmail:
    source: str
    position: str
    message_id: str = ""  # without <>, '' if missing
    date: int | None = None  # UTC epoch seconds; None when missing or not believable
    from_: list[Address] = field(default_factory=list)
    sender: Address | None = None
    reply_to: list[Address] = field(default_factory=list)
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    bcc: list[Address] = field(default_factory=list)
    subject: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    list_id: str = ""
    category: Category = Category.PERSONAL
    category_reason: str = ""
    body: str = ""  # new text only: no quoted replies, forwarded blocks or signature
    signature: str = ""
    data: bytes = field(default=b"", repr=False)  # the message as parsed (line endings normalised)

    @property
    def content_hash(self) -> str:
        """sha256 of the normalised header block + body: computed when asked (it names only the
        messages without a Message-ID)."""
        return _content_hash(self.data)

    def essentials(self) -> Essentials:
        return Essentials(self.message_id, self.data, self.date, self.from_, self.to, self.cc, self.bcc,
                          self.subject, self.in_reply_to, self.references, self.category, self.body, self.signature)


class Essentials(NamedTuple):
    """What the worker's ``prepare`` reads of a message: ``ParsedEmail``'s fields of the same names
    (fast.read_simple makes one without a ParsedEmail)."""

    message_id: str
    data: bytes
    date: int | None
    from_: list[Address]
    to: list[Address]
    cc: list[Address]
    bcc: list[Address]
    subject: str
    in_reply_to: str
    references: list[str]
    category: Category
    body: str
    signature: str

    @property
    def content_hash(self) -> str:
        return _content_hash(self.data)


class Limits(NamedTuple):
    """What one message may hold (Settings.max_header_bytes, max_recipients): past them it is skipped
    unparsed, so that a hostile message costs the time and memory of its limits, not of its size.
    (Its size, Settings.max_message_bytes, is the reader's: a larger message is never read whole.)"""

    header_bytes: int = 1 << 20
    recipients: int = 1000


def parse_message(raw: RawMessage, limits: Limits = Limits()) -> ParsedEmail:
    """Parse one message; raise ``MessageError`` when the bytes are not a usable email or pass a limit."""
    data = _normalise(raw.data)
    if not data.strip():
        raise MessageError("empty message", raw.source, raw.position)
    header_end = data.find(b"\n\n")
    header_bytes = header_end if header_end >= 0 else len(data)
    if header_bytes > limits.header_bytes:
        raise MessageError(over_limit(f"a header block of {header_bytes:,} bytes", limits.header_bytes,
                                      "KITH_MAX_HEADER_BYTES"), raw.source, raw.position)
    try:
        msg = build_message(data) or BytesParser(policy=compat32).parsebytes(data)
    except RecursionError:
        raise MessageError("MIME nesting too deep to parse", raw.source, raw.position) from None
    try:
        hint = content_charset(msg)
    except (ValueError, LookupError):
        hint = None
    headers = Headers(msg.raw_items(), hint)
    if not headers.names:
        raise MessageError("no header block: not an email", raw.source, raw.position)
    if not headers.names & {"from", "to", "date"}:
        raise MessageError("no From, To or Date header: not an email", raw.source, raw.position)

    people = read_people(headers, limits, raw.source, raw.position)
    body, signature = split_body(_body_text(msg))
    category, reason = classify(msg, headers.values, people.from_, people.subject)
    return ParsedEmail(
        source=raw.source,
        position=raw.position,
        message_id=people.message_id,
        date=people.date,
        from_=people.from_,
        sender=people.senders[0] if people.senders else None,
        reply_to=people.reply_to,
        to=people.to,
        cc=people.cc,
        bcc=people.bcc,
        subject=people.subject,
        in_reply_to=people.in_reply_to,
        references=people.references,
        list_id=_list_id(headers.text("list-id")),
        category=category,
        category_reason=reason,
        body=body,
        signature=signature,
        data=data,
    )


class People(NamedTuple):
    """Who wrote a message to whom, when, about what and in answer to which message: its headers as
    ``parse_message`` reads them (display names filled in from other headers)."""

    from_: list[Address]
    senders: list[Address]
    reply_to: list[Address]
    to: list[Address]
    cc: list[Address]
    bcc: list[Address]
    subject: str
    message_id: str
    date: int | None
    in_reply_to: str
    references: list[str]


def read_people(headers: Headers, limits: Limits, source: str = "", position: str = "") -> People:
    """The ``People`` of a message's headers; raise ``MessageError`` past the recipient limit."""
    to, cc, bcc = headers.addresses("to"), headers.addresses("cc"), headers.addresses("bcc")
    if len(to) + len(cc) + len(bcc) > limits.recipients:
        raise MessageError(over_limit(f"{len(to) + len(cc) + len(bcc):,} recipients", limits.recipients,
                                      "KITH_MAX_RECIPIENTS"), source, position)
    senders, reply_to = headers.addresses("sender"), headers.addresses("reply-to")
    known = {a.address.lower(): a.name for a in (*senders, *reply_to) if a.name}
    return People(
        from_=_with_names(headers.addresses("from"), headers.text("x-from"), known),
        senders=senders,
        reply_to=reply_to,
        to=_with_names(to, headers.text("x-to"), known),
        cc=_with_names(cc, headers.text("x-cc"), known),
        bcc=_with_names(bcc, headers.text("x-bcc"), known),
        subject=headers.text("subject"),
        message_id=next(iter(_message_ids(headers.raw("message-id"))), ""),
        date=_date(headers.text("date"), headers.all_raw("received")),
        in_reply_to=next(iter(_message_ids(headers.raw("in-reply-to"))), ""),
        references=_message_ids(" ".join(headers.all_raw("references"))),
    )


def _normalise(data: bytes) -> bytes:
    """LF line endings, no BOM, no leading blank lines or mbox From_ line, no stray header line."""
    return _drop_stray_header_lines(_line_endings(data))


def _line_endings(data: bytes) -> bytes:
    """``_normalise`` but for the stray header lines: LF line endings, no BOM, no leading blank lines
    or mbox From_ line."""
    data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").removeprefix(b"\xef\xbb\xbf")
    data = data.lstrip(b"\n")
    if data.startswith(b"From "):
        data = data.partition(b"\n")[2]
    return data


_HEADER_FIELD = re.compile(rb"^[!-9;-~]+[ \t]*:")
_CLEAN_HEADER_BLOCK = re.compile(rb"(?:(?:[!-9;-~]+[ \t]*:|[ \t])[^\n]*(?:\n|\Z))*")
_COMMON_HEADER = re.compile(
    rb"^(received|from|to|cc|date|subject|message-id|delivered-to|return-path|mime-version"
    rb"|content-type|reply-to|sender|references|in-reply-to|x-[!-9;-~]+)[ \t]*:",
    re.IGNORECASE,
)


def _drop_stray_header_lines(data: bytes) -> bytes:
    """Drop a garbage line inside the header block (followed by more headers), which would
    otherwise end the headers early and push From/To/Date into the body."""
    end = data.find(b"\n\n")
    if _CLEAN_HEADER_BLOCK.fullmatch(data, 0, end if end >= 0 else len(data)):
        return data  # the usual case: every line a field or a continuation
    lines = data[: end if end >= 0 else len(data)].split(b"\n")
    stray = [
        i
        for i, line in enumerate(lines[1:-1], start=1)
        if not _HEADER_FIELD.match(line) and line[:1] not in (b" ", b"\t")
    ]
    if not stray or not _COMMON_HEADER.match(lines[stray[0] + 1]):
        return data
    i = stray[0]
    return b"\n".join(lines[:i] + lines[i + 1 :]) + (data[end:] if end >= 0 else b"")


# --- charsets ---------------------------------------------------------------------------------

# Declared names mapped to the codec that decodes what senders really meant (supersets).
_CHARSET_ALIASES = {
    **dict.fromkeys(
        ("ks_c_5601-1987", "ks_c_5601", "ksc5601", "ks_c_5601_1987", "euc-kr", "euckr",
         "x-windows-949", "windows-949", "korean"),
        "cp949",
    ),
    **dict.fromkeys(
        ("gb2312", "gb_2312-80", "gbk", "x-gbk", "cp936", "euc-cn", "chinese", "csgb2312"),
        "gb18030",
    ),
    **dict.fromkeys(("big5", "big-5", "x-x-big5", "cn-big5", "csbig5", "big5-hkscs"), "big5hkscs"),
    **dict.fromkeys(
        ("shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "windows-31j", "csshiftjis"),
        "cp932",
    ),
    "unicode-1-1-utf-7": "utf-7",
}
_FALLBACK_CODECS = {
    "iso2022_jp": ("iso2022_jp", "iso2022_jp_ext", "iso2022_jp_2", "cp932"),
    "euc_jp": ("euc_jp", "euc_jis_2004", "cp932"),
    # Latin-1 labels are often on UTF-8 text; real Latin-1 is almost never valid UTF-8.
    "iso8859-1": ("utf-8", "cp1252", "latin-1"),
    "cp1252": ("utf-8", "cp1252", "latin-1"),
    "iso8859-15": ("utf-8", "iso8859-15"),
    "ascii": ("ascii", "utf-8", "cp1252", "latin-1"),
}
_UNKNOWN_CHARSETS = {"", "unknown-8bit", "x-unknown", "unknown", "default", "8bit", "charset"}


@lru_cache(maxsize=256)
def _codecs_for(charset: str | None) -> tuple[str, ...]:
    """Codecs to try, in order, for a declared charset; () when it names nothing usable."""
    name = (charset or "").strip().strip("\"'").lower().split("*", 1)[0]
    if name in _UNKNOWN_CHARSETS:
        return ()
    name = _CHARSET_ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):  # unknown, or malformed (a NUL in the name): as for any unknown charset
        return ()
    if not getattr(info, "_is_text_encoding", True):  # base64, zlib, rot13...: codecs, not charsets
        return ()
    codec = info.name
    return _FALLBACK_CODECS.get(codec, (codec,))


def decode_bytes(data: bytes, *charsets: str | None) -> str:
    """Decode text from the first declared charset that fits, else by detection. Never raises."""
    if not data:
        return ""
    tried: list[str] = []
    for charset in charsets:
        for codec in _codecs_for(charset):
            if codec not in tried:
                tried.append(codec)
                try:
                    return data.decode(codec)
                except UnicodeDecodeError:
                    pass
    if data.isascii() and b"\x1b" not in data:
        return data.decode("ascii")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data[:65536]).best()
    codec = best.encoding if best is not None else (tried[0] if tried else "utf-8")
    return data.decode(codec, errors="replace")


# --- headers ----------------------------------------------------------------------------------

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")


def _decode_word_bytes(encoding: str, text: str) -> bytes | None:
    if encoding in "bB":
        text = re.sub(r"[^A-Za-z0-9+/]", "", text)
        text = text[: len(text) - len(text) % 4] if len(text) % 4 == 1 else text
        try:
            return base64.b64decode(text + "=" * (-len(text) % 4))
        except binascii.Error:
            return None
    return binascii.a2b_qp(text.encode("ascii", "replace"), header=True)


def decode_words(text: str, *hints: str | None) -> str:
    """Decode RFC 2047 encoded words leniently; a word that cannot be decoded stays as written."""
    if "=?" not in text:  # no encoded word
        return _decode_raw_jis(text)
    return _decode_encoded_words(text, hints)


@lru_cache(maxsize=1 << 14)  # names and subjects recur across a mailbox
def _decode_encoded_words(text: str, hints: tuple[str | None, ...]) -> str:
    pieces: list[tuple[str, bytes] | str] = []  # (charset, bytes) for encoded words, else text
    pos = 0
    for m in _ENCODED_WORD.finditer(text):
        between = text[pos : m.start()]
        decoded = _decode_word_bytes(m.group(2), m.group(3))
        if decoded is None:
            pieces.append(between + m.group(0))
        else:
            # whitespace between two encoded words is not part of the text (RFC 2047 §6.2)
            if between and not (between.isspace() and pieces and isinstance(pieces[-1], tuple)):
                pieces.append(between)
            charset = m.group(1).split("*", 1)[0].lower()
            last = pieces[-1] if pieces else None
            if isinstance(last, tuple) and last[0] == charset:  # words split mid-character
                pieces[-1] = (charset, last[1] + decoded)
            else:
                pieces.append((charset, decoded))
        pos = m.end()
    pieces.append(text[pos:])
    return "".join(
        decode_bytes(p[1], p[0], *hints) if isinstance(p, tuple) else _decode_raw_jis(p)
        for p in pieces
    )


def _decode_raw_jis(text: str) -> str:
    """Headers written in raw 7-bit ISO-2022-JP (escape sequences, no encoded words)."""
    if "\x1b$" not in text and "\x1b(" not in text:
        return text
    return decode_bytes(text.encode("ascii", "replace"), "iso-2022-jp")


_RAW_BYTES = re.compile("[\udc80-\udcff]")


class Headers:
    """Header values of one message, unfolded, with raw 8-bit bytes decoded (RFC 6532); ``fields`` are
    the message's raw (name, value) pairs, ``hint`` the charset its Content-Type declares."""

    def __init__(self, fields: Iterable[tuple[str, Any]], hint: str | None) -> None:
        self.hints = ("utf-8", hint)
        self.values: dict[str, list[str]] = {}  # lower-case name -> its values, in order
        for name, value in fields:
            if type(value) is str and value.isascii() and "\n" not in value:  # most: nothing to unfold or decode
                value = value.strip()
            else:
                value = self._unfold(value)
            self.values.setdefault(name.strip().lower(), []).append(value)
        self.names = set(self.values)

    def _unfold(self, value: str) -> str:
        value = str(value)
        if "\n" in value:
            value = _FOLD.sub("", value)
        if not value.isascii() and _RAW_BYTES.search(value):  # raw 8-bit bytes in the header
            value = decode_bytes(value.encode("utf-8", "surrogateescape"), *self.hints)
        return value.strip()

    def all_raw(self, name: str) -> list[str]:
        return self.values.get(name, [])

    def raw(self, name: str) -> str:
        values = self.values.get(name)
        return values[0] if values else ""

    def text(self, name: str) -> str:
        return _header_text(self.raw(name), self.hints)

    def addresses(self, name: str) -> list[Address]:
        """The addresses of every ``name`` header, each address once (the first)."""
        values = self.values.get(name)
        if not values:
            return []
        if len(values) == 1:
            return list(_distinct_addresses(values[0], self.hints))
        out: dict[str, Address] = {}
        for value in values:
            for addr in _distinct_addresses(value, self.hints):
                out.setdefault(addr.address.lower(), addr)
        return list(out.values())


def _header_text(value: str, hints: tuple[str | None, ...]) -> str:
    """The value decoded, with single spaces for its runs of whitespace."""
    if not value:  # most messages lack most of the headers read (X-To, X-cc, List-Id...)
        return ""
    return " ".join(decode_words(value, *hints).split())


_ADDR_LOCAL = re.compile(r'^(?:"[^"]*"|[^\s@<>()\[\],;:"]+)$')
_ADDR_DOMAIN = re.compile(r"^(?:\[[^\[\]\s]+\]|[^\s@<>()\[\],;:\"'\\]+)$")


# A list of plain entries, "Name <addr>" or "addr", names perhaps with encoded words (without commas).
# The stdlib parser reads each such entry on its own, up to its comma, so entries are parsed (and
# cached) one by one: colleagues recur in ever new To and Cc lists.
_NAME_CHAR = r'[^"()<>@,;:\\\[\]=?]'  # no special, nothing of an encoded word
_COMMA_FREE_WORD = r"=\?[^?\s,]+\?[bBqQ]\?[^?,]*\?="
_PLAIN_ADDR = r'[^"()<>@,;:\\\[\]=?\s]+@[^"()<>@,;:\\\[\]=?\s]+'
_PLAIN_ENTRY = rf"(?:(?:{_NAME_CHAR}|{_COMMA_FREE_WORD})*<{_PLAIN_ADDR}>|\s*{_PLAIN_ADDR})\s*"
_PLAIN_LIST = re.compile(rf"{_PLAIN_ENTRY}(?:,{_PLAIN_ENTRY})+")
_PLACEHOLDER = "kithencodedword"


@lru_cache(maxsize=1 << 15)  # the same To and Cc lines recur across a thread
def _distinct_addresses(value: str, hints: tuple[str | None, ...]) -> tuple[Address, ...]:
    """``_addresses``, each address once (the first)."""
    out: dict[str, Address] = {}
    for addr in _addresses(value, hints):
        out.setdefault(addr.address.lower(), addr)
    return tuple(out.values())


@lru_cache(maxsize=1 << 15)
def _addresses(value: str, hints: tuple[str | None, ...]) -> tuple[Address, ...]:
    """Parse an address-list header; groups are flattened and invalid entries dropped."""
    if _PLAIN_LIST.fullmatch(value):
        return tuple(a for entry in value.split(",") for a in _addresses(entry.strip(" \t"), hints))
    # Encoded words may hide commas or quotes: swap them for plain atoms, which the value must not hold.
    words: list[str] = []
    token = _PLACEHOLDER
    while token in value:
        token += "q"

    def protect(m: re.Match[str]) -> str:
        words.append(m.group(0))
        return f"{token}{len(words) - 1}x"

    def restore(s: str) -> str:
        return re.sub(rf"{token}(\d+)x", lambda m: words[int(m.group(1))], s)

    out = []
    for name, addr in getaddresses([_ENCODED_WORD.sub(protect, value)]):
        spec = _clean_addr_spec(restore(addr))
        if not spec:
            continue
        name = _header_text(restore(name), hints).strip("\"'").strip()
        if name.lower() in (spec.lower(), f"<{spec.lower()}>"):
            name = ""
        out.append(Address(name, spec))
    return tuple(out)


# --- names from other headers -------------------------------------------------------------------

_X_ENTRY = re.compile(r'^\s*"?([^"<]*?)"?\s*<([^<>]*)>\s*$')  # Name <addr, X.500 or Lotus path>
_SINGLE_WORD = re.compile(r"^\s*[^\W\d_][\w'.-]*\s*$")


def _with_names(addresses: list[Address], x_value: str, known: dict[str, str]) -> list[Address]:
    """Addresses without a display name take one from the Sender or Reply-To header holding the same
    address, else from the Exchange/Lotus export header (X-From, X-To, X-cc): by the address an entry
    names, or by position when the lists are as long as each other."""
    if not (x_value or known) or all(a.name for a in addresses):
        return addresses
    entries = _x_entries(x_value) if x_value else []
    aligned = len(entries) == len(addresses)
    by_address = {e_addr.lower(): name for name, e_addr in entries if e_addr and name}
    out = []
    for n, a in enumerate(addresses):
        name = a.name or known.get(a.address.lower()) or by_address.get(a.address.lower(), "")
        if not name and aligned and (not entries[n][1] or entries[n][1].lower() == a.address.lower()):
            name = entries[n][0]
        out.append(Address(name, a.address) if name != a.name else a)
    return out


def _x_entries(value: str) -> list[tuple[str, str]]:
    """(name, address or '') of each entry of an X-From/X-To/X-cc header. Entries are split at commas
    outside quotes and angle brackets; "Kaminski, Vince J" (a lone word before a comma) stays one."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(value):
        if ch == '"':
            quoted = not quoted
        elif ch == "<" and not quoted:
            depth += 1
        elif ch == ">" and not quoted:
            depth = max(0, depth - 1)
        elif ch == "," and not quoted and depth == 0:
            parts.append(value[start:i])
            start = i + 1
    parts.append(value[start:])
    joined: list[str] = []
    for part in parts:
        if joined and _SINGLE_WORD.match(joined[-1]) and part.strip() and "@" not in part.split("<")[0]:
            joined[-1] = f"{joined[-1]},{part}"
        else:
            joined.append(part)
    out = []
    for entry in (p.strip() for p in joined):
        if not entry:
            continue
        m = _X_ENTRY.match(entry)
        name, inner = (m.group(1), m.group(2)) if m else (entry, "")
        address = inner.strip() if "@" in inner and "/" not in inner and "=" not in inner else ""
        name = name.strip().strip("'\"").strip()
        if "@" in name and " " not in name:  # 'vkaminski@aol.com': an address, no name
            address, name = address or name, ""
        name = name.split("/", 1)[0].strip()  # Lotus: Vince J Kaminski/HOU/ECT@ECT
        out.append(("" if "@" in name else name, address))
    return out


def _clean_addr_spec(addr: str) -> str:
    """The addr-spec stripped with a lower-case domain, or '' when it is not an address."""
    addr = addr.strip().strip("<>").strip()
    if addr.lower().startswith("mailto:"):
        addr = addr[7:]
    local, at, domain = addr.rpartition("@")
    domain = domain.rstrip(".")
    if not (at and local and domain and len(addr) <= 254):
        return ""
    if not _ADDR_LOCAL.match(local) or not _ADDR_DOMAIN.match(domain):
        return ""
    return f"{local}@{domain.lower()}"


_MESSAGE_ID = re.compile(r"<\s*([^<>]+?)\s*>")
_PLAIN_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")  # where it matches at every "<", as _MESSAGE_ID does
_ID_SEPARATORS = re.compile(r"[\s,]+")


def _message_ids(value: str) -> list[str]:
    """Message ids in a header, without <>, in order, de-duplicated."""
    if not value:  # no In-Reply-To or References: most messages
        return []
    ids = _PLAIN_MESSAGE_ID.findall(value)
    if not ids or len(ids) != value.count("<"):  # not each "<" the start of a plain id: read loosely
        ids = ["".join(m.split()) for m in _MESSAGE_ID.findall(value)]  # no whitespace inside
    if not ids:  # written without brackets
        ids = [t for t in _ID_SEPARATORS.split(value) if "@" in t]
    return list(dict.fromkeys(filter(None, ids)))


def _list_id(value: str) -> str:
    m = _MESSAGE_ID.search(value)
    return m.group(1) if m else value


# --- dates ------------------------------------------------------------------------------------

_EARLIEST = calendar.timegm((1980, 1, 1, 0, 0, 0))
_FUTURE_SLACK = 2 * 86400


# The date as nearly every mail client writes it ("Mon, 02 Jan 2023 00:30:02 +0000"), read by one regex
# (a third cheaper than parsedate_tz, same result); anything else goes through parsedate_tz.
_USUAL_DATE = re.compile(
    r"(?:[A-Z][a-z][a-z], )?(\d\d?) ([A-Z][a-z][a-z]) ([1-9]\d\d\d) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)"
)
_MONTHS = {m: n for n, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}
_EPOCH = datetime(1970, 1, 1)


def _timestamp(value: str) -> int | None:
    """UTC epoch seconds of an RFC 5322 (or ISO 8601) date, None if it is not one."""
    if not value:
        return None
    usual = _USUAL_DATE.fullmatch(value)
    if usual and usual[2] in _MONTHS:  # parsedate_tz passes over any word before a comma: so does this
        day, year, hour, minute, second = map(int, usual.group(1, 3, 4, 5, 6))
        try:
            since = datetime(year, _MONTHS[usual[2]], day, hour, minute, second) - _EPOCH  # no day 45 or hour 99
        except ValueError:
            return None
        offset = int(usual[8]) * 3600 + int(usual[9]) * 60
        return since.days * 86400 + since.seconds - (-offset if usual[7] == "-" else offset)
    try:
        parts = parsedate_tz(value)
    except (ValueError, TypeError, IndexError, OverflowError):
        parts = None
    if parts is not None:
        try:
            datetime(*parts[:6])  # rejects a day 45 or hour 99 that timegm would roll over
        except (ValueError, TypeError, OverflowError):
            return None
        return calendar.timegm(parts[:6] + (0, 0, 0)) - (parts[9] or 0)  # no zone = UTC
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return int(parsed.timestamp())


def _date(value: str, received: list[str]) -> int | None:
    """The Date header, unless it is missing or not believable (before 1980, or more than two
    days after the message's own Received stamps or now)."""
    ts = _timestamp(value)
    if ts is None or ts < _EARLIEST:
        return None
    now = int(time.time())
    stamps = [t for r in received if (t := _timestamp(r.rpartition(";")[2])) and t <= now]
    latest = max(stamps, default=now)
    return None if ts > latest + _FUTURE_SLACK else ts


# --- body -------------------------------------------------------------------------------------

_MAX_TEXT_BYTES = 1 << 20  # longer text parts are cut before quote/signature stripping
_MAX_DEPTH = 50


def _body_text(msg: Message) -> str:
    """The first inline text/plain part (else text/html as text), outside attached messages."""
    html: Message | None = None
    stack: list[tuple[Message, int]] = [(msg, 0)]
    while stack:
        part, depth = stack.pop()
        if part.is_multipart():
            if depth < _MAX_DEPTH and part.get_content_maintype() != "message":
                subparts = part.get_payload()
                if isinstance(subparts, list):
                    stack.extend((p, depth + 1) for p in reversed(subparts))
            continue
        ctype = inline_text_type(part.get("content-disposition"), content_type(part))
        if ctype == "text/plain":
            return _part_text(part)
        if ctype == "text/html" and html is None:
            html = part
    return html_to_text(_part_text(html)) if html is not None else ""


def inline_text_type(disposition: object, ctype: str) -> str:
    """``ctype`` when a leaf part of that type and Content-Disposition holds body text (text/plain,
    else text/html as text), else ''."""
    if str(disposition or "").strip().lower().startswith("attachment"):
        return ""
    return ctype if ctype in ("text/plain", "text/html") else ""


def _part_text(part: Message) -> str:
    try:
        payload = part.get_payload(decode=True)
    except (ValueError, LookupError, binascii.Error):
        payload = None
    if not isinstance(payload, bytes):
        return ""
    try:
        charset = content_charset(part)
    except (ValueError, LookupError):
        charset = None
    return payload_text(payload, charset)


def payload_text(payload: bytes, charset: str | None) -> str:
    """The text of a part's decoded payload: its first MiB, in its charset."""
    return decode_bytes(payload[:_MAX_TEXT_BYTES], charset)


# --- content hash -----------------------------------------------------------------------------

# Headers a mail client adds to its own copy; dropped so mbox and .eml copies hash the same.
_LOCAL_HEADERS = {
    b"status", b"x-status", b"x-keywords", b"x-uid", b"x-mozilla-status", b"x-mozilla-status2",
    b"x-mozilla-keys", b"content-length", b"lines", b"x-gmail-labels", b"x-gm-thrid",
    b"x-imapbase", b"x-imap",
}


def _content_hash(data: bytes) -> str:
    head, sep, body = data.partition(b"\n\n")
    kept, keep = [], True
    for line in head.split(b"\n"):
        if line[:1] not in (b" ", b"\t"):
            keep = line.partition(b":")[0].strip().lower() not in _LOCAL_HEADERS
        if keep:
            kept.append(line)
    return hashlib.sha256(b"\n".join(kept) + b"\n\n" + body.rstrip()).hexdigest()
