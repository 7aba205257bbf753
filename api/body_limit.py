"""A cap on request bodies, applied before anything parses them: one client cannot make the server read,
decode and lex megabytes (a query padded with 50 MB of whitespace held every other request up).

A body declared larger than its cap (Content-Length) is refused at once; one declared within it is not
counted, the server reading no more than the declared length; a streamed one (chunked) is counted as it
arrives and refused when it passes the cap. Multipart uploads (ingest) have their own, larger cap.
The refusal is HTTP 413 with a JSON error that says what to change.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Message, Receive, Send], Awaitable[None]]


class _TooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: HTTP request bodies at most ``max_query_bytes``, multipart ones ``max_upload_bytes``."""

    def __init__(self, app: ASGIApp, max_query_bytes: int, max_upload_bytes: int):
        self.app = app
        self.max_query_bytes = max_query_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        upload = headers.get(b"content-type", b"").lower().startswith(b"multipart/")
        limit = self.max_upload_bytes if upload else self.max_query_bytes
        declared = headers.get(b"content-length", b"")
        if declared.isdigit():
            if int(declared) > limit:
                await _refuse(send, limit, upload)
                return
            if b"transfer-encoding" not in headers:  # the server reads no more than the declared length
                await self.app(scope, receive, send)
                return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except _TooLarge:
            if not started:
                await _refuse(send, limit, upload)


async def _refuse(send: Send, limit: int, upload: bool) -> None:
    what = ("An upload may be at most {} MB; split the files into several jobs, or ingest them on the server "
            "with `kith ingest`.".format(limit >> 20)) if upload else (
        f"A request body may be at most {limit:,} bytes; send a shorter query (or raise KITH_MAX_QUERY_BYTES).")
    body = json.dumps({"errors": [{"message": what}]}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
