"""The terminal side of releases against a Kubernetes API (kmock, corrected): approving exactly the
plan shown as the current user, status, history, rollback, reconcile, suspend and resume, waiting;
status from a `stagingpro run` state directory; completion and version."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from controller.cli import main
from tests.conftest import ROOT
from tests.support.kube import KubeThread, kubeconfig

GROUP, VERSION = "stagingpro.io", "v1alpha1"
DIGEST = "sha256:" + "ab" * 32


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A Kubernetes API with the CRDs, the namespace `shop` and a kubeconfig in $KUBECONFIG."""
    tmp = tmp_path_factory.mktemp("kube")
    with KubeThread() as kube:
        path = kubeconfig(tmp / "kubeconfig", kube.url)
        previous = os.environ.get("KUBECONFIG")
        os.environ["KUBECONFIG"] = str(path)
        from kubernetes import client, config

        config.load_kube_config(str(path))
        api_client = client.ApiClient()
        for crd in sorted((ROOT / "crds").glob("*.yaml")):
            client.ApiextensionsV1Api(api_client).create_custom_resource_definition(
                yaml.safe_load(crd.read_text())
            )
        kube.api.add_namespace("shop")
        kube.api.users["test-token"] = "kenji@example.test"
        try:
            yield client.CustomObjectsApi(api_client)
        finally:
            if previous is None:
                os.environ.pop("KUBECONFIG", None)
            else:
                os.environ["KUBECONFIG"] = previous


def put(
    api: Any, kind: str, plural: str, name: str, spec: dict[str, Any], status: dict[str, Any]
) -> None:
    """An object as the operator would have left it."""
    body = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": kind,
        "metadata": {"name": name, "namespace": "shop"},
        "spec": spec,
    }
    api.create_namespaced_custom_object(GROUP, VERSION, "shop", plural, body)
    api.patch_namespaced_custom_object_status(
        GROUP, VERSION, "shop", plural, name, {"status": status}
    )


