"""`kith evaluate experts` and `kith evaluate stackexchange`: check the expert ranking on labelled data.

``evaluate`` itself stays the strength backtest (``cli_insights.evaluate``, this group's default)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from kith.api.cli.context import AsJson, AsOf, out, parse_when, print_json, settings_of, store_of


def experts(
    ctx: typer.Context,
    labels: Annotated[Path, typer.Argument(help='JSON labels: {"topic": {"person@firm.com": 3, ...}} (grades 1-3).')],
    everyone: Annotated[bool, typer.Option("--everyone", help="Rank outside contacts too, not only colleagues.")] = False,
    as_of: AsOf = None,
    per_topic: Annotated[bool, typer.Option("--per-topic", help="Also print NDCG@10 per topic.")] = False,
    as_json: AsJson = False,
) -> None:
    """How well `kith experts` ranks your labelled topics: NDCG@10, MAP and P@5 beside BM25 and most-active."""
    from kith.graph import expert_eval

    graded = expert_eval.read_labels(labels)  # the user's own file is checked before the store is opened
    report = expert_eval.evaluate(store_of(ctx), graded, internal_only=not everyone, now=parse_when(as_of),
                                  privacy=settings_of(ctx).privacy)
    if as_json:
        print_json(report.as_dict())
        return
    out.print(f"{report.topics} topics, {report.labels} labels"
              + (f" ({report.unknown} addresses not in the store)" if report.unknown else ""))
    table = Table("scorer", "NDCG@10", "MAP", "P@5")
    for name, f in report.scorers.items():
        table.add_row(name, f"{f.ndcg10:.3f}", f"{f.map:.3f}", f"{f.p5:.3f}")
    out.print(table)
    if report.notice:
        out.print(report.notice, highlight=False)
    if per_topic:
        table = Table("topic", *expert_eval.SCORERS, title="NDCG@10 per topic")
        for topic, row in report.per_topic.items():
            table.add_row(topic, *(f"{row[s]:.3f}" for s in expert_eval.SCORERS))
        out.print(table)


def stackexchange(
    posts: Annotated[Path, typer.Argument(help="A Stack Exchange dump's Posts.xml.")],
    out_dir: Annotated[Path, typer.Argument(help="Folder to write mail.mbox and labels.json into.")],
    domain: Annotated[str, typer.Option("--domain", help="The domain of every user's address.")] = "coffee.example",
    min_questions: Annotated[int, typer.Option("--min-questions", help="Tags with fewer questions are not topics.")] = 3,
    as_json: AsJson = False,
) -> None:
    """Turn a Stack Exchange Posts.xml into mail and expert labels, to try `evaluate experts` on."""
    from kith.ingest.stackexchange import convert

    done = convert(posts, out_dir, domain=domain, min_questions=min_questions)
    if as_json:
        print_json({"mails": done.mails, "topics": done.topics, "labelled_people": done.labelled_people,
                    "mbox": str(out_dir / "mail.mbox"), "labels": str(out_dir / "labels.json")})
        return
    out.print(f"{done.mails} mails and {done.topics} labelled topics ({done.labelled_people} people) in {out_dir}. "
              f"Next: KITH_INTERNAL_DOMAINS={domain} kith ingest email {out_dir / 'mail.mbox'}; "
              f"kith evaluate experts {out_dir / 'labels.json'}")
