"""CatalogSnapshot: resolve the source to a revision, load and validate it, or capture a live store
into Git; on failure keep the last good revision and report the errors."""

from __future__ import annotations

import asyncio
from typing import Any

from controller.api.conditions import SOURCE_FETCH_FAILED, Reason, set_condition
from controller.api.resources import CatalogSnapshot, StoreEnvironment
from controller.api.snapshot import CatalogError, CatalogSnapshotStatus, GitSource
from controller.catalog.model import CatalogInvalid
from controller.engine.snapshots import EmptyCapture, ResolvedCatalog, capture_to_git
from controller.errors import DependencyNotReady, Stalled
from controller.gitsource import SOURCE_ERRORS
from controller.reconcile.outcome import Event, Outcome, classify, failed, succeeded
from controller.reconcile.services import Services, git_credentials, open_store, require
from controller.reconcile.status import StatusWriter

CAPTURE_ANNOTATION = "stagingpro.io/capture"
REFRESH_ANNOTATION = "stagingpro.io/refresh"
MAX_ERRORS = 50


def _git_source(snapshot: CatalogSnapshot) -> GitSource:
    source = snapshot.spec.source
    if source.git is not None:
        return source.git
    assert source.capture is not None
    target = source.capture.git
    return GitSource(
        url=target.url, ref=target.branch, path=target.path, secret_ref=target.secret_ref
    )


async def load_snapshot_catalog(
    svc: Services, obj: dict[str, Any], *, revision: str | None = None
) -> ResolvedCatalog:
    """The catalog of a snapshot at `revision` (default: the snapshot's current good revision)."""
    snapshot = CatalogSnapshot.model_validate(obj)
    namespace = snapshot.metadata.namespace or "default"
    if snapshot.spec.source.inline is not None:
        return svc.catalogs.from_inline(snapshot.spec.source.inline.model_dump(mode="json"))
    ref = revision or (snapshot.status.revision if snapshot.status else None)
    if ref is None:
        raise DependencyNotReady(
            f"CatalogSnapshot {namespace}/{snapshot.metadata.name} has no good revision yet",
            reason=Reason.SNAPSHOT_NOT_READY,
        )
    source = _git_source(snapshot)
    credentials = await git_credentials(
        svc.world, namespace, source.secret_ref.name if source.secret_ref else None
    )
    return await svc.catalogs.from_git(namespace, source, ref, credentials)


async def reconcile_snapshot(obj: dict[str, Any], svc: Services, _: StatusWriter) -> Outcome:
    """Resolve (or capture), validate, and report revision, digest, counts and errors."""
    now = svc.clock()
    status = CatalogSnapshotStatus.model_validate(obj.get("status") or {})
    meta = obj.get("metadata", {})
    generation = meta.get("generation")
    events: list[Event] = []
    try:
        snapshot = CatalogSnapshot.model_validate(obj)
        namespace = snapshot.metadata.namespace or "default"
        source = snapshot.spec.source
        requeue: float | None = None
        if source.inline is not None:
            resolved = svc.catalogs.from_inline(source.inline.model_dump(mode="json"))
        else:
            git = _git_source(snapshot)
            credentials = await git_credentials(
                svc.world, namespace, git.secret_ref.name if git.secret_ref else None
            )
            if source.capture is not None:
                sha = await _capture_if_asked(svc, snapshot, status, git, credentials, events)
            else:
                sha = (
                    await asyncio.to_thread(
                        svc.git.scoped(namespace).resolve, git.url, git.ref, credentials
                    )
                ).sha
                requeue = svc.snapshot_poll_seconds
            resolved = await svc.catalogs.from_git(namespace, git, sha, credentials)
        if resolved.revision != status.revision or resolved.digest != status.digest:
            events.append(
                (
                    "Normal",
                    "Resolved",
                    f"revision {resolved.revision or 'inline'}: {_counts_text(resolved)}",
                )
            )
        status.revision = resolved.revision
        status.digest = resolved.digest
        status.source = resolved.source
        status.counts = dict(resolved.counts)
        status.errors = []
        status.last_fetched_at = now
        status.observed_generation = generation
        status.conditions = set_condition(
            status.conditions,
            SOURCE_FETCH_FAILED,
            "False",
            Reason.SUCCEEDED,
            generation=generation,
            now=now,
        )
        status.conditions = succeeded(
            status.conditions,
            Reason.SUCCEEDED,
            f"{(resolved.revision or 'inline')[:12]}: {_counts_text(resolved)}",
            generation=generation,
            now=now,
        )
        return Outcome(_dump(status), requeue, events)
    except Exception as error:
        status.observed_generation = generation
        if isinstance(error, CatalogInvalid):
            status.errors = [
                CatalogError(file=p.file, line=p.line, field=p.field, message=p.message)
                for p in error.problems[:MAX_ERRORS]
            ]
        if isinstance(error, SOURCE_ERRORS):
            status.conditions = set_condition(
                status.conditions,
                SOURCE_FETCH_FAILED,
                "True",
                error.reason,
                str(error),
                generation=generation,
                now=now,
            )
        status.conditions, retry, event = failed(
            status.conditions, error, generation=generation, now=now
        )
        if (
            isinstance(error, CatalogInvalid)
            and "spec" in obj
            and obj["spec"].get("source", {}).get("git")
        ):
            retry = svc.snapshot_poll_seconds  # a new commit may fix it
        return Outcome(_dump(status), retry, [*events, event], classify(error))


