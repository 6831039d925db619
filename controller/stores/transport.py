"""The layers every store request goes through, as httpx transports wrapped around the network one:

    RetryingTransport -> PacedTransport -> ObservedTransport -> network

Retries (with a per-client budget and an optional deadline) are outermost so that each attempt is paced
by the rate governor and counted; the backoff sleeps hold no governor slot. A request says how it may be
retried and under which endpoint template it is counted through its `extensions` (see `request_extensions`).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import random
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from controller.stores.errors import RateLimited, StoreUnavailable
from controller.stores.governor import RateGovernor

logger = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
ENDPOINT = "stagingpro.endpoint"
RETRY_UNSAFE = "stagingpro.retry_unsafe"

RequestObserver = Callable[[str, str, str, int], None]
"""Called with (store hash, method, endpoint template, status) for every attempt; status 0 for an
attempt that got no response."""

RetryNotice = Callable[[str], None]
"""Called with a one-line, credential-free message before each retry (progress for people)."""


@dataclass(frozen=True)
class RetryPolicy:
    """How failed requests are retried."""

    attempts: int = 6
    backoff: float = 0.5
    max_backoff: float = 30.0
    budget: int = 1000  # retries per client: a store that keeps failing stops being hammered
    deadline: float | None = (
        None  # seconds per request, retries included (rate-limit waits excepted)
    )


def request_extensions(endpoint: str, *, retry_unsafe: bool = True) -> dict[str, Any]:
    """The `extensions` of a request: its endpoint template for metrics and messages, and whether a
    write may be resent after a failure that may have happened after the store applied it."""
    return {ENDPOINT: endpoint, RETRY_UNSAFE: retry_unsafe}


def endpoint_of(request: httpx.Request) -> str:
    """The endpoint template a request is counted under (its path when it has none)."""
    return str(request.extensions.get(ENDPOINT) or request.url.path)


def _causes(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def describe_transport_error(
    error: httpx.TransportError, url: httpx.URL, timeout: float | None = None
) -> str:
    """What failed, for people: refused, TLS, DNS, timeout, closed; the host but never a credential."""
    where = f"{url.host}:{url.port or (443 if url.scheme == 'https' else 80)}"
    if isinstance(error, httpx.TimeoutException):
        after = f" after {timeout:g}s" if timeout else ""
        if isinstance(error, httpx.ConnectTimeout):
            return f"connecting to {where} timed out{after}"
        if isinstance(error, httpx.PoolTimeout):
            return f"no free connection to {where}{after}"
        return f"no answer from {where}: timed out{after}"
    chain = _causes(error)
    for cause in chain:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS certificate of {where} not trusted: {cause.verify_message}"
        if isinstance(cause, ssl.SSLError):
            return f"TLS handshake with {where} failed: {cause.reason or cause}"
        if isinstance(cause, socket.gaierror):
            return f"DNS lookup of {url.host} failed: {cause.strerror}"
        if isinstance(cause, ConnectionRefusedError):
            return f"connection to {where} refused"
    if any(isinstance(c, OSError) and c.errno == errno.ECONNREFUSED for c in chain):
        return f"connection to {where} refused"
    if isinstance(error, httpx.ConnectError):
        return f"cannot connect to {where}: {error}"
    return f"connection to {where} closed before an answer ({type(error).__name__})"


class ObservedTransport(httpx.AsyncBaseTransport):
    """Reports every attempt, with its status (0 when no answer came), to an observer."""

    def __init__(self, inner: httpx.AsyncBaseTransport, store_hash: str, observer: RequestObserver):
        self._inner = inner
        self._store_hash = store_hash
        self._observer = observer

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await self._inner.handle_async_request(request)
        except httpx.TransportError:
            self._observer(self._store_hash, request.method, endpoint_of(request), 0)
            raise
        self._observer(self._store_hash, request.method, endpoint_of(request), response.status_code)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


class PacedTransport(httpx.AsyncBaseTransport):
    """Holds each attempt in a slot of the store's rate governor, and teaches it every answer."""

    def __init__(self, inner: httpx.AsyncBaseTransport, governor: RateGovernor):
        self._inner = inner
        self.governor = governor

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        async with self.governor.slot():
            response = await self._inner.handle_async_request(request)
            self.governor.observe(response.status_code, response.headers)
            return response

    async def aclose(self) -> None:
        await self._inner.aclose()


class RetryingTransport(httpx.AsyncBaseTransport):
    """Retries 429s, 5xx and transport failures with jittered exponential backoff, within the
    policy's attempts, its deadline and a budget shared by the client; a write that must not be
    resent is retried only when the store cannot have applied it (a 429, a failed connect).
    Raises `RateLimited` / `StoreUnavailable` when it gives up."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        store_hash: str,
        governor: RateGovernor,
        policy: RetryPolicy,
        timeout: float | None,
        rng: random.Random,
        on_retry: RetryNotice | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._inner = inner
        self._store_hash = store_hash
        self._governor = governor
        self.policy = policy
        self._timeout = timeout
        self._rng = rng
        self._on_retry = on_retry
        self._clock = clock
        self.retries_left = policy.budget

    def _backoff(self, attempt: int) -> float:
        base = min(self.policy.max_backoff, self.policy.backoff * 2.0**attempt)
        return base / 2 + self._rng.uniform(0, base / 2)

    def _may_retry(self, attempt: int, started: float, delay: float, *, waiting: bool) -> bool:
        if attempt + 1 >= self.policy.attempts or self.retries_left <= 0:
            return False
        deadline = self.policy.deadline
        if not waiting and deadline is not None and self._clock() - started + delay > deadline:
            return False
        self.retries_left -= 1
        return True

    def _notify(self, message: str) -> None:
        logger.info("%s", message)
        if self._on_retry is not None:
            self._on_retry(message)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        what = f"store {self._store_hash}: {request.method} {endpoint_of(request)}"
        retry_unsafe = bool(request.extensions.get(RETRY_UNSAFE, True))
        started = self._clock()
        attempt = 0
        while True:
            delay = self._backoff(attempt)
            try:
                response = await self._inner.handle_async_request(request)
            except httpx.TransportError as error:
                failure = describe_transport_error(error, request.url, self._timeout)
                safe = retry_unsafe or isinstance(error, httpx.ConnectError)
                if not safe or not self._may_retry(attempt, started, delay, waiting=False):
                    raise StoreUnavailable(f"{what}: {failure}") from None
            else:
                status = response.status_code
                if status not in RETRYABLE_STATUSES:
                    return response
                await response.aclose()
                if status != 429 and not retry_unsafe:
                    raise StoreUnavailable(f"{what} answered {status}")
                if not self._may_retry(attempt, started, delay, waiting=status == 429):
                    error_type = RateLimited if status == 429 else StoreUnavailable
                    raise error_type(f"{what} still answered {status} after {attempt + 1} attempts")
                failure = f"answered {status}"
                if status == 429:
                    if "X-Rate-Limit-Time-Reset-Ms" not in response.headers and (
                        "X-Retry-After" not in response.headers
                    ):
                        self._governor.block_for(delay)
                    delay = 0.0  # the governor now holds every request of the store
            attempt += 1
            self._notify(
                f"{what}: {failure}; retrying"
                + (f" in {delay:.1f}s" if delay else "")
                + f" (attempt {attempt + 1} of {self.policy.attempts})"
            )
            if delay:
                await asyncio.sleep(delay)

    async def aclose(self) -> None:
        await self._inner.aclose()
