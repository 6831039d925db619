"""Condition types, reasons, and the one helper that sets a condition."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from controller.api.base import Condition, ConditionStatus

# Condition types (kstatus: Ready, Reconciling, Stalled; the rest are domain conditions).
READY: Final = "Ready"
RECONCILING: Final = "Reconciling"
STALLED: Final = "Stalled"
DRIFTED: Final = "Drifted"
RATE_LIMITED: Final = "RateLimited"
SOURCE_FETCH_FAILED: Final = "SourceFetchFailed"
SCHEDULE_ADJUSTED: Final = "ScheduleAdjusted"

# Types that appear only while true (removed when they become false).
TRANSIENT_TYPES: Final = frozenset(
    {RECONCILING, STALLED, DRIFTED, RATE_LIMITED, SOURCE_FETCH_FAILED}
)


class Reason:
    """CamelCase reasons used in conditions and events."""

    SUCCEEDED: Final = "Succeeded"
    ANONYMISATION_KEY_TOO_SHORT: Final = "AnonymisationKeyTooShort"
    PROGRESSING: Final = "Progressing"
    IN_SYNC: Final = "InSync"
    DRIFT_DETECTED: Final = "DriftDetected"
    CREDENTIALS_REJECTED: Final = "CredentialsRejected"
    SECRET_NOT_FOUND: Final = "SecretNotFound"
    SECRET_KEY_NOT_FOUND: Final = "SecretKeyNotFound"
    INVALID_SPEC: Final = "InvalidSpec"
    STORE_UNAVAILABLE: Final = "StoreUnavailable"
    RATE_LIMITED: Final = "RateLimited"
    REPOSITORY_UNREACHABLE: Final = "RepositoryUnreachable"
    AUTHENTICATION_FAILED: Final = "AuthenticationFailed"
    REF_NOT_FOUND: Final = "RefNotFound"
    PATH_NOT_FOUND: Final = "PathNotFound"
    CATALOG_INVALID: Final = "CatalogInvalid"
    DELETE_LIMIT_EXCEEDED: Final = "DeleteLimitExceeded"
    AWAITING_APPROVAL: Final = "AwaitingApproval"
    SCHEDULED: Final = "Scheduled"
    NONEXISTENT_LOCAL_TIME: Final = "NonexistentLocalTime"
    AMBIGUOUS_LOCAL_TIME: Final = "AmbiguousLocalTime"
    SUSPENDED: Final = "Suspended"
    FAILED: Final = "Failed"
    TARGET_NOT_FOUND: Final = "TargetNotFound"
    CHANNEL_NOT_DECLARED: Final = "ChannelNotDeclared"
    MISSED_RUN: Final = "MissedRun"
    SNAPSHOT_NOT_FOUND: Final = "SnapshotNotFound"
    SNAPSHOT_NOT_READY: Final = "SnapshotNotReady"
    ENVIRONMENT_NOT_FOUND: Final = "EnvironmentNotFound"
    ENVIRONMENT_NOT_READY: Final = "EnvironmentNotReady"
    CLONE_SOURCE_NOT_FOUND: Final = "CloneSourceNotFound"
    EMPTY_CAPTURE_REFUSED: Final = "EmptyCaptureRefused"
    PLAN_CHANGED: Final = "PlanChangedSinceApproval"
    MIGRATION_DIFFERS: Final = "MigrationDiffers"
    MIGRATION_TOO_LARGE: Final = "MigrationTooLarge"
    PLAN_CHANGED_BY_MIGRATION: Final = "PlanChangedByMigration"


def set_condition(
    conditions: list[Condition],
    type_: str,
    status: ConditionStatus,
    reason: str,
    message: str = "",
    *,
    generation: int | None = None,
    now: datetime | None = None,
) -> list[Condition]:
    """Return `conditions` with `type_` set; `lastTransitionTime` moves only when the status does.

    Transient types (`Reconciling`, `Stalled`, `Drifted` ...) are removed instead of being set
    to `False`, as kstatus expects of abnormal-true conditions.
    """
    existing = next((c for c in conditions if c.type == type_), None)
    others = [c for c in conditions if c.type != type_]
    if status == "False" and type_ in TRANSIENT_TYPES:
        return others
    changed = existing is None or existing.status != status
    transition = (
        (now or datetime.now(UTC)) if changed or existing is None else existing.last_transition_time
    )
    updated = Condition(
        type=type_,
        status=status,
        reason=reason,
        message=message,
        last_transition_time=transition,
        observed_generation=generation,
    )
    result = [*others, updated]
    result.sort(key=lambda c: (c.type != READY, c.type))
    return result


def get_condition(conditions: list[Condition], type_: str) -> Condition | None:
    """The condition of that type, if present."""
    return next((c for c in conditions if c.type == type_), None)


def is_true(conditions: list[Condition], type_: str) -> bool:
    """Whether the condition of that type is present and `True`."""
    found = get_condition(conditions, type_)
    return found is not None and found.status == "True"


def kstatus(obj: Mapping[str, Any]) -> str:
    """The object's status as kstatus computes it for a custom resource (the rules Flux's `wait`,
    `kubectl`'s kstatus waiters and Config Sync use): `Terminating` while deleted, `InProgress`
    while `status.observedGeneration` lags `metadata.generation` or `Reconciling` is true,
    `Failed` while `Stalled` is true, else `Current` (`Ready` itself is not read)."""
    meta, status = obj.get("metadata") or {}, obj.get("status") or {}
    if meta.get("deletionTimestamp"):
        return "Terminating"
    observed = status.get("observedGeneration")
    if observed is not None and observed != meta.get("generation"):
        return "InProgress"
    conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
    if conditions.get(RECONCILING) == "True":
        return "InProgress"
    if conditions.get(STALLED) == "True":
        return "Failed"
    return "Current"
