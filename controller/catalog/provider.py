"""The typed boundary between the engine and a store (Crossplane's managed-resource contract).

The engine hands a provider typed records in natural keys plus the store ids it resolved; the
provider owns every translation into the store's request bodies and every interpretation of its
answers. Every call is idempotent: a create that already happened (a lost answer, a crash) is
adopted by natural key, never made twice; `observe` never writes. Failures of one record come back
as an `Outcome` with its error; failures of the whole store (credentials, store gone, unavailable,
rate limited) are raised as the `controller.errors` types.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from controller.catalog.kinds import Kind
from controller.catalog.model import Catalog
from controller.catalog.observed import ObservedCatalog


@dataclass(frozen=True, slots=True)
class Record:
    """One record to write: its natural key, its values in natural terms (a create's nests the
    records it owns), and the store ids the engine resolved: its own `id` (update, delete), its
    owner's (`owner_id`), and its references (`refs`: field -> id or ids; `parent` for trees)."""

    key: str
    values: Mapping[str, Any] = field(default_factory=dict)
    id: int | str | None = None
    owner_id: int | str | None = None
    refs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one record: its store id (created or adopted), or why it failed."""

    id: int | str | None = None
    adopted: bool = False
    error: str | None = None


class Provider(Protocol):
    """What the engine needs of a store. Batches never exceed the kind table's maxima; outcomes
    come back in the order of the records given."""

    requests: int

    async def observe(
        self,
        kinds: Collection[Kind] | None = None,
        *,
        fields: Mapping[Kind, Collection[str]] | None = None,
        like: Catalog | None = None,
    ) -> ObservedCatalog:
        """The records of `kinds` (None: the catalog kinds; products always bring the categories
        and brands they reference), with only `fields` of the kinds named there (to compare with
        a catalog that manages only those); values equal to those of `like` (the catalog they
        are compared with) may be kept as its objects, to hold them once. Never writes."""
        ...

    async def create(self, kind: Kind, records: Sequence[Record]) -> list[Outcome]: ...
    async def update(self, kind: Kind, records: Sequence[Record]) -> list[Outcome]: ...
    async def delete(self, kind: Kind, records: Sequence[Record]) -> list[Outcome]: ...
