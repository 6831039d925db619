"""Following and approving releases from a terminal, like `flux` and `argocd` do: `approve`,
`status`, `get`, `wait`, `history`, `rollback`, `reconcile`, `suspend`, `resume`. They talk to the
cluster of the current kubeconfig context (or read a `stagingpro run` state directory), as the
person running them: approvals are in that person's Kubernetes name."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from controller.api.base import GROUP, VERSION
from controller.api.conditions import kstatus
from controller.api.deployment import DeploymentPhase as Phase
from controller.api.deployment import Target, environment_of, scope_text
from controller.api.resources import KIND_BY_NAME
from controller.cli.errors import CliError
from controller.reconcile.deployment import APPROVED_BY, APPROVED_PLAN

FINAL = tuple(p for p in Phase if p.final)
RECONCILE_REQUESTED = "stagingpro.io/reconcile-requested-at"
KIND_WORDS = {
    "environment": "StoreEnvironment",
    "environments": "StoreEnvironment",
    "senv": "StoreEnvironment",
    "deployment": "StoreDeployment",
    "deployments": "StoreDeployment",
    "sdeploy": "StoreDeployment",
    "snapshot": "CatalogSnapshot",
    "snapshots": "CatalogSnapshot",
    "csnap": "CatalogSnapshot",
}


class Cluster:
    """The StagingPro objects of the current kubeconfig context (a thin, synchronous client)."""

    def __init__(self, namespace: str | None):
        from kubernetes import client, config

        path = os.environ.get("KUBECONFIG") or None  # read now, not when kubernetes was imported
        try:
            config.load_kube_config(config_file=path)  # type: ignore[no-untyped-call]
            _, context = config.list_kube_config_contexts(config_file=path)  # type: ignore[no-untyped-call]
        except (config.ConfigException, OSError) as error:
            raise CliError(f"no Kubernetes configuration ({error}): set KUBECONFIG") from None
        self.api = client.ApiClient()
        self.custom = client.CustomObjectsApi(self.api)
        self.namespace = (
            namespace or (context or {}).get("context", {}).get("namespace") or "default"
        )

    def _call(self, what: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        from kubernetes.client.exceptions import ApiException

        try:
            return call(*args, **kwargs)
        except ApiException as error:
            if error.status == 404:
                raise CliError(f"{what} not found") from None
            if error.status in (409, 422):
                raise CliError(f"{what} changed while this command ran: run it again") from None
            if error.status in (401, 403):
                raise CliError(f"{what}: not allowed ({error.reason})") from None
            raise CliError(
                f"{what}: the Kubernetes API answered {error.status} {error.reason}"
            ) from None
        except OSError as error:
            raise CliError(f"cannot reach the Kubernetes API ({error})") from None

    def get(self, kind: str, name: str) -> dict[str, Any]:
        """One object (`CliError` naming it when it does not exist)."""
        plural = KIND_BY_NAME[kind].plural
        found = self._call(
            f"{kind} {self.namespace}/{name}",
            self.custom.get_namespaced_custom_object,
            GROUP,
            VERSION,
            self.namespace,
            plural,
            name,
        )
        return cast(dict[str, Any], found)

    def list(self, kind: str) -> list[dict[str, Any]]:
        """The objects of a kind in the namespace, by name."""
        found = self._call(
            f"{kind}s in {self.namespace}",
            self.custom.list_namespaced_custom_object,
            GROUP,
            VERSION,
            self.namespace,
            KIND_BY_NAME[kind].plural,
        )
        items = cast(list[dict[str, Any]], found.get("items", []))
        return sorted(items, key=lambda o: o["metadata"]["name"])

    def patch(self, kind: str, name: str, body: Any) -> None:
        """A merge patch (a dict) or a JSON patch (a list, with its `test` preconditions)."""
        self._call(
            f"{kind} {self.namespace}/{name}",
            self.custom.patch_namespaced_custom_object,
            GROUP,
            VERSION,
            self.namespace,
            KIND_BY_NAME[kind].plural,
            name,
            body,
        )

    def create(self, kind: str, body: dict[str, Any]) -> None:
        """Create an object."""
        self._call(
            f"{kind} {self.namespace}/{body['metadata']['name']}",
            self.custom.create_namespaced_custom_object,
            GROUP,
            VERSION,
            self.namespace,
            KIND_BY_NAME[kind].plural,
            body,
        )

    def username(self) -> str:
        """Who the API server says the current user is (a SelfSubjectReview)."""
        from kubernetes import client

        review = self._call(
            "SelfSubjectReview",
            client.AuthenticationV1Api(self.api).create_self_subject_review,
            {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
        )
        info = review.status.user_info if review and review.status else None
        if info is None or not info.username:
            raise CliError("the Kubernetes API did not say who you are (SelfSubjectReview)")
        return str(info.username)


# ---- approve ---------------------------------------------------------------------------------------


def cmd_approve(args: argparse.Namespace) -> int:
    """Approve the plan of a deployment's targets that wait for approval, as the current user."""
    cluster = Cluster(args.namespace)
    deployment = cluster.get("StoreDeployment", args.deployment)
    name = f"StoreDeployment {cluster.namespace}/{args.deployment}"
    targets = (deployment.get("status") or {}).get("targets") or []
    waiting = [t for t in targets if t.get("phase") == Phase.AWAITING_APPROVAL]
    if args.target:
        chosen = [t for t in targets if t.get("name") == args.target]
        if not chosen:
            names = ", ".join(t.get("name", "") for t in targets) or "none yet"
            raise CliError(f"{name} has no target {args.target!r} (targets: {names})")
        if chosen[0].get("phase") != "AwaitingApproval":
            raise CliError(
                f"{name}: target {args.target} is {chosen[0].get('phase')}, not awaiting approval"
            )
        waiting = chosen
    if not waiting:
        raise CliError(f"{name} has no target awaiting approval")
    digests = {t.get("planDigest") for t in waiting}
    if None in digests:
        raise CliError(f"{name}: a target's plan is not shown yet: approve once it is")
    if len(digests) > 1:
        raise CliError(f"{name}: its targets have different plans: approve each with --target")
    digest = str(digests.pop())
    if args.plan and args.plan != digest:
        raise CliError(
            f"{name}: the plan changed since it was shown (now {digest}, shown {args.plan}): "
            "review it again"
        )
    for target in waiting:
        print(f"{target['name']}: {plan_text(target)}")
    print(f"plan {digest}")
    user = cluster.username()
    if not args.yes:
        if not sys.stdin.isatty():
            raise CliError(
                "refusing to approve without confirmation: pass --yes when not at a terminal"
            )
        answer = input(f"Approve this plan as {user}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Not approved.")
            return 1
    meta = deployment["metadata"]
    patch: list[dict[str, Any]] = [
        # refused by the API server when anything changed since it was read (the plan included)
        {"op": "test", "path": "/metadata/resourceVersion", "value": meta["resourceVersion"]},
    ]
    if not meta.get("annotations"):
        patch.append({"op": "add", "path": "/metadata/annotations", "value": {}})
    for key, value in ((APPROVED_BY, user), (APPROVED_PLAN, digest)):
        patch.append(
            {"op": "add", "path": f"/metadata/annotations/{_pointer(key)}", "value": value}
        )
    cluster.patch("StoreDeployment", args.deployment, patch)
    print(f"approved {name} as {user}: it applies exactly plan {digest}")
    return 0


