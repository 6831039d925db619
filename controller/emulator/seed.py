"""Deterministic synthetic catalogs for benchmarks and demos, written straight into a store."""

from __future__ import annotations

import random
import zlib
from typing import Any

from controller.catalog.model import Catalog, path_key
from controller.emulator.database import StoreDB, StoreProfile
from controller.emulator.resources.v2_options import VARIANT_TYPES

DEPARTMENTS = ["Apparel", "Footwear", "Outdoor", "Home", "Kitchen"]
SECTIONS = ["Men", "Women", "Kids", "Sale"]
FAMILIES = ["Basics", "Premium", "Seasonal"]
BRANDS = [f"Brand {chr(65 + i)}{chr(65 + j)}" for i in range(5) for j in range(4)]
SIZES = ["S", "M", "L", "XL", "XXL", "3XL"]
COLORS = ["Black", "White", "Navy", "Olive", "Red", "Sand", "Grey", "Teal", "Rust", "Plum"]


def synthetic_products(count: int, *, variants: int = 3, seed: int = 0) -> list[dict[str, object]]:
    """`count` products in the API's create shape (categories and brands by name), deterministic.

    Each product has `variants` variants (Size x Color), two custom fields and one image; categories
    are given as paths (three levels), to be resolved to ids by the caller.
    """
    rng = random.Random(seed)
    products: list[dict[str, object]] = []
    for index in range(count):
        sku = f"SP-{index:06d}"
        path = f"{rng.choice(DEPARTMENTS)}/{rng.choice(SECTIONS)}/{rng.choice(FAMILIES)}"
        combos = [(size, color) for color in COLORS for size in SIZES][:variants]
        products.append(
            {
                "name": f"Product {index:06d}",
                "type": "physical",
                "sku": sku,
                "price": round(rng.uniform(5, 500), 2),
                "weight": round(rng.uniform(0.1, 10), 2),
                "description": f"<p>Synthetic product {index}.</p>",
                "is_visible": True,
                "category_paths": [path],
                "brand_name": rng.choice(BRANDS),
                "variants": [
                    {
                        "sku": f"{sku}-{size}-{color[:3].upper()}",
                        "option_values": [
                            {"option_display_name": "Size", "label": size},
                            {"option_display_name": "Color", "label": color},
                        ],
                    }
                    for size, color in combos
                ]
                if variants > 0
                else [],
                "custom_fields": [
                    {"name": "material", "value": rng.choice(["cotton", "wool", "steel", "oak"])},
                    {"name": "origin", "value": rng.choice(["US", "PT", "VN", "DE"])},
                ],
                "images": [
                    {"image_url": f"https://cdn.example.test/img/{sku}.jpg", "is_thumbnail": True}
                ],
            }
        )
    return products


def seed_synthetic(
    db: StoreDB, store: str, count: int, *, variants: int = 3, seed: int = 0
) -> dict[str, int]:
    """Fill `store` with a synthetic catalog (in one transaction); returns the store's counts."""
    products = synthetic_products(count, variants=variants, seed=seed)
    profile = db.store(store)
    with db.bulk():
        category_ids: dict[str, int] = {}
        for department in DEPARTMENTS:
            for section in SECTIONS:
                for family in FAMILIES:
                    parent = 0
                    path: list[str] = []
                    for name in (department, section, family):
                        path.append(name)
                        key = "/".join(path)
                        if key not in category_ids:
                            category_ids[key] = db.create_categories(
                                store, [{"name": name, "parent_id": parent, "tree_id": 1}]
                            )[0]["id"]
                        parent = category_ids[key]
        for product in products:
            body = dict(product)
            body["categories"] = [category_ids[p] for p in body.pop("category_paths")]  # type: ignore[attr-defined]
            product_id = db.create_product(store, body, render=False)["id"]
            if profile is not None:
                images: Any = body.get("images") or []
                record_sources(db, store, product_id, [i["image_url"] for i in images], profile)
    return db.counts(store)


def record_sources(
    db: StoreDB, store: str, product_id: int, urls: list[str], profile: StoreProfile
) -> None:
    """Record where a product's images came from, as StagingPro does when it creates them."""
    shop = db.bind(store)
    for url, doc in zip(urls, shop.images.stored(product_id), strict=True):
        source = {
            "namespace": IMAGE_SOURCES,
            "key": str(doc["id"]),
            "value": url,
            "permission_set": "app_only",
        }
        shop.metafields.insert(product_id, source, client=client_id(profile.token))


IMAGE_SOURCES = "stagingpro.images"  # the metafields in which StagingPro keeps images' sources


def client_id(token: str) -> str:
    """The API account a token stands for (scripts belong to the account that created them)."""
    return f"client-{zlib.crc32(token.encode()):08x}"


