"""Objects that wait for each other, with `stagingpro run`: a dependency created last is picked up
at once (Waiting, never Stalled), a capture never commits a store that is not ready, and the
shipped GitOps examples run coherently from a fresh state."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client import generate_latest

from controller.api.conditions import kstatus
from controller.catalog.files import load_directory, render
from controller.emulator import Emulator, EmulatorThread
from controller.emulator.seed import seed_catalog
from controller.standalone import FileWorld, Loop, services_for
from tests.conftest import PROD_TOKEN, ROOT, SANDBOX_TOKEN
from tests.support.gitservers import Remote, free_port
from tests.support.manifests import access_to, write_secret
from tests.support.waiting import wait_until

SAMPLE = load_directory(ROOT / "examples" / "catalog")


def condition(status: dict[str, Any], type_: str) -> dict[str, Any]:
    return next((c for c in status.get("conditions", []) if c["type"] == type_), {})


def products_at(remote: Remote, commit: str) -> int:
    """How many products the catalog directory holds at a commit."""
    names = remote.bare.git.ls_tree("-r", "--name-only", commit, "catalog/").split()
    count = sum(1 for n in names if n.startswith("catalog/products/"))
    if "catalog/products.jsonl" in names:
        text = remote.bare.git.show(f"{commit}:catalog/products.jsonl")
        count += sum(1 for line in text.splitlines() if line.strip())
    return count


@pytest.fixture
def stores() -> Iterator[Emulator]:
    with EmulatorThread(Emulator(quota=0)) as emulator:
        emulator.add_store("prodstore", PROD_TOKEN, timezone="America/New_York")
        emulator.add_store("sandboxstore", "sandbox-token")
        seed_catalog(emulator.db, "prodstore", SAMPLE)
        yield emulator


def gitops_copy(tmp_path: Path, emulator: Emulator, remote: Remote) -> tuple[Path, Path]:
    """examples/gitops pointed at the emulator and a local repository, and its Secrets."""
    manifests = tmp_path / "gitops"
    shutil.copytree(ROOT / "examples" / "gitops", manifests)
    for path in manifests.rglob("*.yaml"):
        text = path.read_text()
        text = text.replace("https://git.example.com/shop/catalog.git", remote.url)
        path.write_text(text.replace("http://127.0.0.1:8765", emulator.url))
    secrets = tmp_path / "secrets"
    for name, token, store, role in (
        ("production-store-token", PROD_TOKEN, "prodstore", "production"),
        ("sandbox-store-token", "sandbox-token", "sandboxstore", "sandbox"),
    ):
        write_secret(
            secrets, name, "shop", token, store_hash=store, api_origin=emulator.url, role=role
        )
    write_secret(secrets, "catalog-repo-credentials", "shop", "unused")  # Git credentials
    return manifests, secrets


def run_command(manifests: Path, secrets: Path, state: Path, *extra: str) -> list[str]:
    """`stagingpro run` of the manifests, allowed the emulator's origin (from the environments)
    and the local catalog repository, explicitly."""
    origins = sorted(
        {
            line.split("apiUrl:")[1].strip()
            for path in manifests.rglob("*.yaml")
            for line in path.read_text().splitlines()
            if "apiUrl:" in line
        }
    )
    command = [sys.executable, "-m", "controller", "run", str(manifests), "--allow-local-git"]
    command += [f"--allowed-api-origin={o}" for o in origins]
    return [*command, "--secrets", str(secrets), "--state", str(state), *extra]


def run_once(manifests: Path, secrets: Path, state: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        run_command(manifests, secrets, state, "--once"),
        capture_output=True,
        text=True,
        timeout=180,
    )


def gitops_release(
    tmp_path: Path, stores: Emulator, remote: Remote, spec: dict[str, Any], price: int = 69
) -> tuple[Path, Path]:
    """The gitops example on the emulator, its release branch holding the sample store (the
    flannel shirt at `price`), holiday-release's spec changed by `spec` (None removes a field)."""
    files = {f"catalog/{n}": t for n, t in render(SAMPLE).items()}
    remote.commit(files, "the sample store")
    if price != 69:
        jsonl = files["catalog/products.jsonl"]
        assert '"price":69,' in jsonl
        files["catalog/products.jsonl"] = jsonl.replace('"price":69,', f'"price":{price},', 1)
        remote.commit(files, "the flannel shirt's price")
    remote.work.git.push("-q", "origin", "HEAD:refs/heads/release-2026-12")
    manifests, secrets = gitops_copy(tmp_path, stores, remote)
    path = manifests / "deployments" / "holiday-release.yaml"
    deployment = yaml.safe_load(path.read_text())
    for field, value in spec.items():
        if value is None:
            del deployment["spec"][field]
        else:
            deployment["spec"][field] = value
    path.write_text(yaml.safe_dump(deployment))
    return manifests, secrets


