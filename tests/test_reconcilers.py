"""The reconcilers under the kernel, one reconcile at a time: a fake World (objects, Secrets, status
patches and events in memory, with a hook to delay writes) and the emulator as the stateful store.
Case names state the outcome."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from controller.access import SecretData
from controller.api.conditions import kstatus
from controller.emulator import Emulator
from controller.reconcile.driver import drive
from controller.reconcile.outcome import Outcome
from controller.reconcile.services import EventType, Services
from controller.reconcile.status import merge_patch
from controller.review.shelf import ReviewShelf
from controller.standalone import FileWorld, services_for
from tests.conftest import PROD_TOKEN
from tests.support.gitservers import Remote
from tests.support.manifests import access_to, binding

Key = tuple[str, str, str]


class FakeWorld:
    """Objects and Secrets in memory; every status write is a merge patch, optionally slowed."""

    def __init__(self) -> None:
        self.objects: dict[Key, dict[str, Any]] = {}
        self.secrets: dict[tuple[str, str], dict[str, bytes]] = {}
        self.events: list[tuple[str, str, str, str]] = []
        self.slow: dict[str, float] = {}  # phase -> seconds a status patch setting it takes
        self.remote: Remote | None = None  # a Git repository a case captures into
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

    async def delete(self, kind: str, namespace: str, name: str) -> None:
        self.objects.pop((kind, namespace, name), None)

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
    return services_for(world, tmp_path, access=access_to(emulator.url, local_git=True))


async def reconcile(world: FakeWorld, services: Services, obj: dict[str, Any]) -> Outcome:
    """One reconcile of `obj` as read, through the kernel, writing to the fake World."""
    meta = obj["metadata"]

    async def write_status(patch: dict[str, Any]) -> None:
        await world.patch_status(obj["kind"], meta["namespace"], meta["name"], patch)

    async def emit(type_: EventType, reason: str, message: str) -> None:
        await world.event(obj, type_, reason, message)

    return await drive(obj, services, write_status=write_status, emit=emit)


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
    world: FakeWorld, services: Services, emulator: Emulator
) -> None:
    # Production follows what was last deployed to it and heals drift from it.
    production = world.objects[("StoreEnvironment", "shop", "production")]
    production["spec"]["syncPolicy"] = {"mode": "sync", "selfHeal": True}
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
    assert await price_of(emulator.url, "A-1") == 20  # the second release stays in the store


def store_api(emulator_url: str) -> httpx.AsyncClient:
    """The production store's API, as another writer (or a person checking) reaches it."""
    return httpx.AsyncClient(
        base_url=f"{emulator_url}/stores/production", headers={"X-Auth-Token": PROD_TOKEN}
    )


async def price_of(emulator_url: str, sku: str) -> float:
    """The price of a product as the store has it."""
    async with store_api(emulator_url) as store:
        answer = await store.get("/v3/catalog/products", params={"sku": sku})
        answer.raise_for_status()
        (product,) = answer.json()["data"]
        return float(product["price"])


async def test_deploying_the_rollback_snapshot_restores_every_kind_the_deployment_changed(
    world: FakeWorld, services: Services, emulator: Emulator
) -> None:
    def content(price: int, body: str, target: str) -> dict[str, Any]:
        return {
            **products("A-1", price=price),
            "pages": [{"url": "/sizes/", "name": "Sizes", "type": "page", "body": body}],
            "redirects": [{"from_path": "/old-sizes", "to_url": target}],
        }

    world.put("CatalogSnapshot", "v1", {"source": {"inline": content(10, "<p>S M L</p>", "/a")}})
    world.put("CatalogSnapshot", "v2", {"source": {"inline": content(20, "<p>XS-XL</p>", "/b")}})
    for name in ("v1", "v2"):
        await reconcile(world, services, world.read("CatalogSnapshot", name))
    release(world, "first", "v1")
    await reconcile(world, services, world.read("StoreDeployment", "first"))
    release(world, "second", "v2")
    await reconcile(world, services, world.read("StoreDeployment", "second"))
    rollback = world.read("StoreDeployment", "second")["status"]["targets"][0]["rollbackSnapshot"]

    await reconcile(world, services, world.read("CatalogSnapshot", rollback))
    release(world, "undo", rollback)
    await reconcile(world, services, world.read("StoreDeployment", "undo"))

    assert world.read("StoreDeployment", "undo")["status"]["phase"] == "Succeeded"
    assert await price_of(emulator.url, "A-1") == 10
    async with store_api(emulator.url) as store:
        pages = (await store.get("/v3/content/pages", params={"include": "body"})).json()["data"]
        redirects = (await store.get("/v3/storefront/redirects")).json()["data"]
    assert [(p["url"], p["body"]) for p in pages] == [("/sizes/", "<p>S M L</p>")]
    assert [(r["from_path"], r["to"]["url"]) for r in redirects] == [("/old-sizes", "/a")]


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


