"""Expert-finding quality on the development sets, Kith beside two baselines, in one run.

    python bench/experts_quality.py [--per-topic] [--sets se,firm:1,firm:2,firm:3,firm:4,firm:5]

Sets: ``se``, the Stack Exchange coffee dump (../shared/corpora/stackexchange_coffee/Posts.xml)
through ``ingest.stackexchange``; ``firm:SEED``, the generated firm of ``bench/expert_firm.py`` drawn
with that seed (seeds 1-5 were fixed before the firm's noise was written and any ranking was tuned
on it; report them all: one draw of twelve topics varies by a few hundredths). Each is ingested
as mail into a fresh SQLite store in ``topics``, ``full`` and ``metadata`` privacy, then ranked by
``graph.expert_eval`` (NDCG@10, MAP, P@5 for Kith, BM25 document-sum and most-active; BM25 reads the
same stored text, subjects alone in ``metadata``).
Targets: Kith >= BM25 + 0.05 NDCG@10 and >= most-active, on every set, in ``topics`` and ``full``;
``metadata`` (subjects only) is reported without a target.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from kith.graph import expert_eval  # noqa: E402
from kith.graph.settings import load_settings  # noqa: E402
from kith.graph.sqlite_store import SQLiteStore  # noqa: E402
from kith.ingest.email.pipeline import ingest_email  # noqa: E402

SE_POSTS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "stackexchange_coffee" / "Posts.xml"


def build(name: str, folder: Path) -> tuple[Path, Path, str]:
    if name == "se":
        from kith.ingest.stackexchange import convert

        convert(SE_POSTS, folder)
        return folder / "mail.mbox", folder / "labels.json", "coffee.example"
    import expert_firm

    mbox, labels = expert_firm.write(folder, seed=int(name.partition(":")[2] or 1))
    return mbox, labels, expert_firm.DOMAIN


def run(mode: str, mbox: Path, labels: Path, domain: str, folder: Path) -> expert_eval.Report:
    db = folder / f"{mode}.db"
    store = SQLiteStore.open(db)
    settings = load_settings(privacy=mode, internal_domains=[domain], db=db, neo4j_uri="")
    ingest_email(store, settings, [mbox], workers=1)
    return expert_eval.evaluate(store, expert_eval.read_labels(labels), privacy=settings.privacy)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="se,firm:1,firm:2,firm:3,firm:4,firm:5")
    parser.add_argument("--modes", default="topics,full,metadata")
    parser.add_argument("--per-topic", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.sets.split(","):
            folder = Path(tmp) / name.replace(":", "-")
            mbox, labels, domain = build(name, folder)
            for mode in args.modes.split(","):
                r = run(mode, mbox, labels, domain, folder)
                print(f"\n{name} / {mode}: {r.topics} topics, {r.labels} labels, {r.unknown} unknown addresses")
                print(f"  {'scorer':<12} {'NDCG@10':>8} {'MAP':>7} {'P@5':>7}")
                for scorer, f in r.scorers.items():
                    print(f"  {scorer:<12} {f.ndcg10:8.3f} {f.map:7.3f} {f.p5:7.3f}")
                k, b, a = (r.scorers[s].ndcg10 for s in expert_eval.SCORERS)
                target = " (no target: subjects only)" if mode == "metadata" else ""
                print(f"  kith - bm25 = {k - b:+.3f}{target or ' (target >= +0.050)'}; "
                      f"kith - most active = {k - a:+.3f}{target or ' (target >= 0)'}")
                if args.per_topic:
                    for topic, row in r.per_topic.items():
                        print("   ", f"{topic:<28}", " ".join(f"{row[s]:.2f}" for s in expert_eval.SCORERS))


if __name__ == "__main__":
    main()