def _pointer(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def plan_text(target: dict[str, Any]) -> str:
    """`products +1 ~2 -0 (3 write requests)`."""
    parts = [
        f"{kind} +{c.get('create', 0)} ~{c.get('update', 0)} -{c.get('delete', 0)}"
        for kind, c in sorted((target.get("plan") or {}).items())
    ]
    text = ", ".join(parts) or "no catalog changes"
    if target.get("estimatedRequests") is not None:
        count = int(target["estimatedRequests"])
        text += f" ({count} write request{'' if count == 1 else 's'})"
    return text + scope_text(target)


# ---- status, get, history --------------------------------------------------------------------------


def _objects(args: argparse.Namespace) -> tuple[str, dict[str, list[dict[str, Any]]]]:
    """Where the objects are, and the objects by kind: the cluster, or a state directory."""
    if getattr(args, "state", None) is not None:
        state: Path = args.state
        if not (state / "status").is_dir():
            raise CliError(f"{state}: not a `stagingpro run` state directory (no status/)")
        from controller.standalone import FileWorld  # (the loop's parts load only when read)

        world = FileWorld(state, state)
        found: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KIND_BY_NAME}
        for (kind, namespace, name), status in sorted(world.status.items()):
            if kind in found and (args.namespace is None or namespace == args.namespace):
                meta = {"name": name, "namespace": namespace}
                found[kind].append({"kind": kind, "metadata": meta, "status": status})
        return str(state), found
    cluster = Cluster(args.namespace)
    return f"namespace {cluster.namespace}", {kind: cluster.list(kind) for kind in KIND_BY_NAME}