async def awaiting_launch(world: FakeWorld, services: Services) -> dict[str, Any]:
    """A deployment `launch` of snapshot `v` (A-1, A-2) to production, awaiting approval: its
    target's status."""
    world.put("CatalogSnapshot", "v", {"source": {"inline": products("A-1", "A-2", price=10)}})
    await reconcile(world, services, world.read("CatalogSnapshot", "v"))
    await reconcile(world, services, world.read("StoreEnvironment", "production"))
    world.put(
        "StoreDeployment",
        "launch",
        {"targets": ["production"], "catalog": {"snapshotRef": {"name": "v"}}},
    )
    await reconcile(world, services, world.read("StoreDeployment", "launch"))
    target: dict[str, Any] = world.read("StoreDeployment", "launch")["status"]["targets"][0]
    assert target["phase"] == "AwaitingApproval"
    return target


@pytest.mark.parametrize("change", ["the snapshot moved", "the store drifted"])
async def test_a_plan_that_changes_after_approval_waits_for_a_new_approval(
    world: FakeWorld, services: Services, emulator: Emulator, change: str
) -> None:
    shown = await awaiting_launch(world, services)

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


async def test_the_review_page_of_a_plan_awaiting_approval_outlives_a_restart(
    world: FakeWorld, services: Services, emulator: Emulator
) -> None:
    services.reviews = ReviewShelf()  # the operator serves its web UI
    target = await awaiting_launch(world, services)
    key = ("shop", "launch", "production")
    shelved = services.reviews.get(key)
    assert shelved is not None
    assert shelved.digest == target["planDigest"]
    assert [(e.action, e.key) for e in shelved.review.entries] == [
        ("create", "A-1"),
        ("create", "A-2"),
    ]
    assert shelved.review.store == "Production Store (production)"
    assert "EST (America/New_York)" in (shelved.review.made_at or "")

    # Waiting for approval reads nothing from the store while the review is held ...
    stats = emulator.control("production").stats
    stats.reset()
    await reconcile(world, services, world.read("StoreDeployment", "launch"))
    assert stats.to_json()["total"] == 0
    # ... and a restarted operator (nothing held) plans once more, for the page to show it.
    services.reviews = ReviewShelf()
    await reconcile(world, services, world.read("StoreDeployment", "launch"))
    assert stats.to_json()["total"] > 0
    assert services.reviews.holds(key, target["planDigest"])
    assert world.read("StoreDeployment", "launch")["status"]["targets"][0] == target
    approvals = [e for e in world.events if e[3] == "AwaitingApproval"]
    assert len(approvals) == 1  # told once


async def test_a_plan_whose_review_the_bound_dropped_is_not_made_again_at_each_poll(
    world: FakeWorld, services: Services, emulator: Emulator
) -> None:
    services.reviews = ReviewShelf(max_records=1)  # holds one review, however large
    target = await awaiting_launch(world, services)
    key = ("shop", "launch", "production")
    other = services.reviews.get(key)
    assert other is not None
    services.reviews.put(("shop", "other", "production"), other)  # another target's, newer
    assert services.reviews.get(key) is None

    stats = emulator.control("production").stats
    stats.reset()
    await reconcile(world, services, world.read("StoreDeployment", "launch"))
    assert stats.to_json()["total"] == 0  # still awaiting the same plan: nothing read again
    assert world.read("StoreDeployment", "launch")["status"]["targets"][0] == target


# ---- the table: one reconcile (after its setup), and what a user sees of it -----------------------


def condition(obj: dict[str, Any], type_: str) -> tuple[str, str] | None:
    """A condition's (status, reason), or None when absent."""
    found = next((c for c in obj["status"].get("conditions", []) if c["type"] == type_), None)
    return None if found is None else (found["status"], found["reason"])


def target_of(obj: dict[str, Any]) -> dict[str, Any]:
    return dict(obj["status"]["targets"][0])


async def put_products(url: str, *skus: str, price: int = 10) -> None:
    for sku in skus:
        await add_product(url, sku, price)


Check = Callable[[dict[str, Any], "FakeWorld"], None]


@dataclass(frozen=True)
class Case:
    """A reconcile of `kind`/`name` after `setup`, and what must follow."""

    kind: str
    name: str
    setup: Callable[[FakeWorld, Services, Emulator, Path], Awaitable[None]]
    ready: tuple[str, str]  # Ready's (status, reason)
    kstatus: str  # what GitOps tools read: Current, InProgress, Failed
    result: str  # the metric label of the reconcile
    requeued: bool  # looked at again by itself (False: only when something changes)
    events: tuple[str, ...] = ()  # reasons among the events
    products: int = 0  # products in the store afterwards
    check: Check = lambda obj, world: None


