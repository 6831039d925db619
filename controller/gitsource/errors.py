"""Why a Git source could not be read: each a distinct reason of the `SourceFetchFailed` condition."""

from __future__ import annotations

from controller.access.urls import AddressForbidden, LocalGitRefused, UrlRefused
from controller.errors import Stalled, Waiting

CONDITION = "SourceFetchFailed"


class RepositoryUnreachable(Waiting):
    """The repository could not be reached (network, DNS, timeout, no repository at that URL)."""

    reason = "RepositoryUnreachable"
    retry_after = 60.0


class AuthenticationFailed(Stalled):
    """The repository refused the credentials (or asked for some and none were given)."""

    reason = "AuthenticationFailed"
    retry_after = 300.0


class RefNotFound(Stalled):
    """The branch, tag or commit does not exist in the repository."""

    reason = "RefNotFound"


class PathNotFound(Stalled):
    """The path does not exist at that revision, or leaves the repository."""

    reason = "PathNotFound"


class SourceTooLarge(Stalled):
    """The repository or a file in it is over the configured size."""

    reason = "SourceTooLarge"


class PushRejected(Waiting):
    """The remote refused a push (someone else pushed first, or the branch is protected)."""

    reason = "PushRejected"
    retry_after = 30.0


SOURCE_ERRORS = (
    RepositoryUnreachable,
    AuthenticationFailed,
    RefNotFound,
    PathNotFound,
    SourceTooLarge,
    PushRejected,
    LocalGitRefused,
    UrlRefused,
    AddressForbidden,
)
