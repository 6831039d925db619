"""The operator's settings as typed values: `stagingpro operator` builds them from its flags and
hands them to `run_operator`; nothing passes through environment variables."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from controller.access import AccessPolicy
from controller.notify import NotifySettings
from controller.stores.hooks import WebhookConfig


@dataclass(frozen=True)
class OperatorConfig:
    """How the operator runs."""

    namespaces: tuple[str, ...] = ()  # globs allowed; empty with `all_namespaces`
    all_namespaces: bool = False
    tick: float = 5.0  # how often each object's worker checks whether it is due
    metrics_port: int | None = None
    health_port: int | None = None
    cache_dir: Path = Path("/var/cache/stagingpro")
    approval_poll: float = 15.0
    snapshot_poll: float = 60.0
    # Only objects labelled stagingpro.io/shard=<shard>: several releases split one fleet.
    shard: str | None = None
    standalone: bool = False  # no peering between replicas
    peering: str = "stagingpro"
    identity: str = field(default="stagingpro-operator")  # reportingInstance of its events
    # API origins the stores may be at (never local Git: the operator reads only what it is given).
    access: AccessPolicy = field(default_factory=AccessPolicy)
    # The webhook receiver: the stores call `webhooks.public_url` (an ingress to `webhook_port`);
    # without it, stores are read incrementally at each environment's interval.
    webhooks: WebhookConfig | None = None
    heavy_checks: int = 1  # environments reading a whole store or planning at once (memory)
    catalog_cache_bytes: int = 256 * 2**20  # resolved catalogs kept between checks
    webhook_port: int = 8443
    # The read-only web UI (environments, deployments, each target's plan as its review page).
    ui_port: int | None = None
    ui_host: str = "0.0.0.0"
    notify: NotifySettings = field(default_factory=NotifySettings)  # deliveries, review URL
