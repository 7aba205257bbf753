"""Relationship strength: a 0-100 score for one pair, from the signals on its KNOWS edge.

The score is the chance, in %, that the pair is in touch again (the future-interaction protocol of
``graph.evaluate``), by a logistic model fitted on real timestamped communication (``graph.fit``):

    score = 100 x sigmoid(intercept + sum(weight_s x signal_s)) x exp(-group_size x group_signal)

Signals (each 0 when there is no evidence for it, so missing evidence is never a penalty):
- recency: -ln(1 + days since the last contact): 0 today, -3.4 after a month (ten years if unknown).
- person recency: the same of the days since the quieter of the two was last in touch with anyone
  (``active_at``: each person's newest contact over all their KNOWS edges, the earlier of the two): a
  pair goes quiet when one side goes quiet. It is never below recency; with only the pair's own edge
  to go by, it equals recency.
- frequency: ln(1 + volume), channel-weighted: an email ``email`` (1), a meeting ``meeting`` (3), a
  call ``call`` (2), a note about someone ``note`` (0.5); contact in groups above ``group_free`` (20)
  people counts group_free / size (a cc of a few is not dampened: measured, dampening it cost AUC).
  More contact never lowers it.
- reciprocity: (smaller direction + mutual) / (larger direction + mutual + ``reciprocity_shrink``),
  meetings and calls counting as mutual: one message each way scores 1/3, six each way 3/4, so a
  single exchange matters little.
- responsiveness: the share of messages answered, discounted by mean reply latency (a one-day mean
  halves it); 0 without reply links.
- tenure: ln(1 + days from the first contact to the last).
- group size: ln(mean group size / group_free) above group_free, times the one-way share of the
  pair's traffic (1 - smaller / larger direction). A rule, not a fit: a one-to-many sender (a daily
  digest to 50, a big list) gets little strength toward each recipient (group_size 2.5: a digest to
  40 keeps 18 % of its chance, to 80 3 %; a year of daily digests to 50 scores weak), though by the
  future-interaction measure the next digest is certain. A list both people write to is not dampened.
  Measured cost (bench/evaluate.py, "no group rule"): EU 0.831 -> 0.825, DNC 0.829 -> 0.820 AUC.
No evidence at all scores 0. Bulk and automated mail never reaches a KNOWS edge (graph.knows).
Bands name the chance: strong >= 50 (better than even), medium >= 25 (one in four), weak >= 10,
cold below one in ten. The intercept is each fitted network's own odds of talking again, averaged,
and those windows run from a week to four months, so read a score as the chance of contact in the
coming weeks. Measured (bench/evaluate.py, weights fitted before each split, scored after it), mean
score / observed % in touch again, strong, medium, weak, cold: EU 74/75, 37/35, 16/19, 7/10; DNC
72/65, 37/27, 17/13, 5/6; college, where 5 % talk again against 27-36 % on the others, over-predicts
(64/29, 34/10, 16/3, 7/1); demo firm 69/58, 36/16, 16/19, 3/14. Each band is in touch more often than
the next but for the demo's medium and weak; the level holds only where the window is alike. On the
demo as of its newest evidence 74 % of pairs are cold (87.5 % with the old bands, strong >= 60,
medium >= 35, weak >= 15), and they are: median last contact 457 days before, one message. Three
meetings a month ago, all on one day, scores 12.5 (weak) when neither has been in touch with anyone
since; spread over the month before, 26.4 (medium); and that, with both in touch with others
yesterday, 45.9 (medium). One email fifteen months ago scores 0.6 (cold). (tests/ranking/test_strength.py.)

``contributions`` splits a score exactly into points: ``baseline`` (100 x sigmoid(intercept)); per
fitted signal, its log-odds (weight x signal) times the secant slope of the sigmoid between the
intercept and the pair's log-odds (so they share out the sigmoid's rise exactly, each with the sign
of its log-odds); and ``group_size``, what the one-to-many rule took off. They sum to the score.
``score_columns`` is the same model over numpy columns, so the in-memory network scores millions of
edges at once (tests pin it to ``signals``). Settings override any weight (``weights_from``);
``kith evaluate --fit`` fits them to the firm's own history.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING

import numpy as np

from kith.graph.errors import KithError
from kith.graph.model import KNOWS_COUNTERS, Knows

if TYPE_CHECKING:
    from kith.graph.settings import Settings

DAY = 86_400
STRONG, MEDIUM, WEAK = 50.0, 25.0, 10.0  # chance of contact in %: better than even, one in four, one in ten
BANDS = ((STRONG, "strong"), (MEDIUM, "medium"), (WEAK, "weak"), (0.0, "cold"))
UNKNOWN_AGE_DAYS = 3650.0  # a pair with no dated contact counts as ten years silent
FITTED = ("recency", "person_recency", "frequency", "reciprocity", "responsiveness", "tenure")  # graph.fit fits these
SIGNALS = (*FITTED, "group_size")
MAX_GROUP = 1e6  # people a message at most: a smaller share of one is rounding, and inf x 0 would be NaN


@dataclass(frozen=True, slots=True)
class Weights:
    # Fitted (graph.fit: per-network intercepts, weights >= 0; `bench/evaluate.py --refit`) on three
    # public timestamped networks converted by ingest.snap (SNAP email-Eu-core-temporal, DNC email,
    # CollegeMsg), each cut at the 80th percentile of its message dates and fitted on the pairs before
    # its 60th (labelled by contact up to the cut), so nothing after the cut is seen. AUC [95 %
    # interval] after the cut with these weights / best single signal: EU 0.825 [0.815, 0.835] /
    # tenure 0.808; DNC 0.820 [0.804, 0.836] / frequency 0.788; college 0.790 [0.770, 0.810] /
    # recency 0.764; held out (fitted on the other two) 0.824 / 0.816 / 0.767. No public set has reply
    # links, so responsiveness has no weight until `kith evaluate --fit` finds some.
    intercept: float = -0.4808
    recency: float = 0.4988
    person_recency: float = 0.3136
    frequency: float = 0.5752
    reciprocity: float = 0.0  # measured harmful at a given volume on all three: dropped by the fit
    responsiveness: float = 0.0
    tenure: float = 0.268
    group_size: float = 2.5  # a rule (see the module docstring), not fitted
    group_free: float = 20.0
    reciprocity_shrink: float = 2.0
    email: float = 1.0
    meeting: float = 3.0
    call: float = 2.0
    note: float = 0.5
    reply_half_hours: float = 24.0


DEFAULT_WEIGHTS = Weights()


def weights_from(settings: Settings) -> Weights:
    """The weights the settings choose: any ``strength_weights`` overrides over the defaults."""
    names = {f.name for f in fields(Weights)}
    unknown = sorted(set(settings.strength_weights) - names)
    if unknown:
        raise KithError(f"Unknown strength weight {', '.join(unknown)} in KITH_STRENGTH_WEIGHTS; "
                        f"known weights are {', '.join(sorted(names))}.")
    w = replace(DEFAULT_WEIGHTS, **settings.strength_weights)
    if any(getattr(w, f.name) < 0 for f in fields(w) if f.name != "intercept"):
        raise KithError("Strength weights must be >= 0 (only the intercept may be negative); "
                        "fix KITH_STRENGTH_WEIGHTS or strength_weights in kith.toml.")
    if w.group_free < 1 or w.reply_half_hours <= 0:
        raise KithError("Strength group_free must be >= 1 and reply_half_hours > 0; "
                        "fix KITH_STRENGTH_WEIGHTS or strength_weights in kith.toml.")
    return w


@dataclass(frozen=True, slots=True)
class Signals:
    """Each signal's value (see the module docstring) and the score they make."""

    recency: float
    person_recency: float
    frequency: float
    reciprocity: float
    responsiveness: float
    tenure: float
    group_size: float
    score: float

    @property
    def band(self) -> str:
        return band(self.score)

    def as_dict(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def band(score: float) -> str:
    return next(name for threshold, name in BANDS if score >= threshold)


def columns(edges: Sequence[Knows]) -> dict[str, np.ndarray]:
    """The Knows counters as float columns, ``first_at``/``last_at`` NaN when unknown, and ``active_at``
    (``quieter_active_at``), which reads each person's activity from these edges: pass them all."""
    def num(v: float | None) -> float:
        return np.nan if v is None else float(v)

    cols = {c: np.array([num(getattr(k, c)) for k in edges], dtype=float)
            for c in ("first_at", "last_at", *KNOWS_COUNTERS)}
    index: dict[str, int] = {}
    a = np.array([index.setdefault(k.a, len(index)) for k in edges], dtype=np.int64)
    b = np.array([index.setdefault(k.b, len(index)) for k in edges], dtype=np.int64)
    cols["active_at"] = quieter_active_at(a, b, cols["last_at"])
    return cols


def quieter_active_at(a: np.ndarray, b: np.ndarray, last_at: np.ndarray) -> np.ndarray:
    """Per edge between people ``a[i]`` and ``b[i]`` (integer indices), when the less recently active of
    the two was last in touch with anyone: each person's newest ``last_at`` over all their edges, the
    earlier of the pair's two. NaN when either has none dated (then the pair has no dated contact either)."""
    if not len(a):
        return np.zeros(0)
    latest = np.full(int(max(a.max(), b.max())) + 1, -np.inf)
    dated = np.where(np.isnan(last_at), -np.inf, last_at)
    np.maximum.at(latest, a, dated)
    np.maximum.at(latest, b, dated)
    quieter = np.minimum(latest[a], latest[b])
    return np.where(np.isfinite(quieter), quieter, np.nan)


def signal_columns(cols: Mapping[str, np.ndarray], now: int, w: Weights = DEFAULT_WEIGHTS) -> dict[str, np.ndarray]:
    """Each signal of many edges, plus ``evidence`` (whether there is any contact at all)."""
    emails = cols["emails_ab"] + cols["emails_ba"]
    volume = emails * w.email + cols["meetings"] * w.meeting + cols["calls"] * w.call + cols["notes"] * w.note
    mutual = cols["meetings"] + cols["calls"]
    high = np.maximum(cols["emails_ab"], cols["emails_ba"]) + mutual
    low = np.minimum(cols["emails_ab"], cols["emails_ba"]) + mutual
    first, last = cols["first_at"], cols["last_at"]
    age_days, person_age_days = (np.where(np.isnan(t), UNKNOWN_AGE_DAYS, np.clip((now - np.nan_to_num(t)) / DAY, 0,
                                                                                 UNKNOWN_AGE_DAYS))
                                 for t in (last, np.fmax(cols.get("active_at", last), last)))
    span_days = np.where(np.isnan(first) | np.isnan(last), 0.0, np.maximum(0, np.nan_to_num(last - first)) / DAY)
    shares = cols["email_weight"] + cols["meeting_weight"]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        group = np.minimum(np.where(shares > 0, (emails + cols["meetings"]) / np.where(shares > 0, shares, 1), 1.0),
                           MAX_GROUP)
        crowd = np.minimum(1.0, w.group_free / np.maximum(group, 1.0))
        one_way = np.where(high > 0, 1 - low / np.where(high > 0, high, 1), 0.0)
        group_size = np.log(1 / crowd) * one_way  # 0 up to group_free people a message, or when both write
        replies = cols["replies_ab"] + cols["replies_ba"]
        answered = (replies > 0) & (emails > 0)
        mean_hours = (cols["reply_hours_ab"] + cols["reply_hours_ba"]) / np.where(replies > 0, replies, 1)
        share = np.minimum(1.0, replies / np.where(emails > 0, emails, 1))
        responsiveness = np.where(answered, share * w.reply_half_hours / (w.reply_half_hours + mean_hours), 0.0)
    return {
        "recency": 0.0 - np.log1p(age_days),  # 0.0 - x: never a -0.0 to print
        "person_recency": 0.0 - np.log1p(person_age_days),
        "frequency": np.log1p(volume * crowd),
        "reciprocity": np.where(high > 0, low / np.where(high > 0, high + w.reciprocity_shrink, 1), 0.0),
        "responsiveness": responsiveness,
        "tenure": np.log1p(span_days),
        "group_size": group_size,
        "evidence": volume > 0,
    }


def log_odds(x: Mapping[str, np.ndarray], w: Weights = DEFAULT_WEIGHTS) -> np.ndarray:
    """``intercept + sum(weight x signal)`` over the fitted signals."""
    return w.intercept + sum(getattr(w, n) * x[n] for n in FITTED)


def score_columns(cols: Mapping[str, np.ndarray], now: int, w: Weights = DEFAULT_WEIGHTS) -> np.ndarray:
    """The score of many edges: ``cols`` as ``columns`` makes them (without ``active_at``, each person
    counts as last active at the pair's own last contact)."""
    x = signal_columns(cols, now, w)
    chance = _sigmoid(log_odds(x, w)) * np.exp(-w.group_size * x["group_size"])
    return np.round(np.where(x["evidence"], 100 * chance, 0.0), 4)


def signals(k: Knows, now: int, w: Weights = DEFAULT_WEIGHTS, *, active_at: float | None = None) -> Signals:
    """The signals of one edge as of ``now`` (epoch seconds): ``signal_columns`` for a single edge, in
    plain floats (a hundred times faster on one edge; tests pin the two equal). ``active_at``: when the
    quieter of the two was last in touch with anyone (``quieter_active_at``); None or NaN: at the pair's
    own last contact, all that the edge alone tells."""
    emails = k.emails_ab + k.emails_ba
    volume = emails * w.email + k.meetings * w.meeting + k.calls * w.call + k.notes * w.note
    mutual = k.meetings + k.calls
    high = max(k.emails_ab, k.emails_ba) + mutual
    low = min(k.emails_ab, k.emails_ba) + mutual
    age_days = UNKNOWN_AGE_DAYS if k.last_at is None else min(max(0.0, (now - k.last_at) / DAY), UNKNOWN_AGE_DAYS)
    if active_at is None or math.isnan(active_at):
        person_age_days = age_days
    else:
        seen = active_at if k.last_at is None else max(active_at, k.last_at)
        person_age_days = min(max(0.0, (now - seen) / DAY), UNKNOWN_AGE_DAYS)
    span_days = 0.0 if k.first_at is None or k.last_at is None else max(0, k.last_at - k.first_at) / DAY
    shares = k.email_weight + k.meeting_weight
    group = min((emails + k.meetings) / shares, MAX_GROUP) if shares > 0 else 1.0
    crowd = min(1.0, w.group_free / max(group, 1.0))
    one_way = 1 - low / high if high > 0 else 0.0
    replies = k.replies_ab + k.replies_ba
    if replies > 0 and emails > 0:
        mean_hours = (k.reply_hours_ab + k.reply_hours_ba) / replies
        responsiveness = min(1.0, replies / emails) * w.reply_half_hours / (w.reply_half_hours + mean_hours)
    else:
        responsiveness = 0.0
    x = {"recency": 0.0 - math.log1p(age_days), "person_recency": 0.0 - math.log1p(person_age_days),
         "frequency": math.log1p(volume * crowd),
         "reciprocity": low / (high + w.reciprocity_shrink) if high > 0 else 0.0,
         "responsiveness": responsiveness, "tenure": math.log1p(span_days),
         "group_size": math.log(1 / crowd) * one_way}
    if volume > 0:
        z = w.intercept + sum(getattr(w, n) * x[n] for n in FITTED)
        chance = 0.5 * (1 + math.tanh(z / 2)) * math.exp(-w.group_size * x["group_size"])
    else:
        chance = 0.0
    return Signals(**x, score=round(100 * chance, 4))


def score(k: Knows, now: int, w: Weights = DEFAULT_WEIGHTS, *, active_at: float | None = None) -> float:
    return signals(k, now, w, active_at=active_at).score


def contributions(s: Signals, w: Weights = DEFAULT_WEIGHTS) -> dict[str, float]:
    """The score split exactly into points (see the module docstring): ``baseline`` and one entry per
    signal, summing to the score (before its rounding to 4 decimals). No evidence: all zero."""
    if s.score == 0:
        return {"baseline": 0.0, **{n: 0.0 for n in SIGNALS}}
    odds = {n: getattr(w, n) * getattr(s, n) for n in FITTED}
    total = sum(odds.values())
    base, full = _sigmoid(w.intercept), _sigmoid(w.intercept + total)
    slope = (full - base) / total if abs(total) > 1e-9 else base * (1 - base)
    damped = full * math.exp(-w.group_size * s.group_size)
    return {"baseline": 100 * float(base), **{n: 100 * float(slope) * v for n, v in odds.items()},
            "group_size": 100 * float(damped - full)}


def _sigmoid(z: np.ndarray | float) -> np.ndarray | float:
    return 0.5 * (1 + np.tanh(np.asarray(z) / 2))
