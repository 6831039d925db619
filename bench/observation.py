"""Drift checks of a 100k-product store (3 variants each, the full field sets the emulator answers
as the platform does), counted through a counting proxy in front of the emulator (and checked
against the server's own count): a full read, an incremental no-op check, the share of
a Pro quota spent observing at `interval: 1m` with a 6h full resync, CPU per incremental check,
image writes of an unchanged product set; and memory: peak RSS of a no-op `stagingpro plan`, and
what one process holds between checks per environment observed. Each measuring
client runs in its own process, so that its RSS is its own."""

from __future__ import annotations

import asyncio
import gc
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import proxy
from bench.common import TOKEN, emulator_process, reset_stats, rss_mib, seed_one, stats
from bench.engine import synthetic_catalog
from controller.catalog.files import write_directory
from controller.engine import sync
from controller.engine.observation import OVERLAP, Observation
from controller.planner import Options
from controller.stores import BigCommerceStore, Token

PRO_QUOTA_PER_HOUR = 450 * 120  # 450 requests per 30 s window
INTERVAL_PER_HOUR, RESYNC_HOURS = 60, 6
ENVIRONMENTS = 5


def _reset(via: str, server: str) -> None:
    proxy.reset(via)
    reset_stats(server, "big")


def _reads(via: str, server: str) -> str:
    """The requests counted by the proxy, by endpoint (the server must have counted as many)."""
    counted = proxy.counts(via)
    served = sum(stats(server, "big")["by_method"].values())
    assert served == sum(counted.values()), (served, counted)
    return proxy.summary(counted, "big")


def _total(via: str) -> int:
    return sum(proxy.counts(via).values())


async def _observe(url: str, server: str, count: int) -> None:
    desired = synthetic_catalog(count)
    gc.collect()
    base_rss = rss_mib(os.getpid())
    async with BigCommerceStore(url, "big", Token(TOKEN)) as store:

        async def refresh(observation: Observation) -> None:
            """A drift check's observing and planning."""
            await observation.assess(
                store, desired, Options(), now=datetime.now(UTC), resync=RESYNC_HOURS * 3600
            )

        _reset(url, server)
        first = Observation()
        started, cpu = time.perf_counter(), time.process_time()
        await refresh(first)
        full_s, full_cpu, full = (
            time.perf_counter() - started,
            time.process_time() - cpu,
            _total(url),
        )
        print(f"  full check: {_reads(url, server)}, {full_s:.1f} s, {full_cpu:.1f} CPU s")

        _reset(url, server)
        cpu = time.process_time()
        await refresh(first)
        incremental_cpu, incremental = time.process_time() - cpu, _total(url)
        print(
            f"  incremental no-op check: {_reads(url, server)}, "
            f"{incremental_cpu:.3f} CPU s (target <= 0.5 s)"
        )
        _reset(url, server)
        first.heard = True  # deliveries arrive: the check reads what they named, and counts
        await first.assess(
            store,
            desired,
            Options(),
            now=datetime.now(UTC),
            resync=RESYNC_HOURS * 3600,
            webhooks=True,
        )
        print(f"  no-op check with webhooks healthy: {_reads(url, server)} (target <= 3)")
        # the environment reads the store profile with each full read
        per_hour = INTERVAL_PER_HOUR * incremental + (full + 1) / RESYNC_HOURS
        print(
            f"  interval 1m, full resync every {RESYNC_HOURS}h: {per_hour:.0f} requests/h = "
            f"{100 * per_hour / PRO_QUOTA_PER_HOUR:.2f}% of a Pro quota (target <= 1.5%)"
        )

        gc.collect()
        one = rss_mib(os.getpid())
        second = Observation()
        await refresh(second)
        gc.collect()
        two = rss_mib(os.getpid())
        per_environment = two - one
        print(
            f"  held between checks: the catalog and the interpreter {base_rss:.0f} MiB, one "
            f"environment's observation {per_environment:.0f} MiB more (RSS {one:.0f} -> {two:.0f} "
            f"MiB with a second); {ENVIRONMENTS} environments: about "
            f"{one + (ENVIRONMENTS - 1) * per_environment:.0f} MiB (target <= 1 GiB)"
        )
        del second

        _reset(url, server)
        _, result = await sync(store, desired)
        image_writes = sum(n for what, n in proxy.counts(url).items() if not what.startswith("GET"))
        print(
            f"  sync of the unchanged product set ({count} images, CDN URLs in the store): "
            f"{image_writes} writes, {result.total} steps (target 0)"
        )


def _plan_peak(url: str, count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        write_directory(synthetic_catalog(count), Path(tmp) / "catalog", layout="jsonl")
        token = Path(tmp) / "token"
        token.write_text(TOKEN)
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "controller",
                "plan",
                str(Path(tmp) / "catalog"),
                "--store",
                f"{url}/stores/big",
                "--token-file",
                str(token),
            ],
            stdout=subprocess.DEVNULL,
        )
        started = time.perf_counter()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        print(
            f"  no-op `stagingpro plan` of {count} products: exit {process.returncode}, "
            f"{time.perf_counter() - started:.1f} s, peak RSS {usage.ru_maxrss / 1024:.0f} MiB "
            "(target <= 400 MiB)"
        )


def run(count: int = 100_000) -> None:
    """Print the observation and memory figures."""
    print(f"== drift checks and memory, {count} products (3 variants each)")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "store.db"
        seed_one(db, count)
        seeded = time.monotonic()
        with emulator_process(db, ["big"]) as (server, _), proxy.counting_proxy(server) as url:
            _plan_peak(url, count)
            print(
                f"  the plan's requests through the proxy: {proxy.summary(proxy.counts(url), 'big')}"
            )
            # a check re-reads what changed within the overlap before the last one: let the
            # seeding (all of it "just modified") fall out of it, as it would between checks
            time.sleep(max(0.0, OVERLAP.total_seconds() + 1 - (time.monotonic() - seeded)))
            subprocess.run(
                [sys.executable, "-m", "bench.observation", url, server, str(count)], check=True
            )


if __name__ == "__main__":
    asyncio.run(_observe(sys.argv[1], sys.argv[2], int(sys.argv[3])))
    print(
        f"  measuring process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
