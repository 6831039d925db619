"""The engine at the rate-limit floor: requests against the minimum possible, and wall time against
the quota floor, with the Pro plan's ratio (450 per 30 s) compressed to 45 per 3 s."""

from __future__ import annotations

import asyncio
import math
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from bench.common import TOKEN, emulator_process, raise_prices, reset_stats, seed, stats
from controller.catalog import Item, Kind, build_catalog
from controller.catalog.kinds import KINDS, Action
from controller.catalog.model import Catalog, Metafield, PriceList, PriceRecord, Video
from controller.catalog.observed import to_catalog
from controller.emulator.seed import BRANDS, DEPARTMENTS, FAMILIES, SECTIONS, synthetic_products
from controller.engine import sync
from controller.engine.observation import OVERLAP, Observation
from controller.engine.sync import compared_fields, managed_kinds
from controller.planner import Options
from controller.stores import BigCommerceStore, Token

QUOTA, WINDOW_MS = 45, 3_000
RATE = QUOTA / (WINDOW_MS / 1000)
CATEGORY_PATHS = [f"{d}/{s}/{f}" for d in DEPARTMENTS for s in SECTIONS for f in FAMILIES]


def synthetic_catalog(count: int) -> Catalog:
    """The seeder's synthetic products as a desired catalog in natural keys."""
    items = []
    for raw in synthetic_products(count):
        item = {k: v for k, v in raw.items() if k not in ("category_paths", "brand_name")}
        item["categories"] = raw["category_paths"]
        item["brand"] = raw["brand_name"]
        items.append(Item(item))
    paths = sorted({"/".join(p.split("/")[: i + 1]) for p in CATEGORY_PATHS for i in range(3)})
    return build_catalog(
        {
            Kind.PRODUCTS: items,
            Kind.CATEGORIES: [Item({"path": p}) for p in paths],
            Kind.BRANDS: [Item({"name": b}) for b in BRANDS],
        }
    )


@dataclass
class Figures:
    name: str
    reads: int
    writes: int
    min_reads: int
    min_writes: int
    throttled: int
    seconds: float

    def show(self) -> None:
        total, minimum = self.reads + self.writes, self.min_reads + self.min_writes
        floor = total / RATE
        print(
            f"  {self.name:<34} reads {self.reads:>4} (min {self.min_reads:>4})  writes {self.writes:>5} "
            f"(min {self.min_writes:>5})  ratio {total / minimum:5.3f}  "
            f"wall {self.seconds:6.1f}s / floor {floor:6.1f}s = {self.seconds / floor if floor else 0:5.2f}  "
            f"429s {self.throttled}"
        )


def min_reads(products: int, categories: int, brands: int) -> int:
    return sum(max(1, math.ceil(n / 250)) for n in (products, categories, brands))


async def _measure(
    url: str,
    store: str,
    name: str,
    desired: Catalog,
    options: Options,
    min_read: int,
    min_write: int,
) -> Figures:
    await asyncio.sleep(WINDOW_MS / 1000)  # start every scenario with a full window
    reset_stats(url, store)
    async with BigCommerceStore(url, store, Token(TOKEN)) as client:
        started = time.perf_counter()
        _, result = await sync(client, desired, options)
        elapsed = time.perf_counter() - started
    if result.errors:
        raise RuntimeError(f"{name}: {result.errors[:3]}")
    counted = stats(url, store)
    reads = counted["by_method"].get("GET", 0)
    return Figures(
        name,
        reads,
        counted["total"] - reads,
        min_read,
        min_write,
        counted["by_status"].get("429", 0),
        elapsed,
    )


