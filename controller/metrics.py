"""Prometheus metrics: one set of names for the operator and the standalone loop.

Labels are bounded: stores by hash, endpoints by path template, environments by name; never SKUs.
"""

from __future__ import annotations

import contextlib

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    start_http_server,
)

from controller.api.deployment import DeploymentPhase

PHASES = tuple(DeploymentPhase)


class Metrics:
    """The operator's metrics, in their own registry."""

    def __init__(self, registry: CollectorRegistry | None = None):
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.reconcile_seconds = Histogram(
            "stagingpro_reconcile_duration_seconds",
            "Time to reconcile one resource.",
            ["kind", "result"],
            registry=r,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900),
        )
        self.api_requests = Counter(
            "stagingpro_api_requests_total",
            "Store API requests by response status (0: no response).",
            ["store", "method", "endpoint", "status"],
            registry=r,
        )
        self.throttled = Counter(
            "stagingpro_api_throttled_total", "429 responses received.", ["store"], registry=r
        )
        self.rate_limit_wait = Counter(
            "stagingpro_api_rate_limit_wait_seconds_total",
            "Time requests were held for the store's quota.",
            ["store"],
            registry=r,
        )
        self.quota_remaining = Gauge(
            "stagingpro_api_quota_remaining",
            "Requests left in the store's current rate-limit window.",
            ["store"],
            registry=r,
        )
        self.observation_requests = Counter(
            "stagingpro_observation_requests_total",
            "Store API requests spent observing an environment's store, by how it was observed.",
            ["namespace", "name", "mode"],
            registry=r,
        )
        self.drift_items = Gauge(
            "stagingpro_drift_items",
            "Items that differ from the desired catalog.",
            ["namespace", "environment", "kind", "change"],
            registry=r,
        )
        self.environment_ready = Gauge(
            "stagingpro_environment_ready",
            "1 when the environment is Ready.",
            ["namespace", "environment"],
            registry=r,
        )
        self.environment_drifted = Gauge(
            "stagingpro_environment_drifted",
            "1 when the environment has drift.",
            ["namespace", "environment"],
            registry=r,
        )
        self.environment_info = Gauge(
            "stagingpro_environment_info",
            "Facts about each environment (value 1).",
            ["namespace", "environment", "role", "store", "timezone"],
            registry=r,
        )
        self.last_sync = Gauge(
            "stagingpro_last_successful_sync_timestamp_seconds",
            "When the environment last synced without error.",
            ["namespace", "environment"],
            registry=r,
        )
        self.credentials_rejected = Gauge(
            "stagingpro_credentials_rejected",
            "1 while the store rejects the environment's credentials.",
            ["namespace", "environment"],
            registry=r,
        )
        self.deployments = Gauge(
            "stagingpro_deployments",
            "StoreDeployments by phase.",
            ["namespace", "deployment", "phase"],
            registry=r,
        )
        self.deployment_seconds = Histogram(
            "stagingpro_deployment_duration_seconds",
            "Time from a target's start to its outcome.",
            ["result"],
            registry=r,
            buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200),
        )

    def on_response(self, store: str, method: str, endpoint: str, status: int) -> None:
        """Count one API response (the store client's hook)."""
        self.api_requests.labels(store, method, endpoint, str(status)).inc()
        if status == 429:
            self.throttled.labels(store).inc()

    def forget_environment(self, namespace: str, name: str) -> None:
        """Remove the series of a deleted environment."""
        for metric in (
            self.environment_ready,
            self.environment_drifted,
            self.last_sync,
            self.credentials_rejected,
            self.drift_items,
            self.environment_info,
            self.observation_requests,
        ):
            for labels in list(getattr(metric, "_metrics", {})):
                if labels[:2] == (namespace, name):
                    metric.remove(*labels)

    def set_deployment_phase(self, namespace: str, name: str, phase: str | None) -> None:
        """One-hot phase of a deployment (None removes its series)."""
        for candidate in PHASES:
            if phase is None:
                with contextlib.suppress(KeyError):
                    self.deployments.remove(namespace, name, candidate)
            else:
                self.deployments.labels(namespace, name, candidate).set(
                    1 if candidate == phase else 0
                )

    def serve(self, port: int, host: str = "0.0.0.0") -> None:
        """Serve /metrics on a port (in a background thread)."""
        start_http_server(port, addr=host, registry=self.registry)
