"""Errors of talking to a store."""

from __future__ import annotations

from typing import Any

from controller.errors import Stalled, Waiting


class CredentialsRejected(Stalled):
    """The store answered 401/403: the token is wrong, revoked or lacks a scope. Retried slowly,
    since the Secret may be fixed without the resource changing."""

    reason = "CredentialsRejected"
    retry_after = 300.0


class StoreNotFound(Stalled):
    """No store at that URL and hash."""

    reason = "StoreNotFound"


class RequestRejected(Stalled):
    """The store refused a request (4xx other than 401/403/429): the body says why."""

    reason = "RequestRejected"

    def __init__(
        self, message: str, *, status: int, errors: dict[str, Any] | None = None, title: str = ""
    ):
        super().__init__(message)
        self.status = status
        self.errors = errors or {}
        self.title = title


class StoreUnavailable(Waiting):
    """5xx, timeouts or connection failures outlasted the retries."""

    reason = "StoreUnavailable"
    retry_after = 60.0


class RateLimited(Waiting):
    """The quota stayed exhausted beyond the retries."""

    reason = "RateLimited"
