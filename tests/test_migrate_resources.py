"""The Catalog V2 to V3 migration through resources: a capture of an older store (option sets
shared by many products, SKUs, rules with price and weight adjusters) is the V3 catalog it becomes,
in natural keys, so that applying it to an empty store shows shoppers the same prices."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from controller.catalog.files import render
from controller.catalog.kinds import CAPTURED
from controller.catalog.observed import to_catalog
from controller.catalog.pricing import Shown
from controller.emulator import Emulator
from controller.emulator.seed import seed_v2
from controller.engine import migrate, sync
from controller.engine.migrate import as_migrated, read_store
from controller.engine.snapshots import observe_captured
from controller.planner import Options
from controller.standalone import FileWorld, Loop, services_for
from controller.stores import BigCommerceStore
from tests.conftest import PROD_TOKEN, SANDBOX_TOKEN
from tests.support.gitservers import Remote
from tests.support.manifests import access_to
from tests.test_customers import manifests as clone_manifests
from tests.test_customers import settle
from tests.test_deployment_content import manifests as content_manifests
from tests.test_deployment_content import storefront_channels


async def shopper_prices(store: BigCommerceStore) -> dict[str, dict[str, Shown]]:
    """Per product SKU, the price and weight of every SKU and option combination, as the store's
    rules (V2) or variants and modifiers (V3) price it."""
    with_modifiers = {s.id for s in (await read_store(store)).products if s.modifiers}
    reading = await read_store(store, complex_of=with_modifiers)
    return {
        s.sku: {", ".join(sorted(c.split(", "))): shown for c, shown in s.shown().items()}
        for s in reading.products
    }


async def test_a_capture_of_an_older_store_applied_to_an_empty_one_prices_every_sku_alike(
    emulator: Emulator, stores: Any
) -> None:
    production, sandbox = stores
    seed_v2(emulator.db, "production", 12)
    before = await shopper_prices(production)
    assert sum(len(p) for p in before.values()) > 100

    captured = to_catalog(await observe_captured(production))
    tee = captured.products["v2-000003"]
    wrap = next(m for m in tee.modifiers or () if m.display_name == "Gift wrap")
    yes = next(v for v in wrap.fields["option_values"] if v["label"] == "Yes")
    assert yes["adjusters"]["price"] == {"adjuster": "relative", "adjuster_value": 4}
    assert all(v.fields.get("price") is not None for v in tee.variants or ())
    # rules combining the gift wrap with a size or a colour, one stopping: complex rules
    stopping = captured.products["v2-000000"]
    assert {
        r.key: (r.fields["stop"], r.fields.get("price_adjuster"))
        for r in stopping.complex_rules or ()
    } == {
        "Gift wrap=Yes & variant V2-000000-XL-BLA & variant V2-000000-XL-NAV & variant "
        "V2-000000-XL-WHI": (False, {"adjuster": "relative", "adjuster_value": 1.5}),
        "Gift wrap=Yes & variant V2-000000-L-NAV & variant V2-000000-M-NAV & variant "
        "V2-000000-S-NAV & variant V2-000000-XL-NAV": (
            True,
            {"adjuster": "percentage", "adjuster_value": 10},
        ),
        "Gift wrap=Yes & "
        + " & ".join(
            f"variant V2-000000-{size}-{colour}"
            for size in ("L", "M", "S", "XL")
            for colour in ("BLA", "NAV", "WHI")
        ): (False, {"adjuster": "relative", "adjuster_value": 4}),
    }
    # its bulk pricing (V2 discount rules) is in the V3 catalog files, by the quantity each starts at
    discounts = await discount_rules(emulator, "production")
    assert sum(1 for rules in discounts.values() if rules) == 4  # every third product
    files = render(captured)
    written = {
        p["sku"]: [(r["quantity_min"], r["quantity_max"], r["type"], r["amount"]) for r in rules]
        for p in map(json.loads, files["products.jsonl"].splitlines())
        if (rules := p.get("bulk_pricing_rules"))
    }
    assert written == {sku: rules for sku, rules in discounts.items() if rules}

    _, result = await sync(sandbox, captured, Options())
    assert result.errors == []
    assert await shopper_prices(sandbox) == before
    assert await discount_rules(emulator, "sandbox") == discounts


async def discount_rules(
    emulator: Emulator, store: str
) -> dict[str, list[tuple[int, int, str, float]]]:
    """Per product SKU, its bulk pricing as V2 shows it: (min, max, type, value) by min."""
    token = PROD_TOKEN if store == "production" else SANDBOX_TOKEN
    async with httpx.AsyncClient(
        base_url=emulator.store_url(store), headers={"X-Auth-Token": token}
    ) as c:
        products = (await c.get("/v2/products", params={"limit": 250})).json()
        out = {}
        for product in products:
            rules = (await c.get(f"/v2/products/{product['id']}/discount_rules")).json()
            out[product["sku"]] = sorted(
                (r["min"], r["max"], r["type"], r["type_value"]) for r in rules
            )
        return out


async def test_a_capture_of_an_older_store_plans_its_migration_from_the_pages_it_reads(
    emulator: Emulator, stores: Any
) -> None:
    production, _ = stores
    seed_v2(emulator.db, "production", 30)
    counted = emulator.control("production").stats
    observed = await production.observe(CAPTURED)
    observing = sum(counted.requests.values())
    pages = counted.requests[("GET", "/v3/catalog/products", 200)]
    assert pages > 1
    counted.reset()

    captured = await observe_captured(production)
    # the observation's own requests, one asking for option sets, then the V2 rules of each of
    # the 27 products in an option set (every tenth has none): the product pages are read once
    assert sum(counted.requests.values()) == observing + 1 + 27
    assert counted.requests[("GET", "/v3/catalog/products", 200)] == pages
    assert to_catalog(captured) == to_catalog(await as_migrated(production, observed))


SCRIPTS = """- name: Size guide
  kind: src
  src: https://cdn.example.test/size-guide.js
  location: footer
  visibility: all_pages
