"""SNAP temporal networks as interactions: one message per sender and second, bad lines counted, and
the real networks through the backtest protocol."""

from __future__ import annotations

from tests.corpora import corpus
from kith.graph.evaluate import protocol
from kith.graph.knows import sum_edges
from kith.graph.model import Role
from kith.ingest.snap import read_snap


def test_lines_from_one_sender_at_one_second_are_one_message(tmp_path):
    path = tmp_path / "net.txt"
    lines = ["% a KONECT header", "1 2 100", "1 3 100", "1 1 100", "2 1 160", "not a line", "3 1", "1 2 100"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    net = read_snap(path, prefix="t", start_at=1_000_000_000)
    assert net.skipped == 2
    first, reply = net.interactions
    assert first.occurred_at == 1_000_000_100 and reply.occurred_at == 1_000_000_160
    assert first.people(Role.FROM) == ["t:1"] and first.people(Role.TO) == ["t:2", "t:3"]  # the self-line adds no one
    edges = sum_edges(net.interactions, lambda i: None)
    pair = edges[("t:1", "t:2")]
    assert (pair.emails_ab, pair.emails_ba) == (1, 1)  # a repeated line is the same message
    assert pair.email_weight == 0.5 + 1  # a message to two, then one back


def test_the_dnc_network_runs_through_the_protocol():
    net = read_snap(corpus("snap_temporal_networks", "dnc-temporalGraph.txt"), prefix="dnc")
    found = protocol(net.interactions)
    assert net.skipped == 0 and len(found.pairs) > 1000
    assert 0.1 < found.positives / len(found.pairs) < 0.9
