"""Per-store behaviour that is not catalog data: the rate-limit window, injected faults, statistics."""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

UNLIMITED_QUOTA = 1_000_000


@dataclass
class RateDecision:
    """The outcome of asking the limiter for one request, and the headers to send."""

    allowed: bool
    quota: int
    left: int
    reset_ms: int
    window_ms: int

    def headers(self) -> dict[str, str]:
        """The four `X-Rate-Limit-*` headers (and `X-Retry-After` when refused)."""
        headers = {
            "X-Rate-Limit-Time-Window-Ms": str(self.window_ms),
            "X-Rate-Limit-Time-Reset-Ms": str(self.reset_ms),
            "X-Rate-Limit-Requests-Quota": str(self.quota),
            "X-Rate-Limit-Requests-Left": str(self.left),
        }
        if not self.allowed:
            headers["X-Retry-After"] = str(max(1, math.ceil(self.reset_ms / 1000)))
        return headers


class RateLimiter:
    """A fixed window of `quota` requests per `window_ms` (quota 0 = unlimited)."""

    def __init__(
        self, quota: int = 450, window_ms: int = 30_000, clock: Callable[[], float] = time.monotonic
    ):
        self.quota = quota
        self.window_ms = window_ms
        self._clock = clock
        self._window_start = clock()
        self._used = 0

    def configure(self, quota: int, window_ms: int) -> None:
        """Change the quota and window; a new window starts now."""
        self.quota, self.window_ms = quota, window_ms
        self._window_start, self._used = self._clock(), 0

    def consume(self) -> RateDecision:
        """Count one request if the window has room."""
        now = self._clock()
        elapsed_ms = (now - self._window_start) * 1000
        if elapsed_ms >= self.window_ms:
            self._window_start, self._used, elapsed_ms = now, 0, 0.0
        reset_ms = max(0, math.ceil(self.window_ms - elapsed_ms))
        if self.quota <= 0:
            self._used += 1
            return RateDecision(True, UNLIMITED_QUOTA, UNLIMITED_QUOTA, reset_ms, self.window_ms)
        if self._used >= self.quota:
            return RateDecision(False, self.quota, 0, reset_ms, self.window_ms)
        self._used += 1
        return RateDecision(True, self.quota, self.quota - self._used, reset_ms, self.window_ms)


@dataclass
class FaultConfig:
    """Faults injected into one store's responses; shares are probabilities per request."""

    error_rate: float = 0.0
    error_statuses: list[int] = field(default_factory=lambda: [500, 502, 503, 504])
    error_after_write_rate: float = 0.0
    bare_429_rate: float = 0.0
    drop_rate: float = 0.0
    latency_ms: float = 0.0
    slow_body_ms: float = 0.0
    seed: int = 0
    # "METHOD /endpoint" (as the statistics name it) -> how many such requests are let through;
    # the ones after are held unanswered until the faults change, then dropped (a store that
    # stops answering mid-write, at a point a test chooses)
    hold_after: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultConfig:
        """Build from the admin API's JSON; unknown keys are refused."""
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        config = cls(**data)
        for name in ("error_rate", "error_after_write_rate", "bare_429_rate", "drop_rate"):
            if not 0.0 <= getattr(config, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if any(s not in (500, 502, 503, 504) for s in config.error_statuses):
            raise ValueError("error_statuses may hold 500, 502, 503, 504")
        for key, count in config.hold_after.items():
            method, _, path = key.partition(" ")
            if method not in ("GET", "POST", "PUT", "DELETE") or not path.startswith("/"):
                raise ValueError(f"hold_after {key!r}: expected 'METHOD /endpoint'")
            if not isinstance(count, int) or count < 0:
                raise ValueError(f"hold_after {key!r}: expected a count of 0 or more")
        return config

    def to_json(self) -> dict[str, Any]:
        """As the admin API shows it."""
        return asdict(self)


@dataclass(frozen=True)
class FaultPlan:
    """What happens to one request."""

    drop: bool = False
    bare_429: bool = False
    error_before: int | None = None
    error_after: int | None = None
    latency_s: float = 0.0
    slow_body_s: float = 0.0


class Faults:
    """Draws a deterministic sequence of fault decisions from the configured seed."""

    def __init__(self, config: FaultConfig | None = None):
        self._release: tuple[asyncio.AbstractEventLoop, asyncio.Event] | None = None
        self.configure(config or FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        """Replace the configuration; the random sequence restarts from the seed, and held
        requests are let go (dropped)."""
        self.config = config
        self._rng = random.Random(config.seed)
        self._passed: Counter[str] = Counter()
        self.held = 0
        release, self._release = self._release, None
        if release is not None:  # configure() may run on another thread (a test's)
            loop, event = release
            if not loop.is_closed():
                loop.call_soon_threadsafe(event.set)

    async def hold(self, method: str, endpoint: str) -> bool:
        """Hold a request past its `hold_after` count until the faults change; whether it was."""
        key = f"{method} {endpoint}"
        allowed = self.config.hold_after.get(key)
        if allowed is None or self._passed[key] < allowed:
            self._passed[key] += 1
            return False
        if self._release is None:
            self._release = (asyncio.get_running_loop(), asyncio.Event())
        self.held += 1
        await self._release[1].wait()
        return True

    def draw(self, is_write: bool) -> FaultPlan:
        """Decide the fate of the next request."""
        c, rng = self.config, self._rng
        # Always draw the same number of values so that one setting does not shift the others.
        drop, bare, before, after, pick = (rng.random() for _ in range(5))
        status = c.error_statuses[int(pick * len(c.error_statuses)) % len(c.error_statuses)]
        return FaultPlan(
            drop=drop < c.drop_rate,
            bare_429=bare < c.bare_429_rate,
            error_before=status if before < c.error_rate else None,
            error_after=status if is_write and after < c.error_after_write_rate else None,
            latency_s=c.latency_ms / 1000,
            slow_body_s=c.slow_body_ms / 1000,
        )


class Stats:
    """Requests counted at the server, by endpoint template, method and status."""

    def __init__(self) -> None:
        self.requests: Counter[tuple[str, str, int]] = Counter()
        self.dropped = 0

    def record(self, method: str, endpoint: str, status: int) -> None:
        """Count one answered request."""
        self.requests[(method, endpoint, status)] += 1

    def reset(self) -> None:
        """Forget everything counted."""
        self.requests.clear()
        self.dropped = 0

    def to_json(self) -> dict[str, Any]:
        """Totals by status, by method, and per `METHOD endpoint` by status."""
        by_status: Counter[str] = Counter()
        by_method: Counter[str] = Counter()
        by_endpoint: dict[str, Counter[str]] = {}
        for (method, endpoint, status), count in self.requests.items():
            by_status[str(status)] += count
            by_method[method] += count
            by_endpoint.setdefault(f"{method} {endpoint}", Counter())[str(status)] += count
        return {
            "total": sum(self.requests.values()),
            "dropped": self.dropped,
            "by_status": dict(sorted(by_status.items())),
            "by_method": dict(sorted(by_method.items())),
            "by_endpoint": {k: dict(sorted(v.items())) for k, v in sorted(by_endpoint.items())},
        }


class StoreControl:
    """Rate limiter, faults and statistics of one store."""

    def __init__(self, quota: int = 450, window_ms: int = 30_000):
        self.limiter = RateLimiter(quota, window_ms)
        self.faults = Faults()
        self.stats = Stats()