"""


def manifests(
    root: Path,
    emulator: Emulator,
    remote: Remote,
    *,
    approved: bool,
    catalog: bool = False,
    storefronts: list[str] | None = None,
) -> FileWorld:
    """Production, an older store, and a deployment `storefront` migrating it with the scripts
    and theme that depend on the migration (and the catalog in `remote`, when asked; to its
    channels `storefronts`, when given)."""
    content_manifests(root, emulator, remote, approved=approved, storefronts=storefronts)
    path = root / "m" / "all.yaml"
    environment, deployment = yaml.safe_load_all(path.read_text())
    deployment["spec"]["migration"] = "v2-to-v3"
    snapshot = {
        "apiVersion": "stagingpro.io/v1alpha1",
        "kind": "CatalogSnapshot",
        "metadata": {"name": "v3", "namespace": "shop"},
        "spec": {"source": {"git": {"url": remote.url, "ref": "main", "path": "catalog"}}},
    }
    if catalog:
        deployment["spec"]["catalog"] = {"snapshotRef": {"name": "v3"}}
    path.write_text(yaml.safe_dump_all([environment, deployment, snapshot]))
    return FileWorld(root / "m", root / "state", root / "s")


def release(tmp_path: Path) -> Remote:
    remote = Remote(tmp_path / "remote")
    remote.commit(
        {
            "storefront/scripts.yaml": SCRIPTS,
            "theme/config.json": json.dumps(
                {"name": "Outfitters V3", "variations": [{"name": "Light"}, {"name": "Bold"}]}
            ),
            "theme/templates/components/products/options.html": "{{#each product.options}}",
        }
    )
    return remote


async def commit_v3_catalog(production: BigCommerceStore, remote: Remote) -> None:
    """The V3 catalog captured where the migration was tried, one product reworded since."""
    files = render(to_catalog(await observe_captured(production)))
    files["products.jsonl"] = files["products.jsonl"].replace(
        '"description":""', '"description":"<p>Now in V3.</p>"', 1
    )
    remote.commit({f"catalog/{n}": t for n, t in files.items()}, "the V3 catalog")


async def deploy(
    world: FileWorld, root: Path, api_origin: str, *, max_plan_bytes: int | None = None
) -> dict[str, Any]:
    """Reconcile until the deployment's target waits for approval or reaches its outcome (a
    migration's plan kept in status up to `max_plan_bytes`, when given)."""
    services = services_for(world, root / "cache", access=access_to(api_origin, local_git=True))
    if max_plan_bytes is not None:
        services.migration_plan_max_bytes = max_plan_bytes
    loop = Loop(world, services)
    key = ("StoreDeployment", "shop", "storefront")

    def settled() -> bool:
        targets = (world.status.get(key) or {}).get("targets") or [{}]
        return all(t.get("phase") in ("AwaitingApproval", "Succeeded", "Failed") for t in targets)

    for _ in range(10):
        await loop.run_once()
        if settled():
            break
    return world.status[key]


