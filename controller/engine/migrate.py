"""The Catalog V2 to V3 migration against a store: read what each product is (V3 products with
their options and variants in pages, each option-set product's V2 rules, the option sets), plan
it (`controller.catalog.v2migration`), apply it with the fewest requests, and verify that every
SKU and option combination costs and weighs what it did."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from controller.catalog.kinds import Kind
from controller.catalog.observed import ObservedCatalog
from controller.catalog.pricing import Shown
from controller.catalog.v2migration import (
    VARIANT_OPTION_TYPES,
    Difference,
    ModifierTarget,
    ProductPlan,
    ProductState,
    RuleTarget,
    VariantTarget,
    adjuster_rule,
    complex_rule_shown,
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
READ_WITH_PRODUCTS = frozenset({Kind.VARIANTS, Kind.OPTIONS, Kind.MODIFIERS})


@dataclass
class Reading:
    """A store as the migration reads it."""

    products: list[ProductState]
    pages: int  # requests that read pages (products, option sets, complex rules a migrated
    # product's V2 rules may show)


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


async def v2_items(store: BigCommerceStore, path: str, endpoint: str) -> list[Any]:
    """Every item of a V2 list."""
    items, _ = await _v2_list(store, path, endpoint)
    return items


async def read_store(
    store: BigCommerceStore,
    *,
    to_migrate: bool = False,
    complex_of: Collection[int] = (),
) -> Reading:
    """Every product with its options, variants and (when in an option set) V2 rules, and the
    complex rules of those in `complex_of` (one read each: no include brings them); with
    `to_migrate`, none of a store without option sets (none has rules to migrate)."""
    sets, pages = await _v2_list(store, "/v2/option_sets", "/v2/option_sets")
    if to_migrate and not sets:
        return Reading([], pages)
    owner = {s["id"]: s.get("product_id") for s in sets}
    products: list[ProductState] = []
    include = {"include": "variants,options,modifiers"}
    async for page in store.pages("/v3/catalog/products", include):
        pages += 1
        products += [product_state(data, owner) for data in page]

    extra = await fan_out(
        _rules_to_migrate(store, s, complex_of) for s in products if s.option_set_id is not None
    )
    await fan_out(
        _complex_rules(store, s) for s in products if s.id in complex_of and s.option_set_id is None
    )
    return Reading(products, pages + sum(extra))


def product_state(data: dict[str, Any], owner: Mapping[int, Any]) -> ProductState:
    """A V3 product (with its variants, options and modifiers) as the migration reads it;
    `owner`: the product of each option set that is a product's own copy (None: shared)."""
    set_id = data.get("option_set_id")
    return ProductState(
        id=data["id"],
        name=data["name"],
        sku=data.get("sku", ""),
        price=data.get("price", 0),
        weight=data.get("weight", 0),
        option_set_id=set_id,
        set_shared=set_id is not None and owner.get(set_id) is None,
        options=[o for o in data.get("options") or [] if o.get("type") in VARIANT_OPTION_TYPES],
        variants=[v for v in data.get("variants") or [] if v.get("option_values")],
        modifiers=data.get("modifiers") or [],
    )


async def read_rules(store: BigCommerceStore, state: ProductState) -> None:
    """An option-set product's V2 rules, but those that are its variants' own values."""
    path = f"/v2/products/{state.id}/rules"
    found, _ = await _v2_list(store, path, "/v2/products/{product_id}/rules")
    state.rules = [r for r in found if not own_rule(r, state.variants)]


async def _complex_rules(store: BigCommerceStore, state: ProductState) -> int:
    """A product's complex rules (one read each page: no include brings them); the reads."""
    reads = 0
    async for page in store.pages(f"/v3/catalog/products/{state.id}/complex-rules"):
        state.complex_rules += page
        reads += 1
    return reads


