"""A faithful copy of an older store's Catalog V2 layer into a sandbox clone, written through the V2
API as a real store requires: options (by name) with their values (by label), shared option sets (by
name) with their options (by option name), each product's option set (the product by SKU), its SKUs
(by SKU code, their options by display name and label) and its rules (by their conditions in those
natural keys and their sort order). Ids are mapped per store. Every write is decided by comparing
natural keys with what the sandbox holds, so a copy of an unchanged source writes nothing and a
rerun writes only what a failed run left missing or different.

The V3 catalog sync writes everything else of these products first (their V3 options, variants,
modifiers and complex rules are this copy's: a V3 write to them would give the product its own copy
of its set). A product in an option set of its own (one a V3 write already copied a shared set to)
is not copied here: the V3 sync writes it as the migration would leave it."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from controller.catalog.fields import V2_RULE_FIELDS
from controller.catalog.kinds import Kind
from controller.catalog.model import Catalog, sku_key
from controller.catalog.observed import ObservedCatalog, to_catalog
from controller.catalog.v2migration import (
    ProductState,
    migrated,
    plan_product,
)
from controller.engine.apply import ApplyResult
from controller.engine.migrate import product_state, read_rules, v2_items
from controller.engine.sync import sync
from controller.planner import Options
from controller.stores import BigCommerceStore
from controller.stores.client import PAGE_LIMIT, decode
from controller.stores.errors import RequestRejected
from controller.tasks import fan_out

VALUE_FIELDS = ("value", "sort_order", "is_default")
SET_OPTION_FIELDS = ("display_name", "sort_order", "is_required")
# a V3 variant's field -> the V2 SKU's: every field the V2 SKU has (its sale, retail and MAP
# prices, dimensions, GTIN and MPN it has not: README, "not carried")
SKU_FIELDS = {
    "price": "price",
    "weight": "weight",
    "cost_price": "cost_price",
    "upc": "upc",
    "bin_picking_number": "bin_picking_number",
    "purchasing_disabled": "is_purchasing_disabled",
    "purchasing_disabled_message": "purchasing_disabled_message",
    "image_url": "image_file",
}
# operational data: carried with cloneFrom.inventory only
INVENTORY_FIELDS = {
    "inventory_level": "inventory_level",
    "inventory_warning_level": "inventory_warning_level",
}
RULE_FIELDS = tuple(f for f in V2_RULE_FIELDS if f != "sort_order")  # sort order: its key
NUMBERS = frozenset({"price", "weight", "cost_price"})

Choice = tuple[str, str]  # (option or modifier display name, value label), casefolded
Condition = tuple[str, ...]  # ("value", display name, label) or ("sku", SKU key)
RuleKey = tuple[tuple[Condition, ...], int]  # conditions and sort order


class Unmatched(Exception):
    """A SKU or rule names an option value or SKU the product does not have."""


def _key(text: Any) -> str:
    return str(text).casefold()


def _number(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


@dataclass
class V2Catalog:
    """A store's Catalog V2 layer as the copy compares it."""

    options: dict[str, dict[str, Any]]  # by name, each with its "values" by label
    sets: dict[str, dict[str, Any]]  # shared option sets by name, with "options" by option name
    products: dict[str, ProductState]  # by SKU
    set_names: dict[int, str] = field(default_factory=dict)  # shared set id -> name key
    reads: int = 0  # the requests that read it
    unkeyed: list[ProductState] = field(default_factory=list)  # products without a SKU: not copied

    def minimum(self) -> dict[str, int]:
        """The writes a copy into a store without any of it needs (V2 writes one item a
        request): each option, value, set, set option, product put in its set, SKU and rule."""
        carried = self.carried().values()
        return {
            "options": len(self.options),
            "option values": sum(len(o["values"]) for o in self.options.values()),
            "option sets": len(self.sets),
            "option set options": sum(len(s["options"]) for s in self.sets.values()),
            "products put in their option set": len(carried),
            "SKUs": sum(len(s.variants) for s in carried),
            "rules": sum(len(s.rules) for s in carried),
        }

    def in_shared_set(self, state: ProductState) -> str | None:
        """The name key of the shared option set a product is in, if any."""
        return None if state.option_set_id is None else self.set_names.get(state.option_set_id)

    def carried(self) -> dict[str, ProductState]:
        """The products this copy writes (those in a shared option set), by SKU."""
        return {k: s for k, s in self.products.items() if self.in_shared_set(s) is not None}

    def preview(self, observed: ObservedCatalog) -> ObservedCatalog:
        """The observed store with the products the copy does not carry as the migration leaves
        them (priced as shoppers pay), as the V3 sync writes them."""
        own = [s for s in self.products.values() if self.in_shared_set(s) is None]
        return migrated(observed, [plan_product(s) for s in own])

    def strip(self, catalog: Catalog) -> Catalog:
        """The V3 catalog without what this copy writes: the options, variants, modifiers and
        complex rules of products in a shared option set are not the V3 sync's."""
        carried = set(self.carried())
        products = {
            key: dataclasses.replace(
                product, options=None, variants=None, modifiers=None, complex_rules=None
            )
            if sku_key(product.sku) in carried
            else product
            for key, product in catalog.products.items()
        }
        return dataclasses.replace(catalog, products=products)


