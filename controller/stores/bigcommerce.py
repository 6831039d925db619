"""The BigCommerce catalog, scripts and themes over a store's HTTP client (`client.py`): the
endpoints, pagination with includes, batches at the documented maxima, and their answers."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from controller.catalog.observed import (
    ObservedCatalog,
    add_product,
    brand_from_api,
    category_from_api,
)
from controller.stores.client import StoreClient, decode

PRODUCT_BATCH = 10
VARIANT_BATCH = 50
CATEGORY_BATCH = 50
DELETE_BATCH = 250


@dataclass(frozen=True)
class BatchOutcome:
    """Per-item outcome of a batch write: updated records, and errors by item id."""

    updated: list[dict[str, Any]]
    errors: dict[int, str]


class BigCommerceStore(StoreClient):
    """One store's API: `{api_url}/stores/{store_hash}/v2|v3/...`."""

    async def __aenter__(self) -> BigCommerceStore:
        return self

    # ---- observe --------------------------------------------------------------------------------

    async def store_info(self) -> dict[str, Any]:
        """`GET /v2/store`: name, domain, time zone, currency, plan."""
        info: dict[str, Any] = decode(await self.request("GET", "/v2/store"))
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
        data = await self.data(
            "GET",
            "/v3/catalog/products",
            "/v3/catalog/products",
            params={"sku": sku, "include": "variants,custom_fields,images"},
        )
        return data[0] if data else None

    async def find_brand(self, name: str) -> dict[str, Any] | None:
        """The brand with that name."""
        data = await self.data(
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
        data: dict[str, Any] = await self.data(
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
        data: list[dict[str, Any]] = await self.data(
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
        data: dict[str, Any] = await self.data(
            "POST", "/v3/catalog/products", "/v3/catalog/products", json=body
        )
        return data

    async def update_products(self, items: Sequence[dict[str, Any]]) -> BatchOutcome:
        """`PUT /catalog/products` (at most 10, each with `id`); a 207 reports some items failed."""
        response = await self.request("PUT", "/v3/catalog/products", json=list(items))
        body = decode(response)
        errors = {int(k): str(v) for k, v in (body.get("errors") or {}).items() if str(k).isdigit()}
        return BatchOutcome(body.get("data") or [], errors)

    async def delete_products(self, ids: Sequence[int]) -> None:
        """`DELETE /catalog/products?id:in=...` (at most 250)."""
        await self.request(
            "DELETE", "/v3/catalog/products", params={"id:in": ",".join(map(str, ids))}
        )

    async def create_variant(self, product_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """`POST /catalog/products/{id}/variants`."""
        data: dict[str, Any] = await self.data(
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
        data: dict[str, Any] = await self.data(
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
