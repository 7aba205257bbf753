"""The evidence of warm-path hops, read only when a query selects it: every hop of every path in a
selection in one batched read (``graph.paths.hop_evidence``), with the reader's walls applied."""

from __future__ import annotations

from collections import defaultdict

from strawberry.dataloader import DataLoader

from kith.api.graphql.loaders.base import Run
from kith.graph.scope import Scope
from kith.graph.store import Store

HopKey = tuple[str, str, int | None]  # source, target, as_of


def hop_evidence_loader(store: Store, run: Run, scope: Scope) -> DataLoader[HopKey, list[str]]:
    async def load(keys: list[HopKey]) -> list[list[str]]:
        from kith.graph.paths import hop_evidence

        by_time: dict[int | None, list[tuple[str, str]]] = defaultdict(list)
        for source, target, as_of in keys:
            by_time[as_of].append((source, target))
        found: dict[HopKey, list[str]] = {}
        for as_of, pairs in by_time.items():
            for pair, ids in zip(pairs, await run(hop_evidence, store, pairs, as_of=as_of, scope=scope)):
                found[(*pair, as_of)] = ids
        return [found[k] for k in keys]

    return DataLoader(load_fn=load)