async def _capture_if_asked(
    svc: Services,
    snapshot: CatalogSnapshot,
    status: CatalogSnapshotStatus,
    git: GitSource,
    credentials: Any,
    events: list[Event],
) -> str:
    """Capture when the snapshot has no revision yet or the capture annotation changed; otherwise
    keep the captured revision."""
    token = snapshot.metadata.annotations.get(CAPTURE_ANNOTATION, "")
    if status.revision is not None and token == (status.capture_token or ""):
        return status.revision
    assert snapshot.spec.source.capture is not None
    namespace = snapshot.metadata.namespace or "default"
    env_name = snapshot.spec.source.capture.environment_ref.name
    env_obj = await require(
        svc.world,
        "StoreEnvironment",
        namespace,
        env_name,
        reason=Reason.ENVIRONMENT_NOT_FOUND,
        purpose="capture",
    )
    env = StoreEnvironment.model_validate(env_obj)
    not_ready = environment_not_ready(env_obj)
    if not_ready is not None:
        # Capturing a store before it is Ready (a sandbox still being cloned is empty) would
        # commit a catalog that deletes the branch's files.
        raise DependencyNotReady(
            f"capture: StoreEnvironment {namespace}/{env_name} {not_ready}",
            reason=Reason.ENVIRONMENT_NOT_READY,
        )
    async with await open_store(svc, env) as store:
        try:
            captured = await capture_to_git(
                store,
                svc.git.scoped(namespace),
                git.url,
                git.ref,
                git.path,
                environment=env_name,
                store_hash=env.spec.store.hash,
                credentials=credentials,
                refuse_emptying=True,
            )
        except EmptyCapture as error:
            raise Stalled(
                f"capture: StoreEnvironment {namespace}/{env_name} has an empty catalog and "
                f"{git.ref}:{git.path} has {error}; refusing to replace it by an empty one "
                f"(change the {CAPTURE_ANNOTATION} annotation once the store is filled)",
                reason=Reason.EMPTY_CAPTURE_REFUSED,
            ) from None
    sha = (
        captured.revision
        or (
            await asyncio.to_thread(
                svc.git.scoped(namespace).resolve, git.url, git.ref, credentials
            )
        ).sha
    )
    status.capture_token = token
    status.captured_from = env_name
    events.append(
        (
            "Normal",
            "Captured",
            f"{captured.message} -> {sha[:12]}"
            if captured.revision
            else f"{env_name} unchanged since {sha[:12]}: no commit",
        )
    )
    return sha


def environment_not_ready(env_obj: dict[str, Any]) -> str | None:
    """Why an environment's store is not ready to be read as a whole (None when it is): it must be
    Ready for its current generation and, for a sandbox, done with its clone."""
    meta, status = env_obj.get("metadata", {}), env_obj.get("status") or {}
    ready = next((c for c in status.get("conditions", []) if c.get("type") == "Ready"), None)
    if ready is None or ready.get("status") != "True":
        return "is not Ready yet"
    if status.get("observedGeneration") != meta.get("generation"):
        return "has not observed its latest spec yet"
    if (env_obj.get("spec") or {}).get("cloneFrom"):
        clone = status.get("clone") or {}
        token = (meta.get("annotations") or {}).get(REFRESH_ANNOTATION, "")
        if clone.get("phase") != "Succeeded" or (clone.get("refreshToken") or "") != token:
            return "is still being cloned"
    return None


def _counts_text(resolved: ResolvedCatalog) -> str:
    counts = resolved.counts
    return (
        f"{counts['products']} products, {counts['variants']} variants, {counts['categories']} categories, "
        f"{counts['brands']} brands"
    )


def _dump(status: CatalogSnapshotStatus) -> dict[str, Any]:
    return status.model_dump(mode="json", by_alias=True, exclude_none=True)
