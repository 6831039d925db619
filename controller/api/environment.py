"""`StoreEnvironment`: one BigCommerce store and where its credentials live."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from controller.access.urls import BIGCOMMERCE_API_ORIGIN, UrlRefused, api_base
from controller.api.base import (
    DURATION_PATTERN,
    CommonStatus,
    LocalObjectReference,
    Model,
    SecretKeyReference,
    known_zone,
)
from controller.api.notification import Receivers, ReceiverStatus
from controller.catalog.anonymise import NEVER_KEPT
from controller.catalog.kinds import Kind

DEFAULT_API_URL = BIGCOMMERCE_API_ORIGIN


class StoreRef(Model):
    """How to reach the store's API."""

    hash: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9]+$")] = Field(
        description="The store hash, as in https://api.bigcommerce.com/stores/{hash}/v3."
    )
    api_url: Annotated[str, Field(pattern=r"^https?://[^\s/@?#]+(/[^\s?#]*)?$")] = Field(
        DEFAULT_API_URL,
        description="API origin (no user:password); point it at the emulator or a proxy. The store "
        "path is appended. It must be on the operator's allow-list and match the annotations of "
        "the credentials Secret.",
    )
    credentials_secret_ref: SecretKeyReference = Field(
        description="Secret key holding the X-Auth-Token; only the operator reads it."
    )

    @field_validator("api_url", mode="before")
    @classmethod
    def _no_path_elsewhere(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        try:
            api_base(value)
        except UrlRefused as error:
            raise ValueError(str(error)) from None
        return value


class CatalogBinding(Model):
    """The desired catalog kept continuously in sync with this store."""

    snapshot_ref: LocalObjectReference


class SyncPolicy(Model):
    """How the operator treats differences between the store and its desired catalog."""

    mode: Literal["observe", "sync"] = Field(
        "observe", description="observe reports drift only; sync applies the desired catalog."
    )
    self_heal: bool = Field(
        False, description="In sync mode, also correct drift made in the store."
    )
    prune: bool = Field(False, description="Delete store items that the desired catalog lacks.")
    interval: Annotated[str, Field(pattern=DURATION_PATTERN)] = Field(
        "5m", description="Drift check period, e.g. 30s, 5m, 1h."
    )
    full_resync_interval: Annotated[str, Field(pattern=DURATION_PATTERN)] = Field(
        "6h",
        description="A drift check reads only what changed in the store since the last one; "
        "every this often it reads the whole store again.",
    )
    max_delete_percent: Annotated[int, Field(ge=0, le=100)] = Field(
        10, description="Refuse a plan that deletes more than this share of any item kind."
    )


class IgnoreDifference(Model):
    """Fields of one item kind that are never compared nor written."""

    kind: Kind = Field(description="A record kind, as plans and drift name it.")
    fields: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]


CUSTOMER_FIELDS = r"^(phone|company|notes|storeCredit|customerGroup|(attribute|form):.{1,255})$"


class CustomerRule(Model):
    """What a clone does with one customer field: `phone`, `company`, `notes`, `storeCredit`,
    `customerGroup`, `attribute:NAME` or `form:NAME` (`attribute:*`, `form:*` for all); emails,
    names and addresses are always replaced."""

    field: Annotated[str, Field(pattern=CUSTOMER_FIELDS)]
    action: Literal["keep", "mask", "drop"]

    @model_validator(mode="after")
    def _personal_texts_never_kept(self) -> CustomerRule:
        if self.field in NEVER_KEPT and self.action == "keep":
            raise ValueError(f"{self.field} is personal data: mask or drop it")
        return self

    model_config = Model.model_config | {
        "json_schema_extra": {
            "x-kubernetes-validations": [
                {
                    "rule": "!(self.field in ['phone', 'company', 'notes'] && self.action == 'keep')",
                    "message": "phone, company and notes are personal data: mask or drop them",
                }
            ]
        }
    }


class CustomerCloning(Model):
    """How a sandbox clone copies its source's customers: anonymised, never as they are."""

    enabled: bool = Field(True, description="Clone the source's customers (anonymised).")
    key_secret_ref: SecretKeyReference | None = Field(
        None,
        description="The Secret key (at least 16 bytes) keying the pseudonyms: the same source "
        "customer is the same fake person while it stays; without it, a key derived from this "
        "environment's own store token.",
    )
    rules: Annotated[list[CustomerRule], Field(max_length=100)] = Field(
        default_factory=list,
        description="Per field: keep, mask or drop (defaults: phone and company masked, notes "
        "dropped, attribute and form values masked, store credit and group kept).",
    )


class CloneSource(LocalObjectReference):
    """The environment a sandbox is seeded from, and how its customers are copied."""

    customers: CustomerCloning = Field(default_factory=CustomerCloning)
    inventory: bool = Field(
        False,
        description="Clone the source's inventory locations and the stock of each SKU at each "
        "(operational data of the live store: copied on request only, never deployed).",
    )


ChannelName = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^\S(.*\S)?$")]
"""A channel (storefront) as the store names it."""


class Channel(Model):
    """A channel (storefront) of the store and the time zone of its shoppers: a deployment at a
    local time runs on this channel at that time in this zone."""

    name: ChannelName = Field(description="The channel's name, as the store names it.")
    timezone: Annotated[str, Field(max_length=64, pattern=r"^[A-Za-z_]+(/[A-Za-z0-9_+\-]+)*$")] = (
        Field(description="IANA zone of the channel's shoppers, e.g. Europe/Paris.")
    )

    _zone = field_validator("timezone")(known_zone)


