"""The reconcilers under the kernel, one reconcile at a time: a fake World (objects, Secrets, status
patches and events in memory, with a hook to delay writes) and the emulator as the stateful store.
Case names state the outcome."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path
from typing import Any

import pytest

from controller.access import SecretData
from controller.api.conditions import kstatus
from controller.emulator import Emulator
from controller.reconcile.driver import drive
from controller.reconcile.services import EventType, Services
from controller.reconcile.status import merge_patch
from controller.standalone import services_for
from tests.conftest import PROD_TOKEN
from tests.support.manifests import access_to, binding

Key = tuple[str, str, str]


class FakeWorld:
    """Objects and Secrets in memory; every status write is a merge patch, optionally slowed."""

    def __init__(self) -> None:
        self.objects: dict[Key, dict[str, Any]] = {}
        self.secrets: dict[tuple[str, str], dict[str, bytes]] = {}
        self.events: list[tuple[str, str, str, str]] = []
        self.slow: dict[str, float] = {}  # phase -> seconds a status patch setting it takes
        self._writing = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def put(self, kind: str, name: str, spec: dict[str, Any], **meta: Any) -> None:
        self.objects[(kind, "shop", name)] = {
            "apiVersion": "stagingpro.io/v1alpha1",
            "kind": kind,
            "metadata": {"name": name, "namespace": "shop", "generation": 1, **meta},
            "spec": spec,
            "status": {},
        }

    def read(self, kind: str, name: str) -> dict[str, Any]:
        return copy.deepcopy(self.objects[(kind, "shop", name)])

    async def get(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        found = self.objects.get((kind, namespace, name))
        return copy.deepcopy(found) if found is not None else None

    async def list(self, kind: str, namespace: str) -> list[dict[str, Any]]:
        return [
            copy.deepcopy(o) for k, o in sorted(self.objects.items()) if k[:2] == (kind, namespace)
        ]

    async def secret(self, namespace: str, name: str) -> SecretData | None:
        return self.secrets.get((namespace, name))

    async def create(self, kind: str, namespace: str, body: dict[str, Any]) -> None:
        body = copy.deepcopy(body)
        body["metadata"].setdefault("generation", 1)
        self.objects.setdefault((kind, namespace, body["metadata"]["name"]), body)

    async def patch_status(
        self, kind: str, namespace: str, name: str, patch: dict[str, Any]
    ) -> None:
        self._writing += 1
        self._idle.clear()
        try:
            await asyncio.sleep(self.slow.get(str(patch.get("phase")), 0))
            obj = self.objects[(kind, namespace, name)]
            obj["status"] = merge_patch(obj.get("status"), patch)
        finally:
            self._writing -= 1
            if not self._writing:
                self._idle.set()

    async def event(self, obj: dict[str, Any], type_: EventType, reason: str, message: str) -> None:
        self.events.append((obj["kind"], obj["metadata"]["name"], type_, reason))

    async def settled(self) -> None:
        """Every status write started so far has landed (or none was left running)."""
        await asyncio.sleep(0)
        await asyncio.wait_for(self._idle.wait(), timeout=10)


@pytest.fixture
def world(emulator: Emulator) -> FakeWorld:
    fake = FakeWorld()
    fake.secrets[("shop", "token")] = SecretData(
        {"token": PROD_TOKEN.encode()}, binding("production", emulator.url, "production")
    )
    fake.put(
        "StoreEnvironment",
        "production",
        {
            "role": "production",
            "store": {
                "hash": "production",
                "apiUrl": emulator.url,
                "credentialsSecretRef": {"name": "token", "key": "token"},
            },
        },
    )
    return fake


@pytest.fixture
def services(world: FakeWorld, tmp_path: Path, emulator: Emulator) -> Services:
    return services_for(world, tmp_path, access=access_to(emulator.url))


async def reconcile(world: FakeWorld, services: Services, obj: dict[str, Any]) -> None:
    """One reconcile of `obj` as read, through the kernel, writing to the fake World."""
    meta = obj["metadata"]

    async def write_status(patch: dict[str, Any]) -> None:
        await world.patch_status(obj["kind"], meta["namespace"], meta["name"], patch)

    async def emit(type_: EventType, reason: str, message: str) -> None:
        await world.event(obj, type_, reason, message)

    await drive(obj, services, write_status=write_status, emit=emit)


def products(*skus: str, price: int = 10) -> dict[str, Any]:
    return {
        "products": [
            {"sku": s, "name": f"Product {s}", "type": "physical", "price": price, "weight": 1}
            for s in skus
        ]
    }


def release(world: FakeWorld, name: str, snapshot: str, **annotations: str) -> None:
    world.put(
        "StoreDeployment",
        name,
        {
            "targets": ["production"],
            "catalog": {"snapshotRef": {"name": snapshot}},
            "approval": {"required": False},
        },
        annotations=annotations,
    )


async def test_a_late_progress_report_never_leaves_a_finished_deployment_applying(
    world: FakeWorld, services: Services
) -> None:
    world.put("CatalogSnapshot", "v1", {"source": {"inline": products("A-1", "A-2", "A-3")}})
    await reconcile(world, services, world.read("CatalogSnapshot", "v1"))
    release(world, "launch", "v1")
    world.slow["Applying"] = 0.5  # a slow API server: the progress report lands late

    await reconcile(world, services, world.read("StoreDeployment", "launch"))
    await world.settled()

    status = world.read("StoreDeployment", "launch")["status"]
    assert status["phase"] == "Succeeded"
    assert status["targets"][0]["phase"] == "Succeeded"
    assert status["targets"][0]["progress"].startswith("3/3 items")


async def test_a_stale_environment_reconcile_never_rolls_back_the_last_deployed_catalog(
    world: FakeWorld, services: Services
) -> None:
    for name, price in (("v1", 10), ("v2", 20)):
        world.put("CatalogSnapshot", name, {"source": {"inline": products("A-1", price=price)}})
        await reconcile(world, services, world.read("CatalogSnapshot", name))
    release(world, "first", "v1")
    await reconcile(world, services, world.read("StoreDeployment", "first"))
    await reconcile(world, services, world.read("StoreEnvironment", "production"))
    assert (
        world.read("StoreEnvironment", "production")["status"]["lastDeployed"]["snapshot"] == "v1"
    )

    # The environment is read, then the second release finishes, then the environment's reconcile
    # of what it read writes its status: it must not bring back the first release.
    stale = world.read("StoreEnvironment", "production")
    release(world, "second", "v2")
    await reconcile(world, services, world.read("StoreDeployment", "second"))
    await reconcile(world, services, stale)
    await reconcile(world, services, world.read("StoreEnvironment", "production"))

    status = world.read("StoreEnvironment", "production")["status"]
    assert status["lastDeployed"]["deployment"] == "second"
    assert status["drift"]["inSync"] is True
    assert kstatus(world.read("StoreEnvironment", "production")) == "Current"


async def add_product(emulator_url: str, sku: str, price: int) -> None:
    """Another writer creates a product in the store."""
    import httpx

    async with httpx.AsyncClient(
        base_url=f"{emulator_url}/stores/production/v3", headers={"X-Auth-Token": PROD_TOKEN}
    ) as store:
        body = {
            "name": f"Product {sku}",
            "sku": sku,
            "type": "physical",
            "price": price,
            "weight": 1,
        }
        (await store.post("/catalog/products", json=body)).raise_for_status()


@pytest.mark.parametrize("change", ["the snapshot moved", "the store drifted"])
async def test_a_plan_that_changes_after_approval_waits_for_a_new_approval(
    world: FakeWorld, services: Services, emulator: Emulator, change: str
) -> None:
    world.put("CatalogSnapshot", "v", {"source": {"inline": products("A-1", "A-2", price=10)}})
    await reconcile(world, services, world.read("CatalogSnapshot", "v"))
    await reconcile(world, services, world.read("StoreEnvironment", "production"))
    world.put(
        "StoreDeployment",
        "launch",
        {"targets": ["production"], "catalog": {"snapshotRef": {"name": "v"}}},
    )
    await reconcile(world, services, world.read("StoreDeployment", "launch"))
    shown = world.read("StoreDeployment", "launch")["status"]["targets"][0]
    assert shown["phase"] == "AwaitingApproval"

    # Kenji approves what he saw; then, before the operator acts on it, the plan changes.
    deployment = world.objects[("StoreDeployment", "shop", "launch")]
    deployment["metadata"]["annotations"] = {"stagingpro.io/approved-by": "kenji"}
    if change == "the snapshot moved":
        snapshot = world.objects[("CatalogSnapshot", "shop", "v")]
        snapshot["spec"] = {"source": {"inline": products("A-1", "A-2", price=99)}}
        await reconcile(world, services, world.read("CatalogSnapshot", "v"))
    else:
        await add_product(emulator.url, "A-1", 1)
    await reconcile(world, services, world.read("StoreDeployment", "launch"))

    status = world.read("StoreDeployment", "launch")["status"]
    target = status["targets"][0]
    assert target["phase"] == "AwaitingApproval"
    assert target["planDigest"] != shown["planDigest"]
    assert status["approval"]["by"] == "kenji"
    assert status["approval"]["plans"] == {"production": shown["planDigest"]}
    assert ("StoreDeployment", "launch", "Warning", "PlanChangedSinceApproval") in world.events
    assert emulator.db.counts("production")["products"] == (
        0 if change == "the snapshot moved" else 1
    )

    # Approving the new plan by its digest lets it run.
    deployment["metadata"]["annotations"]["stagingpro.io/approved-plan"] = target["planDigest"]
    await reconcile(world, services, world.read("StoreDeployment", "launch"))
    status = world.read("StoreDeployment", "launch")["status"]
    assert status["phase"] == "Succeeded"
    assert status["approval"]["at"]
    assert emulator.db.counts("production")["products"] == 2
