"""Loading and validating catalog files: 100k products (3 variants each) from products.jsonl, in a
child process of its own (the files are written by another), so that its peak RSS is the load's."""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.planner import observed_store
from controller.catalog.files import load_directory, write_directory
from controller.catalog.observed import to_catalog


def write(directory: Path, count: int) -> None:
    write_directory(to_catalog(observed_store(count)), directory, layout="jsonl")


def load(directory: Path) -> None:
    size = (directory / "products.jsonl").stat().st_size / 2**20
    started, cpu = time.perf_counter(), time.process_time()
    catalog = load_directory(directory)
    elapsed, cpu_used = time.perf_counter() - started, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"  {len(catalog.products)} products ({size:.0f} MiB of products.jsonl): loaded and validated in "
        f"{elapsed:.2f}s ({cpu_used:.2f} CPU s); peak RSS {peak:.0f} MiB"
    )


def run(count: int = 100_000) -> None:
    """Print the loader's figures."""
    print("== catalog files")
    with tempfile.TemporaryDirectory() as tmp:
        for step in (["write", tmp, str(count)], ["load", tmp]):
            subprocess.run([sys.executable, "-m", "bench.catalog", *step], check=True)


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        load(Path(sys.argv[2]))
