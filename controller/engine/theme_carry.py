"""Carrying each channel's active theme from one store into another (a sandbox clone): the source's
theme is downloaded once, uploaded into the target once per variation and settings, and
activated on the channel of the same name with the source channel's configuration settings."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from controller.catalog.model import DEFAULT_CHANNEL_NAME
from controller.catalog.stencil import edit_config
from controller.engine.content import ThemeFailed, theme_job_done, upload_bundle
from controller.errors import Stalled
from controller.stores import BigCommerceStore


@dataclass(frozen=True)
class ActiveTheme:
    """A channel's active theme by natural keys: theme and variation names, configuration
    settings; and the ids of the store it was read from."""

    theme: str
    variation: str
    settings: dict[str, Any]
    theme_id: str = field(compare=False)
    variation_id: str = field(compare=False)

    def describe(self) -> str:
        """`Theme (Variation)`."""
        return f"{self.theme} ({self.variation})"


async def channel_ids(store: BigCommerceStore) -> dict[str, int]:
    """The store's live channels by name (its first storefront as `default`)."""
    await store.know_channels()
    return dict(store.channel_ids)


async def active_themes(store: BigCommerceStore) -> dict[str, ActiveTheme]:
    """Each storefront's active theme (by channel name; a channel without a site, or without a
    theme, is absent)."""
    themes = {t["uuid"]: t for t in await store.themes()}
    found: dict[str, ActiveTheme] = {}
    for name, channel_id in (await channel_ids(store)).items():
        if channel_id not in store.channel_sites:  # no storefront to show a theme
            continue
        active = await store.active_theme(channel_id)
        if active is None or active.get("active_theme_uuid") not in themes:
            continue
        theme = themes[active["active_theme_uuid"]]
        variation_id = active["active_theme_version_uuid"]
        variation: dict[str, Any] = next(
            (v for v in theme["variations"] if v["uuid"] == variation_id), {}
        )
        configuration = await store.theme_configuration(
            theme["uuid"], active["active_theme_configuration_uuid"]
        )
        found[name] = ActiveTheme(
            theme["name"],
            str(variation.get("name", "")),
            dict(configuration.get("settings") or {}),
            theme["uuid"],
            variation_id,
        )
    return found


@dataclass
class ThemeCarrier:
    """Carries the source's active themes channel by channel (`carry` may be called again for
    channels the target gained since); `carried` and `not_carried` say what became of each."""

    source: BigCommerceStore
    target: BigCommerceStore
    within: float = 600.0
    carried: dict[str, str] = field(default_factory=dict)
    not_carried: dict[str, str] = field(default_factory=dict)
    _wanted: dict[str, ActiveTheme] = field(default_factory=dict)
    # each channel's edition of its theme: the source theme and, per variation used, the settings
    # it starts from; one upload per edition (one per theme unless two channels use a variation
    # with different settings)
    _editions: list[tuple[str, dict[str, dict[str, Any]]]] = field(default_factory=list)
    _edition_of: dict[str, int] = field(default_factory=dict)
    _bundles: dict[str, bytes] = field(default_factory=dict)
    _uploaded: dict[int, str] = field(default_factory=dict)

    async def carry(self, only: Collection[str] | None = None) -> None:
        """Give each source channel (of `only`, when given) found by name in the target the
        source's active theme; a channel the target lacks is noted as not carried."""
        if not self._wanted:
            self._wanted = await active_themes(self.source)
            self._editions, self._edition_of = _editions(self._wanted)
        have = await active_themes(self.target)
        targets = await channel_ids(self.target)
        # the first storefront first: a store's `is_active` theme is read as the first one's
        for name, wanted in sorted(self._wanted.items(), key=_first_storefront_first):
            if only is not None and name not in only:
                continue
            if name not in targets:
                self.not_carried[name] = "the sandbox has no channel of that name"
                continue
            try:
                if have.get(name) != wanted:
                    await self._activate(name, wanted, targets[name])
            except Stalled as error:
                self.not_carried[name] = str(error)
                continue
            self.carried[name] = wanted.describe()
            self.not_carried.pop(name, None)

    async def _activate(self, name: str, wanted: ActiveTheme, channel_id: int) -> None:
        """Upload the channel's edition of its theme (once) and activate its variation there."""
        index = self._edition_of[name]
        if index not in self._uploaded:
            if wanted.theme_id not in self._bundles:
                job = await self.source.download_theme(wanted.theme_id, "original")
                link = (await theme_job_done(self.source, job, self.within)).download_url
                if link is None:
                    raise ThemeFailed(f"the download of theme {wanted.theme!r} made no link")
                self._bundles[wanted.theme_id] = await self.source.downloaded(link)
            data = with_settings(self._bundles[wanted.theme_id], self._editions[index][1])
            uploaded = await upload_bundle(self.target, data, wanted.theme, self.within)
            self._uploaded[index] = uploaded
        variations = await self.target.theme_variations(self._uploaded[index])
        if wanted.variation not in variations:
            raise ThemeFailed(f"the uploaded theme has no variation {wanted.variation!r}")
        await self.target.activate_theme(
            variations[wanted.variation], channel_id=channel_id, which="original"
        )


def _editions(
    wanted: dict[str, ActiveTheme],
) -> tuple[list[tuple[str, dict[str, dict[str, Any]]]], dict[str, int]]:
    """The editions of the themes to upload (a source theme and, per variation used, the settings
    it starts from), and each channel's: the first of its theme where its variation is not yet
    used, or used with the same settings."""
    editions: list[tuple[str, dict[str, dict[str, Any]]]] = []
    found = {}
    for name, theme in sorted(wanted.items(), key=_first_storefront_first):
        index = next(
            (
                i
                for i, (theme_id, used) in enumerate(editions)
                if theme_id == theme.theme_id
                and used.get(theme.variation, theme.settings) == theme.settings
            ),
            None,
        )
        if index is None:
            index = len(editions)
            editions.append((theme.theme_id, {}))
        editions[index][1][theme.variation] = theme.settings
        found[name] = index
    return editions, found


def with_settings(data: bytes, settings: dict[str, dict[str, Any]]) -> bytes:
    """A Stencil bundle whose variations named in `settings` start from exactly those settings
    (config.json's own become none; each other variation keeps what it had)."""

    def change(config: dict[str, Any]) -> None:
        base = _object(config.get("settings"))
        variations = [v for v in config.get("variations") or [] if isinstance(v, dict)]
        # without variations the theme has one, whose settings are config.json's
        config["settings"] = {} if variations else next(iter(settings.values()), base)
        for item in variations:
            own = {**base, **_object(item.get("settings"))}
            item["settings"] = settings.get(str(item.get("name")), own)

    return edit_config(data, change)


def _first_storefront_first(item: tuple[str, ActiveTheme]) -> tuple[bool, str]:
    return item[0] != DEFAULT_CHANNEL_NAME, item[0]


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
