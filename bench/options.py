"""A product with 600 SKUs (two variant options, 20 x 30 values) and 50 modifiers of every type:
loaded, planned and applied, each scenario's requests counted at the server against the fewest
the API allows (derived below)."""

from __future__ import annotations

import asyncio
import copy
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import TOKEN, emulator_process, reset_stats, seed, stats
from controller.catalog import Item, Kind, build_catalog
from controller.catalog.kinds import ON_REQUEST
from controller.catalog.model import Catalog
from controller.engine import sync
from controller.stores import BigCommerceStore, Token
from controller.stores.records import CATALOG_KINDS

SIZES = [f"{30 + i}" for i in range(20)]
COLOURS = [f"Colour {i:02d}" for i in range(30)]
MODIFIER_TYPES = ("dropdown", "text", "checkbox", "swatch", "numbers_only_text")
# one product read (10 a page with options and modifiers), and the categories and brands every
# product read brings; the engine reads the image sources too (one more, which a product without
# images would not need)
MIN_READS = 3


def modifiers(price: float = 1.0) -> list[dict[str, Any]]:
    """50 modifiers, ten of each type; the lists with 5 values that adjust the price."""
    found = []
    for i in range(50):
        kind = MODIFIER_TYPES[i % len(MODIFIER_TYPES)]
        item: dict[str, Any] = {
            "display_name": f"Modifier {i:02d}",
            "type": kind,
            "required": False,
        }
        if kind in ("dropdown", "swatch"):
            item["option_values"] = [
                {
                    "label": f"Choice {v}",
                    "sort_order": v,
                    **({"value_data": {"colors": [f"#0000{v}{v}"]}} if kind == "swatch" else {}),
                    "adjusters": {"price": {"adjuster": "relative", "adjuster_value": price + v}},
                }
                for v in range(5)
            ]
        found.append(item)
    return found


def product(
    *, price: float = 100.0, size_type: str = "dropdown", extra: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "sku": "BIG",
        "name": "Configurable",
        "type": "physical",
        "price": 100,
        "weight": 1,
        "options": [
            {
                "display_name": "Size",
                "type": size_type,
                "sort_order": 0,
                "option_values": [{"label": s, "sort_order": i} for i, s in enumerate(SIZES)],
            },
            {
                "display_name": "Colour",
                "type": "swatch",
                "sort_order": 1,
                "option_values": [
                    {"label": c, "sort_order": i, "value_data": {"colors": [f"#{i:06d}"]}}
                    for i, c in enumerate(COLOURS)
                ],
            },
        ],
        "modifiers": extra if extra is not None else modifiers(),
        # created with the product, in its one request
        "bulk_pricing_rules": [
            {"quantity_min": 10, "quantity_max": 49, "type": "percent", "amount": 5},
            {"quantity_min": 50, "quantity_max": 0, "type": "percent", "amount": 10},
        ],
        "variants": [
            {
                "sku": f"BIG-{s}-{c.replace(' ', '')}",
                "price": price,
                "option_values": [
                    {"option_display_name": "Size", "label": s},
                    {"option_display_name": "Colour", "label": c},
                ],
            }
            for s in SIZES
            for c in COLOURS
        ],
    }


def catalog(item: dict[str, Any]) -> Catalog:
    return build_catalog({Kind.PRODUCTS: [Item(item)]})


async def _scenarios(url: str) -> list[tuple[str, int, int, int, int, float]]:
    rows = []

    async def measure(name: str, item: dict[str, Any], min_writes: int) -> None:
        reset_stats(url, "options")
        async with BigCommerceStore(url, "options", Token(TOKEN)) as client:
            started = time.perf_counter()
            _, result = await sync(client, catalog(item))
            seconds = time.perf_counter() - started
        if result.errors:
            raise RuntimeError(f"{name}: {result.errors[:3]}")
        counted = stats(url, "options")
        reads = counted["by_method"].get("GET", 0)
        rows.append((name, reads, MIN_READS, counted["total"] - reads, min_writes, seconds))

    # a new product: one create with its 600 variants (which make the two options), then one
    # request per option to write it as declared (the create cannot carry options), one create
    # per modifier with all its values (the API has no batch of modifiers)
    await measure("create: 600 SKUs, 2 options, 50 modifiers", product(), 1 + 2 + 50)
    await measure("no-op", product(), 0)
    async with BigCommerceStore(url, "options", Token(TOKEN)) as client:
        before = {
            v.id
            for v in (await client.observe(CATALOG_KINDS | ON_REQUEST)).products["big"].variants
        }
    # variant prices: PUT /catalog/variants takes 50 a request
    await measure("600 variant prices", product(price=110.0), 600 // 50)
    changed = modifiers()
    changed[0]["option_values"][2]["adjusters"]["price"]["adjuster_value"] = 9.5
    await measure("one modifier value", product(price=110.0, extra=changed), 1)
    grown = product(price=110.0, size_type="rectangles", extra=changed)
    grown["options"][0]["option_values"].append({"label": "XXL", "sort_order": 20})
    await measure("option type + a value (in place)", grown, 1)
    # a colour renamed, its 20 variants (by SKU) naming the new label: the option's one request
    renamed = copy.deepcopy(grown)
    renamed["options"][1]["option_values"][0]["label"] = "Renamed"
    for variant in renamed["variants"]:
        for value in variant["option_values"]:
            if value["label"] == COLOURS[0]:
                value["label"] = "Renamed"
    await measure("a value renamed (in place)", renamed, 1)
    async with BigCommerceStore(url, "options", Token(TOKEN)) as client:
        after = {
            v.id
            for v in (await client.observe(CATALOG_KINDS | ON_REQUEST)).products["big"].variants
        }
    if after != before:
        raise RuntimeError("a variant option change or rename did not keep every variant id")
    every = modifiers(price=2.0)  # the 20 with values change: one request each (no batch)
    await measure(
        "every modifier value (20 modifiers)", {**copy.deepcopy(renamed), "modifiers": every}, 20
    )
    relabelled = modifiers(price=2.0)  # one value's label, nothing else: the modifier's request
    relabelled[0]["option_values"][1]["label"] = "Relabelled"
    await measure("a modifier value relabelled (in place)", {**renamed, "modifiers": relabelled}, 1)
    return rows


def run() -> None:
    """Print the figures."""
    print("== options and modifiers (one product: 600 SKUs, 2 variant options, 50 modifiers)")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "options.db"
        seed(db, {"options": 0})
        with emulator_process(db, ["options"], "--rate-limit", "0") as (url, _pid):
            for name, reads, min_reads, writes, min_writes, seconds in asyncio.run(_scenarios(url)):
                total, minimum = reads + writes, min_reads + min_writes
                print(
                    f"  {name:<42} reads {reads:>3} (min {min_reads})  writes {writes:>3} "
                    f"(min {min_writes:>3})  ratio {total / minimum:5.3f}  {seconds:5.2f}s"
                )
    print("  variant ids kept across the option changes and the rename; target: ratio 1.000")
