"""HTTP to the servers the tests start on loopback: httpx's own ``get`` and ``post`` (a new client and
connection per request, no cookies kept), given one TLS context built once. Left to itself, each call
builds a client that loads certifi's CA bundle into a new context (25 ms of CPU) which an http:// URL
never uses: a tenth of the suite's Python CPU went there."""

from __future__ import annotations

import ssl
from functools import partial

import httpx

_UNUSED_TLS = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # every URL here is http://

get = partial(httpx.get, verify=_UNUSED_TLS)
post = partial(httpx.post, verify=_UNUSED_TLS)
