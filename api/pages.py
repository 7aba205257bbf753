"""Kith's browser pages, served from the package with no outside request: GraphiQL at ``/graphql``
and the relationship map at ``/map``. Their scripts and styles are bundled from npm packages by
``web/`` (``npm run build``) into ``api/static/bundle``, which is committed and shipped."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from strawberry.asgi import GraphQL

STATIC = Path(__file__).parent / "static"
# Everything from Kith itself; inline styles (React, Cytoscape) and data: fonts and images are all
# the pages need. A browser then refuses any outside request, whatever a bundled library tries.
POLICY = ("default-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data: blob:; "
          "frame-ancestors 'none'; form-action 'none'")


def page(name: str) -> HTMLResponse:
    return HTMLResponse((STATIC / name).read_text(encoding="utf-8"),
                        headers={"Content-Security-Policy": POLICY, "Cache-Control": "no-cache"})


class BundledGraphQL(GraphQL):
    """Strawberry's ASGI view with GraphiQL from Kith's bundle instead of a CDN."""

    async def render_graphql_ide(self, request) -> HTMLResponse:  # type: ignore[override]
        return page("graphiql.html")


def mount_pages(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC, check_dir=True), name="static")

    @app.get("/map")
    async def relationship_map() -> HTMLResponse:
        return page("map.html")
