"""The operator's settings, from the environment: `stagingpro operator` sets them from its flags,
and a plain `kopf run -m controller.operator.handlers` (tests, debugging) reads the same."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PREFIX = "STAGINGPRO_"


@dataclass(frozen=True)
class OperatorConfig:
    """How the operator runs."""

    tick: float = 5.0  # how often each object's timer checks whether it is due
    metrics_port: int | None = None
    cache_dir: Path = Path("/var/cache/stagingpro")
    approval_poll: float = 15.0
    snapshot_poll: float = 60.0
    # Only objects labelled stagingpro.io/shard=<shard>: several releases split one fleet.
    shard: str | None = None

    @classmethod
    def from_env(cls) -> OperatorConfig:
        """Read `STAGINGPRO_TICK`, `STAGINGPRO_METRICS_PORT`, `STAGINGPRO_CACHE_DIR`, ..."""
        env = os.environ
        port = env.get(PREFIX + "METRICS_PORT")
        return cls(
            tick=float(env.get(PREFIX + "TICK", cls.tick)),
            metrics_port=int(port) if port else None,
            cache_dir=Path(env.get(PREFIX + "CACHE_DIR", str(cls.cache_dir))),
            approval_poll=float(env.get(PREFIX + "APPROVAL_POLL", cls.approval_poll)),
            snapshot_poll=float(env.get(PREFIX + "SNAPSHOT_POLL", cls.snapshot_poll)),
            shard=env.get(PREFIX + "SHARD") or None,
        )

    def to_env(self) -> dict[str, str]:
        """The environment that reproduces this configuration."""
        return {
            PREFIX + "TICK": str(self.tick),
            PREFIX + "CACHE_DIR": str(self.cache_dir),
            PREFIX + "APPROVAL_POLL": str(self.approval_poll),
            PREFIX + "SNAPSHOT_POLL": str(self.snapshot_poll),
            # Always set, so that a disabled port overrides one inherited from the environment.
            PREFIX + "METRICS_PORT": "" if self.metrics_port is None else str(self.metrics_port),
            PREFIX + "SHARD": self.shard or "",
        }