def _ready(obj: dict[str, Any]) -> str:
    ready = next(
        (c for c in (obj.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"),
        None,
    )
    if ready is None:
        return "-"
    return "Ready" if ready.get("status") == "True" else str(ready.get("reason") or "NotReady")


def _drift(obj: dict[str, Any]) -> str:
    drift = (obj.get("status") or {}).get("drift")
    if not drift:
        return "-"
    if drift.get("inSync"):
        return "in sync"
    total = sum(sum(c.values()) for c in (drift.get("counts") or {}).values())
    return f"{total} drifted"


def cmd_status(args: argparse.Namespace) -> int:
    """Environments with their drift, deployments with their targets, snapshots."""
    where, found = _objects(args)
    print(f"StagingPro in {where}")
    rows = [
        (
            f"{o['metadata'].get('namespace', '')}/{o['metadata']['name']}",
            _ready(o),
            _drift(o),
            ((o.get("status") or {}).get("store") or {}).get("timezone") or "",
        )
        for o in found["StoreEnvironment"]
    ]
    print()
    _table(("ENVIRONMENT", "READY", "DRIFT", "ZONE"), rows, "no environments")
    for o in found["StoreEnvironment"]:
        clone = (o.get("status") or {}).get("clone") or {}
        name = f"{o['metadata'].get('namespace', '')}/{o['metadata']['name']}"
        for field, what in (
            ("unmappedChannels", "channels of {} not mapped by name"),
            ("uncarriedThemes", "channels whose theme on {} was not carried"),
        ):
            if clone.get(field):
                print(f"{name}: {what.format(clone.get('source'))}:")
                for line in clone[field]:
                    print(f"  {line}")
    rows = []
    for o in found["StoreDeployment"]:
        status = o.get("status") or {}
        for t in status.get("targets") or [{}]:
            when = t.get("scheduledLocal") or ""
            if t.get("scheduledFor"):
                when += f" ({t['scheduledFor']})"
            rows.append(
                (
                    f"{o['metadata'].get('namespace', '')}/{o['metadata']['name']}",
                    str(status.get("phase") or "-"),
                    f"{t.get('name', '-')}{scope_text(t)}: {t.get('phase', '-')}",
                    when.strip(),
                )
            )
    print()
    _table(("DEPLOYMENT", "PHASE", "TARGET", "SCHEDULED (UTC)"), rows, "no deployments")
    rows = [
        (
            f"{o['metadata'].get('namespace', '')}/{o['metadata']['name']}",
            _ready(o),
            str((o.get("status") or {}).get("revision") or "-")[:12],
            "",
        )
        for o in found["CatalogSnapshot"]
    ]
    print()
    _table(("SNAPSHOT", "READY", "REVISION"), [r[:3] for r in rows], "no snapshots")
    return 0


def _table(headers: tuple[str, ...], rows: Sequence[tuple[str, ...]], empty: str) -> None:
    """Columns as wide as their widest cell (`empty` when there is no row)."""
    if not rows:
        print(empty)
        return
    lines = [headers, *rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(headers))]
    for line in lines:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip())


