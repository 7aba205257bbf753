"""SNAP / KONECT temporal networks ("src dst seconds" a line) as email interactions, for backtests.

Each line is one directed message from ``src`` to ``dst`` at a time. Lines from the same sender at the
same second are taken as one message to several recipients (that is how these files record a
message with many recipients), so group size survives the conversion. A self-addressed line adds no
recipient; a line that is not three integers is skipped and counted. ``start_at`` is for files whose
times are offsets from the start of the recording (email-Eu-core-temporal): the offsets are added to
it. There are no reply links, meetings or subjects: only who wrote to whom, when.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

from kith.graph.model import Interaction, InteractionKind, Participant, Role


@dataclass(slots=True)
class SnapNetwork:
    interactions: list[Interaction] = field(default_factory=list)
    skipped: int = 0  # lines that were not "src dst seconds"


def read_snap(path: Path, *, prefix: str = "snap", start_at: int | None = None) -> SnapNetwork:
    """The messages of one SNAP temporal-network file; person ids are ``{prefix}:{node}``."""
    out = SnapNetwork()
    rows: list[tuple[int, str, str]] = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            parts = line.split()
            if not parts or parts[0].startswith(("#", "%")):
                continue
            try:
                src, dst, seconds = parts[0], parts[1], int(parts[2])
            except (IndexError, ValueError):
                out.skipped += 1
                continue
            rows.append((seconds + (start_at or 0), src, dst))
    rows.sort()
    out.interactions = list(_messages(rows, prefix))
    return out


def _messages(rows: list[tuple[int, str, str]], prefix: str) -> Iterator[Interaction]:
    for n, ((at, src), group) in enumerate(groupby(rows, key=lambda r: (r[0], r[1]))):
        sender = f"{prefix}:{src}"
        recipients = dict.fromkeys(f"{prefix}:{dst}" for _, _, dst in group if dst != src)
        parts = [Participant(sender, Role.FROM), *(Participant(r, Role.TO) for r in recipients)]
        yield Interaction(f"{prefix}:m{n}", InteractionKind.EMAIL, at, parts)
