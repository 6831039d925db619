"""`CatalogSnapshot`: a desired catalog, from Git, from a capture of a live store, or inline."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import ConfigDict, Field, JsonValue, create_model, field_validator, model_validator

from controller.access.urls import GIT_URL_CREDENTIALS_RULE, git_url_has_credentials
from controller.api.base import CommonStatus, K8sName, LocalObjectReference, Model, SecretReference
from controller.catalog.kinds import FILED

_FREEFORM: dict[str, JsonValue] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
GIT_REF_PATTERN = r"^[^\s~^:?*\[\\]+$"
_NO_URL_CREDENTIALS: dict[str, JsonValue] = {
    "x-kubernetes-validations": [
        {
            "rule": GIT_URL_CREDENTIALS_RULE,
            "message": "url: credentials in a URL are refused; use secretRef",
            "fieldPath": ".url",
        }
    ]
}


def _no_credentials(url: str) -> str:
    if git_url_has_credentials(url):
        raise ValueError("credentials in a URL are refused; use secretRef")
    return url


class GitSource(Model):
    """A path at a ref of a Git repository."""

    url: Annotated[str, Field(min_length=1, max_length=2048)]
    ref: Annotated[str, Field(min_length=1, max_length=255, pattern=GIT_REF_PATTERN)] = Field(
        "main", description="Branch, tag or commit SHA."
    )
    path: Annotated[str, Field(max_length=1024)] = Field(
        ".", description="Directory inside the repository; it may not leave the repository."
    )
    secret_ref: SecretReference | None = Field(
        None, description="Secret with 'token' (HTTPS) or 'identity' and 'known_hosts' (SSH)."
    )

    _url = field_validator("url")(_no_credentials)
    model_config = Model.model_config | ConfigDict(json_schema_extra=_NO_URL_CREDENTIALS)


class CaptureTarget(Model):
    """Where a capture is committed."""

    url: Annotated[str, Field(min_length=1, max_length=2048)]
    branch: Annotated[str, Field(min_length=1, max_length=255, pattern=GIT_REF_PATTERN)] = "main"
    path: Annotated[str, Field(max_length=1024)] = "."
    secret_ref: SecretReference | None = None

    _url = field_validator("url")(_no_credentials)
    model_config = Model.model_config | ConfigDict(json_schema_extra=_NO_URL_CREDENTIALS)


class CaptureSource(Model):
    """Export a live store into Git; the snapshot is then the captured revision."""

    environment_ref: LocalObjectReference
    git: CaptureTarget


def _inline_catalog() -> type[Model]:
    """A small catalog written in the resource itself: a list per kind with a file of its own, in
    the kind table (same items as its file). Products, categories and brands are always managed
    (an empty list when not given); another kind only when given."""
    records: dict[str, Any] = {"items": _FREEFORM}
    kinds: dict[str, Any] = {
        spec.attribute: (
            (list[dict[str, Any]] | None, Field(None, json_schema_extra=records))
            if spec.optional_file
            else (list[dict[str, Any]], Field(default_factory=list, json_schema_extra=records))
        )
        for spec in FILED
        if spec.attribute is not None
    }
    return create_model("InlineCatalog", __base__=Model, __doc__=_inline_catalog.__doc__, **kinds)


if TYPE_CHECKING:

    class InlineCatalog(Model):
        """A small catalog written in the resource itself."""

else:
    InlineCatalog = _inline_catalog()


class SnapshotSource(Model):
    """Exactly one of `git`, `capture` or `inline`."""

    git: GitSource | None = None
    capture: CaptureSource | None = None
    inline: InlineCatalog | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SnapshotSource:
        given = [name for name in ("git", "capture", "inline") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                "exactly one of git, capture or inline must be set"
                f" (got {', '.join(given) or 'none'})"
            )
        return self

    model_config = Model.model_config | {
        "json_schema_extra": {
            "x-kubernetes-validations": [
                {
                    "rule": "[has(self.git), has(self.capture), has(self.inline)]"
                    ".filter(x, x).size() == 1",
                    "message": "spec.source: exactly one of git, capture or inline must be set",
                }
            ]
        }
    }


class CatalogSnapshotSpec(Model):
    """Desired state of a `CatalogSnapshot`."""

    source: SnapshotSource


class CatalogError(Model):
    """One problem found while loading a catalog."""

    file: str | None = None
    line: int | None = None
    field: str | None = None
    message: str


class CatalogSnapshotStatus(CommonStatus):
    """Observed state of a `CatalogSnapshot`."""

    revision: str | None = Field(None, description="Commit SHA of the last good catalog.")
    digest: str | None = Field(None, description="sha256 of the normalised catalog content.")
    counts: dict[str, int] | None = Field(None, description="Records of each kind, by kind.")
    errors: Annotated[list[CatalogError], Field(max_length=50)] = Field(default_factory=list)
    source: str | None = Field(None, description="Where the catalog was read from.")
    last_fetched_at: datetime | None = None
    captured_from: K8sName | None = None
    capture_token: str | None = Field(
        None, description="Value of the capture annotation last served."
    )
