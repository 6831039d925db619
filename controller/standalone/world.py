"""The world of the standalone loop: manifests from a directory, Secrets from another (never from
the GitOps repository), status, created objects and events kept in a state directory so that a
restarted loop resumes where it stood."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from controller.access import SecretData
from controller.api.resources import KIND_BY_NAME
from controller.reconcile.services import EventType
from controller.reconcile.status import merge_patch
from controller.text import did_you_mean

Key = tuple[str, str, str]  # kind, namespace, name


class ManifestError(Exception):
    """A manifest that cannot be read (file and reason named)."""


def read_manifests(directory: Path) -> list[tuple[dict[str, Any], str]]:
    """Every YAML document under a directory, with its file (documents that are not mappings skipped)."""
    found = []
    for path in sorted(directory.rglob("*.y*ml")):
        try:
            for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
                if isinstance(doc, dict) and doc.get("kind"):
                    found.append((doc, str(path)))
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f"{path}:{mark.line + 1}" if mark else str(path)
            raise ManifestError(
                f"{where}: not valid YAML: {getattr(error, 'problem', error)}"
            ) from None
    return found


NOT_RECONCILED = frozenset({"Kustomization", "Namespace"})  # a GitOps directory's own files


def check_kinds(docs: list[tuple[dict[str, Any], str]]) -> None:
    """Refuse what the loop would otherwise silently ignore: a Secret (tokens are read from
    --secrets, never from the manifests, which live in Git) and a kind that is not StagingPro's."""
    problems = []
    for doc, path in docs:
        kind = str(doc["kind"])
        if kind in KIND_BY_NAME or kind in NOT_RECONCILED:
            continue
        meta = doc.get("metadata")
        what = f"{path}: {kind} {meta.get('name', '') if isinstance(meta, dict) else ''}".rstrip()
        if kind == "Secret":
            problems.append(f"{what}: Secrets are read from --secrets, not from the manifests")
        else:
            hint = did_you_mean(kind, KIND_BY_NAME)
            problems.append(f"{what}: not a StagingPro kind{hint} ({', '.join(KIND_BY_NAME)})")
    if problems:
        raise ManifestError("; ".join(problems))