async def nothing(world: FakeWorld, services: Services, emulator: Emulator, tmp: Path) -> None:
    return None


async def secret_missing(
    world: FakeWorld, services: Services, emulator: Emulator, tmp: Path
) -> None:
    world.secrets.clear()


async def invalid_environment(
    world: FakeWorld, services: Services, emulator: Emulator, tmp: Path
) -> None:
    spec = world.objects[("StoreEnvironment", "shop", "production")]["spec"]
    del spec["store"]["hash"]


def bound(mode: str, snapshot: str = "v1") -> Callable[..., Awaitable[None]]:
    async def setup(world: FakeWorld, services: Services, emulator: Emulator, tmp: Path) -> None:
        world.put("CatalogSnapshot", "v1", {"source": {"inline": products("A-1", "A-2")}})
        await reconcile(world, services, world.read("CatalogSnapshot", "v1"))
        spec = world.objects[("StoreEnvironment", "shop", "production")]["spec"]
        spec["catalog"] = {"snapshotRef": {"name": snapshot}}
        spec["syncPolicy"] = {"mode": mode}

    return setup


async def drifted_then_healed(
    world: FakeWorld, services: Services, emulator: Emulator, tmp: Path
) -> None:
    await bound("sync")(world, services, emulator, tmp)
    await reconcile(world, services, world.read("StoreEnvironment", "production"))
    await add_product(emulator.url, "EXTRA-1", 5)  # drift the store makes: not pruned


def inline(name: str, catalog: dict[str, Any]) -> Callable[..., Awaitable[None]]:
    async def setup(world: FakeWorld, services: Services, emulator: Emulator, tmp: Path) -> None:
        world.put("CatalogSnapshot", name, {"source": {"inline": catalog}})

    return setup


def capture(fill: tuple[str, ...], *, environment_ready: bool) -> Callable[..., Awaitable[None]]:
    async def setup(world: FakeWorld, services: Services, emulator: Emulator, tmp: Path) -> None:
        remote = Remote(tmp / "remote")
        remote.commit({"catalog/products.jsonl": '{"sku":"OLD-1"}\n'}, "a captured catalog")
        world.remote = remote
        await put_products(emulator.url, *fill)
        if environment_ready:
            await reconcile(world, services, world.read("StoreEnvironment", "production"))
        git = {"url": remote.url, "branch": "main", "path": "catalog"}
        world.put(
            "CatalogSnapshot",
            "live",
            {"source": {"capture": {"environmentRef": {"name": "production"}, "git": git}}},
        )

    return setup


def deployment(
    snapshot: str | None = "v1",
    catalog: dict[str, Any] | None = None,
    target: str = "production",
    **spec: Any,
) -> Callable[..., Awaitable[None]]:
    """A StoreDeployment `launch` of snapshot `snapshot` (made from `catalog` when given)."""

    async def setup(world: FakeWorld, services: Services, emulator: Emulator, tmp: Path) -> None:
        if catalog is not None and snapshot is not None:
            world.put("CatalogSnapshot", snapshot, {"source": {"inline": catalog}})
            await reconcile(world, services, world.read("CatalogSnapshot", snapshot))
        await reconcile(world, services, world.read("StoreEnvironment", "production"))
        world.put(
            "StoreDeployment",
            "launch",
            {"targets": [target], "catalog": {"snapshotRef": {"name": snapshot or "v1"}}, **spec},
        )

    return setup


def after(
    first: Callable[..., Awaitable[None]], then: Callable[..., Awaitable[None]]
) -> Callable[..., Awaitable[None]]:
    async def setup(world: FakeWorld, services: Services, emulator: Emulator, tmp: Path) -> None:
        await first(world, services, emulator, tmp)
        await then(world, services, emulator, tmp)

    return setup


async def approved(world: FakeWorld, services: Services, emulator: Emulator, tmp: Path) -> None:
    await reconcile(world, services, world.read("StoreDeployment", "launch"))
    obj = world.objects[("StoreDeployment", "shop", "launch")]
    assert obj["status"]["targets"][0]["phase"] == "AwaitingApproval"
    obj["metadata"]["annotations"] = {"stagingpro.io/approved-by": "maria"}


async def store_has_ten(
    world: FakeWorld, services: Services, emulator: Emulator, tmp: Path
) -> None:
    await put_products(emulator.url, *(f"OLD-{i}" for i in range(10)))


async def store_has_a1(world: FakeWorld, services: Services, emulator: Emulator, tmp: Path) -> None:
    await put_products(emulator.url, "A-1", price=10)


def phase(expected: str) -> Check:
    def check(obj: dict[str, Any], world: FakeWorld) -> None:
        assert obj["status"]["phase"] == expected
        assert target_of(obj)["phase"] == expected

    return check


