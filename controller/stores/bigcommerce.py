"""The BigCommerce store over its HTTP client (`client.py`): the catalog provider's record
translation (`records.py`), store information, scripts and themes."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any

from controller.catalog.kinds import Kind
from controller.catalog.model import Catalog
from controller.catalog.observed import ObservedCatalog
from controller.stores.changes import count, read_changes
from controller.stores.client import decode
from controller.stores.records import BigCommerceRecords


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

    async def list_scripts(self) -> list[dict[str, Any]]:
        """Every script this API account created (the only ones it can see)."""
        found: list[dict[str, Any]] = []
        async for page in self.pages("/v3/content/scripts"):
            found.extend(page)
        return found

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

    async def theme_job(self, job_id: str) -> dict[str, Any]:
        """`GET /themes/jobs/{job_id}`."""
        data: dict[str, Any] = await self.data(
            "GET", f"/v3/themes/jobs/{job_id}", "/v3/themes/jobs/{job_id}"
        )
        return data

    async def list_themes(self) -> list[dict[str, Any]]:
        """`GET /themes`."""
        data: list[dict[str, Any]] = await self.data("GET", "/v3/themes", "/v3/themes")
        return data

    async def activate_theme(self, variation_id: str) -> None:
        """`POST /themes/actions/activate` (the original variation)."""
        await self.request(
            "POST",
            "/v3/themes/actions/activate",
            json={"variation_id": variation_id, "which": "original"},
        )
