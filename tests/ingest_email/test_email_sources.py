"""Reading mail stores: mbox (From_ splitting, Content-Length, munging, line endings), maildir,
directories with bad files in them, include/exclude globs, Outlook .msg rejection."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from kith.ingest.email import RawMessage, ReadError, iter_messages, parse_message


def message(sender: str, subject: str, body: str, date: str = "Mon, 01 Jan 2018 10:00:00 +0000") -> bytes:
    return (
        f"From: {sender}\nTo: team@example.com\nDate: {date}\nSubject: {subject}\n"
        f"Message-ID: <{subject.replace(' ', '.')}@example.com>\n\n{body}"
    ).encode()


def mbox(*messages: bytes) -> bytes:
    return b"".join(b"From sender@example.com Mon Jan  1 10:00:00 2018\n" + m + b"\n" for m in messages)


def read(*paths: Path, **kw) -> list[RawMessage | ReadError]:  # type: ignore[no-untyped-def]
    return list(iter_messages(list(paths), **kw))


def test_mbox_splits_on_from_lines_and_unmunges_quoted_from(tmp_path: Path) -> None:
    path = tmp_path / "archive.mbox"
    path.write_bytes(
        mbox(
            message("ann@example.com", "first", ">From the start of a line\n>>From twice\nbye\n"),
            message("bob@example.com", "second", "hi\n"),
        )
    )
    first, second = read(path)
    assert isinstance(first, RawMessage) and isinstance(second, RawMessage)
    assert first.position == "message 1 (byte 0)"
    assert second.position.startswith("message 2 (byte ")
    assert second.key == f"{path}#{second.position.rsplit(' ', 1)[1].rstrip(')')}"
    assert b"\nFrom the start of a line\n>From twice\n" in first.data
    assert parse_message(second).subject == "second"


def test_mbox_positions_and_keys_are_stable_across_runs(tmp_path: Path) -> None:
    path = tmp_path / "inbox"  # no extension: detected by its leading From_ line
    path.write_bytes(mbox(*(message(f"p{i}@example.com", f"m{i}", "x\n") for i in range(5))))
    runs = [[(m.position, m.key) for m in read(path)] for _ in range(2)]
    assert runs[0] == runs[1] and len(runs[0]) == 5


def test_mbox_content_length_keeps_unquoted_from_lines_in_the_body(tmp_path: Path) -> None:
    body = b"Here is a list:\nFrom Russia with love\nGoldfinger\n"
    first = (
        b"From a@example.com Mon Jan  1 10:00:00 2018\nFrom: a@example.com\nTo: b@example.com\n"
        b"Content-Length: %d\n\n" % len(body) + body + b"\n"
    )
    second = b"From b@example.com Mon Jan  1 11:00:00 2018\nFrom: b@example.com\n\nsecond\n"
    path = tmp_path / "cl.mbox"
    path.write_bytes(first + second)
    items = read(path)
    assert len(items) == 2
    assert items[0].data.endswith(body)  # type: ignore[union-attr]


def test_mbox_with_wrong_content_length_falls_back_to_from_lines(tmp_path: Path) -> None:
    path = tmp_path / "bad-cl.mbox"
    path.write_bytes(
        b"From a Mon Jan  1 10:00:00 2018\nFrom: a@example.com\nContent-Length: 5000\n\nshort\n\n"
        b"From b Mon Jan  1 10:00:00 2018\nFrom: b@example.com\nContent-Length: 2\n\nlonger body\n"
    )
    items = read(path)
    assert [i.data.split(b"\n\n", 1)[1] for i in items] == [b"short\n", b"longer body\n"]  # type: ignore[union-attr]


def test_mbox_reads_plain_messages_and_the_odd_ones_between_them_alike(tmp_path: Path) -> None:
    """Plain messages are cut out of a block, the others read line by line: a file mixing them, and a
    file of plain messages only, give each message's exact bytes, position and key."""
    cl_body = b"From Russia with love\n"
    odd = [
        b"From: c@example.com\nContent-Length: %d\n\n" % len(cl_body) + cl_body,  # Content-Length
        b"From: d@example.com\r\nSubject: crlf\r\n\r\nbody\r\n",  # a CRLF message in an LF file
        b"From: e@example.com\nSubject: no body",  # the header runs into the next From_ line
        b"From: f@example.com\n\n" + b"long line " * 30 + b"\n",  # past max_bytes below
    ]
    plain = [message(f"p{i}@example.com", f"plain {i}", ">From quoted\nbye\n\n") for i in range(4)]
    expected = [m.replace(b"\n>From ", b"\nFrom ") for m in plain]  # un-munged, the separator's blank line off
    separator = b"From sender@example.com Mon Jan  1 10:00:00 2018\n"
    path = tmp_path / "mixed.mbox"
    path.write_bytes(b"".join(separator + m + b"\n" for pair in zip(plain, odd) for m in pair))
    items = read(path, max_bytes=200)
    starts = [n for n in range(len(path.read_bytes())) if path.read_bytes().startswith(separator, n)]
    assert [(i.position, i.key) for i in items] == [
        (f"message {n} (byte {start})", f"{path}#{start}") for n, start in enumerate(starts, 1)]
    assert [i.data for i in items[0::2]] == expected  # type: ignore[union-attr]
    cl, crlf, no_body, too_big = items[1::2]
    assert cl.data.endswith(b"\n\n" + cl_body) and b"Subject: crlf" in crlf.data  # type: ignore[union-attr]
    assert no_body.data == b"From: e@example.com\nSubject: no body\n"  # type: ignore[union-attr]
    assert too_big.over_limit and not too_big.data  # type: ignore[union-attr]