def events(root: Path) -> list[tuple[str, str]]:
    lines = (root / "state" / "events.jsonl").read_text().splitlines()
    return [(e["reason"], e["message"]) for e in map(json.loads, lines)]


async def test_a_deployment_migrates_its_target_then_releases_the_scripts_and_theme(
    emulator: Emulator, stores: Any, tmp_path: Path
) -> None:
    production, _ = stores
    seed_v2(emulator.db, "production", 20)
    before = await shopper_prices(production)
    remote = release(tmp_path)
    await commit_v3_catalog(production, remote)

    status = await deploy(
        manifests(tmp_path, emulator, remote, approved=False, catalog=True), tmp_path, emulator.url
    )
    target = status["targets"][0]
    assert target["phase"] == "AwaitingApproval"
    migration = target["migration"]
    assert (migration["planned"], migration["kept"]) == (18, 0)  # every tenth has no option set
    assert target["plan"]["migration"] == {"create": 0, "update": 18, "delete": 0}
    # planned against the store as the migration leaves it: only the reworded product changes
    assert {k: c for k, c in target["plan"].items() if c["update"] or c["create"]} == {
        "migration": {"create": 0, "update": 18, "delete": 0},
        "products": {"create": 0, "update": 1, "delete": 0},
        "scripts": {"create": 1, "update": 0, "delete": 0},
        "theme": {"create": 1, "update": 0, "delete": 0},
    }
    assert migration["products"][0].startswith("product ")
    assert "SKUs -> variants, SKUs and ids kept" in migration["products"][0]
    assert await shopper_prices(production) == before
    api = httpx.AsyncClient(
        base_url=emulator.store_url("production") + "/v3", headers={"X-Auth-Token": PROD_TOKEN}
    )
    assert (await api.get("/content/scripts")).json()["data"] == []

    status = await deploy(
        manifests(tmp_path, emulator, remote, approved=True, catalog=True), tmp_path, emulator.url
    )
    target = status["targets"][0]
    assert status["phase"] == "Succeeded", status
    assert target["outcomes"]["products"]["updated"] == 1
    migration = target["migration"]
    assert migration["migrated"] == 18
    assert migration["verified"] is True
    assert migration["differenceCount"] == 0
    assert migration["combinations"] == sum(len(p) for p in before.values())
    assert "keptPlan" not in migration
    assert migration["requests"] <= 1.1 * migration["minimumRequests"]
    assert await shopper_prices(production) == before
    reasons = [r for r, _ in events(tmp_path)]
    assert reasons.index("Migrated") < reasons.index("Applying") < reasons.index("Succeeded")
    scripts = (await api.get("/content/scripts")).json()["data"]
    themes = (await api.get("/themes")).json()["data"]
    await api.aclose()
    assert [s["name"] for s in scripts] == ["Size guide"]
    assert [(t["name"], t["is_active"]) for t in themes] == [("Outfitters V3", True)]
    again = await deploy(
        manifests(tmp_path / "again", emulator, remote, approved=True),
        tmp_path / "again",
        emulator.url,
    )
    assert again["targets"][0]["migration"]["planned"] == 0  # nothing left: it just proceeds
    assert again["phase"] == "Succeeded", again