def cmd_get(args: argparse.Namespace) -> int:
    """One object's status as YAML."""
    import yaml

    kind = _kind(args.kind)
    cluster = Cluster(args.namespace)
    obj = cluster.get(kind, args.name)
    yaml.safe_dump(
        {
            "kind": kind,
            "metadata": {"name": args.name, "namespace": cluster.namespace},
            "kstatus": kstatus(obj),
            "status": obj.get("status") or {},
        },
        sys.stdout,
        sort_keys=False,
    )
    return 0


def _kind(word: str) -> str:
    kind = KIND_WORDS.get(word.lower()) or next(
        (k for k in KIND_BY_NAME if k.lower() == word.lower()), None
    )
    if kind is None:
        raise CliError(f"{word!r} is not a StagingPro kind ({', '.join(sorted(KIND_WORDS))})")
    return kind


def cmd_history(args: argparse.Namespace) -> int:
    """The releases to an environment, newest first, with their rollback snapshots."""
    cluster = Cluster(args.namespace)
    cluster.get("StoreEnvironment", args.environment)
    rows = []
    for deployment in cluster.list("StoreDeployment"):
        for t in (deployment.get("status") or {}).get("targets") or []:
            if environment_of(t) != args.environment:
                continue
            rows.append(
                (
                    str(t.get("finishedAt") or t.get("startedAt") or t.get("scheduledFor") or ""),
                    str(deployment["metadata"]["name"]),
                    str(t.get("phase")),
                    str(t.get("rollbackSnapshot") or "-"),
                )
            )
    rows.sort(reverse=True)
    _table(("WHEN", "DEPLOYMENT", "PHASE", "ROLLBACK SNAPSHOT"), rows, "no releases")
    return 0


# ---- rollback, reconcile, suspend, resume, wait ----------------------------------------------------


def cmd_rollback(args: argparse.Namespace) -> int:
    """A StoreDeployment of a target's rollback snapshot; it still needs approval."""
    cluster = Cluster(args.namespace)
    deployment = cluster.get("StoreDeployment", args.deployment)
    targets = (deployment.get("status") or {}).get("targets") or []
    if args.target:
        targets = [t for t in targets if t.get("name") == args.target]
    with_snapshot = [t for t in targets if t.get("rollbackSnapshot")]
    if not with_snapshot:
        raise CliError(
            f"StoreDeployment {cluster.namespace}/{args.deployment} has no rollback snapshot"
            + (f" for target {args.target}" if args.target else "")
        )
    if len(with_snapshot) > 1:
        raise CliError("several targets have a rollback snapshot: name one with --target")
    target = with_snapshot[0]
    environment, channel = environment_of(target), target.get("channel")
    name = f"{args.deployment}-rollback-{Target(environment, channel).object_part}"[:253]
    body = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "StoreDeployment",
        "metadata": {
            "name": name,
            "namespace": cluster.namespace,
            "labels": {"stagingpro.io/rollback-of": args.deployment},
        },
        "spec": {
            **(
                {"storefronts": [{"environment": environment, "channels": [channel]}]}
                if channel
                else {"targets": [environment]}
            ),
            "catalog": {"snapshotRef": {"name": target["rollbackSnapshot"]}},
            "approval": {"required": True},
        },
    }
    cluster.create("StoreDeployment", body)
    print(
        f"created StoreDeployment {cluster.namespace}/{name} of {target['rollbackSnapshot']}: "
        f"it shows its plan and waits for approval (stagingpro approve {name})"
    )
    return 0


def cmd_reconcile(args: argparse.Namespace) -> int:
    """Ask for a reconcile now (the annotation changes, so the operator looks at once)."""
    kind = _kind(args.kind)
    cluster = Cluster(args.namespace)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    cluster.patch(kind, args.name, {"metadata": {"annotations": {RECONCILE_REQUESTED: now}}})
    print(f"reconcile of {kind} {cluster.namespace}/{args.name} requested at {now}")
    return 0


