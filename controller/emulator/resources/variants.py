"""Catalog variants and variant options: `/v3/catalog/variants`, `/v3/catalog/products/{id}/variants`
and `/v3/catalog/products/{id}/options`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from controller.catalog import fields
from controller.catalog.kinds import KINDS, Action, Kind
from controller.emulator.database import Page, dumps
from controller.emulator.errors import ApiError, conflict, invalid, not_found
from controller.emulator.fields import VARIANT_DEFAULTS, VARIANT_FIELDS, clean
from controller.emulator.resources.base import (
    FIELDS,
    Call,
    Filter,
    ListQuery,
    ListSpec,
    Resource,
    Route,
    child_routes,
    json_field,
    json_response,
    listing,
    no_content,
    one,
    shape,
)
from controller.emulator.resources.modifiers import ValueOwner

SCHEMA = """
CREATE TABLE IF NOT EXISTS variants (store TEXT, product_id INTEGER, id INTEGER, sku_l TEXT,
    doc TEXT, PRIMARY KEY (store, product_id, id)) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS variants_id ON variants (store, id);
CREATE INDEX IF NOT EXISTS variants_sku ON variants (store, sku_l);
CREATE TABLE IF NOT EXISTS options (store TEXT, product_id INTEGER, id INTEGER, doc TEXT,
    PRIMARY KEY (store, product_id, id)) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS options_id ON options (store, id);