def status_of(state: Path, kind: str, name: str) -> dict[str, Any]:
    saved = yaml.safe_load((state / "status" / kind / "shop" / f"{name}.json").read_text())
    return dict(saved["status"])


def test_run_once_on_the_gitops_examples_captures_the_cloned_sandbox_and_stays_coherent(
    stores: Emulator, tmp_path: Path
) -> None:
    remote = Remote(tmp_path / "remote")
    next_week = datetime.now(UTC) + timedelta(days=7)  # in any time zone, still ahead
    manifests, secrets = gitops_release(
        tmp_path, stores, remote, {"schedule": {"at": next_week.strftime("%Y-%m-%dT09:00:00")}}
    )
    state = tmp_path / "state"

    first = run_once(manifests, secrets, state)

    # The capture waited for the sandbox's clone: no commit ever emptied the branch.
    assert first.returncode == 0, first.stdout + first.stderr
    history = remote.bare.git.rev_list("staged/sandbox").split()
    assert [products_at(remote, c) for c in history] == [30] * len(history)
    capture = status_of(state, "CatalogSnapshot", "sandbox-capture")
    assert capture["counts"]["products"] == 30
    # A release scheduled for next week has done all it can: kstatus Current, exit 0.
    release = status_of(state, "StoreDeployment", "holiday-release")
    assert release["phase"] == "Scheduled"
    assert condition(release, "Reconciling") == {}
    assert kstatus({"metadata": {"generation": 1}, "status": release}) == "Current"

    # A merchandiser changes a price in the sandbox; it is captured again and released now.
    sandbox = httpx.Client(
        base_url=f"{stores.url}/stores/sandboxstore/v3", headers={"X-Auth-Token": "sandbox-token"}
    )
    product = sandbox.get("/catalog/products", params={"sku": "RS-SHT-TECH-M"}).json()["data"][0]
    sandbox.put(f"/catalog/products/{product['id']}", json={"price": 34}).raise_for_status()
    snapshot_path = manifests / "snapshots" / "sandbox-capture.yaml"
    snapshot = yaml.safe_load(snapshot_path.read_text())
    snapshot["metadata"]["annotations"] = {"stagingpro.io/capture": "price-change"}
    snapshot_path.write_text(yaml.safe_dump(snapshot))
    deployment_path = manifests / "deployments" / "holiday-release.yaml"
    deployment = yaml.safe_load(deployment_path.read_text())
    del deployment["spec"]["schedule"]
    deployment["metadata"]["annotations"] = {"stagingpro.io/approved-by": "kenji"}
    deployment_path.write_text(yaml.safe_dump(deployment))

    second = run_once(manifests, secrets, state)

    assert second.returncode == 0, second.stdout + second.stderr
    assert status_of(state, "StoreDeployment", "holiday-release")["phase"] == "Succeeded"
    production = status_of(state, "StoreEnvironment", "production")
    # Production is checked against what was released to it, not against another snapshot.
    assert production["lastDeployed"]["snapshot"] == "sandbox-capture"
    assert production["drift"]["inSync"] is True
    assert condition(production, "Drifted") == {}


