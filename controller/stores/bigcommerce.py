"""The BigCommerce REST client: pagination, batching at the documented maxima, the rate governor,
retries with backoff, typed errors, request counting. The token never leaves the auth header."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from controller.catalog.observed import (
    ObservedCatalog,
    add_product,
    brand_from_api,
    category_from_api,
)
from controller.stores.errors import (
    CredentialsRejected,
    RateLimited,
    RequestRejected,
    StoreNotFound,
    StoreUnavailable,
)
from controller.stores.governor import RateGovernor

logger = logging.getLogger(__name__)

PAGE_LIMIT = 250
PRODUCT_BATCH = 10
VARIANT_BATCH = 50
CATEGORY_BATCH = 50
DELETE_BATCH = 250
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})

RequestObserver = Callable[[str, str, str, int], None]
"""Called with (store hash, method, endpoint template, status) for every response; status 0 for a
request that got no response."""


def _json(response: httpx.Response) -> Any:
    """The decoded body (orjson: pages of 250 products are the client's hot path)."""
    return orjson.loads(response.content)


class Token:
    """A store access token that never shows itself in a repr, a log line or an error."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value.strip()

    def reveal(self) -> str:
        """The token itself, for the auth header only."""
        return self._value

    def __repr__(self) -> str:
        return "Token('********')"

    __str__ = __repr__


@dataclass(frozen=True)
class RetryPolicy:
    """How failed requests are retried."""

    attempts: int = 6
    backoff: float = 0.5
    max_backoff: float = 30.0
    budget: int = 1000  # retries per client: a store that keeps failing stops being hammered


@dataclass(frozen=True)
class BatchOutcome:
    """Per-item outcome of a batch write: updated records, and errors by item id."""

    updated: list[dict[str, Any]]
    errors: dict[int, str]


class BigCommerceStore:
    """One store's API: `{api_url}/stores/{store_hash}/v2|v3/...`."""

    def __init__(
        self,
        api_url: str,
        store_hash: str,
        token: Token,
        *,
        governor: RateGovernor | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        on_response: RequestObserver | None = None,
        rng: random.Random | None = None,
    ):
        self.store_hash = store_hash
        self.base_url = f"{api_url.rstrip('/')}/stores/{store_hash}"
        self.governor = governor or RateGovernor()
        self.retry = retry or RetryPolicy()
        self._retries_left = self.retry.budget
        self._on_response = on_response
        self._rng = rng or random.Random()
        concurrency = self.governor.concurrency
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers={"X-Auth-Token": token.reveal(), "Accept": "application/json"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            transport=transport,
        )
        self.requests = 0

    def __repr__(self) -> str:
        return f"BigCommerceStore({self.base_url!r})"

    async def close(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> BigCommerceStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ---- transport ------------------------------------------------------------------------------

    def _backoff(self, attempt: int) -> float:
        base = min(self.retry.max_backoff, self.retry.backoff * 2.0**attempt)
        return base / 2 + self._rng.uniform(0, base / 2)

    def _observe(self, method: str, endpoint: str, status: int) -> None:
        self.requests += 1
        if self._on_response is not None:
            self._on_response(self.store_hash, method, endpoint, status)

    async def request(
        self,
        method: str,
        path: str,
        *,
        endpoint: str | None = None,
        params: dict[str, Any] | None = None,
        json: Any = None,
        files: dict[str, Any] | None = None,
        retry_unsafe: bool = True,
    ) -> httpx.Response:
        """One API call with pacing and retries; returns a 2xx response or raises a typed error.

        `retry_unsafe=False` keeps a write from being resent after a failure that may have
        happened after the store applied it (for writes that no natural key would catch twice).
        """
        endpoint = endpoint or path
        attempt = 0
        while True:
            async with self.governor.slot():
                try:
                    response = await self._http.request(
                        method, path, params=params, json=json, files=files
                    )
                except httpx.TransportError as error:
                    self._observe(method, endpoint, 0)
                    safe = retry_unsafe or isinstance(error, httpx.ConnectError)
                    if not safe or not self._may_retry(attempt):
                        raise StoreUnavailable(
                            f"store {self.store_hash}: {method} {endpoint} failed: {type(error).__name__}"
                        ) from None
                    delay = self._backoff(attempt)
                    logger.info(
                        "store %s: %s %s: %s; retrying in %.2fs",
                        self.store_hash,
                        method,
                        endpoint,
                        type(error).__name__,
                        delay,
                    )
                else:
                    self._observe(method, endpoint, response.status_code)
                    self.governor.observe(response.status_code, response.headers)
                    if response.status_code < 400:
                        return response
                    status = response.status_code
                    if status not in RETRYABLE_STATUSES:
                        raise self._rejected(method, endpoint, response)
                    if status != 429 and not retry_unsafe:
                        raise StoreUnavailable(
                            f"store {self.store_hash}: {method} {endpoint} answered {status}"
                        )
                    if not self._may_retry(attempt):
                        error_type = RateLimited if status == 429 else StoreUnavailable
                        raise error_type(
                            f"store {self.store_hash}: {method} {endpoint} still answered {status} after "
                            f"{attempt + 1} attempts"
                        )
                    delay = self._backoff(attempt)
                    if status == 429:
                        if (
                            "X-Retry-After" in response.headers
                            or "X-Rate-Limit-Time-Reset-Ms" in response.headers
                        ):
                            delay = 0.0  # the governor now holds every request until the store says
                        else:
                            self.governor.block_for(delay)
                            delay = 0.0
                    logger.info(
                        "store %s: %s %s answered %s; retrying",
                        self.store_hash,
                        method,
                        endpoint,
                        status,
                    )
            attempt += 1
            if delay:
                await asyncio.sleep(delay)

    def _may_retry(self, attempt: int) -> bool:
        if attempt + 1 >= self.retry.attempts or self._retries_left <= 0:
            return False
        self._retries_left -= 1
        return True

    def _rejected(self, method: str, endpoint: str, response: httpx.Response) -> Exception:
        status = response.status_code
        if status in (401, 403):
            return CredentialsRejected(
                f"store {self.store_hash} rejected the credentials ({status}) on {method} {endpoint}: "
                "check the token in the Secret and its API scopes"
            )
        try:
            body = _json(response)
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if isinstance(body.get("errors"), dict) and "status" in body["errors"]:
            body = body["errors"]  # the category-trees API nests its error object
        title = str(body.get("title") or response.reason_phrase)
        errors = body.get("errors") if isinstance(body.get("errors"), dict) else {}
        if status == 404 and endpoint in ("/v2/store", "/v2/time"):
            return StoreNotFound(f"no store {self.store_hash} at {self.base_url}")
        details = "; ".join(f"{k}: {v}" for k, v in errors.items())
        return RequestRejected(
            f"store {self.store_hash}: {method} {endpoint} answered {status}: {title}"
            + (f" ({details})" if details else ""),
            status=status,
            errors=errors,
            title=title,
        )

    async def _data(self, method: str, path: str, endpoint: str, **kwargs: Any) -> Any:
        response = await self.request(method, path, endpoint=endpoint, **kwargs)
        return _json(response).get("data") if response.content else None

    async def pages(
        self, path: str, params: dict[str, Any] | None = None
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Every page of a v3 list at `limit=250`; after the first page the others are fetched
        concurrently (bounded by the governor) and yielded as they arrive."""
        params = {**(params or {}), "limit": PAGE_LIMIT}
        first = _json(await self.request("GET", path, params={**params, "page": 1}))
        yield first["data"]
        total_pages = int(first.get("meta", {}).get("pagination", {}).get("total_pages", 1))
        if total_pages <= 1:
            return

        async def fetch(page: int) -> list[dict[str, Any]]:
            response = await self.request("GET", path, params={**params, "page": page})
            data: list[dict[str, Any]] = _json(response)["data"]
            return data

        tasks = [asyncio.ensure_future(fetch(page)) for page in range(2, total_pages + 1)]
        try:
            for task in asyncio.as_completed(tasks):
                yield await task
        finally:
            for task in tasks:
                task.cancel()

    # ---- observe --------------------------------------------------------------------------------

    async def store_info(self) -> dict[str, Any]:
        """`GET /v2/store`: name, domain, time zone, currency, plan."""
        info: dict[str, Any] = _json(await self.request("GET", "/v2/store"))
        return info

    async def observe(self) -> ObservedCatalog:
        """The whole catalog in one paginated pass per kind (products with variants, custom fields
        and images included). Never writes."""
        observed = ObservedCatalog()

        async def products() -> None:
            async for page in self.pages(
                "/v3/catalog/products", {"include": "variants,custom_fields,images"}
            ):
                for item in page:
                    add_product(observed, item)

        async def categories() -> None:
            async for page in self.pages("/v3/catalog/trees/categories"):
                for item in page:
                    category = category_from_api(item)
                    observed.categories[category.id] = category

        async def brands() -> None:
            async for page in self.pages("/v3/catalog/brands"):
                for item in page:
                    brand = brand_from_api(item)
                    observed.brands[brand.id] = brand

        await asyncio.gather(categories(), brands(), products())
        return observed

    async def find_product(self, sku: str) -> dict[str, Any] | None:
        """The product with that SKU, with its variants, custom fields and images."""
        data = await self._data(
            "GET",
            "/v3/catalog/products",
            "/v3/catalog/products",
            params={"sku": sku, "include": "variants,custom_fields,images"},
        )
        return data[0] if data else None

    async def find_brand(self, name: str) -> dict[str, Any] | None:
        """The brand with that name."""
        data = await self._data(
            "GET", "/v3/catalog/brands", "/v3/catalog/brands", params={"name": name}
        )
        return next((b for b in data if b["name"].casefold() == name.casefold()), None)

    async def find_categories(self, parent_id: int) -> list[dict[str, Any]]:
        """The children of a category (0 for roots)."""
        found = []
        async for page in self.pages("/v3/catalog/trees/categories", {"parent_id:in": parent_id}):
            found.extend(page)
        return found

    # ---- writes (each idempotent given the natural keys the engine checks) ----------------------

    async def create_brand(self, body: dict[str, Any]) -> dict[str, Any]:
        """`POST /catalog/brands`."""
        data: dict[str, Any] = await self._data(
            "POST", "/v3/catalog/brands", "/v3/catalog/brands", json=body
        )
        return data

    async def update_brand(self, brand_id: int, body: dict[str, Any]) -> None:
        """`PUT /catalog/brands/{id}`."""
        await self.request(
            "PUT",
            f"/v3/catalog/brands/{brand_id}",
            endpoint="/v3/catalog/brands/{brand_id}",
            json=body,
        )

    async def delete_brand(self, brand_id: int) -> None:
        """`DELETE /catalog/brands/{id}`."""
        await self.request(
            "DELETE", f"/v3/catalog/brands/{brand_id}", endpoint="/v3/catalog/brands/{brand_id}"
        )

    async def create_categories(self, items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """`POST /catalog/trees/categories` (at most 50 per call)."""
        data: list[dict[str, Any]] = await self._data(
            "POST", "/v3/catalog/trees/categories", "/v3/catalog/trees/categories", json=list(items)
        )
        return data

    async def update_categories(self, items: Sequence[dict[str, Any]]) -> None:
        """`PUT /catalog/trees/categories` (at most 50 per call, each with `category_id`)."""
        await self.request("PUT", "/v3/catalog/trees/categories", json=list(items))

    async def delete_categories(self, ids: Sequence[int]) -> None:
        """`DELETE /catalog/trees/categories?category_id:in=...`."""
        await self.request(
            "DELETE",
            "/v3/catalog/trees/categories",
            params={"category_id:in": ",".join(map(str, ids))},
        )

    async def create_product(self, body: dict[str, Any]) -> dict[str, Any]:
        """`POST /catalog/products` (variants, custom fields and images inline)."""
        data: dict[str, Any] = await self._data(
            "POST", "/v3/catalog/products", "/v3/catalog/products", json=body
        )
        return data

    async def update_products(self, items: Sequence[dict[str, Any]]) -> BatchOutcome:
        """`PUT /catalog/products` (at most 10, each with `id`); a 207 reports some items failed."""
        response = await self.request("PUT", "/v3/catalog/products", json=list(items))
        body = _json(response)
        errors = {int(k): str(v) for k, v in (body.get("errors") or {}).items() if str(k).isdigit()}
        return BatchOutcome(body.get("data") or [], errors)

    async def delete_products(self, ids: Sequence[int]) -> None:
        """`DELETE /catalog/products?id:in=...` (at most 250)."""
        await self.request(
            "DELETE", "/v3/catalog/products", params={"id:in": ",".join(map(str, ids))}
        )

    async def create_variant(self, product_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """`POST /catalog/products/{id}/variants`."""
        data: dict[str, Any] = await self._data(
            "POST",
            f"/v3/catalog/products/{product_id}/variants",
            "/v3/catalog/products/{product_id}/variants",
            json=body,
        )
        return data

    async def update_variants(self, items: Sequence[dict[str, Any]]) -> None:
        """`PUT /catalog/variants` (at most 50, each with `id`)."""
        await self.request("PUT", "/v3/catalog/variants", json=list(items))

    async def delete_variant(self, product_id: int, variant_id: int) -> None:
        """`DELETE /catalog/products/{id}/variants/{variant_id}`."""
        await self.request(
            "DELETE",
            f"/v3/catalog/products/{product_id}/variants/{variant_id}",
            endpoint="/v3/catalog/products/{product_id}/variants/{variant_id}",
        )

    async def create_custom_field(self, product_id: int, body: dict[str, Any]) -> None:
        """`POST /catalog/products/{id}/custom-fields`."""
        await self.request(
            "POST",
            f"/v3/catalog/products/{product_id}/custom-fields",
            endpoint="/v3/catalog/products/{product_id}/custom-fields",
            json=body,
        )

    async def update_custom_field(
        self, product_id: int, field_id: int, body: dict[str, Any]
    ) -> None:
        """`PUT /catalog/products/{id}/custom-fields/{custom_field_id}`."""
        await self.request(
            "PUT",
            f"/v3/catalog/products/{product_id}/custom-fields/{field_id}",
            endpoint="/v3/catalog/products/{product_id}/custom-fields/{custom_field_id}",
            json=body,
        )

    async def delete_custom_field(self, product_id: int, field_id: int) -> None:
        """`DELETE /catalog/products/{id}/custom-fields/{custom_field_id}`."""
        await self.request(
            "DELETE",
            f"/v3/catalog/products/{product_id}/custom-fields/{field_id}",
            endpoint="/v3/catalog/products/{product_id}/custom-fields/{custom_field_id}",
        )

    async def create_image(self, product_id: int, body: dict[str, Any]) -> None:
        """`POST /catalog/products/{id}/images`; never resent after an ambiguous failure (nothing
        would tell a second copy of the image from the first)."""
        await self.request(
            "POST",
            f"/v3/catalog/products/{product_id}/images",
            endpoint="/v3/catalog/products/{product_id}/images",
            json=body,
            retry_unsafe=False,
        )

    async def update_image(self, product_id: int, image_id: int, body: dict[str, Any]) -> None:
        """`PUT /catalog/products/{id}/images/{image_id}`."""
        await self.request(
            "PUT",
            f"/v3/catalog/products/{product_id}/images/{image_id}",
            endpoint="/v3/catalog/products/{product_id}/images/{image_id}",
            json=body,
        )

    async def delete_image(self, product_id: int, image_id: int) -> None:
        """`DELETE /catalog/products/{id}/images/{image_id}`."""
        await self.request(
            "DELETE",
            f"/v3/catalog/products/{product_id}/images/{image_id}",
            endpoint="/v3/catalog/products/{product_id}/images/{image_id}",
        )

    # ---- scripts and themes ---------------------------------------------------------------------

    async def list_scripts(self) -> list[dict[str, Any]]:
        """Every script this API account created (the only ones it can see)."""
        found: list[dict[str, Any]] = []
        async for page in self.pages("/v3/content/scripts"):
            found.extend(page)
        return found

    async def create_script(self, body: dict[str, Any]) -> dict[str, Any]:
        """`POST /content/scripts`."""
        data: dict[str, Any] = await self._data(
            "POST", "/v3/content/scripts", "/v3/content/scripts", json=body
        )
        return data

    async def update_script(self, script_uuid: str, body: dict[str, Any]) -> None:
        """`PUT /content/scripts/{uuid}`."""
        await self.request(
            "PUT",
            f"/v3/content/scripts/{script_uuid}",
            endpoint="/v3/content/scripts/{uuid}",
            json=body,
        )

    async def delete_script(self, script_uuid: str) -> None:
        """`DELETE /content/scripts/{uuid}`."""
        await self.request(
            "DELETE", f"/v3/content/scripts/{script_uuid}", endpoint="/v3/content/scripts/{uuid}"
        )

    async def upload_theme(self, bundle: bytes, filename: str = "theme.zip") -> str:
        """`POST /themes` (multipart): returns the job id. Never resent after an ambiguous failure."""
        response = await self.request(
            "POST",
            "/v3/themes",
            files={"file": (filename, bundle, "application/zip")},
            retry_unsafe=False,
        )
        body = _json(response)
        return str(body.get("job_id") or body.get("data", {}).get("job_id"))

    async def theme_job(self, job_id: str) -> dict[str, Any]:
        """`GET /themes/jobs/{job_id}`."""
        data: dict[str, Any] = await self._data(
            "GET", f"/v3/themes/jobs/{job_id}", "/v3/themes/jobs/{job_id}"
        )
        return data

    async def list_themes(self) -> list[dict[str, Any]]:
        """`GET /themes`."""
        data: list[dict[str, Any]] = await self._data("GET", "/v3/themes", "/v3/themes")
        return data

    async def activate_theme(self, variation_id: str) -> None:
        """`POST /themes/actions/activate` (the original variation)."""
        await self.request(
            "POST",
            "/v3/themes/actions/activate",
            json={"variation_id": variation_id, "which": "original"},
        )
