"""The review of each deployment target's latest plan, kept in memory for the operator's web UI:
the reconciler puts what it planned, the UI reads it. Bounded by the records held, oldest first
out; nothing is read from anywhere to fill it."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from controller.review.model import Review

Key = tuple[str, str, str]  # namespace, deployment, target


@dataclass(frozen=True)
class Shelved:
    """A target's review as planned, with the digest its approval names (None: refused)."""

    review: Review
    digest: str | None
    at: datetime


class ReviewShelf:
    """The latest review of each target, at most `max_records` records in all (at least the
    newest review is always kept, however large)."""

    def __init__(self, max_records: int = 100_000):  # about 1 KiB each (bench/ui.py)
        self.max_records = max_records
        self._items: OrderedDict[Key, Shelved] = OrderedDict()
        self._records = 0
        self._planned: dict[Key, str | None] = {}  # each target's latest digest, kept or dropped

    def put(self, key: Key, shelved: Shelved) -> None:
        """Keep `shelved` as the target's review, dropping the oldest over the bound."""
        self._drop(key)
        self._items[key] = shelved
        self._planned[key] = shelved.digest
        self._records += len(shelved.review.entries)
        while self._records > self.max_records and len(self._items) > 1:
            self._drop(next(iter(self._items)))

    def get(self, key: Key) -> Shelved | None:
        """The target's latest review, if held."""
        return self._items.get(key)

    def holds(self, key: Key, digest: str | None) -> bool:
        """Whether the review of exactly this plan is held."""
        found = self._items.get(key)
        return found is not None and found.digest == digest

    def planned(self, key: Key, digest: str | None) -> bool:
        """Whether exactly this plan was put since start, even if dropped over the bound since
        (planning it again would only drop another target's review)."""
        return key in self._planned and self._planned[key] == digest

    def forget(self, namespace: str, deployment: str) -> None:
        """Drop a deleted deployment's reviews."""
        for key in [k for k in self._planned if k[:2] == (namespace, deployment)]:
            self._drop(key)
            del self._planned[key]

    def _drop(self, key: Key) -> None:
        found = self._items.pop(key, None)
        if found is not None:
            self._records -= len(found.review.entries)
