"""Structured fan-out: concurrent work that stops at the first failure and loses no error."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from typing import TypeVar, cast

T = TypeVar("T")


def _leaves(group: BaseExceptionGroup[BaseException]) -> list[BaseException]:
    out: list[BaseException] = []
    for error in group.exceptions:
        out += _leaves(error) if isinstance(error, BaseExceptionGroup) else [error]
    return out


async def fan_out(work: Iterable[Awaitable[T]]) -> list[T]:
    """Await all of `work` concurrently (asyncio.TaskGroup): after the first failure the rest is
    cancelled, and the first error is raised with every other one attached as a note."""
    tasks: list[asyncio.Task[T]] = []
    try:
        async with asyncio.TaskGroup() as group:
            for item in work:
                tasks.append(group.create_task(_awaited(item)))
    except BaseExceptionGroup as failed:
        raise _first(_leaves(failed)) from None
    return [task.result() for task in tasks]


async def each_to_its_end(work: Iterable[Awaitable[T]]) -> list[T]:
    """Await all of `work` concurrently, each to its end (independent work: one failure cancels
    nothing); then raise the first error with every other one attached as a note."""
    results = await asyncio.gather(*work, return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        raise _first(errors) from None
    return cast(list[T], results)  # no exceptions among them


def _first(errors: list[BaseException]) -> BaseException:
    first, *others = errors
    for other in others:
        first.add_note(f"also: {type(other).__name__}: {other}")
    return first


async def _awaited(item: Awaitable[T]) -> T:
    return await item
