"""Deal exports into a real SQLite file through mapping profiles: Salesforce, HubSpot, generic, Maven."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from kith.graph import ids
from kith.graph.errors import KithError
from kith.graph.model import DealRoleKind, DealStatus
from kith.graph.settings import Settings
from kith.graph.sqlite_store import SQLiteStore
from kith.ingest.deals import available_profiles, ingest_deals, load_profile, parse_amount
from tests.corpora import corpus
from tests.cli import kith

HERE = Path(__file__).parent


@pytest.fixture
def settings(tmp_path):
    return Settings(db=tmp_path / "kith.db", internal_domains=["firm.com"])


def org_name(store, org_id):
    return store.get_organizations([org_id])[org_id].name if org_id else ""


def test_the_maven_crm_sample_accounts_for_every_opportunity_and_a_rerun_changes_nothing(store, settings):
    """One ingest of the 8,800 deals (on Neo4j the suite's longest write) serves both checks."""
    folder = corpus("crm_sales_opportunities_maven")
    profile = str(HERE / "maven_profile.toml")
    report = ingest_deals(store, settings, [folder], profile)
    assert report.files == 1  # the profile reads sales_pipeline.csv, not the reference tables
    assert report.records == 8800
    assert report.ingested + report.duplicates + sum(report.skipped.values()) == 8800
    assert report.ingested == 8800 and report.deals == 8800 and report.error_count == 0
    assert report.flagged["no account"] == 1425  # open deals without an account: kept, and reported
    assert report.flagged["product respelled as in products.csv"] == 1480  # GTXPro -> GTX Pro
    assert store.counts()["deals"] == 8800 and store.counts()["organizations"] == 85

    deals = store.get_deals([ids.deal_id("maven-crm", k) for k in ("Z063OYW0", "1C1I7A6R")])
    gtx = deals[ids.deal_id("maven-crm", "Z063OYW0")]
    assert gtx.name == "GTX Pro for Isdom" and gtx.status == DealStatus.WON
    assert (gtx.amount, gtx.currency) == (4514.0, "USD") and org_name(store, gtx.org_id) == "Isdom"
    assert gtx.opened_at == 1477353600 and gtx.closed_at == 1489190400  # 2016-10-25, 2017-03-11 UTC
    agent = store.get_people([gtx.roles[0].person_id])[gtx.roles[0].person_id]
    assert (agent.name, agent.is_internal, gtx.roles[0].role) == ("Darcel Schlecht", True, DealRoleKind.TEAM_MEMBER)
    assert len(store.deals_of(person_ids=[agent.id])) == 747
    statuses = Counter(d.status for d in store.get_deals(
        [ids.deal_id("maven-crm", line.split(",")[0]) for line in
         (folder / "sales_pipeline.csv").read_text().splitlines()[1:]]).values())
    assert statuses == {DealStatus.WON: 4238, DealStatus.LOST: 2473, DealStatus.OPEN: 2089}

    counts = store.counts()
    again = ingest_deals(store, settings, [folder], profile)
    assert (again.resumed, again.ingested) == (8800, 0)
    key = next(k for k in ("deals:maven-crm:" + str(folder / "sales_pipeline.csv"),) if store.get_meta(k))
    store.set_meta({key: "0:0:0:0"})  # as if the export had been rewritten
    rewritten = ingest_deals(store, settings, [folder], profile)
    assert (rewritten.duplicates, rewritten.ingested, rewritten.deals) == (8800, 0, 0)
    assert store.counts() == counts


SALESFORCE = """Opportunity ID,Opportunity Name,Account Name,Stage,Amount,Opportunity Currency,Created Date,Close Date,Opportunity Owner,Owner Email,Contact: Full Name,Contact: Email,Contact Role
0061x01,Export controls retainer,Acme Corporation,Closed Won,"$120,000.50",USD,1/15/2024,3/1/2024,Ana Alves,ana@firm.com,Ben Baker,ben@acme.com,Decision Maker
0061x01,Export controls retainer,Acme Corporation,Closed Won,"$120,000.50",USD,1/15/2024,3/1/2024,Ana Alves,ana@firm.com,Dora Diaz,dora@acme.com,Economic Buyer
0061x02,Sanctions screening,ACME Corp.,Negotiation,"45.000,00",EUR,2/30/2024,,Ana Alves,ana@firm.com,Ben Baker,ben@acme.com,Executive Sponsor
0061x03,Data transfer review,Acme Corportion,Closed Lost,9000,GBP,2/1/2024,4/1/2024,Eve Evans,eve@firm.com,,,
0061x04,Pro bono,,Prospecting,,USD,2/2/2024,,Eve Evans,eve@firm.com,,,
"""


def test_a_salesforce_contact_roles_report(tmp_path, store, settings):
    path = tmp_path / "opportunities.csv"
    path.write_text(SALESFORCE, encoding="utf-8")
    report = ingest_deals(store, settings, [path], "salesforce")
    assert (report.records, report.ingested, report.deals) == (5, 5, 4)
    assert report.flagged == {"no account": 1, "bad opened date": 1, "account matched by similarity": 1}

    d = store.get_deals([ids.deal_id("salesforce", f"0061x0{n}") for n in range(1, 5)])
    won, open_, lost, bare = (d[ids.deal_id("salesforce", f"0061x0{n}")] for n in range(1, 5))
    assert (won.status, won.amount, won.currency) == (DealStatus.WON, 120000.5, "USD")
    people = store.get_people([r.person_id for r in won.roles])
    roles = {(people[r.person_id].emails[0], r.role) for r in won.roles}
    assert roles == {("ana@firm.com", DealRoleKind.TEAM_MEMBER), ("ben@acme.com", DealRoleKind.DECISION_MAKER),
                     ("dora@acme.com", DealRoleKind.ECONOMIC_BUYER)}
    assert (open_.status, open_.amount, open_.opened_at) == (DealStatus.OPEN, 45000.0, None)
    assert {r.role for r in open_.roles} == {DealRoleKind.TEAM_MEMBER, DealRoleKind.CHAMPION}
    # "ACME Corp." is Acme Corporation by its normalised name; "Acme Corportion" by similarity
    assert won.org_id == open_.org_id == lost.org_id and org_name(store, won.org_id) == "Acme"
    assert lost.status == DealStatus.LOST and bare.org_id == "" and bare.roles
    assert store.get_people([bare.roles[0].person_id])[bare.roles[0].person_id].is_internal


def test_a_hubspot_api_json_export(tmp_path, store, settings):
    path = tmp_path / "deals.json"
    path.write_text(json.dumps({"results": [
        {"id": "901", "properties": {"dealname": "IPO readiness", "dealstage": "closedwon", "amount": "250000",
                                     "closedate": "2024-05-01T12:00:00.000Z", "createdate": "1704067200000",
                                     "company": "Globex GmbH", "deal_currency_code": "eur",
                                     "hubspot_owner_email": "Ana Alves <ana@firm.com>",
                                     "contacts": "Hank Hill (hank@globex.de); Iris Ito (iris@globex.de)"}},
        {"id": "902", "properties": {"dealname": "Tax structuring", "dealstage": "appointmentscheduled",
                                     "company": "Globex", "amount": "n/a"}},
        "not a record",
    ]}), encoding="utf-8")
    report = ingest_deals(store, settings, [path], "hubspot")
    assert (report.records, report.ingested, report.error_count) == (3, 2, 1)
    assert report.errors[0].position == "row 3" and report.flagged == {"bad amount": 1}
    d = store.get_deals([ids.deal_id("hubspot", "901"), ids.deal_id("hubspot", "902")])
    ipo, tax = d[ids.deal_id("hubspot", "901")], d[ids.deal_id("hubspot", "902")]
    assert (ipo.status, ipo.currency, ipo.opened_at) == (DealStatus.WON, "EUR", 1704067200)
    assert ipo.org_id == tax.org_id and len(ipo.roles) == 3 and tax.status == DealStatus.OPEN


def test_a_generic_xlsx_export(tmp_path, store, settings):
    path = tmp_path / "deals.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "name", "account", "stage", "amount", "currency", "opened", "closed", "owner", "owner_email",
                  "contacts", "contact_role"])
    from datetime import datetime

    sheet.append(["A-1", "Merger filing", "Initech LLC", "won", 5000, "usd", datetime(2024, 1, 2), datetime(2024, 2, 3),
                  "Ana Alves", "ana@firm.com", "pat@initech.com", "Champion"])
    sheet.append([None, None, None, None, None, None, None, None, None, None, None, None])
    sheet.append(["A-2", "Lease", "Initech", "open", "1 200", "usd", "2024-03-04", None, "Ana Alves", "ana@firm.com",
                  None, None])
    book.save(path)
    report = ingest_deals(store, settings, [tmp_path], "generic")
    assert (report.files, report.records, report.ingested) == (1, 2, 2)
    d = store.get_deals([ids.deal_id("crm", "A-1"), ids.deal_id("crm", "A-2")])
    merger = d[ids.deal_id("crm", "A-1")]
    assert merger.opened_at == 1704153600 and merger.amount == 5000.0 and merger.currency == "USD"
    assert DealRoleKind.CHAMPION in {r.role for r in merger.roles}
    assert d[ids.deal_id("crm", "A-2")].amount == 1200.0
    assert merger.org_id == d[ids.deal_id("crm", "A-2")].org_id


