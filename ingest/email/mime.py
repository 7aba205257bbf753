"""Content-Type lookups on compat32 messages, cached by header value: the stdlib re-parses the
header's parameters on every call, and the same few values recur across a whole mailbox."""

from __future__ import annotations

from email.message import Message
from functools import lru_cache


def first_header(msg: Message, name: str) -> str | None:
    """The raw value of the first ``name`` (lower-case) header, None if there is none."""
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
