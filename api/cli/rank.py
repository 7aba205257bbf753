"""`kith paths` and `kith explain`: warm paths to a person or an organisation, and why a pair scores so.

`--to` takes an email address (that person), or an organisation by domain (acme.com) or name (Acme
Holdings): its decision makers (graph.paths.decision_makers), or everyone known to work there when no
one is known to decide. `--from` is one colleague; `--team` is a team named in the settings
(KITH_TEAMS='{"m-and-a": ["ana@firm.com", ...]}' or a [teams] table in kith.toml) or a
comma-separated list of addresses. Without either, the whole firm is the source. Recency is measured
from now unless `--as-of` names a day, or `latest` (the newest evidence in the store, for archives);
when old evidence leaves every hop cold, the output says so.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from kith.api.cli.context import AsJson, AsOf, out, parse_when, print_json, settings_of, store_of
from kith.graph.errors import KithError, NotFound

if TYPE_CHECKING:
    from kith.graph.model import Person
    from kith.graph.store import Store

PathsAsOf = Annotated[str | None, typer.Option(
    "--as-of", help="Only evidence before this date (YYYY-MM-DD or ISO time, UTC), or 'latest': as of the newest "
                    "evidence in the store (for archives). Without it, recency is measured from now.")]
COLD_AFTER = 365 * 86400  # evidence this much older than the time paths are measured at reads as cold
DAY = 86400


def paths(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help="Target: an email address, or an organisation's domain or name.")],
    source: Annotated[str | None, typer.Option("--from", help="Start from this colleague (email).")] = None,
    team: Annotated[str | None, typer.Option("--team", help="Start from a team: a name from settings, or emails a,b,c.")] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="How many paths.")] = 5,
    as_of: PathsAsOf = None,
    as_json: AsJson = False,
) -> None:
    """The warmest paths from the firm (or a colleague or team) to a person or organisation."""
    from kith.graph.network import load_network
    from kith.graph.paths import warm_paths
    from kith.graph.strength import weights_from

    settings = settings_of(ctx)
    store = store_of(ctx)
    if source and team:
        raise KithError("Use --from or --team, not both.")
    latest = load_network(store, weights=weights_from(settings)).latest
    if as_of == "latest":
        if latest is None:
            raise KithError("The store holds no relationships yet; ingest mail or meetings first.")
        at = (latest // DAY + 1) * DAY  # the day after the newest evidence, so that day counts
        as_of = _iso_day(at - DAY)
    else:
        at = parse_when(as_of)
    targets, label = resolve_targets(store, to, at)
    sources = None
    if source:
        sources = [person_of(store, source, "--from")]
    elif team:
        sources = team_of(store, settings.teams, team)
    found = warm_paths(store, targets, sources=sources, k=k, as_of=at, weights=weights_from(settings),
                       evidence=as_json)
    people = store.get_people({p for w in found for p in w.people})
    if as_json:
        print_json([_path_json(w, people) for w in found])
        return
    stale = _stale_note(latest, at, found)
    if not found:
        when = f" as of {as_of}" if as_of else ""
        refused = [p for p in store.get_people(targets).values() if p.opted_out or p.blocked]
        if refused and len(refused) == len(targets):
            raise KithError(f"{label} opted out or is blocked, so Kith suggests no path to them.")
        network = load_network(store, weights=weights_from(settings))
        if not any(network.is_usable(t) for t in targets):  # usable unless held by an open review item
            raise KithError(f"{label} may be a colleague's own address: an open review item pairs them with a "
                            f"colleague. Decide it with `kith review` (merge or reject); paths follow then.")
        raise KithError(f"No warm path to {label} within 4 hops{when}; try the whole firm (drop --from/--team) "
                        f"or ingest more mail and meetings." + (f" {stale}" if stale else ""))
    table = Table("#", "score", "path", "hops", title=f"Warm paths to {label}" + (f" as of {as_of}" if as_of else ""))
    for n, w in enumerate(found, 1):
        table.add_row(str(n), f"{w.score:.1f}", " → ".join(_name(people, p) for p in w.people),
                      " → ".join(f"{h.band} {h.strength:.0f}" for h in w.hops))
    out.print(table)
    for n, w in enumerate(found, 1):
        out.print(f"[bold]{n}.[/] {w.introduction}", highlight=False)
    if stale:
        out.print(stale, highlight=False)


def _stale_note(latest: int | None, at: int | None, found: list) -> str:
    """Why everything reads cold when it does: the evidence is old for the time paths are measured at."""
    when = at if at is not None else int(time.time())
    if latest is None or when - latest < COLD_AFTER or any(h.band != "cold" for w in found for h in w.hops):
        return ""
    years = (when - latest) / (365 * 86400)
    age = f"{years:.0f} years" if years >= 2 else f"{(when - latest) // 86400} days"
    hint = "--as-of latest measures as of then." if at is None else "a later --as-of, or --as-of latest, may help."
    return (f"Every relationship reads cold: the newest evidence in the store is from {_iso_day(latest)}, {age} "
            f"before {'now' if at is None else _iso_day(at)}, and strength fades with time since the last contact. "
            f"For an archive, {hint}")


def _iso_day(at: int) -> str:
    return datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%d")


def explain(
    ctx: typer.Context,
    a: Annotated[str, typer.Argument(help="One person's email.")],
    b: Annotated[str, typer.Argument(help="The other person's email.")],
    as_of: AsOf = None,
    as_json: AsJson = False,
) -> None:
    """Why two people's relationship scores what it does: each signal's points and the evidence."""
    from kith.graph.explain import explain as explain_pair
    from kith.graph.strength import weights_from

    settings = settings_of(ctx)
    store = store_of(ctx)
    x, y = person_of(store, a, "the first address"), person_of(store, b, "the second address")
    e = explain_pair(store, x, y, as_of=parse_when(as_of), weights=weights_from(settings))
    people = store.get_people([x, y])
    if as_json:
        print_json([{
            "a": _person_json(people, x), "b": _person_json(people, y), "score": e.score, "band": e.band,
            "signals": [{"name": s.name, "value": round(s.value, 4), "weight": s.weight, "points": round(s.points, 4)}
                        for s in e.signals],
            "evidence": e.evidence, "facts": e.facts, "as_of": as_of,
        }])
        return
    table = Table("signal", "value", "weight", "points",
                  title=f"{_name(people, x)} ↔ {_name(people, y)}: {e.score:.1f} ({e.band})")
    for s in e.signals:
        table.add_row(s.name, f"{s.value:.2f}", f"{s.weight:g}", f"{s.points:+.1f}")
    out.print(table)
    if e.evidence:
        out.print(f"Evidence (newest first): {', '.join(e.evidence)}", highlight=False)
    else:
        out.print("No personal interactions between them" + (f" before {as_of}." if as_of else "."))


# -- resolution ------------------------------------------------------------------------------------
def person_of(store: Store, email: str, what: str) -> str:
    from kith.ingest.identity.lookup import person_by_email

    found = person_by_email(store, email)
    if found is None:
        raise NotFound(f"No one with the address {email.strip()} ({what}) is in the graph; check the spelling, "
                       f"or ingest mail with them first.")
    return found


def team_of(store: Store, teams: dict[str, list[str]], team: str) -> list[str]:
    if team in teams:
        addresses = teams[team]
    elif "@" in team:
        addresses = [a for a in team.split(",") if a.strip()]
    else:
        known = ", ".join(sorted(teams)) or "none yet"
        raise KithError(f"No team named {team!r} (teams in settings: {known}); define it in KITH_TEAMS or pass "
                        f"addresses: --team ana@firm.com,ben@firm.com.")
    return [person_of(store, a, f"team {team}") for a in addresses]


def org_of(store: Store, text: str, hint: str) -> str:
    """An organisation's id from its domain or its name as ingested."""
    from kith.ingest.identity.lookup import organization_by

    org_id = organization_by(store, domain=text, name=text)
    if org_id is None:
        raise NotFound(f"No organisation with the domain or name {text.strip()!r}; {hint} as ingested "
                       "(see `kith status`).")
    return org_id


