"""The operator's read-only web UI: environments with their drift, deployments with their targets
and schedules, each target's plan as the review page, releases and their rollback snapshots.
Server-rendered HTML from what the operator already holds (the objects it watches, the plans it
made); everything escaped, no script at all (a strict Content Security Policy)."""

from controller.ui.server import WebUI
from controller.ui.view import ClusterView

__all__ = ["ClusterView", "WebUI"]
