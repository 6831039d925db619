"""What is worth telling people, read from status changes: a deployment target that is scheduled,
waits for approval, starts, succeeds, partly succeeds or fails; an environment that drifts or is in
sync again, whose credentials are rejected or whose quota is exhausted. Each is found once per change
of situation (a status that stays the same tells nothing new), never per poll."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from controller.api.deployment import DeploymentPhase as Phase
from controller.api.deployment import environment_of
from controller.text import plural

Severity = Literal["info", "success", "warning", "error"]
FINAL = tuple(p for p in Phase if p.final)


@dataclass(frozen=True)
class Happening:
    """One event for people. `environment` is the StoreEnvironment whose receivers hear of it."""

    event: str
    severity: Severity
    kind: str
    namespace: str
    name: str
    environment: str
    title: str
    text: str
    at: datetime
    target: str | None = None


def happenings(
    obj: Mapping[str, Any], before: Mapping[str, Any], after: Mapping[str, Any], now: datetime
) -> list[Happening]:
    """The events between two statuses of one object."""
    kind = str(obj.get("kind"))
    meta = obj.get("metadata") or {}
    namespace, name = str(meta.get("namespace", "default")), str(meta.get("name", ""))
    if kind == "StoreDeployment":
        return list(_deployment(namespace, name, before, after, now))
    if kind == "StoreEnvironment":
        return list(_environment(namespace, name, before, after, now))
    return []


def _deployment(
    namespace: str, name: str, before: Mapping[str, Any], after: Mapping[str, Any], now: datetime
) -> Iterator[Happening]:
    was = {t.get("name"): t for t in before.get("targets") or []}
    for target in after.get("targets") or []:
        env = str(target.get("name"))
        environment = environment_of(target)
        old = (was.get(env) or {}).get("phase")
        phase = target.get("phase")
        if phase == old:
            continue

        def event(
            what: str,
            severity: Severity,
            title: str,
            text: str,
            env: str = env,
            environment: str = environment,
        ) -> Happening:
            return Happening(
                what,
                severity,
                "StoreDeployment",
                namespace,
                name,
                environment,
                title,
                text,
                now,
                env,
            )

        plan = _plan(target)
        if phase == Phase.SCHEDULED:
            when = target.get("scheduledLocal") or target.get("scheduledFor") or "later"
            yield event(
                "Scheduled",
                "info",
                f"{name} is scheduled for {env}",
                f"Deployment {name} runs on {env} at {when}.",
            )
        elif phase == Phase.AWAITING_APPROVAL:
            yield event(
                "AwaitingApproval",
                "warning",
                f"{name} waits for approval on {env}",
                f"Deployment {name} waits for approval to change {env}: {plan}. Review the plan, "
                f"then approve it: stagingpro approve {name} --target {env} -n {namespace}",
            )
        elif phase == Phase.APPLYING or (
            phase in FINAL and target.get("startedAt") and old not in (Phase.APPLYING, *FINAL)
        ):
            yield event(
                "Started",
                "info",
                f"{name} started on {env}",
                f"Deployment {name} applies {plan} to {env}.",
            )
        if phase == Phase.SUCCEEDED:
            yield event(
                "Succeeded",
                "success",
                f"{name} succeeded on {env}",
                f"Deployment {name} succeeded on {env}: {target.get('progress') or plan}.",
            )
        elif phase in (Phase.PARTIALLY_SUCCEEDED, Phase.FAILED):
            errors = target.get("errors") or []
            first = f" First error: {errors[0]}" if errors else ""
            label = "partly succeeded" if phase == Phase.PARTIALLY_SUCCEEDED else "failed"
            yield event(
                phase,
                "error",
                f"{name} {label} on {env}",
                f"Deployment {name} {label} on {env}"
                + (f" ({target['progress']})" if target.get("progress") else "")
                + f": {plural(len(errors), 'error')}.{first}",
            )


def _plan(target: Mapping[str, Any]) -> str:
    """`products +1 ~2 -0, 3 write requests`."""
    counts = target.get("plan") or {}
    parts = [
        f"{kind} +{c.get('create', 0)} ~{c.get('update', 0)} -{c.get('delete', 0)}"
        for kind, c in sorted(counts.items())
    ]
    text = ", ".join(parts) or "no catalog changes"
    if target.get("estimatedRequests") is not None:
        text += f" ({plural(int(target['estimatedRequests']), 'write request')})"
    return text


def _condition(status: Mapping[str, Any], type_: str) -> Mapping[str, Any]:
    found: Mapping[str, Any] = next(
        (c for c in status.get("conditions") or [] if c.get("type") == type_), {}
    )
    return found


def _environment(
    namespace: str, name: str, before: Mapping[str, Any], after: Mapping[str, Any], now: datetime
) -> Iterator[Happening]:
    def event(what: str, severity: Severity, title: str, text: str) -> Happening:
        return Happening(
            what, severity, "StoreEnvironment", namespace, name, name, title, text, now
        )

    drifted = _condition(after, "Drifted").get("status") == "True"
    was_drifted = _condition(before, "Drifted").get("status") == "True"
    if drifted and not was_drifted:
        yield event(
            "DriftDetected",
            "warning",
            f"{name} drifted from its catalog",
            f"The store of {name} differs from its desired catalog: {_drift(after)}.",
        )
    elif was_drifted and not drifted and (after.get("drift") or {}).get("inSync"):
        yield event(
            "DriftCleared",
            "success",
            f"{name} matches its catalog again",
            f"The store of {name} matches its desired catalog again.",
        )
    ready, was_ready = _condition(after, "Ready"), _condition(before, "Ready")
    if ready.get("reason") == "CredentialsRejected" != was_ready.get("reason"):
        yield event(
            "CredentialsRejected",
            "error",
            f"{name}: the store rejected its credentials",
            f"The store of {name} rejected its API token: {ready.get('message') or 'no message'}. "
            "Nothing is written to it until its Secret holds a valid token.",
        )
    limited = _condition(after, "RateLimited").get("status") == "True"
    if limited and _condition(before, "RateLimited").get("status") != "True":
        yield event(
            "QuotaExhausted",
            "warning",
            f"{name}: the store's API quota is exhausted",
            f"The store of {name} refuses requests for its API quota: "
            f"{_condition(after, 'RateLimited').get('message') or 'rate limited'}.",
        )


def _drift(status: Mapping[str, Any]) -> str:
    counts = (status.get("drift") or {}).get("counts") or {}
    parts = []
    for kind, c in sorted(counts.items()):
        found = [f"{c[w]} {w}" for w in ("missing", "extra", "changed") if c.get(w)]
        if found:
            parts.append(f"{kind} {', '.join(found)}")
    return "; ".join(parts) or "see its status"
