"""The Catalog V2 to V3 migration of a generated older store (three option sets shared by 1,000
products, a SKU per combination, rules with relative, percentage and absolute adjusters, some
combining the gift wrap with a size or a colour, one of those stopping: V3 complex rules): requests
counted at the server against the minimum the migration derives (and those of a capture of the
store, which plans the migration from the product pages it reads), the shopper-visible differences
the verification finds, a second run (nothing to migrate), and the same migration of a store seeded
alike through a StoreDeployment (`spec.migration`), run by the standalone loop."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bench.common import TOKEN, emulator_process, reset_stats, stats
from controller.access import API_ORIGIN, ROLE, STORE_HASH, AccessPolicy
from controller.catalog.kinds import CAPTURED
from controller.emulator import StoreDB, StoreProfile
from controller.emulator.seed import seed_v2
from controller.engine import migrate
from controller.engine.snapshots import observe_captured
from controller.standalone import FileWorld, Loop, services_for
from controller.stores import BigCommerceStore, Token

DEPLOYED = "deployed"


async def _migrate(url: str) -> tuple[dict[str, int], int, int, int, int, migrate.Verification]:
    """Plan, apply, verify: (minimum, plan reads, writes, verification reads, products, result)."""
    async with BigCommerceStore(url, "legacy", Token(TOKEN)) as store:
        reset_stats(url, "legacy")
        migration = await migrate.plan_migration(store, "legacy")
        reads = stats(url, "legacy")["total"]
        reset_stats(url, "legacy")
        await migrate.apply_migration(store, migration)
        writes = stats(url, "legacy")["total"]
        reset_stats(url, "legacy")
        verification = await migrate.verify(store, migration)
        checked = stats(url, "legacy")["total"]
    return migration.minimum, reads, writes, checked, len(migration.changes), verification


async def _capture(url: str) -> tuple[int, int]:
    """Requests of a capture of the older store: planning its migration from product pages read
    again (as captures did), and from the pages the capture's observation reads."""
    async with BigCommerceStore(url, "legacy", Token(TOKEN)) as store:
        reset_stats(url, "legacy")
        await migrate.as_migrated(store, await store.observe(CAPTURED))
        again = stats(url, "legacy")["total"]
        reset_stats(url, "legacy")
        await observe_captured(store)
        return again, stats(url, "legacy")["total"]


async def _again(url: str) -> tuple[int, int]:
    async with BigCommerceStore(url, "legacy", Token(TOKEN)) as store:
        reset_stats(url, "legacy")
        migration = await migrate.plan_migration(store, "legacy")
        return len(migration.changes), stats(url, "legacy")["total"]


async def _deployment(url: str, root: Path) -> tuple[dict[str, Any], int]:
    """Migrate the store `DEPLOYED` with a StoreDeployment: its target's status and the requests
    counted at the server for the whole deployment (its observation of the store included)."""
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "token",
            "namespace": "shop",
            "annotations": {STORE_HASH: DEPLOYED, API_ORIGIN: url, ROLE: "sandbox"},
        },
        "stringData": {"token": TOKEN},
    }
    base = {"apiVersion": "stagingpro.io/v1alpha1"}
    environment = {
        **base,
        "kind": "StoreEnvironment",
        "metadata": {"name": "sandbox", "namespace": "shop"},
        "spec": {
            "role": "sandbox",
            "store": {
                "hash": DEPLOYED,
                "apiUrl": url,
                "credentialsSecretRef": {"name": "token", "key": "token"},
            },
        },
    }
    deployment = {
        **base,
        "kind": "StoreDeployment",
        "metadata": {"name": "v3", "namespace": "shop"},
        "spec": {"targets": ["sandbox"], "migration": "v2-to-v3"},
    }
    for directory in ("m", "s"):
        (root / directory).mkdir(parents=True)
    (root / "s" / "token.yaml").write_text(yaml.safe_dump(secret))
    (root / "m" / "all.yaml").write_text(yaml.safe_dump_all([environment, deployment]))
    world = FileWorld(root / "m", root / "state", root / "s")
    access = AccessPolicy.configured([url], env={})
    loop = Loop(world, services_for(world, root / "cache", access=access))
    reset_stats(url, DEPLOYED)
    key = ("StoreDeployment", "shop", "v3")
    for _ in range(10):
        await loop.run_once()
        phase = (world.status.get(key) or {}).get("phase")
        if phase in ("Succeeded", "Failed"):
            break
    return world.status[key]["targets"][0], stats(url, DEPLOYED)["total"]


def run(products: int = 1000) -> None:
    """Print the migration's requests against the minimum."""
    print(f"== migrate (Catalog V2 to V3 of {products} products in three shared option sets)")
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "legacy.db"
        db = StoreDB(str(db_path))
        db.put_store(StoreProfile("legacy", TOKEN))
        db.put_store(StoreProfile(DEPLOYED, TOKEN))
        started = time.perf_counter()
        counts = seed_v2(db, "legacy", products)
        seed_v2(db, DEPLOYED, products)
        db.close()
        print(
            f"  seeded: {counts['products']} products, {counts['variants']} variants "
            f"in {time.perf_counter() - started:.1f}s"
        )
        stores = ["legacy", DEPLOYED]
        with emulator_process(db_path, stores, "--rate-limit", "0") as (url, _):
            again, once = asyncio.run(_capture(url))
            print(
                f"  capture               {once} requests (its product pages read once; read "
                f"again to plan the migration: {again}, {again - once} more)"
            )
            started = time.perf_counter()
            minimum, reads, writes, checked, migrated, verification = asyncio.run(_migrate(url))
            elapsed = time.perf_counter() - started
            least = sum(minimum.values())
            print(
                f"  migration             {migrated} products: reads {reads} (min {minimum['reads']})"
                f"  writes {writes} (min {least - minimum['reads']}: {minimum['localise']} option "
                f"copies, {minimum['delete_rules']} rule deletions, {minimum['variant_batches']} "
                f"variant batches, {minimum['complex_rules']} complex rules)  total "
                f"{reads + writes} / min {least} = "
                f"{(reads + writes) / least:5.3f}  {elapsed:.1f}s"
            )
            print(
                f"  verification          {verification.combinations} SKU and option combinations"
                f" in {checked} reads: {len(verification.differences)} price or weight "
                f"differences, {len(verification.products_missing)} products gone, "
                f"{len(verification.skus_changed)} with SKUs changed"
            )
            left, again = asyncio.run(_again(url))
            print(f"  second run            {left} products to migrate, {again} reads, 0 writes")
            started = time.perf_counter()
            target, total = asyncio.run(_deployment(url, Path(tmp) / "deployment"))
            elapsed = time.perf_counter() - started
            done = target.get("migration") or {}
            print(
                f"  via a StoreDeployment {target['phase']}: {done.get('migrated')} products "
                f"migrated in {done.get('requests')} requests / min {done.get('minimumRequests')}"
                f"; verified {done.get('combinations')} combinations, "
                f"{done.get('differenceCount')} differences; the deployment in all: {total} "
                f"requests at the server (with the verification and the catalog plan's own "
                f"observation)  {elapsed:.1f}s"
            )
    print("  targets: requests <= 1.1 x the minimum; 0 differences; no product id or SKU changed")
