"""The one reconcile kernel. A reconciler is an ordered list of sub-steps over a context; each step
returns a `Result` (done, requeue after N, waiting on X, stalled because Y) or raises a typed error,
and sets only its own domain conditions. The kernel runs the steps until one is not done, and turns
that result into observedGeneration, the kstatus conditions, the failure event, the metric label
and the requeue: the same way for every kind, in the operator and in `stagingpro run`."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from controller.api.base import CommonStatus, ConditionStatus
from controller.api.conditions import Reason, set_condition
from controller.reconcile.outcome import (
    DONE,
    Event,
    Outcome,
    Result,
    Verdict,
    conclude,
    from_error,
)
from controller.reconcile.services import EventType, Services
from controller.reconcile.status import StatusWriter

S = TypeVar("S", bound=CommonStatus)


@dataclass
class Context(Generic[S]):
    """One reconcile of one object: what the steps read and what they decide."""

    obj: dict[str, Any]
    svc: Services
    writer: StatusWriter
    status: S
    now: datetime
    events: list[Event] = field(default_factory=list)
    # Objects of the namespace whose facts derive from this one's (kind, name): looked at at once.
    touches: list[tuple[str, str]] = field(default_factory=list)
    resources: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)
    ready: str = ""  # Ready's message once every step is done
    every: float | None = None  # when to look again once every step is done

    @property
    def generation(self) -> int | None:
        generation: int | None = self.obj.get("metadata", {}).get("generation")
        return generation

    @property
    def namespace(self) -> str:
        return str(self.obj.get("metadata", {}).get("namespace", "default"))

    @property
    def name(self) -> str:
        return str(self.obj.get("metadata", {}).get("name", ""))

    def event(self, type_: EventType, reason: str, message: str) -> None:
        self.events.append((type_, reason, message))

    def condition(
        self, type_: str, status: ConditionStatus, reason: str, message: str = ""
    ) -> None:
        """Set one of this kind's domain conditions (Drifted, SourceFetchFailed, ...)."""
        self.status.conditions = set_condition(
            self.status.conditions,
            type_,
            status,
            reason,
            message,
            generation=self.generation,
            now=self.now,
        )


C = TypeVar("C", bound=Context[Any])
T = TypeVar("T")


def _nothing(_: Any, __: Result) -> None:
    return None


@dataclass(frozen=True)
class Reconciler(Generic[C]):
    """A kind's reconciler: how to start its context, its ordered steps, and what it records of
    the result besides status (its metrics)."""

    start: Callable[[dict[str, Any], Services, StatusWriter], C]
    steps: Sequence[Callable[[C], Awaitable[Result]]]
    concluded: Callable[[C, Result], None] = _nothing

    async def __call__(self, obj: dict[str, Any], svc: Services, writer: StatusWriter) -> Outcome:
        ctx = self.start(obj, svc, writer)
        async with ctx.resources:  # what steps opened for the later ones (a store client)
            result = await run_steps(ctx, self.steps)
        if result.done:
            result = Result(Verdict.DONE, ctx.every, Reason.SUCCEEDED, ctx.ready)
        self.concluded(ctx, result)
        return summarise(ctx, result)


async def run_steps(ctx: T, steps: Sequence[Callable[[T], Awaitable[Result]]]) -> Result:
    """The steps in order until one is not done; a typed error is that step's result."""
    for step in steps:
        try:
            result = await step(ctx)
        except Exception as error:
            return from_error(error)
        if not result.done:
            return result
    return DONE


def summarise(ctx: Context[Any], result: Result) -> Outcome:
    """observedGeneration, conditions, events, requeue and metric label of a reconcile."""
    status = ctx.status
    status.observed_generation = ctx.generation
    status.conditions = conclude(status.conditions, result, generation=ctx.generation, now=ctx.now)
    events = list(ctx.events)
    if result.failing and result.announce:
        events.append(("Warning", result.reason, result.message))
    return Outcome(
        status.model_dump(mode="json", by_alias=True, exclude_none=True),
        result.after,
        events,
        result.label,
        ctx.touches,
    )
