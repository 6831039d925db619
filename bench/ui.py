"""The operator's web UI with a plan of 10k changed products (each with a changed description,
shown as a diff): the review built once when the target is planned, then pages of it (and of a
list of 10k environments) served over loopback HTTP, as a browser asks for them."""

from __future__ import annotations

import asyncio
import dataclasses
import statistics
import time
import tracemalloc
from datetime import UTC, datetime

import httpx

from bench.planner import observed_store
from controller.catalog.observed import to_catalog
from controller.planner import plan
from controller.review import Currency, build_review
from controller.review.shelf import Shelved
from controller.ui import WebUI
from controller.ui.view import Sources

COUNT = 10_000
ROUNDS = 20


def _sources() -> tuple[Sources, float]:
    observed = observed_store(COUNT)
    catalog = to_catalog(observed)
    products = {
        key: dataclasses.replace(
            p,
            fields={
                **p.fields,
                "price": p.fields["price"] + 1,
                "description": f"<p>Product {i}, now in a new cut with a longer description "
                "that a person reads as a diff of its changed region.</p>",
            },
        )
        for i, (key, p) in enumerate(sorted(catalog.products.items()))
    }
    changes = plan(dataclasses.replace(catalog, products=products), observed)
    started = time.perf_counter()
    review = build_review(
        changes, observed, store="bench", source="bench", currency=Currency("USD", "$")
    )
    built = time.perf_counter() - started
    tracemalloc.start()
    held = build_review(
        changes, observed, store="bench", source="bench", currency=Currency("USD", "$")
    )
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del held
    print(
        f"  a review held in memory: {size / 2**20:.1f} MiB ({size / COUNT / 1024:.1f} KiB a record)"
    )
    sources = Sources()
    shelved = Shelved(review, "sha256:x", datetime.now(UTC))
    sources.reviews.put(("shop", "release", "production"), shelved)
    sources.objects.seen(
        {
            "kind": "StoreDeployment",
            "metadata": {"namespace": "shop", "name": "release"},
            "status": {"targets": [{"name": "production", "phase": "AwaitingApproval"}]},
        }
    )
    for i in range(COUNT):
        sources.objects.seen(
            {
                "kind": "StoreEnvironment",
                "metadata": {"namespace": "shop", "name": f"env-{i:05d}"},
                "spec": {"role": "sandbox", "store": {"hash": f"s{i}"}},
                "status": {"drift": {"inSync": False, "counts": {"products": {"changed": i}}}},
            }
        )
    return sources, built


async def _measure(sources: Sources) -> list[tuple[str, float, int]]:
    ui = WebUI(sources)
    port = await ui.start(0, "127.0.0.1")
    base = f"http://127.0.0.1:{port}"
    target = "/namespaces/shop/storedeployments/release/targets/production"
    pages = COUNT // 100
    found = []
    try:
        async with httpx.AsyncClient(base_url=base) as client:
            for what, url in (
                ("plan, first page", f"{target}?page=1"),
                ("plan, last page", f"{target}?page={pages}"),
                ("10k environments, first page", "/?page=1"),
                ("10k environments, last page", f"/?page={pages}"),
            ):
                times, size = [], 0
                for _ in range(ROUNDS):
                    started = time.perf_counter()
                    response = await client.get(url)
                    times.append(time.perf_counter() - started)
                    response.raise_for_status()
                    size = len(response.content)
                found.append((what, statistics.median(times), size))
    finally:
        await ui.stop()
    return found


def run() -> None:
    """Print the web UI's figures (target: a page in <= 100 ms)."""
    print(f"== web UI (a plan of {COUNT} changed products, 100 records a page)")
    sources, built = _sources()
    print(f"  review of {COUNT} changes built once per plan (in a thread): {built * 1000:.0f} ms")
    for what, seconds, size in asyncio.run(_measure(sources)):
        print(f"  {what}: {seconds * 1000:.1f} ms median of {ROUNDS} ({size // 1024} KiB)")
    print("  target: a page <= 100 ms")


if __name__ == "__main__":
    run()
