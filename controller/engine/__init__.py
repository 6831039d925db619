"""The reconciliation engine: observe, plan, apply, drift. No Kubernetes in it: the operator, the
CLI and the standalone loop all drive it."""

from controller.catalog.provider import Provider
from controller.engine.apply import ApplyResult, PlanRefused, apply
from controller.engine.sync import Assessment, assess, check_references, sync

__all__ = [
    "ApplyResult",
    "Assessment",
    "PlanRefused",
    "Provider",
    "apply",
    "assess",
    "check_references",
    "sync",
]
