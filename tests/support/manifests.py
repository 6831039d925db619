"""Manifests that tests write to disk."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml

from controller.access import API_ORIGIN, ROLE, STORE_HASH, AccessPolicy


def binding(
    store_hash: str, api_origin: str, role: Literal["production", "sandbox"]
) -> dict[str, str]:
    """The annotations that bind a token Secret to its store, as its administrator sets them."""
    return {STORE_HASH: store_hash, API_ORIGIN: api_origin, ROLE: role}


def write_secret(
    directory: Path,
    name: str,
    namespace: str,
    token: str,
    *,
    store_hash: str | None = None,
    api_origin: str | None = None,
    role: Literal["production", "sandbox"] = "sandbox",
    annotations: dict[str, str] | None = None,
) -> Path:
    """A Secret manifest holding a token under `token`, as `stagingpro run --secrets` reads them:
    a store token bound to its store by annotations (store_hash and api_origin), or exactly
    `annotations` when given, or none (a Git credentials Secret)."""
    if annotations is None:
        annotations = binding(store_hash, api_origin, role) if store_hash and api_origin else {}
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{namespace}-{name}.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {
                    "name": name,
                    "namespace": namespace,
                    "annotations": annotations,
                },
                "stringData": {"token": token},
            }
        )
    )
    return path


def access_to(api_origin: str, *, local_git: bool = False) -> AccessPolicy:
    """The access policy of a test's standalone loop: the emulator's origin named explicitly (and
    local Git repositories only when the test says so)."""
    return AccessPolicy.configured([api_origin], env={}, allow_local_git=local_git)
