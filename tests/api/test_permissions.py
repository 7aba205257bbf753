"""The permission matrix (api.permissions), role by operation, over HTTP. A refused operation says who
may; an allowed one gets past the role check (it may still fail on its input: the ids here do not
exist, so nothing in the shared graph changes)."""

from __future__ import annotations

import pytest

from tests import loopback
from tests.api.world import World, world  # noqa: F401 (the fixture)

REFUSED = ("Viewers may only read", "Only an admin", "only an admin")
MISSING = "p_doesnotexist"

OPERATIONS = {
    "mergePeople": ('mutation { mergePeople(keep: "%s", other: "%s") { kind } }' % (MISSING, MISSING),
                    {"admin", "member", "walled"}),
    "splitPerson": ('mutation { splitPerson(person: "%s", emails: ["x@y.example"]) { kind } }' % MISSING,
                    {"admin", "member", "walled"}),
    "addNote": ('mutation { addNote(about: "%s", text: "hello") { new } }' % MISSING, {"admin", "member", "walled"}),
    "blockContact": ('mutation { blockContact(person: "%s") { blocked } }' % MISSING, {"admin", "member", "walled"}),
    "optOut": ('mutation { optOut(person: "%s") { optedOut } }' % MISSING, {"admin", "member", "walled"}),
    "erasePerson": ('mutation { erasePerson(person: "%s") { id } }' % MISSING, {"admin"}),
    "setSharing (own)": ("mutation { setSharing(level: ALL) { id } }", {"admin", "member", "viewer", "walled"}),
    "setSharing (another)": ('mutation { setSharing(level: ALL, person: "%s") { id } }' % MISSING, {"admin"}),
    "auditLog": ("{ auditLog(first: 5) { edges { node { user } } } }", {"admin"}),
    "me": ("{ me { name role } }", {"admin", "member", "viewer", "walled"}),
    "search": ('{ search(text: "ana", first: 3) { edges { node { name } } } }', {"admin", "member", "viewer", "walled"}),
    "insights": ("{ insights(first: 3) { clientTiers { tier } } }", {"admin", "member", "viewer", "walled"}),
    "experts": ('{ experts(topic: "tax", first: 3) { edges { node { score } } } }',
                {"admin", "member", "viewer", "walled"}),
}


@pytest.mark.parametrize("role", ["admin", "member", "viewer", "walled"])
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_permission_matrix(world: World, operation: str, role: str):
    query, allowed = OPERATIONS[operation]
    body = world.gql(query, as_=role)
    messages = [e["message"] for e in body.get("errors", [])]
    refused = any(m.startswith(REFUSED) or "only an admin" in m for m in messages)
    if role in allowed:
        assert not refused, f"{role} should be allowed {operation}: {messages}"
        assert all("Internal error" not in m for m in messages), messages
    else:
        assert refused, f"{role} should be refused {operation}: {body}"


def test_ingest_upload_needs_a_writer(world: World):
    files = {"operations": (None, '{"query": "mutation($f: [Upload!]!) { ingest(kind: CONTACTS, files: $f) { id } }",'
                                  ' "variables": {"f": [null]}}'),
             "map": (None, '{"0": ["variables.f.0"]}'),
             "0": ("a.vcf", b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Nobody\r\nEND:VCARD\r\n", "text/vcard")}
    for role, ok in (("viewer", False), ("member", True)):
        r = loopback.post(world.url + "/graphql", files=files,
                          headers={"Authorization": f"Bearer {world.tokens[role]}"}, timeout=30)
        assert r.status_code == 200, r.text
        assert ("errors" not in r.json()) is ok, r.text
