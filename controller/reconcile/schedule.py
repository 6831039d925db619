"""Local wall-clock times to UTC instants, per store time zone, with daylight-saving transitions.

A local time that does not exist (spring forward) runs at the first valid instant after it; an
ambiguous one (fall back) runs at its first occurrence. Both are reported, never silently shifted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from controller.api.base import zone_of
from controller.cron import Cron

MAX_MISSED = 10_000  # runs counted when finding the latest missed one


@dataclass(frozen=True)
class Slot:
    """When a target runs: the UTC instant, the same instant in local time, and any adjustment."""

    utc: datetime
    local: datetime
    zone: str
    note: str | None = None  # why the instant differs from the wall-clock time asked for
    reason: str | None = None  # NonexistentLocalTime | AmbiguousLocalTime

    def describe(self) -> str:
        """e.g. `2026-12-01T09:00:00-05:00 (America/New_York)`."""
        return f"{self.local.isoformat()} ({self.zone})"


def to_utc(at: str, zone_name: str) -> Slot:
    """The UTC instant of local wall-clock time `at` (ISO, no offset) in zone `zone_name`."""
    wall = datetime.fromisoformat(at)
    if wall.tzinfo is not None:
        raise ValueError(f"schedule time {at!r} must not carry an offset: it is local to the store")
    return slot_of(wall, zone_name)


def slot_of(wall: datetime, zone_name: str) -> Slot:
    """The UTC instant of a naive local wall-clock time in zone `zone_name`."""
    zone = zone_of(zone_name)
    at = wall.isoformat()
    first = wall.replace(tzinfo=zone, fold=0)
    second = wall.replace(tzinfo=zone, fold=1)
    first_utc, second_utc = first.astimezone(UTC), second.astimezone(UTC)
    if first_utc.astimezone(zone).replace(tzinfo=None) != wall:
        # In a gap: fold=1 lands before the transition, fold=0 after it; find the transition.
        low, high = sorted((first_utc, second_utc))
        while high - low > timedelta(seconds=1):
            middle = low + (high - low) / 2
            if middle.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset():
                low = middle
            else:
                high = middle
        instant = high.replace(microsecond=0)
        local = instant.astimezone(zone)
        return Slot(
            instant,
            local,
            zone_name,
            f"{at} does not exist in {zone_name} (clocks spring forward); runs at {local.isoformat()}",
            "NonexistentLocalTime",
        )
    if first_utc != second_utc:
        return Slot(
            first_utc,
            first,
            zone_name,
            f"{at} happens twice in {zone_name} (clocks fall back); runs at the first, {first.isoformat()}",
            "AmbiguousLocalTime",
        )
    return Slot(first_utc, first, zone_name)


def runs(cron: Cron, zone_name: str, after: datetime) -> Iterator[Slot]:
    """The runs of a cron expression in a zone strictly after the UTC instant `after`, in order
    (a time in a gap runs once after it, an ambiguous one at its first occurrence)."""
    start = (after.astimezone(zone_of(zone_name)) - timedelta(days=1)).date()
    last = after
    for wall in cron.times(start):
        slot = slot_of(wall, zone_name)
        if slot.utc > last:
            last = slot.utc
            yield slot


def due(
    cron: Cron, zone_name: str, after: datetime, now: datetime, *, limit: int = MAX_MISSED
) -> tuple[Slot | None, int]:
    """The latest run after `after` that is due at `now`, and how many runs were due (counted up
    to `limit`; beyond it, the latest is looked for in the last `limit` minutes' span onwards)."""
    latest, count = None, 0
    for slot in runs(cron, zone_name, after):
        if slot.utc > now:
            break
        latest, count = slot, count + 1
        if count >= limit:
            for later in runs(cron, zone_name, max(slot.utc, now - timedelta(days=7))):
                if later.utc > now:
                    break
                latest = later
            break
    return latest, count
