"""The API server: a FastAPI app factory mounting the Strawberry schema at ``/graphql``.

- ``/graphql``: every operation needs ``Authorization: Bearer <token>``; without a valid one the
  answer is 401 with a JSON error and nothing runs. GraphiQL's page itself (a GET without a query)
  is served without a token; paste the token into its headers panel.
- ``/healthz``: liveness and whether the store answers; no graph data.
- ``/metrics``: Prometheus metrics; counts and latencies only. With ``ApiSettings.metrics_token`` set
  (KITH_METRICS_TOKEN), only a scraper that sends it as a bearer token gets them.
- ``/map`` and ``/static``: the relationship map and the pages' bundled scripts (``api.pages``); no
  data, so no token: the map signs in with one and sends it with every query.

Request bodies are capped before anything parses them (``api.body_limit``: ``ApiSettings.max_query_bytes``,
uploads ``max_upload_bytes``), and JSON nested deeper than the parser can follow is a 400, not a 500.

The store is opened once per app and shared by requests (its caches, such as the in-memory network,
serve every reader; the scope is applied per request). Ingest jobs use their own connections.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from cross_web import HTTPException as BadRequest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.datastructures import MutableHeaders
from starlette import types as asgi
from strawberry.exceptions import MissingQueryError
from strawberry.http import process_result
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from kith.api.access import AccessStore, AuthError, User
from kith.api.body_limit import BodyLimit
from kith.api.graphql.context import AuditWriter, KithContext, run_blocking
from kith.api.graphql.schema import build_schema
from kith.api.jobs import JobRunner
from kith.api.metrics import Metrics, MetricsMiddleware
from kith.api.pages import BundledGraphQL, mount_pages
from kith.graph.backends import open_store
from kith.graph.errors import KithError
from kith.graph.gc_tuning import settle_gc
from kith.graph.network import load_network, serve_stale
from kith.graph.scope import EVERYTHING, Scope, walled_scope
from kith.api.settings import ApiSettings, load_api_settings
from kith.graph.store import Store

_SCOPES_KEPT = 256


class _Scopes:
    """Each reader's Scope, built from their walls once per request; the same walls over an unchanged
    graph give the same Scope, so it is kept per (generation, walls)."""

    def __init__(self, store: Store):
        self.store = store
        self._kept: OrderedDict[tuple, Scope] = OrderedDict()
        self._lock = threading.Lock()

    def of(self, user: User) -> Scope:
        if not user.walled:
            return EVERYTHING
        key = (self.store.generation(), user.walled_orgs, user.walled_deals)
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        scope = walled_scope(self.store, user.walled_orgs, user.walled_deals)
        with self._lock:
            self._kept[key] = scope
            while len(self._kept) > _SCOPES_KEPT:
                self._kept.popitem(last=False)
        return scope


def _warm(store: Store) -> None:
    """Build the scored network now, not in this worker's first path query, then settle the
    garbage collector (``graph.gc_tuning.settle_gc``) over what start-up left alive."""
    try:
        load_network(store)
    except KithError as exc:
        logging.getLogger("kith.api").warning("could not preload the network: %s", exc)
    settle_gc()


def _bearer(authorization: str) -> str:
    """The token of an ``Authorization: Bearer <token>`` header's value, else ""."""
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _wants_ide(request: Request) -> bool:
    return request.method == "GET" and "query" not in request.query_params


_OBJECT = (dict, type(None))
_POSTED = OperationType.from_http("POST")
_JSON = json.JSONEncoder(separators=(",", ":"))  # strawberry's json.dumps options, without a new encoder per answer


class Unauthorized(HTTPException):
    pass


class _SubResponse:
    """What a resolver may set on its answer through ``info.context.response``: the status and headers.
    strawberry makes a whole starlette Response for this (an empty body rendered, its length deleted)."""

    def __init__(self) -> None:
        self.status_code: int | None = None
        self.background = None
        self.headers = MutableHeaders(raw=[])