async def _rules_to_migrate(
    store: BigCommerceStore, state: ProductState, complex_of: Collection[int] = ()
) -> int:
    """`read_rules`, but none where all of them show the product's modifier values' adjusters or
    its complex rules (as the platform shows them: a product migrated already). Its complex
    rules are read where it is in `complex_of`, or has its own options and rules naming a
    modifier; the reads that took."""
    await read_rules(store, state)
    rest = [r for r in state.rules if not adjuster_rule(r, state.modifiers)]
    modifiers = {m["id"] for m in state.modifiers}
    named = {c.get("product_option_id") for r in rest for c in r.get("conditions") or []}
    read = state.id in complex_of or bool(named & modifiers and not state.set_shared)
    reads = await _complex_rules(store, state) if read else 0
    if all(complex_rule_shown(r, state.complex_rules) for r in rest):
        state.rules = []
    elif state.id not in complex_of:  # to migrate: its V2 rules price it (those among them)
        state.complex_rules = []
    return reads


@dataclass
class Migration:
    """A planned migration: each product's plan, what shoppers saw before, the request minimum."""

    store: str
    plans: list[ProductPlan]
    before: dict[int, dict[str, Shown]]
    skus_before: dict[int, list[str]]
    minimum: dict[str, int] = field(default_factory=dict)
    resumed: bool = False  # read back from a kept plan: some of it may be written already

    @property
    def changes(self) -> list[ProductPlan]:
        """The plans that write something."""
        return [p for p in self.plans if p.changes]

    def by_sku(self) -> dict[str, Any]:
        """Each product's plan by its SKU, without the store's ids: what each product becomes
        (two stores' plans compare equal when they migrate alike)."""
        return {
            plan.state.sku: {
                "localise": plan.localise,
                "delete_rules": plan.delete_rules,
                "rules": len(plan.state.rules),
                "kept_because": plan.kept_because,
                "variants": sorted(
                    (t.sku, tuple(sorted(t.labels.split(", "))), t.price, t.weight)
                    for t in plan.variants
                ),
                "modifiers": sorted(
                    (m.name, sorted((m.labels[i], repr(a)) for i, a in m.values.items()))
                    for m in plan.modifiers
                ),
                "complex_rules": sorted((r.key, repr(r.fields())) for r in plan.rules),
            }
            for plan in self.plans
        }

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
                    "complex_rules": [r.to_json() for r in p.rules],
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
                    rules=[RuleTarget.from_json(r) for r in item.get("complex_rules") or []],
                )
            )
        before = {
            int(k): {c: Shown(Decimal(p), Decimal(w)) for c, (p, w) in v.items()}
            for k, v in data["before"].items()
        }
        skus = {int(k): list(v) for k, v in data["skus_before"].items()}
        minimum = dict(data.get("minimum") or {})
        return cls(data["store"], plans, before, skus, minimum, resumed=True)


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
    a modifier's new adjusters are that write, and so is a write of each modifier its complex
    rules name, whose answer holds the values' new ids): batch by batch of 50 variants, the
    rules of the batch's products are deleted, then those products' options and modifiers are
    written, the variants get their own prices and weights, and the products get their complex
    rules (a product without rules gets its copy first). A resumed run reads a product's complex
    rules first and creates only those missing."""
    todo = migration.changes
    value_ids: dict[int, dict[int, dict[str, int]]] = {}  # product -> modifier -> label -> id

    async def localise(plan: ProductPlan) -> None:
        option = plan.state.options[0]["id"]
        await store.request(
            "PUT",
            f"/v3/catalog/products/{plan.state.id}/options/{option}",
            endpoint="/v3/catalog/products/{product_id}/options/{option_id}",
            json={},
        )

    async def modifier(plan: ProductPlan, modifier_id: int) -> dict[str, int]:
        """Write one modifier (its new adjusters, else nothing: the write copies a shared set);
        its value ids by label, as the store answers them."""
        path = f"/v3/catalog/products/{plan.state.id}/modifiers/{modifier_id}"
        endpoint = "/v3/catalog/products/{product_id}/modifiers/{modifier_id}"
        target = next((m for m in plan.modifiers if m.id == modifier_id), None)
        try:
            body = target.body() if target is not None else {}
            done = await store.data("PUT", path, endpoint, json=body)
        except RequestRejected as error:
            if error.status != 422 or target is None:
                raise
            # a resumed run: the product has its copy already, its values new ids (by label)
            now = await store.data("GET", path, endpoint)
            ids = {v["label"]: v["id"] for v in now.get("option_values") or []}
            body = {
                "option_values": [
                    {"id": ids[target.labels[i]], "adjusters": a} for i, a in target.values.items()
                ]
            }
            done = await store.data("PUT", path, endpoint, json=body)
        return {v["label"]: v["id"] for v in (done or {}).get("option_values") or []}

    # a product's first modifier write copies its shared set as an option write would; the
    # writes of one product go one after the other (each would copy the set otherwise)
    async def options_of(plan: ProductPlan) -> None:
        found = value_ids.setdefault(plan.state.id, {})
        for modifier_id in plan.written_modifiers:
            found[modifier_id] = await modifier(plan, modifier_id)
        if not plan.written_modifiers and plan.localise and plan.state.options:
            await localise(plan)

    async def complex_rules(plan: ProductPlan) -> None:
        """Its complex rules, one create each, in order (a resumed run skips those made)."""
        path = f"/v3/catalog/products/{plan.state.id}/complex-rules"
        ids = value_ids.get(plan.state.id, {})
        made: list[set[tuple[Any, Any, Any]]] = []
        if migration.resumed:
            async for page in store.pages(path):
                made += [_condition_ids(r.get("conditions") or []) for r in page]
        for rule in plan.rules:
            body = rule.body(plan.state.id, ids)
            if _condition_ids(body["conditions"]) in made:
                continue
            await store.request(
                "POST",
                path,
                endpoint="/v3/catalog/products/{product_id}/complex-rules",
                json=body,
                retry_unsafe=False,
            )

    # a product without rules only gets its copy; one with rules has them deleted first: the
    # platform shows a modifier's adjusters (and complex rules) as V2 rules too, which that
    # delete would take
    await fan_out(options_of(p) for p in todo if not p.delete_rules)
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
        await fan_out(options_of(p) for p in owners.values())
        cleared |= set(owners)
        await store.request(
            "PUT",
            "/v3/catalog/variants",
            endpoint="/v3/catalog/variants",
            json=[t.body() for _, t in batch],
        )
        await fan_out(complex_rules(p) for p in owners.values() if p.rules)
        done += len(batch)
        if progress is not None:
            progress(done, len(targets))
    rest = [p for p in todo if p.delete_rules and p.state.id not in cleared]
    await fan_out(clear(p) for p in rest)
    await fan_out(options_of(p) for p in rest)
    await fan_out(complex_rules(p) for p in rest if p.rules)


def _condition_ids(conditions: list[Mapping[str, Any]]) -> set[tuple[Any, Any, Any]]:
    return {
        (c.get("modifier_id"), c.get("modifier_value_id"), c.get("variant_id")) for c in conditions
    }


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
    """Read the store again (with the complex rules of the products that got some) and compare
    every SKU and option combination of every product."""
    reading = await read_store(store, complex_of={p.state.id for p in migration.changes if p.rules})
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


async def observe_migrated(store: BigCommerceStore, kinds: Collection[Kind]) -> ObservedCatalog:
    """`store.observe(kinds)` as the store is once its Catalog V2 products are migrated (as
    `as_migrated`), planned from the product pages the observation reads: besides them, one
    request asks whether the store has option sets at all, and each option-set product's rules
    are read."""
    if not set(kinds) >= READ_WITH_PRODUCTS:  # pages without what the migration plans from
        return await as_migrated(store, await store.observe(kinds))
    sets, _ = await _v2_list(store, "/v2/option_sets", "/v2/option_sets")
    if not sets:
        return await store.observe(kinds)
    owner = {s["id"]: s.get("product_id") for s in sets}
    in_sets: list[ProductState] = []  # only they have rules to migrate or a set to copy

    def read(data: dict[str, Any]) -> None:
        if data.get("option_set_id") is not None:
            in_sets.append(product_state(data, owner))

    observed = await store.observe(kinds, each_product=read)
    await fan_out(_rules_to_migrate(store, s) for s in in_sets)
    return migrated(observed, [plan_product(s) for s in in_sets])


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
