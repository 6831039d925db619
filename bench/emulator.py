"""The emulator must never be the bottleneck of a measurement: requests per second for a 250-item
products page with variants, for a batch update of 10, and memory while listing 100k products."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import TOKEN, emulator_process, rss_mib, seed, stats

CONCURRENCY = 8


async def _hammer(url: str, count: int, make: object) -> tuple[float, list[float]]:
    latencies: list[float] = []
    async with httpx.AsyncClient(
        base_url=url,
        headers={"X-Auth-Token": TOKEN},
        timeout=60,
        limits=httpx.Limits(max_connections=CONCURRENCY),
    ) as client:
        queue = list(range(count))

        async def worker() -> None:
            while queue:
                index = queue.pop()
                started = time.perf_counter()
                response = await make(client, index)  # type: ignore[operator]
                response.raise_for_status()
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    return count / elapsed, latencies


async def _probe_while_listing(url: str, store: str) -> list[float]:
    """Latencies of a cheap request while heavy pages are being served: whether one slow request
    holds up the others (the event loop must stay free while SQLite works)."""
    latencies: list[float] = []
    async with httpx.AsyncClient(headers={"X-Auth-Token": TOKEN}, timeout=60) as client:
        done = asyncio.Event()

        async def lister(offset: int) -> None:
            for index in range(10):
                response = await client.get(
                    f"{store}/catalog/products",
                    params={"limit": 250, "page": (index + offset) % 8 + 1, "include": "variants"},
                )
                response.raise_for_status()

        async def prober() -> None:
            while not done.is_set():
                started = time.perf_counter()
                (await client.get(f"{url}/stores/bench/v2/time")).raise_for_status()
                latencies.append(time.perf_counter() - started)
                await asyncio.sleep(0.005)

        probing = asyncio.create_task(prober())
        await asyncio.gather(*(lister(i) for i in range(4)))
        done.set()
        await probing
    return latencies


def run(large: int = 100_000) -> None:
    """Print the emulator's figures."""
    print("== emulator (its own process; client with 8 connections)")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        seed(db, {"bench": 2_000})
        with emulator_process(db, ["bench"], "--rate-limit", "0") as (url, _pid):
            store = f"{url}/stores/bench/v3"

            def page(client: httpx.AsyncClient, index: int) -> object:
                return client.get(
                    f"{store}/catalog/products",
                    params={
                        "limit": 250,
                        "page": index % 8 + 1,
                        "include": "variants,custom_fields,images",
                    },
                )

            rps, lat = asyncio.run(_hammer(url, 160, page))
            print(
                f"  GET products page of 250 with variants, custom fields, images: {rps:7.1f} req/s "
                f"(p50 {statistics.median(lat) * 1000:.0f} ms)"
            )
            probe = asyncio.run(_probe_while_listing(url, store))
            print(
                f"  GET /v2/time while 4 clients list those pages:              p50 "
                f"{statistics.median(probe) * 1000:.0f} ms, p95 "
                f"{statistics.quantiles(probe, n=20)[-1] * 1000:.0f} ms"
            )
            ids = [
                p["id"]
                for p in httpx.get(
                    f"{store}/catalog/products",
                    params={"limit": 250},
                    headers={"X-Auth-Token": TOKEN},
                ).json()["data"]
            ]

            def batch(client: httpx.AsyncClient, index: int) -> object:
                chunk = ids[(index * 10) % 240 : (index * 10) % 240 + 10]
                return client.put(
                    f"{store}/catalog/products",
                    json=[{"id": i, "price": index % 100 + 1} for i in chunk],
                )

            rps, lat = asyncio.run(_hammer(url, 400, batch))
            print(
                f"  PUT batch update of 10 products:                              {rps:7.1f} req/s "
                f"(p50 {statistics.median(lat) * 1000:.0f} ms)"
            )
            print(f"  requests counted by the server: {stats(url, 'bench')['total']}")

        if large:
            big = Path(tmp) / "large.db"
            seed(big, {"large": large})
            with emulator_process(big, ["large"], "--rate-limit", "0") as (url, pid):
                store = f"{url}/stores/large/v3"
                before = rss_mib(pid)
                started = time.perf_counter()
                pages, seen, samples = 1, 0, []
                with httpx.Client(headers={"X-Auth-Token": TOKEN}, timeout=120) as client:
                    page_number = 1
                    while page_number <= pages:
                        body = client.get(
                            f"{store}/catalog/products",
                            params={
                                "limit": 250,
                                "page": page_number,
                                "include": "variants,custom_fields,images",
                            },
                        ).json()
                        pages = body["meta"]["pagination"]["total_pages"]
                        seen += len(body["data"])
                        if page_number % 40 == 0:
                            samples.append(rss_mib(pid))
                        page_number += 1
                elapsed = time.perf_counter() - started
                print(
                    f"  listed {seen} products in {pages} pages in {elapsed:.1f}s ({pages / elapsed:.1f} pages/s); "
                    f"server RSS {before:.0f} MiB before, {min(samples):.0f}-{max(samples):.0f} MiB during, "
                    f"peak {rss_mib(pid, 'VmHWM'):.0f} MiB"
                )
