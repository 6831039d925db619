"""Shared plumbing: an emulator in its own process (so it never competes with the client for the
interpreter), seeded straight into its SQLite file, and server-side request statistics."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from controller.catalog.files import write_directory
from controller.catalog.model import Catalog
from controller.emulator import StoreDB, StoreProfile, seed_synthetic

TOKEN = "bench-token"


def seed_one(db_path: Path, count: int) -> None:
    """One store `big` of `count` synthetic products at `db_path`; `BENCH_SEEDED_DB` names one an
    earlier run seeded with as many, copied instead (seeding 100k takes minutes)."""
    seeded = os.environ.get("BENCH_SEEDED_DB")
    if seeded:
        shutil.copy(seeded, db_path)
    else:
        seed(db_path, {"big": count})


def seed(db_path: Path, stores: dict[str, int]) -> None:
    """Create stores with N synthetic products each (3 variants, 2 custom fields, 1 image)."""
    db = StoreDB(str(db_path))
    for name, count in stores.items():
        db.put_store(StoreProfile(name, TOKEN))
        if count:
            started = time.perf_counter()
            seed_synthetic(db, name, count)
            print(
                f"  seeded {name}: {count} products in {time.perf_counter() - started:.1f}s",
                flush=True,
            )
    db.close()


@contextmanager
def emulator_process(db_path: Path, stores: list[str], *args: str) -> Iterator[tuple[str, int]]:
    """Serve the stores of `db_path` from a child process; yields (origin URL, pid)."""
    command = [sys.executable, "-m", "controller", "emulator", "--port", "0", "--db", str(db_path)]
    for name in stores:
        command += ["--store", f"{name}:{TOKEN}"]
    with child_server([*command, *args]) as served:
        yield served


@contextmanager
def child_server(command: list[str]) -> Iterator[tuple[str, int]]:
    """A server in a child process that prints `listening on URL` first; yields (URL, pid)."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        match = re.search(r"listening on (http://\S+)", banner)
        if not match:
            raise RuntimeError(f"{command[2]} did not start: {banner!r}")
        yield match.group(1), process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def git_catalog(directory: Path, catalog: Catalog) -> None:
    """A Git repository at `directory` whose one commit holds `catalog` in `catalog/`."""
    write_directory(catalog, directory / "catalog", layout="jsonl")
    for command in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "user.name=bench", "-c", "user.email=bench@example.test", "commit", "-qm", "c"],
    ):
        subprocess.run(["git", "-C", str(directory), *command], check=True)


def stats(url: str, store: str) -> dict[str, Any]:
    """Requests counted at the server."""
    data: dict[str, Any] = httpx.get(f"{url}/__emulator/stores/{store}/stats").json()
    return data


def reset_stats(url: str, store: str) -> None:
    """Forget the server's counts."""
    httpx.delete(f"{url}/__emulator/stores/{store}/stats")


def rss_mib(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of a process (`VmHWM` for its peak)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def raise_prices(catalog: Catalog, every: int = 10) -> Catalog:
    """The catalog with one product in `every` (by SKU) priced one unit higher."""
    products = dict(catalog.products)
    for key in sorted(products)[::every]:
        product = products[key]
        products[key] = dataclasses.replace(
            product, fields={**product.fields, "price": product.fields["price"] + 1}
        )
    return dataclasses.replace(catalog, products=products)
