"""Relay-style connections: ``edges { cursor node }`` and ``pageInfo { hasNextPage endCursor }``.

Every list field takes a required ``first`` (1..``MAX_PAGE``) and an optional ``after``; the
``Paginated`` field extension checks both before the resolver runs, and turns the list the resolver
returns (at least ``offset + first + 1`` items when more exist) into a connection. Cursors are opaque:
base64 of a versioned offset. A resolver learns how many items to read from ``page_window``.
"""

from __future__ import annotations

import base64
import binascii
import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import strawberry
from strawberry.extensions import FieldExtension

from kith.graph.errors import KithError

MAX_PAGE = 100
_PREFIX = "kith:o:"

T = TypeVar("T")


class BadInput(KithError):
    """An argument a client can fix; its message goes back to the client as it is."""


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{offset}".encode()).decode()


def decode_cursor(cursor: str | None) -> int:
    """The offset after ``cursor`` (0 for none)."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        if text.startswith(_PREFIX):
            return int(text[len(_PREFIX):]) + 1
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise BadInput("`after` is not a cursor from this API; pass an `endCursor` or `cursor` you were given.")


@dataclass(frozen=True, slots=True)
class Window:
    offset: int
    first: int

    @property
    def end(self) -> int:
        """How many items to read: one past the page, to know whether another follows."""
        return self.offset + self.first + 1


def page_window(first: int, after: str | None) -> Window:
    if first < 1:
        raise BadInput(f"`first` must be at least 1 (got {first}).")
    if first > MAX_PAGE:
        raise BadInput(f"`first` may be at most {MAX_PAGE} (got {first}); page through with `after`.")
    return Window(decode_cursor(after), first)


def connection(items: Sequence[T], window: Window, kind: type = Connection, **fields: Any) -> Any:
    """The page of ``items`` in ``window``, as a ``kind`` (a Connection, or a subclass of one with
    ``fields`` of its own)."""
    page = list(items[window.offset: window.offset + window.first])
    edges = [Edge(cursor=encode_cursor(window.offset + n), node=node) for n, node in enumerate(page)]
    more = len(items) > window.offset + window.first
    return kind(edges=edges, page_info=PageInfo(has_next_page=more, end_cursor=edges[-1].cursor if edges else None),
                **fields)


class Paginated(FieldExtension):
    """Requires ``first`` (capped at ``MAX_PAGE``), checks ``after``, and wraps the returned list."""

    def resolve(self, next_: Any, source: Any, info: Any, **kwargs: Any) -> Any:
        window = page_window(kwargs["first"], kwargs.get("after"))
        return connection(next_(source, info, **kwargs), window)

    async def resolve_async(self, next_: Any, source: Any, info: Any, **kwargs: Any) -> Any:
        window = page_window(kwargs["first"], kwargs.get("after"))
        result = next_(source, info, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        return connection(result, window)