def test_mbox_line_endings_lf_crlf_and_bare_cr_read_the_same(tmp_path: Path) -> None:
    data = mbox(message("ann@example.com", "one", "a\nb\n"), message("bob@example.com", "two", "c\n"))
    parsed = {}
    for name, sep in (("lf", b"\n"), ("crlf", b"\r\n"), ("cr", b"\r")):
        path = tmp_path / name
        path.write_bytes(data.replace(b"\n", sep))
        parsed[name] = [parse_message(m) for m in read(path)]  # type: ignore[arg-type]
    for name in ("crlf", "cr"):
        assert [(p.subject, p.body, p.content_hash) for p in parsed[name]] == [
            (p.subject, p.body, p.content_hash) for p in parsed["lf"]
        ]
    assert [p.subject for p in parsed["cr"]] == ["one", "two"]


def test_mbox_stream_keeps_memory_flat(tmp_path: Path) -> None:
    path = tmp_path / "big.mbox"
    one = message("ann@example.com", "bulk", ("lorem ipsum " * 90 + "\n") * 10)  # ~11 KB
    with path.open("wb") as f:
        for _ in range(1500):  # ~16 MB
            f.write(mbox(one))
    tracemalloc.start()
    count = sum(1 for _ in iter_messages([path]))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == 1500
    assert peak < 2_000_000


def test_maildir_reads_cur_and_new_with_keys_stable_across_flag_changes(tmp_path: Path) -> None:
    box = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (box / sub).mkdir(parents=True)
    (box / "cur" / "1700000000.M1P1.host:2,S").write_bytes(message("a@example.com", "seen", "x\n"))
    (box / "new" / "1700000001.M2P2.host").write_bytes(message("b@example.com", "unseen", "y\n"))
    (box / "tmp" / "1700000002.M3P3.host").write_bytes(b"From: half-delivered")
    (box / "dovecot-uidlist").write_bytes(b"3 V1 N4\n")
    items = read(tmp_path)
    assert [i.position for i in items] == ["message 1", "message 1"]
    assert items[0].key == f"{box}#1700000000.M1P1.host"
    (box / "cur" / "1700000000.M1P1.host:2,S").rename(box / "cur" / "1700000000.M1P1.host:2,RS")
    assert read(tmp_path)[0].key == items[0].key


def test_directory_walk_survives_bad_files_and_names_them(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(message("a@example.com", "first", "hello\n"))
    (tmp_path / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (tmp_path / "c.msg").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)  # truncated
    (tmp_path / "d.eml").write_bytes(b"")
    (tmp_path / "e.msg").write_bytes(message("x@example.com", "not ole", "x\n"))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "z.eml").write_bytes(message("z@example.com", "last", "bye\n"))
    items = read(tmp_path)
    assert [Path(i.source).name for i in items] == ["a.eml", "b.png", "c.msg", "d.eml", "e.msg", "z.eml"]
    errors = {Path(i.source).name: str(i) for i in items if isinstance(i, ReadError)}
    assert "binary file" in errors["b.png"] and "b.png" in errors["b.png"]
    assert "Outlook .msg" in errors["c.msg"] and "c.msg" in errors["c.msg"]
    assert "empty file" in errors["d.eml"]
    assert "no OLE header" in errors["e.msg"]
    assert parse_message(items[-1]).subject == "last"  # type: ignore[arg-type]


def test_include_and_exclude_globs_apply_to_relative_paths(tmp_path: Path) -> None:
    for rel in ("Inbox/a.eml", "Inbox/b.txt", "Spam/c.eml", "d.eml"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(message("a@example.com", rel, "x\n"))
    names = lambda items: sorted(Path(i.source).relative_to(tmp_path).as_posix() for i in items)  # noqa: E731
    assert names(read(tmp_path, include=["*.eml"])) == ["Inbox/a.eml", "Spam/c.eml", "d.eml"]
    assert names(read(tmp_path, include=["*.eml"], exclude=["Spam/*"])) == ["Inbox/a.eml", "d.eml"]
    assert names(read(tmp_path, exclude=["Inbox/*"])) == ["Spam/c.eml", "d.eml"]


def test_eml_starting_with_a_from_line_is_one_message(tmp_path: Path) -> None:
    # A bounce saved as .eml, quoting the original with its own From_ line.
    path = tmp_path / "bounce.eml"
    path.write_bytes(
        b"From MAILER-DAEMON Sat Oct  4 08:00:09 2025\n"
        + message("postmaster@example.de", "email bounce notification", "bounced:\n\n")
        + b"From someone@example.net Sat Oct  4 08:00:07 2025\nFrom: Someone <s@example.net>\n\nhi\n"
    )
    (item,) = read(path)
    assert parse_message(item).category == "bounce"  # type: ignore[arg-type]


def test_missing_path_is_an_error_not_an_exception(tmp_path: Path) -> None:
    (error,) = read(tmp_path / "nope.mbox")
    assert isinstance(error, ReadError) and "no such file" in str(error)
