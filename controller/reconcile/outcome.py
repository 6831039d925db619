"""What a reconcile step returns, and the one place where results and typed errors become Ready,
Reconciling, Stalled and RateLimited conditions, the failure event and the metric label (as in
Flux controllers' summarise-and-patch)."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import pydantic

from controller.api.base import Condition, ConditionStatus
from controller.api.conditions import (
    RATE_LIMITED,
    READY,
    RECONCILING,
    STALLED,
    Reason,
    set_condition,
)
from controller.catalog.model import CatalogInvalid
from controller.errors import StagingProError, Stalled, Waiting
from controller.reconcile.services import EventType

logger = logging.getLogger(__name__)

Event = tuple[EventType, str, str]
Label = Literal["success", "waiting", "stalled", "error"]
UNEXPECTED_RETRY = 60.0


class Verdict(enum.Enum):
    """How a step (or a whole reconcile) ended."""

    DONE = "done"  # go on with the next step; after the last: Ready
    IDLE = "idle"  # all it can do now is done (scheduled, awaiting approval): look again later
    PROGRESSING = "progressing"  # work under way: look again later
    WAITING = "waiting"  # on another object or a transient condition: retried
    STALLED = "stalled"  # a person must act: not retried until something changes
    ERROR = "error"  # unexpected: retried


@dataclass(frozen=True)
class Result:
    """A step's result: done, requeue after N (idle or progressing), waiting on X, stalled because
    Y. `after` is when to look again (None: when the object or what it waits on changes)."""

    verdict: Verdict
    after: float | None = None
    reason: str = ""
    message: str = ""
    rate_limited: bool = False
    announce: bool = True  # a failure emits its Warning (False: the steps told already)

    @property
    def done(self) -> bool:
        return self.verdict is Verdict.DONE

    @property
    def failing(self) -> bool:
        return self.verdict in (Verdict.WAITING, Verdict.STALLED, Verdict.ERROR)

    @property
    def label(self) -> Label:
        """The metric label: waiting is not an error."""
        labels: dict[Verdict, Label] = {
            Verdict.WAITING: "waiting",
            Verdict.STALLED: "stalled",
            Verdict.ERROR: "error",
        }
        return labels.get(self.verdict, "success")


DONE = Result(Verdict.DONE)


def idle(reason: str, message: str, after: float | None) -> Result:
    return Result(Verdict.IDLE, after, reason, message)


def progressing(reason: str, message: str, after: float | None) -> Result:
    return Result(Verdict.PROGRESSING, after, reason, message)


def waiting(reason: str, message: str, after: float | None) -> Result:
    return Result(Verdict.WAITING, after, reason, message)


def stalled(reason: str, message: str, after: float | None = None) -> Result:
    return Result(Verdict.STALLED, after, reason, message)


def from_error(error: BaseException) -> Result:
    """A typed error as a result: invalid specs and catalogs and `Stalled` errors stall,
    other expected errors wait, anything else is unexpected (logged with its trace). A group
    from a TaskGroup is read as its first error."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    if isinstance(error, pydantic.ValidationError):
        return stalled(Reason.INVALID_SPEC, describe_validation(error))
    if isinstance(error, CatalogInvalid):
        return stalled(Reason.CATALOG_INVALID, str(error))
    if isinstance(error, Stalled):
        return stalled(error.reason, str(error), error.retry_after)
    if isinstance(error, StagingProError):
        return Result(
            Verdict.WAITING,
            error.retry_after,
            error.reason,
            str(error),
            rate_limited=isinstance(error, Waiting) and error.reason == Reason.RATE_LIMITED,
        )
    logger.exception("unexpected error", exc_info=error)
    return Result(
        Verdict.ERROR, UNEXPECTED_RETRY, "InternalError", f"{type(error).__name__}: {error}"
    )


def describe_validation(error: pydantic.ValidationError) -> str:
    """`spec.store.hash: Field required; ...` from a pydantic error."""
    parts = []
    for item in error.errors()[:5]:
        location = "".join(
            f"[{p}]" if isinstance(p, int) else f"{'.' if i else ''}{p}"
            for i, p in enumerate(item["loc"])
        )
        parts.append(f"{location}: {item['msg']}")
    return "; ".join(parts)


@dataclass
class Outcome:
    """What a reconcile decided: the status to write, when to look again, the events to emit."""

    status: dict[str, Any]
    requeue_after: float | None
    events: list[Event] = field(default_factory=list)
    result: Label = "success"
    # Objects of the namespace whose facts derive from this one's (kind, name): looked at at once.
    touches: list[tuple[str, str]] = field(default_factory=list)


def conclude(
    conditions: list[Condition], result: Result, *, generation: int | None, now: datetime
) -> list[Condition]:
    """The kstatus conditions of a reconcile's result (a DONE result carries Ready's reason and
    message). Ready is True only when done; Reconciling while work or retries are under way;
    Stalled when a person must act; RateLimited while the store's quota holds it back."""
    ready: ConditionStatus = {Verdict.DONE: "True", Verdict.PROGRESSING: "Unknown"}.get(  # type: ignore[assignment]
        result.verdict, "False"
    )
    reconciling = result.verdict in (Verdict.PROGRESSING, Verdict.WAITING, Verdict.ERROR)
    settings: tuple[tuple[str, ConditionStatus], ...] = (
        (READY, ready),
        (RECONCILING, "True" if reconciling else "False"),  # transient: removed when False
        (STALLED, "True" if result.verdict is Verdict.STALLED else "False"),
        (RATE_LIMITED, "True" if result.rate_limited else "False"),
    )
    for type_, status in settings:
        conditions = set_condition(
            conditions, type_, status, result.reason, result.message, generation=generation, now=now
        )
    return conditions
