"""What every loader is given: a way to run a blocking store read off the event loop."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Run = Callable[..., Awaitable[Any]]
