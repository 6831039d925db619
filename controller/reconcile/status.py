"""Status writes: awaited JSON merge patches of an object's own status, of what changed only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any


class StatusWriter:
    """Awaited merge patches of one object's own status. It remembers what it wrote, so that the
    final write is the difference from what was read plus what progress reports already wrote."""

    def __init__(
        self, read: Mapping[str, Any] | None, write: Callable[[dict[str, Any]], Awaitable[None]]
    ):
        self.base: dict[str, Any] = dict(read or {})
        self._write = write

    async def progress(self, fields: Mapping[str, Any]) -> None:
        """Write some top-level fields now (progress of long work)."""
        await self._patch(status_patch({k: self.base.get(k) for k in fields}, fields))

    async def final(self, status: Mapping[str, Any]) -> None:
        """Write the reconcile's resulting status: only what differs from what is there."""
        await self._patch(status_patch(self.base, status))

    async def _patch(self, patch: dict[str, Any]) -> None:
        if patch:
            await self._write(patch)
            self.base = merge_patch(self.base, patch)


def status_patch(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON merge patch (RFC 7386) from one status to another: only what changed, keys that
    disappear as null; empty when nothing changed (then nothing is written)."""
    old = old or {}
    patch: dict[str, Any] = {}
    for key, value in new.items():
        before = old.get(key)
        if isinstance(value, Mapping) and isinstance(before, Mapping):
            nested = status_patch(before, value)
            if nested:
                patch[key] = nested
        elif key not in old or before != value:
            patch[key] = value
    for key in old:
        if key not in new:
            patch[key] = None
    return patch


def merge_patch(target: Mapping[str, Any] | None, patch: Mapping[str, Any]) -> dict[str, Any]:
    """`target` with a JSON merge patch (RFC 7386) applied, as the Kubernetes API applies one."""
    result = dict(target or {})
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, Mapping):
            before = result.get(key)
            result[key] = merge_patch(before if isinstance(before, Mapping) else {}, value)
        else:
            result[key] = value
    return result
