"""A sandbox clone of an older store (three option sets shared by the products, a SKU per
combination, rules): the Catalog V2 copy's requests counted at the server against the minimum (V2
writes one item a request), a refresh of the unchanged source (nothing written), and the migration
planned on the clone against production's plan."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from bench.common import TOKEN, emulator_process, reset_stats, stats
from controller.catalog.kinds import CAPTURED, Kind
from controller.emulator import StoreDB, StoreProfile
from controller.emulator.seed import seed_v2
from controller.engine import migrate
from controller.engine.v2copy import V2Copy, read_clone, write_clone
from controller.planner import Options
from controller.stores import BigCommerceStore, Token

CLONE = Options(prune=True, allow_mass_delete=True, personal_data=True, reviews=True)


async def _clone(url: str) -> tuple[V2Copy, dict[str, int], int, int]:
    """Clone production into the sandbox as `cloneFrom` does: (the V2 copy, its minimum writes,
    V2 reads at the source, requests at the sandbox's V2 and V3 endpoints together)."""
    async with (
        BigCommerceStore(url, "production", Token(TOKEN)) as source,
        BigCommerceStore(url, "sandbox", Token(TOKEN)) as target,
    ):
        reset_stats(url, "sandbox")
        legacy, _, catalog = await read_clone(source, set(CAPTURED) - {Kind.SCRIPTS})
        _, copied = await write_clone(target, legacy, catalog, CLONE)
        return copied, legacy.minimum(), legacy.reads, stats(url, "sandbox")["total"]


async def _plans(url: str) -> tuple[int, int, bool]:
    """Products to migrate on production and on the sandbox, and whether every product's plan is
    the same by SKU (ids apart)."""

    async with (
        BigCommerceStore(url, "production", Token(TOKEN)) as source,
        BigCommerceStore(url, "sandbox", Token(TOKEN)) as target,
    ):
        production = await migrate.plan_migration(source, "production")
        sandbox = await migrate.plan_migration(target, "sandbox")
    same = production.by_sku() == sandbox.by_sku()
    return len(production.changes), len(sandbox.changes), same


def run(products: int = 1000) -> None:
    """Print the clone's requests against the minimum."""
    print(f"== v2clone (a sandbox clone of an older store of {products} products)")
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "stores.db"
        db = StoreDB(str(db_path))
        db.put_store(StoreProfile("production", TOKEN))
        db.put_store(StoreProfile("sandbox", TOKEN))
        counts = seed_v2(db, "production", products)
        db.close()
        print(f"  seeded production: {counts['products']} products, {counts['variants']} variants")
        with emulator_process(db_path, ["production", "sandbox"], "--rate-limit", "0") as (url, _):
            reset_stats(url, "production")
            started = time.perf_counter()
            copied, minimum, source_reads, total = asyncio.run(_clone(url))
            elapsed = time.perf_counter() - started
            least = sum(minimum.values())
            written = sum(copied.written.values())
            production = stats(url, "production")["by_method"]
            print(
                f"  first clone, Catalog V2 copy: writes {written} / min {least} "
                f"({', '.join(f'{n} {what}' for what, n in minimum.items())}) = "
                f"{written / least:5.3f}; V2 reads: {source_reads} at production, "
                f"{copied.requests - written} at the sandbox; {len(copied.errors)} failed"
            )
            print(
                f"  first clone in all (V3 sync and V2 copy): {total} requests at the sandbox, "
                f"{sum(production.values())} at production ({', '.join(production)} only)  "
                f"{elapsed:.1f}s"
            )
            started = time.perf_counter()
            copied, _, source_reads, total = asyncio.run(_clone(url))
            print(
                f"  refresh of the unchanged source: {sum(copied.written.values())} V2 writes, "
                f"{copied.requests} V2 reads at the sandbox, {source_reads} at production; "
                f"{total} requests at the sandbox in all  {time.perf_counter() - started:.1f}s"
            )
            on_production, on_sandbox, same = asyncio.run(_plans(url))
            print(
                f"  migration planned: {on_production} products on production, {on_sandbox} on "
                f"the clone; every product's plan the same by SKU: {same}"
            )
    print("  targets: V2 writes = the minimum; a refresh writes nothing; the same plan")
