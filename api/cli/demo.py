"""`kith demo`: a sample firm (colleagues, clients, threaded mail, meetings, deals with roles, notes),
ingested into its own embedded store, a demo admin token, and the API served with example queries.

``build_demo`` is the same generator for the API tests and the load benchmark (``scale`` multiplies
every size). Deterministic for a seed.
"""

from __future__ import annotations

import random
import shlex
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from kith.api.cli.context import AsJson, out, print_json, settings_of
from kith.api.cli.ingest import show_report, with_progress

if TYPE_CHECKING:  # the generator and the readers are imported when a demo is built (spaCy is heavy)
    from kith.api.settings import ApiSettings
    from kith.graph.settings import Settings
    from kith.ingest.report import RunReport
    from kith.ingest.synthetic import Firm

AnySettings = TypeVar("AnySettings", bound="Settings")

DEMO_MESSAGES = 6000
DEMO_USER = "demo"
NOTES = ["Prefers calls before 10am; travels to Singapore monthly.",
         "Asked for a short memo on {topic} before the board meeting.",
         "Daughter starts university in the autumn; mentioned rowing.",
         "Unhappy with the last invoice; follow up personally about {topic}.",
         "Moving to a group role next year; keep them close on {topic}."]


@dataclass(frozen=True, slots=True)
class DemoSizes:
    colleagues: int = 40
    organizations: int = 30
    contacts_per_org: int = 8
    messages: int = DEMO_MESSAGES
    meeting_series: int = 40
    meeting_weeks: int = 12
    single_meetings: int = 150
    deals: int = 120
    notes: int = 60

    def scaled(self, factor: float) -> DemoSizes:
        """Every size times ``factor``, except contacts per organisation and weeks per series."""
        return replace(self, **{f.name: max(1, round(getattr(self, f.name) * factor)) for f in fields(self)
                                if f.name not in ("contacts_per_org", "meeting_weeks")})


@dataclass(slots=True)
class DemoFirm:
    firm: Firm
    db: Path
    reports: list[RunReport] = field(default_factory=list)


def demo_settings(settings: AnySettings, db: Path) -> AnySettings:
    from kith.ingest.synthetic import FIRM_DOMAIN

    return settings.model_copy(update={"internal_domains": [FIRM_DOMAIN], "neo4j_uri": "", "db": db})


MAIL_DAYS = 1095  # three years of mail


def build_demo(settings: Settings, db: Path, *, seed: int = 7, sizes: DemoSizes = DemoSizes(),
               on_step=None, store=None) -> DemoFirm:
    """Generate the sample firm's sources next to ``db`` and ingest them into it (or into ``store``, which
    the caller keeps open and closes)."""
    from kith.graph.sqlite_store import SQLiteStore
    from kith.ingest.calendar import ingest_calendar
    from kith.ingest.deals import ingest_deals
    from kith.ingest.email.pipeline import ingest_email
    from kith.ingest.synthetic import make_firm, write_calendar, write_corpus, write_deals_csv

    settings = demo_settings(settings, db)
    firm = make_firm(seed=seed, colleagues=sizes.colleagues, organizations=sizes.organizations,
                     contacts_per_org=sizes.contacts_per_org)
    folder = db.with_name(db.stem + "-sources")
    mail = folder / "mail"
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    # the firm's history runs up to today, so recency reads as it would on a real mailbox
    paths = write_corpus(mail, firm, sizes.messages, per_file=2000, seed=seed + 4,
                         start=today - timedelta(days=MAIL_DAYS), days=MAIL_DAYS)
    calendar = folder / "calendar.ics"
    write_calendar(calendar, firm, sizes.meeting_series, weeks=sizes.meeting_weeks, singles=sizes.single_meetings,
                   seed=seed + 6, start=today - timedelta(days=365))
    deals = folder / "deals.csv"
    write_deals_csv(deals, firm, sizes.deals, seed=seed + 10)
    own = store is None
    store = SQLiteStore.open(db) if own else store
    demo = DemoFirm(firm, db)
    try:
        step = on_step or (lambda label, run: run(None))
        demo.reports.append(step("mail", lambda progress: ingest_email(
            store, settings, paths, **({"on_progress": progress} if progress else {}))))
        demo.reports.append(ingest_calendar(store, settings, [calendar]))
        demo.reports.append(ingest_deals(store, settings, [deals]))
        _notes(store, settings, firm, sizes.notes, seed, start=today - timedelta(days=500))
    finally:
        if own:
            store.close()
    return demo


def _notes(store, settings: Settings, firm: Firm, count: int, seed: int, start: datetime) -> None:
    from kith.ingest.notes import add_note
    from kith.ingest.synthetic import TOPICS

    rng = random.Random(seed + 20)
    companies = list(firm.clients)
    for n in range(count):
        client = rng.choice(firm.clients[rng.choice(companies)])
        colleague = rng.choice(firm.colleagues)
        text = rng.choice(NOTES).format(topic=rng.choice(TOPICS))
        at = start + timedelta(days=rng.randrange(0, 500), hours=rng.randrange(0, 9))
        add_note(store, settings, client.email, colleague.email, text, int(at.timestamp()), source="kith demo",
                 create=True)  # the synthetic firm's people, whether or not its mail named them