class _GraphQL(BundledGraphQL):
    """The GraphQL endpoint. ``answer`` serves a JSON POST of one operation with a valid token (nearly every
    request); the rest (GraphiQL's page, GET queries, uploads, and every refusal) goes through strawberry's
    view, whose context comes from ``context_getter``: it refuses a request without a valid token before
    the body is read. Over-deep JSON is a 400."""

    def __init__(self, schema: Any, context_getter: Callable[[Request], Awaitable[KithContext]],
                 user_context: Callable[[User], Awaitable[KithContext]], access: AccessStore, **kwargs: Any):
        super().__init__(schema, **kwargs)
        self._context_getter, self._user_context, self._access = context_getter, user_context, access

    async def get_context(self, request: Request, response: Response) -> KithContext:  # type: ignore[override]
        ctx = await self._context_getter(request)
        ctx.request, ctx.response = request, response
        return ctx

    async def get_sub_response(self, request: Request) -> Response:  # type: ignore[override]
        return _SubResponse()  # type: ignore[return-value]

    async def answer(self, scope: asgi.Scope, receive: asgi.Receive, send: asgi.Send) -> asgi.Receive | None:
        """Answer a JSON POST of one operation from a user with a valid token, as strawberry's view would, and
        return None; or, for anything else, answer nothing and return the ``receive`` to hand strawberry's view
        (it replays what was read of the body), whose answer (a 401, a 400...) is then the same as ever.
        Skipped: FastAPI's exception middleware and router, strawberry's request adapter, a starlette Request
        and two Responses per answer, and the Content-Type read by the email package's header parser."""
        headers = dict(reversed(scope["headers"]))  # the first of a repeated header, as starlette reads it
        token = _bearer(headers.get(b"authorization", b"").decode("latin-1"))
        if headers.get(b"content-type", b"").partition(b";")[0] != b"application/json" or not token:
            return receive
        try:
            user = self._access.authenticate(token)
        except AuthError:
            return receive
        read: list[asgi.Message] = []
        while not read or read[-1].get("more_body", False):
            read.append(await receive())
            if read[-1]["type"] != "http.request":
                return _replay(read, receive)
        try:
            data = self.parse_json(b"".join(message.get("body", b"") for message in read))
        except Exception:  # noqa: BLE001 (strawberry's view gives it its usual answer)
            return _replay(read, receive)
        if not (type(data) is dict and type(data.get("query")) is str and type(data.get("variables")) in _OBJECT
                and type(data.get("extensions")) in _OBJECT):
            return _replay(read, receive)  # a batch or a wrong shape: strawberry's 400
        context = await self._user_context(user)
        context.request, context.response = Request(scope, _replay(read, receive)), _SubResponse()
        try:
            result = await self.schema.execute(data["query"], variable_values=data.get("variables"),
                                               context_value=context, root_value=None,
                                               operation_name=data.get("operationName"),
                                               allowed_operation_types=_POSTED, operation_extensions=data.get("extensions"))
        except (CannotGetOperationTypeError, InvalidOperationTypeError, MissingQueryError):
            return _replay(read, receive)  # refused before anything ran: strawberry's 400 says why
        response_data = process_result(result)
        if result.errors:
            self._handle_errors(result.errors, response_data)
        body = self.encode_json(response_data).encode()
        sub = context.response
        await send({"type": "http.response.start", "status": sub.status_code or 200,
                    "headers": [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json"),
                                *sub.headers.raw]})
        await send({"type": "http.response.body", "body": body})
        if sub.background is not None:
            await sub.background()
        return None

    def encode_json(self, data: object) -> str:
        return _JSON.encode(data)

    def decode_json(self, data: str | bytes) -> object:
        try:
            decoded = super().decode_json(data)
        except RecursionError:  # the json module's C parser stops about 1,000 levels down
            raise BadRequest(400, "The request's JSON is nested too deeply to read; send flatter variables.") from None
        if type(decoded) not in (dict, list):  # strawberry's view would fail on it with a 500
            raise BadRequest(400, f'Expected a JSON object such as {{"query": "{{ me {{ name }} }}"}}, got {json.dumps(decoded)[:40]}.')
        return decoded


def _replay(read: list[asgi.Message], receive: asgi.Receive) -> asgi.Receive:
    """``receive``, giving the messages already ``read`` first."""
    pending = iter(read)

    async def replaying() -> asgi.Message:
        return next(pending, None) or await receive()

    return replaying


