"""The Message compat32's feed parser makes of a message, built directly from its text: the feed parser
reads a message line by line through a stack of generators and compiles a regex for every multipart
boundary, which costs more than the rest of the parse.

``build_message`` takes the usual shapes: a clean header block (fields and their continuation lines,
nothing else) over a single-part body, or over a multipart body whose parts are the same, nested or
not, each boundary line where the feed parser sees one. The messages a message/* part holds (an
attached message, a delivery status) are left to the feed parser, given that part's own text, which
it parses as it would inside the whole, and only when they are looked at. Anything else (a defective
header block, a missing boundary, a multipart/digest, deep nesting) gives None, and the caller runs
the feed parser on the whole message. A multipart's preamble and epilogue are not kept (nothing
reads them).

Nesting is kept far below the depth at which the feed parser runs out of stack (about 700 levels),
so that a message too deep for it is still refused as a whole: at most _MAX_DEPTH multiparts deep,
and a message/* part of at most _MAX_ATTACHED_BLANKS blank lines (each level nested inside it takes
one, after its header block).
"""

from __future__ import annotations

import re
from email.message import Message
from email.parser import Parser
from email.policy import compat32

from kith.ingest.email.mime import BuiltMessage, content_type

# A header block compat32's feed parser reads line by line without a defect: fields and their
# continuation lines, nothing else (no "From " line, no stray text, no field without a name).
HEADER_BLOCK = re.compile(r"(?:[!-9;-~]+:.*\n(?:[ \t].*\n)*)+")
FIELD = re.compile(r"([!-9;-~]+):[ \t]*(.*(?:\n[ \t].*)*)\n")  # the value without its last newline


_MAX_DEPTH = 50
_MAX_ATTACHED_BLANKS = 200


class _Unusual(Exception):
    """A shape the direct build leaves to the feed parser."""


def build_message(data: bytes) -> Message | None:
    """``BytesParser(policy=compat32).parsebytes(data)`` for a message of the usual shapes, else None.
    ``data`` has LF line endings (parse._normalise)."""
    text = data.decode("ascii", "surrogateescape")
    try:
        msg, body = _headed(text, 0)
        if msg is None:
            return None
        kind = content_type(msg)
        if kind.startswith("message/"):
            return None
        if kind.startswith("multipart/"):
            _multipart(msg, kind, text, body, ())
        else:
            msg._payload = text[body:]
        return msg
    except (_Unusual, RecursionError):
        return None


def _headed(text: str, start: int) -> tuple[BuiltMessage | None, int]:
    """The part whose text starts at ``start`` with a clean header block and a blank line (its payload
    still unset), and where its body starts; (None, 0) when the header block is not clean."""
    end = text.find("\n\n", start)
    if end < 0:
        return None, 0
    head = text[start : end + 1]
    if not HEADER_BLOCK.fullmatch(head):
        return None, 0
    return BuiltMessage(FIELD.findall(head), ""), end + 2


def _multipart(msg: Message, kind: str, text: str, start: int, enclosing: tuple[str, ...]) -> int:
    """Read the parts of the multipart ``msg`` whose body starts at ``start``, inside the multiparts
    whose separators are ``enclosing``; return where its text ends (an enclosing boundary line or the
    end). Raise _Unusual for a shape the feed parser must read."""
    boundary = msg.get_boundary()
    if kind == "multipart/digest" or boundary is None or "\n" in boundary:  # digest parts default to message/rfc822
        raise _Unusual
    if len(enclosing) == _MAX_DEPTH:
        raise _Unusual
    own = "--" + boundary
    inside = (*enclosing, own)
    parts: list[Message] = []
    line, kind_of = _next_boundary(text, start, inside)
    if kind_of != "sep" or line is None:  # no start boundary (or an enclosing one first)
        raise _Unusual
    while kind_of == "sep":
        first = text.find("\n", line) + 1  # the part's first line
        if not first or _boundary_kind(text, first, inside):  # no part, or two boundary lines in a row
            raise _Unusual
        part, line = _part(text, first, inside)
        parts.append(part)
        kind_of = _boundary_kind(text, line, inside) if line < len(text) else None
    if kind_of != "end":  # an enclosing boundary or the end of the text before the close boundary
        raise _Unusual
    msg._payload = parts
    after = text.find("\n", line) + 1
    epilogue_end, _ = _next_boundary(text, after, enclosing) if after else (None, None)
    return len(text) if epilogue_end is None else epilogue_end