class MerchantAtWork(FileWorld):
    """A store whose merchant prices a gift wrap's "No" while its migration is written (as soon
    as the deployment keeps its plan in status, before the first write)."""

    def __init__(self, api: httpx.AsyncClient, *args: Any) -> None:
        super().__init__(*args)
        self.api, self.done = api, False

    async def patch_status(
        self, kind: str, namespace: str, name: str, patch: dict[str, Any]
    ) -> None:
        await super().patch_status(kind, namespace, name, patch)
        kept = [t for t in patch.get("targets") or [] if (t.get("migration") or {}).get("keptPlan")]
        if kept and not self.done:
            self.done = True
            await self.act()

    async def act(self) -> None:
        """What the merchant does."""
        params: dict[str, str | int] = {"include": "modifiers", "limit": 10}
        products = (await self.api.get("/catalog/products", params=params)).json()["data"]
        product = next(p for p in products if p["modifiers"])
        wrap = product["modifiers"][0]
        no = next(v for v in wrap["option_values"] if v["label"] == "No")
        path = f"/catalog/products/{product['id']}/modifiers/{wrap['id']}/values/{no['id']}"
        adjusters = {"price": {"adjuster": "relative", "adjuster_value": 1}}
        answer = await self.api.put(path, json={"adjusters": adjusters})
        assert answer.status_code == 200, answer.text


async def test_a_price_that_changed_during_the_migration_stops_the_target_before_its_theme(
    emulator: Emulator, tmp_path: Path
) -> None:
    seed_v2(emulator.db, "production", 10)
    remote = release(tmp_path)
    manifests(tmp_path, emulator, remote, approved=True)
    async with httpx.AsyncClient(
        base_url=emulator.store_url("production") + "/v3", headers={"X-Auth-Token": PROD_TOKEN}
    ) as api:
        world = MerchantAtWork(api, tmp_path / "m", tmp_path / "state", tmp_path / "s")
        status = await deploy(world, tmp_path, emulator.url)
        scripts = (await api.get("/content/scripts")).json()["data"]
        themes = (await api.get("/themes")).json()["data"]
    assert world.done, status
    target = status["targets"][0]
    assert status["phase"] == "Failed"
    migration = target["migration"]
    assert migration["verified"] is False
    # the product's twelve SKUs, each with the gift wrap declined, now 1 dearer
    assert migration["differenceCount"] == 12
    assert all("Gift wrap=No" in d for d in migration["differences"])
    assert target["errors"][0].startswith("MigrationDiffers: ")
    assert "the catalog, scripts and theme were not released" in target["errors"][0]
    assert "Migrated" not in {r for r, _ in events(tmp_path)}
    assert scripts == []
    assert themes == []


def writes(emulator: Emulator) -> list[str]:
    """The writes production answered, `METHOD endpoint` each."""
    counted = emulator.control("production").stats.requests
    return sorted(f"{m} {e}" for (m, e, _), n in counted.items() if m != "GET" for _ in range(n))


def ready(status: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in status["conditions"] if c["type"] == "Ready")


async def test_a_migration_too_large_to_keep_in_status_stops_the_target_before_any_write(
    emulator: Emulator, stores: Any, tmp_path: Path
) -> None:
    production, _ = stores
    seed_v2(emulator.db, "production", 10)
    before = await shopper_prices(production)
    world = manifests(tmp_path, emulator, release(tmp_path), approved=True)
    emulator.control("production").stats.reset()
    # a cap of 1 kB stands for the 800 kB of a store of some 4,000 products
    status = await deploy(world, tmp_path, emulator.url, max_plan_bytes=1_000)
    target = status["targets"][0]
    assert status["phase"] == "Failed"
    assert ready(status)["reason"] == "MigrationTooLarge"
    reason, message = target["errors"][0].split(": ", 1)
    assert reason == "MigrationTooLarge"
    assert "kB, over the 1 kB a target's status keeps" in message
    assert "migrate this store with `stagingpro migrate v2-to-v3`" in message
    assert message.endswith("then deploy without spec.migration; nothing was written")
    assert ("MigrationTooLarge", f"production: {message}") in events(tmp_path)
    assert "keptPlan" not in target["migration"]
    assert writes(emulator) == []
    assert await shopper_prices(production) == before