def seed_catalog(db: StoreDB, store: str, catalog: Catalog) -> dict[str, int]:
    """Fill `store` with a catalog in natural keys (categories by path, brands by name), in one
    transaction, through the same rules as the API; returns the store's counts."""
    profile = db.store(store)
    with db.bulk():
        brand_ids = {
            b.name.casefold(): db.create_brand(store, {"name": b.name, **b.fields})["id"]
            for b in (catalog.brands or {}).values()
        }
        category_ids: dict[str, int] = {}
        for key, category in sorted(
            (catalog.categories or {}).items(), key=lambda item: item[1].depth
        ):
            parent = category.parent_path
            parent_id = category_ids[path_key(parent)] if parent else 0
            created = db.create_categories(
                store,
                [{"name": category.name, "parent_id": parent_id, "tree_id": 1, **category.fields}],
            )
            category_ids[key] = created[0]["id"]
        for product in catalog.products.values():
            body: dict[str, object] = {"sku": product.sku, **product.fields}
            if product.categories:
                body["categories"] = [category_ids[c] for c in sorted(product.categories)]
            if product.brand:
                body["brand_id"] = (
                    brand_ids.get(product.brand.casefold())
                    or db.create_brand(store, {"name": product.brand})["id"]
                )
            body["variants"] = [
                {
                    "sku": v.sku,
                    **v.fields,
                    "option_values": [
                        {"option_display_name": o, "label": label} for o, label in v.option_values
                    ],
                }
                for v in product.variants or ()
            ]
            body["custom_fields"] = [
                {"name": n, "value": v} for n, v in product.custom_fields or ()
            ]
            body["images"] = [
                {
                    "image_url": i.image_url,
                    "is_thumbnail": i.is_thumbnail,
                    "description": i.description,
                    "sort_order": n,
                }
                for n, i in enumerate(product.images or ())
            ]
            product_id = db.create_product(store, body, render=False)["id"]
            if profile is not None:
                urls = [i.image_url for i in product.images or ()]
                record_sources(db, store, product_id, urls, profile)
        if profile is not None:
            for script in (catalog.scripts or {}).values():
                body = {"name": script.name, **script.fields}
                db.bind(store).scripts.create(body, client_id(profile.token))
    return db.counts(store)


# ---- an older store: the V2 catalog -----------------------------------------------------------

V2_SETS: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    # option set -> its options (name, V2 type, values)
    "Tees": (
        ("Tee size", "RT", ("S", "M", "L", "XL")),
        ("Tee colour", "S", ("Black", "White", "Navy")),
        ("Gift wrap", "C", ("Yes", "No")),
    ),
    "Mugs": (("Mug colour", "CS", ("#000000", "#ffffff", "#c0392b")),),
    "Hoodies": (("Hoodie size", "RB", ("S", "M", "L")), ("Hoodie fit", "S", ("Regular", "Slim"))),
}


_V2_DISCOUNTS = (
    {"min": 10, "max": 49, "type": "price", "type_value": 1},
    {"min": 50, "max": 0, "type": "percent", "type_value": 10},
)
_SWATCHES = {"#000000": "Black", "#ffffff": "White", "#c0392b": "Red"}


