"""Small builders of desired and observed catalogs for planner tests."""

from __future__ import annotations

from typing import Any

from controller.catalog import Item, Kind, build_catalog
from controller.catalog.model import Catalog
from controller.catalog.observed import (
    ObservedBrand,
    ObservedCatalog,
    ObservedCategory,
    ObservedImage,
    ObservedProduct,
    ObservedVariant,
)


def desired(
    products: list[dict[str, Any]],
    categories: list[str | dict[str, Any]] | None = None,
    brands: list[str | dict[str, Any]] | None = None,
) -> Catalog:
    """A catalog from item dicts (categories and brands may be given by path / name alone)."""
    cats = (
        None
        if categories is None
        else [Item({"path": c} if isinstance(c, str) else c) for c in categories]
    )
    brs = (
        None if brands is None else [Item({"name": b} if isinstance(b, str) else b) for b in brands]
    )
    return build_catalog(
        {Kind.PRODUCTS: [Item(p) for p in products], Kind.CATEGORIES: cats, Kind.BRANDS: brs}
    )


def observed(
    products: list[ObservedProduct] = (),  # type: ignore[assignment]
    categories: list[tuple[int, int, str]] = (),  # type: ignore[assignment]
    brands: list[tuple[int, str]] = (),  # type: ignore[assignment]
) -> ObservedCatalog:
    """An observed catalog; categories as (id, parent_id, name), brands as (id, name)."""
    state = ObservedCatalog()
    for product in products:
        state.products[product.sku.casefold()] = product
    for cid, parent, name in categories:
        state.categories[cid] = ObservedCategory(cid, parent, name, {})
    for bid, name in brands:
        state.brands[bid] = ObservedBrand(bid, name, {})
    return state


def product(
    pid: int,
    sku: str,
    *,
    categories: tuple[int, ...] = (),
    brand_id: int = 0,
    variants: list[ObservedVariant] | None = None,
    custom_fields: list[tuple[int, str, str]] | None = None,
    images: list[ObservedImage] | None = None,
    **fields: Any,
) -> ObservedProduct:
    """An observed product with the given fields."""
    return ObservedProduct(
        pid,
        sku,
        {"name": sku.title(), "type": "physical", "price": 10, "weight": 1, **fields},
        frozenset(categories),
        brand_id,
        None if variants else pid * 10,
        variants or [],
        custom_fields or [],
        images or [],
    )


def variant(vid: int, sku: str, size: str, **fields: Any) -> ObservedVariant:
    """An observed option variant (option Size)."""
    return ObservedVariant(vid, sku, (("Size", size),), fields)
