"""Hostile and mistaken queries are refused with a message that says what to change; no stack trace
ever reaches a client; introspection can be switched off; slow queries are cancelled."""

from __future__ import annotations

import asyncio
import time


import httpx

from kith.api.app import create_app
from kith.api.graphql.pagination import MAX_PAGE
from tests import loopback
from tests.api.world import ServerThread, World, free_port, world  # noqa: F401 (the fixture)


def _errors(world: World, query: str, variables: dict | None = None) -> list[str]:
    body = world.gql(query, variables)
    assert body.get("errors"), body
    return [e["message"] for e in body["errors"]]


def test_deep_nesting_is_refused(world: World):
    inner = "id"
    for _ in range(20):
        inner = f"knows(first: 1) {{ edges {{ node {{ person {{ {inner} }} }} }} }}"
    q = 'query Deep { person(id: "x") { %s } }' % inner
    # 20 levels of 4 fields each outgrow the token limit before the depth one: check both limits
    messages = _errors(world, q)
    assert any("exceeds maximum operation depth" in m or "more than 2000 tokens" in m for m in messages), messages
    shallow = 'query Deep { person(id: "x") { knows(first: 1) { edges { node { person { knows(first: 1) { edges { ' \
              'node { person { knows(first: 1) { edges { node { person { id } } } } } } } } } } } } } }'
    assert any("exceeds maximum operation depth" in m for m in _errors(world, shallow))


def test_a_thousand_aliases_are_refused(world: World):
    q = "{ " + " ".join(f"a{n}: me {{ name }}" for n in range(1000)) + " }"
    messages = _errors(world, q)
    assert any("aliases" in m.lower() or "more than 2000 tokens" in m for m in messages), messages
    q = "{ " + " ".join(f"a{n}: me {{ name }}" for n in range(31)) + " }"
    assert any("31 aliases" in m or "aliases found" in m.lower() for m in _errors(world, q))


def test_huge_first_is_refused(world: World):
    messages = _errors(world, '{ search(text: "a", first: 100000) { edges { cursor } } }')
    assert messages == [f"`first` may be at most {MAX_PAGE} (got 100000); page through with `after`."]
    assert "`first` must be at least 1" in _errors(world, '{ search(text: "a", first: 0) { edges { cursor } } }')[0]
    missing = _errors(world, '{ search(text: "a") { edges { cursor } } }')[0]
    assert "first" in missing and "required" in missing
    bad = _errors(world, '{ search(text: "a", first: 1, after: "garbage") { edges { cursor } } }')[0]
    assert "not a cursor" in bad


def test_huge_token_count_is_refused(world: World):
    q = "{ me { " + " ".join(["name"] * 3000) + " } }"
    assert any("more than 2000 tokens" in m for m in _errors(world, q))


def test_errors_are_clear_and_never_tracebacks(world: World):
    messages = _errors(world, '{ warmPaths(to: "p_nope", first: 1) { edges { cursor } } }')
    assert messages == ["No person has the id given in `to`; find ids with `search`."]
    # the target is checked after the search, yet its error still comes before the other arguments'
    messages = _errors(world, '{ warmPaths(to: "p_nope", first: 1, maxHops: 9) { edges { cursor } } }')
    assert messages == ["No person has the id given in `to`; find ids with `search`."]
    messages = _errors(world, '{ warmPaths(to: "p_nope", from: ["p_nobody"], first: 1) { edges { cursor } } }')
    assert messages == ["No person has the id given in `to`; find ids with `search`."]
    body = world.post("{ nope }").text
    assert "Traceback" not in body and "Cannot query field 'nope'" in body


def test_unexpected_errors_are_masked(world: World, monkeypatch):
    from kith.graph import directory

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals /srv/kith/kith.db")

    monkeypatch.setattr(directory, "search", boom)
    body = world.post('{ search(text: "x", first: 1) { edges { cursor } } }').text
    assert "secret internals" not in body and "Traceback" not in body
    assert "Internal error; the server log has the details." in body


def test_slow_queries_are_cancelled(tmp_path):
    """The per-query time limit, on a schema whose resolver sleeps past it."""
    from kith.api.graphql.schema import build_schema

    schema = build_schema(query_timeout_s=0.2)

    class Ctx:
        user = object()
        operation = ""

        def flush_audit(self):
            pass

    async def slow(*args, **kwargs):
        await asyncio.sleep(5)

    schema._operation = slow  # the operation itself, inside the limit
    start = time.monotonic()
    result = asyncio.run(schema.execute("{ me { name } }", context_value=Ctx()))
    assert time.monotonic() - start < 2
    assert "ran longer than 0.2 s and was cancelled" in result.errors[0].message


def test_introspection_can_be_switched_off():
    from kith.api.graphql.schema import build_schema

    q = "{ __schema { queryType { name } } }"

    class Ctx:
        user = object()
        operation = ""

        def flush_audit(self):
            pass

    on = asyncio.run(build_schema(introspection=True).execute(q, context_value=Ctx()))
    assert on.data == {"__schema": {"queryType": {"name": "Query"}}}
    off = asyncio.run(build_schema(introspection=False).execute(q, context_value=Ctx()))
    assert off.errors and "introspection" in off.errors[0].message.lower()


def test_introspection_setting_reads_the_environment(monkeypatch):
    from kith.api.settings import load_api_settings

    monkeypatch.setenv("KITH_INTROSPECTION", "false")
    assert load_api_settings().introspection is False


