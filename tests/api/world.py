"""The API suite's world: a small demo firm ingested for real into a SQLite file or the test Neo4j, users
of every role (one of them walled off from a client organisation), and the app served by uvicorn on a
loopback port.
Built once per session; tests talk to it over HTTP with httpx (tests.loopback).

Not a conftest.py: the suite's other folders import the root conftest as ``conftest``, which a second
conftest module would shadow. Test modules import ``world`` (the fixture) from here; the world is
built once however many modules import it."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from pydantic import SecretStr

from kith.api.access import AccessRole, AccessStore
from kith.api.app import create_app
from kith.api.cli.demo import DemoSizes, build_demo, demo_settings
from kith.api.settings import ApiSettings
from kith.graph.sqlite_store import SQLiteStore
from kith.ingest.synthetic import Contact
from tests import loopback
from tests.neo4j_server import NEO4J_WIPES, neo4j_env, neo4j_store

SIZES = DemoSizes(colleagues=10, organizations=6, contacts_per_org=4, messages=900, meeting_series=6,
                  meeting_weeks=6, single_meetings=30, deals=30, notes=15)
ROLES = {"admin": AccessRole.ADMIN, "member": AccessRole.MEMBER, "viewer": AccessRole.VIEWER,
         "walled": AccessRole.MEMBER}


@dataclass
class Walled:
    """What the walled user must never learn: the walled organisation and its people."""

    org_id: str
    name: str
    domains: list[str]
    people: dict[str, list[str]]  # id -> [name, emails...]
    contact: str  # one of its people the firm knows well (a path target)
    short: str = ""  # the word mail subjects use for it ("Acme")

    def secrets(self) -> list[str]:
        out = [self.org_id, self.name, *self.domains, self.short]
        for pid, names in self.people.items():
            out += [pid, *names]
        return [s for s in out if s]


@dataclass
class World:
    settings: ApiSettings
    url: str
    tokens: dict[str, str]
    walled: Walled
    colleague: str  # the id of a colleague with relationships
    other_org: str  # an unwalled client organisation
    other_contact: str  # a contact at it
    clients: dict[str, list[Contact]]
    app: object

    def post(self, query: str, variables: dict | None = None, *, as_: str = "admin",
             token: str | None = None, timeout: float = 30) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token if token is not None else self.tokens[as_]}"}
        return loopback.post(self.url + "/graphql", json={"query": query, "variables": variables or {}},
                             headers=headers, timeout=timeout)

    def gql(self, query: str, variables: dict | None = None, *, as_: str = "admin") -> dict:
        response = self.post(query, variables, as_=as_)
        assert response.status_code == 200, response.text
        return response.json()

    def data(self, query: str, variables: dict | None = None, *, as_: str = "admin") -> dict:
        body = self.gql(query, variables, as_=as_)
        assert not body.get("errors"), body["errors"]
        return body["data"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerThread:
    def __init__(self, app, port: int):
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                                    access_log=False, lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _walled_org(store: SQLiteStore, clients: dict[str, list[Contact]]) -> tuple[Walled, str, str]:
    """The best-known client organisation becomes the walled one; the next one stays open."""
    ranked = []
    for company, contacts in clients.items():
        domain = contacts[0].email.split("@")[1]
        oid = store.orgs_by_domain([domain]).get(domain)
        if not oid:
            continue
        ids = {w.person_id for w in store.works_at(org_ids=[oid])}
        degree = sum(1 for k in store.knows_of(ids))
        ranked.append((degree, company, oid, ids))
    ranked.sort(reverse=True)
    _, company, oid, ids = ranked[0]
    org = store.get_organizations([oid])[oid]
    people = store.get_people(ids)
    contact = max(ids, key=lambda p: len(store.knows_of([p])))
    walled = Walled(oid, org.name, list(org.domains),
                    {pid: [p.name, *p.emails] for pid, p in people.items()}, contact, company.split()[0])
    other_org, other_ids = ranked[1][2], ranked[1][3]
    other_contact = max(other_ids, key=lambda p: len(store.knows_of([p])))
    return walled, other_org, other_contact


_BUILT: dict[str, tuple[World, int]] = {}  # store kind -> the world, and the Neo4j wipes before it was built


@pytest.fixture(scope="session", params=["sqlite", "neo4j"])
def world(request, tmp_path_factory) -> World:
    built = _BUILT.get(request.param)
    if built is None or (request.param == "neo4j" and built[1] != NEO4J_WIPES[0]):  # emptied since
        store = neo4j_store() if request.param == "neo4j" else None
        _BUILT[request.param] = built = (_build(tmp_path_factory.mktemp("api"), store), NEO4J_WIPES[0])
    return built[0]


def _build(folder: Path, store=None) -> World:
    """The world on ``store`` (the test Neo4j), or on a SQLite file in ``folder``."""
    db = folder / "kith.db"
    settings = demo_settings(ApiSettings(db=db, access_db=folder / "access.db"), db)
    # the time limit itself is tested in test_limits.py; here it only must not cut a loaded machine short
    settings = settings.model_copy(update={"query_timeout_s": 60.0})
    if store is not None:  # requests and background jobs open the same Neo4j
        env = neo4j_env()
        settings = settings.model_copy(update={
            "neo4j_uri": env["KITH_NEO4J_URI"], "neo4j_user": env.get("KITH_NEO4J_USER", "neo4j"),
            "neo4j_password": SecretStr(env.get("KITH_NEO4J_PASSWORD", "")),
            "neo4j_database": env.get("KITH_NEO4J_DATABASE", "neo4j")})
    demo = build_demo(settings, db, seed=5, sizes=SIZES, store=store)
    store = store or SQLiteStore.open(db)
    walled, other_org, other_contact = _walled_org(store, demo.firm.clients)
    email = demo.firm.colleagues[0].email.lower()
    colleague = store.people_by_email([email])[email]
    access = AccessStore(settings.access_path)
    tokens = {}
    for name, role in ROLES.items():
        access.add_user(name, role, colleague if name in ("member", "walled") else "")
        tokens[name] = access.create_token(name, "tests")
    access.add_wall("conflict", users=["walled"], orgs=[walled.org_id])
    app = create_app(settings, store=store, access=access)
    port = free_port()
    ServerThread(app, port).__enter__()  # a daemon thread: it ends with the test session
    return World(settings, f"http://127.0.0.1:{port}", tokens, walled, colleague, other_org, other_contact,
                 demo.firm.clients, app)
