"""`kith paths` and `kith explain` as a user runs them (tests.cli: in this process) on a real SQLite file."""

from __future__ import annotations

import json
import time

import pytest

from kith.graph.model import Deal, DealRole, DealRoleKind, Organization, WorksAt
from kith.graph.sqlite_store import SQLiteStore
from tests.cli import Run, kith as run_kith
from tests.factories import DAY, PROV, email, meeting, named, write

NOW = int(time.time())
FAY, GUS = named("fay", internal=True), named("gus", internal=True)
XU, TARA, CEO, OLI = named("xu"), named("tara"), named("ceo"), named("oli", opted_out=True)
ACME = Organization("o_acme", "Acme Holdings", "acmeholdings", ["acme.com"], provenance=PROV)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "kith.db"
    store = SQLiteStore.open(path)
    store.upsert_people([FAY, GUS, XU, TARA, CEO, OLI])
    store.update_person(OLI.id, opted_out=True)
    store.upsert_organizations([ACME])
    store.add_works_at([WorksAt(TARA.id, ACME.id, "General Counsel"), WorksAt(CEO.id, ACME.id, "Engineer")])
    store.upsert_deals([Deal("d1", "Panel", ACME.id, opened_at=NOW - 50 * DAY,
                             roles=[DealRole(CEO.id, DealRoleKind.DECISION_MAKER)])])
    items = [meeting(f"fx{n}", [FAY, XU], NOW - (40 + n) * DAY) for n in range(5)]
    items += [meeting(f"xt{n}", [XU, TARA], NOW - (30 + n) * DAY) for n in range(3)]
    items += [email(f"gc{n}", GUS, [CEO], NOW - (20 + n) * DAY) for n in range(2)]
    items += [meeting("fo", [FAY, OLI], NOW - 10 * DAY), meeting("ot", [OLI, TARA], NOW - 10 * DAY)]
    write(store, *items)
    store.close()
    return path


def kith(db, *args: str, env: dict | None = None) -> Run:
    return run_kith("--db", db, *args, env={"KITH_CONFIG": str(db) + ".absent.toml", **(env or {})})


def test_paths_json_to_a_person(db):
    run = kith(db, "paths", "--to", "tara@client.com", "--json")
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout)
    assert [[p["name"] for p in w["people"]] for w in found] == [["Fay", "Xu", "Tara"]]  # never through Oli
    for w in found:
        for p in w["people"] + [h[s] for h in w["hops"] for s in ("from", "to")]:
            assert p["name"] and p["emails"]
    hop = found[0]["hops"][0]
    assert hop["band"] in ("strong", "medium", "weak", "cold") and len(hop["evidence"]) == 5
    assert found[0]["introduction"].startswith("Fay asks Xu")


def test_paths_to_an_organisation_by_domain_and_name(db):
    by_domain = json.loads(kith(db, "paths", "--to", "acme.com", "--json").stdout)
    by_name = json.loads(kith(db, "paths", "--to", "ACME Holdings, Inc.", "--json").stdout)
    assert by_domain == by_name
    # the decision maker from the deal (Ceo) and the general counsel (Tara), best path first
    assert {w["people"][-1]["name"] for w in by_domain} == {"Ceo", "Tara"}


def test_an_address_is_looked_up_in_its_normal_form_as_the_api_does(db):
    # a sub-address and capitals name the same mailbox (ingest.identity.addresses.normalize_address)
    plain = json.loads(kith(db, "paths", "--to", "tara@client.com", "--json").stdout)
    assert plain and json.loads(kith(db, "paths", "--to", "Tara+deals@Client.COM", "--json").stdout) == plain
    assert kith(db, "explain", "Fay+intro@firm.com", "XU@client.com", "--json").returncode == 0


def test_an_organisation_is_found_by_any_host_of_its_domain(db):
    by_domain = json.loads(kith(db, "paths", "--to", "acme.com", "--json").stdout)
    for host in ("www.acme.com", "eu.acme.com", "ACME.COM."):
        assert json.loads(kith(db, "paths", "--to", host, "--json").stdout) == by_domain, host


def test_as_of_takes_a_date_or_an_iso_time_like_every_command(db):
    day = time.strftime("%Y-%m-%d", time.gmtime(NOW - 5 * DAY))
    by_day = json.loads(kith(db, "paths", "--to", "tara@client.com", "--as-of", day, "--json").stdout)
    assert by_day and json.loads(kith(db, "paths", "--to", "tara@client.com", "--as-of", f"{day}T00:00Z",
                                      "--json").stdout) == by_day
    explained = kith(db, "explain", "fay@firm.com", "xu@client.com", "--as-of", f"{day}T00:00", "--json")
    assert explained.returncode == 0, explained.stderr


def test_paths_from_a_colleague_and_a_team(db):
    from_gus = json.loads(kith(db, "paths", "--to", "tara@client.com", "--from", "gus@firm.com", "--json").stdout)
    assert from_gus == []
    team = json.loads(kith(db, "paths", "--to", "tara@client.com", "--team", "gus@firm.com,fay@firm.com", "--json").stdout)
    assert [w["people"][0]["name"] for w in team] == ["Fay"]
    by_name = kith(db, "paths", "--to", "tara@client.com", "--team", "ma", "--json",
                   env={"KITH_TEAMS": json.dumps({"ma": ["fay@firm.com"]})})
    assert json.loads(by_name.stdout) == team


def test_paths_human_output(db):
    run = kith(db, "paths", "--to", "tara@client.com", "--k", "3", env={"COLUMNS": "300"})
    assert run.returncode == 0, run.stderr
    assert "Fay → Xu → Tara" in run.stdout and "Would you be willing to introduce us?" in run.stdout


