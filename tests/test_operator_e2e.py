"""The operator end to end: kopf under KopfRunner, a Kubernetes API served by kmock (corrected), the
CRDs from crds/ loaded through the API, the store emulator over HTTP, real Git repositories; a
release told to a local webhook receiver, approved with the CLI and reviewed in Chromium."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml

from controller.catalog.files import load_directory, render
from controller.catalog.kinds import SHAREABLE
from controller.catalog.model import Catalog
from controller.catalog.observed import to_catalog
from controller.emulator import Emulator, EmulatorThread, FaultConfig
from controller.emulator.seed import seed_catalog, seed_v2
from controller.engine import sync
from controller.stores import BigCommerceStore, Token
from tests import test_channel_scope as scope
from tests.conftest import ROOT
from tests.support.browser import chromium, watched_page
from tests.support.catcher import Catcher
from tests.support.gitservers import GitDaemon, Remote, free_port
from tests.support.kube import KubeThread, kubeconfig
from tests.support.manifests import binding
from tests.support.receivers import http_receiver_thread
from tests.support.waiting import wait_until

GROUP, VERSION = "stagingpro.io", "v1alpha1"
PLURALS = {
    "StoreEnvironment": "storeenvironments",
    "CatalogSnapshot": "catalogsnapshots",
    "StoreDeployment": "storedeployments",
}
ZONE = "Asia/Tokyo"
FLANNEL = (
    "Brushed organic cotton flannel, now garment-washed for softness and cut a little longer "
    "in the back."
)


class Records(logging.Handler):
    """Every log record of the operator, to check what it says and what it does not."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """API server with the CRDs, an emulator with stores, and the operator watching e2e-* namespaces."""
    tmp = tmp_path_factory.mktemp("cluster")
    metrics_port, ui_port = free_port(), free_port()
    ui = f"http://127.0.0.1:{ui_port}"
    with (
        KubeThread() as kube,
        EmulatorThread(Emulator(quota=0, theme_job_seconds=0.05)) as emulator,
    ):
        daemon = GitDaemon(tmp)  # the operator reads Git only over the network
        path = kubeconfig(tmp / "kubeconfig", kube.url)
        os.environ["KUBECONFIG"] = str(path)
        # for `stagingpro operator` run as a process below: the emulator's origin, explicitly
        os.environ["STAGINGPRO_ALLOWED_API_ORIGINS"] = emulator.url
        from kubernetes import client, config  # imported once KUBECONFIG points at the test API

        # kopf logs in with the default kubeconfig, read from $KUBECONFIG when kubernetes was
        # first imported, perhaps by an earlier test module: point it here.
        config.kube_config.KUBE_CONFIG_DEFAULT_LOCATION = str(path)

        config.load_kube_config(str(path))
        api = client.ApiClient()
        for crd in sorted((ROOT / "crds").glob("*.yaml")):
            client.ApiextensionsV1Api(api).create_custom_resource_definition(
                yaml.safe_load(crd.read_text())
            )
        from controller.access import AccessPolicy
        from controller.notify import NotifySettings
        from controller.operator.config import OperatorConfig
        from controller.operator.handlers import run_operator

        settings = OperatorConfig(
            namespaces=("e2e-*",),
            standalone=True,
            tick=0.3,
            metrics_port=metrics_port,
            cache_dir=tmp / "cache",
            approval_poll=0.5,
            snapshot_poll=1,
            access=AccessPolicy.configured([emulator.url], env={}),
            ui_port=ui_port,
            ui_host="127.0.0.1",
            notify=NotifySettings(review_url=ui),  # notifications link to the operator's web UI
        )
        stop, ready, failures = threading.Event(), threading.Event(), []
        records = Records()
        logging.getLogger().addHandler(records)
        for name in ("kopf", "stagingpro", "httpx"):
            logging.getLogger(name).setLevel(logging.INFO)

        def operate() -> None:
            try:
                run_operator(settings, stop_flag=stop, ready_flag=ready)
            except BaseException as error:
                failures.append(error)

        thread = threading.Thread(target=operate, name="operator", daemon=True)
        thread.start()
        assert ready.wait(60), failures
        try:
            yield {
                "kube": kube,
                "emulator": emulator,
                "api": api,
                "client": client,
                "tmp": tmp,
                "git": daemon,
                "metrics": f"http://127.0.0.1:{metrics_port}/metrics",
                "ui": ui,
                "log": records.records,
            }
        finally:
            stop.set()
            daemon.stop()
            thread.join(timeout=60)
            logging.getLogger().removeHandler(records)
        assert failures == []
        assert not thread.is_alive()


class Namespace:
    """One scenario's namespace, stores and helpers."""

    def __init__(self, cluster: dict[str, Any], name: str):
        self.cluster, self.name = cluster, name
        client = cluster["client"]
        self.custom = client.CustomObjectsApi(cluster["api"])
        self.core = client.CoreV1Api(cluster["api"])
        cluster["kube"].api.add_namespace(name)
        self.emulator: Emulator = cluster["emulator"]

    def store(self, role: str, token: str = "good-token", **profile: str) -> str:
        store_hash = f"{self.name.replace('-', '')}{role}"
        self.emulator.add_store(store_hash, token, timezone=ZONE, **profile)
        self.secret(
            f"{role}-token", token, store_hash, "production" if role == "production" else "sandbox"
        )
        return store_hash

    def secret(
        self, name: str, token: str, store_hash: str, role: Literal["production", "sandbox"]
    ) -> None:
        """A token Secret bound to its store by annotations, as the store's administrator makes it."""
        client = self.cluster["client"]
        self.core.create_namespaced_secret(
            self.name,
            client.V1Secret(
                metadata=client.V1ObjectMeta(
                    name=name, annotations=binding(store_hash, self.emulator.url, role)
                ),
                string_data={"token": token},
            ),
        )

    def git_url(self, remote: Remote) -> str:
        """A repository's URL as the operator may read it (git://, not a local path)."""
        return remote.served(self.cluster["git"])

    def apply(
        self, kind: str, name: str, spec: dict[str, Any], annotations: dict[str, str] | None = None
    ) -> None:
        body = {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": kind,
            "metadata": {"name": name, "namespace": self.name, "annotations": annotations or {}},
            "spec": spec,
        }
        self.custom.create_namespaced_custom_object(GROUP, VERSION, self.name, PLURALS[kind], body)

    def patch(self, kind: str, name: str, body: dict[str, Any]) -> None:
        self.custom.patch_namespaced_custom_object(
            GROUP, VERSION, self.name, PLURALS[kind], name, body
        )

    def get(self, kind: str, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self.custom.get_namespaced_custom_object(
            GROUP, VERSION, self.name, PLURALS[kind], name
        )
        return found

    def condition(self, kind: str, name: str, type_: str) -> dict[str, Any]:
        return next(
            (
                c
                for c in self.get(kind, name).get("status", {}).get("conditions", [])
                if c["type"] == type_
            ),
            {},
        )

    def environment(self, name: str, store_hash: str, role: str, **spec: Any) -> None:
        self.apply(
            "StoreEnvironment",
            name,
            {
                "role": role,
                "store": {
                    "hash": store_hash,
                    "apiUrl": self.emulator.url,
                    "credentialsSecretRef": {"name": f"{role}-token", "key": "token"},
                },
                "syncPolicy": {"mode": "observe", "interval": "1s"},
                **spec,
            },
        )

    def events(self, reason: str) -> list[str]:
        items = self.core.list_namespaced_event(self.name).items
        return [e.message for e in items if e.reason == reason]


wait = wait_until


def catalog_repo(tmp: Path, name: str) -> Remote:
    remote = Remote(tmp / name)
    remote.commit(
        {
            f"catalog/{n}": t
            for n, t in render(load_directory(ROOT / "examples" / "catalog")).items()
        },
        "the sample store",
    )
    return remote


def test_environments_become_ready_and_the_sandbox_is_cloned(cluster: dict[str, Any]) -> None:
    ns = Namespace(cluster, "e2e-clone")
    prod, sand = ns.store("production", name="Tokyo Flagship"), ns.store("sandbox")
    remote = catalog_repo(cluster["tmp"], "clone")
    ns.apply(
        "CatalogSnapshot",
        "released",
        {"source": {"git": {"url": ns.git_url(remote), "ref": "main", "path": "catalog"}}},
    )
    ns.environment(
        "production",
        prod,
        "production",
        catalog={"snapshotRef": {"name": "released"}},
        syncPolicy={"mode": "sync", "interval": "1s"},
    )
    ns.environment("sandbox", sand, "sandbox", cloneFrom={"name": "production"})
    wait(
        "production in sync",
        lambda: (
            ns.get("StoreEnvironment", "production")
            .get("status", {})
            .get("drift", {})
            .get("inSync")
        ),
    )
    status = ns.get("StoreEnvironment", "production")["status"]
    assert status["store"]["name"] == "Tokyo Flagship"
    assert status["store"]["timezone"] == ZONE
    assert status["inventory"]["products"] == 30
    assert ns.condition("StoreEnvironment", "production", "Ready")["status"] == "True"
    # The sandbox was seeded before production had its catalog: a refresh re-seeds it.
    ns.patch(
        "StoreEnvironment", "sandbox", {"metadata": {"annotations": {"stagingpro.io/refresh": "1"}}}
    )
    wait(
        "the sandbox clone",
        lambda: (
            ns.get("StoreEnvironment", "sandbox")
            .get("status", {})
            .get("inventory", {})
            .get("products")
            == 30
        ),
    )
    assert ns.get("StoreEnvironment", "sandbox")["status"]["clone"]["phase"] == "Succeeded"
    ids = {}
    for store in (prod, sand):
        answer = httpx.get(
            f"{ns.emulator.url}/stores/{store}/v3/catalog/products",
            params={"sku": "NW-BOOT-DAY"},
            headers={"X-Auth-Token": "good-token"},
        ).json()["data"]
        ids[store] = answer[0]["id"]
    assert ids[prod] != ids[sand]
    assert "Cloned" in [e.reason for e in ns.core.list_namespaced_event(ns.name).items]


def test_a_commit_is_applied_in_sync_mode_and_drift_self_heals(cluster: dict[str, Any]) -> None:
    ns = Namespace(cluster, "e2e-sync")
    prod = ns.store("production")
    remote = catalog_repo(cluster["tmp"], "sync")
    ns.apply(
        "CatalogSnapshot",
        "released",
        {"source": {"git": {"url": ns.git_url(remote), "ref": "main", "path": "catalog"}}},
    )
    ns.environment(
        "production",
        prod,
        "production",
        catalog={"snapshotRef": {"name": "released"}},
        syncPolicy={"mode": "sync", "interval": "1s"},
    )
    first = wait(
        "the first sync",
        lambda: (
            ns.get("StoreEnvironment", "production").get("status", {}).get("lastSyncedRevision")
        ),
    )
    # A price changes in Git.
    jsonl = render(load_directory(ROOT / "examples" / "catalog"))["products.jsonl"]
    second = remote.commit(
        {"catalog/products.jsonl": jsonl.replace('"price":69,', '"price":71,', 1)}, "price"
    )
    wait(
        "the new revision to be synced",
        lambda: (
            ns.get("StoreEnvironment", "production").get("status", {}).get("lastSyncedRevision")
            == second
        ),
        timeout=40,
    )
    assert first != second
    api = httpx.Client(
        base_url=f"{ns.emulator.url}/stores/{prod}/v3", headers={"X-Auth-Token": "good-token"}
    )
    flannel = api.get("/catalog/products", params={"sku": "NW-SHT-FLAN-M"}).json()["data"][0]
    assert flannel["price"] == 71
    # Drift made directly in the store is reported ...
    api.put(f"/catalog/products/{flannel['id']}", json={"price": 5})
    wait(
        "the drift",
        lambda: (
            ns.condition("StoreEnvironment", "production", "Drifted").get("status") == "True"
            or ns.get("StoreEnvironment", "production")["status"]["drift"]["inSync"] is False
        ),
    )
    metrics = httpx.get(cluster["metrics"]).text
    assert (
        'stagingpro_environment_ready{environment="production",namespace="e2e-sync"} 1.0' in metrics
    )
    # ... and healed once selfHeal is on.
    ns.patch("StoreEnvironment", "production", {"spec": {"syncPolicy": {"selfHeal": True}}})
    wait(
        "self-heal",
        lambda: (
            api.get("/catalog/products", params={"sku": "NW-SHT-FLAN-M"}).json()["data"][0]["price"]
            == 71
        ),
        timeout=30,
    )
    wait(
        "in sync again",
        lambda: ns.get("StoreEnvironment", "production")["status"]["drift"]["inSync"],
    )


def test_a_scheduled_deployment_waits_for_its_local_time_and_approval_then_rolls_back(
    cluster: dict[str, Any],
) -> None:
    ns = Namespace(cluster, "e2e-deploy")
    prod = ns.store("production")
    remote = catalog_repo(cluster["tmp"], "deploy")
    ns.apply(
        "CatalogSnapshot",
        "release",
        {"source": {"git": {"url": ns.git_url(remote), "ref": "main", "path": "catalog"}}},
    )
    ns.environment("production", prod, "production")
    wait(
        "production Ready",
        lambda: ns.condition("StoreEnvironment", "production", "Ready").get("status") == "True",
    )
    at = (datetime.now(ZoneInfo(ZONE)) + timedelta(seconds=4)).replace(microsecond=0, tzinfo=None)
    ns.apply(
        "StoreDeployment",
        "launch",
        {
            "targets": ["production"],
            "catalog": {"snapshotRef": {"name": "release"}},
            "schedule": {"at": at.isoformat(), "timezone": "store"},
        },
    )

    def target() -> dict[str, Any]:
        targets = ns.get("StoreDeployment", "launch").get("status", {}).get("targets", [])
        return targets[0] if targets else {}

    scheduled = wait("scheduled", lambda: target().get("phase") == "Scheduled" and target())
    assert scheduled["scheduledLocal"] == f"{at.isoformat()}+09:00 ({ZONE})"
    assert scheduled["scheduledFor"].startswith((at - timedelta(hours=9)).isoformat())
    waiting = wait(
        "approval", lambda: target().get("phase") == "AwaitingApproval" and target(), timeout=30
    )
    assert waiting["plan"]["products"]["create"] == 30
    assert datetime.now(ZoneInfo(ZONE)).replace(tzinfo=None) >= at
    assert (
        httpx.get(
            f"{ns.emulator.url}/stores/{prod}/v3/catalog/products",
            headers={"X-Auth-Token": "good-token"},
        ).json()["data"]
        == []
    )
    ns.patch(
        "StoreDeployment",
        "launch",
        {"metadata": {"annotations": {"stagingpro.io/approved-by": "kenji"}}},
    )
    done = wait(
        "the release", lambda: target().get("phase") == "Succeeded" and target(), timeout=40
    )
    assert ns.get("StoreDeployment", "launch")["status"]["approvedBy"] == "kenji"
    assert done["outcomes"]["products"]["created"] == 30
    rollback = done["rollbackSnapshot"]
    assert ns.get("CatalogSnapshot", rollback)["spec"]["source"]["inline"] is not None
    assert ns.condition("StoreDeployment", "launch", "Ready")["status"] == "True"


def test_failures_get_their_precise_condition_while_others_carry_on(
    cluster: dict[str, Any],
) -> None:
    ns = Namespace(cluster, "e2e-errors")
    good = ns.store("production")
    wrong = ns.store("wrong", token="the-real-token")
    ns.secret("bad-token", "not-the-token", wrong, "sandbox")
    ns.environment("good", good, "production")
    ns.apply(
        "StoreEnvironment",
        "rejected",
        {
            "role": "sandbox",
            "store": {
                "hash": wrong,
                "apiUrl": ns.emulator.url,
                "credentialsSecretRef": {"name": "bad-token", "key": "token"},
            },
            "syncPolicy": {"interval": "1s"},
        },
    )
    ns.apply(
        "StoreEnvironment",
        "nosecret",
        {
            "role": "sandbox",
            "store": {
                "hash": good,
                "apiUrl": ns.emulator.url,
                "credentialsSecretRef": {"name": "missing", "key": "token"},
            },
            "syncPolicy": {"interval": "1s"},
        },
    )
    flaky = ns.store("flaky")
    ns.emulator.control(flaky).faults.configure(FaultConfig(error_rate=1.0, error_statuses=[503]))
    ns.apply(
        "StoreEnvironment",
        "flaky",
        {
            "role": "sandbox",
            "store": {
                "hash": flaky,
                "apiUrl": ns.emulator.url,
                "credentialsSecretRef": {"name": "flaky-token", "key": "token"},
            },
            "syncPolicy": {"interval": "1s"},
        },
    )
    remote = Remote(cluster["tmp"] / "bad")
    remote.commit({"catalog/products.jsonl": '{"sku": "A", "price": "free"}\n'})
    ns.apply(
        "CatalogSnapshot",
        "broken",
        {"source": {"git": {"url": ns.git_url(remote), "ref": "main", "path": "catalog"}}},
    )
    expectations = [
        ("StoreEnvironment", "rejected", "CredentialsRejected", "rejected the credentials (401)"),
        ("StoreEnvironment", "nosecret", "SecretNotFound", "Secret e2e-errors/missing not found"),
        ("StoreEnvironment", "flaky", "StoreUnavailable", "answered 503"),
        (
            "CatalogSnapshot",
            "broken",
            "CatalogInvalid",
            "catalog/products.jsonl:1: price: price must be a num",
        ),
    ]
    for kind, name, reason, text in expectations:
        ready = wait(
            f"{name} to fail",
            lambda k=kind, n=name: (
                ns.condition(k, n, "Ready").get("status") == "False" and ns.condition(k, n, "Ready")
            ),
            timeout=60,
        )
        assert ready["reason"] == reason, ready
        assert text in ready["message"]
    assert ns.condition("StoreEnvironment", "rejected", "Stalled")["status"] == "True"
    assert ns.condition("CatalogSnapshot", "broken", "Ready")["reason"] == "CatalogInvalid"
    assert ns.get("CatalogSnapshot", "broken")["status"]["errors"][0]["line"] == 1
    wait(
        "the good one",
        lambda: ns.condition("StoreEnvironment", "good", "Ready").get("status") == "True",
    )
    assert "not-the-token" not in str(ns.get("StoreEnvironment", "rejected"))


def test_deleting_an_environment_stops_management_and_keeps_the_store(
    cluster: dict[str, Any],
) -> None:
    ns = Namespace(cluster, "e2e-delete")
    prod = ns.store("production")
    ns.apply(
        "CatalogSnapshot",
        "small",
        {
            "source": {
                "inline": {
                    "products": [
                        {
                            "sku": "KEEP-1",
                            "name": "Kept",
                            "type": "physical",
                            "price": 3,
                            "weight": 1,
                        }
                    ]
                }
            }
        },
    )
    ns.environment(
        "production",
        prod,
        "production",
        catalog={"snapshotRef": {"name": "small"}},
        syncPolicy={"mode": "sync", "interval": "1s"},
    )
    wait(
        "the sync",
        lambda: (
            ns.get("StoreEnvironment", "production")
            .get("status", {})
            .get("drift", {})
            .get("inSync")
        ),
    )
    assert ns.get("StoreEnvironment", "production")["metadata"]["finalizers"] == [
        "stagingpro.io/finalizer"
    ]
    series = 'stagingpro_environment_ready{environment="production",namespace="e2e-delete"}'
    assert series in httpx.get(cluster["metrics"]).text
    page = f"{cluster['ui']}/namespaces/e2e-delete/storeenvironments/production"
    assert httpx.get(page).status_code == 200  # the web UI shows it ...
    # Deleted while its worker is halfway through a check of a slow store: the worker ends its
    # pass and the finalizer goes promptly, whether or not that pass wrote status (kopf looks at an
    # exiting worker every second, not every minute).
    control = ns.emulator.control(prod)
    control.faults.configure(FaultConfig(latency_ms=1500))
    answered = control.stats.to_json()["total"]
    wait("a check under way", lambda: control.stats.to_json()["total"] > answered)
    ns.custom.delete_namespaced_custom_object(
        GROUP, VERSION, ns.name, "storeenvironments", "production"
    )

    def gone() -> bool:
        try:
            ns.get("StoreEnvironment", "production")
        except cluster["client"].exceptions.ApiException as error:
            return bool(error.status == 404)
        return False

    wait("the finalizer to let go", gone, timeout=20)
    control.faults.configure(FaultConfig())
    assert series not in httpx.get(cluster["metrics"]).text
    assert httpx.get(page).status_code == 404  # ... until it is deleted
    products = httpx.get(
        f"{ns.emulator.url}/stores/{prod}/v3/catalog/products",
        headers={"X-Auth-Token": "good-token"},
    ).json()["data"]
    assert [p["sku"] for p in products] == ["KEEP-1"]


def test_kubectl_applies_the_examples_as_a_user_would(
    cluster: dict[str, Any], tmp_path: Path
) -> None:
    import shutil
    import subprocess

    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed on this machine")
    cluster["kube"].api.add_namespace("shop")
    result = subprocess.run(
        [
            kubectl,
            "--kubeconfig",
            os.environ["KUBECONFIG"],
            "apply",
            "--validate=false",
            "-k",
            str(ROOT / "examples" / "gitops"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "storeenvironment.stagingpro.io/production created" in result.stdout
    listed = subprocess.run(
        [
            kubectl,
            "--kubeconfig",
            os.environ["KUBECONFIG"],
            "get",
            "senv",
            "-n",
            "shop",
            "-o",
            "name",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.stdout.split() == [
        "storeenvironment.stagingpro.io/production",
        "storeenvironment.stagingpro.io/sandbox",
    ]


def test_an_operator_killed_mid_deployment_converges_without_duplicates(
    cluster: dict[str, Any], tmp_path: Path
) -> None:
    import signal
    import subprocess
    import sys

    ns = Namespace(
        cluster, "restart-x"
    )  # not watched by the module's operator: this one is a real process
    prod = ns.store("production")
    remote = catalog_repo(cluster["tmp"], "restart")
    faults = ns.emulator.control(prod).faults
    # the store stops answering after 5 products are created: the operator is killed there
    faults.configure(FaultConfig(hold_after={"POST /v3/catalog/products": 5}))
    ns.apply(
        "CatalogSnapshot",
        "release",
        {"source": {"git": {"url": ns.git_url(remote), "ref": "main", "path": "catalog"}}},
    )
    ns.environment("production", prod, "production")
    ns.apply(
        "StoreDeployment",
        "launch",
        {
            "targets": ["production"],
            "catalog": {"snapshotRef": {"name": "release"}},
            "approval": {"required": False},
        },
    )
    command = [
        sys.executable,
        "-m",
        "controller",
        "operator",
        "--namespace",
        "restart-x",
        "--standalone",
        "--metrics-port",
        "0",
        "--health-port",
        "0",
        "--tick",
        "0.3",
        "--cache-dir",
        str(tmp_path / "cache"),
    ]

    def created() -> int:
        return int(ns.emulator.db.counts(prod)["products"])

    log = (tmp_path / "operator.log").open("w")
    operator = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait("the deployment to be held mid-write", lambda: faults.held, timeout=60)
    except AssertionError:
        raise AssertionError((tmp_path / "operator.log").read_text()[-3000:]) from None
    finally:
        operator.send_signal(signal.SIGKILL)  # a crash, not a clean shutdown
        operator.wait(timeout=30)
    assert created() == 5
    faults.configure(FaultConfig())  # the held requests are dropped; the store answers again
    operator = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait(
            "the deployment to finish",
            lambda: (
                ns.get("StoreDeployment", "launch").get("status", {}).get("phase") == "Succeeded"
            ),
            timeout=90,
        )
    finally:
        operator.terminate()
        assert operator.wait(timeout=30) == 0
    counts = ns.emulator.db.counts(prod)
    catalog = load_directory(ROOT / "examples" / "catalog")
    # The store counts a base variant for each product without option variants.
    expected_variants = catalog.counts()["variants"] + sum(
        1 for p in catalog.products.values() if not p.variants
    )
    assert (counts["products"], counts["variants"]) == (30, expected_variants)


def test_what_an_object_waits_for_is_picked_up_promptly_when_created_last(
    cluster: dict[str, Any],
) -> None:
    ns = Namespace(cluster, "e2e-late")
    ns.emulator.add_store("e2elateproduction", "late-token", timezone=ZONE)
    ns.apply(
        "StoreDeployment",
        "launch",
        {
            "targets": ["production"],
            "catalog": {"snapshotRef": {"name": "release"}},
            "approval": {"required": False},
        },
    )

    def ready(kind: str, name: str) -> tuple[str, str]:
        found = ns.condition(kind, name, "Ready")
        return found.get("status", ""), found.get("reason", "")

    wait(
        "SnapshotNotFound",
        lambda: ready("StoreDeployment", "launch") == ("False", "SnapshotNotFound"),
    )
    assert ns.condition("StoreDeployment", "launch", "Reconciling")["status"] == "True"
    inline = {
        "products": [{"sku": "LATE-1", "name": "Late", "type": "physical", "price": 5, "weight": 1}]
    }
    ns.apply("CatalogSnapshot", "release", {"source": {"inline": inline}})
    wait(
        "TargetNotFound", lambda: ready("StoreDeployment", "launch") == ("False", "TargetNotFound")
    )
    ns.environment("production", "e2elateproduction", "production")
    wait(
        "SecretNotFound",
        lambda: ready("StoreEnvironment", "production") == ("False", "SecretNotFound"),
    )
    assert ns.condition("StoreEnvironment", "production", "Stalled") == {}
    ns.secret("production-token", "late-token", "e2elateproduction", "production")
    wait(
        "the Secret to be picked up",
        lambda: ready("StoreEnvironment", "production")[0] == "True",
        timeout=10,
    )
    wait(
        "the deployment",
        lambda: ns.get("StoreDeployment", "launch").get("status", {}).get("phase") == "Succeeded",
        timeout=20,
    )
    assert int(ns.emulator.db.counts("e2elateproduction")["products"]) == 1
    assert len(ns.events("SecretNotFound")) <= 2  # one per object, not one per retry
    assert len(ns.events("TargetNotFound")) == 1


def test_a_capture_never_commits_a_sandbox_that_is_still_being_cloned(
    cluster: dict[str, Any],
) -> None:
    ns = Namespace(cluster, "e2e-capture")
    prod, sand = ns.store("production"), ns.store("sandbox")
    remote = catalog_repo(cluster["tmp"], "capture")
    ns.apply(
        "CatalogSnapshot",
        "released",
        {"source": {"git": {"url": ns.git_url(remote), "ref": "main", "path": "catalog"}}},
    )
    # The capture comes first, as Argo CD may apply it: it must wait for a cloned sandbox.
    ns.apply(
        "CatalogSnapshot",
        "staged",
        {
            "source": {
                "capture": {
                    "environmentRef": {"name": "sandbox"},
                    "git": {"url": ns.git_url(remote), "branch": "staged", "path": "catalog"},
                }
            }
        },
    )
    ns.environment("sandbox", sand, "sandbox", cloneFrom={"name": "production"})
    ns.environment(
        "production",
        prod,
        "production",
        catalog={"snapshotRef": {"name": "released"}},
        syncPolicy={"mode": "sync", "interval": "1s"},
    )
    wait(
        "production in sync",
        lambda: (
            ns.get("StoreEnvironment", "production")
            .get("status", {})
            .get("drift", {})
            .get("inSync")
        ),
        timeout=60,
    )
    # The sandbox may have been cloned from a still-empty production: refreshing re-seeds it.
    ns.patch(
        "StoreEnvironment", "sandbox", {"metadata": {"annotations": {"stagingpro.io/refresh": "1"}}}
    )
    ns.patch(
        "CatalogSnapshot", "staged", {"metadata": {"annotations": {"stagingpro.io/capture": "1"}}}
    )
    captured = wait(
        "a capture of the cloned sandbox",
        lambda: (
            (
                ns.get("CatalogSnapshot", "staged")
                .get("status", {})
                .get("counts", {})
                .get("products")
                == 30
            )
            and ns.get("CatalogSnapshot", "staged")["status"]
        ),
        timeout=60,
    )
    assert captured["captureToken"] == "1"
    history = remote.bare.git.rev_list("staged").split()
    counts = [
        len(remote.bare.git.show(f"{c}:catalog/products.jsonl").splitlines())
        if "catalog/products.jsonl" in remote.bare.git.ls_tree("-r", "--name-only", c).split()
        else len(
            [
                n
                for n in remote.bare.git.ls_tree("-r", "--name-only", c).split()
                if n.startswith("catalog/products/")
            ]
        )
        for c in history
    ]
    assert min(counts) == 30, counts


def test_the_operator_logs_its_decisions_naming_the_object_and_no_ticks(
    cluster: dict[str, Any],
) -> None:
    ns = Namespace(cluster, "e2e-logs")
    ns.environment("production", "e2elogsnowhere", "production")  # its Secret is missing
    wait(
        "the missing Secret",
        lambda: (
            ns.condition("StoreEnvironment", "production", "Ready").get("reason")
            == "SecretNotFound"
        ),
    )

    def messages() -> list[str]:
        return [r.getMessage() for r in list(cluster["log"]) if r.levelno >= logging.INFO]

    decisions = wait(  # logged once the status is written
        "the decision logged",
        lambda: [m for m in messages() if m.startswith("StoreEnvironment e2e-logs/production:")],
    )
    assert decisions == [
        "StoreEnvironment e2e-logs/production: SecretNotFound: Secret e2e-logs/production-token "
        "not found"
    ]
    assert not [m for m in messages() if "Timer" in m or "HTTP Request" in m or "Daemon" in m]
    event = wait(  # the event is posted after the status that names the same reason
        "the SecretNotFound event",
        lambda: next(
            (
                e
                for e in ns.core.list_namespaced_event(ns.name).items
                if e.reason == "SecretNotFound"
            ),
            None,
        ),
    )
    assert (event.involved_object.kind, event.involved_object.name) == (
        "StoreEnvironment",
        "production",
    )
    assert event.reporting_component == "stagingpro-operator"
    assert event.reporting_instance
    # the Secret arrives: the environment looks again at once, and no log line is kopf's own
    ns.secret("production-token", "a-token", "e2elogsnowhere", "production")
    wait(
        "the Secret noticed",
        lambda: (
            ns.condition("StoreEnvironment", "production", "Ready").get("reason")
            != "SecretNotFound"
        ),
    )
    assert not [m for m in messages() if "_secret_changed" in m]


def test_the_production_token_goes_to_no_server_but_its_store(cluster: dict[str, Any]) -> None:
    ns = Namespace(cluster, "e2e-access")
    prod = ns.store("production")  # its Secret is bound to the emulator's origin and this hash
    with Catcher() as catcher:
        ns.apply(
            "StoreEnvironment",
            "thief",
            {
                "role": "production",
                "store": {
                    "hash": prod,
                    "apiUrl": catcher.url,
                    "credentialsSecretRef": {"name": "production-token", "key": "token"},
                },
                "syncPolicy": {"interval": "1s"},
            },
        )
        ns.apply(
            "StoreEnvironment",
            "sandbox-over-production",
            {
                "role": "sandbox",
                "store": {
                    "hash": prod,
                    "apiUrl": ns.emulator.url,
                    "credentialsSecretRef": {"name": "production-token", "key": "token"},
                },
                "syncPolicy": {"mode": "sync", "prune": True, "interval": "1s"},
            },
        )
        for name, reason, text in (
            ("thief", "ApiOriginNotAllowed", f"apiUrl origin {catcher.url} is not allowed"),
            (
                "sandbox-over-production",
                "ProductionProtected",
                "Secret e2e-access/production-token: annotation stagingpro.io/role is 'production'",
            ),
        ):
            stalled = wait(
                f"{name} to stall",
                lambda n=name: (
                    ns.condition("StoreEnvironment", n, "Stalled").get("status") == "True"
                    and ns.condition("StoreEnvironment", n, "Stalled")
                ),
                timeout=60,
            )
            assert stalled["reason"] == reason
            assert text in stalled["message"]
        assert catcher.requests == []
    assert ns.emulator.control(prod).stats.to_json()["total"] == 0
    assert any("is not allowed" in m for m in ns.events("ApiOriginNotAllowed"))


@pytest.mark.slow
def test_a_release_notifies_is_approved_from_the_terminal_and_its_plan_is_reviewed_in_a_browser(
    cluster: dict[str, Any],
) -> None:
    ns = Namespace(cluster, "e2e-release")
    prod = ns.store("production", name="Tokyo Flagship")
    sample = load_directory(ROOT / "examples" / "catalog")
    seed_catalog(ns.emulator.db, prod, sample)
    files = render(sample)
    files["products.jsonl"] = files["products.jsonl"].replace(
        '"description":"<p>Brushed organic cotton flannel.</p>","is_visible":true,"price":69,',
        f'"description":"<p>{FLANNEL}</p>","is_visible":true,"price":71,',
    )
    remote = Remote(cluster["tmp"] / "release")
    remote.commit({f"catalog/{n}": t for n, t in files.items()}, "the flannel shirt, reworded")
    ns.apply(
        "CatalogSnapshot",
        "release",
        {"source": {"git": {"url": ns.git_url(remote), "ref": "main", "path": "catalog"}}},
    )
    with http_receiver_thread() as hook:
        ns.core.create_namespaced_secret(
            ns.name,
            ns.cluster["client"].V1Secret(
                metadata={"name": "release-hook"},
                string_data={"address": hook.url + "/releases", "token": "hook-key-0123456789"},
            ),
        )
        receiver = {"name": "releases", "type": "webhook", "secretRef": {"name": "release-hook"}}
        ns.environment("production", prod, "production", notifications=[receiver])
        wait(
            "production Ready",
            lambda: ns.condition("StoreEnvironment", "production", "Ready").get("status") == "True",
        )
        at = datetime.now(ZoneInfo(ZONE)) + timedelta(seconds=3)
        ns.apply(
            "StoreDeployment",
            "holiday",
            {
                "targets": ["production"],
                "catalog": {"snapshotRef": {"name": "release"}},
                "schedule": {"at": at.replace(microsecond=0, tzinfo=None).isoformat()},
            },
        )

        def told(event: str) -> list[dict[str, Any]]:
            return [
                json.loads(r.body)
                for r in hook.received
                if r.headers.get("X-StagingPro-Event") == event
            ]

        awaiting = wait("told it awaits approval", lambda: told("AwaitingApproval"), timeout=40)
        target = ns.get("StoreDeployment", "holiday")["status"]["targets"][0]
        assert target["phase"] == "AwaitingApproval"
        assert target["plan"]["products"] == {"create": 0, "update": 1, "delete": 0}
        review_url = awaiting[0]["reviewUrl"]
        assert review_url == (
            f"{cluster['ui']}/namespaces/e2e-release/storedeployments/holiday/targets/production"
        )
        page = httpx.get(review_url)  # what the approver opens from the message
        assert page.status_code == 200
        assert "NW-SHT-FLAN-M" in page.text
        assert "<td>$69.00</td><td>$71.00</td>" in page.text
        assert target["planDigest"] in page.text

        approved = subprocess.run(
            [
                sys.executable,
                "-m",
                "controller",
                "approve",
                "holiday",
                "-n",
                ns.name,
                "--plan",
                target["planDigest"],
                "--yes",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "NO_COLOR": "1"},
        )
        assert approved.returncode == 0, approved.stderr
        assert "production: products +0 ~1 -0" in approved.stdout
        assert "approved StoreDeployment e2e-release/holiday as test-user" in approved.stdout

        wait("told it started and succeeded", lambda: told("Started") and told("Succeeded"), 40)
        releases = {"AwaitingApproval", "Started", "Succeeded", "Failed", "PartiallySucceeded"}
        sequence = [
            r.headers.get("X-StagingPro-Event")
            for r in hook.received
            if r.headers.get("X-StagingPro-Event") in releases
        ]
        # told once each (start and success are separate deliveries: either may arrive first)
        assert sequence[0] == "AwaitingApproval"
        assert sorted(sequence[1:]) == ["Started", "Succeeded"]
        done = ns.get("StoreDeployment", "holiday")["status"]
        assert done["approval"]["by"] == "test-user"
        assert done["targets"][0]["outcomes"]["products"]["updated"] == 1

    with chromium() as browser, watched_page(browser) as w:
        w.page.goto(review_url)
        assert w.page.locator("h1").inner_text() == "Plan of e2e-release/holiday for production"
        entry = w.page.locator("section.entry", has_text="NW-SHT-FLAN-M")
        assert entry.locator("td", has_text="$71.00").is_visible()
        assert entry.locator("pre.diff .ins", has_text="garment-washed").is_visible()
        w.page.get_by_role("link", name="production", exact=True).first.click()
        releases = w.page.locator("h2:has-text('Releases') + table tr")
        assert "holiday\tSucceeded" in releases.nth(1).inner_text()
        assert done["targets"][0]["rollbackSnapshot"] in releases.nth(1).inner_text()
        assert w.ran_nothing(), (w.dialogs, w.errors)


def test_an_older_store_is_migrated_to_catalog_v3_before_the_theme_and_scripts_that_need_it(
    cluster: dict[str, Any],
) -> None:
    ns = Namespace(cluster, "e2e-migrate")
    prod = ns.store("production")
    seed_v2(ns.emulator.db, prod, 20)
    api = f"{ns.emulator.url}/stores/{prod}/v3"
    headers = {"X-Auth-Token": "good-token"}

    def prices() -> dict[str, tuple[float, float]]:
        found = httpx.get(
            f"{api}/catalog/products", params={"include": "variants", "limit": 50}, headers=headers
        ).json()["data"]
        return {
            v["sku"]: (v["calculated_price"], v["calculated_weight"])
            for p in found
            for v in p["variants"]
        }

    before = prices()
    remote = Remote(cluster["tmp"] / "migrate")
    remote.commit(
        {
            "storefront/scripts.yaml": "- name: Size guide\n  kind: src\n"
            "  src: https://cdn.example.test/size-guide.js\n  location: footer\n"
            "  visibility: all_pages\n",
            "theme/config.json": json.dumps(
                {"name": "Outfitters V3", "variations": [{"name": "A"}]}
            ),
            "theme/templates/pages/product.html": "{{#each product.options}}{{/each}}",
        },
        "the theme and scripts for variant options",
    )
    git = {"url": ns.git_url(remote), "ref": "main"}
    ns.environment("production", prod, "production")
    ns.apply(
        "StoreDeployment",
        "v3",
        {
            "targets": ["production"],
            "migration": "v2-to-v3",
            "theme": {"git": {**git, "path": "theme"}},
            "scripts": {"git": {**git, "path": "storefront/scripts.yaml"}},
        },
    )

    def target() -> dict[str, Any]:
        targets = ns.get("StoreDeployment", "v3").get("status", {}).get("targets", [])
        return targets[0] if targets else {}

    waiting = wait(
        "approval", lambda: target().get("phase") == "AwaitingApproval" and target(), 120
    )
    assert waiting["plan"]["migration"]["update"] == 18
    assert waiting["migration"]["planned"] == 18
    assert "SKUs -> variants, SKUs and ids kept" in waiting["migration"]["products"][0]
    assert "rule -> complex rule Gift wrap=Yes on variants" in waiting["migration"]["products"][0]
    wait(  # the event is posted after the status that shows the plan
        "the MigrationPlanned event",
        lambda: any(
            "18 products to migrate from Catalog V2 to V3" in m
            for m in ns.events("MigrationPlanned")
        ),
    )
    assert prices() == before
    page = httpx.get(
        f"{cluster['ui']}/namespaces/e2e-migrate/storedeployments/v3/targets/production"
    )
    assert "<h2>Catalog V2 to V3 migration, before the rest</h2>" in page.text
    assert "18 products to migrate from Catalog V2 to V3" in page.text
    assert "Gift wrap: rules -&gt; value adjusters (Yes: price +4, weight +0.1)" in page.text
    ns.patch(
        "StoreDeployment", "v3", {"metadata": {"annotations": {"stagingpro.io/approved-by": "mei"}}}
    )
    done = wait("the release", lambda: target().get("phase") == "Succeeded" and target(), 120)
    migration = done["migration"]
    assert (migration["migrated"], migration["verified"], migration["differenceCount"]) == (
        18,
        True,
        0,
    )
    assert migration["requests"] == migration["minimumRequests"]
    assert prices() == before
    wait("the Migrated event", lambda: ns.events("Migrated"))
    scripts = httpx.get(f"{api}/content/scripts", headers=headers).json()["data"]
    themes = httpx.get(f"{api}/themes", headers=headers).json()["data"]
    assert [s["name"] for s in scripts] == ["Size guide"]
    assert [(t["name"], t["is_active"]) for t in themes] == [("Outfitters V3", True)]
    assert ns.condition("StoreDeployment", "v3", "Ready")["status"] == "True"


def test_an_eu_storefront_scoped_to_its_channel_leaves_the_us_tree_as_it_was(
    cluster: dict[str, Any],
) -> None:
    ns = Namespace(cluster, "e2e-channel-scope")
    prod = ns.store("production")

    async def observed(release: dict[str, Any] | None = None) -> Catalog:
        async with BigCommerceStore(ns.emulator.url, prod, Token("good-token")) as store:
            if release is not None:
                assert (await sync(store, scope.build_catalog_of(release)))[1].errors == []
            return to_catalog(await store.observe(SHAREABLE))

    before = asyncio.run(observed(scope.V1))
    ns.environment("production", prod, "production")
    ns.apply("CatalogSnapshot", "eu-spring", {"source": {"inline": scope.inline(scope.V2)}})
    ns.apply("StoreDeployment", "eu-release", scope.eu_release("eu-spring"))

    def target() -> dict[str, Any]:
        targets = ns.get("StoreDeployment", "eu-release").get("status", {}).get("targets", [])
        return targets[0] if targets else {}

    done = wait("the EU release", lambda: target().get("phase") == "Succeeded" and target(), 60)
    assert (done["name"], done["catalogScope"]) == ("production/EU", "channel")
    assert done["planChannels"] == {"EU": {"create": 1, "update": 6, "delete": 1}}
    wait(
        "the Applying event saying what it left out",
        lambda: any(
            m.endswith("; 8 changes outside the channel left out") for m in ns.events("Applying")
        ),
    )
    after = asyncio.run(observed())
    assert scope.of_channel(after, "US") == scope.of_channel(before, "US")
    assert scope.of_channel(after, "EU")["categorised"]["BOOT"] == ["eu:sale"]
