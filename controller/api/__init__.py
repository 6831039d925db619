"""The resource API (`stagingpro.io/v1alpha1`): pydantic models, the single source of truth."""

from controller.api.base import API_VERSION, GROUP, VERSION, Condition, parse_duration
from controller.api.deployment import StoreDeploymentSpec, StoreDeploymentStatus, TargetStatus
from controller.api.environment import StoreEnvironmentSpec, StoreEnvironmentStatus
from controller.api.resources import (
    KINDS,
    CatalogSnapshot,
    KindInfo,
    Resource,
    StoreDeployment,
    StoreEnvironment,
    parse_resource,
)
from controller.api.snapshot import CatalogSnapshotSpec, CatalogSnapshotStatus

__all__ = [
    "API_VERSION",
    "GROUP",
    "KINDS",
    "VERSION",
    "CatalogSnapshot",
    "CatalogSnapshotSpec",
    "CatalogSnapshotStatus",
    "Condition",
    "KindInfo",
    "Resource",
    "StoreDeployment",
    "StoreDeploymentSpec",
    "StoreDeploymentStatus",
    "StoreEnvironment",
    "StoreEnvironmentSpec",
    "StoreEnvironmentStatus",
    "TargetStatus",
    "parse_duration",
    "parse_resource",
]