def test_as_of_before_any_contact(db):
    day = time.strftime("%Y-%m-%d", time.gmtime(NOW - 60 * DAY))
    run = kith(db, "paths", "--to", "tara@client.com", "--as-of", day)
    assert run.returncode == 1
    assert f"No warm path to tara@client.com within 4 hops as of {day}" in run.stderr
    assert json.loads(kith(db, "paths", "--to", "tara@client.com", "--as-of", day, "--json").stdout) == []


@pytest.mark.parametrize("args, message", [
    (["paths", "--to", "nobody@client.com"], "No one with the address nobody@client.com (--to) is in the graph"),
    (["paths", "--to", "Globex"], "No organisation with the domain or name 'Globex'"),
    (["paths", "--to", "tara@client.com", "--from", "zz@firm.com"], "No one with the address zz@firm.com (--from)"),
    (["paths", "--to", "tara@client.com", "--team", "ma"], "No team named 'ma'"),
    (["paths", "--to", "tara@client.com", "--as-of", "31/03/2024"], "--as-of '31/03/2024' is not a date"),
    (["paths", "--to", "oli@client.com"], "opted out or is blocked"),
    (["explain", "fay@firm.com", "nobody@x.com"], "No one with the address nobody@x.com"),
])
def test_user_errors_are_one_clear_line(db, args, message):
    run = kith(db, *args)
    assert run.returncode == 1
    assert message in run.stderr and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_explain(db):
    run = kith(db, "explain", "fay@firm.com", "xu@client.com", "--json")
    assert run.returncode == 0, run.stderr
    [e] = json.loads(run.stdout)
    assert e["a"]["name"] == "Fay" and e["b"]["emails"] == ["xu@client.com"]
    assert sum(s["points"] for s in e["signals"]) == pytest.approx(e["score"], abs=1e-2)
    assert len(e["evidence"]) == 5
    human = kith(db, "explain", "fay@firm.com", "xu@client.com", env={"COLUMNS": "300"})
    assert "frequency" in human.stdout and "Evidence (newest first)" in human.stdout


def _day(at: int) -> str:
    return f"{time.gmtime(at).tm_mday} {time.strftime('%b %Y', time.gmtime(at))}"


def test_the_introduction_greets_the_broker_by_name_and_says_why(db):
    run = kith(db, "paths", "--to", "tara@client.com", "--k", "1", env={"COLUMNS": "400"})
    assert run.returncode == 0, run.stderr
    text = " ".join(run.stdout.split())
    [best] = json.loads(kith(db, "paths", "--to", "tara@client.com", "--k", "1", "--json").stdout)
    band = best["hops"][-1]["band"]  # the introduction names the band the strength model gives Xu and Tara
    # Xu met Tara three times, 30, 31 and 32 days ago: the newest is what the broker is reminded of
    assert (f'Fay asks Xu: "Hi Xu, I would like to meet Tara (General Counsel at Acme Holdings). You know them '
            f"({band}; you last met on {_day(NOW - 30 * DAY)}, 3 meetings in the past year)") in text
    assert "reads cold" not in text


def test_as_of_latest_measures_as_of_the_newest_evidence(db):
    newest = time.strftime("%Y-%m-%d", time.gmtime(NOW - 10 * DAY))  # Oli's meetings, the newest evidence
    run = kith(db, "paths", "--to", "tara@client.com", "--as-of", "latest", env={"COLUMNS": "300"})
    assert run.returncode == 0, run.stderr
    assert f"as of {newest}" in run.stdout
    latest = json.loads(kith(db, "paths", "--to", "tara@client.com", "--as-of", "latest", "--json").stdout)
    day_after = time.strftime("%Y-%m-%d", time.gmtime(NOW - 9 * DAY))
    assert latest == json.loads(kith(db, "paths", "--to", "tara@client.com", "--as-of", day_after, "--json").stdout)


def test_old_evidence_is_said_to_be_why_everything_is_cold(tmp_path):
    path = tmp_path / "archive.db"
    store = SQLiteStore.open(path)
    store.upsert_people([FAY, XU])
    old = NOW - 3 * 365 * DAY
    write(store, *[meeting(f"old{n}", [FAY, XU], old - n * DAY) for n in range(6)])
    store.close()
    run = kith(path, "paths", "--to", "xu@client.com", env={"COLUMNS": "400"})
    assert run.returncode == 0, run.stderr
    text = " ".join(run.stdout.split())
    assert (f"Every relationship reads cold: the newest evidence in the store is from "
            f"{time.strftime('%Y-%m-%d', time.gmtime(old))}, 3 years before now") in text
    assert "--as-of latest" in text
    archive = kith(path, "paths", "--to", "xu@client.com", "--as-of", "latest", "--json")
    [found] = json.loads(archive.stdout)
    assert found["hops"][0]["band"] != "cold"
    assert "reads cold" not in kith(path, "paths", "--to", "xu@client.com", "--as-of", "latest").stdout


def test_paths_to_an_address_held_for_review_say_why_there_are_none(tmp_path):
    from kith.graph.model import Person, ReviewItem

    path = tmp_path / "kith.db"
    store = SQLiteStore.open(path)
    home = Person("p_fayhome", name="Fay", emails=["fay.home@aol.com"], provenance=PROV)
    store.upsert_people([FAY, home])
    write(store, *[meeting(f"fh{n}", [FAY, home], NOW - (5 + n) * DAY) for n in range(3)])
    store.add_review_items([ReviewItem(FAY.id, home.id, 0.95, "same name", NOW)])
    store.close()
    run = kith(path, "paths", "--to", "fay.home@aol.com")
    assert run.returncode == 1
    assert "colleague's own address" in run.stderr and "kith review" in run.stderr
