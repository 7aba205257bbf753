"""Parsing one message: addresses, encoded words and legacy charsets, dates, threading ids,
content hash, body text and rejection of what is not an email."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from kith.ingest.email import Address, MessageError, RawMessage, iter_messages, parse_message


def parse(text: str | bytes, name: str = "msg.eml"):  # type: ignore[no-untyped-def]
    data = text.encode() if isinstance(text, str) else text
    return parse_message(RawMessage(f"/mail/{name}", name, data))


def b64(text: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def test_thread_headers_and_addresses() -> None:
    msg = parse(
        "From: =?UTF-8?B?5bGx55Sw5aSq6YOO?= <Taro.Yamada@EXAMPLE.JP>\n"
        "To: =?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@VM1.ulg.ac.be>, bare@example.org\n"
        "Cc: \"Doe, Jane\" <jane@example.com>\n"
        "Reply-To: <list@example.com>\n"
        "Sender: Assistant <assist@example.com>\n"
        "Date: Tue, 02 Jan 2018 09:30:00 +0100\n"
        "Subject: Re:  =?UTF-8?Q?Caf=C3=A9?=\n   meeting\n"
        "Message-ID: < abc.123@mail.example.jp >\n"
        "In-Reply-To: <root@example.com> (Jane's message)\n"
        "References: <root@example.com>\n <second@example.com> <root@example.com>\n"
        "List-Id: Example list <dev.lists.example.org>\n\n"
        "Thanks!\n"
    )
    assert msg.from_ == [Address("山田太郎", "Taro.Yamada@example.jp")]
    assert msg.to == [Address("André Pirard", "PIRARD@vm1.ulg.ac.be"), Address("", "bare@example.org")]
    assert msg.cc == [Address("Doe, Jane", "jane@example.com")]
    assert msg.reply_to == [Address("", "list@example.com")]
    assert msg.sender == Address("Assistant", "assist@example.com")
    assert msg.subject == "Re: Café meeting"
    assert msg.date == 1514881800
    assert msg.message_id == "abc.123@mail.example.jp"
    assert msg.in_reply_to == "root@example.com"
    assert msg.references == ["root@example.com", "second@example.com"]
    assert msg.list_id == "dev.lists.example.org"
    assert msg.body == "Thanks!"


def test_group_syntax_and_invalid_addresses() -> None:
    msg = parse(
        "From: alice@example.com\nTo: undisclosed-recipients:;\n"
        "Cc: Team: a@x.example, \"B\" <b@y.example>;, carol@z.example\n"
        "Bcc: not an address, <@>, foo@, @bar.com, good@example.com, Good <GOOD@Example.com>\n"
        "Date: Mon, 01 Jan 2018 10:00:00 +0000\n\nhi\n"
    )
    assert msg.to == []
    assert [a.address for a in msg.cc] == ["a@x.example", "b@y.example", "carol@z.example"]
    assert msg.bcc == [Address("", "good@example.com")]  # duplicates fold, case-insensitively


def test_address_text_that_looks_like_the_parsers_own_placeholder_is_kept() -> None:
    msg = parse(
        "From: a@example.com\n"
        "To: kithencodedword0x <k@example.com>, =?UTF-8?Q?Ren=C3=A9e,_B?= <renee@example.com>\n"
        "Cc: kithencodedword3x@example.com, =?UTF-8?Q?J=C3=B6rg?= <jorg@example.com>\n\nHi\n"
    )
    assert msg.to == [Address("kithencodedword0x", "k@example.com"), Address("Renée, B", "renee@example.com")]
    assert msg.cc == [Address("", "kithencodedword3x@example.com"), Address("Jörg", "jorg@example.com")]


def test_encoded_words_split_mid_character_and_broken_ones_fall_back() -> None:
    word = "日本語の件名".encode()
    halves = [base64.b64encode(word[:7]).decode(), base64.b64encode(word[7:]).decode()]
    msg = parse(
        f"From: =?utf-8?B?eHB0bw?= <x@example.com>\n"  # unpadded base64
        f"To: =?x-unknown?Q?Jos=C3=A9?= <jose@example.com>\n"  # unknown charset: detected
        f"Cc: =?NONE?B?VEVTVA=?= <t@example.com>\n"
        f"Subject: =?utf-8?B?{halves[0]}?= =?utf-8?B?{halves[1]}?= and =?utf-8?Q?unterminated\n"
        "Date: Mon, 01 Jan 2018 10:00:00 +0000\n\nx\n"
    )
    assert msg.from_[0].name == "xpto"
    assert msg.to[0].name == "José"
    assert msg.cc[0].address == "t@example.com"
    assert msg.subject == "日本語の件名 and =?utf-8?Q?unterminated"


@pytest.mark.parametrize(
    ("charset", "codec", "text"),
    [
        ("ISO-2022-JP", "iso2022_jp", "会議の件について、よろしくお願いします。"),
        ("ks_c_5601-1987", "cp949", "안녕하세요, 회의 일정입니다. 똠방각하"),  # 똠: cp949 only
        ("EUC-KR", "cp949", "회의 자료를 보내드립니다"),
        ("GB2312", "gbk", "朱镕基总理的讲话"),  # 镕 is GBK, not GB2312
        ("gb18030", "gb18030", "会议纪要"),
        ("Big5", "big5hkscs", "會議紀錄與香港的粵語字"),
        ("Shift_JIS", "cp932", "①番の資料です"),  # ① is a Windows extension
        ("windows-1251", "cp1251", "Привет, коллеги"),
        ("iso-8859-1", "utf-8", "Grüße aus Köln"),  # mislabelled UTF-8
        ("uft-8", "utf-8", "Ça va très bien, merci beaucoup"),
        ("unknown-8bit", "utf-8", "Ça va très bien, merci beaucoup"),
    ],
)
def test_legacy_charsets_in_subject_and_body(charset: str, codec: str, text: str) -> None:
    subject = f"=?{charset}?B?{base64.b64encode(text.encode(codec)).decode()}?="
    head = (
        f"From: a@example.com\nTo: b@example.com\nSubject: {subject}\n"
        f"Date: Mon, 01 Jan 2018 10:00:00 +0000\nMIME-Version: 1.0\n"
        f"Content-Type: text/plain; charset=\"{charset}\"\nContent-Transfer-Encoding: 8bit\n\n"
    )
    msg = parse(head.encode() + text.encode(codec) + b"\n")
    assert msg.subject == text
    assert msg.body == text


def test_raw_8bit_headers_utf8_and_legacy() -> None:
    utf8 = parse(
        "From: Jöhn Dœ <jdöe@Mächine.example>\nTo: Märy <mary@example.net>\nSubject: Säying Hello\n"
        "Date: Mon, 01 Jan 2018 10:00:00 +0000\n\nbody\n"
    )
    assert utf8.from_ == [Address("Jöhn Dœ", "jdöe@mächine.example")]
    assert utf8.subject == "Säying Hello"
    sjis = parse(
        "Subject: 会議のお知らせ\nFrom: 田中 <tanaka@example.jp>\nTo: b@example.jp\n"
        "Content-Type: text/plain; charset=Shift_JIS\n\n本文\n".encode("cp932")
    )
    assert sjis.subject == "会議のお知らせ" and sjis.from_[0].name == "田中" and sjis.body == "本文"


def test_raw_iso_2022_jp_header_without_encoded_words() -> None:
    msg = parse(b"From: a@example.jp\nSubject: " + "打ち合わせ".encode("iso2022_jp") + b"\n\nx\n")
    assert msg.subject == "打ち合わせ"


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("Mon, 01 Jan 2018 10:00:00 +0000", 1514800800),
        ("1 Jan 2018 10:00:00 -0500", 1514818800),
        ("Mon, 01 Jan 18 10:00:00 GMT", 1514800800),  # two-digit year
        ("Mon, 01 Jan 2018 10:00:00 -0000", 1514800800),  # unknown zone: taken as UTC
        ("2018-01-01T10:00:00Z", 1514800800),
        ("Thu, 01 Jan 1970 00:00:00 +0000", None),  # the epoch is never a real date
        ("Sat, 01 Jan 1977 10:00:00 +0000", None),  # before 1980: garbage
        ("Mon, 45 Jan 2018 10:00:00 +0000", None),
        ("last Tuesday", None),
        ("", None),
        ("Fri, 01 Jan 2100 10:00:00 +0000", None),  # in the future
    ],
)
def test_dates(date: str, expected: int | None) -> None:
    header = f"Date: {date}\n" if date else ""
    assert parse(f"From: a@example.com\n{header}\nx\n").date == expected


def test_date_far_after_its_own_received_header_is_garbage() -> None:
    msg = parse(
        "Received: from mx.example.com by mx.example.org; Mon, 01 Jan 2018 10:00:05 +0000\n"
        "From: a@example.com\nDate: Sun, 01 Jan 2023 10:00:00 +0000\n\nx\n"
    )
    assert msg.date is None
    ok = parse(
        "Received: from mx.example.com by mx.example.org; Mon, 01 Jan 2018 10:00:05 +0000\n"
        "From: a@example.com\nDate: Mon, 01 Jan 2018 10:00:00 +0000\n\nx\n"
    )
    assert ok.date == 1514800800


def test_not_an_email_is_rejected_with_the_file_named() -> None:
    with pytest.raises(MessageError) as info:
        parse("Just some notes I saved.\nNothing to see.\n", name="notes.txt")
    assert "notes.txt" in str(info.value) and "not an email" in info.value.reason
    with pytest.raises(MessageError, match="no From, To or Date header"):
        parse("Subject: orphan\nX-Foo: bar\n\nbody\n")
    with pytest.raises(MessageError, match="empty message"):
        parse("\r\n\r\n")


def test_stray_line_inside_headers_does_not_lose_them() -> None:
    msg = parse(
        "Received: from a by b; Mon, 01 Jan 2018 10:00:00 +0000\n"
        "quite Delivered-To: x@example.com\n"
        "Received: by c; Mon, 01 Jan 2018 10:00:00 +0000\n"
        "From: a@example.com\nTo: b@example.com\nSubject: kept\n\nbody\n"
    )
    assert msg.subject == "kept" and msg.body == "body"


def test_content_hash_is_the_same_for_mbox_and_eml_copies(tmp_path: Path) -> None:
    eml = (
        "From: a@example.com\nTo: b@example.com\nSubject: same\nMessage-ID: <s@example.com>\n"
        "Date: Mon, 01 Jan 2018 10:00:00 +0000\n\nFrom here on\nbody\n"
    ).encode()
    (tmp_path / "copy.eml").write_bytes(eml.replace(b"\n", b"\r\n"))
    mboxed = eml.replace(b"Subject: same\n", b"Subject: same\nStatus: RO\nX-Gmail-Labels: Inbox\n")
    (tmp_path / "all.mbox").write_bytes(
        b"From a@example.com Mon Jan  1 10:00:00 2018\n" + mboxed.replace(b"\nFrom here", b"\n>From here") + b"\n"
    )
    hashes = {parse_message(m).content_hash for m in iter_messages([tmp_path])}  # type: ignore[arg-type]
    assert len(hashes) == 1
    assert parse(eml.replace(b"body", b"other")).content_hash not in hashes


def test_body_is_new_text_without_quote_or_signature() -> None:
    msg = parse(
        "From: jane@example.com\nTo: bob@example.com\nDate: Mon, 01 Jan 2018 10:00:00 +0000\n"
        "Subject: Re: lunch\n\n"
        "Tuesday works for me.\n\nBest regards,\nJane Doe\nPartner | Acme LLP\n+1 555 0100\n\n"
        "On Mon, Jan 1, 2018 at 9:00 AM Bob <bob@example.com> wrote:\n> Lunch next week?\n"
    )
    assert msg.body == "Tuesday works for me."
    assert msg.signature == "Best regards,\nJane Doe\nPartner | Acme LLP\n+1 555 0100"


def test_html_only_and_multipart_messages() -> None:
    html = parse(
        "From: a@example.com\nTo: b@example.com\nContent-Type: text/html; charset=utf-8\n\n"
        "<html><body><p>Hello&nbsp;Bob,</p><p>See <b>you</b> soon.</p>"
        "<div class=gmail_quote>On Mon, Bob wrote:<blockquote>old</blockquote></div></body></html>\n"
    )
    assert html.body == "Hello Bob,\nSee you soon."
    mixed = parse(
        "From: a@example.com\nTo: b@example.com\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="XX"\n\n'
        "--XX\nContent-Type: message/rfc822\n\nFrom: c@example.com\nSubject: inner\n\ninner text\n"
        "--XX\nContent-Type: multipart/alternative; boundary=\"YY\"\n\n"
        "--YY\nContent-Type: text/html\n\n<p>html version</p>\n"
        "--YY\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        + base64.b64encode("plain version ✓".encode()).decode()
        + "\n--YY--\n--XX\nContent-Type: text/plain\nContent-Disposition: attachment; filename=a.txt\n\n"
        "attached\n--XX--\n"
    )
    assert mixed.body == "plain version ✓"


def test_addresses_without_names_take_them_from_export_and_reply_headers() -> None:
    msg = parse(
        "From: vince.kaminski@enron.com\n"
        "To: rcarroll@bracepatt.com, shirley.crenshaw@enron.com, vkaminski@aol.com\n"
        "Cc: a@b.com, c@d.com\n"
        "Reply-To: Vince Kaminski <vince.kaminski@enron.com>\n"
        "X-From: Kaminski, Vince J </O=ENRON/OU=NA/CN=RECIPIENTS/CN=VKAMINS>\n"
        'X-To: "Carroll, Ronald" <rcarroll@bracepatt.com>, Shirley Crenshaw <Shirley Crenshaw/HOU/ECT@ECT>, '
        "vkaminski@aol.com\n"
        "X-cc: Only One Name\n"
        "Date: Mon, 6 Nov 2000 10:00:00 +0000\n\nHi\n")
    assert msg.from_ == [Address("Vince Kaminski", "vince.kaminski@enron.com")]  # Reply-To before X-From
    assert [a.name for a in msg.to] == ["Carroll, Ronald", "Shirley Crenshaw", ""]
    assert [a.name for a in msg.cc] == ["", ""]  # one name for two addresses: no guess


def test_a_lotus_or_exchange_x_from_names_the_sender() -> None:
    msg = parse("From: vince.kaminski@enron.com\nTo: a@b.com\n"
                "X-From: Kaminski, Vince J </O=ENRON/OU=NA/CN=RECIPIENTS/CN=VKAMINS>\n"
                "Date: Mon, 6 Nov 2000 10:00:00 +0000\n\nHi\n")
    assert msg.from_ == [Address("Kaminski, Vince J", "vince.kaminski@enron.com")]


@pytest.mark.parametrize("charset", ["utf-8\x00", "ut\x00f-8", "base64", "rot13"])
def test_a_malformed_or_non_text_charset_is_treated_as_unknown(charset):
    data = (f"From: ana@firm.com\r\nTo: bo@client.com\r\nSubject: =?{charset}?q?caf=C3=A9?=\r\n"
            f"Content-Type: text/plain; charset=\"{charset}\"\r\n\r\n").encode() + "the café terms\r\n".encode()
    msg = parse_message(RawMessage("f", "1", data))
    assert "the café terms" in msg.body