def seed_v2(db: StoreDB, store: str, count: int, *, seed: int = 0) -> dict[str, int]:
    """Fill `store` the way an older store looks, through the V2 catalog's rules (in one
    transaction): a few option sets shared by the `count` products (one with a gift wrap
    checkbox, a modifier), a SKU for every combination of the choice options' values (some with
    their own price or weight), and product rules with price and weight adjusters (relative,
    percentage, absolute; on option values, on SKUs and on the gift wrap; one that stops where
    no modifier would be kept from its price; on every sixth product the gift wrap costs more on
    the largest size and, on every twelfth, a wrapped last colour stops the rules after it: V3
    complex rules). Every tenth product has no option set; every third has bulk pricing (two V2
    discount rules). Returns the store's counts."""
    rng = random.Random(seed)
    shop = db.bind(store)
    v2 = shop.options_v2
    with db.bulk():
        category = db.create_categories(store, [{"name": "Legacy", "parent_id": 0, "tree_id": 1}])
        sets: dict[str, int] = {}
        for name_of_set, members in V2_SETS.items():
            sets[name_of_set] = v2.create_set({"name": name_of_set})["id"]
            for sort, (name, kind, labels) in enumerate(members):
                option = v2.create_option({"name": name, "type": kind})
                for n, value in enumerate(labels):
                    text = _SWATCHES.get(value, value)
                    v2.create_value(option["id"], {"label": text, "value": value, "sort_order": n})
                v2.create_set_option(
                    sets[name_of_set],
                    {"option_id": option["id"], "sort_order": sort, "is_required": True},
                )
        names = list(V2_SETS)
        for index in range(count):
            set_name: str | None = names[index % len(names)] if index % 10 != 9 else None
            sku = f"V2-{index:06d}"
            body = {
                "name": f"Legacy product {index:06d}",
                "type": "physical",
                "sku": sku,
                "price": round(rng.uniform(5, 200), 2),
                "weight": round(rng.uniform(0.1, 5), 2),
                "categories": [category[0]["id"]],
                "is_visible": True,
            }
            product_id = db.create_product(store, body, render=False)["id"]
            if index % 3 == 0:  # bulk pricing: from 10 a unit 1 off, from 50 10 % off
                for tier in _V2_DISCOUNTS:
                    shop.discount_rules_v2.create(product_id, tier)
            if set_name is None:
                continue
            v2.apply_set(product_id, sets[set_name])
            chosen: list[dict[str, Any]] = []
            modifiers: list[dict[str, Any]] = []
            for item in v2.product_options(product_id):
                is_choice = v2.option(item["option_id"])["type"] in VARIANT_TYPES
                (chosen if is_choice else modifiers).append(item)
            choices = [
                [(o["id"], v["id"], v["label"]) for v in v2.option(o["option_id"])["values"]]
                for o in chosen
            ]
            combos: list[list[tuple[int, int, str]]] = [[]]
            for values in choices:
                combos = [[*c, v] for c in combos for v in values]
            skus = []
            for combo in combos:
                fields: dict[str, Any] = {}
                if rng.random() < 0.2:
                    fields["price"] = round(float(body["price"]) + rng.uniform(1, 10), 2)  # type: ignore[arg-type]
                if rng.random() < 0.1:
                    fields["weight"] = round(rng.uniform(0.1, 5), 2)
                label = "-".join(part[2][:3].upper() for part in combo)
                created = v2.create_sku(
                    product_id,
                    {
                        "sku": f"{sku}-{label}",
                        "options": [
                            {"product_option_id": o, "option_value_id": v} for o, v, _ in combo
                        ],
                        **fields,
                    },
                )
                skus.append(created["id"])
            first = chosen[0]["id"]
            last_value = choices[0][-1]
            v2.create_rule(
                product_id,
                {
                    "sort_order": 0,
                    "conditions": [{"product_option_id": first, "option_value_id": last_value[1]}],
                    "price_adjuster": {"adjuster": "relative", "adjuster_value": 2.5},
                    "weight_adjuster": {"adjuster": "relative", "adjuster_value": 0.2},
                },
            )
            if len(choices) > 1:
                second = chosen[1]["id"]
                v2.create_rule(
                    product_id,
                    {
                        "sort_order": 1,
                        "conditions": [
                            {"product_option_id": second, "option_value_id": choices[1][0][1]}
                        ],
                        "price_adjuster": {"adjuster": "percentage", "adjuster_value": 10},
                    },
                )
            for modifier in modifiers:  # a gift wrap's price, after the others
                chosen_value = v2.option(modifier["option_id"])["values"][0]["id"]
                v2.create_rule(
                    product_id,
                    {
                        "sort_order": 5,
                        "conditions": [
                            {"product_option_id": modifier["id"], "option_value_id": chosen_value}
                        ],
                        "price_adjuster": {"adjuster": "relative", "adjuster_value": 4},
                        "weight_adjuster": {"adjuster": "relative", "adjuster_value": 0.1},
                    },
                )
            for modifier in modifiers if index % 6 == 0 else ():  # a V3 complex rule each
                wrap = v2.option(modifier["option_id"])["values"][0]["id"]
                v2.create_rule(  # a gift wrap on the largest size costs more
                    product_id,
                    {
                        "sort_order": 3,
                        "conditions": [
                            {"product_option_id": modifier["id"], "option_value_id": wrap},
                            {"product_option_id": first, "option_value_id": last_value[1]},
                        ],
                        "price_adjuster": {"adjuster": "relative", "adjuster_value": 1.5},
                        "weight_adjuster": {"adjuster": "relative", "adjuster_value": 0.05},
                    },
                )
                if index % 12 == 0 and len(choices) > 1:  # and a wrapped last colour stops
                    v2.create_rule(
                        product_id,
                        {
                            "sort_order": 4,
                            "is_stop": True,
                            "conditions": [
                                {
                                    "product_option_id": chosen[1]["id"],
                                    "option_value_id": choices[1][-1][1],
                                },
                                {"product_option_id": modifier["id"], "option_value_id": wrap},
                            ],
                            "price_adjuster": {"adjuster": "percentage", "adjuster_value": 10},
                        },
                    )
            v2.create_rule(
                product_id,
                {
                    "sort_order": 2,
                    "is_stop": not modifiers,  # a stop would keep a gift wrap from being priced
                    "conditions": [{"sku_id": rng.choice(skus)}],
                    "price_adjuster": {"adjuster": "absolute", "adjuster_value": 9.99},
                    "weight_adjuster": {"adjuster": "absolute", "adjuster_value": 1},
                },
            )
    return db.counts(store)
