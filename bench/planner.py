"""Planner CPU and peak memory for 100k products (3 variants, 2 custom fields, 1 image each), in a
child process so that its peak RSS is its own."""

from __future__ import annotations

import resource
import subprocess
import sys
import time

from bench.common import raise_prices
from controller.catalog.model import DEFAULT_CHANNEL_NAME
from controller.catalog.observed import (
    ObservedBrand,
    ObservedCatalog,
    ObservedCategory,
    ObservedImage,
    ObservedProduct,
    ObservedVariant,
    to_catalog,
)
from controller.planner import Options, drift, plan


def observed_store(count: int) -> ObservedCatalog:
    """A store as observed, built in memory (100k products cannot be listed in a bench's time)."""
    state = ObservedCatalog()
    for i in range(60):
        state.categories[1000 + i] = ObservedCategory(
            1000 + i, 0 if i < 5 else 1000 + i % 5, f"C{i}", {"is_visible": True}
        )
    for i in range(20):
        state.brands[5000 + i] = ObservedBrand(5000 + i, f"Brand {i}", {})
    for i in range(count):
        sku = f"SP-{i:06d}"
        state.products[sku.casefold()] = ObservedProduct(
            id=10_000 + i,
            sku=sku,
            fields={
                "name": f"Product {i}",
                "type": "physical",
                "price": 10 + i % 90,
                "weight": 1.0,
                "description": f"<p>Product {i}</p>",
                "is_visible": True,
                "sale_price": 0,
                "sort_order": 0,
            },
            category_ids=frozenset({1005 + i % 55}),
            brand_id=5000 + i % 20,
            base_variant_id=None,
            variants=[
                ObservedVariant(
                    1_000_000 + i * 3 + v, f"{sku}-{v}", (("Size", str(v)),), {"price": 11.0}
                )
                for v in range(3)
            ],
            custom_fields=[
                (2_000_000 + i * 2, "material", "cotton"),
                (2_000_001 + i * 2, "origin", "PT"),
            ],
            images=[ObservedImage(3_000_000 + i, f"https://cdn.test/{sku}.jpg", 0, True, "")],
        )
    return state


def child(count: int) -> None:
    started = time.perf_counter()
    observed = observed_store(count)
    current = to_catalog(observed)
    desired = raise_prices(current)
    built = time.perf_counter() - started
    cpu = time.process_time()
    result = plan(desired, observed)
    plan_cpu = time.process_time() - cpu
    cpu = time.process_time()
    report = drift(desired, observed)
    drift_cpu = time.process_time() - cpu
    cpu = time.process_time()
    scoped = plan(desired, observed, Options(channel=DEFAULT_CHANNEL_NAME))
    scoped_cpu = time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"  {count} products: built in {built:.1f}s; plan {plan_cpu:.2f} CPU s "
        f"({len(result.steps)} steps, {result.estimate_requests()} requests); drift {drift_cpu:.2f} CPU s "
        f"({report.total()} items); peak RSS {peak:.0f} MiB"
    )
    print(
        f"  the same plan scoped to one channel: {scoped_cpu:.2f} CPU s ({len(scoped.steps)} "
        f"steps; {scoped.out_of_scope} store-wide changes left out)"
    )


def run(count: int = 100_000) -> None:
    """Print the planner's figures (targets: <= 3 CPU s, <= 1 GiB)."""
    print("== planner (pure; desired and observed in memory)")
    subprocess.run([sys.executable, "-m", "bench.planner", str(count)], check=True)
    print("  targets: plan <= 3 CPU s, peak <= 1024 MiB")


if __name__ == "__main__":
    child(int(sys.argv[1]))
