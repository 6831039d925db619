"""The reconciliation engine: observe, plan, apply, drift. No Kubernetes in it: the operator, the
CLI and the standalone loop all drive it."""

from controller.engine.apply import ApplyResult, CatalogStore, PlanRefused, apply
from controller.engine.sync import Assessment, assess, check_references, sync

__all__ = [
    "ApplyResult",
    "Assessment",
    "CatalogStore",
    "PlanRefused",
    "apply",
    "assess",
    "check_references",
    "sync",
]
