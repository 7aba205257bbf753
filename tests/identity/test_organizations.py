"""Company keys, display names and company-versus-personal email domains."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.corpora import corpus
from kith.ingest.identity.organizations import (
    display_company,
    has_legal_suffix,
    is_personal_domain,
    normalize_company,
    organization_from_domain,
    registrable_domain,
)

SAME_COMPANY = [
    ["Acme Inc.", "ACME, Inc", "Acme Incorporated", "acme", "Acme Corp", "Acme Co., Ltd.", "Acme, Inc. (UK)"],
    ["Müller GmbH", "Muller", "MÜLLER GMBH"],
    ["Siemens AG", "Siemens"],
    ["Nowak Sp. z o.o.", "Nowak"],
    ["GTXPro", "GTX Pro", "gtx-pro"],
    ["Smith & Jones LLP", "Smith and Jones", "Smith & Jones"],
    ["Société Générale S.A.", "Societe Generale"],
    ["The Acme Group Ltd", "Acme Group"],
]


@pytest.mark.parametrize("spellings", SAME_COMPANY, ids=lambda s: s[0])
def test_spellings_of_one_company_share_a_key(spellings: list[str]) -> None:
    assert len({normalize_company(s) for s in spellings}) == 1


def test_different_companies_keep_different_keys() -> None:
    keys = {normalize_company(group[0]) for group in SAME_COMPANY}
    assert len(keys) == len(SAME_COMPANY)
    assert normalize_company("Acme Holdings plc") != normalize_company("Acme")


def test_every_cleanco_legal_form_is_removed() -> None:
    termdata = json.loads((corpus("company_legal_suffixes_cleanco") / "cleanco_termdata.json").read_text())
    terms = {t.strip() for forms in termdata["terms_by_type"].values() for t in forms}
    assert terms
    assert [t for t in sorted(terms) if normalize_company(f"Acme {t}") != "acme"] == []


@pytest.mark.parametrize(
    ("name", "shown"),
    [("ACME, Inc", "ACME"), ("Smith & Jones LLP", "Smith & Jones"), ("acme holdings plc", "Acme Holdings"),
     ("Müller GmbH & Co. KG", "Müller"), ("IBM", "IBM"), ("Acme Co., Ltd.", "Acme"), ("  Acme   Corp  ", "Acme")],
)  # fmt: skip
def test_display_company(name: str, shown: str) -> None:
    assert display_company(name) == shown


@pytest.mark.parametrize("text", ["Smith & Jones LLP", "Müller Maschinenbau GmbH", "Nowak Sp. z o.o.", "Acme, Inc."])
def test_legal_forms_are_recognised(text: str) -> None:
    assert has_legal_suffix(text)


@pytest.mark.parametrize("text", ["London, UK", "Jane Smith, CIO", "Senior Associate", "GmbH", "Acme (UK)"])
def test_words_that_only_look_like_legal_forms_are_not(text: str) -> None:
    assert not has_legal_suffix(text)


@pytest.mark.parametrize(
    "domain",
    ["gmail.com", "googlemail.com", "outlook.com", "hotmail.co.uk", "yahoo.com", "icloud.com", "gmx.de",
     "web.de", "qq.com", "163.com", "naver.com", "mail.ru", "proton.me", "GMAIL.COM", "uk.yahoo.com",
     "mailinator.com", "guerrillamail.com", "yopmail.com"],
)  # fmt: skip
def test_personal_domains(domain: str) -> None:
    assert is_personal_domain(domain)
    assert organization_from_domain(domain) is None


@pytest.mark.parametrize("domain", ["acme.com", "bakermckenzie.com", "siemens.de", "mail.acme.co.uk", "kpmg.com"])
def test_company_domains(domain: str) -> None:
    assert not is_personal_domain(domain)


def test_the_shared_free_mail_list_is_mostly_covered() -> None:
    domains = (corpus("email_domains") / "freemail_free.txt").read_text().split()
    assert domains
    assert sum(map(is_personal_domain, domains)) / len(domains) >= 0.9


@pytest.mark.parametrize(
    ("domain", "registrable"),
    [("mail.acme.co.uk", "acme.co.uk"), ("acme.com", "acme.com"), ("a.b.acme.com.au", "acme.com.au"),
     ("ACME.CO.JP.", "acme.co.jp"), ("localhost", ""), ("", ""), ("mx.acme.example", "acme.example"),
     ("hq.firm.corp", "firm.corp")],
)  # fmt: skip
def test_registrable_domain(domain: str, registrable: str) -> None:
    assert registrable_domain(domain) == registrable


@pytest.mark.parametrize(
    ("domain", "org"),
    [("mail.acme.co.uk", ("Acme", "acme")), ("ibm.com", ("IBM", "ibm")),
     ("smith-jones.com", ("Smith Jones", "smithjones")), ("xn--mller-kva.de", ("Müller", "muller")),
     ("localhost", None)],
)  # fmt: skip
def test_organization_from_domain(domain: str, org: tuple[str, str] | None) -> None:
    assert organization_from_domain(domain) == org


def test_domain_org_key_meets_the_company_name_key() -> None:
    found = organization_from_domain("eu.acme.com")
    assert found is not None and found[1] == normalize_company("ACME, Inc.")


def test_public_suffixes_come_from_the_bundled_snapshot_without_network() -> None:
    # A fresh interpreter, so the suffix list is loaded here and not by an earlier test.
    script = (
        "import socket\n"
        "def refuse(*a, **k): raise SystemExit('tried to reach the network')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from kith.ingest.identity.organizations import registrable_domain\n"
        "print(registrable_domain('shop.example.com.br'))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "example.com.br"