class MerchantRewording(MerchantAtWork):
    """A store whose merchant rewords a product while its migration is written."""

    async def act(self) -> None:
        products = (await self.api.get("/catalog/products", params={"limit": 250})).json()["data"]
        path = f"/catalog/products/{products[-1]['id']}"
        answer = await self.api.put(path, json={"description": "<p>On sale this week.</p>"})
        assert answer.status_code == 200, answer.text


async def test_a_catalog_plan_changed_while_the_store_migrated_stops_the_target_before_its_catalog(
    emulator: Emulator, stores: Any, tmp_path: Path
) -> None:
    production, _ = stores
    seed_v2(emulator.db, "production", 10)
    remote = release(tmp_path)
    await commit_v3_catalog(production, remote)
    manifests(tmp_path, emulator, remote, approved=True, catalog=True)
    async with httpx.AsyncClient(
        base_url=emulator.store_url("production") + "/v3", headers={"X-Auth-Token": PROD_TOKEN}
    ) as api:
        world = MerchantRewording(api, tmp_path / "m", tmp_path / "state", tmp_path / "s")
        status = await deploy(world, tmp_path, emulator.url)
        products = (await api.get("/catalog/products", params={"limit": 250})).json()["data"]
        scripts = (await api.get("/content/scripts")).json()["data"]
        themes = (await api.get("/themes")).json()["data"]
    assert world.done, status
    target = status["targets"][0]
    assert status["phase"] == "Failed"
    assert ready(status)["reason"] == "PlanChangedByMigration"
    assert target["migration"]["verified"] is True  # the migration itself is done
    reason, message = target["errors"][0].split(": ", 1)
    assert reason == "PlanChangedByMigration"
    # the merchant's rewording is a second product update the approval did not cover
    assert "the catalog's plan is plan products +0 ~2 -0" in message
    assert "not the plan products +0 ~1 -0" in message
    assert (
        "change the deployment's spec to plan its catalog again, and approve that plan" in message
    )
    assert ("PlanChangedByMigration", f"production: {message}") in events(tmp_path)
    assert "Applying" not in {r for r, _ in events(tmp_path)}
    assert [p["description"] for p in products].count("<p>Now in V3.</p>") == 0
    assert scripts == []
    assert themes == []

    # as the message says: a changed spec plans the catalog again, for a new approval
    path = tmp_path / "m" / "all.yaml"
    *others, snapshot = yaml.safe_load_all(path.read_text())
    others[1]["spec"]["strategy"] = {"maxDeletePercent": 20}
    path.write_text(yaml.safe_dump_all([*others, snapshot]))
    status = await deploy(
        FileWorld(tmp_path / "m", tmp_path / "state", tmp_path / "s"), tmp_path, emulator.url
    )
    target = status["targets"][0]
    assert target["phase"] == "AwaitingApproval", status
    assert (target["migration"]["planned"], target["plan"]["products"]["update"]) == (0, 2)


