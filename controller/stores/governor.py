"""The rate governor: one per store, shared by everything that talks to that store.

It reads the `X-Rate-Limit-*` headers of every response and keeps an estimate of the requests left in
the current window; when the estimate (less the requests in flight) reaches zero it holds new requests
until the window resets, so 429s are rare. Other apps on the same store consume the same quota: the
headers tell, and the estimate follows them. A 429 blocks every request of the store for the longer of
`X-Retry-After` and the window reset.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass


@dataclass
class QuotaState:
    """What the last response said of the quota."""

    quota: int | None = None
    left: int | None = None
    window_ms: int | None = None
    reset_at: float = 0.0  # clock time at which the window resets


def _int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class RateGovernor:
    """Paces the requests of one store to its quota, with bounded concurrency."""

    def __init__(self, concurrency: int = 8, *, clock: Callable[[], float] = time.monotonic):
        self.concurrency = concurrency
        self._semaphore = asyncio.Semaphore(concurrency)
        self._clock = clock
        self.state = QuotaState()
        self._in_flight = 0
        self._blocked_until = 0.0
        self.wait_seconds = 0.0  # wall time during which requests were held for the quota
        self._waiting = 0  # requests being held now
        self._wait_began = 0.0
        self.throttled = 0  # 429s received
        self.on_wait: Callable[[float], None] | None = None

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one request's place: waits for concurrency and for the quota."""
        async with self._semaphore:
            await self._wait_for_quota()
            self._in_flight += 1
            try:
                yield
            finally:
                self._in_flight -= 1

    async def _pause(self, seconds: float) -> None:
        """Hold one request; waits are counted as wall time, once however many requests wait."""
        if seconds <= 0:
            return
        if self._waiting == 0:
            self._wait_began = self._clock()
        self._waiting += 1
        try:
            await asyncio.sleep(seconds)
        finally:
            self._waiting -= 1
            if self._waiting == 0:
                waited = self._clock() - self._wait_began
                self.wait_seconds += waited
                if self.on_wait is not None:
                    self.on_wait(waited)

    @property
    def waiting_seconds(self) -> float:
        """Wall time held for the quota so far, the wait under way included."""
        ongoing = self._clock() - self._wait_began if self._waiting else 0.0
        return self.wait_seconds + ongoing

    async def _wait_for_quota(self) -> None:
        while True:
            now = self._clock()
            if now < self._blocked_until:
                await self._pause(self._blocked_until - now)
                continue
            state = self.state
            if state.left is not None and state.left <= 0:
                if now < state.reset_at:
                    await self._pause(state.reset_at - now + 0.005)
                    continue
                # The window has turned: assume a full quota until a response says otherwise.
                state.left = state.quota
            if state.left is not None:
                state.left -= 1
            return

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        """Learn from a response's headers (call for every response, 429s included)."""
        now = self._clock()
        quota = _int(headers, "X-Rate-Limit-Requests-Quota")
        left = _int(headers, "X-Rate-Limit-Requests-Left")
        reset_ms = _int(headers, "X-Rate-Limit-Time-Reset-Ms")
        window_ms = _int(headers, "X-Rate-Limit-Time-Window-Ms")
        if status == 429:
            self.throttled += 1
            retry_after = _int(headers, "X-Retry-After")
            waits = [s for s in ((retry_after or 0), (reset_ms or 0) / 1000) if s]
            if waits:
                self._blocked_until = max(self._blocked_until, now + max(waits))
        if quota is None or left is None or reset_ms is None:
            return
        state = self.state
        reset_at = now + reset_ms / 1000
        # Requests in flight have been counted here but not yet by the server's answer.
        others = max(0, self._in_flight - 1)
        if state.left is None or reset_at > state.reset_at + 0.05 or now >= state.reset_at:
            state.left = left - others
        else:
            state.left = min(state.left, left - others)
        state.quota, state.window_ms, state.reset_at = quota, window_ms, reset_at

    def block_for(self, seconds: float) -> None:
        """Hold every request of the store for `seconds` (a 429 without headers)."""
        self._blocked_until = max(self._blocked_until, self._clock() + seconds)

    @property
    def requests_per_second(self) -> float | None:
        """The quota rate as last observed."""
        state = self.state
        if not state.quota or not state.window_ms:
            return None
        return state.quota / (state.window_ms / 1000)
