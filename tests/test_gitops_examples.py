"""The GitOps examples: Argo CD's health checks (Lua, run for real), Flux and kustomize files."""

from __future__ import annotations

from typing import Any

import lupa
import pytest
import yaml

from tests.conftest import ROOT

EXAMPLES = ROOT / "examples"
LUA = (EXAMPLES / "argocd" / "health.lua").read_text()


def health(obj: dict[str, Any]) -> tuple[str, str]:
    runtime = lupa.LuaRuntime(unpack_returned_tuples=True)

    def table(value: Any) -> Any:
        if isinstance(value, dict):
            return runtime.table_from({k: table(v) for k, v in value.items()})
        if isinstance(value, list):
            return runtime.table_from([table(v) for v in value])
        return value

    runtime.globals().obj = table(obj)
    result = runtime.execute(LUA)
    return str(result["status"]), str(result["message"])


def condition(type_: str, status: str, message: str = "") -> dict[str, str]:
    return {"type": type_, "status": status, "reason": "R", "message": message}


@pytest.mark.parametrize(
    ("status", "generation", "expected"),
    [
        (None, 1, "Progressing"),
        (
            {"observedGeneration": 1, "conditions": [condition("Ready", "True", "store ok")]},
            1,
            "Healthy",
        ),
        (
            {"observedGeneration": 1, "conditions": [condition("Ready", "True", "store ok")]},
            2,
            "Progressing",
        ),
        (
            {
                "observedGeneration": 1,
                "conditions": [condition("Ready", "True"), condition("Drifted", "True", "3 items")],
            },
            1,
            "Degraded",
        ),
        (
            {
                "observedGeneration": 1,
                "conditions": [
                    condition("Ready", "False", "401"),
                    condition("Stalled", "True", "rejected the credentials"),
                ],
            },
            1,
            "Degraded",
        ),
        (
            {
                "observedGeneration": 1,
                "phase": "AwaitingApproval",
                "conditions": [condition("Ready", "False", "production: AwaitingApproval")],
            },
            1,
            "Suspended",
        ),
        (
            {
                "observedGeneration": 1,
                "phase": "Scheduled",
                "conditions": [condition("Ready", "False", "runs at 09:00")],
            },
            1,
            "Suspended",
        ),
        (
            {
                "observedGeneration": 1,
                "phase": "Pending",
                "conditions": [
                    condition("Ready", "False", "Secret shop/token not found"),
                    condition("Reconciling", "True", "Secret shop/token not found"),
                ],
            },
            1,
            "Progressing",
        ),
        (
            {
                "observedGeneration": 1,
                "phase": "Failed",
                "conditions": [condition("Ready", "False", "refused")],
            },
            1,
            "Degraded",
        ),
    ],
    ids=[
        "no status",
        "ready",
        "stale generation",
        "drifted",
        "stalled",
        "awaiting approval",
        "scheduled",
        "waiting on a dependency",
        "failed",
    ],
)
def test_argo_cd_health_follows_the_conditions(
    status: dict[str, Any] | None, generation: int, expected: str
) -> None:
    obj: dict[str, Any] = {"metadata": {"generation": generation}}
    if status is not None:
        obj["status"] = status
    assert health(obj)[0] == expected


def test_argocd_cm_carries_the_same_health_check_for_every_kind() -> None:
    config = yaml.safe_load((EXAMPLES / "argocd" / "argocd-cm.yaml").read_text())
    for kind in ("StoreEnvironment", "CatalogSnapshot", "StoreDeployment"):
        assert config["data"][f"resource.customizations.health.stagingpro.io_{kind}"] == LUA


def test_the_kustomization_lists_every_manifest_of_the_repository() -> None:
    kustomization = yaml.safe_load((EXAMPLES / "gitops" / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    present = {
        str(p.relative_to(EXAMPLES / "gitops"))
        for p in (EXAMPLES / "gitops").rglob("*.yaml")
        if p.name != "kustomization.yaml"
    }
    assert listed == present


def test_argo_and_flux_point_at_the_gitops_path() -> None:
    application = yaml.safe_load((EXAMPLES / "argocd" / "application.yaml").read_text())
    flux = yaml.safe_load((EXAMPLES / "flux" / "kustomization.yaml").read_text())
    assert application["spec"]["source"]["path"] == "examples/gitops"
    assert flux["spec"]["path"] == "./examples/gitops"
    assert flux["spec"]["wait"] is True
