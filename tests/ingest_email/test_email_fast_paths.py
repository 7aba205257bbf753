"""The ingest's shortcuts give exactly what the slow paths they stand in for give: the direct build of
a message (vs the stdlib feed parser) and its indexed header look-ups, cached Content-Type
lookups, address lists parsed entry by entry, message ids and usual dates read by one regex, the
lower-cased bounce-subject search, the quote-start pre-tests, text cut into pieces word by word and
the key-phrase counting."""

from __future__ import annotations

import base64
import importlib
import random
import re
from collections import Counter
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32

import pytest

from kith.ingest.email import RawMessage, bodies, iter_messages
from kith.ingest.email.mime import content_charset, content_type
from kith.ingest.topics import _PIECE, _runs, key_phrases
from tests.corpora import CORPORA

classify_mod = importlib.import_module("kith.ingest.email.classify")  # the package exports a function of that name
parse_mod = importlib.import_module("kith.ingest.email.parse")
build_mod = importlib.import_module("kith.ingest.email.build")
mime_mod = importlib.import_module("kith.ingest.email.mime")


def b64(text: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


# Built directly (message/* parts by the feed parser, from their own text): preambles, epilogues, boundaries
# with trailing blanks, parts without a header block, nested multiparts whose boundaries share a prefix.
USUAL_SHAPES = [
    b"From: a@example.com\nTo: b@example.com\nSubject: one part\n\nbody\n",
    b"From: a@example.com\nTo: b@example.com\nContent-Type: multipart/alternative; boundary=XX\n\n--XX\n"
    b"Content-Type: text/plain\n\nplain\n--XX\nContent-Type: text/html\n\n<p>html</p>\n--XX--\n",
    b"From: a@example.com\nTo: b@example.com\nContent-Type: multipart/mixed; boundary=\"a b\"\n\npreamble\n--a b \t\n"
    b"\nno header block\n\n--a b\nContent-Type: multipart/alternative; boundary=a\n\n--a\n\ninner\n--a--\n"
    b"--a b\nContent-Type: text/plain\n\n--a\n--a b--  \nepilogue\n",
    b"From: a@example.com\nTo: b@example.com\nContent-Type: multipart/mixed; boundary=o\n\n--o\n"
    b"Content-Type: multipart/alternative; boundary=i\n\n--i\nContent-Type: text/plain\n\nx\n--i--\nepi\n"
    b"--o\nContent-Type: message/rfc822\n\nContent-Type: message/rfc822\n\nFrom: c@example.com\n\ninner\n\n"
    b"--o\nContent-Type: message/rfc822\n\nContent-Type: multipart/mixed; boundary=m\n\n--m\n\nm\n--m--\n\n"
    b"--o\nContent-Type: message/delivery-status\n\nReporting-MTA: x\n\nAction: failed\n\n--o--\n",
]

MESSAGES = [
    # RFC 2047 words, folded headers, group syntax
    b"From: =?UTF-8?B?5bGx55Sw5aSq6YOO?= <taro@example.jp>\nTo: undisclosed-recipients:;\n"
    b"Cc: Team: a@example.com, \"Doe, Jane\" <jane@example.com>;\nSubject: Re:  =?UTF-8?Q?Caf=C3=A9?=\n"
    b"   meeting\nDate: Tue, 02 Jan 2018 09:30:00 +0100\nMessage-ID: <a@b>\n\nThanks!\n",
    # legacy charsets, raw 8-bit headers and body
    "From: Jörg Müller <jorg@example.de>\nTo: b@example.com\nSubject: Grüße\n"
    "Content-Type: text/plain; charset=iso-8859-1\n\nSchöne Grüße\n".encode("latin-1"),
    f"From: {b64('山田', 'iso-2022-jp')} <y@example.jp>\nTo: b@example.com\nSubject: {b64('件名', 'shift_jis')}\n"
    f"Content-Type: text/plain; charset=\"Shift_JIS\"\n\n".encode() + "本文です".encode("shift_jis"),
    b"From: a@example.com\nTo: b@example.com\nSubject: x\nContent-Type: text/plain; charset*=utf-8''%E2%82%AC\n\nx\n",
    # transfer encodings
    b"From: a@example.com\nTo: b@example.com\nContent-Transfer-Encoding: quoted-printable\n"
    b"Content-Type: text/plain; charset=utf-8\n\nCaf=C3=A9 =\nau lait\n",
    b"From: a@example.com\nTo: b@example.com\nContent-Transfer-Encoding: base64\n\n" + base64.encodebytes(b"hello there\n"),
    b"From: a@example.com\nTo: b@example.com\nContent-Transfer-Encoding: BASE64 \n\naGVsbG8=\n",
    # HTML only, an attachment, odd or missing content types
    b"From: a@example.com\nTo: b@example.com\nContent-Type: text/html\n\n<p>Hi <b>there</b></p>\n",
    b"From: a@example.com\nTo: b@example.com\nContent-Disposition: attachment; filename=x.txt\n\nnot the body\n",
    b"From: a@example.com\nTo: b@example.com\nContent-Type: text\n\nbad type\n",
    b"From: a@example.com\nTo: b@example.com\nContent-Type: multipart/report; report-type=delivery-status\n\nno boundary\n",
    *USUAL_SHAPES,
    # multipart shapes left to the feed parser: no close or start boundary, two boundary lines in a row,
    # a defective part header block, a boundary line inside one, a digest, no boundary parameter
    b"From: a@example.com\nTo: b@example.com\nContent-Type: multipart/mixed; boundary=o\n\n--o\n\nnever closed\n",
    b"From: a@example.com\nTo: b@example.com\nContent-Type: multipart/mixed; boundary=\"a b\"\n\n--a b\n"
    b"Content-Type: multipart/alternative; boundary=a\n\n--a\n\ninner, closed by the outer boundary\n--a b--\n",
    b"From: a@example.com\nTo: b@example.com\nContent-Type: multipart/mixed; boundary=o\n\nno start\n--o--\n",
    b"From: a@example.com\nTo: b@example.com\nContent-Type: multipart/mixed; boundary=o\n\n--o\n--o\n\nx\n--o--\n",
    b"From: a@example.com\nTo: b@example.com\nContent-Type: multipart/mixed; boundary=o\n\n--o\nnot a header\n--o--\n",
    b"From: a@example.com\nTo: b@example.com\nContent-Type: multipart/mixed; boundary=o\n\n"
    b"--o\nX-A: 1\n--o\n\nx\n--o--\n",
    b"From: a@example.com\nTo: b@example.com\nContent-Type: multipart/digest; boundary=o\n\n"
    b"--o\n\nFrom: c@d\n\nx\n--o--\n",
    b"From: a@example.com\nTo: b@example.com\nContent-Type: message/rfc822\n\nFrom: c@example.com\n\ninner\n",
    # defective header blocks: left to the feed parser
    b"From: a@example.com\nTo: b@example.com\nthis is not a header\nSubject: x\n\nbody\n",
    b" continued first line\nFrom: a@example.com\n\nbody\n",
    b"From: a@example.com\nFrom b@example.com Mon Jan  1 00:00:00 2024\nTo: c@example.com\n\nbody\n",
    b"From: a@example.com\n: no name\nTo: b@example.com\n\nbody\n",
    b"From: a@example.com\nTo: b@example.com\nSubject: no body at all\n",
    b"From: a@example.com\nTo: b@example.com\n\n",
    b"From:a@example.com\nTo:\t b@example.com\nSubject:\n\tfolded only\nX-Empty:\n\nbody\n\n\n",
    # repeated fields in any case, raw 8-bit values
    b"FROM: a@example.com\nto: b@example.com\nTo: c@example.com\ncontent-TYPE: text/plain; charset=utf-8\n"
    b"Content-Type: text/html\nSubject: Gr\xc3\xbc\xc3\x9fe\nsubject: second\n\nbody\n",
]


def corpus_messages() -> list[bytes]:
    found = list(MESSAGES)
    if CORPORA.is_dir():
        for name in ("cpython_email_testdata", "mimekit_testdata", "ruby_mail_fixtures", "sisimai_bounce_emails"):
            found += [item.data for item in iter_messages([CORPORA / name]) if isinstance(item, RawMessage)]
    return found


def _tree(msg: Message) -> tuple:  # type: ignore[type-arg]
    payload = msg._payload
    parts = [_tree(p) for p in payload] if isinstance(payload, list) else payload
    return msg._headers, msg.get_unixfrom(), msg.get_content_type(), msg.get_default_type(), parts


@pytest.mark.parametrize("data", MESSAGES)
def test_messages_are_built_as_the_feed_parser_builds_them(data: bytes) -> None:
    data = parse_mod._normalise(data)
    fast = build_mod.build_message(data)
    slow = BytesParser(policy=compat32).parsebytes(data)
    if fast is None:  # left to the feed parser
        assert data not in USUAL_SHAPES
        return
    assert _tree(fast) == _tree(slow)
    assert [p.get_payload(decode=True) for p in fast.walk()] == [p.get_payload(decode=True) for p in slow.walk()]
    plain = Message()  # the stdlib's own lookups, by scanning the same fields
    plain._headers = fast._headers
    for name in [n for key in fast.keys() for n in (key, key.lower(), key.upper())] + ["X-Absent", "content-type"]:
        assert str(fast.get(name, "-")) == str(plain.get(name, "-")), name
        assert mime_mod.first_header(fast, name.lower()) == mime_mod.first_header(plain, name.lower()), name


def test_the_corpora_are_built_as_the_feed_parser_builds_them() -> None:
    built = 0
    for data in corpus_messages():
        data = parse_mod._normalise(data)
        fast = build_mod.build_message(data)
        if fast is not None:
            built += fast.is_multipart()
            assert _tree(fast) == _tree(BytesParser(policy=compat32).parsebytes(data))
    assert built or not CORPORA.is_dir()


def test_parse_message_is_the_same_with_and_without_the_shortcut(monkeypatch) -> None:
    messages = corpus_messages()
    fast = [_parsed(d) for d in messages]
    monkeypatch.setattr(parse_mod, "build_message", lambda data: None)
    assert [_parsed(d) for d in messages] == fast


def _nested(kind: str, depth: int) -> bytes:
    if kind == "multipart":
        body = b"Content-Type: text/plain\n\nleaf\n"
        for i in range(depth):
            body = f"Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n".encode() + body + f"--b{i}--\n".encode()
        return b"From: a@example.com\nTo: b@example.com\n" + body
    inner = b"From: c@example.com\nTo: d@example.com\n\ninner\n"
    for _ in range(depth):
        inner = b"Content-Type: message/rfc822\n\n" + inner
    return (b"From: a@example.com\nTo: b@example.com\nContent-Type: multipart/mixed; boundary=o\n\n--o\n\nhello\n--o\n"
            + inner + b"--o--\n")


@pytest.mark.parametrize(("kind", "depth"), [("multipart", 20), ("multipart", 60), ("multipart", 1000),
                                             ("message", 20), ("message", 300), ("message", 1000)])
def test_deep_nesting_parses_or_is_refused_as_without_the_shortcut(monkeypatch, kind: str, depth: int) -> None:
    data = _nested(kind, depth)
    fast = _parsed(data)
    monkeypatch.setattr(parse_mod, "build_message", lambda data: None)
    assert _parsed(data) == fast
    assert (fast == "MIME nesting too deep to parse") == (depth == 1000)


def _parsed(data: bytes):  # type: ignore[no-untyped-def]
    try:
        return parse_mod.parse_message(RawMessage("/m", "m", data))
    except parse_mod.MessageError as exc:
        return exc.reason


ADDRESS_ENTRIES = [
    "Ann Lee <ann@x.com>", "=?utf-8?q?Garc=C3=ADa?= <g@x.com>", "=?utf-8?q?A?= =?utf-8?q?B?= <ab@x.com>", "a@b.com",
    " a@b.com ", "\u3000a@b.com", "<a@b.com>", "Mr. X <x@y.z>", "x <a@b.com> y", "Ann <ann@x.com", "ann@x.com <ann@x.com>",
    '"Lee, Ann" <ann@x.com>', "=?utf-8?q?Doe,_J?= <j@x.com>", "=?x?q?a@b,c@d?=", "bounce=1=a@x.com", "Team: a@x.com, b@x.com;",
    "(Ann) a@b.com", "", "<a@b.com, c@d.com>", "a@b@c.com", "Ann <@route:a@b.com>",
]


def test_address_lists_parse_entry_by_entry_as_they_parse_whole(monkeypatch) -> None:
    rng = random.Random(5)
    values = [
        ",".join(rng.choice(ADDRESS_ENTRIES) + rng.choice(["", " ", "\t"]) for _ in range(rng.randint(2, 4)))
        for _ in range(3000)
    ]
    parse_mod._addresses.cache_clear()
    by_entry = [parse_mod._addresses(v, ("utf-8", None)) for v in values]
    parse_mod._addresses.cache_clear()
    monkeypatch.setattr(parse_mod, "_PLAIN_LIST", re.compile("(?!)"))
    assert [parse_mod._addresses(v, ("utf-8", None)) for v in values] == by_entry
    parse_mod._addresses.cache_clear()


def test_cached_header_values_are_not_shared_between_messages() -> None:
    data = b"From: Ann <ann@x.com>\nTo: Bob <bob@x.com>, Cy <cy@x.com>\nSubject: Hi\n\nHello\n"
    first = parse_mod.parse_message(RawMessage("/m", "1", data))
    first.to.clear()
    assert [a.address for a in parse_mod.parse_message(RawMessage("/m", "2", data)).to] == ["bob@x.com", "cy@x.com"]


@pytest.mark.parametrize("value", [
    None, "text/plain", "TEXT/HTML; charset=\"UTF-8\"", "text/plain; charset=iso-8859-1; format=flowed",
    "text; charset=utf-8", "text/plain; charset*=utf-8''%E2%82%AC", "text/plain; charset=\"\u00e9\"",
    "multipart/report; report-type=delivery-status; boundary=x", "text/plain; charset*=bogus''abc", "",
])
def test_cached_content_type_lookups_match_the_message_methods(value: str | None) -> None:
    msg = Message()
    msg["X-Other"] = "1"
    if value is not None:
        msg["Content-Type"] = value
        msg["Content-Type"] = "text/html; charset=koi8-r"  # a second one: the first counts
    assert content_type(msg) == msg.get_content_type()
    try:
        expected = msg.get_content_charset()
    except (ValueError, LookupError) as exc:
        with pytest.raises(type(exc)):
            content_charset(msg)
    else:
        assert content_charset(msg) == expected


@pytest.mark.parametrize("subject", [
    "Undelivered Mail Returned to Sender", "UNDELIVERABLE: hello", "Re: Transfer pricing review – Alpine",
    "Mail delivery failed: returning message to sender", "Unzustellbar: Termin", "配信エラー", "退信",
    "UNDELİVERABLE", "undelıverable", "Delivery Status Notıfication", "Maıl delıvery faıled", "ſ", "Kelvin K",
    "Non-delivery report", "NON REMIS", "Müller", "İstanbul office", "",
])
def test_the_lower_cased_bounce_subject_search_matches_the_case_blind_one(subject: str) -> None:
    assert classify_mod._bounce_subject(subject) == bool(classify_mod._BOUNCE_SUBJECTS.search(subject))


def _quote_start_reference(lines: list[str]) -> int:
    """Every pattern tried on every line, without the shortcuts."""
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        joined = [" ".join(s.strip() for s in lines[i : i + n]) for n in (1, 2, 3)]
        if any(p.match(j) for p in bodies._QUOTE_START for j in joined):
            return i
        if bodies._WROTE.search(line) and bodies._next_text(lines, i).startswith(">"):
            return i
        if bodies._OUTLOOK_FROM.match(line) and any(bodies._OUTLOOK_SENT.match(w) for w in lines[i + 1 : i + 6]):
            return i
        if bodies._UNDERSCORES.match(line) and any(bodies._OUTLOOK_FROM.match(w) for w in lines[i + 1 : i + 4]):
            return i
    return len(lines)


QUOTE_LINES = [
    "", "  ", "Hello,", "Thanks for the update.", "> quoted", "On Mon, 6 Nov 2023, Ben Baker <ben@acme.com>",
    "wrote:", "On Mon, 6 Nov 2023 Ben wrote:", "Am 06.11.2023 um 10:00 schrieb Ben:", "-----Original Message-----",
    "---------- Forwarded message ---------", "From: Ben Baker", "Sent: Monday", "Date: Monday", "*From:* Ben",
    "_" * 30, "Begin forwarded message:", "2023年11月6日(月) 10:00 山田太郎 <y@example.jp>:", "在 2023年11月6日，张敏 写道：",
    "2023년 11월 6일 (월) 오전 10:00, 김민준 작성:", "Best regards,", "-- ", "-", "Le lun. 6 nov. 2023 à 10:00, Ben a écrit :",
    "He wrote: ", "trailing colon:", "\u3000全角スペース：", "From:\u00a0Ben", "Von: Ben", "Gesendet: Montag",
]


def test_the_quote_start_shortcuts_find_what_every_pattern_finds() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        lines = [rng.choice(QUOTE_LINES) for _ in range(rng.randint(0, 12))]
        assert bodies._quote_start(lines) == _quote_start_reference(lines), lines


def _key_phrases_reference(text: str, limit: int = 8) -> list[str]:
    """Key phrases as first written: Counter of n-gram tuples, float scores."""
    counts: Counter[tuple[str, ...]] = Counter()
    for run in _runs(text):
        for size in range(1, min(3, len(run)) + 1):
            grams = (tuple(run[i : i + size]) for i in range(len(run) - size + 1))
            counts.update(g for g in grams if len(set(g)) == size)
    ranked = sorted(counts, key=lambda p: -counts[p] * (1 + 0.5 * (len(p) - 1)))
    chosen: list[tuple[str, ...]] = []
    for phrase in ranked:
        if len(chosen) == limit:
            break
        if not any(counts[c] >= counts[phrase] and _inside(phrase, c) for c in chosen):
            chosen.append(phrase)
    return [" ".join(p) for p in chosen]


def _inside(small: tuple[str, ...], big: tuple[str, ...]) -> bool:
    n = len(small)
    if n >= len(big):
        return False
    if n == 1:
        return small[0] in big
    return any(big[i : i + n] == small for i in range(len(big) - n + 1))


def test_text_cut_word_by_word_gives_the_pieces_of_the_whole_text() -> None:
    rng = random.Random(9)
    chars = list("aZé ü\t\n\u3000\xa0\u2028.,@+-'&_:/09出口にßİ\u0301") + ["http://", "www.", "a@b.co", " der "]
    for _ in range(3000):
        text = "".join(rng.choice(chars) for _ in range(rng.randint(0, 30)))
        assert [p for chunk in text.split() for p in _PIECE.findall(chunk)] == _PIECE.findall(text), text


def test_key_phrases_count_and_rank_as_the_reference_does() -> None:
    rng = random.Random(3)
    vocab = ("data transfer gdpr data the der und le de export controls merger filing review 出口管制に関する相談 "
             "数据跨境传输 개인정보 국외이전 müller straße a of 2023 re: x@y.com http://a.b/c don't rock&roll , .").split()
    texts = [" ".join(rng.choice(vocab) for _ in range(rng.randint(0, 40))) for _ in range(500)]
    for text in texts:
        assert key_phrases(text) == _key_phrases_reference(text)
        assert key_phrases(text, 3) == _key_phrases_reference(text, 3)


def test_a_stop_word_language_is_chosen_by_the_words_used() -> None:
    assert key_phrases("Die Prüfung der Exportkontrolle und die Klassifizierung der Güter") == [
        "prufung", "exportkontrolle", "klassifizierung"]  # German stop words out, "güter" among them


def _message_ids_reference(value: str) -> list[str]:
    ids = ["".join(m.split()) for m in re.findall(r"<\s*([^<>]+?)\s*>", value)]
    if not ids:
        ids = [t for t in re.split(r"[\s,]+", value) if "@" in t]
    return list(dict.fromkeys(filter(None, ids)))


def test_message_ids_read_as_the_loose_reading_reads_them() -> None:
    rng = random.Random(11)
    parts = ["<a@b>", "<c.d@e>", "< a@b >", "<a @b>", "<", ">", "<>", "a@b", " ", ",", "\n\t", "\u3000", "x", "<a@b"]
    values = ["", "<a@b> <a@b>", "<a@b><c@d>", "<<a@b>", "<a@b>>"]
    values += ["".join(rng.choice(parts) for _ in range(rng.randint(1, 6))) for _ in range(3000)]
    for value in values:
        assert parse_mod._message_ids(value) == _message_ids_reference(value), value


def test_usual_dates_read_as_parsedate_reads_them() -> None:
    rng = random.Random(13)
    days = ["", "Mon, ", "Xyz, "]
    for _ in range(2000):
        value = (f"{rng.choice(days)}{rng.randint(0, 32):02d} {rng.choice(['Jan', 'Feb', 'Jun', 'Dec', 'Foo'])} "
                 f"{rng.choice([1969, 1980, 2000, 2023, 2024, 9999])} {rng.randint(0, 24):02d}:{rng.randint(0, 59):02d}:"
                 f"{rng.randint(0, 60):02d} {rng.choice('+-')}{rng.randint(0, 14):02d}{rng.choice([0, 30, 45]):02d}")
        assert parse_mod._USUAL_DATE.fullmatch(value)
        parse_mod._USUAL_DATE, usual = re.compile("(?!)"), parse_mod._USUAL_DATE
        try:
            by_parsedate = parse_mod._timestamp(value)
        finally:
            parse_mod._USUAL_DATE = usual
        assert parse_mod._timestamp(value) == by_parsedate, value


def test_addresses_of_repeated_headers_are_each_listed_once() -> None:
    data = (b"From: a@x.com\nTo: Ann <ANN@x.com>, bob@x.com, ann@X.com\nTo: Bob B <bob@x.com>, cy@x.com\n"
            b"Cc: dee@x.com, Dee <dee@x.com>\n\nhi\n")
    msg = parse_mod.parse_message(RawMessage("/m", "1", data))
    assert [(a.name, a.address) for a in msg.to] == [("Ann", "ANN@x.com"), ("", "bob@x.com"), ("", "cy@x.com")]
    assert [(a.name, a.address) for a in msg.cc] == [("", "dee@x.com")]
