"""Relationship strength: a 0-100 score for one pair, from the signals on its KNOWS edge.

    score = 100 x base x (FLOOR + (1 - FLOOR) x recency)
    base  = sum(weight_s x signal_s) / sum(weight_s), each signal in [0, 1]

Signals and why (defaults in ``Weights``):
- frequency (0.45): volume of contact, channel-weighted and group-size dampened: a 1:1 meeting counts
  ``meeting`` (3), a 1:1 email ``email`` (1), an email to n people 1/n, a call ``call`` (2), a note
  about someone ``note`` (0.5); saturating, 1 - exp(-volume / saturation), so the tenth email adds
  less than the first but never nothing. More contact never lowers it.
- reciprocity (0.2): both sides write (min/max of the two directions); meetings and calls are mutual.
  One-way mail (newsletters a person sends, cold outreach) stays low.
- responsiveness (0.15): the share of messages answered, discounted by mean reply latency
  (a one-day mean halves it).
- tenure (0.2): how long the relationship has run, up to ``tenure_days``.
- recency multiplies: evidence fades with a half-life (``half_life_days``, 90) towards a ``floor``
  (0.25): a strong relationship left untended for years still counts a quarter, which is what makes it
  worth reconnecting rather than nothing.
Bulk and automated mail never reaches a KNOWS edge (graph.knows), so it contributes nothing.
Bands: strong >= 60, medium >= 35, weak >= 15, cold below.

``contributions`` splits a score into points per signal (what ``explain`` shows); ``score_columns``
is the same formula over numpy columns, so the in-memory network scores millions of edges at once
(tests pin it to ``signals``). Settings override any weight: ``weights_from(settings)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING

import numpy as np

from graph.errors import KithError
from graph.model import Knows

if TYPE_CHECKING:
    from graph.settings import Settings

DAY = 86_400
BANDS = ((60.0, "strong"), (35.0, "medium"), (15.0, "weak"), (0.0, "cold"))


@dataclass(frozen=True, slots=True)
class Weights:
    frequency: float = 0.45
    reciprocity: float = 0.2
    responsiveness: float = 0.15
    tenure: float = 0.2
    email: float = 1.0
    meeting: float = 3.0
    call: float = 2.0
    note: float = 0.5
    saturation: float = 12.0  # channel-weighted volume at which frequency reaches 1 - 1/e
    half_life_days: float = 90.0
    floor: float = 0.25
    tenure_days: float = 365.0
    reply_half_hours: float = 24.0


DEFAULT_WEIGHTS = Weights()
ADDITIVE = ("frequency", "reciprocity", "responsiveness", "tenure")


def weights_from(settings: Settings) -> Weights:
    """The weights the settings choose: ``strength_half_life_days`` and any ``strength_weights`` overrides."""
    names = {f.name for f in fields(Weights)}
    unknown = sorted(set(settings.strength_weights) - names)
    if unknown:
        raise KithError(f"Unknown strength weight {', '.join(unknown)} in KITH_STRENGTH_WEIGHTS; "
                        f"known weights are {', '.join(sorted(names))}.")
    w = replace(DEFAULT_WEIGHTS, half_life_days=settings.strength_half_life_days, **settings.strength_weights)
    if any(getattr(w, f.name) < 0 for f in fields(w)) or w.half_life_days <= 0 or w.saturation <= 0:
        raise KithError("Strength weights must be >= 0 (half-life and saturation > 0); fix KITH_STRENGTH_*.")
    if not 0 <= w.floor <= 1 or sum(getattr(w, n) for n in ADDITIVE) <= 0:
        raise KithError("Strength floor must be within 0..1 and at least one signal weight positive; fix KITH_STRENGTH_*.")
    return w


@dataclass(frozen=True, slots=True)
class Signals:
    """Each signal in [0, 1], and the score they make."""

    frequency: float
    reciprocity: float
    responsiveness: float
    tenure: float
    recency: float
    score: float

    @property
    def band(self) -> str:
        return band(self.score)

    def as_dict(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def band(score: float) -> str:
    return next(name for threshold, name in BANDS if score >= threshold)


def volume(k: Knows, w: Weights = DEFAULT_WEIGHTS) -> float:
    return k.email_weight * w.email + k.meeting_weight * w.meeting + k.calls * w.call + k.notes * w.note


def signals(k: Knows, now: int, w: Weights = DEFAULT_WEIGHTS) -> Signals:
    """The signals of one edge as of ``now`` (epoch seconds)."""
    frequency = 1 - math.exp(-volume(k, w) / w.saturation)
    mutual = k.meetings + k.calls
    high, low = max(k.emails_ab, k.emails_ba), min(k.emails_ab, k.emails_ba)
    reciprocity = (low + mutual) / (high + mutual) if high + mutual else 0.0
    replies = k.replies_ab + k.replies_ba
    sent = k.emails_ab + k.emails_ba
    if replies and sent:
        mean_hours = (k.reply_hours_ab + k.reply_hours_ba) / replies
        responsiveness = min(1.0, replies / sent) * w.reply_half_hours / (w.reply_half_hours + mean_hours)
    else:
        responsiveness = 0.0
    if k.first_at is not None and k.last_at is not None:
        tenure = min(1.0, max(0, k.last_at - k.first_at) / (w.tenure_days * DAY))
    else:
        tenure = 0.0
    if k.last_at is None:
        recency = 0.0
    else:
        age_days = max(0, now - k.last_at) / DAY
        recency = 0.5 ** (age_days / w.half_life_days)
    total = w.frequency + w.reciprocity + w.responsiveness + w.tenure
    base = (w.frequency * frequency + w.reciprocity * reciprocity + w.responsiveness * responsiveness
            + w.tenure * tenure) / total
    score = 100 * base * (w.floor + (1 - w.floor) * recency)
    return Signals(frequency, reciprocity, responsiveness, tenure, recency, round(score, 4))


def score(k: Knows, now: int, w: Weights = DEFAULT_WEIGHTS) -> float:
    return signals(k, now, w).score


def contributions(s: Signals, w: Weights = DEFAULT_WEIGHTS) -> dict[str, float]:
    """The score split into points: each additive signal's share before decay, and ``recency`` as
    what time since the last contact took off (<= 0). The values sum to the score (before its
    rounding to 4 decimals)."""
    total = sum(getattr(w, n) for n in ADDITIVE)
    points = {n: 100 * getattr(w, n) * getattr(s, n) / total for n in ADDITIVE}
    points["recency"] = -sum(points.values()) * (1 - w.floor) * (1 - s.recency)
    return points


def score_columns(cols: Mapping[str, np.ndarray], now: int, w: Weights = DEFAULT_WEIGHTS) -> np.ndarray:
    """``signals(...).score`` for many edges: ``cols`` holds each Knows counter as a float array and
    ``first_at``/``last_at`` as float arrays with NaN for unknown."""
    vol = cols["email_weight"] * w.email + cols["meeting_weight"] * w.meeting + cols["calls"] * w.call + cols["notes"] * w.note
    frequency = 1 - np.exp(-vol / w.saturation)
    mutual = cols["meetings"] + cols["calls"]
    high = np.maximum(cols["emails_ab"], cols["emails_ba"]) + mutual
    low = np.minimum(cols["emails_ab"], cols["emails_ba"]) + mutual
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        reciprocity = np.where(high > 0, low / np.where(high > 0, high, 1), 0.0)
        replies = cols["replies_ab"] + cols["replies_ba"]
        sent = cols["emails_ab"] + cols["emails_ba"]
        answered = (replies > 0) & (sent > 0)
        mean_hours = (cols["reply_hours_ab"] + cols["reply_hours_ba"]) / np.where(replies > 0, replies, 1)
        share = np.minimum(1.0, replies / np.where(sent > 0, sent, 1))
        responsiveness = np.where(answered, share * w.reply_half_hours / (w.reply_half_hours + mean_hours), 0.0)
    first, last = cols["first_at"], cols["last_at"]
    known = ~np.isnan(first) & ~np.isnan(last)
    tenure = np.where(known, np.minimum(1.0, np.maximum(0, np.nan_to_num(last - first)) / (w.tenure_days * DAY)), 0.0)
    age_days = np.maximum(0, now - np.nan_to_num(last)) / DAY
    recency = np.where(np.isnan(last), 0.0, 0.5 ** (age_days / w.half_life_days))
    total = w.frequency + w.reciprocity + w.responsiveness + w.tenure
    base = (w.frequency * frequency + w.reciprocity * reciprocity + w.responsiveness * responsiveness
            + w.tenure * tenure) / total
    return np.round(100 * base * (w.floor + (1 - w.floor) * recency), 4)
