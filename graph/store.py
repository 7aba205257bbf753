"""The store interface: a narrow, batch-oriented seam between Kith's logic and its databases.

Stores persist and fetch records; they hold no ranking logic. Two implementations exist:
``SQLiteStore`` (embedded, the default) and ``Neo4jStore``; ``open_store`` picks one from settings.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from kith.graph.model import (
    KNOWS_COUNTERS,
    Deal,
    IdentityEvent,
    Interaction,
    InteractionKind,
    InteractionWrite,
    Knows,
    Organization,
    Person,
    ReviewItem,
    ReviewStatus,
    Sharing,
    TextHit,
    WorksAt,
)

# The columns of Store.iter_knows_columns(), in Knows' field order.
KNOWS_COLUMNS = ("a", "b", "first_at", "last_at", *KNOWS_COUNTERS)

# The meta key of a store's random id, set when it is created: with the generation, it names a
# store's state for files kept outside it (graph.network_file).
STORE_ID_KEY = "store_id"

# Keys of Store.counts().
COUNT_KEYS = ("people", "organizations", "interactions", "deals", "knows", "works_at", "topics")


@dataclass(frozen=True, slots=True)
class Contact:
    """An interaction two people shared, as much of it as an introduction tells (``PathFacts.shared``):
    no content, and its participants by id only (for the reader's walls)."""

    id: str
    kind: InteractionKind
    occurred_at: int | None
    people: tuple[str, ...]  # its participants' person ids, sorted, each once


@dataclass(slots=True)
class PathFacts:
    """What warm paths tell about the people on them (``Store.path_facts``)."""

    people: dict[str, Person]  # as get_people
    jobs: list[WorksAt]  # as works_at(person_ids=...) of the ``titled`` people, past jobs too
    orgs: dict[str, Organization]  # the organisations of those jobs, as get_organizations
    shared: list[list[Contact]]  # the interactions of interactions_between_pairs, one list per pair
    generation: int = field(default=0, compare=False)  # the store's, read first (what caches check against)


@runtime_checkable
class Store(Protocol):
    kind: str  # "sqlite" | "neo4j"

    # -- lifecycle -------------------------------------------------------------------------------
    def schema_version(self) -> int: ...
    def close(self) -> None: ...
    def generation(self) -> int:
        """A number that changes whenever the graph changes, for caches above the store."""
        ...

    # -- writes (each call is one transaction, unless inside ``batch``) ----------------------------
    def batch(self) -> AbstractContextManager[None]:
        """Group the writes made inside into one transaction where the store can (SQLite does:
        a batch of mail, its people and its checkpoint commit together); elsewhere each write
        stays its own transaction."""
        ...

    def upsert_people(self, people: Sequence[Person]) -> None:
        """Insert people; for existing ids fill empty name fields and add new emails/phones."""
        ...

    def update_person(
        self,
        person_id: str,
        *,
        opted_out: bool | None = None,
        blocked: bool | None = None,
        sharing: Sharing | None = None,
        is_internal: bool | None = None,
    ) -> None:
        """Set a person's flags; ``None`` leaves one as it is. Raises NotFound for an unknown id."""
        ...

    def upsert_organizations(self, orgs: Sequence[Organization]) -> None: ...
    def add_works_at(self, rows: Sequence[WorksAt]) -> None:
        """Add employment periods; an existing (person, org, title) widens its since/until."""
        ...

    def add_interactions(self, writes: Sequence[InteractionWrite]) -> list[str]:
        """Store new interactions and apply their KNOWS deltas; known ids are left untouched.
        Returns the ids that were new."""
        ...

    def remove_interactions(self, ids: Sequence[str]) -> list[str]:
        """Delete these interactions (a cancelled or changed meeting); unknown ids are ignored. Returns
        the ids of the people who took part: the caller recomputes their KNOWS edges
        (``graph.identity.recompute_knows``)."""
        ...

    def upsert_deals(self, deals: Sequence[Deal]) -> None: ...
    def erase_person(self, person_id: str) -> dict[str, int]:
        """Remove a person and everything derived from them; remember their addresses (hashed) so
        they are not re-ingested. Returns counts of what was removed."""
        ...

    def set_meta(self, items: Mapping[str, str]) -> None:
        """Store small key/value facts (checkpoints, settings) in one transaction."""
        ...

    # -- identity (merges, splits, review) -------------------------------------------------------
    def reassign_person(self, from_id: str, to_id: str, emails: Sequence[str] | None = None) -> list[str]:
        """Move facts between two existing people. ``emails=None`` moves everything and deletes
        ``from_id`` (a merge); otherwise only those addresses and the participations made through
        them move (a split). Returns the ids of the interactions whose participants changed.
        KNOWS edges are not touched: the caller recomputes them with ``replace_knows``."""
        ...

    def replace_knows(self, person_ids: Sequence[str], edges: Sequence[Knows]) -> None:
        """Delete every KNOWS edge touching these people and write ``edges`` in their place."""
        ...

    def add_identity_event(self, event: IdentityEvent) -> int: ...
    def mark_identity_event_undone(self, event_id: int, actor: str, at: int) -> None: ...
    def add_review_items(self, items: Sequence[ReviewItem]) -> int:
        """Queue possible duplicates; a pair already queued (either order) is left as it is.
        Returns how many were new."""
        ...

    def set_review_status(self, item_id: int, status: ReviewStatus, actor: str, at: int) -> None: ...

    # -- reads -----------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None: ...
    def get_people(self, ids: Iterable[str]) -> dict[str, Person]: ...
    def people_at_domains(self, domains: Iterable[str]) -> set[str]:
        """Ids of people with an address at any of these domains or their subdomains."""
        ...

    def people_by_email(self, emails: Iterable[str]) -> dict[str, str]:
        """Normalised email -> person id, for the addresses known."""
        ...

    def erased_hashes(self, hashes: Iterable[str]) -> set[str]:
        """The subset of these email hashes that belong to erased people."""
        ...

    def get_organizations(self, ids: Iterable[str]) -> dict[str, Organization]: ...
    def iter_organizations(self) -> Iterator[Organization]:
        """Every organisation with its domains, streamed in id order."""
        ...

    def orgs_by_domain(self, domains: Iterable[str]) -> dict[str, str]: ...
    def orgs_by_normalized_name(self, names: Iterable[str]) -> dict[str, str]: ...
    def works_at(self, person_ids: Iterable[str] = (), org_ids: Iterable[str] = ()) -> list[WorksAt]: ...
    def iter_people(self) -> Iterator[Person]:
        """Every person with their addresses, streamed in id order."""
        ...

    def get_interactions(self, ids: Iterable[str]) -> dict[str, Interaction]: ...
    def replies_to(self, parent_ids: Iterable[str]) -> list[Interaction]:
        """Stored interactions whose ``parent_id`` is one of these ids."""
        ...

    def interactions_of(
        self, person_id: str, before: int | None = None, limit: int | None = None
    ) -> list[Interaction]:
        """A person's interactions, newest first; those of unknown time come last."""
        ...

    def interactions_between(
        self, a: str, b: str, before: int | None = None, limit: int | None = None
    ) -> list[Interaction]:
        """Interactions both people took part in, newest first; those of unknown time come last."""
        ...

    def interactions_between_pairs(
        self, pairs: Sequence[tuple[str, str]], before: int | None = None, limit: int | None = None
    ) -> list[list[Interaction]]:
        """``interactions_between`` of each pair (at most ``limit`` each), in one read."""
        ...

    def path_facts(
        self, person_ids: Iterable[str], pairs: Sequence[tuple[str, str]], before: int | None = None,
        limit: int | None = None, titled: Iterable[str] = ()
    ) -> PathFacts:
        """The people, the jobs of those of them ``titled`` (a path names only its target's) and those jobs'
        organisations, and the interactions each pair shared
        (``interactions_between_pairs(pairs, before, limit)``, as ``Contact``s: reading whole interactions
        was half of a warm-paths answer's read), and the store's ``generation()`` read before them: what
        ``graph.paths`` explains a path with and checks its network against, in one read (one statement
        on a server)."""
        ...

    def get_deals(self, ids: Iterable[str]) -> dict[str, Deal]: ...
    def deals_of(self, person_ids: Iterable[str] = (), org_ids: Iterable[str] = ()) -> list[Deal]: ...
    def knows_of(self, person_ids: Iterable[str]) -> list[Knows]:
        """KNOWS edges touching any of these people."""
        ...

    def iter_knows(self) -> Iterator[Knows]:
        """Every KNOWS edge, streamed."""
        ...

    def iter_knows_columns(self, since: int | None = None) -> Iterator[dict[str, Sequence]]:
        """Every KNOWS edge, streamed as batches of columns (``KNOWS_COLUMNS``; ids as sequences of str or
        Arrow string arrays, numbers as sequences or float arrays; unknown times None or NaN):
        what ``graph.network`` builds from, without an object per edge. With ``since``, only the edges
        written (added to, or replaced) after that generation: what a network file refreshes from."""
        ...

    def knows_replaced_since(self, since: int) -> list[str]:
        """Ids of the people all of whose KNOWS edges were replaced (``replace_knows``, or the person is
        new) after generation ``since``: their edges from before are gone, those they have now are in
        ``iter_knows_columns(since)``. People since removed are not named (they are no longer there)."""
        ...

    def iter_person_flags(self) -> Iterator[tuple[str, bool, bool]]:
        """(id, internal, usable: neither opted out nor blocked) of every person, streamed."""
        ...

    def network_dir(self) -> Path | None:
        """The folder where the mapped network file of this store lives (``graph.network_file``);
        None to keep it in memory only."""
        ...

    def search_text(self, phrases: Sequence[str], limit: int = 100, before: int | None = None) -> list[TextHit]:
        """Documents (interactions, deals) matching any of the quoted phrases from
        ``graph.text.query_phrases``, best first. A store may rank only a window of the matches
        (SQLite: the newest 2,000) so that a very common word stays fast."""
        ...

    def identity_events(self, person_ids: Iterable[str] = (), event_ids: Iterable[int] = ()) -> list[IdentityEvent]:
        """Events naming any of these people (as either side) or with these ids, oldest first."""
        ...

    def review_items(self, status: ReviewStatus | None = ReviewStatus.OPEN, limit: int = 100) -> list[ReviewItem]:
        """Queued pairs, best score first (all statuses when ``status`` is None)."""
        ...

    def counts(self) -> dict[str, int]: ...
