"""Terminal output: plans as tables, progress, outcomes. Plain text without a TTY or with NO_COLOR."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO

from controller.engine import ApplyResult
from controller.planner import Plan

KINDS = ("brands", "categories", "products", "variants", "customFields", "images")
MAX_CHANGES = 25


def color(stream: TextIO) -> bool:
    """Whether to use ANSI colors on `stream`."""
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def _paint(text: str, code: str, enabled: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if enabled else text


def _value(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


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
        for kind in KINDS:
            if kind in counts:
                c = counts[kind]
                print(f"  {kind:<14}{c['create']:>8}{c['update']:>8}{c['delete']:>8}", file=stream)
        requests = plan.estimate_requests()
        eta = f", about {plan.estimate_seconds(rate):.0f}s at the store's quota" if rate else ""
        print(f"  {requests} write requests{eta}", file=stream)
        print("", file=stream)
        symbols = {"create": ("+", "32"), "update": ("~", "33"), "delete": ("-", "31")}
        limit = len(plan.steps) if verbose else MAX_CHANGES
        for step in plan.steps[:limit]:
            symbol, code = symbols[step.action]
            line = f"  {_paint(symbol, code, on)} {step.kind} {step.key}"
            if step.changes:
                line += ": " + ", ".join(
                    f"{c.field} {_value(c.before)} -> {_value(c.after)}" for c in step.changes[:4]
                )
                if len(step.changes) > 4:
                    line += f" (+{len(step.changes) - 4} fields)"
            print(line, file=stream)
        if len(plan.steps) > limit:
            print(f"  ... and {len(plan.steps) - limit} more (--verbose shows all)", file=stream)
    if plan.skipped_deletes:
        print(
            f"  {plan.skipped_deletes} items in the store are not in the catalog (kept; --prune deletes them)",
            file=stream,
        )
    for problem in plan.problems:
        print(_paint(f"  refused: {problem}", "31", on), file=stream)


def outcome(result: ApplyResult, stream: TextIO = sys.stdout) -> None:
    """What an apply did, per kind, and every failed item."""
    for kind in KINDS:
        if kind in result.outcomes:
            parts = ", ".join(
                f"{n} {what}" for what, n in sorted(result.outcomes[kind].items()) if n
            )
            print(f"  {kind}: {parts}", file=stream)
    print(f"  {result.requests} requests", file=stream)
    for kind, key, message in result.errors:
        print(f"  failed: {kind} {key}: {message}", file=stream)


class ProgressLine:
    """A single progress line on a TTY, or a line every 10% otherwise."""

    def __init__(self, stream: TextIO = sys.stderr):
        self.stream = stream
        self.tty = stream.isatty()
        self._last_tenth = -1
        self.waits: float = 0.0

    def __call__(self, result: ApplyResult) -> None:
        total = max(1, result.total)
        text = f"applying: {result.done}/{result.total} items, {result.requests} requests" + (
            f", {self.waits:.1f}s waiting for the rate limit" if self.waits else ""
        )
        if self.tty:
            self.stream.write("\r" + text + " " * 8)
            self.stream.flush()
        elif (tenth := result.done * 10 // total) != self._last_tenth:
            self._last_tenth = tenth
            print(text, file=self.stream)

    def close(self) -> None:
        """End the line."""
        if self.tty:
            self.stream.write("\n")