async def _products(
    store: BigCommerceStore, owner: Mapping[int, Any], ids: Collection[int] | None = None
) -> list[ProductState]:
    """The store's products (those of `ids`, when given) with variants, options and modifiers;
    `owner`: the product of each option set that is a product's own (None: shared)."""
    params = {"include": "variants,options,modifiers"}
    named = sorted(ids or ())
    asked = (
        [params]
        if ids is None
        else [
            {**params, "id:in": ",".join(map(str, named[i : i + PAGE_LIMIT]))}
            for i in range(0, len(named), PAGE_LIMIT)
        ]
    )
    out = []
    for query in asked:
        async for page in store.pages("/v3/catalog/products", query):
            out += [product_state(d, owner) for d in page]
    return out


async def read_v2(store: BigCommerceStore, names: Iterable[str] | None = None) -> V2Catalog:
    """A store's V2 layer: its options (with the values of those its shared sets use, or of
    `names`), its shared option sets with their options, and every product with its options,
    variants, modifiers and (when in an option set) its own rules. A store without option sets
    costs one request."""
    started = store.requests
    sets = await v2_items(store, "/v2/option_sets", "/v2/option_sets")
    if not sets and names is None:
        return V2Catalog({}, {}, {}, reads=store.requests - started)
    options = await v2_items(store, "/v2/options", "/v2/options")
    by_id = {o["id"]: o for o in options}
    shared = [s for s in sets if s.get("product_id") is None]

    async def members(option_set: dict[str, Any]) -> None:
        found = await v2_items(
            store,
            f"/v2/option_sets/{option_set['id']}/options",
            "/v2/option_sets/{option_set_id}/options",
        )
        option_set["options"] = {_key(by_id[i["option_id"]]["name"]): i for i in found}

    await fan_out(members(s) for s in shared)
    wanted = {n for s in shared for n in s["options"]} if names is None else set(names)

    async def values(option: dict[str, Any]) -> None:
        found = await v2_items(
            store, f"/v2/options/{option['id']}/values", "/v2/options/{option_id}/values"
        )
        option["values"] = {_key(v["label"]): v for v in found}

    await fan_out(values(o) for o in options if _key(o["name"]) in wanted)
    products = await _products(store, {s["id"]: s.get("product_id") for s in sets})
    keyed = [s for s in products if sku_key(s.sku)]  # a product without a SKU has no key
    await fan_out(read_rules(store, s) for s in keyed if s.option_set_id is not None)
    return V2Catalog(
        {_key(o["name"]): o for o in options if _key(o["name"]) in wanted},
        {_key(s["name"]): s for s in shared},
        {sku_key(s.sku): s for s in keyed},
        {s["id"]: _key(s["name"]) for s in shared},
        store.requests - started,
        [s for s in products if not sku_key(s.sku)],
    )


@dataclass
class V2Copy:
    """What a copy wrote (by what, e.g. "SKUs created"), what failed, and its requests."""

    written: Counter[str] = field(default_factory=Counter)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (what, why)
    detached: list[str] = field(default_factory=list)  # products taken out of an option set
    requests: int = 0

    def describe(self) -> str:
        """One line for people."""
        parts = [f"{n} {what}" for what, n in sorted(self.written.items())]
        return ", ".join(parts) or "nothing written"


