"""Errors become conditions, events and requeues here, and nowhere else (as in Flux controllers)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import pydantic

from controller.api.base import Condition
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
Result = Literal["success", "waiting", "stalled", "error"]
UNEXPECTED_RETRY = 60.0


@dataclass
class Outcome:
    """What a reconcile decided: the status to write, when to look again, the events to emit."""

    status: dict[str, Any]
    requeue_after: float | None
    events: list[Event] = field(default_factory=list)
    result: Result = "success"  # the metric label; waiting is not an error
    # Objects of the namespace whose facts derive from this one's (kind, name): looked at at once.
    touches: list[tuple[str, str]] = field(default_factory=list)


def classify(error: BaseException) -> Result:
    """Waiting (clears by itself), stalled (a person must act) or error (unexpected)."""
    if isinstance(error, pydantic.ValidationError | CatalogInvalid | Stalled):
        return "stalled"
    if isinstance(error, StagingProError):
        return "waiting"
    return "error"


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


def failed(
    conditions: list[Condition], error: BaseException, *, generation: int | None, now: datetime
) -> tuple[list[Condition], float | None, Event]:
    """Conditions, requeue delay (None: not until the object changes) and event for a failure."""
    if isinstance(error, pydantic.ValidationError):
        reason, message, retry, stalled = (
            Reason.INVALID_SPEC,
            describe_validation(error),
            None,
            True,
        )
    elif isinstance(error, CatalogInvalid):
        reason, message, retry, stalled = Reason.CATALOG_INVALID, str(error), None, True
    elif isinstance(error, StagingProError):
        reason, message, retry = error.reason, str(error), error.retry_after
        stalled = isinstance(error, Stalled)
    else:
        logger.exception("unexpected error", exc_info=error)
        reason, message, retry, stalled = (
            "InternalError",
            f"{type(error).__name__}: {error}",
            UNEXPECTED_RETRY,
            False,
        )
    conditions = set_condition(
        conditions, READY, "False", reason, message, generation=generation, now=now
    )
    # kstatus: retrying is in progress (Reconciling), giving up until a person acts is Stalled.
    conditions = set_condition(
        conditions,
        RECONCILING,
        "False" if stalled else "True",
        reason,
        message,
        generation=generation,
        now=now,
    )
    conditions = set_condition(
        conditions,
        STALLED,
        "True" if stalled else "False",
        reason,
        message,
        generation=generation,
        now=now,
    )
    rate_limited = isinstance(error, Waiting) and error.reason == Reason.RATE_LIMITED
    conditions = set_condition(
        conditions,
        RATE_LIMITED,
        "True" if rate_limited else "False",
        Reason.RATE_LIMITED,
        message,
        generation=generation,
        now=now,
    )
    return conditions, retry, ("Warning", reason, message)


def succeeded(
    conditions: list[Condition], reason: str, message: str, *, generation: int | None, now: datetime
) -> list[Condition]:
    """Ready=True; Stalled, Reconciling and RateLimited cleared."""
    conditions = set_condition(
        conditions, READY, "True", reason, message, generation=generation, now=now
    )
    for transient in (STALLED, RECONCILING, RATE_LIMITED):
        conditions = set_condition(
            conditions, transient, "False", reason, generation=generation, now=now
        )
    return conditions


def progressing(
    conditions: list[Condition], reason: str, message: str, *, generation: int | None, now: datetime
) -> list[Condition]:
    """Reconciling=True and Ready=Unknown while work is under way (kstatus: in progress)."""
    conditions = set_condition(
        conditions, READY, "Unknown", reason, message, generation=generation, now=now
    )
    conditions = set_condition(conditions, STALLED, "False", reason, generation=generation, now=now)
    return set_condition(
        conditions, RECONCILING, "True", reason, message, generation=generation, now=now
    )


def idle(
    conditions: list[Condition], reason: str, message: str, *, generation: int | None, now: datetime
) -> list[Condition]:
    """Ready=False with nothing under way (scheduled, awaiting approval): kstatus Current."""
    conditions = set_condition(
        conditions, READY, "False", reason, message, generation=generation, now=now
    )
    for transient in (STALLED, RECONCILING, RATE_LIMITED):
        conditions = set_condition(
            conditions, transient, "False", reason, generation=generation, now=now
        )
    return conditions
