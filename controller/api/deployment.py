"""`StoreDeployment`: promote a catalog snapshot, a theme and scripts to stores."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

from pydantic import Field, field_validator

from controller.api.base import (
    CommonStatus,
    K8sName,
    LocalObjectReference,
    Model,
    known_zone,
)
from controller.api.snapshot import GitSource

LOCAL_DATETIME_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?$"


class DeploymentPhase(enum.StrEnum):
    """Where a deployment, or one of its targets, stands."""

    PENDING = "Pending"
    SCHEDULED = "Scheduled"
    AWAITING_APPROVAL = "AwaitingApproval"
    PLANNING = "Planning"
    APPLYING = "Applying"
    SUCCEEDED = "Succeeded"
    PARTIALLY_SUCCEEDED = "PartiallySucceeded"
    FAILED = "Failed"

    @property
    def final(self) -> bool:
        """The target (or deployment) reached its outcome: nothing more happens to it."""
        return self in (self.SUCCEEDED, self.PARTIALLY_SUCCEEDED, self.FAILED)


class CatalogRelease(Model):
    """The catalog to promote."""

    snapshot_ref: LocalObjectReference


class ThemeRelease(Model):
    """A Stencil theme directory in Git, uploaded and optionally activated."""

    git: GitSource
    activate: bool = True
    variation_name: Annotated[str, Field(min_length=1, max_length=255)] | None = None


class ScriptsRelease(Model):
    """A scripts file in Git (`scripts.yaml`)."""

    git: GitSource


class Schedule(Model):
    """When to run: a local wall-clock time, in each target store's zone or an explicit one."""

    at: Annotated[str, Field(pattern=LOCAL_DATETIME_PATTERN)] = Field(
        description="Local wall-clock time without offset, e.g. 2026-12-01T09:00:00."
    )
    timezone: Annotated[
        str, Field(max_length=64, pattern=r"^(store|[A-Za-z_]+(/[A-Za-z0-9_+\-]+)*)$")
    ] = Field("store", description="'store' for each target's own zone, or an IANA zone name.")

    _zone = field_validator("timezone")(known_zone)

    @field_validator("at")
    @classmethod
    def _parses(cls, value: str) -> str:
        datetime.fromisoformat(value)
        return value


class Strategy(Model):
    """How changes are applied."""

    prune: bool = False
    dry_run: bool = False
    max_delete_percent: Annotated[int, Field(ge=0, le=100)] = 10


class Approval(Model):
    """Whether a person must approve (annotation `stagingpro.io/approved-by`) before writing."""

    required: bool | None = Field(
        None, description="Defaults to true when any target is a production environment."
    )


class StoreDeploymentSpec(Model):
    """Desired state of a `StoreDeployment`."""

    targets: Annotated[list[K8sName], Field(min_length=1, max_length=100)] = Field(
        json_schema_extra={"x-kubernetes-list-type": "set"}
    )
    catalog: CatalogRelease | None = None
    theme: ThemeRelease | None = None
    scripts: ScriptsRelease | None = None
    schedule: Schedule | None = None
    strategy: Strategy = Field(default_factory=Strategy)
    approval: Approval = Field(default_factory=Approval)

    model_config = Model.model_config | {
        "json_schema_extra": {
            "x-kubernetes-validations": [
                {
                    "rule": "has(self.catalog) || has(self.theme) || has(self.scripts)",
                    "message": "spec: at least one of catalog, theme or scripts must be set",
                }
            ]
        }
    }


class PlanCounts(Model):
    """Planned actions for one item kind."""

    create: int = 0
    update: int = 0
    delete: int = 0


class TargetStatus(Model):
    """Where one target stands."""

    name: K8sName
    phase: DeploymentPhase
    scheduled_for: datetime | None = Field(None, description="The UTC instant the target runs at.")
    scheduled_local: str | None = Field(
        None, description="The same instant in local time, with zone."
    )
    schedule_note: str | None = Field(
        None, description="Why the run differs from the time asked for."
    )
    plan: dict[str, PlanCounts] = Field(default_factory=dict)
    estimated_requests: int | None = None
    progress: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    errors: Annotated[list[str], Field(max_length=50)] = Field(default_factory=list)
    rollback_snapshot: K8sName | None = None
    rollback_note: str | None = None
    applied_revision: str | None = None
    plan_digest: str | None = Field(
        None, description="Digest of the plan last shown (what an approval approves)."
    )
    outcomes: dict[str, dict[str, int]] = Field(default_factory=dict)
    theme: str | None = Field(None, description="The theme uploaded for this target (its uuid).")


class ApprovalRecord(Model):
    """Who approved which plans, and when: an approval holds for these plans only."""

    by: str
    at: datetime
    plans: dict[str, str] = Field(
        default_factory=dict, description="Plan digest approved, by target."
    )


class StoreDeploymentStatus(CommonStatus):
    """Observed state of a `StoreDeployment`."""

    phase: DeploymentPhase = DeploymentPhase.PENDING
    approved_by: str | None = None
    approval: ApprovalRecord | None = None
    targets: list[TargetStatus] = Field(
        default_factory=list,
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]},
    )