class _Writer:
    """The writes of one copy into one store."""

    def __init__(self, store: BigCommerceStore, result: V2Copy, fields: dict[str, str]) -> None:
        self.store = store
        self.result = result
        self.fields = fields  # the SKU fields copied (V3 name -> V2 name)

    async def send(
        self,
        what: str,
        method: str,
        path: str,
        endpoint: str,
        body: Any = None,
        *,
        once: bool = False,
    ) -> Any:
        """One write; `once`: never sent again after a failure that may have come after the store
        made it (a rule has no natural key the store would refuse twice: the next run mends)."""
        response = await self.store.request(
            method, path, endpoint=endpoint, json=body, retry_unsafe=not once
        )
        self.result.written[what] += 1
        return decode(response) if response.content else None

    async def create(
        self,
        what: str,
        path: str,
        endpoint: str,
        body: dict[str, Any],
        find: Callable[[list[Any]], dict[str, Any] | None],
    ) -> Any:
        """A create; refused as a duplicate (409: a retried create the store had made), the
        record of its natural key the store lists at `path` (`find` picks it) is adopted."""
        try:
            return await self.send(what, "POST", path, endpoint, body)
        except RequestRejected as error:
            if error.status != 409:
                raise
            found = find(await v2_items(self.store, path, endpoint))
            if found is None:
                raise
            self.result.written[what] += 1
            return found

    async def option(self, want: dict[str, Any], have: dict[str, Any] | None) -> int | None:
        """An option and its values; its id in the store (None when it cannot be made alike)."""
        if have is None:
            body = {k: want[k] for k in ("name", "display_name", "type")}
            have = {
                **await self.create(
                    "options created", "/v2/options", "/v2/options", body, _named(want["name"])
                )
            }
            have["values"] = {}  # an adopted option's values: adopted by label when made
        elif have["type"] != want["type"]:
            self.result.errors.append(
                (
                    f"option {want['name']!r}",
                    f"of type {have['type']} here, {want['type']} in the source (an option's "
                    "type cannot change)",
                )
            )
            return None
        elif have["display_name"] != want["display_name"]:
            body = {"display_name": want["display_name"]}
            path = f"/v2/options/{have['id']}"
            await self.send("options updated", "PUT", path, "/v2/options/{option_id}", body)
        path, endpoint = f"/v2/options/{have['id']}/values", "/v2/options/{option_id}/values"
        extra = set(have["values"]) - set(want["values"])
        for label in sorted(extra):
            value_id = have["values"][label]["id"]
            await self.send(
                "option values deleted", "DELETE", f"{path}/{value_id}", endpoint + "/{value_id}"
            )
        for label, value in sorted(want["values"].items(), key=lambda i: i[1]["id"]):
            current = have["values"].get(label)
            if current is None:
                body = {"label": value["label"], **{k: value[k] for k in VALUE_FIELDS}}
                found = _named(value["label"], "label")
                await self.create("option values created", path, endpoint, body, found)
                continue
            changed = {k: value[k] for k in VALUE_FIELDS if current.get(k) != value[k]}
            if value["label"] != current["label"]:
                changed["label"] = value["label"]
            if changed:
                await self.send(
                    "option values updated",
                    "PUT",
                    f"{path}/{current['id']}",
                    endpoint + "/{value_id}",
                    changed,
                )
        return int(have["id"])

    async def option_set(
        self, want: dict[str, Any], have: dict[str, Any] | None, option_ids: dict[str, int]
    ) -> int:
        """A shared option set and its options; its id in the store."""
        if have is None:
            body = {"name": want["name"]}
            have = {
                **await self.create(
                    "option sets created",
                    "/v2/option_sets",
                    "/v2/option_sets",
                    body,
                    _named(want["name"]),
                )
            }
            have["options"] = {}  # an adopted set's options: matched by option id when made
        path = f"/v2/option_sets/{have['id']}/options"
        endpoint = "/v2/option_sets/{option_set_id}/options"
        for name in sorted(set(have["options"]) - set(want["options"])):
            item = have["options"][name]["id"]
            await self.send(
                "option set options deleted", "DELETE", f"{path}/{item}", endpoint + "/{id}"
            )
        for name, item in sorted(want["options"].items(), key=lambda i: i[1]["id"]):
            current = have["options"].get(name)
            body = {k: item[k] for k in SET_OPTION_FIELDS}
            if current is None:
                body["option_id"] = option_ids[name]
                await self.create(
                    "option set options created", path, endpoint, body, _with(option_ids[name])
                )
                continue
            changed = {k: v for k, v in body.items() if current.get(k) != v}
            if changed:
                await self.send(
                    "option set options updated",
                    "PUT",
                    f"{path}/{current['id']}",
                    endpoint + "/{id}",
                    changed,
                )
        return int(have["id"])

    async def attach(self, state: ProductState, set_id: int | None) -> None:
        """Put a product in an option set (None: out of its set): its variants and rules go."""
        what = "products put in their option set" if set_id else "products taken out of a set"
        body = {"option_set_id": set_id}
        await self.send(what, "PUT", f"/v2/products/{state.id}", "/v2/products/{product_id}", body)

    async def product(self, want: ProductState, have: ProductState) -> None:
        """A product's SKUs and rules (its option set already the source's)."""
        mine = _Shape(have, self.fields)
        theirs = _Shape(want, self.fields)
        await self.skus(theirs, mine)
        mine = _Shape(have, self.fields)  # the SKU ids now known
        await self.rules(theirs, mine)

    async def skus(self, want: _Shape, have: _Shape) -> None:
        product = have.state.id
        path, endpoint = f"/v2/products/{product}/skus", "/v2/products/{product_id}/skus"
        wanted = want.skus()
        current = have.skus()
        stale = [
            k for k, (choices, _) in current.items() if k not in wanted or wanted[k][0] != choices
        ]
        for key in stale:
            variant = have.variants.pop(key)
            await self.send("SKUs deleted", "DELETE", f"{path}/{variant['id']}", endpoint + "/{id}")
            have.state.variants.remove(variant)
        for key, (choices, values) in wanted.items():
            if key in have.variants:
                now = current[key][1]
                changed = {self.fields[k]: v for k, v in values.items() if now.get(k) != v}
                if changed:
                    variant_id = have.variants[key]["id"]
                    body = {k: _json(v) for k, v in changed.items()}
                    await self.send(
                        "SKUs updated", "PUT", f"{path}/{variant_id}", endpoint + "/{id}", body
                    )
                continue
            options = []
            for choice in sorted(choices):
                if choice not in have.ids:
                    raise Unmatched(
                        f"SKU {want.variants[key]['sku']!r}: the product here has no "
                        f"{choice[0]}={choice[1]}"
                    )
                option_id, value_id = have.ids[choice]
                options.append({"product_option_id": option_id, "option_value_id": value_id})
            body = {
                "sku": want.variants[key]["sku"],
                "options": options,
                **{self.fields[k]: _json(v) for k, v in values.items() if v not in (None, "")},
            }
            created = await self.create("SKUs created", path, endpoint, body, _sku(key))
            have.state.variants.append(
                {
                    "id": created["id"],
                    "sku": created["sku"],
                    "option_values": [
                        {"option_id": o["product_option_id"], "id": o["option_value_id"]}
                        for o in options
                    ],
                }
            )

    async def rules(self, want: _Shape, have: _Shape) -> None:
        product = have.state.id
        path, endpoint = f"/v2/products/{product}/rules", "/v2/products/{product_id}/rules"
        source = want.rules()
        target = have.rules()
        pool: dict[RuleKey, list[tuple[int, dict[str, Any]]]] = {}
        for rule_id, key, values in target:
            pool.setdefault(key, []).append((rule_id, values))
        matched: list[tuple[RuleKey, dict[str, Any], tuple[int, dict[str, Any]] | None]] = []
        for _, key, values in source:
            same = pool.get(key)
            matched.append((key, values, same.pop(0) if same else None))
        doomed = [rule for left in pool.values() for rule, _ in left]
        # V2 applies rules of one sort order by id: a new rule comes after those kept
        for order in {key[1] for key, _, _ in matched}:
            group = [m for m in matched if m[0][1] == order]
            kept = [m[2][0] for m in group if m[2] is not None]
            kept_first = all(m[2] is not None for m in group[: len(kept)])
            if kept != sorted(kept) or not kept_first:
                doomed += kept
                matched = [(k, v, None) if k[1] == order else (k, v, t) for k, v, t in matched]
        for rule_id in sorted(doomed):
            await self.send("rules deleted", "DELETE", f"{path}/{rule_id}", endpoint + "/{id}")
        for key, values, kept_as in matched:
            if kept_as is None:
                body = {"sort_order": key[1], "conditions": have.conditions(key[0])}
                body.update({k: _json(v) for k, v in values.items()})
                await self.send("rules created", "POST", path, endpoint, body, once=True)
                continue
            rule_id, now = kept_as
            changed = {k: _json(v) for k, v in values.items() if now.get(k) != v}
            if changed:
                await self.send(
                    "rules updated", "PUT", f"{path}/{rule_id}", endpoint + "/{id}", changed
                )


