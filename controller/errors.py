"""Typed errors shared by the engine, the store client and the Git sources.

Like Flux controllers' errors, each says what the caller should do: `Stalled` errors need a person
to act (retrying changes nothing until the object or its inputs change), `Waiting` errors clear by
themselves (retry after `retry_after` seconds). Each carries the CamelCase `reason` that becomes the
condition reason and event reason. Messages never contain secrets.
"""

from __future__ import annotations


class StagingProError(Exception):
    """Base of every expected error."""

    reason = "Failed"
    retry_after: float | None = None

    def __init__(
        self, message: str, *, retry_after: float | None = None, reason: str | None = None
    ):
        super().__init__(message)
        if retry_after is not None:
            self.retry_after = retry_after
        if reason is not None:
            self.reason = reason


class Stalled(StagingProError):
    """A person must act: bad spec, bad catalog, rejected credentials, missing Secret."""

    reason = "Stalled"


class Waiting(StagingProError):
    """A transient condition: retry after `retry_after` seconds."""

    reason = "Waiting"
    retry_after: float | None = 30.0


class DependencyNotReady(Waiting):
    """Another object this one needs (a Secret, snapshot, environment, clone) is missing or not
    ready yet: Waiting, never Stalled, since GitOps tools routinely create it later. Retried with
    backoff from a second up to `retry_after`, and at once when the operator sees it change."""

    reason = "DependencyNotReady"
