"""The browser pages over HTTP: GraphiQL and the map are served by Kith itself, without a token, under a
policy that lets a browser load nothing from elsewhere, and every script and style they name is served
from the package. (tests/browser runs them in Chromium.)"""

from __future__ import annotations

import re

from tests import loopback
from tests.api.world import World, world  # noqa: F401 (the fixture)


def _assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


def test_graphiql_and_the_map_name_only_assets_kith_serves(world: World):
    for path, accept in (("/graphql", "text/html"), ("/map", "*/*")):
        page = loopback.get(world.url + path, headers={"Accept": accept}, timeout=10)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        policy = page.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "http" not in policy
        assets = _assets(page.text)
        assert assets and all(a.startswith("/static/bundle/") for a in assets), assets
        for asset in assets:
            served = loopback.get(world.url + asset, timeout=10)
            assert served.status_code == 200 and len(served.content) > 1000, asset
            assert not re.search(r'(?:src|href|url)\(?\s*=?\s*["\']?https?://', served.text[:200_000]), asset


def test_the_map_page_holds_no_data_and_static_files_stay_in_their_folder(world: World):
    page = loopback.get(world.url + "/map", timeout=10).text
    assert "kith_" not in page.replace("kith_…", "")  # no token, no graph data in the page itself
    assert loopback.get(world.url + "/static/../app.py", timeout=10).status_code == 404
    assert loopback.get(world.url + "/static/%2e%2e/app.py", timeout=10).status_code == 404
