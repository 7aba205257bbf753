"""Erasing a person: from the store, and from every copy derived from it that lives on disk."""

from __future__ import annotations

from kith.graph.network import forget_network
from kith.graph.network_file import discard
from kith.graph.store import Store


def erase_person(store: Store, person_id: str) -> dict[str, int]:
    """Erase ``person_id`` (``Store.erase_person``) and remove the store's network files, which still
    hold their id and counters: the next load builds the network without them."""
    removed = store.erase_person(person_id)
    discard(store)
    forget_network(store)
    return removed