def both(*checks: Check) -> Check:
    def check(obj: dict[str, Any], world: FakeWorld) -> None:
        for one in checks:
            one(obj, world)

    return check


def drifted(status: str | None) -> Check:
    def check(obj: dict[str, Any], world: FakeWorld) -> None:
        assert condition(obj, "Drifted") == (None if status is None else (status, "DriftDetected"))

    return check


def rollback_kept(obj: dict[str, Any], world: FakeWorld) -> None:
    target = target_of(obj)
    assert target["phase"] == "Succeeded"
    assert target["rollbackSnapshot"] == "launch-production-rollback"
    kept = world.read("CatalogSnapshot", "launch-production-rollback")["spec"]["source"]
    assert [(p["sku"], p["price"]) for p in kept["inline"]["products"]] == [("A-1", 10)]


def plan_shown(obj: dict[str, Any], world: FakeWorld) -> None:
    target = target_of(obj)
    assert target["phase"] == "AwaitingApproval"
    assert target["plan"]["products"]["create"] == 2
    assert target["planDigest"].startswith("sha256:")


def nothing_committed(obj: dict[str, Any], world: FakeWorld) -> None:
    assert world.remote is not None
    assert world.remote.head() == str(world.remote.work.head.commit.hexsha)
    assert "revision" not in obj["status"]


def errors_listed(obj: dict[str, Any], world: FakeWorld) -> None:
    assert obj["status"]["errors"][0]["field"] == "price"
    assert obj["status"]["errors"][0]["file"] == "spec.source.inline.products[0]"