def cmd_suspend(args: argparse.Namespace, suspend: bool = True) -> int:
    """Stop (or allow again) writes to an environment's store."""
    cluster = Cluster(args.namespace)
    cluster.patch("StoreEnvironment", args.environment, {"spec": {"suspend": suspend}})
    what = "suspended: no writes to its store" if suspend else "resumed"
    print(f"StoreEnvironment {cluster.namespace}/{args.environment} {what}")
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    """Allow writes again."""
    return cmd_suspend(args, suspend=False)


def cmd_wait(args: argparse.Namespace) -> int:
    """Wait until an object is Current (kstatus) or reaches a phase; 1 when it fails or times out."""
    kind = _kind(args.kind)
    cluster = Cluster(args.namespace)
    deadline = time.monotonic() + args.timeout
    while True:
        obj = cluster.get(kind, args.name)
        phase = (obj.get("status") or {}).get("phase")
        state = kstatus(obj)
        if args.phase:
            if phase == args.phase:
                print(f"{kind} {cluster.namespace}/{args.name}: {phase}")
                return 0
            if phase in FINAL:
                raise CliError(
                    f"{kind} {cluster.namespace}/{args.name} ended {phase}, not {args.phase}"
                )
        elif state == "Current":
            print(
                f"{kind} {cluster.namespace}/{args.name}: Current"
                + (f" ({phase})" if phase else "")
            )
            return 0
        elif state == "Failed":
            raise CliError(f"{kind} {cluster.namespace}/{args.name} failed: {_ready(obj)}")
        if time.monotonic() > deadline:
            raise CliError(
                f"timed out after {args.timeout:g} s waiting for {kind} {cluster.namespace}/"
                f"{args.name} (now {phase or state})"
            )
        time.sleep(args.interval)


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add the commands to the parser."""

    def command(name: str, help_: str, func: Any, epilog: str = "") -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = sub.add_parser(
            name,
            help=help_,
            description=help_[0].upper() + help_[1:] + ".",
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        parser.add_argument("-n", "--namespace", help="default: the kubeconfig context's")
        parser.set_defaults(func=func)
        return parser

    approve = command(
        "approve",
        "approve the plan a deployment shows, as your Kubernetes user",
        cmd_approve,
        "examples:\n  stagingpro approve holiday-release -n shop\n"
        "  stagingpro approve holiday-release --target production --plan sha256:...",
    )
    approve.add_argument("deployment")
    approve.add_argument("--target", help="approve this target only")
    approve.add_argument(
        "--plan", metavar="DIGEST", help="the plan digest you reviewed: refused if it changed since"
    )
    approve.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    status = command(
        "status",
        "environments with their drift, deployments with their targets, snapshots",
        cmd_status,
        "examples:\n  stagingpro status -n shop\n  stagingpro status --state .stagingpro",
    )
    status.add_argument(
        "--state", type=Path, metavar="DIR", help="a `stagingpro run` state directory"
    )
    get = command("get", "one object's status", cmd_get)
    get.add_argument("kind", help="environment, deployment or snapshot")
    get.add_argument("name")
    wait = command("wait", "wait until an object is Current, or reaches --phase", cmd_wait)
    wait.add_argument("kind")
    wait.add_argument("name")
    wait.add_argument("--phase", help="e.g. Succeeded or AwaitingApproval")
    wait.add_argument("--timeout", type=float, default=600.0, metavar="SECONDS")
    wait.add_argument(
        "--interval", type=float, default=2.0, metavar="SECONDS", help=argparse.SUPPRESS
    )
    history = command(
        "history", "the releases to an environment and their rollback snapshots", cmd_history
    )
    history.add_argument("environment")
    rollback = command(
        "rollback",
        "deploy a deployment's rollback snapshot (it still needs approval)",
        cmd_rollback,
    )
    rollback.add_argument("deployment")
    rollback.add_argument("--target")
    reconcile = command("reconcile", "reconcile an object now", cmd_reconcile)
    reconcile.add_argument("kind")
    reconcile.add_argument("name")
    for name, func, help_ in (
        ("suspend", cmd_suspend, "stop all writes to an environment's store"),
        ("resume", cmd_resume, "allow writes to an environment's store again"),
    ):
        command(name, help_, func).add_argument("environment")