def test_an_interrupted_deal_ingest_resumes(tmp_path, store, settings):
    path = tmp_path / "opportunities.csv"
    path.write_text(SALESFORCE, encoding="utf-8")
    from kith.ingest.deals import DealIngest

    class Interrupted(DealIngest):
        def _flush(self, batch):
            if self.report.ingested:
                raise KeyboardInterrupt
            super()._flush(batch)

    with pytest.raises(KeyboardInterrupt):
        Interrupted(store, settings, "salesforce", batch_size=2).run([path])
    report = ingest_deals(store, settings, [path], "salesforce", batch_size=2)
    assert report.resumed == 2 and report.ingested == 3 and store.counts()["deals"] == 4


def test_profiles_ship_and_bad_ones_say_what_to_do(tmp_path):
    assert {"salesforce", "hubspot", "generic"} <= set(available_profiles())
    with pytest.raises(KithError, match="No deal profile named 'pipedrive'"):
        load_profile("pipedrive")
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "generic"\n[[people]]\ncolumn = "x"\nrole = "boss"\n')
    with pytest.raises(KithError, match="Roles are one of"):
        load_profile(str(bad))


@pytest.mark.parametrize("text, value", [("1,054", 1054.0), ("$1,054.50", 1054.5), ("1.054,50 €", 1054.5),
                                         ("12,5", 12.5), (" -300 ", -300.0), ("", None)])
