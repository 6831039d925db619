"""Git repositories as sources of catalogs and targets of captures (gitpython)."""

from controller.gitsource.errors import (
    CONDITION,
    SOURCE_ERRORS,
    AuthenticationFailed,
    PathNotFound,
    PushRejected,
    RefNotFound,
    RepositoryUnreachable,
    SourceTooLarge,
)
from controller.gitsource.repo import GitCache, GitCredentials, Revision, redact_url, safe_path

__all__ = [
    "CONDITION",
    "SOURCE_ERRORS",
    "AuthenticationFailed",
    "GitCache",
    "GitCredentials",
    "PathNotFound",
    "PushRejected",
    "RefNotFound",
    "RepositoryUnreachable",
    "Revision",
    "SourceTooLarge",
    "redact_url",
    "safe_path",
]
