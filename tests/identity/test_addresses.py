"""Address normal forms: the same mailbox must always produce the same key."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from kith.graph.mailboxes import is_role_or_noreply
from kith.ingest.identity.addresses import domain_of, normalize_address


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<Jane.Smith@Acme.COM>", "jane.smith@acme.com"),
        ("  jane+news@x.com ", "jane@x.com"),
        ("mailto:Bob@Acme.com", "bob@acme.com"),
        ("J.a.n.e.Doe+shopping@gmail.com", "janedoe@gmail.com"),
        ("jane.doe@googlemail.com", "janedoe@gmail.com"),
        ("jane.doe@outlook.com", "jane.doe@outlook.com"),  # dots matter outside Gmail
        ("bob+1@yahoo.com", "bob+1@yahoo.com"),  # Yahoo sub-addresses use "-", so "+" is literal
        ("jörg@Bücher.de", "jörg@xn--bcher-kva.de"),  # domains as ASCII, whichever form arrives
        ("jörg@xn--bcher-kva.de", "jörg@xn--bcher-kva.de"),
        ("ann@acme.com.", "ann@acme.com"),
    ],
)
def test_normal_forms(raw: str, expected: str) -> None:
    assert normalize_address(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "jane", "undisclosed-recipients:;", "undisclosed-recipients@x.com", "@acme.com", "jane@",
     "jane doe@acme.com", '"jane doe"@acme.com', "jane@acme", "jane@-acme.com", "jane@acme..com",
     "+tag@acme.com", "a@[10.0.0.1]", ".jane@acme.com"],
)  # fmt: skip
def test_non_addresses_are_none(raw: str) -> None:
    assert normalize_address(raw) is None


def test_the_same_mailbox_written_many_ways_is_one_key() -> None:
    forms = ["Jane.Doe@gmail.com", "<janedoe@gmail.com>", "jane.doe+x@googlemail.com", "JANEDOE@GMAIL.COM "]
    assert len({normalize_address(f) for f in forms}) == 1


def test_domain_of() -> None:
    assert domain_of("jane@acme.co.uk") == "acme.co.uk"
    assert domain_of("not-an-address") == ""


@pytest.mark.parametrize(
    "address",
    ["noreply@acme.com", "no-reply@x.com", "donotreply@bank.com", "MAILER-DAEMON@mx.acme.com",
     "postmaster@acme.com", "notifications@github.com", "bounce-123@mail.acme.com", "noreply+abc@x.com",
     "info@acme.com"],
)  # fmt: skip
def test_role_and_noreply(address: str) -> None:
    assert is_role_or_noreply(address)


@pytest.mark.parametrize("address", ["jane.smith@acme.com", "bob@x.com", "noreen@acme.com", "infante@acme.com"])
def test_people_are_not_roles(address: str) -> None:
    assert not is_role_or_noreply(address)


@given(st.text(max_size=60))
def test_never_raises_and_is_idempotent(raw: str) -> None:
    once = normalize_address(raw)
    if once is not None:
        assert normalize_address(once) == once
        assert "@" in once and " " not in once
