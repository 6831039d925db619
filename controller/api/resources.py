"""The three kinds: whole-object models and the facts a CRD needs about each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from controller.api.base import K8sName, Model
from controller.api.deployment import StoreDeploymentSpec, StoreDeploymentStatus
from controller.api.environment import StoreEnvironmentSpec, StoreEnvironmentStatus
from controller.api.snapshot import CatalogSnapshotSpec, CatalogSnapshotStatus


class ObjectMeta(BaseModel):
    """The parts of Kubernetes object metadata StagingPro reads; the rest is kept as is."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    name: K8sName
    namespace: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    generation: int | None = None
    uid: str | None = None


class StoreEnvironment(Model):
    """A production or sandbox BigCommerce store."""

    api_version: Literal["stagingpro.io/v1alpha1"] = "stagingpro.io/v1alpha1"
    kind: Literal["StoreEnvironment"] = "StoreEnvironment"
    metadata: ObjectMeta
    spec: StoreEnvironmentSpec
    status: StoreEnvironmentStatus | None = None


class CatalogSnapshot(Model):
    """A desired catalog."""

    api_version: Literal["stagingpro.io/v1alpha1"] = "stagingpro.io/v1alpha1"
    kind: Literal["CatalogSnapshot"] = "CatalogSnapshot"
    metadata: ObjectMeta
    spec: CatalogSnapshotSpec
    status: CatalogSnapshotStatus | None = None


class StoreDeployment(Model):
    """A promotion of content to one or more stores."""

    api_version: Literal["stagingpro.io/v1alpha1"] = "stagingpro.io/v1alpha1"
    kind: Literal["StoreDeployment"] = "StoreDeployment"
    metadata: ObjectMeta
    spec: StoreDeploymentSpec
    status: StoreDeploymentStatus | None = None


Resource = StoreEnvironment | CatalogSnapshot | StoreDeployment


@dataclass(frozen=True)
class KindInfo:
    """What a CRD and the operator need to know about one kind."""

    kind: str
    plural: str
    short_names: tuple[str, ...]
    model: type[Model]
    spec_model: type[Model]
    status_model: type[Model]
    printer_columns: tuple[dict[str, Any], ...]
    description: str

    @property
    def singular(self) -> str:
        """Lower-case singular name."""
        return self.kind.lower()


def _condition_column(name: str, type_: str, field: str = "status") -> dict[str, Any]:
    return {
        "name": name,
        "type": "string",
        "jsonPath": f'.status.conditions[?(@.type=="{type_}")].{field}',
    }


_AGE = {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
_MESSAGE = {
    "name": "Message",
    "type": "string",
    "priority": 1,
    "jsonPath": '.status.conditions[?(@.type=="Ready")].message',
}

KINDS: tuple[KindInfo, ...] = (
    KindInfo(
        kind="StoreEnvironment",
        plural="storeenvironments",
        short_names=("senv",),
        model=StoreEnvironment,
        spec_model=StoreEnvironmentSpec,
        status_model=StoreEnvironmentStatus,
        printer_columns=(
            {"name": "Role", "type": "string", "jsonPath": ".spec.role"},
            {"name": "Store", "type": "string", "jsonPath": ".spec.store.hash"},
            _condition_column("Ready", "Ready"),
            {"name": "In-Sync", "type": "boolean", "jsonPath": ".status.drift.inSync"},
            {"name": "Products", "type": "integer", "jsonPath": ".status.inventory.products"},
            _AGE,
            _MESSAGE,
        ),
        description="A BigCommerce store (production or sandbox) managed by StagingPro.",
    ),
    KindInfo(
        kind="CatalogSnapshot",
        plural="catalogsnapshots",
        short_names=("csnap",),
        model=CatalogSnapshot,
        spec_model=CatalogSnapshotSpec,
        status_model=CatalogSnapshotStatus,
        printer_columns=(
            _condition_column("Ready", "Ready"),
            {"name": "Revision", "type": "string", "jsonPath": ".status.revision"},
            {"name": "Products", "type": "integer", "jsonPath": ".status.counts.products"},
            _AGE,
            _MESSAGE,
        ),
        description="A desired catalog: files in Git, a capture of a live store, or inline items.",
    ),
    KindInfo(
        kind="StoreDeployment",
        plural="storedeployments",
        short_names=("sdeploy",),
        model=StoreDeployment,
        spec_model=StoreDeploymentSpec,
        status_model=StoreDeploymentStatus,
        printer_columns=(
            {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
            _condition_column("Ready", "Ready"),
            {"name": "Targets", "type": "string", "jsonPath": ".spec.targets"},
            {"name": "At", "type": "string", "jsonPath": ".spec.schedule.at"},
            _AGE,
            _MESSAGE,
        ),
        description="Promotes a catalog snapshot, theme and scripts to stores, now or later.",
    ),
)

KIND_BY_NAME = {info.kind: info for info in KINDS}


def parse_resource(manifest: dict[str, Any]) -> Resource:
    """Validate a manifest dict as one of the three kinds (raises `pydantic.ValidationError`)."""
    kind = manifest.get("kind")
    info = KIND_BY_NAME.get(str(kind))
    if info is None:
        raise ValueError(f"kind {kind!r} is not a StagingPro kind ({', '.join(KIND_BY_NAME)})")
    resource = info.model.model_validate(manifest)
    assert isinstance(resource, StoreEnvironment | CatalogSnapshot | StoreDeployment)
    return resource