def resolve_targets(store: Store, to: str, as_of: int | None) -> tuple[list[str], str]:
    """Person ids to reach, and how to name them."""
    from kith.graph.paths import decision_makers, staff

    text = to.strip()
    if "@" in text:
        return [person_of(store, text, "--to")], text.lower()
    org_id = org_of(store, text, "--to takes an email address, a company domain (acme.com) or a company name")
    org = store.get_organizations([org_id])[org_id]
    targets = decision_makers(store, org_id, as_of=as_of) or staff(store, org_id, as_of=as_of)
    if not targets:
        raise NotFound(f"No one at {org.name} is known yet; ingest mail, contacts or deals with them first.")
    return targets, f"the decision makers at {org.name}" if decision_makers(store, org_id, as_of=as_of) else f"people at {org.name}"


# -- output ----------------------------------------------------------------------------------------
def _name(people: dict[str, Person], pid: str) -> str:
    p = people.get(pid)
    return (p.name or (p.emails[0] if p.emails else pid)) if p else pid


def _person_json(people: dict[str, Person], pid: str) -> dict:
    p = people.get(pid)
    return {"id": pid, "name": p.name if p else "", "emails": list(p.emails) if p else [],
            "internal": bool(p and p.is_internal)}


def _path_json(w, people: dict[str, Person]) -> dict:
    return {
        "score": w.score,
        "people": [_person_json(people, p) for p in w.people],
        "hops": [{"from": _person_json(people, h.source), "to": _person_json(people, h.target),
                  "strength": h.strength, "band": h.band, "signals": {n: round(v, 4) for n, v in h.signals.items()},
                  "evidence": h.evidence} for h in w.hops],
        "introduction": w.introduction,
    }
