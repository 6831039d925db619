"""The Catalog V2 to V3 migration of a generated older store (three option sets shared by 1,000
products, a SKU per combination, rules with relative, percentage and absolute adjusters): requests
counted at the server against the minimum the migration derives, the shopper-visible differences
the verification finds, and a second run (nothing to migrate)."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from bench.common import TOKEN, emulator_process, reset_stats, stats
from controller.emulator import StoreDB, StoreProfile
from controller.emulator.seed import seed_v2
from controller.engine import migrate
from controller.stores import BigCommerceStore, Token


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


async def _again(url: str) -> tuple[int, int]:
    async with BigCommerceStore(url, "legacy", Token(TOKEN)) as store:
        reset_stats(url, "legacy")
        migration = await migrate.plan_migration(store, "legacy")
        return len(migration.changes), stats(url, "legacy")["total"]


def run(products: int = 1000) -> None:
    """Print the migration's requests against the minimum."""
    print(f"== migrate (Catalog V2 to V3 of {products} products in three shared option sets)")
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "legacy.db"
        db = StoreDB(str(db_path))
        db.put_store(StoreProfile("legacy", TOKEN))
        started = time.perf_counter()
        counts = seed_v2(db, "legacy", products)
        db.close()
        print(
            f"  seeded: {counts['products']} products, {counts['variants']} variants "
            f"in {time.perf_counter() - started:.1f}s"
        )
        with emulator_process(db_path, ["legacy"], "--rate-limit", "0") as (url, _):
            started = time.perf_counter()
            minimum, reads, writes, checked, migrated, verification = asyncio.run(_migrate(url))
            elapsed = time.perf_counter() - started
            least = sum(minimum.values())
            print(
                f"  migration             {migrated} products: reads {reads} (min {minimum['reads']})"
                f"  writes {writes} (min {least - minimum['reads']}: {minimum['localise']} option "
                f"copies, {minimum['delete_rules']} rule deletions, {minimum['variant_batches']} "
                f"variant batches)  total {reads + writes} / min {least} = "
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
    print("  targets: requests <= 1.1 x the minimum; 0 differences; no product id or SKU changed")
