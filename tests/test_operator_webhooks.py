"""The operator with its webhook receiver, end to end: kopf under its runner, a Kubernetes API served
by kmock (corrected), the emulator delivering its webhooks over HTTP to the receiver."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from controller.emulator import Emulator, EmulatorThread
from controller.emulator.resources.hooks import WebhookSettings
from tests.conftest import ROOT
from tests.support.gitservers import free_port
from tests.support.kube import KubeThread, client_with_crds
from tests.support.manifests import binding
from tests.support.waiting import wait_until

GROUP, VERSION = "stagingpro.io", "v1alpha1"
NAMESPACE = "hooks-shop"
TOKEN = "hook-token"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """An API server with the CRDs, an emulator, and the operator with its receiver."""
    tmp = tmp_path_factory.mktemp("hooks")
    port = free_port()
    emulator_app = Emulator(quota=0, webhooks=WebhookSettings(retry_intervals=(0.2,)))
    with KubeThread() as kube, EmulatorThread(emulator_app) as emulator:
        api = client_with_crds(tmp, kube.url, ROOT / "crds")
        from kubernetes import client

        from controller.access import AccessPolicy
        from controller.operator.config import OperatorConfig
        from controller.operator.handlers import run_operator
        from controller.stores.hooks import WebhookConfig

        settings = OperatorConfig(
            namespaces=("hooks-*",),
            standalone=True,
            tick=0.3,
            cache_dir=tmp / "cache",
            access=AccessPolicy.configured([emulator.url], env={}),
            webhook_port=port,
            webhooks=WebhookConfig(f"http://127.0.0.1:{port}"),
        )
        stop, ready, failures = threading.Event(), threading.Event(), []

        def operate() -> None:
            try:
                run_operator(settings, stop_flag=stop, ready_flag=ready)
            except BaseException as error:
                failures.append(error)

        thread = threading.Thread(target=operate, name="operator", daemon=True)
        thread.start()
        assert ready.wait(60), failures
        kube.api.add_namespace(NAMESPACE)
        try:
            yield {"emulator": emulator, "api": api, "client": client}
        finally:
            stop.set()
            thread.join(timeout=60)
        assert failures == []


def environment_status(cluster: dict[str, Any], name: str) -> dict[str, Any]:
    custom = cluster["client"].CustomObjectsApi(cluster["api"])
    found: dict[str, Any] = custom.get_namespaced_custom_object(
        GROUP, VERSION, NAMESPACE, "storeenvironments", name
    )
    return found.get("status") or {}


def drifted(status: dict[str, Any]) -> str | None:
    return next((c["status"] for c in status.get("conditions", []) if c["type"] == "Drifted"), None)


def test_a_price_changed_in_the_store_shows_as_drift_through_a_webhook_within_5_seconds(
    cluster: dict[str, Any],
) -> None:
    emulator: Emulator = cluster["emulator"]
    client = cluster["client"]
    emulator.add_store("hookshop", TOKEN)
    core = client.CoreV1Api(cluster["api"])
    core.create_namespaced_secret(
        NAMESPACE,
        client.V1Secret(
            metadata=client.V1ObjectMeta(
                name="token", annotations=binding("hookshop", emulator.url, "production")
            ),
            string_data={"token": TOKEN},
        ),
    )
    custom = client.CustomObjectsApi(cluster["api"])
    products = [
        {"sku": f"HK-{i}", "name": f"Hooked {i}", "type": "physical", "price": 10, "weight": 1}
        for i in range(5)
    ]
    for kind, plural, name, spec in (
        (
            "CatalogSnapshot",
            "catalogsnapshots",
            "v1",
            {"source": {"inline": {"products": products}}},
        ),
        (
            "StoreEnvironment",
            "storeenvironments",
            "production",
            {
                "role": "production",
                "store": {
                    "hash": "hookshop",
                    "apiUrl": emulator.url,
                    "credentialsSecretRef": {"name": "token", "key": "token"},
                },
                "catalog": {"snapshotRef": {"name": "v1"}},
                # checks an hour apart: only a webhook can bring the change in time
                "syncPolicy": {"mode": "sync", "interval": "1h"},
            },
        ),
    ):
        body = {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": kind,
            "metadata": {"name": name, "namespace": NAMESPACE},
            "spec": spec,
        }
        custom.create_namespaced_custom_object(GROUP, VERSION, NAMESPACE, plural, body)
    wait_until(
        "the environment in sync",
        lambda: environment_status(cluster, "production").get("drift", {}).get("inSync") is True,
    )
    hooks = asyncio.run(_hooks(emulator.url))
    assert sorted(h["scope"] for h in hooks) == ["store/product/*", "store/sku/*"]
    assert all(h["is_active"] for h in hooks)

    # the sync's own writes were delivered: the environment is observed through its webhooks
    wait_until(
        "observation through webhooks",
        lambda: environment_status(cluster, "production")["observation"]["mode"] == "webhooks",
    )
    product_id = asyncio.run(_raise_price(emulator.url, "HK-3"))
    changed = time.monotonic()
    wait_until(
        "drift through the webhook",
        lambda: drifted(environment_status(cluster, "production")) == "True",
        timeout=5,
        every=0.05,
    )
    assert time.monotonic() - changed <= 5
    status = environment_status(cluster, "production")
    assert status["observation"]["mode"] == "webhooks"
    assert status["observation"]["requests"] <= 4  # a count, the product named, categories, brands
    assert status["drift"]["samples"] == [
        {"kind": "products", "key": "HK-3", "change": "changed", "fields": ["price"]}
    ]
    assert product_id > 0

    custom.delete_namespaced_custom_object(
        GROUP, VERSION, NAMESPACE, "storeenvironments", "production"
    )
    wait_until("the hooks removed", lambda: asyncio.run(_hooks(emulator.url)) == [])


async def _hooks(url: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(
        base_url=f"{url}/stores/hookshop/v3", headers={"X-Auth-Token": TOKEN}
    ) as store:
        data: list[dict[str, Any]] = (await store.get("/hooks")).json()["data"]
        return data


async def _raise_price(url: str, sku: str) -> int:
    async with httpx.AsyncClient(
        base_url=f"{url}/stores/hookshop/v3", headers={"X-Auth-Token": TOKEN}
    ) as store:
        found = (await store.get("/catalog/products", params={"sku": sku})).json()["data"][0]
        answer = await store.put(f"/catalog/products/{found['id']}", json={"price": 99})
        answer.raise_for_status()
        return int(found["id"])


async def test_news_from_a_store_ends_its_worker_s_rest_at_once_not_at_its_next_tick() -> None:
    from controller.operator.handlers import nudging_tracker, rest

    class Running:
        """An operator that is not stopping."""

        def wait(self) -> Any:
            return asyncio.Event().wait()

    tracker, nudges = nudging_tracker()
    production = {
        "kind": "StoreEnvironment",
        "metadata": {"namespace": NAMESPACE, "name": "production", "generation": 1},
    }
    tracker.is_due("uid-1", production)
    tracker.done("uid-1", production, 3600)
    nudge = nudges.setdefault("uid-1", asyncio.Event())
    started = time.monotonic()
    resting = asyncio.create_task(rest(Running(), nudge, 3600))  # type: ignore[arg-type]
    await asyncio.sleep(0)
    assert not resting.done()
    assert not tracker.is_due("uid-1", production)
    tracker.due_now("StoreEnvironment", NAMESPACE, "production")  # the receiver heard the store
    await asyncio.wait_for(resting, timeout=5)
    assert time.monotonic() - started < 5
    assert tracker.is_due("uid-1", production)
