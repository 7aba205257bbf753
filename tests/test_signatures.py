"""Signature blocks as people write them: titles, companies and phones, and no disclaimer noise."""

from __future__ import annotations

from hypothesis import given, strategies as st

from kith.ingest.signatures import SignatureFacts, read_signature

LAW_FIRM = """Jane Smith
Partner | Corporate M&A
Smith & Jones LLP
1 Fleet Street, London EC4Y 1AA
T: +44 (0)20 7946 0000 | M: +44 7700 900123
F: +44 20 7946 0001
www.smithjones.com

This email is confidential and may be legally privileged. If you are not the intended recipient,
please notify the sender. Smith & Jones LLP is a limited liability partnership registered in England."""

CONSULTANT = """Best regards,
Mark Lee
Senior Consultant, Strategy & Operations
Northwind Advisory
Mobile: 415-555-0134
mark.lee@northwind.com"""

GERMAN = """Mit freundlichen Grüßen

Dr. Hans Müller
Geschäftsführer
Müller Maschinenbau GmbH
Hauptstraße 1, 70173 Stuttgart
Tel.: +49 711 123456-0
Fax: +49 711 123456-99
Sitz der Gesellschaft: Stuttgart, Registergericht Stuttgart HRB 12345
Geschäftsführer: Dr. Hans Müller"""


def test_law_firm_partner() -> None:
    facts = read_signature(LAW_FIRM, "Jane Smith")
    assert facts == SignatureFacts("Partner", "Smith & Jones LLP", ("+442079460000", "+447700900123",))


def test_consultant_with_a_company_without_legal_form() -> None:
    facts = read_signature(CONSULTANT, "Mark Lee")
    assert facts == SignatureFacts("Senior Consultant", "Northwind Advisory", ("4155550134",))


def test_german_managing_director_and_imprint() -> None:
    facts = read_signature(GERMAN, "Hans Müller")
    assert facts == SignatureFacts("Geschäftsführer", "Müller Maschinenbau GmbH", ("+497111234560",))


def test_title_on_the_name_line_and_company_with_comma() -> None:
    facts = read_signature("Robert Brown, Chief Financial Officer\nAcme Holdings, Inc.\nDirect: (212) 555-0142")
    assert facts == SignatureFacts("Chief Financial Officer", "Acme Holdings, Inc.", ("2125550142",))


def test_head_of_and_general_counsel() -> None:
    assert read_signature("Li Wei\nHead of Legal, Asia Pacific\nGlobex Corporation\nD +65 6123 4567") == (
        SignatureFacts("Head of Legal", "Globex Corporation", ("+6561234567",))
    )
    assert read_signature("Maria Rossi\nGeneral Counsel\nInitech S.p.A.").title == "General Counsel"
    assert read_signature("Tom White\nOf Counsel\nBaker Street Law").title == "Of Counsel"


def test_vp_with_function_and_company_after_at() -> None:
    facts = read_signature("Anna Berg\nVP Sales EMEA at Contoso\n+1 (212) 555-0100", "Anna Berg")
    assert facts == SignatureFacts("VP Sales EMEA", "Contoso", ("+12125550100",))


def test_only_a_phone() -> None:
    assert read_signature("Sent from my iPhone\nCell 212.555.0199") == SignatureFacts("", "", ("2125550199",))


def test_disclaimers_dates_and_fax_numbers_are_not_facts() -> None:
    noise = """Thanks!
The information in this message is intended for the Partner and Associate named above only.
Call me on Tuesday 2024-01-15 at 10:30, ref 12345678.
Fax: +1 212 555 0111
London, UK"""
    assert read_signature(noise) == SignatureFacts("", "", ())


def test_lower_case_prose_is_not_a_title() -> None:
    assert read_signature("I will ask my partner and the director tomorrow.").title == ""


def test_empty() -> None:
    assert read_signature("") == SignatureFacts()


@given(st.text(max_size=400), st.text(max_size=40))
def test_never_raises(text: str, sender: str) -> None:
    assert isinstance(read_signature(text, sender), SignatureFacts)
