"""Streaming readers for mail stores: mbox, maildir, single RFC 822 files and Outlook .msg.

``iter_messages`` yields one ``RawMessage`` per message found under the given paths, or a
``ReadError`` for input it cannot read. It never raises for bad input, and it reads mbox files
incrementally so memory stays flat however large the mailbox is.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from kith.graph.settings import Settings
from kith.ingest.report import over_limit

_BOM = b"\xef\xbb\xbf"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Outlook .msg is an OLE compound file
_SNIFF_BYTES = 8192
_CHUNK = 1 << 20  # the most of one line read at a time: a longer line comes in pieces
MAX_MESSAGE_BYTES = Settings.model_fields["max_message_bytes"].default  # a larger message is read past, never held
_MUNGED_FROM = re.compile(rb">+From ")
ONE_MESSAGE = "message 1"  # the position of a file that holds one message (.eml, .msg, maildir)
_SINGLE_MESSAGE_SUFFIXES = {".eml"}  # read whole even when they start with a From_ line


@dataclass(frozen=True, slots=True)
class RawMessage:
    """The bytes of one message and where they came from."""

    source: str  # file path
    position: str  # within the source, stable across runs: "message 3 (byte 1024)", "message 1" for a file of one
    data: bytes = field(repr=False)
    key: str = ""  # stable resume checkpoint; defaults to "source#position"
    over_limit: str = ""  # why the message was not read (then ``data`` is empty): a size past a limit

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", f"{self.source}#{self.position}")


@dataclass(frozen=True, slots=True)
class ReadError:
    """Input that could not be read as mail; iteration carries on after it."""

    source: str
    position: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.source} ({self.position})" if self.position else self.source
        return f"{where}: {self.reason}"


def iter_messages(
    paths: Sequence[Path | str], include: Sequence[str] = (), exclude: Sequence[str] = (),
    max_bytes: int = MAX_MESSAGE_BYTES,
) -> Iterator[RawMessage | ReadError]:
    """Yield every message under ``paths`` (files or directories), in a deterministic order.

    ``include``/``exclude`` are fnmatch globs on a file's path relative to the directory being
    walked (``*`` also matches ``/``); files named directly in ``paths`` are always read. A message
    larger than ``max_bytes`` comes back with ``over_limit`` and no data: it is read past, never held.
    """
    for path in map(Path, paths):
        if path.is_dir():
            yield from _walk(path, path, tuple(include), tuple(exclude), set(), max_bytes)
        elif path.exists():
            yield from _read_file(path, max_bytes)
        else:
            yield ReadError(str(path), "file", "no such file or directory")


def _selected(rel: str, include: tuple[str, ...], exclude: tuple[str, ...]) -> bool:
    if include and not any(fnmatch.fnmatch(rel, g) for g in include):
        return False
    return not any(fnmatch.fnmatch(rel, g) for g in exclude)


def _is_maildir(path: Path) -> bool:
    return all((path / sub).is_dir() for sub in ("cur", "new", "tmp"))


def _walk(
    directory: Path, root: Path, include: tuple[str, ...], exclude: tuple[str, ...], seen: set[Path],
    max_bytes: int,
) -> Iterator[RawMessage | ReadError]:
    real = directory.resolve()
    if real in seen:  # a symlink loop
        return
    seen.add(real)
    try:
        entries = sorted(directory.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        yield ReadError(str(directory), "file", f"cannot list directory: {exc.strerror or exc}")
        return

    def wanted(p: Path) -> bool:
        return _selected(p.relative_to(root).as_posix(), include, exclude)

    if _is_maildir(directory):
        # Messages live in cur/ and new/ (tmp/ holds deliveries in progress); other subfolders
        # are Maildir++ folders such as .Sent. Files at the maildir's root are index files.
        for sub in ("cur", "new"):
            for p in sorted((directory / sub).iterdir(), key=lambda p: p.name):
                if p.is_file() and not p.name.startswith(".") and wanted(p):
                    yield from _read_maildir_file(directory, p, max_bytes)
        entries = [p for p in entries if p.is_dir() and p.name not in ("cur", "new", "tmp")]

    for p in entries:
        if p.is_dir():
            yield from _walk(p, root, include, exclude, seen, max_bytes)
        elif p.is_file() and not p.name.startswith(".") and wanted(p):
            yield from _read_file(p, max_bytes)


def _too_big(source: str, position: str, size: int, max_bytes: int, key: str) -> RawMessage:
    return RawMessage(source, position, b"", key, over_limit(f"a message of {size:,} bytes", max_bytes,
                                                             "KITH_MAX_MESSAGE_BYTES"))


def _read_maildir_file(maildir: Path, path: Path, max_bytes: int) -> Iterator[RawMessage | ReadError]:
    unique = path.name.split(":", 1)[0]  # the ":2,FLAGS" suffix changes as mail is read
    key = f"{maildir}#{unique}"
    try:
        with path.open("rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > max_bytes:
                yield _too_big(str(path), ONE_MESSAGE, size, max_bytes, key)
                return
            data = f.read()
    except OSError as exc:
        yield ReadError(str(path), "file", f"cannot read file: {exc.strerror or exc}")
        return
    problem = _sniff_problem(data[:_SNIFF_BYTES])
    if problem:
        yield ReadError(str(path), "file", problem)
    else:
        yield RawMessage(str(path), ONE_MESSAGE, data, key=key)


_HEADER_LINE = re.compile(rb"^(From |[!-9;-~]+[ \t]*:)")


def _sniff_problem(head: bytes) -> str:
    """Why the first bytes of a file cannot be mail, or '' if they might be."""
    if not head.strip():
        return "empty file"
    # NUL bytes in a file that does not even start like a message: an image, archive, database.
    if b"\x00" in head and not _HEADER_LINE.match(head.removeprefix(_BOM).lstrip()):
        return "binary file, not an email"
    return ""


def _read_file(path: Path, max_bytes: int) -> Iterator[RawMessage | ReadError]:
    source = str(path)
    try:
        with path.open("rb") as f:
            head = f.read(_SNIFF_BYTES)
            size = os.fstat(f.fileno()).st_size
            if head.startswith(_OLE_MAGIC):
                yield _too_big(source, ONE_MESSAGE, size, max_bytes, source) if size > max_bytes else (
                    _read_outlook_msg(path))
                return
            if path.suffix.lower() == ".msg":
                yield ReadError(source, "file", "not an Outlook .msg file (no OLE header)")
                return
            problem = _sniff_problem(head)
            if problem:
                yield ReadError(source, "file", problem)
                return
            if head.removeprefix(_BOM).startswith(b"From ") and (
                path.suffix.lower() not in _SINGLE_MESSAGE_SUFFIXES
            ):
                f.seek(3 if head.startswith(_BOM) else 0)
                yield from _read_mbox(f, source, _line_separator(head), max_bytes)
                return
            if size > max_bytes:
                yield _too_big(source, ONE_MESSAGE, size, max_bytes, source)
                return
            yield RawMessage(source, ONE_MESSAGE, head + f.read(), key=source)
    except OSError as exc:
        yield ReadError(source, "file", f"cannot read file: {exc.strerror or exc}")


def _line_separator(head: bytes) -> bytes:
    """LF for LF and CRLF files; CR for old Mac files that use bare CR line endings."""
    return b"\r" if b"\r" in head and b"\n" not in head else b"\n"


class _Lines:
    """Line-at-a-time reading of a binary file with tell/seek, ending lines at ``sep``.

    Lines keep their terminator, so byte offsets stay exact for any line-ending style. A line longer
    than _CHUNK comes in pieces; ``began_line`` says whether the piece just read starts a line.
    """

    def __init__(self, f: BinaryIO, sep: bytes) -> None:
        self._f, self._sep = f, sep
        self._read_lf = f.readline if sep == b"\n" else None  # LF files: the file's own readline
        self._buf, self._pos, self._base = b"", 0, f.tell()
        self._offset = self._base  # LF files: the file's position, kept here (f.tell() is a system call)
        self.began_line, self._ended = True, True

    def readline(self) -> bytes:
        if self._read_lf:  # inline: a line costs a few calls, and a mailbox has millions
            line = self._read_lf(_CHUNK)
            self._offset += len(line)
        else:
            line = self._piece()
        self.began_line, self._ended = self._ended, line.endswith(self._sep) or not line
        return line

    def starts(self, line: bytes, prefix: bytes) -> bool:
        """The piece just read is the start of a line that begins with ``prefix``."""
        return self.began_line and line.startswith(prefix)

    def blank(self, line: bytes) -> bool:
        return self.began_line and line in _BLANK_LINES

    def _piece(self) -> bytes:
        while True:  # bare-CR files: buffer and split by hand
            end = self._buf.find(self._sep, self._pos)
            if end >= 0 or len(self._buf) - self._pos >= _CHUNK:
                stop = end + 1 if end >= 0 else self._pos + _CHUNK
                line, self._pos = self._buf[self._pos : stop], stop
                return line
            chunk = self._f.read(_CHUNK)
            if not chunk:
                line = self._buf[self._pos :]
                self._base += len(self._buf)
                self._buf, self._pos = b"", 0
                return line
            self._base += self._pos
            self._buf, self._pos = self._buf[self._pos :] + chunk, 0

    def tell(self) -> int:
        return self._offset if self._sep == b"\n" else self._base + self._pos

    def seek(self, offset: int) -> None:  # always to the start of a line
        self._f.seek(offset)
        self._buf, self._pos, self._base, self._offset = b"", 0, offset, offset
        self.began_line, self._ended = True, True

    def read(self, n: int) -> bytes:
        self.seek(self.tell())
        data = self._f.read(n)
        self._offset += len(data)
        return data


_BLANK_LINES = (b"\n", b"\r\n", b"\r")


def _content_length(header_lines: list[bytes]) -> int | None:
    for line in header_lines:
        if line[:15].lower() == b"content-length:":
            value = line[15:].strip()
            return int(value) if value.isdigit() and len(value) < 12 else None
    return None


def _at_next_message(lines: _Lines) -> bool:
    """True if only blank lines stand between here and the next From_ line (or the end).

    On success the reader is left at that From_ line; otherwise it is put back.
    """
    start = lines.tell()
    while True:
        pos = lines.tell()
        line = lines.readline()
        if not line or lines.starts(line, b"From "):
            lines.seek(pos)
            return True
        if not lines.blank(line):
            lines.seek(start)
            return False


_BLOCK = 1 << 18  # bytes of an mbox scanned at a time for plain messages (a longer one goes line by line)
_LF_MUNGED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)
_CONTENT_LENGTH_FIELD = re.compile(rb"^content-length:", re.MULTILINE | re.IGNORECASE)


class _PlainMessages:
    """The fast way through an LF mbox: messages found with ``bytes.find`` in a block of the file, not
    line by line. It reads only plain messages (a blank line ends the header, no Content-Length
    field, no CR, under 1 MiB and ``max_bytes``), giving the same bytes the line reader would; at any
    other message it stops, and the line reader reads that one."""

    def __init__(self, f: BinaryIO, max_bytes: int) -> None:
        self._fd, self._limit = f.fileno(), min(max_bytes, _CHUNK - 1)
        self._buf, self._base, self._eof = b"", 0, False

    def _fill(self, pos: int) -> None:
        """The buffer from ``pos`` on, with at least a block more after it (or to the end)."""
        keep = self._buf[pos - self._base :] if self._base <= pos <= self._base + len(self._buf) else b""
        more = os.pread(self._fd, _BLOCK, pos + len(keep))
        self._buf, self._base, self._eof = keep + more, pos, len(more) < _BLOCK

    def read(self, pos: int) -> tuple[int, bytes] | None:
        """(where the next message starts, this one's bytes) for a plain message whose From_ line
        is at ``pos``; None for any other."""
        for attempt in (0, 1):
            buf, s = self._buf, pos - self._base
            if 0 <= s < len(buf):
                e = buf.find(b"\n", s, s + _CHUNK)  # the end of the From_ line
                n = buf.find(b"\nFrom ", e) if e >= 0 else -1  # the end of the message
                if n >= 0 or (self._eof and e >= 0):
                    break
            if attempt or (self._eof and s >= 0):  # a message longer than a block, or the end
                return None
            self._fill(pos)
        end = n + 1 if n >= 0 else len(buf)
        if end - e - 1 > self._limit:
            return None
        blank = buf.find(b"\n\n", e, end)  # the header's end (buf[e] ends the From_ line)
        region = buf[e + 1 : end]
        if blank < 0 or b"\r" in region:  # no blank line: the header runs on to the next message
            return None
        head_end = blank - e + 1  # in region, the blank line included
        header, body = region[:head_end], region[head_end:]
        if b"content-length:" in header.lower() and _CONTENT_LENGTH_FIELD.search(header):
            return None
        if b">From " in body:
            body = _LF_MUNGED_FROM.sub(rb"\1", body)  # un-munge ">From " (mboxrd/mboxo quoting)
        if n >= 0 and (body == b"\n" or body.endswith(b"\n\n")):
            body = body[:-1]  # the blank line before a From_ line belongs to the separator
        return self._base + end, header + body


def _read_mbox(f: BinaryIO, source: str, sep: bytes, max_bytes: int) -> Iterator[RawMessage | ReadError]:
    lines = _Lines(f, sep)
    plain = _PlainMessages(f, max_bytes) if sep == b"\n" else None
    line = lines.readline()
    index = 0
    while line:
        start = lines.tell() - len(line)
        if plain and (found := plain.read(start)):
            while found:
                index += 1
                (next_start, data), position = found, f"message {index} (byte {start})"
                yield RawMessage(source, position, data, key=f"{source}#{start}")
                start, found = next_start, plain.read(next_start)
            lines.seek(start)
            line = lines.readline()
            continue
        index += 1
        position, key = f"message {index} (byte {start})", f"{source}#{start}"
        # The header block, up to and including the blank line; past max_bytes only its size is kept.
        header: list[bytes] = []
        size = 0
        line = lines.readline()
        while line and not lines.starts(line, b"From "):
            size += len(line)
            if size <= max_bytes:
                header.append(line)
            if lines.blank(line):
                break
            line = lines.readline()
        else:
            if not size:
                yield ReadError(source, position, "truncated: nothing after the From_ line")
            else:
                yield _too_big(source, position, size, max_bytes, key) if size > max_bytes else (
                    RawMessage(source, position, b"".join(header), key=key))
            continue  # ``line`` is the next From_ line or the end
        # The body: Content-Length bytes when that lands on the next From_ line, else up to it.
        length = _content_length(header) if size <= max_bytes else None
        if length is not None and size + length <= max_bytes:
            body_start = lines.tell()
            body = lines.read(length)
            if len(body) == length and _at_next_message(lines):
                yield RawMessage(source, position, b"".join(header) + body, key=key)
                line = lines.readline()
                continue
            lines.seek(body_start)
        parts, last_blank = list(header), False
        line = lines.readline()
        while line and not lines.starts(line, b"From "):
            if line[:1] == b">" and lines.began_line and _MUNGED_FROM.match(line):
                line = line[1:]  # un-munge ">From " (mboxrd/mboxo quoting)
            last_blank = lines.blank(line)
            size += len(line)
            if size <= max_bytes:
                parts.append(line)
            elif parts:
                parts = []  # past the limit: read on to the next From_ line, keeping nothing
            line = lines.readline()
        if size > max_bytes:
            yield _too_big(source, position, size, max_bytes, key)
            continue
        if line and last_blank:
            parts.pop()  # the blank line before a From_ line belongs to the separator
        yield RawMessage(source, position, b"".join(parts), key=key)


def _read_outlook_msg(path: Path) -> RawMessage | ReadError:
    """Convert an Outlook .msg file to RFC 822 bytes with extract-msg."""
    import extract_msg  # imported lazily: it is slow to import and rarely needed

    source = str(path)
    try:
        msg = extract_msg.openMsg(str(path))
    except Exception as exc:  # extract-msg raises many types for corrupt files
        return ReadError(source, "file", f"unreadable Outlook .msg file: {exc}")
    try:
        try:
            data = msg.asEmailMessage().as_bytes()
        except Exception:  # attachments that cannot be converted: keep headers and text
            data = _outlook_headers_and_text(msg)
    except Exception as exc:
        return ReadError(source, "file", f"cannot convert Outlook .msg file: {exc}")
    finally:
        msg.close()
    return RawMessage(source, ONE_MESSAGE, data, key=source)


def _outlook_headers_and_text(msg) -> bytes:  # type: ignore[no-untyped-def]
    from email.message import EmailMessage

    out = EmailMessage()
    for name, value in msg.header.items():
        if name.lower() not in ("content-type", "content-transfer-encoding", "mime-version"):
            out[name] = str(value)
    out.set_content(msg.body or "")
    return out.as_bytes()
