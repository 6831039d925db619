"""Time from a change in the store to the environment's status showing it, webhooks on: the real
operator (kopf, with its defaults but for the webhook receiver) against a Kubernetes API (kmock,
as the end-to-end tests use it) and an emulator process of `count` products delivering its
webhooks over loopback HTTP; the catalog is served by `git daemon`. Each change raises one
product's price through the API; the time runs until the status counts it as drifted (the first
one turns `Drifted` true). Checks are an hour apart: only the webhooks bring changes in time.

`python -m bench webhooks` (100000 products, 10 changes) or `python -m bench.webhooks COUNT N`
(`BENCH_SEEDED_DB` as for `bench operator`)."""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import TOKEN, emulator_process, git_catalog, seed_one
from bench.engine import synthetic_catalog
from controller.access import AccessPolicy
from tests.support.gitservers import GitDaemon, free_port
from tests.support.kube import KubeThread, client_with_crds
from tests.support.manifests import binding

GROUP, VERSION, NAMESPACE = "stagingpro.io", "v1alpha1", "bench"
ROOT = Path(__file__).resolve().parent.parent


def _wait(what: str, check: Any, timeout: float, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)
    return value


def run(count: int = 100_000, changes: int = 10) -> None:
    """Print the time from a change in the store to the status showing it, webhooks on."""
    print(f"== change to Drifted through webhooks, {count} products, {changes} changes")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        seed_one(root / "store.db", count)
        git_catalog(root / "git" / "catalog", synthetic_catalog(count))
        daemon = GitDaemon(root / "git")
        port = free_port()
        try:
            with (
                emulator_process(root / "store.db", ["big"]) as (store_url, _),
                KubeThread() as kube,
            ):
                _measure(root, kube, store_url, daemon.url("catalog"), port, count, changes)
        finally:
            daemon.stop()


def _measure(
    root: Path, kube: KubeThread, store_url: str, git_url: str, port: int, count: int, n: int
) -> None:
    api = client_with_crds(root, kube.url, ROOT / "crds")
    from kubernetes import client

    from controller.operator.config import OperatorConfig
    from controller.operator.handlers import run_operator
    from controller.stores.hooks import WebhookConfig

    settings = OperatorConfig(
        namespaces=(NAMESPACE,),
        standalone=True,
        cache_dir=root / "cache",
        access=AccessPolicy.configured([store_url], env={}),
        webhook_port=port,
        webhooks=WebhookConfig(f"http://127.0.0.1:{port}"),
    )
    stop, ready = threading.Event(), threading.Event()
    thread = threading.Thread(
        target=run_operator,
        args=(settings,),
        kwargs={"stop_flag": stop, "ready_flag": ready},
        name="operator",
        daemon=True,
    )
    thread.start()
    try:
        if not ready.wait(120):
            raise RuntimeError("the operator did not start")
        kube.api.add_namespace(NAMESPACE)
        core, custom = client.CoreV1Api(api), client.CustomObjectsApi(api)
        core.create_namespaced_secret(
            NAMESPACE,
            client.V1Secret(
                metadata=client.V1ObjectMeta(
                    name="token", annotations=binding("big", store_url, "production")
                ),
                string_data={"token": TOKEN},
            ),
        )
        environment = {
            "role": "production",
            "store": {
                "hash": "big",
                "apiUrl": store_url,
                "credentialsSecretRef": {"name": "token", "key": "token"},
            },
            "catalog": {"snapshotRef": {"name": "catalog"}},
            "syncPolicy": {"mode": "observe", "interval": "1h"},
        }
        snapshot = {"source": {"git": {"url": git_url, "ref": "main", "path": "catalog"}}}
        for kind, plural, name, spec in (
            ("CatalogSnapshot", "catalogsnapshots", "catalog", snapshot),
            ("StoreEnvironment", "storeenvironments", "production", environment),
        ):
            body = {
                "apiVersion": f"{GROUP}/{VERSION}",
                "kind": kind,
                "metadata": {"name": name, "namespace": NAMESPACE},
                "spec": spec,
            }
            custom.create_namespaced_custom_object(GROUP, VERSION, NAMESPACE, plural, body)

        def status() -> dict[str, Any]:
            found: dict[str, Any] = custom.get_namespaced_custom_object(
                GROUP, VERSION, NAMESPACE, "storeenvironments", "production"
            )
            return found.get("status") or {}

        def changed_products() -> int:
            counts = status().get("drift", {}).get("counts", {}).get("products", {})
            return int(counts.get("changed", 0))

        started = time.monotonic()
        _wait("the first check", lambda: status().get("drift", {}).get("inSync"), 3600, 1)
        print(f"  first (full) check in sync after {time.monotonic() - started:.0f} s")
        times = []
        with httpx.Client(
            base_url=f"{store_url}/stores/big/v3", headers={"X-Auth-Token": TOKEN}, timeout=60
        ) as store:
            for index in range(n):
                sku = f"SP-{index * (count // n):06d}"
                found = store.get("/catalog/products", params={"sku": sku}).json()["data"][0]
                changed = time.monotonic()
                store.put(f"/catalog/products/{found['id']}", json={"price": 1}).raise_for_status()
                _wait(f"{sku} drifted", lambda i=index: changed_products() > i, 60)
                times.append(time.monotonic() - changed)
        last = status()
        drifted = next(c for c in last["conditions"] if c["type"] == "Drifted")
        print(
            f"  change in the store -> shown as drift in status: median "
            f"{statistics.median(times):.2f} s, max {max(times):.2f} s over {n} changes "
            f"(target <= 5 s); Drifted {drifted['status']}, observed by "
            f"{last['observation']['mode']}, {last['observation']['requests']} requests the last check"
        )
    finally:
        stop.set()
        thread.join(timeout=60)


if __name__ == "__main__":
    run(*(int(a) for a in sys.argv[1:3]))
