"""Cron expressions (the five fields of crontab(5), names and macros) as local wall-clock times.

Pure: which local minutes an expression names, day by day. Turning them into UTC instants in a zone,
across daylight-saving gaps and folds, is `controller.reconcile.schedule`'s.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
_DAYS = {d.lower(): (i + 1) % 7 for i, d in enumerate(calendar.day_abbr)}  # sun=0 ... sat=6
# name, lowest, highest, names
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _DAYS),
)
MAX_SCAN_DAYS = 366 * 8  # an expression naming no day in 8 years (e.g. 30 February) names none


class CronInvalid(ValueError):
    """An expression that is not a cron expression, with what is wrong in it."""


@dataclass(frozen=True)
class Cron:
    """A parsed expression: the minutes, hours, days, months and weekdays it names."""

    text: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool  # day of month is `*`
    any_weekday: bool  # day of week is `*`

    def on(self, day: date) -> bool:
        """Whether the expression names this day (crontab(5): when both the day of month and the
        day of week are restricted, either matches)."""
        if day.month not in self.months:
            return False
        in_month = day.day in self.days
        in_week = (day.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return in_month and in_week
        return in_month or in_week

    def times(self, start: date) -> Iterator[datetime]:
        """The local wall-clock times it names, from `start` on, in order (naive datetimes)."""
        for offset in range(MAX_SCAN_DAYS):
            day = start + timedelta(days=offset)
            if self.on(day):
                for hour in self.hours:
                    for minute in self.minutes:
                        yield datetime.combine(day, time(hour, minute))


def parse(text: str) -> Cron:
    """A cron expression: five fields (minute hour day-of-month month day-of-week; numbers,
    `*`, ranges, lists, steps, month and weekday names) or a macro such as `@weekly`."""
    expression = MACROS.get(text.strip().lower(), text)
    fields = expression.split()
    if len(fields) != 5:
        raise CronInvalid(
            f"cron expression {text!r} has {len(fields)} fields: it needs 5 "
            "(minute hour day-of-month month day-of-week), or a macro such as @weekly"
        )
    values = [_field(f, *spec, text) for f, spec in zip(fields, _FIELDS, strict=True)]
    weekdays = frozenset(d % 7 for d in values[4])
    if fields[4] in ("*", "?") and not any(
        day <= calendar.monthrange(2000, month)[1] for month in values[3] for day in values[2]
    ):
        raise CronInvalid(f"cron expression {text!r} names no day that exists")
    return Cron(
        text=text,
        minutes=tuple(sorted(values[0])),
        hours=tuple(sorted(values[1])),
        days=frozenset(values[2]),
        months=frozenset(values[3]),
        weekdays=weekdays,
        any_day=fields[2] in ("*", "?"),
        any_weekday=fields[4] in ("*", "?"),
    )


def _field(
    text: str, name: str, low: int, high: int, names: dict[str, int], whole: str
) -> set[int]:
    found: set[int] = set()
    for part in text.split(","):
        span, _, step_text = part.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if span in ("*", "?"):
                first, last = low, high
            elif "-" in span:
                a, b = span.split("-", 1)
                first, last = _number(a, names), _number(b, names)
            else:
                first = _number(span, names)
                last = high if step_text else first
        except ValueError:
            raise CronInvalid(f"cron expression {whole!r}: {name} {part!r} is not valid") from None
        if step < 1 or not low <= first <= last <= high:
            raise CronInvalid(
                f"cron expression {whole!r}: {name} {part!r} is outside {low}-{high} or empty"
            )
        found.update(range(first, last + 1, step))
    return found


def _number(text: str, names: dict[str, int]) -> int:
    word = text.lower()
    return names[word] if word in names else int(text)
