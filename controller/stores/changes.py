"""Reading a store at the cost of what changed: products modified since a moment of the store's
clock (`date_modified:min`), deletions found by counts over id ranges (bisected only where a
count falls short), and products named by id (a webhook's). Categories, brands, scripts, pages
and redirects are small and read whole. Never writes."""

from __future__ import annotations

import dataclasses
import email.utils
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from controller.catalog.kinds import Kind
from controller.catalog.model import Catalog, sku_key
from controller.catalog.observed import ObservedCatalog, ObservedProduct, share
from controller.stores.client import PAGE_LIMIT, decode
from controller.stores.records import (
    CATALOG_KINDS,
    BigCommerceRecords,
    includes,
    metafield_kinds,
    name_images,
    product_from_api,
    share_images,
)
from controller.tasks import fan_out

PRODUCTS = "/v3/catalog/products"


@dataclass(frozen=True)
class Changes:
    """What one incremental read found."""

    store_time: datetime  # the store's clock as the read began
    read: int  # products read again (modified since, or named)
    changed: int  # of them, those that differ from before (or are new)
    deleted: int  # products found gone
    others: bool  # categories, brands, content or image sources differ from before


def as_filter(moment: datetime) -> str:
    """A moment as a date filter's value (ISO 8601, UTC, whole seconds)."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


async def count(
    store: BigCommerceRecords, params: dict[str, Any] | None = None
) -> tuple[int, datetime]:
    """How many products match `params`, and the store's clock (its `Date` header): one request
    for a single id."""
    response = await store.request(
        "GET", PRODUCTS, params={**(params or {}), "limit": 1, "include_fields": "id"}
    )
    total = int(decode(response)["meta"]["pagination"]["total"])
    date = response.headers.get("date")
    clock = email.utils.parsedate_to_datetime(date) if date else datetime.now(UTC)
    return total, clock


class _Mirror:
    """An observation being brought up to date: products by id (derived for this read only)."""

    def __init__(self, observed: ObservedCatalog):
        self.observed = observed
        self.keys = {p.id: key for key, p in observed.products.items()}
        self.unkeyed = set(observed.unkeyed_products)

    def ids(self) -> list[int]:
        return sorted([*self.keys, *self.unkeyed])

    def put(self, product: ObservedProduct) -> bool:
        """Replace a product (its images keep the sources already known); whether it differs."""
        old = self.drop(product.id)
        if old is not None:
            known = {i.id: i.image_url for i in old.images if i.sourced}
            for image in product.images:
                if image.id in known:
                    image.image_url, image.sourced = known[image.id], True
            # metafields are not part of a product's answer: they stay (read by their dates)
            product.metafields = old.metafields
            variants = {v.id: v.metafields for v in old.variants}
            for variant in product.variants:
                variant.metafields = variants.get(variant.id, variant.metafields)
        if not product.sku:
            self.unkeyed.add(product.id)
        else:
            key = sku_key(product.sku)
            if key not in self.observed.products:  # SKUs are unique; else the first read wins
                self.observed.products[key] = product
                self.keys[product.id] = key
        return product != old

    def drop(self, product_id: int) -> ObservedProduct | None:
        self.unkeyed.discard(product_id)
        key = self.keys.pop(product_id, None)
        return None if key is None else self.observed.products.pop(key, None)

    def done(self) -> None:
        self.observed.unkeyed_products = sorted(self.unkeyed)


async def read_changes(
    store: BigCommerceRecords,
    observed: ObservedCatalog,
    since: datetime,
    kinds: Collection[Kind],
    *,
    ids: Iterable[int] | None = None,
    fields: Mapping[Kind, Collection[str]] | None = None,
    like: Catalog | None = None,
) -> Changes:
    """Bring `observed` (an earlier observation of `kinds`) up to date in place: the products
    modified at or after `since` (or, given `ids`, those products), the products gone since, and
    categories, brands and scripts read again (values equal to `like`'s kept as its objects)."""
    mirror = _Mirror(observed)
    total, clock = await count(store)  # first: a product created after it is read below
    changed: list[ObservedProduct] = []  # read again
    differ = 0
    named = None if ids is None else sorted(set(ids))
    if named is None:
        reads = [{**includes(fields, kinds), "date_modified:min": as_filter(since)}]
    else:
        reads = [
            {**includes(fields, kinds), "id:in": ",".join(map(str, named[i : i + PAGE_LIMIT]))}
            for i in range(0, len(named), PAGE_LIMIT)
        ]

    async def read(params: dict[str, Any]) -> None:
        nonlocal differ
        async for page in store.pages(PRODUCTS, params):
            for item in page:
                product = product_from_api(item, fields)
                desired = None if like is None else like.products.get(sku_key(product.sku))
                if desired is not None:
                    share(product, desired, images=False)
                differ += mirror.put(product)
                changed.append(product)

    for params in reads:
        await read(params)
    seen = {p.id for p in changed}
    gone = [i for i in named or () if i not in seen]
    for product_id in gone:
        mirror.drop(product_id)
    if named is not None and total > len(mirror.keys) + len(mirror.unkeyed):
        # more products than the events told of (a delivery lost): what changed since, too
        await read({**includes(fields, kinds), "date_modified:min": as_filter(since)})
        seen = {p.id for p in changed}
    compared = set(kinds if fields is None else fields)
    if Kind.COMPLEX_RULES in compared:  # no include brings them: read for those read again
        await store.read_rules(changed, fields, Kind.MODIFIERS in compared)
    renamed = await _name_images(store, mirror, changed, since)
    share_images(changed, like)
    if total != len(mirror.keys) + len(mirror.unkeyed):  # something went, or came meanwhile
        found = await _missing(store, mirror.ids())
        for product_id in found:
            mirror.drop(product_id)
        gone += found
    mirror.done()
    wanted = set(kinds)
    before = _small(observed)
    if wanted & CATALOG_KINDS:
        await fan_out([store.read_categories(observed), store.read_brands(observed)])
        await store.name_record_images(observed)
    await store.read_content(observed, wanted)
    store.note_unclaimed(observed)
    others = renamed or _small(observed) != before
    # metafields modified since (a change to one is not one of its owner); one deleted is seen
    # at the next full read
    for kind in sorted(metafield_kinds(kinds, fields)):
        _, moved = await store.read_metafields(observed, kind, as_filter(since))
        others = others or bool(moved)
    return Changes(clock, len(changed), differ, len(set(gone)), others)


def _small(observed: ObservedCatalog) -> tuple[Any, ...]:
    """The kinds read whole each time: everything but the products."""
    return tuple(
        getattr(observed, f.name)
        for f in dataclasses.fields(observed)
        if f.name not in ("products", "unkeyed_products")
    )


async def _name_images(
    store: BigCommerceRecords, mirror: _Mirror, changed: list[ObservedProduct], since: datetime
) -> bool:
    """Sources recorded since `since` (for new images, mostly of the products read again);
    whether an image not read again now has one. Not asked when every image has its source."""
    if all(i.sourced for p in mirror.observed.products.values() for i in p.images):
        return False
    sources = await store.image_sources({"date_modified:min": as_filter(since)})
    if not sources:
        return False
    name_images(changed, sources)
    known = {i.id for p in changed for i in p.images}
    if all(image_id in known for image_id in sources):
        return False
    unnamed = {i.id for p in mirror.observed.products.values() for i in p.images if not i.sourced}
    name_images(mirror.observed.products.values(), sources)  # an older image, claimed since
    return bool(unnamed & set(sources))


async def _missing(store: BigCommerceRecords, ids: list[int]) -> list[int]:
    """Which of `ids` (ascending) the store no longer has: a count per id range, halved where it
    falls short, the ids of a short range listed."""
    if not ids:
        return []
    bounds = {"id:min": ids[0], "id:max": ids[-1]}
    total, _ = await count(store, bounds)
    if total >= len(ids):
        return []
    if total == 0:
        return ids
    if len(ids) <= PAGE_LIMIT:
        present: set[int] = set()
        async for page in store.pages(PRODUCTS, {**bounds, "include_fields": "id"}):
            present.update(p["id"] for p in page)
        return [i for i in ids if i not in present]
    middle = len(ids) // 2
    low, high = await fan_out([_missing(store, ids[:middle]), _missing(store, ids[middle:])])
    return low + high
