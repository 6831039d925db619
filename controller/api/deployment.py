"""`StoreDeployment`: promote a catalog snapshot, a theme and scripts to stores."""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from controller import cron
from controller.api.base import (
    CommonStatus,
    K8sName,
    LocalObjectReference,
    Model,
    known_zone,
)
from controller.api.environment import ChannelName
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
    configuration: Literal["original", "last_activated", "last_created"] = Field(
        "original",
        description="The configuration activated with it: as the theme declares it, the one "
        "last activated, or the one last created (the theme editor's latest changes).",
    )


class ScriptsRelease(Model):
    """A scripts file in Git (`scripts.yaml`)."""

    git: GitSource


class Schedule(Model):
    """When to run: once at a local wall-clock time, or at every time a cron expression names,
    in each target's zone or an explicit one."""

    at: Annotated[str, Field(pattern=LOCAL_DATETIME_PATTERN)] | None = Field(
        None, description="Local wall-clock time without offset, e.g. 2026-12-01T09:00:00."
    )
    cron: Annotated[str, Field(min_length=1, max_length=100)] | None = Field(
        None,
        description="A recurring release: a cron expression in local time (minute hour "
        "day-of-month month day-of-week, or @daily, @weekly ...), e.g. '0 6 * * mon'. A run "
        "missed while the operator was down runs once, late, and says so.",
    )
    timezone: Annotated[
        str, Field(max_length=64, pattern=r"^(store|[A-Za-z_]+(/[A-Za-z0-9_+\-]+)*)$")
    ] = Field("store", description="'store' for each target's own zone, or an IANA zone name.")

    _zone = field_validator("timezone")(known_zone)

    @field_validator("at")
    @classmethod
    def _parses(cls, value: str | None) -> str | None:
        if value is not None:
            datetime.fromisoformat(value)
        return value

    @field_validator("cron")
    @classmethod
    def _cron_parses(cls, value: str | None) -> str | None:
        if value is not None:
            cron.parse(value)
        return value

    @model_validator(mode="after")
    def _at_or_cron(self) -> Schedule:
        if (self.at is None) == (self.cron is None):
            raise ValueError("schedule: exactly one of at or cron")
        return self

    model_config = Model.model_config | {
        "json_schema_extra": {
            "x-kubernetes-validations": [
                {
                    "rule": "has(self.at) != has(self.cron)",
                    "message": "schedule: exactly one of at or cron",
                }
            ]
        }
    }


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


ZONE_PATTERN = r"^[A-Za-z_]+(/[A-Za-z0-9_+\-]+)*$"


class CatalogScope(enum.StrEnum):
    """What of the catalog a storefront target plans and applies."""

    STORE = "store"  # the whole store's catalog, as an environment target
    CHANNEL = "channel"  # only the target's channel's records


class StorefrontTarget(Model):
    """Channels (storefronts) of one environment: each is a target of its own, released at the
    schedule's local time in its channel's zone (declared in the environment's `channels`)."""

    environment: K8sName
    channels: Annotated[list[ChannelName], Field(min_length=1, max_length=100)] = Field(
        json_schema_extra={"x-kubernetes-list-type": "set"}
    )
    timezone: Annotated[str, Field(max_length=64, pattern=ZONE_PATTERN)] | None = Field(
        None, description="IANA zone for these channels, overriding their declared zones."
    )
    catalog_scope: CatalogScope = Field(
        CatalogScope.STORE,
        description="What of the catalog each channel's target plans and applies. `store` (the "
        "default): the whole store's catalog, as an environment target does. `channel`: only "
        "that channel's records: its category tree, products' assignments to the channel and "
        "into its tree, and its scripts, pages, redirects, widgets, placements, layouts, custom "
        "template associations and price list assignments; store-wide records (products' own "
        "fields, variants, brands, other channels' trees ...) are left out and never pruned.",
    )

    _zone = field_validator("timezone")(known_zone)


@dataclass(frozen=True)
class Target:
    """One target: an environment, or one channel of it (`environment/channel`)."""

    environment: str
    channel: str | None = None
    timezone: str | None = None
    catalog_scope: CatalogScope = CatalogScope.STORE

    @property
    def scope_channel(self) -> str | None:
        """The channel its catalog plan is limited to (None: the whole store)."""
        return self.channel if self.catalog_scope is CatalogScope.CHANNEL else None

    @property
    def name(self) -> str:
        """How status, approvals and the CLI name it."""
        return self.environment if self.channel is None else f"{self.environment}/{self.channel}"

    @property
    def object_part(self) -> str:
        """The target as part of an object name: the environment, and its channel's name in lower
        case with a short digest when that name is not a valid part as it is."""
        if self.channel is None:
            return self.environment
        slug = re.sub(r"[^a-z0-9]+", "-", self.channel.lower()).strip("-") or "channel"
        if slug != self.channel:
            slug += "-" + hashlib.sha256(self.channel.encode()).hexdigest()[:6]
        return f"{self.environment}-{slug}"


