"""Strength against its single-signal baselines on the future-interaction protocol, with intervals.

    python bench/evaluate.py [--k 100] [--refit]

Sets: the three SNAP temporal networks in ../shared/corpora/snap_temporal_networks (EU research
institution email, DNC email, college messages; converted by ingest.snap), and the `kith demo` firm
(built into a temporary folder). Each is split at the 80th percentile of its message dates by
graph.evaluate.protocol, the one protocol `kith evaluate` runs. For each set it prints pairs,
positives, then ROC AUC [95 % bootstrap interval] and P@k of: Kith's shipped default weights, the
model before issue #14 (a hand-set formula, for comparison), Kith without its group-size rule (what the
one-to-many rule costs), and recency, frequency and tenure alone. Then held-out figures on the
networks: weights fitted (graph.fit) on the other two networks, scored on the third.
``--refit`` prints the weights fitted on all three, the way the shipped defaults were made.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kith.graph.evaluate import (Protocol, baselines, bootstrap_aucs, figures_of, interval, load_interactions,  # noqa: E402
                            protocol, roc_auc)
from kith.graph.model import Interaction  # noqa: E402
from kith.graph.strength import DAY, DEFAULT_WEIGHTS, Weights, columns, score_columns  # noqa: E402
from kith.ingest.snap import read_snap  # noqa: E402

SNAP = ROOT.parent / "shared" / "corpora" / "snap_temporal_networks"
# name, file, start of the recording for files whose times are offsets from it (email-Eu-core: ~Oct 2003)
NETWORKS = (("EU email", "email-Eu-core-temporal.txt", 1_064_966_400),
            ("DNC email", "dnc-temporalGraph.txt", None),
            ("college messages", "CollegeMsg.txt", None))


def snap_histories() -> dict[str, list[Interaction]]:
    """The interactions of each SNAP network found."""
    found = {}
    for name, file, start in NETWORKS:
        path = SNAP / file
        if not path.exists():
            print(f"({name}: {path} not found, skipped)")
            continue
        found[name] = read_snap(path, prefix=file.split("-")[0], start_at=start).interactions
    return found


def snap_sets() -> dict[str, Protocol]:
    return {name: protocol(items) for name, items in snap_histories().items()}


def demo_items(folder: Path) -> list[Interaction]:
    """The interactions of the `kith demo` firm, built into ``folder``."""
    from kith.api.cli.demo import build_demo
    from kith.graph.settings import Settings
    from kith.graph.sqlite_store import SQLiteStore

    db = folder / "demo.db"
    build_demo(Settings(db=db), db)
    store = SQLiteStore.open(db)
    try:
        return list(load_interactions(store).values())
    finally:
        store.close()


def demo_set(folder: Path) -> Protocol:
    return protocol(demo_items(folder))


def before_issue_14(cols: dict[str, np.ndarray], now: int) -> np.ndarray:
    """The strength formula Kith shipped before #14 (hand-set weights), kept here only to compare."""
    vol = cols["email_weight"] + cols["meeting_weight"] * 3 + cols["calls"] * 2 + cols["notes"] * 0.5
    frequency = 1 - np.exp(-vol / 12)
    mutual = cols["meetings"] + cols["calls"]
    high = np.maximum(cols["emails_ab"], cols["emails_ba"]) + mutual
    low = np.minimum(cols["emails_ab"], cols["emails_ba"]) + mutual
    reciprocity = np.where(high > 0, low / np.where(high > 0, high, 1), 0.0)
    replies, sent = cols["replies_ab"] + cols["replies_ba"], cols["emails_ab"] + cols["emails_ba"]
    hours = (cols["reply_hours_ab"] + cols["reply_hours_ba"]) / np.where(replies > 0, replies, 1)
    share = np.minimum(1.0, replies / np.where(sent > 0, sent, 1))
    responsiveness = np.where((replies > 0) & (sent > 0), share * 24 / (24 + hours), 0.0)
    tenure = np.minimum(1.0, np.nan_to_num(cols["last_at"] - cols["first_at"]) / (365 * DAY))
    recency = 0.5 ** (np.maximum(0, now - cols["last_at"]) / DAY / 90)
    base = 0.45 * frequency + 0.2 * reciprocity + 0.15 * responsiveness + 0.2 * tenure
    return 100 * base * (0.25 + 0.75 * recency)


def scorers(found: Protocol, weights: Weights = DEFAULT_WEIGHTS) -> dict[str, np.ndarray]:
    cols, t = columns(found.edges), found.split_at
    return {
        "Kith (default)": score_columns(cols, t, weights),
        "Kith before #14": before_issue_14(cols, t),
        "Kith, no group rule": score_columns(cols, t, replace(weights, group_size=0.0)),
        **{f"{name} only": scores for name, scores in baselines(cols, t).items()},
    }


def margin(found: Protocol, scores: dict[str, np.ndarray]) -> str:
    """Kith minus the best single signal, with the paired bootstrap interval of the difference."""
    best = max((n for n in scores if n.endswith(" only")), key=lambda n: roc_auc(scores[n], found.labels))
    diff = roc_auc(scores["Kith (default)"], found.labels) - roc_auc(scores[best], found.labels)
    low, high = interval(bootstrap_aucs(scores["Kith (default)"], found.labels)
                         - bootstrap_aucs(scores[best], found.labels))
    return f"Kith - {best}: {diff:+.3f} [{low:+.3f}, {high:+.3f}] (paired)"


def show(name: str, found: Protocol, k: int) -> None:
    print(f"\n{name}: split at {time.strftime('%Y-%m-%d', time.gmtime(found.split_at))}, {len(found.pairs):,} pairs, "
          f"{found.positives:,} positive ({found.positives / len(found.pairs):.1%}), {found.ignored_dates:,} "
          f"dates ignored")
    print(f"  {'scorer':<22}{'ROC AUC':>8}  {'95 % interval':<15}{f'P@{k}':>7}")
    scores = scorers(found)
    for label, f in figures_of(scores, found.labels, k).items():
        print(f"  {label:<22}{f.auc:>8.3f}  [{f.auc_low:.3f}, {f.auc_high:.3f}]{f.precision_at_k:>7.3f}")
    print(f"  {margin(found, scores)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--k", type=int, default=100)
    ap.add_argument("--refit", action="store_true", help="print the weights fitted on all three networks")
    args = ap.parse_args()
    from kith.graph.fit import fit_weights

    t = time.perf_counter()
    sets = snap_sets()
    print(f"converted and split the networks in {time.perf_counter() - t:.1f} s")
    for name, found in sets.items():
        show(name, found, args.k)
    with tempfile.TemporaryDirectory(prefix="kith-bench-evaluate-") as folder:
        show("kith demo firm", demo_set(Path(folder)), args.k)

    if len(sets) == len(NETWORKS):
        print("\nheld out: weights fitted on the other two networks, scored on this one")
        for name, found in sets.items():
            weights = fit_weights([h for n, h in sets.items() if n != name])
            scores = scorers(found, weights)
            model = figures_of({"Kith": scores["Kith (default)"]}, found.labels, args.k)["Kith"]
            print(f"  {name:<18} AUC {model.auc:.3f} [{model.auc_low:.3f}, {model.auc_high:.3f}]; "
                  f"{margin(found, scores)}")
        if args.refit:
            print("\nfitted on all three (the shipped defaults):", fit_weights(list(sets.values())))


if __name__ == "__main__":
    main()
