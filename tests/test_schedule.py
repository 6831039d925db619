"""Store-local schedule times across time zones and daylight-saving transitions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from controller.reconcile.schedule import to_utc


@pytest.mark.parametrize(
    ("zone", "utc"),
    [
        ("America/New_York", datetime(2026, 12, 1, 14, 0, tzinfo=UTC)),
        ("Europe/Berlin", datetime(2026, 12, 1, 8, 0, tzinfo=UTC)),
        ("Asia/Tokyo", datetime(2026, 12, 1, 0, 0, tzinfo=UTC)),
        ("Australia/Sydney", datetime(2026, 11, 30, 22, 0, tzinfo=UTC)),
    ],
)
def test_nine_local_means_a_different_instant_in_each_store(zone: str, utc: datetime) -> None:
    slot = to_utc("2026-12-01T09:00:00", zone)
    assert slot.utc == utc
    assert slot.local.hour == 9
    assert slot.note is None


def test_a_time_in_the_spring_forward_gap_runs_at_the_first_valid_instant_after_it() -> None:
    slot = to_utc("2026-03-08T02:30:00", "America/New_York")
    assert slot.utc == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert slot.local.isoformat() == "2026-03-08T03:00:00-04:00"
    assert slot.reason == "NonexistentLocalTime"
    assert "does not exist" in (slot.note or "")


def test_an_ambiguous_fall_back_time_runs_at_its_first_occurrence() -> None:
    slot = to_utc("2026-11-01T01:30:00", "America/New_York")
    assert slot.utc == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert slot.local.isoformat() == "2026-11-01T01:30:00-04:00"
    assert slot.reason == "AmbiguousLocalTime"


def test_bad_zones_and_offsets_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        to_utc("2026-12-01T09:00:00", "Mars/Olympus")
    with pytest.raises(ValueError, match="must not carry an offset"):
        to_utc("2026-12-01T09:00:00+01:00", "Europe/Berlin")
