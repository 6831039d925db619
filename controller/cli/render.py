"""Terminal output: plans as tables, progress, outcomes. Plain text without a TTY or with NO_COLOR."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from controller.catalog.kinds import KINDS, PLAN_ORDER
from controller.engine import ApplyResult
from controller.planner import FieldChange, Plan, Step
from controller.stores import RateGovernor
from controller.text import long_text, plural, text_diff

MAX_CHANGES = 25
MAX_CREATE_FIELDS = 8


def color(stream: TextIO) -> bool:
    """Whether to use ANSI colors on `stream`."""
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def _paint(text: str, code: str, enabled: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if enabled else text


def _value(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _step_details(step: Step, verbose: bool) -> list[str]:
    """The lines under a step: a create's fields; a long text's changed region."""
    lines = []
    if step.action == "create":
        key = KINDS[step.kind].key
        items = [(k, v) for k, v in step.payload.items() if k != key]
        shown = items if verbose else items[:MAX_CREATE_FIELDS]
        for name, value in shown:
            if isinstance(value, list) and value and isinstance(value[0], dict):
                lines.append(f"{name} = {len(value)} records")
            else:
                lines.append(f"{name} = {_value(value)}")
        if len(items) > len(shown):
            lines.append(f"(+{len(items) - len(shown)} fields)")
    for change in step.changes:
        if long_text(change.before, change.after):
            lines.append(f"{change.field}:")
            diff = text_diff(change.before or "", change.after or "")
            lines += ["  " + line for line in diff]
    return ["      " + line for line in lines]


def _change(change: FieldChange, channels: bool) -> str:
    shown = change.channel is not None and channels
    name = f"{change.field} [{change.channel}]" if shown else change.field
    if long_text(change.before, change.after):
        return f"{name} (text changed, below)"
    return f"{name} {_value(change.before)} -> {_value(change.after)}"


def _channels(plan: Plan) -> str:
    """`by channel: EU 3, US 1, (store) 2` (changes of a step in several count in each)."""
    return "by channel: " + ", ".join(f"{c} {n}" for c, n in plan.channel_totals().items())


def plan_table(
    plan: Plan,
    *,
    store: str,
    source: str,
    rate: float | None,
    stream: TextIO = sys.stdout,
    verbose: bool = False,
) -> None:
    """The plan as a table of counts, then the changes with their fields."""
    on = color(stream)
    counts = plan.counts()
    print(f"Plan for {store} from {source}", file=stream)
    if plan.in_sync:
        print(_paint("  In sync: nothing to change.", "32", on), file=stream)
    else:
        print(f"  {'kind':<14}{'create':>8}{'update':>8}{'delete':>8}", file=stream)
        for kind in PLAN_ORDER:
            if kind in counts:
                c = counts[kind]
                print(f"  {kind:<14}{c['create']:>8}{c['update']:>8}{c['delete']:>8}", file=stream)
        requests = plan.estimate_requests()
        eta = f", about {plan.estimate_seconds(rate):.0f}s at the store's quota" if rate else ""
        print(f"  {plural(requests, 'write request')}{eta}", file=stream)
        several = plan.several_channels
        if several:
            print(f"  {_channels(plan)}", file=stream)
        print("", file=stream)
        symbols = {"create": ("+", "32"), "update": ("~", "33"), "delete": ("-", "31")}
        limit = len(plan.steps) if verbose else MAX_CHANGES
        for step in plan.steps[:limit]:
            symbol, code = symbols[step.action]
            line = f"  {_paint(symbol, code, on)} {step.kind} {step.key}"
            if step.channel is not None and several:
                line += f" [{step.channel}]"
            if step.changes:
                line += ": " + ", ".join(_change(c, several) for c in step.changes[:4])
                if len(step.changes) > 4:
                    line += f" (+{len(step.changes) - 4} fields)"
            print(line, file=stream)
            for detail in _step_details(step, verbose):
                print(detail, file=stream)
        if len(plan.steps) > limit:
            print(f"  ... and {len(plan.steps) - limit} more (--verbose shows all)", file=stream)
    if plan.out_of_scope:
        print(
            f"  {plural(plan.out_of_scope, 'change')} of the catalog outside the channel "
            "planned for (left out)",
            file=stream,
        )
    if plan.skipped_deletes:
        print(
            f"  {plan.skipped_deletes} items in the store are not in the catalog (kept; --prune deletes them)",
            file=stream,
        )
    for problem in plan.problems:
        print(_paint(f"  refused: {problem}", "31", on), file=stream)


def outcome(result: ApplyResult, stream: TextIO = sys.stdout) -> None:
    """What an apply did, per kind, and every failed item."""
    for kind in PLAN_ORDER:
        if kind in result.outcomes:
            parts = ", ".join(
                f"{n} {what}" for what, n in sorted(result.outcomes[kind].items()) if n
            )
            print(f"  {kind}: {parts}", file=stream)
    print(f"  {plural(result.requests, 'request')}", file=stream)
    for failed_kind, key, message in result.errors:
        print(f"  failed: {failed_kind} {key}: {message}", file=stream)


def interrupted(plan: Plan, result: ApplyResult, stream: TextIO = sys.stdout) -> None:
    """After Ctrl-C: what the apply did, and what of the plan remains."""
    remaining = result.total - result.done
    print(
        f"Interrupted: {result.done} of {plural(result.total, 'change')} applied, "
        f"{remaining} not applied.",
        file=stream,
    )
    outcome(result, stream)
    counts = plan.counts()
    for kind in PLAN_ORDER:
        left = sum(counts.get(kind, {}).values()) - sum(result.outcomes.get(kind, {}).values())
        if left > 0:
            print(f"  {kind}: {left} not applied", file=stream)
    print("Run the same apply again to finish: it plans from what the store has now.", file=stream)


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class ProgressLine:
    """A single progress line on a TTY, or a line every 10% otherwise: the share done, an ETA from
    the store's quota (or the pace so far, when slower), and the wall time spent waiting for the
    rate limit."""

    def __init__(
        self,
        plan: Plan,
        governor: RateGovernor,
        stream: TextIO = sys.stderr,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.stream = stream
        self.tty = stream.isatty()
        self.governor = governor
        self.requests = plan.estimate_requests()
        self.last: ApplyResult | None = None
        self._clock = clock
        self._started = clock()
        self._last_tenth = -1

    def eta(self, result: ApplyResult) -> float | None:
        """Seconds left: the larger of the quota's pace and the pace so far."""
        left = max(0, self.requests - result.requests)
        rate = self.governor.requests_per_second
        at_quota = left / rate if rate else 0.0
        elapsed = self._clock() - self._started
        so_far = elapsed * left / result.requests if result.requests else None
        if so_far is None and not rate:
            return None
        return max(at_quota, so_far or 0.0)

    def __call__(self, result: ApplyResult) -> None:
        self.last = result
        total = max(1, result.total)
        parts = [
            f"applying: {result.done * 100 // total}% "
            f"({result.done}/{plural(result.total, 'change')})",
            plural(result.requests, "request"),
        ]
        eta = self.eta(result)
        if eta is not None and result.done < result.total:
            parts.append(f"about {_duration(eta)} left")
        waited = self.governor.waiting_seconds
        if waited >= 0.05:
            parts.append(f"{waited:.1f}s waiting for the rate limit")
        text = ", ".join(parts)
        if self.tty:
            self.stream.write("\r" + text + " " * 8)
            self.stream.flush()
        elif (tenth := result.done * 10 // total) != self._last_tenth:
            self._last_tenth = tenth
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        """End the line."""
        if self.tty:
            self.stream.write("\n")
