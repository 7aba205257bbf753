"""`kith experts`, `kith insights` and `kith evaluate`: ranking answers over the graph.

Resolvers only parse options, call ``graph.expertise`` / ``graph.insights`` / ``graph.evaluate`` and
print; the ranking lives there. With ``--json`` each prints a JSON list (``evaluate``: one object) in
which every person carries ``name`` and ``emails``.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from kith.api.cli.context import AsJson, AsOf, err, out, parse_when, print_json, settings_of, store_of
from kith.graph.errors import KithError, NotFound

if TYPE_CHECKING:
    from kith.graph import evaluate as backtest

KINDS = ("going-cold", "single-threaded", "job-change", "client-tier", "reconnect")


def _day(epoch: int | None) -> str:
    return "" if epoch is None else datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d")


def experts(
    ctx: typer.Context,
    topic: Annotated[str, typer.Argument(help="What to find people for, in any language, e.g. \"export controls\".")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many people.")] = 10,
    as_of: AsOf = None,
    to: Annotated[
        str | None, typer.Option("--to", help="Email of someone to reach: rank experts with a warm path to them.")
    ] = None,
    everyone: Annotated[bool, typer.Option("--everyone", help="Rank outside contacts too, not only colleagues.")] = False,
    explain: Annotated[bool, typer.Option("--explain", help="Show why: the score's topical, role and recency parts.")] = False,
    as_json: AsJson = False,
) -> None:
    """Who knows about TOPIC, judged by the mail, meetings, notes and deals they took part in."""
    from kith.graph import expertise
    from kith.ingest.identity.lookup import person_by_email

    store = store_of(ctx)
    when = parse_when(as_of)
    said = expertise.notice(settings_of(ctx).privacy)  # metadata privacy: ranked from subjects only
    if said:
        (err if as_json else out).print(said, highlight=False)  # --json keeps stdout the list
    if to is not None:
        target = person_by_email(store, to)
        if target is None:
            raise NotFound(f"No person has the address {to}. Check the spelling, or leave out --to.")
        joined = expertise.experts_with_path(store, topic, target, limit=limit, as_of=when,
                                             internal_only=not everyone)
        people = store.get_people({pid for j in joined for pid in j.path.people})
        rows = []
        for j in joined:
            row = j.as_dict()
            row["path"]["people"] = [
                {"id": pid, "name": people[pid].name if pid in people else "",
                 "emails": list(people[pid].emails) if pid in people else []}
                for pid in j.path.people
            ]
            rows.append(row)
        if as_json:
            print_json(rows)
            return
        if not rows:
            out.print(f"Nobody who knows about {topic!r} has a warm path to {to}.")
            return
        table = Table("#", "name", "emails", "score", "expertise", "path", title=f"{topic} — with a path to {to}")
        for n, r in enumerate(rows, 1):
            path = " → ".join(p["name"] or p["id"] for p in r["path"]["people"])
            table.add_row(str(n), r["name"], ", ".join(r["emails"]), f"{r['score']:.2f}", f"{r['expertise']:.2f}", path)
        out.print(table)
        return

    ranked = [e.as_dict() for e in expertise.experts(store, topic, limit=limit, as_of=when, internal_only=not everyone)]
    if as_json:
        print_json(ranked)
        return
    if not ranked:
        out.print(f"Nobody found for {topic!r}.")
        return
    why = ("topical", "role", "recency") if explain else ()
    table = Table("#", "name", "emails", "score", *why, "docs", "evidence", title=f"Who knows about {topic}")
    for n, r in enumerate(ranked, 1):
        evidence = "\n".join(f"{_day(e['occurred_at'])} {e['kind']} ({e['role']}, {e['weight']:.0%}): "
                             f"{e['snippet'] or '(' + e['id'] + ')'}" if explain else
                             f"{_day(e['occurred_at'])} {e['kind']}: {e['snippet'] or '(' + e['id'] + ')'}"
                             for e in r["evidence"])
        table.add_row(str(n), r["name"], ", ".join(r["emails"]), f"{r['score']:.2f}",
                      *(f"{r['parts'][k]:.2f}" for k in why), str(r["documents"]), evidence)
    out.print(table)


def insights(
    ctx: typer.Context,
    as_of: AsOf = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many of each kind.")] = 20,
    kind: Annotated[
        list[str] | None, typer.Option("--kind", help=f"Only these kinds (repeatable): {', '.join(KINDS)}.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Relationships going cold, single-threaded clients, job changes, client tiers and who to reconnect with."""
    from kith.graph import insights as findings

    for k in kind or ():
        if k not in KINDS:
            raise KithError(f"--kind {k!r} is not one of {', '.join(KINDS)}.")
    found = findings.insights(store_of(ctx), as_of=parse_when(as_of), limit=limit)
    rows = [r for r in found.as_list() if not kind or r["kind"] in kind]
    if as_json:
        print_json(rows)
        return
    if not rows:
        out.print("Nothing to report.")
        return
    wanted = set(kind or KINDS)
    if "going-cold" in wanted and found.going_cold:
        table = Table("colleague", "contact", "was", "now", "silent (days)", title="Going cold")
        for c in found.going_cold:
            table.add_row(c.colleague.name, _who(asdict(c.contact)), f"{c.past_score:.0f}", f"{c.score:.0f}",
                          str(c.days_silent))
        out.print(table)
    if "single-threaded" in wanted and found.single_threaded:
        table = Table("organisation", "held by", "share", "total strength", "colleagues", title="Single-threaded clients")
        for s in found.single_threaded:
            table.add_row(s.org_name or s.org_id, s.holder.name, f"{s.share:.0%}", f"{s.total:.0f}", str(s.colleagues))
        out.print(table)
    if "job-change" in wanted and found.job_changes:
        table = Table("person", "from", "to", "since", title="Job changes")
        for j in found.job_changes:
            table.add_row(_who(asdict(j.person)), f"{j.from_title} at {j.from_org or j.from_org_id}".strip(),
                          f"{j.to_title} at {j.to_org or j.to_org_id}".strip(), _day(j.at))
        out.print(table)
    if "client-tier" in wanted and found.client_tiers:
        table = Table("organisation", "tier", "last contact (days)", "touches", "won", "R/F/M", title="Client tiers")
        for t in found.client_tiers:
            table.add_row(t.org_name or t.org_id, t.tier, "" if t.recency_days is None else f"{t.recency_days:.0f}",
                          f"{t.frequency:.0f}", f"{t.monetary:,.0f}", "/".join(map(str, t.rfm)))
        out.print(table)
    if "reconnect" in wanted and found.reconnect:
        table = Table("colleague", "contact", "why", title="Reconnect")
        for r in found.reconnect:
            table.add_row(r.colleague.name, _who(asdict(r.contact)), r.reason)
        out.print(table)