def test_amounts_as_people_write_them(text, value):
    assert parse_amount(text) == value


def test_random_bytes_named_csv_are_refused_as_not_a_csv(tmp_path, store, settings):
    path = tmp_path / "export.csv"
    path.write_bytes(random.Random(7).randbytes(100_000))
    report = ingest_deals(store, settings, [path])
    assert (report.records, report.deals, store.counts()["deals"]) == (0, 0, 0)
    assert [e.reason for e in report.errors] == ["not a CSV file: binary data (control characters or undecodable bytes)"]
    result = kith("--db", str(tmp_path / "cli.db"), "ingest", "deals", str(path))
    assert result.returncode == 1 and "not a CSV file" in result.stderr


def test_a_file_without_the_columns_its_profile_needs_says_which_and_exits_non_zero(tmp_path, store, settings):
    path = tmp_path / "contacts.csv"
    path.write_text("first,last,email\nBen,Baker,ben@acme.com\n", encoding="utf-8")
    report = ingest_deals(store, settings, [path], "salesforce")
    assert report.deals == 0 and store.counts()["deals"] == 0
    assert "missing columns" in report.errors[0].reason and "'Opportunity ID'" in report.errors[0].reason
    assert "'first', 'last', 'email'" in report.errors[0].reason
    result = kith("--db", str(tmp_path / "cli.db"), "ingest", "deals", "--profile", "salesforce", "--json", str(path))
    assert result.returncode == 1 and json.loads(result.stdout)["skipped"] == {"unreadable": 1}


def test_the_generic_profile_reads_the_common_column_names(store, settings):
    folder = corpus("crm_sales_opportunities_maven")
    report = ingest_deals(store, settings, [folder / "sales_pipeline.csv"])
    assert report.deals == 8800 and report.ignored == {str(folder / "sales_pipeline.csv"): ["product"]}
    keys = [line.split(",")[0] for line in (folder / "sales_pipeline.csv").read_text().splitlines()[1:]]
    deals = store.get_deals([ids.deal_id("crm", k) for k in keys]).values()
    assert Counter(d.status for d in deals) == {DealStatus.WON: 4238, DealStatus.LOST: 2473, DealStatus.OPEN: 2089}
    assert sum(d.amount is not None for d in deals) == 4238 + 2473  # close_value: the closed deals'
    assert all(d.stage for d in deals) and sum(d.closed_at is not None for d in deals) == 4238 + 2473


def test_column_names_match_whatever_their_case_and_separators(tmp_path, store, settings):
    path = tmp_path / "deals.csv"
    path.write_text("Deal ID,Deal Name,Company Name,Deal Stage,Deal Value,Close Date,Notes\n"
                    "7,Retainer,Acme,Closed Won,100,2024-03-01,keep\n", encoding="utf-8")
    report = ingest_deals(store, settings, [path])
    deal = store.get_deals([ids.deal_id("crm", "7")])[ids.deal_id("crm", "7")]
    assert (deal.name, deal.status, deal.amount, deal.closed_at) == ("Retainer", DealStatus.WON, 100.0, 1709251200)
    assert org_name(store, deal.org_id) == "Acme" and report.ignored == {str(path): ["Notes"]}
