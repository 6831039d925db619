"""Releasing storefront content: scripts (upserted by name) and Stencil themes (upload, job, activate)."""

from __future__ import annotations

import asyncio
import io
import json
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass

from controller.catalog.kinds import Action, Kind
from controller.catalog.model import Catalog, Script
from controller.catalog.observed import ObservedCatalog
from controller.catalog.provider import Provider
from controller.engine.apply import apply
from controller.errors import Stalled
from controller.planner import Options, Plan, plan
from controller.stores import BigCommerceStore
from controller.stores.bigcommerce import ThemeJob


class ScriptsFailed(Stalled):
    """The store refused a script."""

    reason = "ScriptsFailed"


class ThemeFailed(Stalled):
    """The store refused the theme (invalid bundle, theme limit, ...)."""

    reason = "ThemeFailed"


@dataclass(frozen=True)
class ScriptChanges:
    """What a scripts release does: names created, updated, deleted."""

    create: tuple[str, ...]
    update: tuple[str, ...]
    delete: tuple[str, ...]


def _scripts_plan(
    desired: Mapping[str, Script], observed: ObservedCatalog, *, prune: bool, channel: str | None
) -> tuple[Plan, ScriptChanges]:
    """Scripts by name: create the missing, update the changed, delete the extra only with prune
    (the planner's diff of the scripts kind alone; of one channel's scripts when given)."""
    scripts = plan(
        Catalog(scripts=dict(desired)),
        observed,
        Options(prune=prune, allow_mass_delete=True, channel=channel),
        kinds={Kind.SCRIPTS},
    )

    def names(action: Action) -> tuple[str, ...]:
        return tuple(sorted(s.key for s in scripts.steps if s.action is action))

    return scripts, ScriptChanges(names(Action.CREATE), names(Action.UPDATE), names(Action.DELETE))


async def plan_scripts(
    store: Provider, desired: Mapping[str, Script], *, prune: bool, channel: str | None = None
) -> ScriptChanges:
    """What a scripts release would do to the store's scripts as they are now (to one
    channel's, when given)."""
    observed = await store.observe({Kind.SCRIPTS})
    return _scripts_plan(desired, observed, prune=prune, channel=channel)[1]


async def release_scripts(
    store: Provider, desired: Mapping[str, Script], *, prune: bool, channel: str | None = None
) -> ScriptChanges:
    """Apply a scripts release through the engine (idempotent: scripts are matched by name; only
    one channel's, when given)."""
    observed = await store.observe({Kind.SCRIPTS})
    scripts, changes = _scripts_plan(desired, observed, prune=prune, channel=channel)
    result = await apply(scripts, observed, store)
    if result.errors:
        raise ScriptsFailed(
            "; ".join(f"script {key!r}: {message}" for _, key, message in result.errors)
        )
    return changes


def bundle(files: Mapping[str, bytes]) -> tuple[bytes, str]:
    """A deterministic Stencil bundle (zip) of a theme directory, and the theme's name."""
    if "config.json" not in files:
        raise ThemeFailed("the theme directory has no config.json: it is not a Stencil theme")
    try:
        name = str(json.loads(files["config.json"]).get("name") or "theme")
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ThemeFailed(f"config.json is not valid JSON: {error}") from None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
            archive.writestr(info, files[path])
    return buffer.getvalue(), name


async def release_theme(
    store: BigCommerceStore,
    files: Mapping[str, bytes],
    *,
    activate: bool,
    variation: str | None,
    channel: str | None = None,
    which: str = "original",
    uploaded: str | None = None,
    within: float = 600.0,
) -> dict[str, str]:
    """Upload a theme (unless `uploaded` names it already there), wait for its job, and activate
    a variation on a channel (by name; the default one when None) with the configuration `which`
    names; returns theme, variation and channel ids."""
    data, name = bundle(files)
    theme_id = uploaded or await upload_bundle(store, data, name, within)
    result = {"theme": theme_id, "name": name}
    if activate:
        channel_id = 1
        if channel is not None:  # names resolve to ids only here, where the API needs them
            channels = await store.channels()
            if channel not in channels:
                raise ThemeFailed(
                    f"the store has no channel {channel!r} (it has {', '.join(channels) or 'none'})"
                )
            channel_id = channels[channel]
        variations = await store.theme_variations(theme_id)
        chosen = variations.get(variation) if variation else next(iter(variations.values()), None)
        if chosen is None:
            raise ThemeFailed(
                f"theme {name!r} has no variation {variation!r} (it has {', '.join(variations)})"
                if variations
                else f"theme {name!r} has no variations"
            )
        await store.activate_theme(chosen, channel_id=channel_id, which=which)
        result["variation"], result["channel"] = chosen, str(channel_id)
    return result


async def upload_bundle(store: BigCommerceStore, data: bytes, name: str, within: float) -> str:
    """Upload a bundle and wait for its job: the new theme's id."""
    job = await theme_job_done(store, await store.upload_theme(data, f"{name}.zip"), within)
    if job.theme_id is None:
        raise ThemeFailed(f"theme upload of {name!r} finished without a theme")
    return job.theme_id


async def theme_job_done(store: BigCommerceStore, job_id: str, within: float) -> ThemeJob:
    """A theme job once finished (ThemeFailed: it failed, or outlasted `within` seconds)."""
    deadline = time.monotonic() + within
    delay = 0.05
    while True:
        job = await store.theme_job(job_id)
        if job.failure is not None:
            raise ThemeFailed(f"theme job {job_id} failed: {job.failure}")
        if job.finished:
            return job
        if time.monotonic() > deadline:
            raise ThemeFailed(f"theme job {job_id} did not finish within {within:.0f}s")
        await asyncio.sleep(delay)
        delay = min(delay * 2, 5.0)
