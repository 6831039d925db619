"""A sandbox clone of 10,000 customers: requests counted at the server against the minimum, and a
refresh (the same fake people: nothing written)."""

from __future__ import annotations

import asyncio
import hashlib
import math
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench.common import TOKEN, emulator_process, reset_stats, stats
from controller.catalog.anonymise import DOMAIN, Rules, anonymise
from controller.catalog.kinds import KINDS, Action, Kind
from controller.catalog.observed import to_catalog
from controller.emulator import StoreDB, StoreProfile
from controller.engine import sync
from controller.planner import Options
from controller.stores import BigCommerceStore, Token

PAGE = 250


def seed(db_path: Path, customers: int) -> None:
    """A production store with two groups, three attributes and `customers` customers (an
    address, two attribute values, a form field value and store credit each); an empty sandbox."""
    db = StoreDB(str(db_path))
    for name in ("production", "sandbox"):
        db.put_store(StoreProfile(name, TOKEN))
    shop = db.bind("production")
    groups = [shop.customer_groups.create({"name": n})["id"] for n in ("Retail", "Wholesale")]
    size, tier, _ = (
        a["id"]
        for a in shop.customers.add_attributes(
            [
                {"name": "Shoe size", "type": "number"},
                {"name": "Tier", "type": "string"},
                {"name": "Birthday", "type": "date"},
            ]
        )
    )
    started = time.perf_counter()
    for start in range(0, customers, 10):
        batch = []
        for n in range(start, min(start + 10, customers)):
            batch.append(
                {
                    "email": f"person{n}@mail.test",
                    "first_name": f"First{n}",
                    "last_name": f"Last{n}",
                    "phone": f"+1 212 {n:07d}",
                    "customer_group_id": groups[n % 2],
                    "store_credit_amounts": [{"amount": n % 50}],
                    "addresses": [
                        {
                            "first_name": f"First{n}",
                            "last_name": f"Last{n}",
                            "address1": f"{n} Real Street",
                            "city": "Austin",
                            "country_code": "US",
                        }
                    ],
                    "attributes": [
                        {"attribute_id": size, "attribute_value": str(36 + n % 10)},
                        {"attribute_id": tier, "attribute_value": "Gold"},
                    ],
                    "form_fields": [{"name": "Licence", "value": f"L{n}"}],
                    "trigger_account_created_notification": False,
                }
            )
        shop.customers.create(batch)
    print(f"  seeded production: {customers} customers in {time.perf_counter() - started:.1f}s")
    db.close()


async def _clone(url: str, key: bytes) -> tuple[int, int, int, list[str]]:
    """Read the source's customers (with the groups and attributes they name), anonymise them
    and make the sandbox hold exactly them: (source reads, sandbox reads, sandbox writes, emails)."""
    for store in ("production", "sandbox"):
        reset_stats(url, store)
    async with BigCommerceStore(url, "production", Token(TOKEN)) as source:
        observed = await source.observe({Kind.CUSTOMERS, Kind.CUSTOMER_GROUPS})
    catalog = replace(to_catalog(observed), customers=anonymise(observed, key, Rules({})))
    async with BigCommerceStore(url, "sandbox", Token(TOKEN)) as sandbox:
        _, result = await sync(sandbox, catalog, Options(prune=True, personal_data=True))
    if result.errors:
        raise RuntimeError(f"clone: {result.errors[:3]}")
    source_stats, sandbox_stats = stats(url, "production"), stats(url, "sandbox")
    sandbox_reads = sandbox_stats["by_method"].get("GET", 0)
    return (
        source_stats["total"],
        sandbox_reads,
        sandbox_stats["total"] - sandbox_reads,
        sorted(catalog.customers or {}),
    )


def run(customers: int = 10_000) -> None:
    """Print the clone's requests against the minimum."""
    print(f"== customers (a sandbox clone of {customers} customers, anonymised)")
    key = hashlib.sha256(b"bench anonymisation key").digest()
    batch = KINDS[Kind.CUSTOMERS].batch_size(Action.CREATE)
    pages = math.ceil(customers / PAGE)
    # source: customers pages, attributes, groups, and the products, categories and brands that
    # groups' rules may name; sandbox: the same lists (empty), then groups one by one, the
    # attributes in one request and the customers at the create maximum
    min_source = pages + 1 + 1 + 3
    min_sandbox_reads = 1 + 1 + 1 + 3
    min_writes = 2 + 1 + math.ceil(customers / batch)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "customers.db"
        seed(db, customers)
        with emulator_process(db, ["production", "sandbox"], "--rate-limit", "0") as (url, _):
            started = time.perf_counter()
            source, reads, writes, first = asyncio.run(_clone(url, key))
            elapsed = time.perf_counter() - started
            total, minimum = source + reads + writes, min_source + min_sandbox_reads + min_writes
            print(
                f"  clone                 source reads {source} (min {min_source})  sandbox reads "
                f"{reads} (min {min_sandbox_reads})  writes {writes} (min {min_writes})  "
                f"total {total} / min {minimum} = {total / minimum:5.3f}  {elapsed:.1f}s"
            )
            source, reads, writes, second = asyncio.run(_clone(url, key))
            refresh_min = min_source + pages + 1 + 1 + 3
            print(
                f"  refresh               source reads {source}  sandbox reads {reads}  writes "
                f"{writes} (min 0)  total {source + reads + writes} / min {refresh_min} = "
                f"{(source + reads + writes) / refresh_min:5.3f}  same people: {first == second}"
            )
            assert all(email.endswith("@" + DOMAIN) for email in second)
    print("  targets: clone requests <= 1.1 x the minimum; a refresh writes nothing")