def demo_db_path(ctx: typer.Context) -> Path:
    """The demo never writes into the user's own store unless --db names a file explicitly."""
    from kith.graph.settings import default_db_path

    explicit = ctx.find_root().params.get("db")
    return settings_of(ctx).db if explicit else default_db_path().with_name("demo.db")  # settings made it absolute


def demo_token(settings: ApiSettings, firm: Firm) -> str:
    """A fresh token for the demo admin (created, linked to the first colleague, on the first run)."""
    from kith.api.access import AccessRole, AccessStore
    from kith.graph.sqlite_store import SQLiteStore
    from kith.ingest.identity.lookup import person_by_email

    access = AccessStore(settings.access_path)
    if DEMO_USER not in {u.name for u in access.users()}:
        store = SQLiteStore.open(settings.db)
        try:
            person = person_by_email(store, firm.colleagues[0].email) or ""
        finally:
            store.close()
        access.add_user(DEMO_USER, AccessRole.ADMIN, person)
    return access.create_token(DEMO_USER, "kith demo")


def example_queries(settings: Settings, firm: Firm) -> dict[str, str]:
    """Ready-to-paste GraphQL for the demo firm, with the ids of a real contact and client filled in."""
    from kith.graph.sqlite_store import SQLiteStore
    from kith.ingest.identity.lookup import organization_by, person_by_email
    from kith.ingest.synthetic import TOPICS

    company = next(iter(firm.clients))
    contact = firm.clients[company][0]
    store = SQLiteStore.open(settings.db)
    try:
        person = person_by_email(store, contact.email) or ""
        org = organization_by(store, name=company) or ""
    finally:
        store.close()
    return {
        "search": f'{{ search(text: "{company.split()[0]}", first: 5) {{ edges {{ node {{ kind id name detail }} }} }} }}',
        "warmPaths": (f'{{ warmPaths(to: "{person}", first: 3) {{ edges {{ node {{ score introduction '
                      f'hops {{ source {{ name }} target {{ name }} strength band }} }} }} }} }}'),
        "experts": (f'{{ experts(topic: "{TOPICS[0]}", first: 5) {{ edges {{ node {{ score person {{ name emails }} '
                    f'evidence {{ kind snippet }} }} }} }} }}'),
        "accountMap": (f'{{ accountMap(organization: "{org}") {{ organization {{ name }} coverage {{ contacts known '
                       f'strong singleThreaded }} contacts(first: 10) {{ edges {{ node {{ person {{ name }} title '
                       f'bestBand ties(first: 3) {{ edges {{ node {{ person {{ name }} strength }} }} }} }} }} }} }} }}'),
    }


def demo(
    ctx: typer.Context,
    messages: Annotated[int, typer.Option(help="How many sample messages to generate.")] = DEMO_MESSAGES,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same firm.")] = 7,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the API after the ingest.")] = True,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
    as_json: AsJson = False,
) -> None:
    """Generate a sample firm, ingest it, create a demo token, and serve the API and the map with example queries."""
    db = demo_db_path(ctx)
    settings = demo_settings(settings_of(ctx), db)

    def with_bar(label, run):
        if as_json:
            return run(None)
        return with_progress(f"ingesting sample {label}", None, run)

    sizes = DemoSizes(messages=messages)
    built = build_demo(settings, db, seed=seed, sizes=sizes, on_step=with_bar)
    token = demo_token(settings, built.firm)
    queries = example_queries(settings, built.firm)
    url = f"http://{host}:{port}/graphql"
    map_url = f"http://{host}:{port}/map"
    if as_json:
        print_json({"db": str(db), "reports": [r.as_dict() for r in built.reports], "token": token, "url": url,
                    "map": map_url, "queries": queries})
    else:
        for report in built.reports:
            show_report(report, "records", False)
        _print_guide(db, token, url, queries)
        out.print(f"\nThe relationship map: [bold]{map_url}[/] (sign in with the token; search "
                  f"{next(iter(built.firm.clients)).split()[0]!r}).", highlight=False)
    if serve:
        import uvicorn

        from kith.api.app import create_app

        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning", access_log=False)


def _print_guide(db: Path, token: str, url: str, queries: dict[str, str]) -> None:
    out.print(f"\nThe demo firm is in {db}.")
    out.print(f"Demo admin token (shown once): [bold]{token}[/]\n", highlight=False)
    body = '{"query": "{ me { name role } }"}'
    out.print("Try the API (GraphiQL at the same address; put the header in its Headers panel):", highlight=False)
    out.print(f"  curl -s {url} -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' "
              f"-d {shlex.quote(body)}", highlight=False, soft_wrap=True)
    for name, query in queries.items():
        out.print(f"\n# {name}", highlight=False)
        out.print(query, highlight=False, soft_wrap=True, markup=False)
    out.print(f"\nOr from the command line: kith --db {db} paths / experts / insights", highlight=False)