class StoreDeploymentSpec(Model):
    """Desired state of a `StoreDeployment`."""

    targets: Annotated[list[K8sName], Field(max_length=100)] = Field(
        default_factory=list,
        description="Environments released to as whole stores.",
        json_schema_extra={"x-kubernetes-list-type": "set"},
    )
    storefronts: Annotated[list[StorefrontTarget], Field(max_length=100)] = Field(
        default_factory=list,
        description="Channels of environments, each released to at its own local time.",
        json_schema_extra={
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["environment"],
        },
    )
    catalog: CatalogRelease | None = None
    theme: ThemeRelease | None = None
    scripts: ScriptsRelease | None = None
    schedule: Schedule | None = None
    strategy: Strategy = Field(default_factory=Strategy)
    approval: Approval = Field(default_factory=Approval)
    migration: Literal["v2-to-v3"] | None = Field(
        None,
        description="Migrate each target's Catalog V2 products (option sets, SKUs, rules) to V3 "
        "first, as `stagingpro migrate v2-to-v3` does: planned with the deployment (shown per "
        "product before approval), applied and verified (every SKU and option combination priced "
        "and weighed as before) before the catalog, scripts and theme; a difference stops the "
        "target before them.",
    )

    model_config = Model.model_config | {
        "json_schema_extra": {
            "x-kubernetes-validations": [
                {
                    "rule": "has(self.catalog) || has(self.theme) || has(self.scripts) || "
                    "has(self.migration)",
                    "message": "spec: at least one of catalog, theme, scripts or migration must "
                    "be set",
                },
                {
                    "rule": "(has(self.targets) && size(self.targets) > 0) || "
                    "(has(self.storefronts) && size(self.storefronts) > 0)",
                    "message": "spec: name at least one target or storefront",
                },
            ]
        }
    }

    @model_validator(mode="after")
    def _some_target_each_once(self) -> StoreDeploymentSpec:
        names = [t.name for t in self.releases()]
        if not names:
            raise ValueError("spec: name at least one target or storefront")
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"spec: {', '.join(twice)} named twice")
        if len(names) > 100:
            raise ValueError(f"spec: {len(names)} targets, at most 100")
        return self

    def releases(self) -> list[Target]:
        """Every target: the environments, then each storefront channel."""
        return [Target(e) for e in self.targets] + [
            Target(s.environment, c, s.timezone, s.catalog_scope)
            for s in self.storefronts
            for c in s.channels
        ]

    def environments(self) -> list[str]:
        """The environments the targets are in, each once."""
        return list(dict.fromkeys(t.environment for t in self.releases()))


class PlanCounts(Model):
    """Planned actions for one item kind."""

    create: int = 0
    update: int = 0
    delete: int = 0


class LastRun(Model):
    """How the last run of a recurring release ended."""

    scheduled_for: datetime
    phase: DeploymentPhase
    finished_at: datetime | None = None
    applied_revision: str | None = None
    rollback_snapshot: K8sName | None = None
    note: str | None = None


class MigrationStatus(Model):
    """A target's Catalog V2 to V3 migration: the plan, then what applying and verifying found."""

    planned: int = Field(0, description="Products to migrate.")
    kept: int = Field(0, description="Products kept as they are (each says why in `products`).")
    products: Annotated[list[str], Field(max_length=50)] = Field(
        default_factory=list, description="What each product becomes (the first 50)."
    )
    minimum_requests: int | None = Field(
        None, description="The fewest requests the API allows for it (reads and writes)."
    )
    migrated: int | None = Field(None, description="Products migrated.")
    requests: int | None = Field(None, description="Requests it took (reads and writes).")
    combinations: int | None = Field(
        None, description="SKU and option combinations priced and weighed again."
    )
    difference_count: int | None = None
    differences: Annotated[list[str], Field(max_length=50)] = Field(
        default_factory=list, description="Prices or weights a shopper sees otherwise (first 50)."
    )
    verified: bool | None = Field(None, description="Applied and nothing a shopper sees changed.")
    kept_plan: str | None = Field(
        None,
        description="While applying: the plan and what shoppers saw (gzip, base64), from which a "
        "run that stopped resumes.",
    )
    migrated_with: str | None = Field(
        None,
        description="The target of the same store that applied this migration in the same pass "
        "(these figures are its own: the migration was written once).",
    )


class TargetStatus(Model):
    """Where one target stands."""

    name: Annotated[str, Field(min_length=1, max_length=512)] = Field(
        description="The environment, or `environment/channel` for a storefront."
    )
    environment: K8sName | None = None
    channel: str | None = None
    phase: DeploymentPhase
    scheduled_for: datetime | None = Field(None, description="The UTC instant the target runs at.")
    scheduled_local: str | None = Field(
        None, description="The same instant in local time, with zone."
    )
    schedule_note: str | None = Field(
        None, description="Why the run differs from the time asked for."
    )
    plan: dict[str, PlanCounts] = Field(default_factory=dict)
    plan_channels: dict[str, PlanCounts] = Field(
        default_factory=dict,
        description="The catalog plan by the channel each change belongs to (`(store)`: "
        "store-wide records and fields), when a change belongs to another channel than the "
        "first storefront or the target is scoped to its channel.",
    )
    catalog_scope: CatalogScope | None = Field(
        None, description="`channel`: the catalog plan is limited to the target's channel."
    )
    out_of_scope: int | None = Field(
        None,
        description="Changes the catalog asks for outside the target's channel, left out.",
    )
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
    runs: int | None = Field(None, description="Recurring: the runs finished so far.")
    missed_runs: int | None = Field(
        None,
        description="Recurring: runs missed (the operator down) before this one, which runs "
        "once, late, for the latest of them.",
    )
    last_run: LastRun | None = Field(None, description="Recurring: how the last run ended.")
    migration: MigrationStatus | None = Field(
        None, description="The Catalog V2 to V3 migration (spec.migration)."
    )


def environment_of(target: Mapping[str, Any]) -> str:
    """The environment of a target as status shows it (statuses written before storefronts
    name only the environment)."""
    return str(target.get("environment") or target.get("name") or "")


def scope_text(target: Mapping[str, Any]) -> str:
    """` (EU only; 8 changes left out)` for a target scoped to its channel, as status shows it
    ("" for a whole-store one)."""
    if target.get("catalogScope") != CatalogScope.CHANNEL:
        return ""
    left = int(target.get("outOfScope") or 0)
    out = f"; {left} change{'' if left == 1 else 's'} left out" if left else ""
    return f" ({target.get('channel')} only{out})"


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
