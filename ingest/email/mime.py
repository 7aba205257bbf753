"""Content-Type lookups on compat32 messages, cached by header value: the stdlib re-parses the
header's parameters on every call, and the same few values recur across a whole mailbox."""

from __future__ import annotations

from email.message import Message
from functools import lru_cache


class BuiltMessage(Message):
    """A compat32 Message built from a header list that is never changed afterwards (parse's direct
    build of a message and its parts, build.py): ``get`` looks a name up in an index of each name's first field
    instead of scanning the list (the parse and the classifier ask about ten times a message)."""

    def __init__(self, headers: list[tuple[str, str]], payload: str) -> None:
        super().__init__()
        self._headers, self._payload = headers, payload
        self._first: dict[str, tuple[str, str]] = {}
        for field in headers:
            self._first.setdefault(field[0].lower(), field)

    def get(self, name, failobj=None):  # type: ignore[no-untyped-def]  # as Message.get
        field = self._first.get(name.lower())
        return failobj if field is None else self.policy.header_fetch_parse(*field)


def first_header(msg: Message, name: str) -> str | None:
    """The raw value of the first ``name`` (lower-case) header, None if there is none."""
    if type(msg) is BuiltMessage:
        field = msg._first.get(name)
        return None if field is None else field[1]
    for key, value in msg._headers:
        if key.lower() == name:
            return value
    return None


def content_type(msg: Message) -> str:
    """``msg.get_content_type()``."""
    value = first_header(msg, "content-type")
    if value is None or not value.isascii():
        return msg.get_content_type()
    return _content_type(value)


def content_charset(msg: Message) -> str | None:
    """``msg.get_content_charset()``; raises as it does."""
    value = first_header(msg, "content-type")
    if value is None or not value.isascii():
        return msg.get_content_charset()
    return _content_charset(value)


def header_content_type(value: str | None) -> str:
    """``get_content_type()`` of a top-level message whose Content-Type header is ``value`` (ASCII)."""
    return "text/plain" if value is None else _content_type(value)


def header_charset(value: str | None) -> str | None:
    """``get_content_charset()`` of a message whose Content-Type header is ``value`` (ASCII); raises as it does."""
    return None if value is None else _content_charset(value)


def _probe(value: str) -> Message:
    msg = Message()
    msg._headers = [("Content-Type", value)]
    return msg


@lru_cache(maxsize=4096)
def _content_type(value: str) -> str:
    return _probe(value).get_content_type()


@lru_cache(maxsize=4096)
def _content_charset(value: str) -> str | None:
    return _probe(value).get_content_charset()
