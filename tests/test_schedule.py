"""Store-local schedule times across time zones and daylight-saving transitions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from controller.cron import CronInvalid, parse
from controller.reconcile.schedule import due, runs, to_utc


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


# ---- recurring releases: cron expressions in a zone ------------------------------------------------


def first_runs(expression: str, zone: str, after: datetime, count: int) -> list[str]:
    found = []
    for slot in runs(parse(expression), zone, after):
        found.append(slot.utc.strftime("%Y-%m-%dT%H:%M"))
        if len(found) == count:
            break
    return found


def test_every_monday_at_six_in_berlin_follows_berlin_across_the_summer_time_change() -> None:
    after = datetime(2026, 3, 18, tzinfo=UTC)
    assert first_runs("0 6 * * mon", "Europe/Berlin", after, 3) == [
        "2026-03-23T05:00",  # CET
        "2026-03-30T04:00",  # CEST from 29 March
        "2026-04-06T04:00",
    ]
    assert first_runs("0 6 * * 1", "Europe/Berlin", after, 1) == ["2026-03-23T05:00"]


def test_a_daily_time_in_the_spring_gap_runs_once_after_it_and_a_folded_one_once_first() -> None:
    assert first_runs("30 2 * * *", "America/New_York", datetime(2026, 3, 7, tzinfo=UTC), 3) == [
        "2026-03-07T07:30",
        "2026-03-08T07:00",  # 02:30 does not exist: 03:00 EDT
        "2026-03-09T06:30",
    ]
    assert first_runs("30 1 * * *", "America/New_York", datetime(2026, 10, 31, tzinfo=UTC), 3) == [
        "2026-10-31T05:30",
        "2026-11-01T05:30",  # the first 01:30, not again an hour later
        "2026-11-02T06:30",
    ]


def test_cron_fields_names_ranges_steps_and_macros() -> None:
    weekdays = parse("*/15 9-17 * jan,jul mon-fri")
    assert weekdays.minutes == (0, 15, 30, 45)
    assert weekdays.hours == tuple(range(9, 18))
    assert weekdays.months == {1, 7}
    assert weekdays.weekdays == {1, 2, 3, 4, 5}
    assert parse("@weekly").weekdays == {0}
    assert parse("0 0 * * 7").weekdays == {0}  # 7 is Sunday too
    # day of month and day of week both restricted: either one (crontab(5))
    either = parse("0 0 13 * fri")
    assert either.on(datetime(2026, 11, 13).date())  # a Friday the 13th
    assert either.on(datetime(2026, 12, 13).date())  # a Sunday
    assert either.on(datetime(2026, 12, 4).date())  # a Friday
    assert not either.on(datetime(2026, 12, 5).date())


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("0 6 * *", "has 4 fields: it needs 5"),
        ("61 6 * * *", "minute '61' is outside 0-59"),
        ("0 6 * * funday", "day of week 'funday' is not valid"),
        ("0 0 30 2 *", "names no day that exists"),
        ("*/0 * * * *", "minute '\\*/0' is outside"),
    ],
)
def test_bad_cron_expressions_are_refused_saying_what_is_wrong(
    expression: str, message: str
) -> None:
    with pytest.raises(CronInvalid, match=message):
        parse(expression)


def test_runs_missed_while_down_are_counted_and_the_latest_is_the_one_due() -> None:
    expression = parse("0 6 * * mon")
    after = datetime(2026, 12, 7, 4, 59, tzinfo=UTC)  # just before the run of Monday 7 December
    latest, count = due(expression, "Europe/Berlin", after, datetime(2026, 12, 23, tzinfo=UTC))
    assert count == 3  # 7, 14 and 21 December
    assert latest is not None
    assert latest.utc == datetime(2026, 12, 21, 5, 0, tzinfo=UTC)
    assert due(expression, "Europe/Berlin", after, datetime(2026, 12, 7, 4, 0, tzinfo=UTC)) == (
        None,
        0,
    )