def _named(name: str, field: str = "name") -> Callable[[list[Any]], dict[str, Any] | None]:
    """Finds the record of a name (casefolded) in a V2 list."""
    return lambda items: next((i for i in items if _key(i.get(field)) == _key(name)), None)


def _with(option_id: int) -> Callable[[list[Any]], dict[str, Any] | None]:
    """Finds an option set's option of an option id in its list."""
    return lambda items: next((i for i in items if i.get("option_id") == option_id), None)


def _sku(key: str) -> Callable[[list[Any]], dict[str, Any] | None]:
    """Finds a SKU by its code in a product's list of SKUs."""
    return lambda items: next((i for i in items if sku_key(i.get("sku", "")) == key), None)


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return value


class _Shape:
    """One product's options, modifiers, SKUs and rules in natural keys, with its ids."""

    def __init__(self, state: ProductState, fields: Collection[str] = SKU_FIELDS) -> None:
        self.state = state
        self.fields = fields
        self.ids: dict[Choice, tuple[int, int]] = {}
        for option in state.choices():
            for value in option["option_values"]:
                choice = (_key(option["display_name"]), _key(value["label"]))
                self.ids[choice] = (option["id"], value["id"])
        self.names = {ids: choice for choice, ids in self.ids.items()}
        self.variants = {sku_key(v["sku"]): v for v in state.variants}
        self.sku_ids = {v["id"]: sku_key(v["sku"]) for v in state.variants}

    def skus(self) -> dict[str, tuple[frozenset[Choice], dict[str, Any]]]:
        """Each SKU's option values and the fields V2 writes of it, by SKU."""
        out = {}
        for key, variant in self.variants.items():
            choices = frozenset(
                self.names.get((o["option_id"], o["id"]), ("", ""))
                for o in variant["option_values"]
            )
            values = {
                name: _number(variant.get(name)) if name in NUMBERS else variant.get(name)
                for name in self.fields
                if name in variant
            }
            out[key] = (choices, values)
        return out

    def rules(self) -> list[tuple[int, RuleKey, dict[str, Any]]]:
        """The product's rules (not its SKUs' own values) in the order V2 applies them: id,
        natural key and fields."""
        out = []
        for rule in sorted(
            self.state.rules, key=lambda r: (int(r.get("sort_order") or 0), int(r["id"]))
        ):
            conditions: list[Condition] = []
            for condition in rule.get("conditions") or []:
                if condition.get("sku_id") is not None:
                    conditions.append(("sku", self.sku_ids.get(condition["sku_id"], "")))
                else:
                    pair = (condition["product_option_id"], condition["option_value_id"])
                    conditions.append(("value", *self.names.get(pair, ("", ""))))
            values = {name: _rule_value(name, rule.get(name)) for name in RULE_FIELDS}
            key = (tuple(sorted(conditions)), int(rule.get("sort_order") or 0))
            out.append((int(rule["id"]), key, values))
        return out

    def conditions(self, conditions: Iterable[Condition]) -> list[dict[str, Any]]:
        """Conditions in natural keys as this product's ids."""
        out = []
        for condition in conditions:
            if condition[0] == "sku" and condition[1] in self.variants:
                out.append({"sku_id": self.variants[condition[1]]["id"]})
            elif condition[0] == "value" and (condition[1], condition[2]) in self.ids:
                option_id, value_id = self.ids[(condition[1], condition[2])]
                out.append({"product_option_id": option_id, "option_value_id": value_id})
            else:
                raise Unmatched(f"a rule names {'='.join(condition[1:])}, not found here")
        return out