"""
TABLES = ("variants", "options")

# the platform limits, as the kind table knows them: 600 per product, 50 per batch
MAX_SKUS_PER_PRODUCT = KINDS[Kind.VARIANTS].per_owner or 0
MAX_BATCH = KINDS[Kind.VARIANTS].batch_size(Action.UPDATE)

ALL_VARIANTS = ListSpec(
    filters={
        "id": Filter("id", "int"),
        "sku": Filter("sku_l", "lower"),
        "upc": Filter(json_field("upc"), "str"),
        "product_id": Filter("product_id", "int", frozenset({"in"})),
    },
    direction=False,
)
PRODUCT_VARIANTS = ListSpec(direction=False)
OPTIONS = ListSpec(direction=False)


def _sku_event(variant_id: int, product_id: int) -> dict[str, Any]:
    """The `data` of a `store/sku/...` event (the emulator's SKU ids are its variant ids)."""
    return {
        "type": "sku",
        "id": variant_id,
        "sku": {"product_id": product_id, "variant_id": variant_id},
    }


class Variants(Resource):
    """The variants of one store's products (a product without options has one base variant)."""

    def check_count(self, count: int, label: str) -> None:
        """At most 600 SKUs per product."""
        if count > MAX_SKUS_PER_PRODUCT:
            raise invalid(label, f"at most {MAX_SKUS_PER_PRODUCT} variants per product")

    def ensure_base(self, product_id: int, doc: dict[str, Any]) -> None:
        """A product without option variants has one base variant carrying its SKU."""
        base_id = doc.get("base_variant_id")
        if base_id is None:
            base_id = self.next_id("variant")
            doc["base_variant_id"] = base_id
        variant = {
            **VARIANT_DEFAULTS,
            "id": base_id,
            "product_id": product_id,
            "sku": doc.get("sku", ""),
            "sku_id": None,
            "option_values": [],
        }
        existing = self.one("SELECT doc FROM variants WHERE store=? AND id=?", self.hash, base_id)
        if existing:
            variant = {**orjson.loads(existing), "sku": doc.get("sku", "")}
        self.execute(
            "INSERT OR REPLACE INTO variants (store, id, product_id, sku_l, doc) "
            "VALUES (?, ?, ?, ?, ?)",
            self.hash,
            base_id,
            product_id,
            variant["sku"].lower() or None,
            dumps(variant),
        )
        self.store.products.write(product_id, doc)

    @staticmethod
    def render(variant: dict[str, Any], product: dict[str, Any]) -> dict[str, Any]:
        """A variant in the API's shape: inherited values resolved, unset ones left out."""
        out = dict(variant)
        out["sku_id"] = out.get("sku_id") or out["id"]
        price = out.get("price") if out.get("price") is not None else product.get("price", 0)
        sale = (
            out.get("sale_price")
            if out.get("sale_price") is not None
            else product.get("sale_price", 0)
        )
        out["calculated_price"] = sale if sale else price
        out["calculated_weight"] = (
            out.get("weight") if out.get("weight") is not None else product.get("weight", 0)
        )
        return {k: v for k, v in out.items() if v is not None}

    def insert(
        self, product_id: int, body: Any, *, label: str = "", touch: bool = True
    ) -> dict[str, Any]:
        """Add one variant to a product (inside a transaction)."""
        fields = clean(body, VARIANT_FIELDS, required=("sku",), prefix=label)
        product = self.store.products.doc(product_id)
        count = self.one(
            "SELECT COUNT(*) FROM variants WHERE store=? AND product_id=?", self.hash, product_id
        )
        if count >= MAX_SKUS_PER_PRODUCT:
            raise invalid(label + "sku", f"a product has at most {MAX_SKUS_PER_PRODUCT} SKUs")
        variant_id = self.next_id("variant")
        self.store.products.check_sku(
            fields["sku"], product_id=None, variant_id=variant_id, label=label + "sku"
        )
        option_values = self.store.options.resolve(
            product_id, fields.pop("option_values", []), label
        )
        if option_values:
            combo = sorted(v["id"] for v in option_values)
            for other in self.of_product(product_id):
                if sorted(v["id"] for v in other["option_values"]) == combo:
                    raise conflict(
                        label + "option_values", "A variant with these option values exists."
                    )
            base_id = product.get("base_variant_id")
            if base_id is not None:  # the first option variant replaces the base variant
                self.execute("DELETE FROM variants WHERE store=? AND id=?", self.hash, base_id)
                product["base_variant_id"] = None
                self.store.products.write(product_id, product)
        elif product.get("base_variant_id") is not None:
            raise invalid(label + "option_values", "a variant of this product needs option values")
        doc = {
            **VARIANT_DEFAULTS,
            **fields,
            "id": variant_id,
            "product_id": product_id,
            "sku_id": variant_id,
            "option_values": option_values,
        }
        self.execute(
            "INSERT INTO variants (store, id, product_id, sku_l, doc) VALUES (?, ?, ?, ?, ?)",
            self.hash,
            variant_id,
            product_id,
            doc["sku"].lower(),
            dumps(doc),
        )
        self.emit("store/sku/created", _sku_event(variant_id, product_id))
        if touch:
            self.store.products.touch(product_id)
        return self.render(doc, product)

    def of_product(self, product_id: int) -> list[dict[str, Any]]:
        """The stored variants of a product."""
        return self.docs(
            "SELECT doc FROM variants WHERE store=? AND product_id=? ORDER BY id",
            self.hash,
            product_id,
        )

    def create(self, product_id: int, body: Any) -> dict[str, Any]:
        """`POST /catalog/products/{id}/variants`."""
        with self.tx():
            return self.insert(product_id, body)

    def update_one(
        self, variant_id: int, body: Any, *, product_id: int | None = None, label: str = ""
    ) -> dict[str, Any]:
        """Change one variant (inside a transaction)."""
        row = self.db.conn.execute(
            "SELECT product_id, doc FROM variants WHERE store=? AND id=?", (self.hash, variant_id)
        ).fetchone()
        if row is None or (product_id is not None and row[0] != product_id):
            raise not_found("variant")
        doc = orjson.loads(row[1])
        fields = clean(body, VARIANT_FIELDS, prefix=label)
        fields.pop("option_values", None)  # option values are fixed once a variant exists
        product = self.store.products.doc(row[0])
        if "sku" in fields and fields["sku"].lower() != doc["sku"].lower():
            if doc["id"] == product.get("base_variant_id"):
                raise invalid(label + "sku", "the base variant's SKU is the product's SKU")
            self.store.products.check_sku(
                fields["sku"], product_id=None, variant_id=variant_id, label=label + "sku"
            )
        changed = {k: v for k, v in fields.items() if doc.get(k) != v}
        if changed:
            doc.update(changed)
            self.execute(
                "UPDATE variants SET doc=?, sku_l=? WHERE store=? AND id=?",
                dumps(doc),
                doc["sku"].lower(),
                self.hash,
                variant_id,
            )
            self.emit("store/sku/updated", _sku_event(variant_id, row[0]))
            if "inventory_level" in changed:
                inventory = {"product_id": row[0], "variant_id": variant_id, "method": "absolute"}
                self.emit(
                    "store/sku/inventory/updated",
                    {
                        "type": "sku",
                        "id": variant_id,
                        "inventory": {**inventory, "value": doc["inventory_level"]},
                    },
                )
            self.store.products.touch(row[0])
        return self.render(doc, product)

    def update(self, product_id: int, variant_id: int, body: Any) -> dict[str, Any]:
        """`PUT /catalog/products/{id}/variants/{variant_id}`."""
        with self.tx():
            return self.update_one(variant_id, body, product_id=product_id)

    def update_many(self, body: Any) -> list[dict[str, Any]]:
        """`PUT /catalog/variants`: a batch of at most 50, all or nothing."""
        if not isinstance(body, list):
            raise invalid("body", "a list of variants is expected")
        if len(body) > MAX_BATCH:
            raise ApiError(
                413, f"The request payload is too large. The maximum is {MAX_BATCH} variants."
            )
        with self.tx():
            out = []
            for item in body:
                if not isinstance(item, dict) or not isinstance(item.get("id"), int):
                    raise ApiError(422, "Each variant in a batch needs an integer id.")
                try:
                    out.append(self.update_one(item["id"], item))
                except ApiError as error:
                    raise ApiError(
                        422 if error.status == 404 else error.status,
                        error.title,
                        {"batch": "; ".join(error.errors.values()) or error.title},
                    ) from error
            return out

    def delete(self, product_id: int, variant_id: int) -> None:
        """`DELETE /catalog/products/{id}/variants/{variant_id}`, with the complex rules naming it."""
        with self.tx():
            product = self.store.products.doc(product_id)
            if variant_id == product.get("base_variant_id"):
                raise invalid("variant_id", "the base variant cannot be deleted")
            if not self.one(
                "SELECT 1 FROM variants WHERE store=? AND id=? AND product_id=?",
                self.hash,
                variant_id,
                product_id,
            ):
                raise not_found("variant")
            self.execute(
                "DELETE FROM variants WHERE store=? AND id=? AND product_id=?",
                self.hash,
                variant_id,
                product_id,
            )
            self.emit("store/sku/deleted", _sku_event(variant_id, product_id))
            self.store.complex_rules.drop_where(product_id, lambda c: c["variant_id"] == variant_id)
            if not self.one(
                "SELECT 1 FROM variants WHERE store=? AND product_id=?", self.hash, product_id
            ):
                self.ensure_base(product_id, product)
            self.store.products.touch(product_id)

    def remove_using(self, product_id: int, uses: Callable[[dict[str, Any]], bool]) -> None:
        """Delete the variants of a product with an option value that `uses` picks, and the
        complex rules naming them (inside a transaction); a product left without any gets its
        base variant back."""
        gone = [
            v["id"]
            for v in self.of_product(product_id)
            if any(uses(value) for value in v.get("option_values") or ())
        ]
        for variant_id in gone:
            self.execute("DELETE FROM variants WHERE store=? AND id=?", self.hash, variant_id)
            self.emit("store/sku/deleted", _sku_event(variant_id, product_id))
        if gone:
            self.store.complex_rules.drop_where(product_id, lambda c: c["variant_id"] in gone)
        if gone and not self.of_product(product_id):
            self.ensure_base(product_id, self.store.products.doc(product_id))

    def find(self, product_id: int | None, query: ListQuery) -> Page:
        """`GET /catalog/products/{id}/variants` and `GET /catalog/variants`."""
        where, params = [], []
        if product_id is not None:
            self.store.products.doc(product_id)
            where, params = ["product_id=?"], [product_id]
        page = self.list_page("variants", query, where, params)
        product_ids = sorted({d["product_id"] for d in page.items})
        products = {
            d["id"]: d
            for d in self.docs(
                f"SELECT doc FROM products WHERE store=? AND id IN ({','.join('?' * len(product_ids))})",
                self.hash,
                *product_ids,
            )
        }
        items = self.under_rules([self.render(d, products[d["product_id"]]) for d in page.items])
        return Page(items, page.total, page.page, page.limit)

    def get(self, product_id: int, variant_id: int) -> dict[str, Any]:
        """`GET /catalog/products/{id}/variants/{variant_id}`."""
        product = self.store.products.doc(product_id)
        docs = self.docs(
            "SELECT doc FROM variants WHERE store=? AND id=? AND product_id=?",
            self.hash,
            variant_id,
            product_id,
        )
        if not docs:
            raise not_found("variant")
        return self.under_rules([self.render(docs[0], product)])[0]

    def under_rules(self, rendered: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Rendered variants whose calculated price and weight are what a shopper sees once the
        product's V2 rules apply (V2 SKU rules override variant prices)."""
        by_product: dict[int, list[dict[str, Any]]] = {}
        for item in rendered:
            by_product.setdefault(item["product_id"], []).append(item)
        ruled = self.store.options_v2.with_rules(list(by_product))
        for product_id, group in by_product.items():
            if product_id not in ruled:
                continue
            shown = self.store.options_v2.shown_variants(product_id, group)
            for item in group:
                if item["id"] in shown:
                    item["calculated_price"], item["calculated_weight"] = shown[item["id"]]
        return rendered


class Options(ValueOwner):
    """The variant options of one store's products. Deleting an option, or one of its values,
    deletes the variants that use it (their ids are gone for good)."""

    table = "options"
    noun = "option"

    def resolve(self, product_id: int, values: Any, label: str) -> list[dict[str, Any]]:
        """Resolve `option_values` given by ids or by display name and label, creating options
        and values as the product-create endpoint does."""
        if not isinstance(values, list):
            raise invalid(label + "option_values", "option_values must be a list")
        resolved = []
        options = {o["display_name"].lower(): o for o in self.of_product(product_id)}
        by_id = {o["id"]: o for o in options.values()}
        for value in values:
            if not isinstance(value, dict):
                raise invalid(label + "option_values", "each option value must be an object")
            if value.get("option_id") is not None:
                option = by_id.get(value["option_id"])
                if option is None:
                    raise invalid(
                        label + "option_values", f"option {value['option_id']} does not exist"
                    )
            else:
                name = value.get("option_display_name")
                if not isinstance(name, str) or not name:
                    raise invalid(
                        label + "option_values", "option_display_name or option_id is required"
                    )
                option = options.get(name.lower())
                if option is None:
                    option = {
                        "id": self.next_id("option"),
                        "product_id": product_id,
                        "display_name": name,
                        "name": f"{name}-{product_id}",
                        "type": "rectangles",
                        "sort_order": len(options),
                        "config": {},
                        "option_values": [],
                    }
                    options[name.lower()] = by_id[option["id"]] = option
            if value.get("id") is not None and value.get("option_id") is not None:
                chosen = next((v for v in option["option_values"] if v["id"] == value["id"]), None)
            else:
                chosen = self._value(option, value.get("label"), label)
            if chosen is None:
                raise invalid(
                    label + "option_values", f"option value {value.get('id')} does not exist"
                )
            self._save(option)
            resolved.append(
                {
                    "id": chosen["id"],
                    "label": chosen["label"],
                    "option_id": option["id"],
                    "option_display_name": option["display_name"],
                }
            )
        return resolved

    def _value(self, option: dict[str, Any], text: Any, label: str) -> dict[str, Any]:
        """The value of `option` with this label, added when it has none."""
        if not isinstance(text, str) or not text:
            raise invalid(label + "option_values", "label is required")
        values: list[dict[str, Any]] = option["option_values"]
        for value in values:
            if value["label"].lower() == text.lower():
                return value
        return self.new_value(option, {"label": text}, label)

    def create(self, product_id: int, body: Any) -> dict[str, Any]:
        """`POST /catalog/products/{id}/options` with `display_name`, `type` and all its
        `option_values` (one request)."""
        checked = clean(body, fields.OPTION, required=("display_name", "type"))
        values = body.get("option_values")
        if not isinstance(values, list) or not values:
            raise invalid("option_values", "at least one option value is required")
        with self.tx():
            name = str(checked["display_name"])
            options = self.of_product(product_id)
            if any(o["display_name"].lower() == name.lower() for o in options):
                raise conflict("display_name", "An option with this display name exists.")
            option = {
                "id": self.next_id("option"),
                "product_id": product_id,
                "display_name": name,
                "name": f"{name}-{product_id}",
                "type": checked["type"],
                "sort_order": checked.get("sort_order", len(options)),
                "config": checked.get("config") or {},
                "option_values": [],
            }
            self.set_values(option, values)
            self.changed(product_id, option)
            return option

    def update(self, product_id: int, option_id: int, body: Any) -> dict[str, Any]:
        """`PUT /catalog/products/{id}/options/{option_id}`: display name, type, sort order,
        config and option values (by id: changed; without id: added), in place: its variants
        keep their ids."""
        checked = clean(body, fields.OPTION)
        with self.tx():
            # the values named by their ids before the copy are the copies
            renumbered = self.store.options_v2.localise(product_id)
            option = self.get(product_id, option_id)
            name = checked.get("display_name", option["display_name"])
            if not name:
                raise invalid("display_name", "display_name must be a non-empty string")
            if name.lower() != option["display_name"].lower() and any(
                o["display_name"].lower() == name.lower() for o in self.of_product(product_id)
            ):
                raise conflict("display_name", "An option with this display name exists.")
            for key in ("display_name", "type", "sort_order", "config"):
                if key in checked:
                    option[key] = checked[key]
            if "option_values" in body:
                values = body["option_values"]
                if isinstance(values, list):  # the values named by their ids before the copy
                    values = [
                        {**v, "id": renumbered.get(v["id"], v["id"])}
                        if isinstance(v, dict) and v.get("id") is not None
                        else v
                        for v in values
                    ]
                self.set_values(option, values)
            self.changed(product_id, option)
            self.relabel(product_id, option)
            self.store.options_v2.sync_from_v3(product_id, option)
            return option

    def relabel(self, product_id: int, option: dict[str, Any]) -> None:
        """Variants show their option values by name and label: keep them current."""
        labels = {v["id"]: v["label"] for v in option["option_values"]}
        for variant in self.store.variants.of_product(product_id):
            changed = False
            for value in variant["option_values"]:
                if value["option_id"] == option["id"]:
                    value["option_display_name"] = option["display_name"]
                    value["label"] = labels.get(value["id"], value["label"])
                    changed = True
            if changed:
                self.execute(
                    "UPDATE variants SET doc=? WHERE store=? AND id=?",
                    dumps(variant),
                    self.hash,
                    variant["id"],
                )

    def value_gone(self, product_id: int, option: dict[str, Any], value_id: int) -> None:
        """The variants with that value go with it."""
        self.store.variants.remove_using(product_id, lambda v: v["id"] == value_id)

    def delete(self, product_id: int, option_id: int) -> None:
        """`DELETE /catalog/products/{id}/options/{option_id}`, with the variants using it."""
        with self.tx():
            self.store.options_v2.localise(product_id)
            self.get(product_id, option_id)
            self.execute("DELETE FROM options WHERE store=? AND id=?", self.hash, option_id)
            self.store.variants.remove_using(product_id, lambda v: v["option_id"] == option_id)
            self.store.products.touch(product_id)


# ---- HTTP -----------------------------------------------------------------------------------------


async def list_product_variants(call: Call) -> Any:
    query = call.list_query(PRODUCT_VARIANTS)
    page = await call.run(call.store.variants.find, call.int("product_id"), query)
    return listing(page, query.shape)


async def list_variants(call: Call) -> Any:
    query = call.list_query(ALL_VARIANTS)
    page = await call.run(call.store.variants.find, None, query)
    return listing(page, query.shape)


async def create_variant(call: Call) -> Any:
    body = await call.body()
    return one(await call.run(call.store.variants.create, call.int("product_id"), body))


async def get_variant(call: Call) -> Any:
    found = await call.run(call.store.variants.get, call.int("product_id"), call.int("variant_id"))
    return one(shape(found, *call.fields()))


async def update_variant(call: Call) -> Any:
    pid, vid = call.int("product_id"), call.int("variant_id")
    body = await call.body()
    return one(await call.run(call.store.variants.update, pid, vid, body))


async def delete_variant(call: Call) -> Any:
    pid, vid = call.int("product_id"), call.int("variant_id")
    await call.run(call.store.variants.delete, pid, vid)
    return no_content()


async def update_variants(call: Call) -> Any:
    body = await call.body()
    return json_response(
        {"data": await call.run(call.store.variants.update_many, body), "meta": {}}
    )


_PRODUCT = "/v3/catalog/products/{product_id}"
ROUTES = [
    Route("GET", f"{_PRODUCT}/variants", list_product_variants, PRODUCT_VARIANTS),
    Route("POST", f"{_PRODUCT}/variants", create_variant),
    Route("GET", f"{_PRODUCT}/variants/{{variant_id}}", get_variant, extra=FIELDS),
    Route("PUT", f"{_PRODUCT}/variants/{{variant_id}}", update_variant),
    Route("DELETE", f"{_PRODUCT}/variants/{{variant_id}}", delete_variant),
    Route("GET", "/v3/catalog/variants", list_variants, ALL_VARIANTS),
    Route("PUT", "/v3/catalog/variants", update_variants),
    *child_routes(f"{_PRODUCT}/options", "option_id", "options", OPTIONS),
]