def _part(text: str, start: int, inside: tuple[str, ...]) -> tuple[Message, int]:
    """The part whose first line is at ``start``, and where it ends: where the next boundary line of
    ``inside`` starts, or the text's end."""
    if text.startswith("\n", start):  # no header block
        part: Message = BuiltMessage([], "")
        body = start + 1
    else:
        built, body = _headed(text, start)
        if built is None or text.startswith("--", start) or "\n--" in text[start:body]:
            raise _Unusual  # a defective header block, or a boundary line inside it
        part = built
        kind = content_type(part)
        if kind.startswith("multipart/"):
            return part, _multipart(part, kind, text, body, inside)
        if kind.startswith("message/"):
            end = _end_of_part(text, body, inside)
            if text.count("\n\n", body, end) > _MAX_ATTACHED_BLANKS:
                raise _Unusual
            return _Attached(part._headers, text[start:end]), end
    end = _end_of_part(text, body, inside)
    part._payload = _without_last_newline(text[body:end])  # the newline before a boundary line is its own
    return part, end


class _Attached(BuiltMessage):
    """A message/* part (an attached message, a delivery status): the messages it holds are parsed
    from its text when first asked for. Mostly they are not: a bounce's report-type says what it is,
    and the body text is never looked for inside an attached message."""

    def __init__(self, headers: list[tuple[str, str]], text: str) -> None:
        self._text = text
        super().__init__(headers, "")

    @property  # type: ignore[override]
    def _payload(self) -> list[Message]:
        if self._messages is None:
            self._messages = _attached(self._text)
        return self._messages

    @_payload.setter
    def _payload(self, value: object) -> None:  # Message.__init__ sets it
        self._messages = value or None

    def is_multipart(self) -> bool:
        return True  # the feed parser always makes a list of the messages a message/* part holds


def _attached(text: str) -> list[Message]:
    """The messages a message/* part holds, from the part's own text, as the feed parser reads them
    inside a multipart: the same, but with the newline before the boundary taken off the last
    message it made (the deepest last one, or the last multipart's epilogue)."""
    messages = Parser(policy=compat32).parsestr(text)._payload
    last = messages[-1]
    while last.get_content_maintype() != "multipart" and last.is_multipart():
        last = last._payload[-1]
    if last.get_content_maintype() == "multipart":
        last.epilogue = None if last.epilogue == "" else last.epilogue and _without_last_newline(last.epilogue)
    elif isinstance(last._payload, str):
        last._payload = _without_last_newline(last._payload)
    return messages


def _without_last_newline(text: str) -> str:
    return text[:-1] if text.endswith("\n") else text


def _end_of_part(text: str, start: int, inside: tuple[str, ...]) -> int:
    end, _ = _next_boundary(text, start, inside)
    return len(text) if end is None else end


def _next_boundary(text: str, start: int, separators: tuple[str, ...]) -> tuple[int | None, str | None]:
    """The start of the first line at or after ``start`` that is a boundary line of ``separators``, and
    its kind ("sep", "end", or "outer" for an enclosing multipart's); (None, None) when there is none."""
    if not separators:
        return None, None
    pos = start
    while True:
        if text.startswith("--", pos):
            kind = _boundary_kind(text, pos, separators)
            if kind:
                return pos, kind
        pos = text.find("\n--", pos)
        if pos < 0:
            return None, None
        pos += 1


def _boundary_kind(text: str, pos: int, separators: tuple[str, ...]) -> str | None:
    """What the line at ``pos`` is to the multipart whose separator is ``separators[-1]``: "sep", "end",
    "outer" (a boundary line of an enclosing one, which ends it), or None. The feed parser matches
    ``--boundary(--)?[ \\t]*`` then the line's end, the enclosing multiparts' boundaries first."""
    if not text.startswith("--", pos):
        return None
    newline = text.find("\n", pos)
    line = text[pos : newline if newline >= 0 else len(text)]
    for i, separator in enumerate(separators):
        if line.startswith(separator):
            rest = line[len(separator) :]
            closing = rest.startswith("--")
            if not (rest[2:] if closing else rest).strip(" \t"):
                if i < len(separators) - 1:
                    return "outer"
                return "end" if closing else "sep"
    return None