def _rule_value(name: str, value: Any) -> Any:
    if name.endswith("_adjuster"):
        if not value or not value.get("adjuster"):
            return None
        return {"adjuster": value["adjuster"], "adjuster_value": _number(value["adjuster_value"])}
    return value


async def copy_v2(store: BigCommerceStore, source: V2Catalog, *, inventory: bool = False) -> V2Copy:
    """Make `store`'s V2 layer the source's (its products already written by the V3 sync);
    `inventory`: its SKUs' inventory levels too (operational data)."""
    result = V2Copy()
    started = store.requests
    carried = source.carried()
    if not carried:
        return result
    wanted = {name for s in source.sets.values() for name in s["options"]}
    here = await read_v2(store, wanted)
    writer = _Writer(store, result, {**SKU_FIELDS, **(INVENTORY_FIELDS if inventory else {})})
    option_ids: dict[str, int] = {}

    async def option(name: str) -> None:
        try:
            found = await writer.option(source.options[name], here.options.get(name))
        except RequestRejected as error:
            result.errors.append((f"option {source.options[name]['name']!r}", str(error)))
            return
        if found is not None:
            option_ids[name] = found

    await fan_out(option(n) for n in sorted(wanted))
    set_ids: dict[str, int] = {}

    async def option_set(name: str) -> None:
        want = source.sets[name]
        if not set(want["options"]) <= set(option_ids):
            result.errors.append((f"option set {want['name']!r}", "an option of it failed"))
            return
        try:
            set_ids[name] = await writer.option_set(want, here.sets.get(name), option_ids)
        except RequestRejected as error:
            result.errors.append((f"option set {want['name']!r}", str(error)))

    await fan_out(option_set(n) for n in sorted(source.sets))
    # a value or set option written: the products' options, SKUs and rules have new ids
    renumbered = bool(result.written)
    todo: dict[str, ProductState] = {}
    moved: set[int] = set()

    async def place(key: str, want: ProductState) -> None:
        have = here.products.get(key)
        target = set_ids.get(source.in_shared_set(want) or "")
        if have is None or target is None:
            why = "not in the sandbox" if have is None else "its option set failed"
            result.errors.append((f"product {want.sku!r}", why))
            return
        try:
            if have.option_set_id != target:
                await writer.attach(have, target)
                moved.add(have.id)
        except RequestRejected as error:
            result.errors.append((f"product {want.sku!r}", str(error)))
            return
        todo[key] = have

    async def leave(key: str, have: ProductState) -> None:
        try:
            await writer.attach(have, None)
        except RequestRejected as error:
            result.errors.append((f"product {have.sku!r}", str(error)))
            return
        result.detached.append(have.sku)

    await fan_out(place(k, s) for k, s in sorted(carried.items()))
    # a product the source has in no shared set: its V3 options are the V3 sync's
    await fan_out(
        leave(k, s)
        for k, s in sorted(here.products.items())
        if here.in_shared_set(s) is not None and k in source.products and k not in carried
    )
    if moved or renumbered:  # their options and values are new: read them again
        fresh = await _products(store, {}, None if renumbered else moved)  # in shared sets
        fresh = [s for s in fresh if sku_key(s.sku) in todo]
        await fan_out(read_rules(store, s) for s in fresh if s.id not in moved)
        todo.update((sku_key(s.sku), s) for s in fresh)

    async def product(key: str) -> None:
        try:
            await writer.product(carried[key], todo[key])
        except (RequestRejected, Unmatched) as error:
            result.errors.append((f"product {carried[key].sku!r}", str(error)))

    await fan_out(product(k) for k in sorted(todo))
    result.requests = store.requests - started
    return result


async def read_clone(
    source: BigCommerceStore, kinds: Collection[Kind]
) -> tuple[V2Catalog, ObservedCatalog, Catalog]:
    """What a clone of `source` reads: its V2 layer, the store observed as the V3 sync writes it
    (products in an option set of their own as the migration leaves them), and the catalog the
    V3 sync writes (without what the V2 copy writes)."""
    legacy = await read_v2(source)
    observed = legacy.preview(await source.observe(kinds))
    return legacy, observed, legacy.strip(to_catalog(observed))


async def write_clone(
    target: BigCommerceStore, legacy: V2Catalog, catalog: Catalog, options: Options
) -> tuple[ApplyResult, V2Copy]:
    """Write a clone: the V3 sync, then the V2 copy (SKU inventory with the options' operational
    data), then the V3 sync again for what the first pass could not write (V3 options of products
    taken out of their set, records naming the SKUs just made)."""
    _, result = await sync(target, catalog, options)
    copied = await copy_v2(target, legacy, inventory=options.operational_data)
    if copied.detached or (result.errors and copied.written["SKUs created"]):
        _, result = await sync(target, catalog, options)
    return result, copied
