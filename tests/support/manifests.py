"""Manifests that tests write to disk."""

from __future__ import annotations

from pathlib import Path

import yaml


def write_secret(directory: Path, name: str, namespace: str, token: str) -> Path:
    """A Secret manifest holding a store token under `token`, as `stagingpro run --secrets` reads them."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{namespace}-{name}.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": name, "namespace": namespace},
                "stringData": {"token": token},
            }
        )
    )
    return path
