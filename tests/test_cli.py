"""The CLI as a user drives it: subprocesses, exit codes, one-line errors, nothing written on failure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from controller.catalog.files import load_directory
from controller.emulator import Emulator, EmulatorThread
from tests.conftest import PROD_TOKEN, ROOT
from tests.support.manifests import write_secret

EXAMPLE = ROOT / "examples" / "catalog"


@pytest.fixture(scope="module")
def served() -> Iterator[Emulator]:
    emulator = Emulator(quota=0)
    with EmulatorThread(emulator) as running:
        yield running


@pytest.fixture
def store(served: Emulator, request: pytest.FixtureRequest) -> str:
    name = "s" + str(abs(hash(request.node.name)) % 10**8)
    served.add_store(name, PROD_TOKEN)
    served.db.reset_store(name)
    return name


def cli(
    *args: str, token: str | None = PROD_TOKEN, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "STAGINGPRO_STORE_TOKEN"}
    if token is not None:
        env["STAGINGPRO_STORE_TOKEN"] = token
    env["NO_COLOR"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "controller", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=120,
        cwd=cwd,
    )


def writes(served: Emulator, store: str) -> int:
    by_method = served.control(store).stats.to_json()["by_method"]
    return sum(n for method, n in by_method.items() if method != "GET")


def test_plan_exit_codes_follow_terraform(served: Emulator, store: str) -> None:
    url = served.store_url(store)
    changes = cli("plan", str(EXAMPLE), "--store", url)
    assert changes.returncode == 2, changes.stderr
    assert "products" in changes.stdout
    assert "+ products CC-BTL-GLASS" in changes.stdout
    assert "... and 29 more (--verbose shows all)" in changes.stdout  # 28 + the script
    assert cli("apply", str(EXAMPLE), "--store", url, "--yes").returncode == 0
    in_sync = cli("diff", str(EXAMPLE), "--store", url)
    assert in_sync.returncode == 0
    assert "In sync" in in_sync.stdout


def test_plan_as_json_for_machines(served: Emulator, store: str) -> None:
    result = cli("plan", str(EXAMPLE), "--store", served.store_url(store), "--output", "json")
    assert result.returncode == 2
    data = json.loads(result.stdout)
    assert data["counts"]["products"]["create"] == 30
    assert (
        data["estimatedRequests"]
        == len([s for s in data["steps"] if s["kind"] == "products"]) + 4 + 3 + 1  # + the script
    )
    assert data["formatVersion"] == 1
    assert writes(served, store) == 0


def test_apply_asks_unless_yes_and_refuses_without_a_terminal(served: Emulator, store: str) -> None:
    result = cli("apply", str(EXAMPLE), "--store", served.store_url(store), stdin="y\n")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "error: refusing to apply without confirmation: pass --yes when not at a terminal"
    )
    assert writes(served, store) == 0
    applied = cli("apply", str(EXAMPLE), "--store", served.store_url(store), "--yes")
    assert applied.returncode == 0, applied.stderr
    assert "products: 30 created" in applied.stdout
    counts = load_directory(EXAMPLE).counts()
    items = counts["brands"] + counts["categories"] + counts["products"] + counts["scripts"]
    assert f"applying: 100% ({items}/{items} changes)" in applied.stderr


def test_capture_round_trip_and_commit(served: Emulator, store: str, tmp_path: Path) -> None:
    url = served.store_url(store)
    cli("apply", str(EXAMPLE), "--store", url, "--yes")
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "config", "user.email", "t@example.test"], check=True)
    subprocess.run(["git", "-C", str(repo), "config", "user.name", "T"], check=True)
    captured = cli(
        "capture", "--store", url, "--output", str(repo / "catalog"), "--commit", "--name", "prod"
    )
    assert captured.returncode == 0, captured.stderr
    assert "committed" in captured.stdout
    assert (
        "Capture prod"
        in subprocess.run(
            ["git", "-C", str(repo), "log", "-1", "--format=%s"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    again = cli("capture", "--store", url, "--output", str(repo / "catalog"), "--commit")
    assert "nothing changed: no commit" in again.stdout
    assert cli("plan", str(repo / "catalog"), "--store", url).returncode == 0


@pytest.mark.parametrize(
    ("args", "token", "message"),
    [
        (
            ["--store", "http://127.0.0.1:1/stores/nowhere", "--timeout", "2"],
            PROD_TOKEN,
            "error: store nowhere: GET /v3/catalog/",
        ),
        (["--store", "{url}"], "wrong-token-xyz", "rejected the credentials (401)"),
        (
            ["--store", "{url}"],
            None,
            "error: no store token: set $STAGINGPRO_STORE_TOKEN or pass --token-file",
        ),
        (
            ["--store", "not-a-url"],
            PROD_TOKEN,
            "error: --store 'not-a-url': expected an API URL ending in /stores/HASH",
        ),
    ],
    ids=["unknown store", "wrong token", "no token", "malformed store URL"],
)
def test_bad_stores_are_one_clear_line(
    served: Emulator, store: str, args: list[str], token: str | None, message: str
) -> None:
    args = [a.replace("{url}", served.store_url(store)) for a in args]
    result = cli("plan", str(EXAMPLE), *args, token=token)
    assert result.returncode == 1
    *progress, error = result.stderr.strip().splitlines()
    assert all(line.startswith("waiting: store nowhere: GET") for line in progress), progress
    assert message in error
    assert "wrong-token-xyz" not in result.stderr
    assert "Traceback" not in result.stderr


def test_a_malformed_catalog_lists_its_problems_and_writes_nothing(
    served: Emulator, store: str, tmp_path: Path
) -> None:
    (tmp_path / "products").mkdir()
    (tmp_path / "products" / "a.yaml").write_text(
        "sku: A\nname: A\ntype: physical\nprice: cheap\nweight: 1\n"
    )
    result = cli("apply", str(tmp_path), "--store", served.store_url(store), "--yes")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: 1 problem in the catalog:",
        f"  {tmp_path}/products/a.yaml:4: price: price must be a number",
    ]
    assert writes(served, store) == 0


def test_a_malformed_manifest_is_named(tmp_path: Path, served: Emulator, store: str) -> None:
    (tmp_path / "env.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "stagingpro.io/v1alpha1",
                "kind": "StoreEnvironment",
                "metadata": {"name": "x"},
                "spec": {"role": "staging"},
            }
        )
    )
    result = cli("plan", str(EXAMPLE), "--environment", str(tmp_path / "env.yaml"))
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {tmp_path / 'env.yaml'}: spec.role: Input should be")


def test_run_once_converges_on_manifests_and_reports_status(
    served: Emulator, store: str, tmp_path: Path
) -> None:
    manifests, secrets = tmp_path / "m", tmp_path / "s"
    manifests.mkdir()
    secrets.mkdir()
    write_secret(
        secrets,
        "tok",
        "shop",
        PROD_TOKEN,
        store_hash=store,
        api_origin=served.url,
        role="production",
    )
    base = {"apiVersion": "stagingpro.io/v1alpha1"}
    (manifests / "all.yaml").write_text(
        yaml.safe_dump_all(
            [
                {
                    **base,
                    "kind": "CatalogSnapshot",
                    "metadata": {"name": "c", "namespace": "shop"},
                    "spec": {
                        "source": {
                            "inline": {
                                "products": [
                                    {
                                        "sku": "RUN-1",
                                        "name": "Run",
                                        "type": "physical",
                                        "price": 5,
                                        "weight": 1,
                                    }
                                ]
                            }
                        }
                    },
                },
                {
                    **base,
                    "kind": "StoreEnvironment",
                    "metadata": {"name": "e", "namespace": "shop"},
                    "spec": {
                        "role": "production",
                        "store": {
                            "hash": store,
                            "apiUrl": served.url,
                            "credentialsSecretRef": {"name": "tok", "key": "token"},
                        },
                        "catalog": {"snapshotRef": {"name": "c"}},
                        "syncPolicy": {"mode": "sync", "interval": "1m"},
                    },
                },
            ]
        )
    )
    result = cli(
        "run",
        str(manifests),
        "--secrets",
        str(secrets),
        "--state",
        str(tmp_path / "state"),
        "--once",
        "--allowed-api-origin",
        served.url,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Synced: applied inline: 1 products created" in result.stdout
    status = json.loads(
        (tmp_path / "state" / "status" / "StoreEnvironment" / "shop" / "e.json").read_text()
    )
    assert status["status"]["drift"]["inSync"] is True
    found = httpx.get(
        served.store_url(store) + "/v3/catalog/products",
        params={"sku": "RUN-1"},
        headers={"X-Auth-Token": PROD_TOKEN},
    ).json()["data"]
    assert [p["name"] for p in found] == ["Run"]
    missing = cli(
        "run",
        str(manifests),
        "--state",
        str(tmp_path / "state2"),
        "--once",
        "--allowed-api-origin",
        served.url,
    )
    assert missing.returncode == 1
    assert "SecretNotFound: Secret shop/tok not found" in missing.stdout


def test_run_reads_its_manifests_from_a_git_repository(
    served: Emulator, store: str, tmp_path: Path
) -> None:
    from tests.support.gitservers import Remote

    secrets = tmp_path / "s"
    secrets.mkdir()
    write_secret(
        secrets,
        "tok",
        "default",
        PROD_TOKEN,
        store_hash=store,
        api_origin=served.url,
        role="production",
    )
    remote = Remote(tmp_path / "remote")
    remote.commit(
        {
            "gitops/env.yaml": yaml.safe_dump(
                {
                    "apiVersion": "stagingpro.io/v1alpha1",
                    "kind": "StoreEnvironment",
                    "metadata": {"name": "e"},
                    "spec": {
                        "role": "production",
                        "store": {
                            "hash": store,
                            "apiUrl": served.url,
                            "credentialsSecretRef": {"name": "tok", "key": "token"},
                        },
                    },
                }
            )
        }
    )
    result = cli(
        "run",
        f"git+{remote.url}@main#gitops",
        "--secrets",
        str(secrets),
        "--state",
        str(tmp_path / "state"),
        "--once",
        "--allowed-api-origin",
        served.url,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"manifests at {remote.head()[:12]}" in result.stdout
    assert "StoreEnvironment e: True" in result.stdout