class StoreEnvironmentSpec(Model):
    """Desired state of a `StoreEnvironment`."""

    role: Literal["production", "sandbox"]
    platform: Literal["bigcommerce"] = "bigcommerce"
    store: StoreRef
    region: Annotated[str, Field(max_length=63)] | None = None
    timezone: (
        Annotated[str, Field(max_length=64, pattern=r"^[A-Za-z_]+(/[A-Za-z0-9_+\-]+)*$")] | None
    ) = Field(None, description="IANA zone overriding the store's own (observed) time zone.")
    channels: Annotated[list[Channel], Field(max_length=100)] = Field(
        default_factory=list,
        description="The store's channels (storefronts) that deployments name, each with its "
        "shoppers' time zone.",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]},
    )
    clone_from: CloneSource | None = Field(
        None, description="Sandbox only: seed this store from that environment's live catalog."
    )
    catalog: CatalogBinding | None = None
    sync_policy: SyncPolicy = Field(default_factory=SyncPolicy)
    ignore_differences: list[IgnoreDifference] = Field(default_factory=list)
    suspend: bool = Field(False, description="Stop all writes; observation continues.")
    notifications: Receivers = Field(
        default_factory=list,
        description="Who is told about this store's deployments, drift, rejected credentials "
        "and exhausted quota.",
    )

    _zone = field_validator("timezone")(known_zone)

    def channel_zone(self, channel: str) -> str | None:
        """The declared zone of a channel (None: not declared)."""
        return next((c.timezone for c in self.channels if c.name == channel), None)

    @model_validator(mode="after")
    def _channels_once(self) -> StoreEnvironmentSpec:
        names = [c.name for c in self.channels]
        if len(set(names)) != len(names):
            raise ValueError("spec.channels names a channel twice")
        return self

    @model_validator(mode="after")
    def _clone_only_for_sandboxes(self) -> StoreEnvironmentSpec:
        if self.clone_from is not None and self.role != "sandbox":
            raise ValueError("cloneFrom is allowed only when role is sandbox")
        return self

    model_config = Model.model_config | {
        "json_schema_extra": {
            "x-kubernetes-validations": [
                {
                    "rule": "!has(self.cloneFrom) || self.role == 'sandbox'",
                    "message": "spec.cloneFrom is allowed only when spec.role is sandbox",
                    "fieldPath": ".cloneFrom",
                }
            ]
        }
    }


class StoreInfo(Model):
    """The store profile as observed."""

    name: str | None = None
    domain: str | None = None
    timezone: str | None = None
    currency: str | None = None
    plan: str | None = None


class Inventory(Model):
    """Item counts observed in the store."""

    products: int = 0
    variants: int = 0
    categories: int = 0
    brands: int = 0


class DriftCounts(Model):
    """Drift of one item kind."""

    missing: int = 0
    extra: int = 0
    changed: int = 0


class DriftSample(Model):
    """One drifted item."""

    kind: str
    key: str
    change: Literal["missing", "extra", "changed"]
    fields: list[str] = Field(default_factory=list)


class DriftStatus(Model):
    """Differences between the store and its desired catalog."""

    in_sync: bool
    revision: str | None = None
    counts: dict[str, DriftCounts] = Field(default_factory=dict)
    samples: Annotated[list[DriftSample], Field(max_length=20)] = Field(default_factory=list)


class ClonePhase(enum.StrEnum):
    """Where seeding a sandbox stands."""

    PENDING = "Pending"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"


class CloneStatus(Model):
    """Progress of seeding a sandbox from another environment."""

    source: str
    phase: ClonePhase
    progress: str | None = None
    refresh_token: str | None = Field(
        None, description="Value of the refresh annotation last served."
    )
    finished_at: datetime | None = None
    customers: int | None = Field(None, description="Customers cloned (anonymised).")
    customer_rules: list[str] = Field(
        default_factory=list, description="The rules they were anonymised under (`field: action`)."
    )
    channels: list[str] = Field(
        default_factory=list,
        description="The source's channels found or made in the sandbox by name (its first "
        "storefront is the sandbox's first).",
    )
    unmapped_channels: list[str] = Field(
        default_factory=list,
        description="The source's channels the sandbox could not be given by name, with why.",
    )
    themes: list[str] = Field(
        default_factory=list,
        description="Each channel's active theme carried from the source (`channel: Theme "
        "(Variation)`), with the source channel's configuration settings.",
    )
    uncarried_themes: list[str] = Field(
        default_factory=list,
        description="The channels whose active theme could not be carried, with why.",
    )
    first_error: str | None = Field(
        None, description="The first thing a failed clone could not write, with why."
    )
    uncarried_products: list[str] = Field(
        default_factory=list,
        description="The source's products left out of the sandbox, with why (a product without "
        "a SKU: the clone keys products by SKU).",
    )


class DeployedCatalog(Model):
    """The catalog last deployed to this store (drift is checked against it when the environment
    has no `catalog.snapshotRef`)."""

    snapshot: str
    revision: str | None = None
    deployment: str | None = None
    at: datetime | None = None


class ObservationStatus(Model):
    """How the store was last observed."""

    mode: Literal["full", "incremental", "webhooks"] = Field(
        description="full: the whole store read; incremental: only what changed since the last "
        "check; webhooks: what the store's webhooks named, and counts."
    )
    last_full_read_at: datetime | None = None
    requests: int = Field(0, description="Store API requests the last check spent observing.")


class StoreEnvironmentStatus(CommonStatus):
    """Observed state of a `StoreEnvironment`."""

    store: StoreInfo | None = None
    inventory: Inventory | None = None
    last_synced_revision: str | None = None
    last_checked_at: datetime | None = None
    drift: DriftStatus | None = None
    observation: ObservationStatus | None = None
    clone: CloneStatus | None = None
    notifications: list[ReceiverStatus] | None = Field(
        None, description="The last deliveries to each receiver."
    )
    last_deployed: DeployedCatalog | None = None