def write_manifests(directory: Path, *docs: dict[str, Any]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for doc in docs:
        name = f"{doc['kind']}-{doc['metadata']['name']}.yaml"
        (directory / name).write_text(yaml.safe_dump(doc))


def resource(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "stagingpro.io/v1alpha1",
        "kind": kind,
        "metadata": {"name": name, "namespace": "shop"},
        "spec": spec,
    }


async def test_a_secret_snapshot_and_target_created_last_are_picked_up_at_once(
    emulator: Emulator, tmp_path: Path
) -> None:
    manifests, secrets = tmp_path / "m", tmp_path / "s"
    events: list[tuple[str, str, str]] = []
    world = FileWorld(
        manifests,
        tmp_path / "state",
        secrets,
        on_event=lambda o, t, r, m: events.append((o["kind"], t, r)),
    )
    loop = Loop(world, services_for(world, tmp_path / "cache", access=access_to(emulator.url)))
    write_manifests(
        manifests,
        resource(
            "StoreDeployment",
            "launch",
            {
                "targets": ["production"],
                "catalog": {"snapshotRef": {"name": "release"}},
                "approval": {"required": False},
            },
        ),
    )

    def status(kind: str, name: str) -> dict[str, Any]:
        return world.status.get((kind, "shop", name), {})

    def view(kind: str, name: str) -> dict[str, Any]:
        return world.view((kind, "shop", name))

    await loop.settle()
    ready = condition(status("StoreDeployment", "launch"), "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "SnapshotNotFound")
    assert kstatus(view("StoreDeployment", "launch")) == "InProgress"  # waiting, not stalled

    inline = {
        "products": [{"sku": "LATE-1", "name": "Late", "type": "physical", "price": 5, "weight": 1}]
    }
    write_manifests(
        manifests, resource("CatalogSnapshot", "release", {"source": {"inline": inline}})
    )
    await loop.settle()
    ready = condition(status("StoreDeployment", "launch"), "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "TargetNotFound")
    assert "StoreEnvironment shop/production not found" in ready["message"]

    store = {
        "hash": "production",
        "apiUrl": emulator.url,
        "credentialsSecretRef": {"name": "production-token", "key": "token"},
    }
    write_manifests(
        manifests,
        resource("StoreEnvironment", "production", {"role": "production", "store": store}),
    )
    await loop.settle()
    ready = condition(status("StoreEnvironment", "production"), "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "SecretNotFound")
    assert condition(status("StoreEnvironment", "production"), "Stalled") == {}
    assert kstatus(view("StoreEnvironment", "production")) == "InProgress"
    before = len(events)
    loop.tracker.wake("shop")
    assert await loop.run_once() == 2  # a retry of the same situation emits no new event
    assert events[before:] == []

    write_secret(
        secrets,
        "production-token",
        "shop",
        PROD_TOKEN,
        store_hash="production",
        api_origin=emulator.url,
        role="production",
    )
    await loop.settle()  # no time passes: the new Secret wakes what waits on it

    assert condition(status("StoreEnvironment", "production"), "Ready")["status"] == "True"
    assert status("StoreDeployment", "launch")["phase"] == "Succeeded"
    # One Warning per change of situation and object, not one per retry.
    assert sorted((k, r) for k, t, r in events if t == "Warning") == [
        ("StoreDeployment", "SecretNotFound"),
        ("StoreDeployment", "SnapshotNotFound"),
        ("StoreDeployment", "TargetNotFound"),
        ("StoreEnvironment", "SecretNotFound"),
    ]
    assert emulator.db.counts("production")["products"] == 1
    # Waiting is measured as such, not as an error.
    metrics = generate_latest(loop.services.metrics.registry).decode()
    assert 'kind="StoreDeployment",result="waiting"' in metrics
    assert 'result="error"' not in metrics


async def test_an_unknown_time_zone_in_an_environment_is_rejected_naming_the_field(
    emulator: Emulator, tmp_path: Path
) -> None:
    store = {
        "hash": "production",
        "apiUrl": emulator.url,
        "credentialsSecretRef": {"name": "t", "key": "token"},
    }
    write_manifests(
        tmp_path / "m",
        resource(
            "StoreEnvironment",
            "production",
            {"role": "production", "store": store, "timezone": "Mars/Olympus_Mons"},
        ),
    )
    world = FileWorld(tmp_path / "m", tmp_path / "state", tmp_path / "s")
    access = access_to(emulator.url, local_git=True)
    await Loop(world, services_for(world, tmp_path / "cache", access=access)).settle()
    status = world.status[("StoreEnvironment", "shop", "production")]
    stalled = condition(status, "Stalled")
    assert (stalled["status"], stalled["reason"]) == ("True", "InvalidSpec")
    assert "spec.timezone" in stalled["message"]
    assert "Mars/Olympus_Mons" in stalled["message"]


async def test_an_empty_store_never_replaces_a_captured_catalog(
    emulator: Emulator, tmp_path: Path
) -> None:
    remote = Remote(tmp_path / "remote")
    base = remote.commit({f"catalog/{n}": t for n, t in render(SAMPLE).items()}, "the sample")
    store = {
        "hash": "sandbox",
        "apiUrl": emulator.url,
        "credentialsSecretRef": {"name": "sandbox-token", "key": "token"},
    }
    git = {"url": remote.url, "branch": "main", "path": "catalog"}
    write_manifests(
        tmp_path / "m",
        resource("StoreEnvironment", "sandbox", {"role": "sandbox", "store": store}),
        resource(
            "CatalogSnapshot",
            "staged",
            {"source": {"capture": {"environmentRef": {"name": "sandbox"}, "git": git}}},
        ),
    )
    write_secret(
        tmp_path / "s",
        "sandbox-token",
        "shop",
        SANDBOX_TOKEN,
        store_hash="sandbox",
        api_origin=emulator.url,
        role="sandbox",
    )
    world = FileWorld(tmp_path / "m", tmp_path / "state", tmp_path / "s")
    access = access_to(emulator.url, local_git=True)
    await Loop(world, services_for(world, tmp_path / "cache", access=access)).settle()

    status = world.status[("CatalogSnapshot", "shop", "staged")]
    stalled = condition(status, "Stalled")
    assert (stalled["status"], stalled["reason"]) == ("True", "EmptyCaptureRefused")
    assert "30 products" in stalled["message"]
    assert remote.head() == base


def test_run_serves_the_web_ui_with_the_plan_awaiting_approval(
    stores: Emulator, tmp_path: Path
) -> None:
    remote = Remote(tmp_path / "remote")
    manifests, secrets = gitops_release(
        tmp_path,
        stores,
        remote,
        {"schedule": None, "catalog": {"snapshotRef": {"name": "released-catalog"}}},  # now
        price=71,
    )
    port = free_port()
    command = run_command(manifests, secrets, tmp_path / "state", "--ui-port", str(port))
    ui = f"http://127.0.0.1:{port}"
    review = f"{ui}/namespaces/shop/storedeployments/holiday-release/targets/production"

    def planned() -> str:
        try:
            page = httpx.get(review, timeout=5)
        except httpx.TransportError:
            return ""  # not serving yet
        return page.text if "NW-SHT-FLAN-M" in page.text else ""

    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as process:
        try:
            page = wait_until("the plan on the review page", planned, timeout=90)
            assert "<td>$69.00</td><td>$71.00</td>" in page
            assert "AwaitingApproval" in page
            environments = httpx.get(ui + "/").text
            assert "shop/production" in environments
            assert "shop/sandbox" in environments
        finally:
            process.terminate()
            output = process.communicate(timeout=30)[0].decode()
    assert f"web UI on {ui}/" in output