TWO = products("A-1", "A-2")
CASES = {
    "environment waits on a missing Secret": Case(
        "StoreEnvironment",
        "production",
        secret_missing,
        ready=("False", "SecretNotFound"),
        kstatus="InProgress",
        result="waiting",
        requeued=True,
        events=("SecretNotFound",),
    ),
    "environment stalls on an invalid spec": Case(
        "StoreEnvironment",
        "production",
        invalid_environment,
        ready=("False", "InvalidSpec"),
        kstatus="Failed",
        result="stalled",
        requeued=False,
        events=("InvalidSpec",),
    ),
    "environment waits on a missing snapshot": Case(
        "StoreEnvironment",
        "production",
        bound("observe", snapshot="absent"),
        ready=("False", "SnapshotNotFound"),
        kstatus="InProgress",
        result="waiting",
        requeued=True,
        events=("SnapshotNotFound",),
    ),
    "environment in observe mode reports drift and writes nothing": Case(
        "StoreEnvironment",
        "production",
        bound("observe"),
        ready=("True", "Succeeded"),
        kstatus="Current",
        result="success",
        requeued=True,
        events=("DriftDetected",),
        check=drifted("True"),
    ),
    "environment in sync mode applies its snapshot and is in sync": Case(
        "StoreEnvironment",
        "production",
        bound("sync"),
        ready=("True", "Succeeded"),
        kstatus="Current",
        result="success",
        requeued=True,
        events=("Synced",),
        products=2,
        check=drifted(None),
    ),
    "environment in sync mode without selfHeal reports drift made in the store": Case(
        "StoreEnvironment",
        "production",
        drifted_then_healed,
        ready=("True", "Succeeded"),
        kstatus="Current",
        result="success",
        requeued=True,
        events=("DriftDetected",),
        products=3,
        check=drifted("True"),
    ),
    "snapshot resolves an inline catalog": Case(
        "CatalogSnapshot",
        "v1",
        inline("v1", TWO),
        ready=("True", "Succeeded"),
        kstatus="Current",
        result="success",
        requeued=False,
        events=("Resolved",),
        check=lambda obj, world: obj["status"]["counts"]["products"] == 2 or pytest.fail("counts"),
    ),
    "snapshot stalls on an invalid catalog and lists its errors": Case(
        "CatalogSnapshot",
        "v1",
        inline(
            "v1",
            {
                "products": [
                    {"sku": "A", "name": "A", "type": "physical", "weight": 1, "price": "cheap"}
                ]
            },
        ),
        ready=("False", "CatalogInvalid"),
        kstatus="Failed",
        result="stalled",
        requeued=False,
        events=("CatalogInvalid",),
        check=errors_listed,
    ),
    "capture waits for an environment that is not Ready": Case(
        "CatalogSnapshot",
        "live",
        capture(("A-1",), environment_ready=False),
        ready=("False", "EnvironmentNotReady"),
        kstatus="InProgress",
        result="waiting",
        requeued=True,
        events=("EnvironmentNotReady",),
        products=1,
    ),
    "capture of an empty store is refused, the captured catalog stays": Case(
        "CatalogSnapshot",
        "live",
        capture((), environment_ready=True),
        ready=("False", "EmptyCaptureRefused"),
        kstatus="Failed",
        result="stalled",
        requeued=False,
        events=("EmptyCaptureRefused",),
        check=nothing_committed,
    ),
    "deployment waits on a missing snapshot": Case(
        "StoreDeployment",
        "launch",
        deployment(snapshot="absent"),
        ready=("False", "SnapshotNotFound"),
        kstatus="InProgress",
        result="waiting",
        requeued=True,
        events=("SnapshotNotFound",),
    ),
    "deployment waits on a missing target": Case(
        "StoreDeployment",
        "launch",
        deployment(catalog=TWO, target="staging"),
        ready=("False", "TargetNotFound"),
        kstatus="InProgress",
        result="waiting",
        requeued=True,
        events=("TargetNotFound",),
        check=phase("Pending"),
    ),
    "deployment stalls on an invalid spec": Case(
        "StoreDeployment",
        "launch",
        deployment(catalog=TWO, schedule={"at": "tomorrow"}),
        ready=("False", "InvalidSpec"),
        kstatus="Failed",
        result="stalled",
        requeued=False,
        events=("InvalidSpec",),
    ),
    "deployment scheduled in the future waits for its time and writes nothing": Case(
        "StoreDeployment",
        "launch",
        deployment(catalog=TWO, schedule={"at": "2099-06-01T09:00"}),
        ready=("False", "Scheduled"),
        kstatus="Current",
        result="success",
        requeued=True,
        events=("Scheduled",),
        check=phase("Scheduled"),
    ),
    "deployment to production shows its plan and awaits approval": Case(
        "StoreDeployment",
        "launch",
        deployment(catalog=TWO),
        ready=("False", "AwaitingApproval"),
        kstatus="Current",
        result="success",
        requeued=True,
        events=("AwaitingApproval",),
        check=plan_shown,
    ),
    "deployment approved applies its plan": Case(
        "StoreDeployment",
        "launch",
        after(deployment(catalog=TWO), approved),
        ready=("True", "Succeeded"),
        kstatus="Current",
        result="success",
        requeued=False,
        events=("Approved", "Applying", "Succeeded"),
        products=2,
        check=both(
            phase("Succeeded"),
            lambda obj, world: (
                obj["status"]["approval"]["by"] == "maria" or pytest.fail("approval")
            ),
        ),
    ),
    "deployment dry run writes nothing and succeeds": Case(
        "StoreDeployment",
        "launch",
        deployment(catalog=TWO, approval={"required": False}, strategy={"dryRun": True}),
        ready=("True", "Succeeded"),
        kstatus="Current",
        result="success",
        requeued=False,
        check=phase("Succeeded"),
    ),
    "deployment deleting more than maxDeletePercent is refused and deletes nothing": Case(
        "StoreDeployment",
        "launch",
        after(
            store_has_ten,
            deployment(
                catalog=products("OLD-0"), approval={"required": False}, strategy={"prune": True}
            ),
        ),
        ready=("False", "PlanRefused"),
        kstatus="Failed",
        result="stalled",
        requeued=False,
        events=("PlanRefused",),
        products=10,
        check=phase("Failed"),
    ),
    "deployment with a record the store refuses partially succeeds": Case(
        "StoreDeployment",
        "launch",
        deployment(
            catalog={
                "products": [
                    {"sku": s, "name": "Same Name", "type": "physical", "price": 1, "weight": 1}
                    for s in ("A-1", "A-2")
                ]
            },
            approval={"required": False},
        ),
        ready=("False", "PartiallySucceeded"),
        kstatus="Failed",
        result="stalled",
        requeued=False,
        events=("PartiallySucceeded",),
        products=1,
        check=phase("PartiallySucceeded"),
    ),
    "deployment keeps a rollback snapshot of what it changes": Case(
        "StoreDeployment",
        "launch",
        after(
            store_has_a1,
            deployment(catalog=products("A-1", price=20), approval={"required": False}),
        ),
        ready=("True", "Succeeded"),
        kstatus="Current",
        result="success",
        requeued=False,
        events=("Applying", "Succeeded"),
        products=1,
        check=rollback_kept,
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
async def test_reconcile(
    case: Case, world: FakeWorld, services: Services, emulator: Emulator, tmp_path: Path
) -> None:
    await case.setup(world, services, emulator, tmp_path)
    world.events.clear()

    outcome = await reconcile(world, services, world.read(case.kind, case.name))

    obj = world.read(case.kind, case.name)
    assert condition(obj, "Ready") == case.ready
    assert kstatus(obj) == case.kstatus
    assert obj["status"]["observedGeneration"] == obj["metadata"]["generation"]
    assert outcome.result == case.result
    assert (outcome.requeue_after is not None) is case.requeued
    reasons = [
        reason for kind, name, _, reason in world.events if (kind, name) == (case.kind, case.name)
    ]
    assert set(case.events) <= set(reasons), reasons
    assert emulator.db.counts("production")["products"] == case.products
    case.check(obj, world)


# ---- storefronts: one release at a local time on each channel ---------------------------------------


def storefronts(world: FakeWorld, at: str, **extra: Any) -> None:
    """Production sells through a US and an EU storefront; `launch` releases `v1` at `at` local
    time on both."""
    production = world.objects[("StoreEnvironment", "shop", "production")]
    production["spec"]["channels"] = [
        {"name": "US", "timezone": "America/New_York"},
        {"name": "EU", "timezone": "Europe/Paris"},
    ]
    world.put("CatalogSnapshot", "v1", {"source": {"inline": products("A-1")}})
    world.put(
        "StoreDeployment",
        "launch",
        {
            "storefronts": [{"environment": "production", "channels": ["US", "EU"], **extra}],
            "catalog": {"snapshotRef": {"name": "v1"}},
            "schedule": {"at": at},
        },
    )


def targets_of(world: FakeWorld) -> dict[str, dict[str, Any]]:
    status = world.read("StoreDeployment", "launch")["status"]
    return {t["name"]: t for t in status["targets"]}


@pytest.mark.parametrize(
    ("day", "hours", "us_offset", "eu_offset"),
    [
        ("2026-12-01", 6, "-05:00", "+01:00"),
        ("2026-03-07", 6, "-05:00", "+01:00"),  # the day before New York springs forward
        ("2026-03-08", 5, "-04:00", "+01:00"),  # New York on summer time, Paris not yet
        ("2026-03-28", 5, "-04:00", "+01:00"),
        ("2026-03-29", 6, "-04:00", "+02:00"),  # Paris springs forward too
        ("2026-10-25", 5, "-04:00", "+01:00"),  # Paris falls back first
        ("2026-10-31", 5, "-04:00", "+01:00"),
        ("2026-11-01", 6, "-05:00", "+01:00"),  # New York falls back
    ],
)
async def test_nine_on_every_storefront_is_one_deployment_with_an_instant_per_channel(
    world: FakeWorld,
    services: Services,
    emulator: Emulator,
    day: str,
    hours: int,
    us_offset: str,
    eu_offset: str,
) -> None:
    services.clock = lambda: datetime(2026, 1, 1, tzinfo=UTC)
    storefronts(world, f"{day}T09:00:00")
    await reconcile(world, services, world.read("CatalogSnapshot", "v1"))

    await reconcile(world, services, world.read("StoreDeployment", "launch"))

    targets = targets_of(world)
    us, eu = targets["production/US"], targets["production/EU"]
    assert us["scheduledLocal"] == f"{day}T09:00:00{us_offset} (America/New_York)"
    assert eu["scheduledLocal"] == f"{day}T09:00:00{eu_offset} (Europe/Paris)"
    gap = datetime.fromisoformat(us["scheduledFor"]) - datetime.fromisoformat(eu["scheduledFor"])
    assert gap == timedelta(hours=hours)
    assert (us["environment"], us["channel"], us["phase"]) == ("production", "US", "Scheduled")
    assert (eu["environment"], eu["channel"], eu["phase"]) == ("production", "EU", "Scheduled")
    assert emulator.db.counts("production")["products"] == 0


async def test_each_storefront_moves_on_at_its_own_local_time(
    world: FakeWorld, services: Services, emulator: Emulator
) -> None:
    storefronts(world, "2026-12-01T09:00:00")
    await reconcile(world, services, world.read("CatalogSnapshot", "v1"))
    await reconcile(world, services, world.read("StoreEnvironment", "production"))

    # 09:30 in Paris, 03:30 in New York: the EU release shows its plan, the US one still waits.
    services.clock = lambda: datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    await reconcile(world, services, world.read("StoreDeployment", "launch"))

    targets = targets_of(world)
    assert targets["production/EU"]["phase"] == "AwaitingApproval"
    assert targets["production/EU"]["plan"]["products"]["create"] == 1
    assert targets["production/US"]["phase"] == "Scheduled"
    assert targets["production/US"]["scheduledFor"] == "2026-12-01T14:00:00Z"
    assert emulator.db.counts("production")["products"] == 0


async def test_a_storefront_zone_given_by_the_target_overrides_the_declared_one(
    world: FakeWorld, services: Services
) -> None:
    services.clock = lambda: datetime(2026, 1, 1, tzinfo=UTC)
    storefronts(world, "2026-12-01T09:00:00", timezone="Asia/Tokyo")
    await reconcile(world, services, world.read("CatalogSnapshot", "v1"))

    await reconcile(world, services, world.read("StoreDeployment", "launch"))

    for target in targets_of(world).values():
        assert target["scheduledLocal"] == "2026-12-01T09:00:00+09:00 (Asia/Tokyo)"
        assert target["scheduledFor"] == "2026-12-01T00:00:00Z"


async def test_a_storefront_the_environment_does_not_declare_waits_and_says_which_it_declares(
    world: FakeWorld, services: Services
) -> None:
    services.clock = lambda: datetime(2026, 1, 1, tzinfo=UTC)
    storefronts(world, "2026-12-01T09:00:00")
    deployment = world.objects[("StoreDeployment", "shop", "launch")]
    deployment["spec"]["storefronts"][0]["channels"] = ["US", "UK"]
    await reconcile(world, services, world.read("CatalogSnapshot", "v1"))

    outcome = await reconcile(world, services, world.read("StoreDeployment", "launch"))

    targets = targets_of(world)
    assert targets["production/US"]["phase"] == "Scheduled"
    assert targets["production/UK"]["phase"] == "Pending"
    assert targets["production/UK"]["errors"] == [
        "ChannelNotDeclared: StoreEnvironment shop/production declares no channel 'UK' in "
        "spec.channels (declared: US, EU), so its time zone is unknown"
    ]
    assert outcome.result == "waiting"
    assert condition(world.read("StoreDeployment", "launch"), "Ready") == (
        "False",
        "ChannelNotDeclared",
    )


# ---- recurring releases --------------------------------------------------------------------------


def december(day: int, hour: int, minute: int = 0, second: int = 0) -> Callable[[], datetime]:
    """A clock stopped at that time of December 2026, UTC."""
    return lambda: datetime(2026, 12, day, hour, minute, second, tzinfo=UTC)


async def test_a_weekly_rotation_runs_each_monday_in_berlin_and_once_late_after_missed_runs(
    world: FakeWorld, services: Services, emulator: Emulator
) -> None:
    world.put("CatalogSnapshot", "rotation", {"source": {"inline": products("A-1", price=10)}})
    await reconcile(world, services, world.read("CatalogSnapshot", "rotation"))
    await reconcile(world, services, world.read("StoreEnvironment", "production"))
    world.put(
        "StoreDeployment",
        "rotation",
        {
            "targets": ["production"],
            "catalog": {"snapshotRef": {"name": "rotation"}},
            "schedule": {"cron": "0 6 * * mon", "timezone": "Europe/Berlin"},
        },
    )

    async def step(clock: Callable[[], datetime]) -> dict[str, Any]:
        services.clock = clock
        await reconcile(world, services, world.read("StoreDeployment", "rotation"))
        target: dict[str, Any] = world.read("StoreDeployment", "rotation")["status"]["targets"][0]
        return target

    # Created on a Wednesday: the first run is next Monday at 06:00 in Berlin.
    target = await step(december(2, 12))
    assert (target["phase"], target["scheduledFor"]) == ("Scheduled", "2026-12-07T05:00:00Z")
    assert target["scheduledLocal"] == "2026-12-07T06:00:00+01:00 (Europe/Berlin)"

    # Monday: production needs an approval of the plan; approved, it runs.
    target = await step(december(7, 5, 0, 5))
    assert target["phase"] == "AwaitingApproval"
    deployment = world.objects[("StoreDeployment", "shop", "rotation")]
    deployment["metadata"]["annotations"] = {"stagingpro.io/approved-by": "maria"}
    target = await step(december(7, 5, 1))
    assert target["phase"] == "Succeeded"
    assert await price_of(emulator.url, "A-1") == 10

    # Then the next Monday's run is scheduled; the last one stays in status.
    target = await step(december(7, 5, 1, 2))
    assert (target["phase"], target["scheduledFor"]) == ("Scheduled", "2026-12-14T05:00:00Z")
    assert target["runs"] == 1
    assert target["lastRun"]["phase"] == "Succeeded"
    assert target["lastRun"]["scheduledFor"] == "2026-12-07T05:00:00Z"
    assert target["lastRun"]["rollbackSnapshot"] == "rotation-production-rollback-20261207t0500"
    await reconcile(world, services, world.read("StoreEnvironment", "production"))
    last = world.read("StoreEnvironment", "production")["status"]["lastDeployed"]
    assert last["deployment"] == "rotation"

    # The content rotates; the operator is down from Sunday 13th to Wednesday 30th: three Mondays
    # pass. It runs once, late, for the latest, and says so.
    snapshot = world.objects[("CatalogSnapshot", "shop", "rotation")]
    snapshot["spec"] = {"source": {"inline": products("A-1", price=25)}}
    await reconcile(world, services, world.read("CatalogSnapshot", "rotation"))
    world.events.clear()
    target = await step(december(30, 9))
    assert target["scheduledFor"] == "2026-12-28T05:00:00Z"
    assert target["missedRuns"] == 2
    assert "2 runs missed while the operator was down" in target["scheduleNote"]
    assert "ran late" in target["scheduleNote"]
    obj = world.read("StoreDeployment", "rotation")
    assert condition(obj, "ScheduleAdjusted") == ("True", "ScheduleAdjusted")
    assert ("StoreDeployment", "rotation", "Warning", "MissedRun") in world.events

    # Last run's approval approves no other run's plan: this one waits for its own.
    assert target["phase"] == "AwaitingApproval"
    assert ("StoreDeployment", "rotation", "Normal", "AwaitingApproval") in world.events
    assert await price_of(emulator.url, "A-1") == 10

    # Nobody approves it before the next Monday: that run is the one that waits, one more missed.
    target = await step(lambda: datetime(2027, 1, 5, 9, tzinfo=UTC))
    assert (target["phase"], target["scheduledFor"]) == ("AwaitingApproval", "2027-01-04T05:00:00Z")
    assert target["missedRuns"] == 3
    deployment["metadata"]["annotations"]["stagingpro.io/approved-plan"] = target["planDigest"]
    target = await step(lambda: datetime(2027, 1, 5, 9, 5, tzinfo=UTC))
    assert target["phase"] == "Succeeded"
    assert await price_of(emulator.url, "A-1") == 25
    assert [e for e in world.events if e[3] == "MissedRun"] == [
        ("StoreDeployment", "rotation", "Warning", "MissedRun")
    ] * 2

    target = await step(lambda: datetime(2027, 1, 5, 9, 5, 2, tzinfo=UTC))
    assert (target["phase"], target["scheduledFor"]) == ("Scheduled", "2027-01-11T05:00:00Z")
    assert target["runs"] == 2
    assert "3 runs missed" in target["lastRun"]["note"]
    assert "missedRuns" not in target


async def test_a_daily_release_keeps_the_rollback_snapshots_of_its_last_five_runs(
    world: FakeWorld, services: Services, emulator: Emulator
) -> None:
    world.put("CatalogSnapshot", "daily", {"source": {"inline": products("A-1", price=1)}})
    await reconcile(world, services, world.read("StoreEnvironment", "production"))
    world.put(
        "StoreDeployment",
        "daily",
        {
            "targets": ["production"],
            "catalog": {"snapshotRef": {"name": "daily"}},
            "schedule": {"cron": "0 6 * * *", "timezone": "Europe/Berlin"},
        },
    )
    deployment = world.objects[("StoreDeployment", "shop", "daily")]

    async def step(at: datetime) -> dict[str, Any]:
        services.clock = lambda: at
        await reconcile(world, services, world.read("StoreDeployment", "daily"))
        target: dict[str, Any] = world.read("StoreDeployment", "daily")["status"]["targets"][0]
        return target

    first = await step(datetime(2026, 12, 31, 12, tzinfo=UTC))
    assert first["scheduledFor"] == "2027-01-01T05:00:00Z"
    for day in range(1, 8):  # each day's content differs: each run changes the store
        snapshot = world.objects[("CatalogSnapshot", "shop", "daily")]
        snapshot["spec"] = {"source": {"inline": products("A-1", price=day * 10)}}
        await reconcile(world, services, world.read("CatalogSnapshot", "daily"))
        run = datetime(2027, 1, day, 5, 0, 5, tzinfo=UTC)
        target = await step(run)
        assert target["phase"] == "AwaitingApproval", target
        deployment["metadata"]["annotations"] = {
            "stagingpro.io/approved-by": "maria",
            "stagingpro.io/approved-plan": target["planDigest"],
        }
        assert (await step(run + timedelta(seconds=5)))["phase"] == "Succeeded"
        assert await price_of(emulator.url, "A-1") == day * 10
        await step(run + timedelta(seconds=10))  # the next run is scheduled

    rollbacks = sorted(
        name for (kind, _, name) in world.objects if kind == "CatalogSnapshot" and name != "daily"
    )
    assert rollbacks == [f"daily-production-rollback-202701{d:02}t0500" for d in range(3, 8)]


async def test_the_standalone_loop_deletes_only_what_it_created(tmp_path: Path) -> None:
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "snapshot.yaml").write_text(
        "apiVersion: stagingpro.io/v1alpha1\nkind: CatalogSnapshot\n"
        "metadata: {name: theirs, namespace: shop}\nspec: {source: {inline: {}}}\n"
    )
    world = FileWorld(manifests, tmp_path / "state")
    world.refresh()
    mine = {"apiVersion": "stagingpro.io/v1alpha1", "kind": "CatalogSnapshot"}
    await world.create("CatalogSnapshot", "shop", {**mine, "metadata": {"name": "mine"}})
    await world.delete("CatalogSnapshot", "shop", "mine")
    await world.delete("CatalogSnapshot", "shop", "theirs")
    world.refresh()
    left = await world.list("CatalogSnapshot", "shop")
    assert [o["metadata"]["name"] for o in left] == ["theirs"]
