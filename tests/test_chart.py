"""The Helm chart, rendered offline: valid manifests, least privilege, the generated CRDs, and
dashboards and alerts that query metrics the operator really exports."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import celpy
import helm_python
import kubernetes_validate
import pytest
import yaml

from controller.metrics import Metrics
from tests.conftest import ROOT

CHART = ROOT / "charts" / "stagingpro"
EXTERNAL_KINDS = {"ServiceMonitor", "PrometheusRule", "KopfPeering", "ClusterKopfPeering"}
EVERYTHING = {
    "watchNamespaces": ["shop", "outlet"],
    "shard": "eu",
    "replicas": 3,
    "logFormat": "plain",
    "reviewUrl": "https://stagingpro.example.test",
    "webhooks": {"url": "https://hooks.example.test", "keySecret": "webhook-key"},
    "ui": {"enabled": True},
    "metrics": {
        "serviceMonitor": {"enabled": True},
        "prometheusRule": {"enabled": True},
        "dashboard": {"enabled": True},
    },
}


@pytest.fixture(scope="module")
def chart() -> Iterator[Any]:
    loaded = helm_python.Chart.load(str(CHART))
    yield loaded
    loaded.close()


def render(chart: Any, values: dict[str, Any]) -> list[dict[str, Any]]:
    files = chart.render(values=values, name="sp", namespace="stagingpro-system")
    return [doc for text in files.values() for doc in yaml.safe_load_all(text) if doc]


@pytest.mark.parametrize(
    "values",
    [{}, EVERYTHING, {"allNamespaces": True, "watchNamespaces": []}],
    ids=["defaults", "everything on", "all namespaces"],
)
def test_every_rendered_manifest_is_valid_kubernetes(chart: Any, values: dict[str, Any]) -> None:
    docs = render(chart, values)
    assert {d["kind"] for d in docs} >= {"Deployment", "ServiceAccount", "ClusterRole", "Service"}
    for doc in docs:
        if doc["kind"] not in EXTERNAL_KINDS:
            kubernetes_validate.validate(doc, "1.32", strict=True)


def test_the_chart_lints_clean() -> None:
    result = helm_python.lint(str(CHART))
    assert result["errors"] == []
    assert [
        m for m in result["messages"] if m["severity"] > 1
    ] == []  # nothing beyond "icon is recommended"


def test_the_pod_runs_unprivileged_on_a_read_only_root_with_a_writable_git_cache(
    chart: Any,
) -> None:
    deployment = next(d for d in render(chart, {}) if d["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert {"/var/cache/stagingpro", "/tmp"} <= mounts
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert "--namespace=shop" in container["args"]


def test_secrets_are_readable_only_in_the_watched_namespaces(chart: Any) -> None:
    docs = render(chart, EVERYTHING)
    cluster_roles = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ClusterRole"}
    cluster_bound = {d["roleRef"]["name"] for d in docs if d["kind"] == "ClusterRoleBinding"}
    for name in cluster_bound:
        for rule in cluster_roles[name]["rules"]:
            assert "secrets" not in rule["resources"], f"{name} grants Secrets cluster-wide"
    bindings = [d for d in docs if d["kind"] == "RoleBinding"]
    assert sorted(b["metadata"]["namespace"] for b in bindings) == ["outlet", "shop"]
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    assert "--shard=eu" in deployment["spec"]["template"]["spec"]["containers"][0]["args"]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"replicas": 0}, "replicas"),
        ({"logFormat": "xml"}, "logFormat"),
        ({"watchNamespaces": ["Not_A_Namespace"]}, "watchNamespaces"),
        ({"allNamespaces": False, "watchNamespaces": []}, "watchNamespaces"),
        ({"imageTag": "oops"}, "imageTag"),
        ({"allowedApiOrigins": ["https://u:p@proxy.test"]}, "allowedApiOrigins"),
        ({"allowedApiOrigins": []}, "allowedApiOrigins"),
        ({"ui": {"enabled": True, "port": 0}}, "port"),
    ],
)
def test_bad_values_fail_at_install(chart: Any, values: dict[str, Any], field: str) -> None:
    with pytest.raises(helm_python.HelmError, match=field):
        chart.render(values=values, name="sp", namespace="stagingpro-system")


def test_the_operator_reaches_only_the_allowed_api_origins(chart: Any) -> None:
    def args(values: dict[str, Any]) -> list[str]:
        deployment = next(d for d in render(chart, values) if d["kind"] == "Deployment")
        return [
            a
            for a in deployment["spec"]["template"]["spec"]["containers"][0]["args"]
            if a.startswith("--allowed-api-origin")
        ]

    assert args({}) == ["--allowed-api-origin=https://api.bigcommerce.com"]
    assert args({"allowedApiOrigins": ["https://api.bigcommerce.com", "http://emulator:8765"]}) == [
        "--allowed-api-origin=https://api.bigcommerce.com",
        "--allowed-api-origin=http://emulator:8765",
    ]


def test_the_webhook_receiver_is_served_only_when_the_stores_can_reach_it(chart: Any) -> None:
    def rendered(values: dict[str, Any]) -> tuple[list[str], list[str]]:
        docs = render(chart, values)
        deployment = next(d for d in docs if d["kind"] == "Deployment")
        args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
        services = [d["metadata"]["name"] for d in docs if d["kind"] == "Service"]
        return [a for a in args if a.startswith("--webhook")], services

    assert rendered({}) == ([], ["sp-stagingpro-metrics"])
    args, services = rendered({"webhooks": {"url": "https://hooks.example.test", "keySecret": "k"}})
    assert args == [
        "--webhook-url=https://hooks.example.test",
        "--webhook-port=8443",
        "--webhook-key-file=/etc/stagingpro/webhooks/key",
    ]
    assert services == ["sp-stagingpro-metrics", "sp-stagingpro-webhooks"]


def test_the_web_ui_is_off_by_default_and_served_on_its_own_service_when_enabled(
    chart: Any,
) -> None:
    def rendered(values: dict[str, Any]) -> tuple[list[str], list[Any], list[dict[str, Any]]]:
        docs = render(chart, values)
        deployment = next(d for d in docs if d["kind"] == "Deployment")
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        ports = [p for p in container["ports"] if p["name"] == "ui"]
        services = [
            d for d in docs if d["kind"] == "Service" and d["metadata"]["name"].endswith("-ui")
        ]
        return [a for a in container["args"] if a.startswith("--ui")], ports, services

    assert rendered({}) == ([], [], [])
    args, ports, services = rendered({"ui": {"enabled": True, "port": 9000}})
    assert args == ["--ui-port=9000"]
    assert ports == [{"name": "ui", "containerPort": 9000, "protocol": "TCP"}]
    assert [s["spec"]["ports"] for s in services] == [
        [{"name": "http", "port": 9000, "targetPort": "ui", "protocol": "TCP"}]
    ]
    assert services[0]["spec"].get("type", "ClusterIP") == "ClusterIP"  # behind your ingress


def test_notifications_link_to_the_review_url_when_one_is_given(chart: Any) -> None:
    def env(values: dict[str, Any]) -> list[dict[str, Any]]:
        deployment = next(d for d in render(chart, values) if d["kind"] == "Deployment")
        found: list[dict[str, Any]] = deployment["spec"]["template"]["spec"]["containers"][0].get(
            "env", []
        )
        return found

    assert env({}) == []
    assert env({"reviewUrl": "https://stagingpro.example.test"}) == [
        {"name": "STAGINGPRO_REVIEW_URL", "value": "https://stagingpro.example.test"}
    ]


def test_the_chart_carries_the_generated_crds() -> None:
    for crd in (ROOT / "crds").glob("*.yaml"):
        assert (CHART / "crds" / crd.name).read_text() == crd.read_text(), (
            f"charts/stagingpro/crds/{crd.name} is stale"
        )


def _metric_names() -> set[str]:
    names = set()
    for family in Metrics().registry.collect():
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
        if family.type == "counter":
            names.add(family.name + "_total")
        if family.type == "histogram":
            names.update(family.name + suffix for suffix in ("_bucket", "_count", "_sum"))
    return names


def _queried(expression: str) -> set[str]:
    return set(re.findall(r"\b(stagingpro_[a-z_]+)", expression))


def test_the_dashboard_and_the_alerts_query_metrics_the_operator_exports(chart: Any) -> None:
    exported = _metric_names()
    dashboard = json.loads((CHART / "dashboards" / "stagingpro.json").read_text())
    expressions = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    rules = next(d for d in render(chart, EVERYTHING) if d["kind"] == "PrometheusRule")
    expressions += [r["expr"] for group in rules["spec"]["groups"] for r in group["rules"]]
    queried = set().union(*map(_queried, expressions))
    assert queried
    assert queried <= exported, queried - exported
    alerts = {r["alert"] for group in rules["spec"]["groups"] for r in group["rules"]}
    assert alerts == {
        "StagingProEnvironmentDrifted",
        "StagingProDeploymentFailed",
        "StagingProCredentialsRejected",
        "StagingProQuotaExhausted",
        "StagingProNotReconciling",
    }
    configmap = next(d for d in render(chart, EVERYTHING) if d["kind"] == "ConfigMap")
    assert json.loads(configmap["data"]["stagingpro.json"]) == dashboard


# ---- the approval policy: its CEL evaluated on admission requests ------------------------------------

APPROVER = {
    "username": "alice@example.com",
    "groups": ["stagingpro-approvers", "system:authenticated"],
}
DEVELOPER = {"username": "bob@example.com", "groups": ["developers", "system:authenticated"]}
ARGO = {
    "username": "system:serviceaccount:argocd:argocd-application-controller",
    "groups": ["system:serviceaccounts", "system:serviceaccounts:argocd"],
}


def _policy(chart: Any, values: dict[str, Any] | None = None) -> dict[str, Any]:
    return next(d for d in render(chart, values or {}) if d["kind"] == "ValidatingAdmissionPolicy")


def _deployment(approved_by: str | None, plan: str | None = None) -> dict[str, Any]:
    annotations = {"argocd.argoproj.io/tracking-id": "shop"}
    if approved_by is not None:
        annotations["stagingpro.io/approved-by"] = approved_by
    if plan is not None:
        annotations["stagingpro.io/approved-plan"] = plan
    return {
        "apiVersion": "stagingpro.io/v1alpha1",
        "kind": "StoreDeployment",
        "metadata": {"name": "holiday-release", "namespace": "shop", "annotations": annotations},
        "spec": {"targets": ["production"], "catalog": {"snapshotRef": {"name": "released"}}},
    }


def admit(
    policy: dict[str, Any],
    user: dict[str, Any],
    operation: str,
    approved_by: str | None,
    *,
    was_approved_by: str | None = None,
    plan: str | None = None,
    was_plan: str | None = None,
) -> list[str]:
    """The messages of the policy's failed validations for one admission request (empty: allowed),
    evaluating its variables and validations in order, as the API server does."""
    env = celpy.Environment()

    def run(expression: str, activation: dict[str, Any]) -> Any:
        return env.program(env.compile(expression)).evaluate(activation)

    activation: dict[str, Any] = {
        "object": celpy.json_to_cel(_deployment(approved_by, plan)),
        "oldObject": celpy.json_to_cel(
            _deployment(was_approved_by, was_plan) if operation == "UPDATE" else None
        ),
        "request": celpy.json_to_cel(
            {"operation": operation, "namespace": "shop", "userInfo": user}
        ),
    }
    variables: dict[Any, Any] = {}
    for variable in policy["spec"]["variables"]:
        activation["variables"] = celpy.celtypes.MapType(variables)
        variables[celpy.celtypes.StringType(variable["name"])] = run(
            variable["expression"], activation
        )
    activation["variables"] = celpy.celtypes.MapType(variables)
    failures = []
    for validation in policy["spec"]["validations"]:
        if not bool(run(validation["expression"], activation)):
            failures.append(
                str(run(validation["messageExpression"], activation))
                if "messageExpression" in validation
                else validation["message"]
            )
    return failures


def test_the_approval_policy_and_its_binding_render_valid_and_on_by_default(chart: Any) -> None:
    docs = render(chart, {})
    kinds = {d["kind"]: d for d in docs}
    policy, binding = kinds["ValidatingAdmissionPolicy"], kinds["ValidatingAdmissionPolicyBinding"]
    for doc in (policy, binding):
        kubernetes_validate.validate(doc, "1.32", strict=True)
    assert binding["spec"]["policyName"] == policy["metadata"]["name"]
    assert binding["spec"]["validationActions"] == ["Deny"]
    assert binding["spec"]["matchResources"]["namespaceSelector"]["matchExpressions"][0][
        "values"
    ] == ["shop"]
    rule = policy["spec"]["matchConstraints"]["resourceRules"][0]
    assert (rule["resources"], rule["operations"]) == (["storedeployments"], ["CREATE", "UPDATE"])
    off = {d["kind"] for d in render(chart, {"approvalPolicy": {"enabled": False}})}
    assert not off & {"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"}


def test_an_approver_approves_in_their_own_name(chart: Any) -> None:
    policy = _policy(chart)
    assert admit(policy, APPROVER, "UPDATE", APPROVER["username"]) == []
    named = _policy(chart, {"approvalPolicy": {"approverGroups": [], "approverUsers": ["carol"]}})
    assert admit(named, {"username": "carol", "groups": []}, "UPDATE", "carol") == []


def test_another_user_cannot_approve(chart: Any) -> None:
    assert admit(_policy(chart), DEVELOPER, "UPDATE", DEVELOPER["username"]) == [
        "bob@example.com is not an approver: stagingpro.io/approved-by may be set only by "
        "members of the approver groups"
    ]


def test_an_approver_cannot_forge_another_name(chart: Any) -> None:
    assert admit(_policy(chart), APPROVER, "UPDATE", "the-cto") == [
        "stagingpro.io/approved-by must be your own username, alice@example.com"
    ]
    # nor change someone else's approval into another name
    assert admit(_policy(chart), DEVELOPER, "UPDATE", "mallory", was_approved_by="alice") != []


def test_a_deployment_cannot_be_created_already_approved(chart: Any) -> None:
    policy = _policy(chart)
    refused = admit(policy, APPROVER, "CREATE", APPROVER["username"])
    assert len(refused) == 1
    assert refused[0].startswith("a StoreDeployment cannot be created already approved")
    assert admit(policy, DEVELOPER, "CREATE", None) == []


def test_other_changes_leave_an_approval_alone(chart: Any) -> None:
    policy = _policy(chart)
    # anyone who may edit the deployment (and the operator's own bookkeeping) keeps the approval
    assert admit(policy, DEVELOPER, "UPDATE", "alice", was_approved_by="alice") == []
    assert admit(policy, DEVELOPER, "UPDATE", None, was_approved_by="alice") == []  # withdrawn


def test_gitops_appliers_carry_approvals_merged_in_git_only_when_configured(chart: Any) -> None:
    assert admit(_policy(chart), ARGO, "UPDATE", "alice") != []
    gitops = _policy(chart, {"approvalPolicy": {"gitOpsAppliers": [ARGO["username"]]}})
    assert admit(gitops, ARGO, "UPDATE", "alice") == []
    assert admit(gitops, ARGO, "CREATE", "alice") != []  # the plan must still be shown first
    assert admit(gitops, DEVELOPER, "UPDATE", "alice") != []


def test_a_changed_plan_is_re_approved_only_by_an_approver_in_their_own_name(chart: Any) -> None:
    policy = _policy(chart)
    me = APPROVER["username"]
    # the approver re-approves the new plan, naming themselves
    assert (
        admit(policy, APPROVER, "UPDATE", me, was_approved_by="carol", plan="b", was_plan="a") == []
    )
    # a developer cannot wave a changed plan through under someone else's approval
    assert admit(policy, DEVELOPER, "UPDATE", me, was_approved_by=me, plan="b", was_plan="a") == [
        "bob@example.com is not an approver: stagingpro.io/approved-plan may be set only by "
        "members of the approver groups"
    ]
    # nor may an approver re-approve under another person's name
    assert admit(policy, APPROVER, "UPDATE", "carol", was_approved_by="carol", plan="b") == [
        "stagingpro.io/approved-plan is a new approval: set stagingpro.io/approved-by to your own "
        "username, alice@example.com, with it"
    ]
    # an unchanged plan annotation, or other edits, leave the approval alone
    assert admit(policy, DEVELOPER, "UPDATE", me, was_approved_by=me, plan="b", was_plan="b") == []
    assert admit(policy, APPROVER, "CREATE", None, plan="b") != []