class _GraphQLPosts:
    """ASGI middleware, the innermost (after the metrics and the body cap): a POST to /graphql goes to the view's
    ``answer``, past FastAPI's exception middleware and router (an exception still reaches starlette's error
    middleware, outside, as before); what ``answer`` declines takes the usual route."""

    def __init__(self, app: asgi.ASGIApp, view: _GraphQL):
        self.app, self.view = app, view

    async def __call__(self, scope: asgi.Scope, receive: asgi.Receive, send: asgi.Send) -> None:
        if (scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == "/graphql"
                and not scope.get("root_path")):
            receive = await self.view.answer(scope, receive, send)  # type: ignore[assignment]
            if receive is None:
                return
        await self.app(scope, receive, send)


def create_app(settings: ApiSettings, *, store: Store | None = None, access: AccessStore | None = None) -> FastAPI:
    store = store or open_store(settings)
    access = access or AccessStore(settings.access_path)
    jobs = JobRunner(settings)
    metrics = Metrics(jobs)
    scopes = _Scopes(store)
    serve_stale(store, settings.network_stale_s)
    audit = AuditWriter(access)
    schema = build_schema(introspection=settings.introspection, query_timeout_s=settings.query_timeout_s)
    schema.on_timeout = metrics.timeouts.inc

    async def context(request: Request) -> KithContext:
        token = _bearer(request.headers.get("authorization", ""))
        user = None
        if token:
            try:
                user = access.authenticate(token)  # one indexed look-up: quicker than a thread hop
            except AuthError:
                raise Unauthorized(401, "Unknown, expired or revoked API token; create one with "
                                        "`kith tokens create --user NAME`.") from None
        elif not _wants_ide(request):
            raise Unauthorized(401, "Send an API token: Authorization: Bearer <token> "
                                    "(create one with `kith tokens create --user NAME`).")
        return await user_context(user)

    async def user_context(user: User | None) -> KithContext:
        scope = await run_blocking(scopes.of, user) if user is not None and user.walled else EVERYTHING
        return KithContext(settings=settings, store=store, access=access, jobs=jobs, audit_writer=audit, user=user,
                           scope=scope)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        threading.Thread(target=_warm, args=(store,), name="kith-warm", daemon=True).start()
        yield
        jobs.shutdown()
        audit.close()
        metrics.close()

    app = FastAPI(title="Kith", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.store, app.state.access, app.state.jobs, app.state.metrics = store, access, jobs, metrics
    app.state.audit = audit
    graphql = _GraphQL(schema, context, user_context, access, graphql_ide="graphiql", multipart_uploads_enabled=True,
                       subscription_protocols=())
    app.add_middleware(_GraphQLPosts, view=graphql)
    app.add_middleware(BodyLimit, max_query_bytes=settings.max_query_bytes, max_upload_bytes=settings.max_upload_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics)  # outside the cap: it counts the 413s too

    @app.exception_handler(Unauthorized)
    async def unauthorized(request: Request, exc: Unauthorized) -> JSONResponse:
        return JSONResponse({"errors": [{"message": exc.detail}]}, status_code=401,
                            headers={"WWW-Authenticate": "Bearer"})

    app.router.add_route("/graphql", graphql, methods=["GET", "POST"])
    mount_pages(app)  # GraphiQL's bundle and the relationship map at /map

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        try:
            version = await run_blocking(store.schema_version)
        except KithError:
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok", "store": store.kind, "schema_version": version})

    metrics_token = settings.metrics_token.get_secret_value().encode()

    @app.get("/metrics")
    async def prometheus(request: Request) -> object:
        token = _bearer(request.headers.get("authorization", ""))
        if metrics_token and not hmac.compare_digest(token.encode(), metrics_token):
            raise Unauthorized(401, "Send the metrics token: Authorization: Bearer <KITH_METRICS_TOKEN>.")
        return metrics.response()

    return app


def app_from_environment() -> FastAPI:
    """For ``uvicorn --factory kith.api.app:app_from_environment`` and ``kith serve --workers N``: settings
    from the environment (KITH_*), as the CLI would read them."""
    return create_app(load_api_settings(**({"db": os.environ["KITH_DB"]} if os.environ.get("KITH_DB") else {})))
