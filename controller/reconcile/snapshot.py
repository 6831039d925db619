"""CatalogSnapshot: resolve the source to a revision, load and validate it, or capture a live store
into Git; on failure keep the last good revision and report the errors."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from controller.api.conditions import SOURCE_FETCH_FAILED, Reason
from controller.api.environment import ClonePhase
from controller.api.resources import CatalogSnapshot, StoreEnvironment
from controller.api.snapshot import CatalogError, CatalogSnapshotStatus, GitSource
from controller.catalog.model import CatalogInvalid
from controller.engine.snapshots import EmptyCapture, ResolvedCatalog, capture_to_git
from controller.errors import DependencyNotReady, Stalled
from controller.gitsource import SOURCE_ERRORS
from controller.reconcile.kernel import Context, Reconciler
from controller.reconcile.outcome import DONE, Result, stalled
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
        return svc.catalogs.from_inline(
            snapshot.spec.source.inline.model_dump(mode="json", by_alias=True)
        )
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


@dataclass
class _Reconcile(Context[CatalogSnapshotStatus]):
    snapshot: CatalogSnapshot | None = None
    resolved: ResolvedCatalog | None = None

    @property
    def spec(self) -> CatalogSnapshot:
        assert self.snapshot is not None
        return self.snapshot


def _start(obj: dict[str, Any], svc: Services, writer: StatusWriter) -> _Reconcile:
    status = CatalogSnapshotStatus.model_validate(obj.get("status") or {})
    return _Reconcile(obj, svc, writer, status, svc.clock())


async def _parse(ctx: _Reconcile) -> Result:
    ctx.snapshot = CatalogSnapshot.model_validate(ctx.obj)
    return DONE


async def _resolve(ctx: _Reconcile) -> Result:
    """Resolve the source to a revision (capturing first when asked) and load its catalog; a
    catalog that does not load keeps the last good revision and lists its problems."""
    svc, snapshot, status = ctx.svc, ctx.spec, ctx.status
    source = snapshot.spec.source
    try:
        if source.inline is not None:
            ctx.resolved = svc.catalogs.from_inline(
                source.inline.model_dump(mode="json", by_alias=True)
            )
            return DONE
        git = _git_source(snapshot)
        credentials = await git_credentials(
            svc.world, ctx.namespace, git.secret_ref.name if git.secret_ref else None
        )
        if source.capture is not None:
            sha = await _capture_if_asked(ctx, git, credentials)
        else:
            cache = svc.git.scoped(ctx.namespace)
            sha = (await asyncio.to_thread(cache.resolve, git.url, git.ref, credentials)).sha
            ctx.every = svc.snapshot_poll_seconds
        ctx.resolved = await svc.catalogs.from_git(ctx.namespace, git, sha, credentials)
    except SOURCE_ERRORS as error:
        ctx.condition(SOURCE_FETCH_FAILED, "True", error.reason, str(error))
        raise
    except CatalogInvalid as error:
        status.errors = [
            CatalogError(file=p.file, line=p.line, field=p.field, message=p.message)
            for p in error.problems[:MAX_ERRORS]
        ]
        # A new commit may fix it: a Git source is looked at again at its poll interval.
        poll = svc.snapshot_poll_seconds if source.git is not None else None
        return stalled(Reason.CATALOG_INVALID, str(error), poll)
    return DONE


async def _report(ctx: _Reconcile) -> Result:
    """Revision, digest, counts; an event when the revision or content moved."""
    resolved, status = ctx.resolved, ctx.status
    assert resolved is not None
    if resolved.revision != status.revision or resolved.digest != status.digest:
        revision = resolved.revision or "inline"
        ctx.event("Normal", "Resolved", f"revision {revision}: {_counts_text(resolved)}")
    status.revision = resolved.revision
    status.digest = resolved.digest
    status.source = resolved.source
    status.counts = dict(resolved.counts)
    status.errors = []
    status.last_fetched_at = ctx.now
    ctx.condition(SOURCE_FETCH_FAILED, "False", Reason.SUCCEEDED)
    ctx.ready = f"{(resolved.revision or 'inline')[:12]}: {_counts_text(resolved)}"
    return DONE


reconcile_snapshot = Reconciler(_start, (_parse, _resolve, _report))
"""CatalogSnapshot: resolve (or capture), validate, and report revision, digest, counts and
errors."""


async def _capture_if_asked(ctx: _Reconcile, git: GitSource, credentials: Any) -> str:
    """Capture when the snapshot has no revision yet or the capture annotation changed; otherwise
    keep the captured revision."""
    svc, snapshot, status = ctx.svc, ctx.spec, ctx.status
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
    ctx.event(
        "Normal",
        "Captured",
        f"{captured.message} -> {sha[:12]}"
        if captured.revision
        else f"{env_name} unchanged since {sha[:12]}: no commit",
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
    if still_cloning(env_obj):
        return "is still being cloned"
    return None


def still_cloning(env_obj: dict[str, Any]) -> bool:
    """Whether a sandbox's clone has not succeeded yet for its current refresh annotation."""
    if not (env_obj.get("spec") or {}).get("cloneFrom"):
        return False
    meta, status = env_obj.get("metadata", {}), env_obj.get("status") or {}
    clone = status.get("clone") or {}
    token = (meta.get("annotations") or {}).get(REFRESH_ANNOTATION, "")
    return clone.get("phase") != ClonePhase.SUCCEEDED or (clone.get("refreshToken") or "") != token


def clone_wait(env_obj: dict[str, Any]) -> str | None:
    """Why a sandbox is not cloned yet for its current refresh annotation, to follow its name
    (None when it is): still being cloned, or its clone failed (the next may mend it)."""
    if not still_cloning(env_obj):
        return None
    meta, status = env_obj.get("metadata", {}), env_obj.get("status") or {}
    clone = status.get("clone") or {}
    token = (meta.get("annotations") or {}).get(REFRESH_ANNOTATION, "")
    if clone.get("phase") == ClonePhase.FAILED and (clone.get("refreshToken") or "") == token:
        return f": its clone failed: {clone.get('firstError') or 'see its events'}"
    return " is still being cloned"


def _counts_text(resolved: ResolvedCatalog) -> str:
    counts = resolved.counts
    return (
        f"{counts['products']} products, {counts['variants']} variants, {counts['categories']} categories, "
        f"{counts['brands']} brands"
    )


def _dump(status: CatalogSnapshotStatus) -> dict[str, Any]:
    return status.model_dump(mode="json", by_alias=True, exclude_none=True)
