"""The Catalog V2 to V3 migration against a store: read what each product is (V3 products with
their options and variants in pages, each option-set product's V2 rules, the option sets), plan
it (`controller.catalog.v2migration`), apply it with the fewest requests, and verify that every
SKU and option combination costs and weighs what it did."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from controller.catalog.observed import ObservedCatalog
from controller.catalog.pricing import Shown
from controller.catalog.v2migration import (
    VARIANT_OPTION_TYPES,
    Difference,
    ModifierTarget,
    ProductPlan,
    ProductState,
    VariantTarget,
    differences,
    migrated,
    own_rule,
    plan_product,
    requests_minimum,
)
from controller.stores import BigCommerceStore
from controller.stores.client import decode
from controller.stores.errors import RequestRejected
from controller.tasks import fan_out

V2_PAGE = 250
BATCH = 50


@dataclass
class Reading:
    """A store as the migration reads it."""

    products: list[ProductState]
    pages: int  # requests that read pages (products, option sets)


async def _v2_list(store: BigCommerceStore, path: str, endpoint: str) -> tuple[list[Any], int]:
    """Every item of a V2 list (bare JSON pages of 250), and the requests it took."""
    items: list[Any] = []
    page = 1
    while True:
        response = await store.request(
            "GET", path, endpoint=endpoint, params={"page": page, "limit": V2_PAGE}
        )
        found = decode(response) if response.content else []
        items += found
        if len(found) < V2_PAGE:
            return items, page
        page += 1


async def read_store(store: BigCommerceStore, *, to_migrate: bool = False) -> Reading:
    """Every product with its options, variants and (when in an option set) V2 rules; with
    `to_migrate`, none of a store without option sets (none has rules to migrate)."""
    sets, pages = await _v2_list(store, "/v2/option_sets", "/v2/option_sets")
    if to_migrate and not sets:
        return Reading([], pages)
    owner = {s["id"]: s.get("product_id") for s in sets}
    products: list[ProductState] = []
    include = {"include": "variants,options,modifiers"}
    async for page in store.pages("/v3/catalog/products", include):
        pages += 1
        for data in page:
            set_id = data.get("option_set_id")
            products.append(
                ProductState(
                    id=data["id"],
                    name=data["name"],
                    sku=data.get("sku", ""),
                    price=data.get("price", 0),
                    weight=data.get("weight", 0),
                    option_set_id=set_id,
                    set_shared=set_id is not None and owner.get(set_id) is None,
                    options=[
                        o
                        for o in data.get("options") or []
                        if o.get("type") in VARIANT_OPTION_TYPES
                    ],
                    variants=[v for v in data.get("variants") or [] if v.get("option_values")],
                    modifiers=data.get("modifiers") or [],
                )
            )

    async def rules(state: ProductState) -> None:
        path = f"/v2/products/{state.id}/rules"
        found, _ = await _v2_list(store, path, "/v2/products/{product_id}/rules")
        state.rules = [r for r in found if not own_rule(r, state.variants)]

    await fan_out(rules(s) for s in products if s.option_set_id is not None)
    return Reading(products, pages)


@dataclass
class Migration:
    """A planned migration: each product's plan, what shoppers saw before, the request minimum."""

    store: str
    plans: list[ProductPlan]
    before: dict[int, dict[str, Shown]]
    skus_before: dict[int, list[str]]
    minimum: dict[str, int] = field(default_factory=dict)

    @property
    def changes(self) -> list[ProductPlan]:
        """The plans that write something."""
        return [p for p in self.plans if p.changes]

    def to_json(self) -> dict[str, Any]:
        """What a resumed run needs (written before the first write)."""
        return {
            "store": self.store,
            "products": [
                {
                    "id": p.state.id,
                    "name": p.state.name,
                    "localise": p.localise,
                    "delete_rules": p.delete_rules,
                    "options": [
                        {
                            "id": o["id"],
                            "display_name": o["display_name"],
                            "option_values": [
                                {"id": v["id"], "label": v["label"]} for v in o["option_values"]
                            ],
                        }
                        for o in p.state.options
                    ],
                    "rules": len(p.state.rules),
                    "modifiers": [
                        [
                            m.id,
                            m.name,
                            {str(k): v for k, v in m.values.items()},
                            {str(k): v for k, v in m.labels.items()},
                        ]
                        for m in p.modifiers
                    ],
                    "variants": [
                        [t.id, t.sku, t.labels, str(t.price), str(t.weight)] for t in p.variants
                    ],
                }
                for p in self.changes
            ],
            "before": {
                str(k): {c: [str(s.price), str(s.weight)] for c, s in v.items()}
                for k, v in self.before.items()
            },
            "skus_before": {str(k): v for k, v in self.skus_before.items()},
            "minimum": self.minimum,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Migration:
        """A migration saved by `to_json` (its plans carry what applying needs)."""
        plans = []
        for item in data["products"]:
            state = ProductState(item["id"], item["name"], "", 0, 0, None, item["localise"])
            state.options = item["options"]
            state.rules = [{} for _ in range(item["rules"])]  # how many, for the plan's text
            plans.append(
                ProductPlan(
                    state,
                    localise=item["localise"],
                    delete_rules=item["delete_rules"],
                    variants=[
                        VariantTarget(i, s, lab, Decimal(p), Decimal(w))
                        for i, s, lab, p, w in item["variants"]
                    ],
                    modifiers=[
                        ModifierTarget(
                            i,
                            name,
                            {int(k): v for k, v in values.items()},
                            {int(k): v for k, v in labels.items()},
                        )
                        for i, name, values, labels in item["modifiers"]
                    ],
                )
            )
        before = {
            int(k): {c: Shown(Decimal(p), Decimal(w)) for c, (p, w) in v.items()}
            for k, v in data["before"].items()
        }
        skus = {int(k): list(v) for k, v in data["skus_before"].items()}
        return cls(data["store"], plans, before, skus, dict(data.get("minimum") or {}))


def _skus(state: ProductState) -> list[str]:
    return sorted(v["sku"] for v in state.variants)


async def plan_migration(store: BigCommerceStore, label: str) -> Migration:
    """Read the store and plan every product."""
    reading = await read_store(store, to_migrate=True)
    plans = [plan_product(s) for s in reading.products]
    migration = Migration(
        label,
        plans,
        {s.id: s.shown() for s in reading.products},
        {s.id: _skus(s) for s in reading.products},
    )
    migration.minimum = requests_minimum(plans, reading.pages)
    return migration


async def apply_migration(
    store: BigCommerceStore,
    migration: Migration,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Write the migration: each product in a shared set gets its own copy (one option write;
    a modifier's new adjusters are that write), then, batch by batch of 50 variants, the rules of the batch's products are deleted and the
    variants get their own prices and weights."""
    todo = migration.changes

    async def localise(plan: ProductPlan) -> None:
        option = plan.state.options[0]["id"]
        await store.request(
            "PUT",
            f"/v3/catalog/products/{plan.state.id}/options/{option}",
            endpoint="/v3/catalog/products/{product_id}/options/{option_id}",
            json={},
        )

    async def modifier(plan: ProductPlan, target: ModifierTarget) -> None:
        path = f"/v3/catalog/products/{plan.state.id}/modifiers/{target.id}"
        endpoint = "/v3/catalog/products/{product_id}/modifiers/{modifier_id}"
        try:
            await store.request("PUT", path, endpoint=endpoint, json=target.body())
        except RequestRejected as error:
            if error.status != 422:
                raise
            # a resumed run: the product has its copy already, its values new ids (by label)
            now = await store.data("GET", path, endpoint)
            ids = {v["label"]: v["id"] for v in now.get("option_values") or []}
            body = {
                "option_values": [
                    {"id": ids[target.labels[i]], "adjusters": a} for i, a in target.values.items()
                ]
            }
            await store.request("PUT", path, endpoint=endpoint, json=body)

    # a product's first modifier write copies its shared set as an option write would; the
    # writes of one product go one after the other (each would copy the set otherwise)
    async def options_of(plan: ProductPlan) -> None:
        for target in plan.modifiers:
            await modifier(plan, target)
        if not plan.modifiers and plan.localise and plan.state.options:
            await localise(plan)

    await fan_out(options_of(p) for p in todo)
    targets = [(p, t) for p in todo for t in p.variants]
    cleared: set[int] = set()

    async def clear(plan: ProductPlan) -> None:
        await store.request(
            "DELETE",
            f"/v2/products/{plan.state.id}/rules",
            endpoint="/v2/products/{product_id}/rules",
        )

    done = 0
    for start in range(0, len(targets), BATCH):
        batch = targets[start : start + BATCH]
        owners = {p.state.id: p for p, _ in batch if p.delete_rules and p.state.id not in cleared}
        await fan_out(clear(p) for p in owners.values())
        cleared |= set(owners)
        await store.request(
            "PUT",
            "/v3/catalog/variants",
            endpoint="/v3/catalog/variants",
            json=[t.body() for _, t in batch],
        )
        done += len(batch)
        if progress is not None:
            progress(done, len(targets))
    await fan_out(clear(p) for p in todo if p.delete_rules and p.state.id not in cleared)


@dataclass
class Verification:
    """The store after the migration against what shoppers saw before."""

    differences: list[Difference]
    products_missing: list[int]
    skus_changed: list[int]
    combinations: int

    @property
    def ok(self) -> bool:
        """Nothing a shopper would notice, no product or SKU lost."""
        return not (self.differences or self.products_missing or self.skus_changed)


async def verify(store: BigCommerceStore, migration: Migration) -> Verification:
    """Read the store again and compare every SKU and option combination of every product."""
    reading = await read_store(store)
    after = {s.id: s.shown() for s in reading.products}
    skus = {s.id: _skus(s) for s in reading.products}
    return Verification(
        differences(migration.before, after),
        sorted(set(migration.before) - set(after)),
        sorted(i for i, v in migration.skus_before.items() if skus.get(i) != v),
        sum(len(v) for v in migration.before.values()),
    )


def pack(migration: Migration) -> str:
    """The migration as `to_json`, compressed into text (kept in a resource's status)."""
    raw = json.dumps(migration.to_json(), separators=(",", ":")).encode()
    return base64.b64encode(gzip.compress(raw, mtime=0)).decode()


def unpack(text: str) -> Migration:
    """A migration kept by `pack`."""
    return Migration.from_json(json.loads(gzip.decompress(base64.b64decode(text))))


async def as_migrated(store: BigCommerceStore, observed: ObservedCatalog) -> ObservedCatalog:
    """What an observed store becomes once its Catalog V2 products are migrated (the observation
    itself when it has none: a store without option sets costs one request more)."""
    migration = await plan_migration(store, "")
    return migrated(observed, migration.plans)


def save(path: Path, migration: Migration) -> None:
    """Keep the plan (and what shoppers saw) before the first write, for a resumed run."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(migration.to_json(), indent=1) + "\n", encoding="utf-8")
    partial.replace(path)


def load(path: Path, label: str) -> Migration | None:
    """A migration an earlier run of this store began, if any."""
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return Migration.from_json(data) if data.get("store") == label else None
