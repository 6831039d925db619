"""The Kubernetes operator: kopf handlers (glue only) over the shared reconcilers."""
