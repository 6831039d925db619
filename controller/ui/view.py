"""What the web UI shows: the StagingPro objects as the operator sees them (the bodies its
workers are handed), and the reviews of the plans it made. It reads nothing else."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from controller.review.shelf import ReviewShelf

KINDS = ("StoreEnvironment", "StoreDeployment", "CatalogSnapshot")


class ClusterView:
    """The objects of the watched namespaces, by kind, then namespace and name."""

    def __init__(self) -> None:
        self._objects: dict[str, dict[tuple[str, str], Mapping[str, Any]]] = {k: {} for k in KINDS}
        self._sorted: dict[str, list[Mapping[str, Any]] | None] = dict.fromkeys(KINDS)

    def seen(self, body: Mapping[str, Any]) -> None:
        """The object as it is now (kept by reference: a live body stays current)."""
        kind, key = self._key(body)
        if kind in self._objects:
            if self._objects[kind].get(key) is not body:
                self._sorted[kind] = None
            self._objects[kind][key] = body

    def gone(self, body: Mapping[str, Any]) -> None:
        """The object was deleted, or is no longer this replica's (not one created since under
        the same name: only the same uid goes)."""
        kind, key = self._key(body)
        found = self._objects.get(kind, {}).get(key)
        if found is not None and _uid(found) == _uid(body):
            del self._objects[kind][key]
            self._sorted[kind] = None

    def replace(self, bodies: Iterable[Mapping[str, Any]]) -> None:
        """Exactly these objects (a loop that reads them all at each pass)."""
        for kind in KINDS:
            self._objects[kind], self._sorted[kind] = {}, None
        for body in bodies:
            self.seen(body)

    def get(self, kind: str, namespace: str, name: str) -> Mapping[str, Any] | None:
        """One object, if the operator has it."""
        return self._objects.get(kind, {}).get((namespace, name))

    def list(self, kind: str) -> list[Mapping[str, Any]]:
        """The objects of a kind, by namespace and name."""
        ordered = self._sorted.get(kind)
        if ordered is None:
            found = self._objects.get(kind, {})
            ordered = self._sorted[kind] = [found[key] for key in sorted(found)]
        return ordered

    @staticmethod
    def _key(body: Mapping[str, Any]) -> tuple[str, tuple[str, str]]:
        meta = body.get("metadata") or {}
        return str(body.get("kind")), (
            str(meta.get("namespace") or "default"),
            str(meta.get("name") or ""),
        )


def _uid(body: Mapping[str, Any]) -> Any:
    return (body.get("metadata") or {}).get("uid")


@dataclass
class Sources:
    """Everything the UI reads: objects and reviews, both filled by the operator."""

    objects: ClusterView = field(default_factory=ClusterView)
    reviews: ReviewShelf = field(default_factory=ReviewShelf)