class FileWorld:
    """Objects from manifests plus what the loop created; status in memory and on disk."""

    def __init__(
        self,
        manifests: Path,
        state: Path,
        secrets: Path | None = None,
        on_event: Callable[[dict[str, Any], EventType, str, str], None] | None = None,
    ):
        self.manifests, self.state, self.secrets_dir = manifests, state, secrets
        self.on_event = on_event
        self.objects: dict[Key, dict[str, Any]] = {}
        self.status: dict[Key, dict[str, Any]] = {}
        self._spec_hashes: dict[Key, tuple[str, int]] = {}
        self._secrets_fingerprint = ""
        self.state.mkdir(parents=True, exist_ok=True)
        self._load_state()

    # ---- state on disk ----------------------------------------------------------------------------

    def _status_path(self, key: Key) -> Path:
        kind, namespace, name = key
        return self.state / "status" / kind / namespace / f"{name}.json"

    def _load_state(self) -> None:
        for path in (self.state / "status").glob("*/*/*.json"):
            key = (path.parent.parent.name, path.parent.name, path.stem)
            saved = json.loads(path.read_text())
            self.status[key] = saved.get("status", {})
            self._spec_hashes[key] = (saved.get("specHash", ""), saved.get("generation", 1))

    def _save_status(self, key: Key) -> None:
        path = self._status_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        spec_hash, generation = self._spec_hashes.get(key, ("", 1))
        tmp = path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps(
                {"specHash": spec_hash, "generation": generation, "status": self.status[key]},
                indent=2,
                sort_keys=True,
            )
        )
        tmp.replace(path)

    # ---- manifests --------------------------------------------------------------------------------

    def refresh(self) -> list[Key]:
        """Re-read the manifests (and created objects); returns the keys of StagingPro objects.
        `metadata.generation` grows whenever an object's spec changes, as on an API server."""
        docs = read_manifests(self.manifests)
        check_kinds(docs)
        if (self.state / "created").exists():
            docs += read_manifests(self.state / "created")
        objects: dict[Key, dict[str, Any]] = {}
        for doc, _ in docs:
            meta = doc.setdefault("metadata", {})
            namespace = meta.setdefault("namespace", "default")
            objects[(str(doc["kind"]), namespace, str(meta.get("name", "")))] = doc
        for key, doc in objects.items():
            if key[0] not in KIND_BY_NAME:
                continue
            spec_hash = hashlib.sha256(
                json.dumps(doc.get("spec"), sort_keys=True, default=str).encode()
            ).hexdigest()
            previous, generation = self._spec_hashes.get(key, ("", 0))
            if spec_hash != previous:
                generation += 1
                self._spec_hashes[key] = (spec_hash, generation)
            doc["metadata"]["generation"] = generation
        self.objects = objects
        return sorted(k for k in objects if k[0] in KIND_BY_NAME)

    def changed_secret_namespaces(self) -> set[str]:
        """Namespaces whose Secret manifests changed since the last call (all, the first time)."""
        files = []
        if self.secrets_dir is not None and self.secrets_dir.exists():
            for path in sorted(self.secrets_dir.rglob("*.y*ml")):
                stat = path.stat()
                files.append(f"{path}:{stat.st_mtime_ns}:{stat.st_size}")
        fingerprint = hashlib.sha256("\n".join(files).encode()).hexdigest()
        if fingerprint == self._secrets_fingerprint:
            return set()
        self._secrets_fingerprint = fingerprint
        return {key[1] for key in self.objects}

    def view(self, key: Key) -> dict[str, Any]:
        """The object as a reconciler sees it: manifest plus current status."""
        return {**self.objects[key], "status": self.status.get(key, {})}

    def set_status(self, key: Key, status: dict[str, Any]) -> None:
        """Replace an object's status (and persist it)."""
        self.status[key] = status
        self._save_status(key)

    # ---- World ------------------------------------------------------------------------------------

    async def get(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        key = (kind, namespace, name)
        return self.view(key) if key in self.objects else None

    async def list(self, kind: str, namespace: str) -> list[dict[str, Any]]:
        return [self.view(k) for k in sorted(self.objects) if k[:2] == (kind, namespace)]

    async def secret(self, namespace: str, name: str) -> SecretData | None:
        if self.secrets_dir is None or not self.secrets_dir.exists():
            return None
        for doc, _ in read_manifests(self.secrets_dir):
            meta = doc.get("metadata", {})
            if (
                doc.get("kind") == "Secret"
                and meta.get("name") == name
                and meta.get("namespace", "default") == namespace
            ):
                data = {k: base64.b64decode(v) for k, v in (doc.get("data") or {}).items()}
                data.update({k: str(v).encode() for k, v in (doc.get("stringData") or {}).items()})
                return SecretData(data, meta.get("annotations") or {})
        return None

    def _created(self, kind: str, namespace: str, name: str) -> Path:
        return self.state / "created" / kind / namespace / f"{name}.yaml"

    async def create(self, kind: str, namespace: str, body: dict[str, Any]) -> None:
        name = body["metadata"]["name"]
        path = self._created(kind, namespace, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(body, sort_keys=False))
        self.objects[(kind, namespace, name)] = {
            **body,
            "metadata": {**body["metadata"], "generation": 1},
        }

    async def delete(self, kind: str, namespace: str, name: str) -> None:
        """Only what the loop created: the manifests are the user's."""
        path = self._created(kind, namespace, name)
        if path.exists():
            path.unlink()
            self.objects.pop((kind, namespace, name), None)

    async def patch_status(
        self, kind: str, namespace: str, name: str, patch: dict[str, Any]
    ) -> None:
        key = (kind, namespace, name)
        self.set_status(key, merge_patch(self.status.get(key), patch))

    async def event(self, obj: dict[str, Any], type_: EventType, reason: str, message: str) -> None:
        meta = obj.get("metadata", {})
        record = {
            "time": datetime.now(UTC).isoformat(),
            "type": type_,
            "reason": reason,
            "message": message,
            "object": f"{obj.get('kind')}/{meta.get('namespace', 'default')}/{meta.get('name')}",
        }
        with (self.state / "events.jsonl").open("a") as handle:
            handle.write(json.dumps(record) + "\n")
        if self.on_event is not None:
            self.on_event(obj, type_, reason, message)
