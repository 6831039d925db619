"""The operator's memory between checks: `stagingpro run` (the operator's reconcilers and their
services, with the chart's defaults: one environment reading a whole store or planning at once,
256 MiB of catalogs kept) observing N stores of `count` products each (3 variants, the emulator's
full field sets; one seeded store copied, each served by its own emulator process) against one
catalog in a Git repository, every minute. Its RSS is sampled from the first check on: the peak,
and RSS once every environment has had its first (full) check, while only the incremental checks
of `interval: 1m` run.

`python -m bench operator`, or `python -m bench.operator COUNT ENVIRONMENTS` (100000 5);
`BENCH_SEEDED_DB=store.db` reuses a store seeded with as many products by an earlier run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import yaml

from bench.common import TOKEN, emulator_process, git_catalog, rss_mib, seed_one
from bench.engine import synthetic_catalog
from controller.access import API_ORIGIN, ROLE, STORE_HASH

NAMESPACE = "shop"
IDLE_SECONDS = int(
    os.environ.get("BENCH_IDLE_SECONDS", "90")
)  # sampled between checks once all environments were read whole
FIRST_CHECKS_TIMEOUT = 3 * 3600


def _manifests(directory: Path, secrets: Path, repository: Path, origins: list[str]) -> None:
    directory.mkdir()
    secrets.mkdir()
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": "stagingpro.io/v1alpha1",
            "kind": "CatalogSnapshot",
            "metadata": {"name": "catalog", "namespace": NAMESPACE},
            "spec": {"source": {"git": {"url": str(repository), "ref": "main", "path": "catalog"}}},
        }
    ]
    for index, origin in enumerate(origins):
        name = f"store-{index}"
        docs.append(
            {
                "apiVersion": "stagingpro.io/v1alpha1",
                "kind": "StoreEnvironment",
                "metadata": {"name": name, "namespace": NAMESPACE},
                "spec": {
                    "role": "sandbox",
                    "store": {
                        "hash": "big",
                        "apiUrl": origin,
                        "credentialsSecretRef": {"name": f"{name}-token", "key": "token"},
                    },
                    "catalog": {"snapshotRef": {"name": "catalog"}},
                    "syncPolicy": {"mode": "observe", "interval": "1m"},
                },
            }
        )
        secret = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": f"{name}-token",
                "namespace": NAMESPACE,
                "annotations": {STORE_HASH: "big", API_ORIGIN: origin, ROLE: "sandbox"},
            },
            "stringData": {"token": TOKEN},
        }
        (secrets / f"{name}.yaml").write_text(yaml.safe_dump(secret))
    (directory / "stagingpro.yaml").write_text(yaml.safe_dump_all(docs))


def _observed(state: Path, environments: int) -> dict[str, dict[str, Any]]:
    """The environments whose first check is done: name -> its status."""
    done = {}
    for path in (state / "status" / "StoreEnvironment" / NAMESPACE).glob("*.json"):
        try:
            status = json.loads(path.read_text()).get("status", {})
        except ValueError:  # being written
            continue
        if status.get("observation", {}).get("lastFullReadAt") and "drift" in status:
            done[path.stem] = status
    return done


def run(count: int = 100_000, environments: int = 5) -> None:
    """Print the operator's RSS between checks of `environments` stores of `count` products."""
    print(f"== operator memory, {environments} environments of {count} products (3 variants)")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        seed_one(root / "store-0.db", count)
        for index in range(1, environments):
            shutil.copy(root / "store-0.db", root / f"store-{index}.db")
        git_catalog(root / "repo", synthetic_catalog(count))
        with ExitStack() as stack:
            origins = [
                stack.enter_context(emulator_process(root / f"store-{i}.db", ["big"]))[0]
                for i in range(environments)
            ]
            _manifests(root / "manifests", root / "secrets", root / "repo", origins)
            command = [
                sys.executable,
                "-m",
                "controller",
                "run",
                str(root / "manifests"),
                "--secrets",
                str(root / "secrets"),
                "--state",
                str(root / "state"),
                "--allow-local-git",
            ]
            for origin in origins:
                command += ["--allowed-api-origin", origin]
            loop = subprocess.Popen(command, stdout=subprocess.DEVNULL)
            stack.callback(loop.wait, 60)
            stack.callback(loop.terminate)
            started = time.monotonic()
            done: dict[str, dict[str, Any]] = {}
            while len(done) < environments:
                if loop.poll() is not None:
                    raise RuntimeError(f"stagingpro run exited {loop.returncode}")
                if time.monotonic() - started > FIRST_CHECKS_TIMEOUT:
                    raise RuntimeError(f"only {len(done)} environments observed in time")
                time.sleep(2)
                now = _observed(root / "state", environments)
                for name in sorted(set(now) - set(done)):
                    print(
                        f"  {name}: first check done after {time.monotonic() - started:.0f} s "
                        f"(in sync: {now[name]['drift'].get('inSync')}); RSS "
                        f"{rss_mib(loop.pid):.0f} MiB",
                        flush=True,
                    )
                done = now
            samples = []
            for _ in range(IDLE_SECONDS):
                samples.append(rss_mib(loop.pid))
                time.sleep(1)
            modes = sorted(
                {s["observation"]["mode"] for s in _observed(root / "state", environments).values()}
            )
            print(
                f"  between checks ({IDLE_SECONDS} s, checks by mode {', '.join(modes)}): RSS "
                f"{min(samples):.0f}-{max(samples):.0f} MiB; peak {rss_mib(loop.pid, 'VmHWM'):.0f} "
                f"MiB (target <= 1024 MiB, the chart's limit)"
            )


if __name__ == "__main__":
    run(*(int(a) for a in sys.argv[1:3]))