async def _scenarios(url: str) -> list[Figures]:
    figures = []
    initial = synthetic_catalog(1_000)
    n_categories, n_brands = len(initial.categories or {}), len(initial.brands or {})
    levels = [
        sum(1 for p in (initial.categories or {}).values() if p.depth == d) for d in (1, 2, 3)
    ]
    figures.append(
        await _measure(
            url,
            "empty",
            "initial sync of 1k products",
            initial,
            Options(),
            min_reads(0, 0, 0),
            1_000 + n_brands + sum(math.ceil(n / 50) for n in levels),
        )
    )

    async with BigCommerceStore(url, "big", Token(TOKEN)) as client:
        current = to_catalog(await client.observe())
    products = len(current.products)
    reads = min_reads(products, n_categories, n_brands)
    figures.append(await _measure(url, "big", "no-op on 10k", current, Options(), reads, 0))

    desired = raise_prices(current)
    figures.append(
        await _measure(
            url,
            "big",
            "10% of 10k changed (price)",
            desired,
            Options(),
            reads,
            math.ceil(products / 10 / 10),
        )
    )

    kept = {k: v for i, (k, v) in enumerate(sorted(desired.products.items())) if i % 20}
    pruned = Catalog(kept, desired.categories, desired.brands)
    deleted = products - len(kept)
    figures.append(
        await _measure(
            url,
            "big",
            f"prune of 5% ({deleted})",
            pruned,
            Options(prune=True, max_delete_percent=10),
            reads,
            math.ceil(deleted / 250),
        )
    )
    figures += await _price_record_scenarios(url, pruned, reads - math.ceil(products / 250))
    return figures


def with_prices(catalog: Catalog, *, changed_every: int = 0) -> Catalog:
    """`catalog` with a price list holding a USD price for every variant (every
    `changed_every`-th one a cent dearer)."""
    records = tuple(
        PriceRecord(
            v.sku, "USD", {"price": 10 + (0.01 if changed_every and i % changed_every == 0 else 0)}
        )
        for i, v in enumerate(v for p in catalog.products.values() for v in p.variants or ())
    )
    return replace(catalog, price_lists={"Trade": PriceList("Trade", {"active": True}, records)})


async def _price_record_scenarios(url: str, store: Catalog, other_reads: int) -> list[Figures]:
    """The large kind: a price for each variant of the store, at the upsert maximum."""
    desired = with_prices(store)
    count = len(next(iter((desired.price_lists or {}).values())).records or ())
    kept = sum(1 for p in store.products.values())
    upsert = KINDS[Kind.PRICE_RECORDS].batch_size(Action.CREATE)
    reads = other_reads + math.ceil(kept / 250) + 1  # and the price lists
    return [
        await _measure(
            url,
            "big",
            f"{count // 1000}k price records created",
            desired,
            Options(),
            reads,
            1 + math.ceil(count / upsert),
        ),
        await _measure(
            url,
            "big",
            f"no-op on {count // 1000}k price records",
            desired,
            Options(),
            reads + math.ceil(count / 250),
            0,
        ),
        await _measure(
            url,
            "big",
            "10% of the price records changed",
            with_prices(store, changed_every=10),
            Options(),
            reads + math.ceil(count / 250),
            math.ceil(count / 10 / upsert),
        ),
    ]


def content_catalog(pages: int, redirects: int, *, retarget: int = 0) -> Catalog:
    """`pages` web pages (one in ten under another) and `redirects` redirects, half to a page by
    URL and half to a URL; `retarget` of them moved to another URL."""
    page_items = [
        Item(
            {
                "url": f"/landing-{i:05d}/",
                "name": f"Landing {i}",
                "type": "page",
                "body": f"<p>Landing page {i}</p>",
                **({"parent": f"/landing-{i - 1:05d}/"} if i % 10 == 9 else {}),
            }
        )
        for i in range(pages)
    ]
    redirect_items = [
        Item(
            {"from_path": f"/old/{i:05d}", "to_page": f"/landing-{i % pages:05d}/"}
            if i % 2
            else {"from_path": f"/old/{i:05d}", "to_url": f"/new/{i:05d}{'-v2' * (i < retarget)}"}
        )
        for i in range(redirects)
    ]
    return build_catalog({Kind.PAGES: page_items, Kind.REDIRECTS: redirect_items})


def redirect_writes(count: int, action: Action = Action.CREATE) -> tuple[int, int]:
    """(reads, writes) of writing `count` redirects: an import job when it costs fewer requests
    (the store's domain and the job's state are read), else batches."""
    spec = KINDS[Kind.REDIRECTS]
    if spec.uses_bulk(action, count):
        return 2, 1
    return 0, math.ceil(count / spec.batch_size(action))


