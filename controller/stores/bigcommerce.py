"""The BigCommerce store over its HTTP client (`client.py`): the catalog provider's record
translation (`records.py`), store information, scripts and themes."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from controller.catalog.kinds import Kind
from controller.catalog.model import Catalog
from controller.catalog.observed import ObservedCatalog
from controller.stores.changes import count, read_changes
from controller.stores.client import decode
from controller.stores.errors import RequestRejected, StoreUnavailable
from controller.stores.records import BigCommerceRecords


@dataclass(frozen=True)
class ThemeJob:
    """A theme job once finished: the theme an upload made or the link a download made; or why
    it failed."""

    finished: bool = False
    theme_id: str | None = None
    download_url: str | None = None
    failure: str | None = None


class BigCommerceStore(BigCommerceRecords):
    """One store's API: `{api_url}/stores/{store_hash}/v2|v3/...`."""

    async def __aenter__(self) -> BigCommerceStore:
        return self

    # ---- observe --------------------------------------------------------------------------------

    async def store_info(self) -> dict[str, Any]:
        """`GET /v2/store`: name, domain, time zone, currency, plan."""
        info: dict[str, Any] = decode(await self.request("GET", "/v2/store"))
        return info

    async def store_clock(self) -> datetime:
        """The store's clock now (one request for one product id)."""
        return (await count(self))[1]

    async def observe_changes(
        self,
        observed: ObservedCatalog,
        since: datetime,
        kinds: Collection[Kind],
        *,
        ids: Iterable[int] | None = None,
        fields: Mapping[Kind, Collection[str]] | None = None,
        like: Catalog | None = None,
    ) -> tuple[datetime, bool]:
        """Bring `observed` up to date in place, reading what changed since `since` (or the
        products `ids`): the store's clock as the read began, and whether anything had changed
        (`changes.py`)."""
        changes = await read_changes(
            self, observed, since, kinds, ids=ids, fields=fields, like=like
        )
        return changes.store_time, bool(changes.changed or changes.deleted or changes.others)

    # ---- scripts and themes ---------------------------------------------------------------------

    async def upload_theme(self, bundle: bytes, filename: str = "theme.zip") -> str:
        """`POST /themes` (multipart): returns the job id. Never resent after an ambiguous failure."""
        response = await self.request(
            "POST",
            "/v3/themes",
            files={"file": (filename, bundle, "application/zip")},
            retry_unsafe=False,
        )
        body = decode(response)
        return str(body.get("job_id") or body.get("data", {}).get("job_id"))

    async def theme_job(self, job_id: str) -> ThemeJob:
        """`GET /themes/jobs/{job_id}`: finished, failed (why) or still running."""
        job: dict[str, Any] = await self.data(
            "GET", f"/v3/themes/jobs/{job_id}", "/v3/themes/jobs/{job_id}"
        )
        if job.get("status") == "FAILED":
            errors = "; ".join(
                f"{e.get('error')}: {e.get('message')}" for e in job.get("errors", [])
            )
            return ThemeJob(failure=errors or "no reason given")
        if job.get("status") == "COMPLETED":
            result = job.get("result") or {}
            theme, url = result.get("theme_id"), result.get("download_url")
            return ThemeJob(
                finished=True,
                theme_id=None if theme is None else str(theme),
                download_url=None if url is None else str(url),
            )
        return ThemeJob()

    async def themes(self) -> list[dict[str, Any]]:
        """`GET /themes`: every theme of the store with its variations."""
        found: list[dict[str, Any]] = await self.data("GET", "/v3/themes", "/v3/themes") or []
        return found

    async def theme_configuration(self, theme_id: str, configuration_id: str) -> dict[str, Any]:
        """`GET /themes/{uuid}/configurations?uuid:in=`: one configuration (its settings)."""
        found = await self.data(
            "GET",
            f"/v3/themes/{theme_id}/configurations",
            "/v3/themes/{uuid}/configurations",
            params={"uuid:in": configuration_id},
        )
        if not found:
            raise RequestRejected(
                f"theme {theme_id} has no configuration {configuration_id}", status=404
            )
        configuration: dict[str, Any] = found[0]
        return configuration

    async def download_theme(self, theme_id: str, which: str = "original") -> str:
        """`POST /themes/{uuid}/actions/download`: the job id (its result links to the bundle)."""
        body = decode(
            await self.request(
                "POST",
                f"/v3/themes/{theme_id}/actions/download",
                endpoint="/v3/themes/{uuid}/actions/download",
                json={"which": which},
            )
        )
        return str(body.get("job_id") or body.get("data", {}).get("job_id"))

    async def downloaded(self, url: str) -> bytes:
        """The bundle a finished download job links to: the link needs no token and may be on
        another host (a CDN's), so none is sent."""
        if urlsplit(url).scheme not in ("http", "https"):
            raise RequestRejected("a theme download link is not a web address", status=0)
        try:
            async with httpx.AsyncClient(timeout=120.0, follow_redirects=True) as anyone:
                response = await anyone.get(url)
        except httpx.HTTPError as error:  # named without the link: it may be signed
            raise StoreUnavailable(f"a theme download failed: {type(error).__name__}") from None
        if response.status_code != 200:
            raise RequestRejected(
                f"a theme download answered {response.status_code}", status=response.status_code
            )
        return response.content

    async def theme_variations(self, theme_id: str) -> dict[str, str]:
        """`GET /themes`: a theme's variations, name -> id, in the store's order."""
        themes: list[dict[str, Any]] = await self.data("GET", "/v3/themes", "/v3/themes")
        theme = next((t for t in themes if t["uuid"] == theme_id), {})
        return {v["name"]: v["uuid"] for v in theme.get("variations", [])}

    async def activate_theme(
        self, variation_id: str, *, channel_id: int = 1, which: str = "original"
    ) -> None:
        """`POST /themes/actions/activate?channel_id=` with the configuration `which` names
        (original, last_activated, last_created)."""
        await self.request(
            "POST",
            "/v3/themes/actions/activate",
            params={"channel_id": channel_id},
            json={"variation_id": variation_id, "which": which},
        )

    async def channels(self) -> dict[str, int]:
        """`GET /channels`: the store's channels, name -> id."""
        found: dict[str, int] = {}
        async for page in self.pages("/v3/channels"):
            found.update({str(c["name"]): int(c["id"]) for c in page})
        return found