def _who(person: dict) -> str:
    return f"{person['name']} <{person['emails'][0]}>" if person["emails"] else person["name"]


def evaluate(
    ctx: typer.Context,
    split_at: Annotated[
        str | None, typer.Option("--split-at", help="Split the timeline here (date); default: at --quantile.")
    ] = None,
    # Defaults are graph.evaluate's (imported when the command runs, not for --help).
    quantile: Annotated[float | None, typer.Option(
        "--quantile", help="Split at this quantile of the message dates, 0-1 (default 0.8).")] = None,
    k: Annotated[int | None, typer.Option("--k", help="The k of precision@k (default 100).")] = None,
    fit: Annotated[bool, typer.Option(
        "--fit", help="Fit the strength weights on an earlier window, check them on the later one, and write "
                      "them to the config file if better.")] = False,
    as_json: AsJson = False,
) -> None:
    """Backtest: does strength before a split predict who is in touch after it? Beside recency, frequency and tenure."""
    if ctx.invoked_subcommand:  # `kith evaluate experts ...`
        return
    from kith.graph import evaluate as backtest
    from kith.graph.settings import save_strength_weights
    from kith.graph.strength import FITTED, weights_from

    quantile = backtest.DEFAULT_QUANTILE if quantile is None else quantile
    k = backtest.DEFAULT_K if k is None else k
    settings = settings_of(ctx)
    weights = weights_from(settings)
    when = parse_when(split_at, "--split-at")
    items = list(backtest.load_interactions(store_of(ctx)).values())
    if not fit:
        result = backtest.backtest(backtest.protocol(items, split_at=when, quantile=quantile), k=k, weights=weights)
        if as_json:
            print_json(result.as_dict())
        else:
            _show_backtest(result)
        return
    from kith.graph.fit import fit_and_check

    found = fit_and_check(items, weights, split_at=when, quantile=quantile, k=k)
    written = {n: getattr(found.weights, n) for n in ("intercept", *FITTED)}
    path = save_strength_weights(written) if found.better else None
    if as_json:
        print_json({"weights": written, "written_to": path and str(path), "fit_split_at": found.fit_split_at,
                    "before": found.before.as_dict(), "after": found.after.as_dict()})
        return
    _show_backtest(found.after)
    out.print(f"Fitted on the pairs before {_day(found.fit_split_at)} (labelled by contact up to "
              f"{_day(found.after.split_at)}), checked after it: AUC {_auc(found.before.model)} with the weights "
              f"in use, {_auc(found.after.model)} fitted.")
    if path is None:
        out.print("The fitted weights do no better on the later window: kept the weights in use, wrote nothing.")
        return
    out.print(f"Wrote strength_weights to {path}: " + ", ".join(f"{n} {v:g}" for n, v in written.items()))
    if "KITH_STRENGTH_WEIGHTS" in os.environ:
        out.print("KITH_STRENGTH_WEIGHTS is set and overrides the config file: unset it to use the fitted weights.")


def _show_backtest(result: backtest.Backtest) -> None:
    out.print(f"Split at {_day(result.split_at)}: {result.pairs:,} pairs in touch before, {result.positives:,} of them "
              f"again after ({result.new_pairs:,} new pairs after are not scored; {result.ignored_dates:,} "
              f"interactions dated before 1990 or after tomorrow ignored).")
    table = Table("scorer", "ROC AUC", "95 % interval", f"precision@{result.k}")
    for name, f in (("strength model", result.model), *((f"{n} only", f) for n, f in result.baselines.items())):
        interval = "n/a" if f.auc_low is None else f"{f.auc_low:.3f}-{f.auc_high:.3f}"
        table.add_row(name, _auc(f), interval, "n/a" if f.precision_at_k is None else f"{f.precision_at_k:.3f}")
    out.print(table)


def _auc(f: backtest.Figures) -> str:
    return "n/a" if f.auc is None else f"{f.auc:.3f}"
