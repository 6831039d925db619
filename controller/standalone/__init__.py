"""Standalone mode: the operator's reconcilers driven by files instead of a Kubernetes API."""

from controller.standalone.loop import Loop, services_for
from controller.standalone.world import FileWorld, ManifestError, read_manifests

__all__ = ["FileWorld", "Loop", "ManifestError", "read_manifests", "services_for"]