def test_with_introspection_off_errors_suggest_no_names(tmp_path):
    from kith.api.graphql.schema import build_schema
    from kith.graph.sqlite_store import SQLiteStore

    class Ctx:
        user = object()
        operation = ""
        store = SQLiteStore.open(tmp_path / "kith.db")  # a mutation drops its network when it ends

        def flush_audit(self):
            pass

    mistakes = [("mutation { erasePerso }", None), ("{ me { nam } }", None),
                ('{ search(txt: "a", first: 1) { edges { cursor } } }', None),
                ("mutation($k: IngestKind!) { ingest(kind: $k, files: []) { id } }", {"k": "CONTACTZ"})]
    for introspection in (True, False):
        schema = build_schema(introspection=introspection)
        for query, variables in mistakes:
            result = asyncio.run(schema.execute(query, variable_values=variables, context_value=Ctx()))
            assert result.errors, query
            suggests = any("Did you mean" in e.message for e in result.errors)
            assert suggests == introspection, (introspection, query, [e.message for e in result.errors])


def test_a_padded_query_is_refused_before_it_is_read(world: World):
    padded = '{"query": "{ me { name } }' + " " * 2_000_000 + '"}'
    headers = {"Authorization": f"Bearer {world.tokens['viewer']}", "content-type": "application/json"}
    start = time.monotonic()
    declared = loopback.post(world.url + "/graphql", content=padded, headers=headers, timeout=30)
    assert declared.status_code == 413 and "at most 262,144 bytes" in declared.json()["errors"][0]["message"]

    def chunks():  # no Content-Length: counted as it streams in
        for n in range(0, len(padded), 65536):
            yield padded[n:n + 65536].encode()

    streamed = loopback.post(world.url + "/graphql", content=chunks(), headers=headers, timeout=30)
    assert streamed.status_code == 413 and "send a shorter query" in streamed.json()["errors"][0]["message"]
    assert time.monotonic() - start < 10
    assert world.data("{ me { name } }", as_="viewer")["me"]["name"] == "viewer"


def test_uploads_have_their_own_cap(world: World):
    settings = world.settings.model_copy(update={"max_upload_bytes": 100_000})
    app = create_app(settings, store=world.app.state.store, access=world.app.state.access)
    with ServerThread(app, port := free_port()):
        r = upload(f"http://127.0.0.1:{port}", world.tokens["member"], "cards.vcf", b"x" * 200_000)
    assert r.status_code == 413 and "An upload may be at most" in r.json()["errors"][0]["message"]


def upload(url: str, token: str, name: str, content: bytes) -> httpx.Response:
    files = {"operations": (None, '{"query": "mutation($f: [Upload!]!) { ingest(kind: CONTACTS, files: $f) '
                                  '{ id } }", "variables": {"f": [null]}}'),
             "map": (None, '{"0": ["variables.f.0"]}'),
             "0": (name, content, "text/vcard")}
    return loopback.post(url + "/graphql", files=files, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_deep_json_and_bad_upload_names_are_refused_with_a_4xx(world: World):
    deep = ('{"query": "{ me { name } }", "variables": {"deep": ' + '{"a": ' * 1000 + "1" + "}" * 1000 + "}}")
    r = loopback.post(world.url + "/graphql", content=deep, timeout=30,
                      headers={"Authorization": f"Bearer {world.tokens['viewer']}", "content-type": "application/json"})
    assert r.status_code == 400 and "nested too deeply" in r.text
    card = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:N\r\nEND:VCARD\r\n"
    unnamed = upload(world.url, world.tokens["member"], "", card)
    assert unnamed.status_code == 400 and "needs a file name" in unnamed.json()["errors"][0]["message"]
    long = upload(world.url, world.tokens["member"], "x" * 300 + ".vcf", card)
    assert long.status_code == 400 and "at most 200 bytes" in long.json()["errors"][0]["message"]


def test_json_bodies_of_every_shape_get_a_clear_answer(world: World):
    """A JSON POST is answered whatever its charset; batches, a non-string query, wrong variables, bad JSON
    and a body of another type get a 4xx that says what is wrong."""
    def post(body: str, content_type: str = "application/json") -> httpx.Response:
        headers = {"Authorization": f"Bearer {world.tokens['viewer']}", "content-type": content_type}
        return loopback.post(world.url + "/graphql", content=body, timeout=30, headers=headers)

    me = '{"query": "{ me { name } }"}'
    for content_type in ("application/json", "application/json; charset=utf-8"):
        r = post(me, content_type)
        assert r.status_code == 200 and r.json() == {"data": {"me": {"name": "viewer"}}}
    for body, message in ((f"[{me}]", "Batching is not enabled"), ('{"query": 3}', "`query` must be a string"),
                          ('{"query": "{ me { name } }", "variables": [1]}', "`variables` must be an object"),
                          ("{not json", "Unable to parse request body as JSON"),
                          ('{"query": ""}', "No GraphQL query found"),
                          *((scalar, "Expected a JSON object") for scalar in ("3", '"{ me { name } }"', "null", "true"))):
        r = post(body)
        assert r.status_code == 400 and message in r.text, (body, r.text)
    r = post(me, "text/plain")
    assert r.status_code == 400 and "Unsupported content type" in r.text