def show_redirect_costs(*counts: int) -> None:
    """Both ways of writing redirects, in requests."""
    spec = KINDS[Kind.REDIRECTS]
    for count in counts:
        batches = math.ceil(count / spec.batch_size(Action.CREATE))
        job = spec.bulk[Action.CREATE]
        chosen = "import job" if spec.uses_bulk(Action.CREATE, count) else "batches"
        print(
            f"  {count} redirects: import job {job} requests, batches of "
            f"{spec.batch_size(Action.CREATE)} {batches} requests -> {chosen}"
        )


async def _content_scenarios(url: str, pages: int, redirects: int) -> list[Figures]:
    """Storefront content at the batch maxima: creates in batches (parents before children),
    redirects by an import job where it costs fewer requests, a no-op that only reads, and a
    tenth of the redirects retargeted."""
    page_batch = KINDS[Kind.PAGES].batch_size(Action.CREATE)
    children = pages // 10
    reads = min_reads(0, 0, 0) + 2  # the catalog's three lists, pages and redirects
    full_reads = reads - 2 + math.ceil(pages / 250) + math.ceil(redirects / 250)
    moved = redirects // 10
    created, retargeted = redirect_writes(redirects), redirect_writes(moved // 2, Action.UPDATE)
    return [
        await _measure(
            url,
            "content",
            f"initial {pages // 1000}k pages + {redirects // 1000}k redirects",
            content_catalog(pages, redirects),
            Options(),
            reads + created[0],
            math.ceil((pages - children) / page_batch)
            + math.ceil(children / page_batch)
            + created[1],
        ),
        await _measure(
            url,
            "content",
            "no-op on the same content",
            content_catalog(pages, redirects),
            Options(),
            full_reads,
            0,
        ),
        await _measure(
            url,
            "content",
            f"{moved // 2} redirects retargeted",
            content_catalog(pages, redirects, retarget=moved),
            Options(),
            full_reads + retargeted[0],
            retargeted[1],
        ),
    ]


def run(products: int = 10_000) -> None:
    """Print the engine's figures."""
    print(
        f"== engine (rate limit {QUOTA} per {WINDOW_MS / 1000:.0f}s = the Pro plan's 450 per 30s, compressed)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "engine.db"
        seed(db, {"empty": 0, "big": products, "content": 0})
        with emulator_process(
            db,
            ["empty", "big", "content"],
            "--rate-limit",
            str(QUOTA),
            "--window-ms",
            str(WINDOW_MS),
        ) as (url, _pid):
            for figure in asyncio.run(_scenarios(url)):
                figure.show()
            for figure in asyncio.run(_content_scenarios(url, 1_000, 5_000)):
                figure.show()
            show_redirect_costs(5_000, 250, 100)
    print("  targets: request ratio <= 1.05, wall/floor <= 1.15, no-op writes 0")


def metafield_catalog(count: int, *, value: str = "1") -> Catalog:
    """`count` synthetic products with two metafields each and one on each variant, category
    and brand, a video each, and an image (by URL) on each category and brand."""
    base = synthetic_catalog(count)

    def picture(key: str) -> str:
        return f"https://pictures.example.test/{key.replace('/', '-').replace(' ', '-')}.jpg"

    def mine(*names: str) -> tuple[Metafield, ...]:
        return tuple(
            Metafield("erp", name, {"value": f"{name}-{value}", "permission_set": "read"})
            for name in names
        )

    products = {
        key: replace(
            product,
            metafields=mine("item", "hs_code"),
            variants=tuple(replace(v, metafields=mine("barcode")) for v in product.variants or ()),
            videos=(Video(f"{i:011d}", {"title": f"Video {i}", "sort_order": 1}),),
        )
        for i, (key, product) in enumerate(base.products.items())
    }
    categories = {
        k: replace(c, fields={**c.fields, "image_url": picture(k)}, metafields=mine("feed"))
        for k, c in (base.categories or {}).items()
    }
    brands = {
        k: replace(b, fields={**b.fields, "image_url": picture(k)}, metafields=mine("origin"))
        for k, b in (base.brands or {}).items()
    }
    return Catalog(products, categories, brands)


def metafield_batches(catalog: Catalog) -> int:
    """Requests writing every metafield of `catalog` in batches of 50 across owners."""
    owners = {
        "products": list(catalog.products.values()),
        "variants": [v for p in catalog.products.values() for v in p.variants or ()],
        "categories": list((catalog.categories or {}).values()),
        "brands": list((catalog.brands or {}).values()),
    }
    return sum(
        math.ceil(sum(len(o.metafields or ()) for o in found) / 50) for found in owners.values()
    )


async def _metafield_scenarios(url: str, count: int) -> list[Figures]:
    """Metafields on every kind of owner, product videos and category and brand images:
    metafields and image records created after their owners in batches across owners, a no-op,
    and one value of each metafield changed."""
    wanted = metafield_catalog(count)
    n_categories, n_brands = len(wanted.categories or {}), len(wanted.brands or {})
    levels = [sum(1 for c in (wanted.categories or {}).values() if c.depth == d) for d in (1, 2, 3)]
    batches = metafield_batches(wanted)
    # the records of the images' sources: products', and categories' and brands' (the videos are
    # created with their products: no request of their own)
    image_sources = math.ceil(count / 50) + math.ceil(n_categories / 50) + math.ceil(n_brands / 50)
    # the no-op reads products, categories and brands, and the metafields of each kind of owner
    # (the products' with the records of their image sources)
    owned = [
        count * 2 + count,
        sum(len(p.variants or ()) for p in wanted.products.values()),
        n_categories,
        n_brands,
    ]
    reads = min_reads(count, n_categories, n_brands) + sum(math.ceil(n / 250) for n in owned)
    changed = metafield_catalog(count, value="2")
    return [
        await _measure(
            url,
            "meta",
            f"{count} products + metafields, videos, images",
            wanted,
            Options(),
            min_reads(0, 0, 0),
            count + n_brands + sum(math.ceil(n / 50) for n in levels) + batches + image_sources,
        ),
        await _measure(url, "meta", "no-op with metafields", wanted, Options(), reads, 0),
        await _measure(
            url, "meta", "every metafield value changed", changed, Options(), reads, batches
        ),
    ]


async def _steady_state(url: str, count: int) -> None:
    """What an operator's check of a store in sync reads: a full read, then incremental checks
    (metafields modified since: one request per kind of owner, never every owner's)."""
    wanted = metafield_catalog(count, value="2")
    await asyncio.sleep(OVERLAP.total_seconds() + 1)  # the last writes are older than the overlap
    observation = Observation()
    fields, kinds = compared_fields(wanted), managed_kinds(wanted)
    async with BigCommerceStore(url, "meta", Token(TOKEN)) as client:
        await observation.refresh(
            client, kinds, now=datetime.now(UTC), resync=3600, fields=fields, like=wanted
        )
        full = observation.requests
        await observation.refresh(
            client, kinds, now=datetime.now(UTC), resync=3600, fields=fields, like=wanted
        )
    owners = count + sum(len(p.variants or ()) for p in wanted.products.values())
    print(
        f"  steady state of {count} products with metafields: full read {full} requests, "
        f"incremental no-op check {observation.requests} requests ({observation.mode}; one "
        f"metafield list per kind of owner, where one request per owner would be {owners})"
    )


def run_metafields(products: int = 1_000) -> None:
    """Print the figures of metafields on every kind of owner."""
    print(f"== engine, metafields (rate limit {QUOTA} per {WINDOW_MS / 1000:.0f}s)")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "metafields.db"
        seed(db, {"meta": 0})
        with emulator_process(
            db, ["meta"], "--rate-limit", str(QUOTA), "--window-ms", str(WINDOW_MS)
        ) as (url, _pid):
            for figure in asyncio.run(_metafield_scenarios(url, products)):
                figure.show()
            asyncio.run(_steady_state(url, products))
