"""`make demo`: the whole workflow on the embedded store server, in about a minute.

An emulator serves a production store (seeded from examples/catalog) and an empty sandbox; the
standalone loop (the operator's reconcilers, without Kubernetes) runs on the manifests of
examples/demo; a merchandiser's changes in the sandbox are captured into a Git commit; a scheduled
StoreDeployment promotes that revision to production at a local time, after approval; a manual change in
production is then reported as drift.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from string import Template
from typing import Any
from zoneinfo import ZoneInfo

import git
import httpx
import yaml

from controller.access import API_ORIGIN, ROLE, STORE_HASH, AccessPolicy
from controller.api.deployment import DeploymentPhase
from controller.cli.run_cmd import Summary
from controller.gitsource import GitCache
from controller.metrics import Metrics
from controller.standalone import FileWorld, Loop, services_for

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
TOKENS = {"production": "demo-production-token", "sandbox": "demo-sandbox-token"}
ZONE = "America/New_York"
NS = "shop"


def say(text: str) -> None:
    """A step of the story."""
    print(f"\n== {text}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def emulator(work: Path) -> Iterator[str]:
    """`stagingpro emulator` in a child process; yields its URL, stops it however the demo ends."""
    command = [
        sys.executable,
        "-m",
        "controller",
        "emulator",
        "--port",
        "0",
        "--db",
        str(work / "stores.db"),
    ]
    for name, token in TOKENS.items():
        command += ["--store", f"{name}:{token}", "--timezone", f"{name}={ZONE}"]
    command += ["--seed", f"production={EXAMPLES / 'catalog'}"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        match = re.search(r"listening on (http://\S+)", banner)
        if match is None:
            raise RuntimeError(f"the emulator did not start: {banner!r}")
        for _ in TOKENS:
            print("   " + process.stdout.readline().strip())
        yield match.group(1)
    finally:
        process.terminate()
        process.wait(timeout=20)


class Demo:
    """The story, step by step; every wait is on a condition, with a deadline."""

    def __init__(self, work: Path, fast: bool):
        self.work, self.fast = work, fast
        self.gitops, self.secrets, self.state = work / "gitops", work / "secrets", work / "state"
        self.interval = "2s" if fast else "5s"
        self.lead = 6 if fast else 15
        self.world: FileWorld | None = None

    def status(self, kind: str, name: str) -> dict[str, Any]:
        assert self.world is not None
        return self.world.status.get((kind, NS, name), {})

    async def until(self, what: str, check: Callable[[], Any], within: float = 60.0) -> Any:
        deadline = time.monotonic() + within
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {within:.0f}s waiting for {what}")
            await asyncio.sleep(0.2)

    def ready(self, kind: str, name: str) -> bool:
        return any(
            c["type"] == "Ready" and c["status"] == "True"
            for c in self.status(kind, name).get("conditions", [])
        )

    def render(self, template: str, target: str, **values: str) -> Path:
        text = Template((EXAMPLES / "demo" / template).read_text()).substitute(**values)
        path = self.gitops / target
        path.write_text(text)
        return path

    def annotate(self, path: Path, name: str, key: str, value: str) -> None:
        """Edit a manifest as a person (or a pull request) would."""
        docs = list(yaml.safe_load_all(path.read_text()))
        for doc in docs:
            if doc["metadata"]["name"] == name:
                doc["metadata"].setdefault("annotations", {})[key] = value
        path.write_text(yaml.safe_dump_all(docs, sort_keys=False))

    async def run(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)
        for directory in (self.gitops, self.secrets, self.state):
            directory.mkdir(parents=True)
        say(
            "Starting the store emulator: production seeded from examples/catalog, an empty sandbox"
        )
        with emulator(self.work) as url:
            await self.story(url)

    async def story(self, url: str) -> None:
        repo_path = self.work / "catalog.git"
        git.Repo.init(repo_path, bare=True, initial_branch="main")
        GitCache(self.work / "seed-cache", policy=AccessPolicy.personal()).commit(
            str(repo_path),
            "main",
            ".",
            lambda d: (d / "README.md").write_text("# Shop catalog\n"),
            "Start the repository",
        )
        (self.secrets / "tokens.yaml").write_text(
            yaml.safe_dump_all(
                [
                    {
                        "apiVersion": "v1",
                        "kind": "Secret",
                        "metadata": {
                            "name": f"{name}-store-token",
                            "namespace": NS,
                            # What the token is for: it serves no other store, origin or role.
                            "annotations": {
                                STORE_HASH: name,
                                API_ORIGIN: url,
                                ROLE: name,
                            },
                        },
                        "stringData": {"token": token},
                    }
                    for name, token in TOKENS.items()
                ]
            )
        )
        self.render(
            "environments.yaml.tmpl", "environments.yaml", API_URL=url, INTERVAL=self.interval
        )

        say("Running the standalone loop on examples/demo (the operator's reconcilers, no cluster)")
        summary = Summary()
        self.world = FileWorld(self.gitops, self.state, self.secrets, on_event=summary.event)
        metrics = Metrics()
        port = free_port()
        metrics.serve(port, host="127.0.0.1")
        loop = Loop(
            self.world,
            services_for(
                self.world,
                self.work / "cache",
                metrics,
                # The emulator's origin, and the demo's local catalog repository, explicitly.
                AccessPolicy.configured([url], env={}, allow_local_git=True),
            ),
            tick=0.3,
            on_change=summary.status,
        )
        stop = asyncio.Event()
        task = asyncio.create_task(loop.run(stop))
        try:
            await self.steps(url, repo_path)
            self.summary(port)
        finally:
            stop.set()
            await task

    async def steps(self, url: str, repo_path: Path) -> None:
        await self.until(
            "production to be Ready", lambda: self.ready("StoreEnvironment", "production")
        )
        await self.until(
            "the sandbox clone",
            lambda: (
                self.status("StoreEnvironment", "sandbox").get("clone", {}).get("phase")
                == "Succeeded"
            ),
            within=90,
        )
        async with httpx.AsyncClient() as http:
            ids = {}
            for name in TOKENS:
                answer = await http.get(
                    f"{url}/stores/{name}/v3/catalog/products",
                    params={"sku": "NW-SHT-FLAN-M"},
                    headers={"X-Auth-Token": TOKENS[name]},
                )
                ids[name] = answer.json()["data"][0]["id"]
        print(
            f"   sandbox cloned: SKU NW-SHT-FLAN-M is product {ids['production']} in production and "
            f"{ids['sandbox']} in the sandbox (IDs differ, natural keys match)"
        )

        say("Capturing the sandbox into Git (the baseline commit)")
        snapshot = self.render("snapshot.yaml.tmpl", "snapshot.yaml", CATALOG_REPO=str(repo_path))
        first = await self.until(
            "the first capture",
            lambda: self.status("CatalogSnapshot", "sandbox-capture").get("revision"),
            within=60,
        )

        say("A merchandiser stages changes in the sandbox (through the store API)")
        headers = {"X-Auth-Token": TOKENS["sandbox"]}
        async with httpx.AsyncClient(base_url=f"{url}/stores/sandbox/v3", headers=headers) as api:
            tee = (await api.get("/catalog/products", params={"sku": "RS-SHT-TECH-M"})).json()[
                "data"
            ][0]
            await api.put(
                f"/catalog/products/{tee['id']}", json={"price": 34.0, "sale_price": 29.0}
            )
            await api.post(
                "/catalog/products",
                json={
                    "name": "Winter Beanie",
                    "sku": "NW-HAT-BEANIE",
                    "type": "physical",
                    "price": 29,
                    "weight": 0.1,
                    "description": "<p>Merino beanie.</p>",
                    "is_visible": True,
                },
            )
        print(
            f"   price of RS-SHT-TECH-M: {tee['price']} -> 34.0 (sale 29.0); new product NW-HAT-BEANIE"
        )

        say("Capturing again: the staged changes become a reviewable commit")
        self.annotate(snapshot, "sandbox-capture", "stagingpro.io/capture", "after-merchandising")
        second = await self.until(
            "the second capture",
            lambda: (
                (r := self.status("CatalogSnapshot", "sandbox-capture").get("revision")) != first
                and r
            ),
            within=60,
        )
        repo = git.Repo(repo_path)
        print("   " + repo.git.log("-1", "--format=%h %s", second))
        print("   " + repo.git.diff("--stat", first, second).splitlines()[0].strip())
        for line in field_diff(repo, first, second, "catalog/products.jsonl"):
            print(f"   {line}")

        say("Scheduling the release to production at a local time in the store's own time zone")
        at = (datetime.now(ZoneInfo(ZONE)) + timedelta(seconds=self.lead)).replace(
            microsecond=0, tzinfo=None
        )
        deployment = self.render("deployment.yaml.tmpl", "deployment.yaml", AT=at.isoformat())

        def target() -> dict[str, Any]:
            targets = self.status("StoreDeployment", "winter-release").get("targets", [])
            return targets[0] if targets else {}

        scheduled = await self.until(
            "the schedule", lambda: target().get("phase") == DeploymentPhase.SCHEDULED and target()
        )
        print(f"   scheduled for {scheduled['scheduledLocal']} = {scheduled['scheduledFor']} UTC")
        waiting = await self.until(
            "the scheduled time and the plan",
            lambda: target().get("phase") == DeploymentPhase.AWAITING_APPROVAL and target(),
            within=self.lead + 60,
        )
        plan = ", ".join(
            f"{kind}: +{c.get('create', 0)} ~{c.get('update', 0)} -{c.get('delete', 0)}"
            for kind, c in waiting.get("plan", {}).items()
        )
        print(
            f"   plan ({waiting.get('estimatedRequests')} requests): {plan}; waiting for approval"
        )

        say("Approving the release (annotation stagingpro.io/approved-by)")
        self.annotate(
            deployment, "winter-release", "stagingpro.io/approved-by", "maria@shop.example"
        )
        done = await self.until(
            "the release",
            lambda: (
                DeploymentPhase(target().get("phase", DeploymentPhase.PENDING)).final and target()
            ),
            within=90,
        )
        print(
            f"   {done['phase']}: {done.get('outcomes')}; rollback snapshot: {done.get('rollbackSnapshot')}"
        )

        say("Someone edits production by hand: StagingPro reports drift")
        async with httpx.AsyncClient(
            base_url=f"{url}/stores/production/v3", headers={"X-Auth-Token": TOKENS["production"]}
        ) as api:
            boot = (await api.get("/catalog/products", params={"sku": "SP-BOOT-ALP"})).json()[
                "data"
            ][0]
            await api.put(f"/catalog/products/{boot['id']}", json={"price": 199.0})
        drifted = await self.until(
            "the drift report",
            lambda: (
                (d := self.status("StoreEnvironment", "production").get("drift"))
                and not d.get("inSync")
                and d
            ),
            within=60,
        )
        for sample in drifted.get("samples", [])[:3]:
            print(
                f"   drift: {sample['change']} {sample['kind']} {sample['key']} {', '.join(sample.get('fields', []))}"
            )

    def summary(self, port: int) -> None:
        assert self.world is not None
        say("Summary")
        for key in self.world.refresh():
            status = self.world.status.get(key, {})
            ready: dict[str, Any] = next(
                (c for c in status.get("conditions", []) if c["type"] == "Ready"), {}
            )
            extra = status.get("phase") or (
                "drifted" if not status.get("drift", {}).get("inSync", True) else ""
            )
            print(f"   {key[0]:<17} {key[2]:<32} Ready={ready.get('status', '?'):<7} {extra}")
        print(f"   metrics were served at http://127.0.0.1:{port}/metrics")
        print(f"   status, events and the catalog repository are in {self.work}")


def field_diff(repo: git.Repo, old: str, new: str, path: str) -> list[str]:
    """The products a commit changes, field by field (one product per line makes this exact)."""

    def products(revision: str) -> dict[str, dict[str, Any]]:
        text = repo.git.show(f"{revision}:{path}")
        return {item["sku"]: item for item in map(json.loads, text.splitlines())}

    before, after = products(old), products(new)
    lines = []
    for sku in sorted(set(before) | set(after)):
        if sku not in before:
            lines.append(f"+ {sku}: {after[sku].get('name')} (new)")
        elif sku not in after:
            lines.append(f"- {sku} (removed)")
        elif before[sku] != after[sku]:
            fields = sorted(
                k
                for k in set(before[sku]) | set(after[sku])
                if before[sku].get(k) != after[sku].get(k)
            )
            lines.append(
                f"~ {sku}: "
                + ", ".join(f"{k} {before[sku].get(k)} -> {after[sku].get(k)}" for k in fields)
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m controller.demo", description=__doc__)
    parser.add_argument(
        "--workdir", type=Path, default=Path(".demo"), help="where the demo keeps its files"
    )
    parser.add_argument(
        "--fast", action="store_true", help="a shorter timeline (the test suite uses it)"
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        asyncio.run(Demo(args.workdir.resolve(), args.fast).run())
    except (TimeoutError, RuntimeError) as error:
        print(f"\ndemo failed: {error}", file=sys.stderr)
        return 1
    print(f"\nDemo finished in {time.monotonic() - started:.0f}s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
