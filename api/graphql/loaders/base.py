"""What every loader is given: the way to run its store read (``api.graphql_context.read_now``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Run = Callable[..., Awaitable[Any]]