def read(api: Any, plural: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = api.get_namespaced_custom_object(GROUP, VERSION, "shop", plural, name)
    return found


def awaiting(name: str, digest: str = DIGEST) -> dict[str, Any]:
    return {
        "phase": "AwaitingApproval",
        "targets": [
            {
                "name": "production",
                "phase": "AwaitingApproval",
                "plan": {"products": {"create": 1, "update": 2, "delete": 0}},
                "estimatedRequests": 3,
                "planDigest": digest,
                "scheduledLocal": "2026-12-01T09:00:00-05:00 (America/New_York)",
                "scheduledFor": "2026-12-01T14:00:00Z",
            }
        ],
    }


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


DEPLOY_SPEC = {"targets": ["production"], "catalog": {"snapshotRef": {"name": "release"}}}


def test_approve_sets_the_current_user_and_the_plan_shown(
    api: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    put(api, "StoreDeployment", "storedeployments", "holiday", DEPLOY_SPEC, awaiting("holiday"))
    code, out, err = run(capsys, "approve", "holiday", "-n", "shop", "--plan", DIGEST, "--yes")
    assert code == 0, err
    assert "production: products +1 ~2 -0 (3 write requests)" in out
    assert (
        f"approved StoreDeployment shop/holiday as kenji@example.test: it applies exactly plan {DIGEST}"
        in out
    )
    annotations = read(api, "storedeployments", "holiday")["metadata"]["annotations"]
    assert annotations == {
        "stagingpro.io/approved-by": "kenji@example.test",
        "stagingpro.io/approved-plan": DIGEST,
    }


def test_approve_refuses_a_plan_that_changed_since_it_was_shown(
    api: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    put(api, "StoreDeployment", "storedeployments", "moved", DEPLOY_SPEC, awaiting("moved"))
    shown = "sha256:" + "cd" * 32
    code, _, err = run(capsys, "approve", "moved", "-n", "shop", "--plan", shown, "--yes")
    assert code == 1
    assert f"the plan changed since it was shown (now {DIGEST}, shown {shown})" in err
    assert not read(api, "storedeployments", "moved")["metadata"].get("annotations")
    code, _, err = run(capsys, "approve", "moved", "-n", "shop", "--target", "staging", "--yes")
    assert code == 1
    assert "has no target 'staging' (targets: production)" in err
    code, _, err = run(capsys, "approve", "missing", "-n", "shop", "--yes")
    assert (code, err.strip()) == (1, "error: StoreDeployment shop/missing not found")
    code, _, err = run(capsys, "approve", "moved", "-n", "shop")
    assert code == 1
    assert "refusing to approve without confirmation" in err


def test_status_history_rollback_and_environment_commands(
    api: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    env_spec = {
        "role": "production",
        "store": {"hash": "prodstore", "credentialsSecretRef": {"name": "t", "key": "token"}},
    }
    put(
        api,
        "StoreEnvironment",
        "storeenvironments",
        "production",
        env_spec,
        {
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "InSync",
                    "lastTransitionTime": "2026-12-01T14:00:00Z",
                }
            ],
            "drift": {"inSync": False, "counts": {"products": {"changed": 2, "extra": 1}}},
            "store": {"timezone": "America/New_York"},
        },
    )
    done = {
        "phase": "Succeeded",
        "targets": [
            {
                "name": "production",
                "phase": "Succeeded",
                "finishedAt": "2026-12-01T14:05:00Z",
                "rollbackSnapshot": "spring-production-rollback",
            }
        ],
    }
    put(api, "StoreDeployment", "storedeployments", "spring", DEPLOY_SPEC, done)
    code, out, err = run(capsys, "status", "-n", "shop")
    assert code == 0, err
    lines = out.splitlines()
    assert any(
        line.split() == ["shop/production", "Ready", "3", "drifted", "America/New_York"]
        for line in lines
    )
    assert any(
        line.split()[:4] == ["shop/spring", "Succeeded", "production:", "Succeeded"]
        for line in lines
    )

    code, out, _ = run(capsys, "history", "production", "-n", "shop")
    assert code == 0
    assert out.splitlines()[1].split() == [
        "2026-12-01T14:05:00Z",
        "spring",
        "Succeeded",
        "spring-production-rollback",
    ]

    code, out, err = run(capsys, "rollback", "spring", "-n", "shop")
    assert code == 0, err
    created = read(api, "storedeployments", "spring-rollback-production")
    assert created["spec"]["catalog"] == {"snapshotRef": {"name": "spring-production-rollback"}}
    assert created["spec"]["approval"] == {"required": True}
    assert created["spec"]["targets"] == ["production"]
    assert not created["metadata"].get("annotations")  # it still needs approval

    assert run(capsys, "suspend", "production", "-n", "shop")[0] == 0
    assert read(api, "storeenvironments", "production")["spec"]["suspend"] is True
    assert run(capsys, "resume", "production", "-n", "shop")[0] == 0
    assert read(api, "storeenvironments", "production")["spec"]["suspend"] is False
    assert run(capsys, "reconcile", "environment", "production", "-n", "shop")[0] == 0
    annotations = read(api, "storeenvironments", "production")["metadata"]["annotations"]
    assert "stagingpro.io/reconcile-requested-at" in annotations

    code, out, _ = run(
        capsys,
        "wait",
        "deployment",
        "spring",
        "-n",
        "shop",
        "--phase",
        "Succeeded",
        "--timeout",
        "5",
    )
    assert (code, out.strip()) == (0, "StoreDeployment shop/spring: Succeeded")
    code, _, err = run(
        capsys, "wait", "deployment", "spring", "-n", "shop", "--phase", "Failed", "--timeout", "5"
    )
    assert code == 1
    assert "ended Succeeded, not Failed" in err


def test_status_reads_a_run_state_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "status" / "StoreDeployment" / "shop"
    folder.mkdir(parents=True)
    (folder / "holiday.json").write_text(json.dumps({"status": awaiting("holiday")}))
    code, out, err = run(capsys, "status", "--state", str(tmp_path))
    assert code == 0, err
    assert any(
        line.split()[:4] == ["shop/holiday", "AwaitingApproval", "production:", "AwaitingApproval"]
        for line in out.splitlines()
    )
    assert "2026-12-01T09:00:00-05:00 (America/New_York) (2026-12-01T14:00:00Z)" in out
    code, _, err = run(capsys, "status", "--state", str(tmp_path / "nothing"))
    assert code == 1
    assert "not a `stagingpro run` state directory" in err


def test_completion_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, script, _ = run(capsys, "completion", "bash")
    assert code == 0
    completed = subprocess.run(
        [
            "bash",
            "-c",
            script
            + '\nCOMP_WORDS=(stagingpro appr); COMP_CWORD=1; _stagingpro; echo "${COMPREPLY[@]}"\n'
            'COMP_WORDS=(stagingpro approve --ta); COMP_CWORD=2; _stagingpro; echo "${COMPREPLY[@]}"',
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert completed.stdout.splitlines() == ["approve", "--target"]
    code, out, _ = run(capsys, "version")
    assert code == 0
    assert out.startswith("stagingpro ")
    plugin = Path(sys.executable).parent / "kubectl-stagingpro"
    assert plugin.exists(), "the kubectl plugin entry point is installed with the package"
