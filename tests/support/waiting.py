"""Waiting on a condition with a deadline (never sleeping for luck)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import httpx

T = TypeVar("T")


def wait_until(what: str, check: Callable[[], T], timeout: float = 30.0, every: float = 0.2) -> T:
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


async def wait_async(what: str, check: Callable[[], T], within: float = 10.0) -> T:
    """`wait_until` inside an event loop (the checked thing runs in that loop too)."""
    deadline = asyncio.get_running_loop().time() + within
    while not (value := check()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {within:.0f}s waiting for {what}")
        await asyncio.sleep(0.01)
    return value


async def wait_for_job(
    c: httpx.AsyncClient,
    job_id: str,
    within: float = 10.0,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Poll a theme job until it finishes (as a client must); its data, COMPLETED or FAILED."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        answer = await c.get(f"/v3/themes/jobs/{job_id}", headers=headers)
        data: dict[str, Any] = answer.json()["data"]
        if data["status"] in ("COMPLETED", "FAILED"):
            return data
        assert asyncio.get_running_loop().time() < deadline, f"job {job_id} still {data['status']}"
        await asyncio.sleep(0.02)