async def test_storefronts_of_one_store_released_in_one_pass_migrate_it_once(
    emulator: Emulator, stores: Any, tmp_path: Path
) -> None:
    production, _ = stores
    seed_v2(emulator.db, "production", 20)
    before = await shopper_prices(production)
    variants = sum(len(p.variants) for p in (await read_store(production)).products if p.rules)
    remote = release(tmp_path)
    await commit_v3_catalog(production, remote)
    async with httpx.AsyncClient(
        base_url=emulator.store_url("production") + "/v3", headers={"X-Auth-Token": PROD_TOKEN}
    ) as api:
        await storefront_channels(api, EU=True)
    world = manifests(
        tmp_path,
        emulator,
        remote,
        approved=True,
        catalog=True,
        storefronts=["EU", "Production Store"],
    )
    emulator.control("production").stats.reset()
    status = await deploy(world, tmp_path, emulator.url)
    assert status["phase"] == "Succeeded", status
    done = Counter(writes(emulator))
    # one migration's writes: one option or modifier write per product, its rules deleted once
    copies = (
        done["PUT /v3/catalog/products/{product_id}/options/{option_id}"]
        + done["PUT /v3/catalog/products/{product_id}/modifiers/{modifier_id}"]
    )
    assert (copies, done["DELETE /v2/products/{product_id}/rules"]) == (18, 18), done
    assert done["PUT /v3/catalog/variants"] == -(-variants // 50)  # in batches of 50
    assert done["PUT /v3/catalog/products"] == 1  # the reworded product, by the first target
    first, then = sorted(status["targets"], key=lambda t: "migratedWith" in t["migration"])
    assert first["migration"]["migrated"] == then["migration"]["migrated"] == 18
    assert then["migration"]["migratedWith"] == first["name"]
    assert then["migration"]["verified"] is True
    assert await shopper_prices(production) == before


async def test_a_sandbox_cloned_from_an_older_store_shows_shoppers_its_prices_in_v3(
    emulator: Emulator, stores: Any, tmp_path: Path
) -> None:
    production, sandbox = stores
    seed_v2(emulator.db, "production", 10)
    world = clone_manifests(tmp_path, emulator, {"enabled": False})
    await settle(world, tmp_path, emulator)
    assert world.status[("StoreEnvironment", "shop", "sandbox")]["clone"]["phase"] == "Succeeded"
    assert await shopper_prices(sandbox) == await shopper_prices(production)
    assert await discount_rules(emulator, "sandbox") == await discount_rules(emulator, "production")


class Killed(BaseException):
    """The operator's process killed mid-reconcile (nothing a reconcile handles)."""


@pytest.mark.parametrize("storefronts", [None, ["EU", "Production Store"]])
async def test_an_operator_killed_mid_migration_resumes_from_the_plan_kept_in_status(
    emulator: Emulator,
    stores: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    storefronts: list[str] | None,
) -> None:
    production, _ = stores
    seed_v2(emulator.db, "production", 30)
    before = await shopper_prices(production)
    remote = release(tmp_path)
    if storefronts:  # several targets of the store: each resumes from the plan one of them kept
        async with httpx.AsyncClient(
            base_url=emulator.store_url("production") + "/v3",
            headers={"X-Auth-Token": PROD_TOKEN},
        ) as api:
            await storefront_channels(api, EU=True)
    world = manifests(tmp_path, emulator, remote, approved=True, storefronts=storefronts)
    applying = migrate.apply_migration

    async def killed_after_the_first_batch(
        store: BigCommerceStore, migration: migrate.Migration, progress: Any = None
    ) -> None:
        def kill(done: int, total: int) -> None:
            raise Killed(f"after {done} of {total} variants")

        await applying(store, migration, progress=kill)

    monkeypatch.setattr(migrate, "apply_migration", killed_after_the_first_batch)
    with pytest.raises((Killed, BaseExceptionGroup)):
        await deploy(world, tmp_path, emulator.url)
    targets = world.status[("StoreDeployment", "shop", "storefront")]["targets"]
    kept = [t for t in targets if (t.get("migration") or {}).get("keptPlan")]
    assert kept
    assert all(t["phase"] == "Applying" for t in kept)
    if storefronts:  # the process killed while the last wrote: the first had not begun
        saved = tmp_path / "state" / "status" / "StoreDeployment" / "shop" / "storefront.json"
        state = json.loads(saved.read_text())
        assert state["status"]["targets"][-1]["migration"]["keptPlan"]
        for target in state["status"]["targets"][:-1]:
            target["phase"] = "Planning"
            target.get("migration", {}).pop("keptPlan", None)
        saved.write_text(json.dumps(state))
    # half written: a product whose variants straddle the first batch lost its rules before all
    # its variants had their prices; only the kept plan knows what they must be
    assert await shopper_prices(production) != before

    monkeypatch.setattr(migrate, "apply_migration", applying)
    restarted = FileWorld(tmp_path / "m", tmp_path / "state", tmp_path / "s")
    status = await deploy(restarted, tmp_path, emulator.url)
    assert status["phase"] == "Succeeded", status
    for target in status["targets"]:
        migration = target["migration"]
        assert (migration["verified"], migration["differenceCount"]) == (True, 0)
        assert "keptPlan" not in migration
    assert await shopper_prices(production) == before
    assert sum(t["outcomes"]["scripts"]["created"] for t in status["targets"]) == 1
