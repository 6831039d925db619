"""The V2 catalog's options (archived documentation): `/v2/options` and their values, `/v2/option_sets`
and their options, a product's `/v2/products/{id}/options`, `/skus` and `/rules`, over the same store
data as V3. A product's options are those of its option set, each a product option whose id is also
its V3 option id; the choice types (S, RB, RT, CS, P, PI) are the product's V3 variant options, with
the option's value ids. Attaching an option set (or detaching it) removes the product's variants. A
SKU is a V3 variant of the product (its id is the variant id). Rules are kept per product; a V3 variant
with its own price, weight, image or purchasability shows in V2 as a rule whose id is the variant's
(rule ids are taken from the SKU ids' sequence), and writing that rule writes the variant. A SKU's
`adjusted_price` and `adjusted_weight`, and a V3 variant's `calculated_price` and
`calculated_weight`, are what a shopper sees once the rules apply (`controller.catalog.pricing`).
A V3 write to an option of a product in a shared option set first copies that set to the product
(a custom set, the set's `product_id`): option ids stay, option value ids change, SKUs and rules
follow, as the V2-versus-V3 page documents."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from controller.catalog.fields import V2_RULE_FIELDS
from controller.catalog.pricing import V2Product
from controller.emulator.database import dumps
from controller.emulator.errors import ApiError, not_found
from controller.emulator.fields import VARIANT_FIELDS, clean
from controller.emulator.resources.base import Call, Resource, Route
from controller.emulator.resources.v2 import (
    count_answer,
    decimal,
    listed,
    money,
    page_of,
    v2_routes,
)
from controller.emulator.resources.variants import MAX_SKUS_PER_PRODUCT

SCHEMA = """
CREATE TABLE IF NOT EXISTS v2_options (store TEXT, id INTEGER, name_l TEXT, doc TEXT,
    PRIMARY KEY (store, id)) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS v2_options_name ON v2_options (store, name_l);
CREATE TABLE IF NOT EXISTS option_sets (store TEXT, id INTEGER, name_l TEXT, doc TEXT,
    PRIMARY KEY (store, id)) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS option_sets_name ON option_sets (store, name_l);
CREATE TABLE IF NOT EXISTS option_set_options (store TEXT, option_set_id INTEGER, id INTEGER,
    option_id INTEGER, doc TEXT, PRIMARY KEY (store, option_set_id, id)) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS option_set_options_id ON option_set_options (store, id);
CREATE TABLE IF NOT EXISTS product_options (store TEXT, product_id INTEGER, id INTEGER,
    option_id INTEGER, set_option_id INTEGER, doc TEXT,
    PRIMARY KEY (store, product_id, id)) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS product_options_id ON product_options (store, id);
CREATE INDEX IF NOT EXISTS product_options_option ON product_options (store, option_id);
CREATE INDEX IF NOT EXISTS product_options_set_option ON product_options (store, set_option_id);
CREATE TABLE IF NOT EXISTS rules (store TEXT, product_id INTEGER, id INTEGER, doc TEXT,
    PRIMARY KEY (store, product_id, id)) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS rules_id ON rules (store, id);
"""
TABLES = ("v2_options", "option_sets", "option_set_options", "product_options", "rules")

# V2 option types: the choice types are V3 variant options; the others are V3 modifiers. The
# documentation lists `C` twice; `N` is the numbers-only text field, as the platform names it.
VARIANT_TYPES = {
    "S": "dropdown",
    "RB": "radio_buttons",
    "RT": "rectangles",
    "CS": "swatch",
    "P": "product_list",
    "PI": "product_list_with_images",
}
MODIFIER_TYPES = {
    "C": "checkbox",
    "D": "date",
    "F": "file",
    "MT": "multi_line_text",
    "N": "numbers_only_text",
    "T": "text",
}
MAX_VALUES = 250
ADJUSTERS = {"price": ("relative", "percentage", "absolute"), "weight": ("relative", "absolute")}
RULE_FIELDS = V2_RULE_FIELDS
RULE_DEFAULTS: dict[str, Any] = {
    "sort_order": 0,
    "is_enabled": True,
    "is_stop": False,
    "price_adjuster": None,
    "weight_adjuster": None,
    "is_purchasing_disabled": False,
    "purchasing_disabled_message": "",
    "is_purchasing_hidden": False,
    "image_file": "",
}
# V2 SKU field -> V3 variant field
SKU_FIELDS = {
    "sku": "sku",
    "price": "price",
    "cost_price": "cost_price",
    "upc": "upc",
    "inventory_level": "inventory_level",
    "inventory_warning_level": "inventory_warning_level",
    "bin_picking_number": "bin_picking_number",
    "weight": "weight",
    "is_purchasing_disabled": "purchasing_disabled",
    "purchasing_disabled_message": "purchasing_disabled_message",
    "image_file": "image_url",
}


def _read_only(body: Any, names: Iterable[str]) -> dict[str, Any]:
    """A JSON object without read-only properties (the documentation: such a request is rejected)."""
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    given = sorted(set(body) & set(names))
    if given:
        raise ApiError(400, f"The field '{given[0]}' is read-only.")
    return body


def _text(body: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise ApiError(400, f"The required field '{name}' was not supplied.")
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise ApiError(400, f"The field '{name}' must be a non-empty string.")
    return value


def _adjuster(kind: str, value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    allowed = ADJUSTERS[kind]
    if (
        not isinstance(value, dict)
        or value.get("adjuster") not in allowed
        or not isinstance(value.get("adjuster_value"), (int, float, str))
    ):
        raise ApiError(
            400,
            f"The field '{kind}_adjuster' needs an adjuster of {', '.join(allowed)} and a value.",
        )
    try:
        number = float(value["adjuster_value"])
    except ValueError as error:
        raise ApiError(400, f"The field '{kind}_adjuster' needs a number.") from error
    return {"adjuster": value["adjuster"], "adjuster_value": number}


class OptionsV2(Resource):
    """Options, option sets and a product's options, SKUs and rules (V2)."""

    # ---- options and values -----------------------------------------------------------------

    def option(self, option_id: int) -> dict[str, Any]:
        """A stored option (404 when missing)."""
        docs = self.docs("SELECT doc FROM v2_options WHERE store=? AND id=?", self.hash, option_id)
        if not docs:
            raise not_found("option")
        return docs[0]

    @staticmethod
    def render_option(doc: dict[str, Any]) -> dict[str, Any]:
        """An option in the API's shape."""
        return {
            "id": doc["id"],
            "name": doc["name"],
            "display_name": doc["display_name"],
            "type": doc["type"],
            "product_id": doc.get("product_id"),
            "values": {
                "url": f"/options/{doc['id']}/values",
                "resource": f"/options/{doc['id']}/values",
            },
        }

    def _save_option(self, doc: dict[str, Any]) -> None:
        self.execute(
            "INSERT OR REPLACE INTO v2_options (store, id, name_l, doc) VALUES (?, ?, ?, ?)",
            self.hash,
            doc["id"],
            doc["name"].lower(),
            dumps(doc),
        )

    def options(self) -> list[dict[str, Any]]:
        """Every option, by id."""
        return self.docs("SELECT doc FROM v2_options WHERE store=? ORDER BY id", self.hash)

    def create_option(self, body: Any, *, product_id: int | None = None) -> dict[str, Any]:
        """`POST /options`: a unique `name`, `display_name` (the name by default) and `type`."""
        body = _read_only(body, ("id", "values", "product_id"))
        name = _text(body, "name", required=True)
        assert name is not None
        kind = body.get("type", "S")
        if kind not in VARIANT_TYPES and kind not in MODIFIER_TYPES:
            raise ApiError(
                400,
                f"The field 'type' must be one of {', '.join([*VARIANT_TYPES, *MODIFIER_TYPES])}.",
            )
        with self.tx():
            if self.one(
                "SELECT 1 FROM v2_options WHERE store=? AND name_l=?", self.hash, name.lower()
            ):
                raise ApiError(409, f"The option name '{name}' is a duplicate.")
            doc = {
                "id": self.next_id("v2_option"),
                "name": name,
                "display_name": _text(body, "display_name") or name,
                "type": kind,
                "product_id": product_id,
                "values": [],
            }
            self._save_option(doc)
            return self.render_option(doc)

    def update_option(self, option_id: int, body: Any) -> dict[str, Any]:
        """`PUT /options/{id}`: name, display name (type stays)."""
        body = _read_only(body, ("id", "values", "product_id", "type"))
        with self.tx():
            doc = self.option(option_id)
            name = _text(body, "name")
            if name is not None and name.lower() != doc["name"].lower():
                if self.one(
                    "SELECT 1 FROM v2_options WHERE store=? AND name_l=?", self.hash, name.lower()
                ):
                    raise ApiError(409, f"The option name '{name}' is a duplicate.")
                doc["name"] = name
            doc["display_name"] = _text(body, "display_name") or doc["display_name"]
            self._save_option(doc)
            self._refresh(option_id)
            return self.render_option(doc)

    def delete_option(self, option_id: int) -> None:
        """`DELETE /options/{id}` (refused while an option set holds it)."""
        with self.tx():
            self.option(option_id)
            if self.one(
                "SELECT 1 FROM option_set_options WHERE store=? AND option_id=?",
                self.hash,
                option_id,
            ):
                raise ApiError(409, "The option is used by an option set.")
            self.execute("DELETE FROM v2_options WHERE store=? AND id=?", self.hash, option_id)

    def values(self, option_id: int) -> list[dict[str, Any]]:
        """`GET /options/{id}/values`, by id."""
        doc = self.option(option_id)
        return [{**v, "option_id": option_id} for v in sorted(doc["values"], key=lambda v: v["id"])]

    def value(self, option_id: int, value_id: int) -> dict[str, Any]:
        """`GET /options/{id}/values/{value_id}`."""
        found = [v for v in self.values(option_id) if v["id"] == value_id]
        if not found:
            raise not_found("option value")
        return found[0]

    def _value_fields(
        self, doc: dict[str, Any], body: Any, current: dict[str, Any] | None
    ) -> dict[str, Any]:
        body = _read_only(body, ("id", "option_id"))
        value = dict(current or {"sort_order": 0, "is_default": False})
        label = _text(body, "label", required=current is None)
        text = body.get("value")
        if current is None and (text is None or text == ""):
            raise ApiError(400, "The required field 'value' was not supplied.")
        if label is not None:
            if any(
                v["label"].lower() == label.lower() and v is not current
                for v in doc["values"]
                if current is None or v["id"] != current["id"]
            ):
                raise ApiError(409, f"The option already has a value labelled '{label}'.")
            value["label"] = label
        if text is not None:
            value["value"] = str(text)
        if "sort_order" in body:
            if not isinstance(body["sort_order"], int):
                raise ApiError(400, "The field 'sort_order' must be an integer.")
            value["sort_order"] = body["sort_order"]
        if "is_default" in body:
            value["is_default"] = bool(body["is_default"])
        return value

    def create_value(self, option_id: int, body: Any) -> dict[str, Any]:
        """`POST /options/{id}/values` (at most 250 per option: 403)."""
        with self.tx():
            doc = self.option(option_id)
            if len(doc["values"]) >= MAX_VALUES:
                raise ApiError(403, f"An option has at most {MAX_VALUES} values.")
            value = self._value_fields(doc, body, None)
            value["id"] = self.next_id("option_value")
            if value["is_default"]:
                for other in doc["values"]:
                    other["is_default"] = False
            doc["values"].append(value)
            self._save_option(doc)
            self._refresh(option_id)
            return {**value, "option_id": option_id}

    def update_value(self, option_id: int, value_id: int, body: Any) -> dict[str, Any]:
        """`PUT /options/{id}/values/{value_id}`."""
        with self.tx():
            doc = self.option(option_id)
            current = next((v for v in doc["values"] if v["id"] == value_id), None)
            if current is None:
                raise not_found("option value")
            current.update(self._value_fields(doc, body, current))
            if current["is_default"]:
                for other in doc["values"]:
                    other["is_default"] = other is current
            self._save_option(doc)
            self._refresh(option_id)
            return {**current, "option_id": option_id}

    def delete_values(self, option_id: int, ids: Iterable[int] | None) -> None:
        """Delete values of an option (all of them when `ids` is None): SKUs using them go."""
        with self.tx():
            doc = self.option(option_id)
            wanted = set(ids) if ids is not None else {v["id"] for v in doc["values"]}
            if ids is not None and not wanted <= {v["id"] for v in doc["values"]}:
                raise not_found("option value")
            doc["values"] = [v for v in doc["values"] if v["id"] not in wanted]
            self._save_option(doc)
            for row in self._product_options_of(option_id):
                self._drop_skus(row["product_id"], lambda o, pid=row["id"]: o.get(pid) in wanted)
            self._refresh(option_id)

    # ---- option sets --------------------------------------------------------------------------

    def option_set(self, set_id: int) -> dict[str, Any]:
        """A stored option set (404 when missing)."""
        docs = self.docs("SELECT doc FROM option_sets WHERE store=? AND id=?", self.hash, set_id)
        if not docs:
            raise not_found("option set")
        return docs[0]

    @staticmethod
    def render_set(doc: dict[str, Any]) -> dict[str, Any]:
        """An option set in the API's shape."""
        resource = f"/optionsets/{doc['id']}/options"
        return {
            "id": doc["id"],
            "product_id": doc.get("product_id"),
            "name": doc["name"],
            "options": {"url": resource, "resource": resource, "product_id": doc.get("product_id")},
        }

    def option_sets(self, name: str | None) -> list[dict[str, Any]]:
        """Option sets by id (of this name when given)."""
        if name is not None:
            return self.docs(
                "SELECT doc FROM option_sets WHERE store=? AND name_l=? ORDER BY id",
                self.hash,
                name.lower(),
            )
        return self.docs("SELECT doc FROM option_sets WHERE store=? ORDER BY id", self.hash)

    def _save_set(self, doc: dict[str, Any]) -> None:
        self.execute(
            "INSERT OR REPLACE INTO option_sets (store, id, name_l, doc) VALUES (?, ?, ?, ?)",
            self.hash,
            doc["id"],
            doc["name"].lower(),
            dumps(doc),
        )

    def _unique_set_name(self, name: str, set_id: int | None) -> None:
        found = self.one(
            "SELECT id FROM option_sets WHERE store=? AND name_l=?", self.hash, name.lower()
        )
        if found is not None and found != set_id:
            raise ApiError(409, f"The option set name '{name}' is a duplicate.")

    def create_set(self, body: Any, *, product_id: int | None = None) -> dict[str, Any]:
        """`POST /option_sets` with a unique `name`."""
        body = _read_only(body, ("id", "options", "product_id"))
        name = _text(body, "name", required=True)
        assert name is not None
        with self.tx():
            self._unique_set_name(name, None)
            doc = {"id": self.next_id("option_set"), "name": name, "product_id": product_id}
            self._save_set(doc)
            return self.render_set(doc)

    def update_set(self, set_id: int, body: Any) -> dict[str, Any]:
        """`PUT /option_sets/{id}`: its name."""
        body = _read_only(body, ("id", "options", "product_id"))
        name = _text(body, "name", required=True)
        assert name is not None
        with self.tx():
            doc = self.option_set(set_id)
            self._unique_set_name(name, set_id)
            doc["name"] = name
            self._save_set(doc)
            return self.render_set(doc)

    def products_of_set(self, set_id: int) -> list[int]:
        """The products the option set is applied to."""
        return [
            int(r[0])
            for r in self.db.conn.execute(
                "SELECT id FROM products WHERE store=? AND json_extract(doc, '$.option_set_id')=? ORDER BY id",
                (self.hash, set_id),
            )
        ]

    def delete_sets(self, ids: Iterable[int] | None) -> None:
        """`DELETE /option_sets[/{id}]`: refused (409) while a product uses one."""
        with self.tx():
            sets = [self.option_set(i) for i in ids] if ids is not None else self.option_sets(None)
            for doc in sets:
                if self.products_of_set(doc["id"]):
                    raise ApiError(409, f"The option set '{doc['name']}' is applied to products.")
            for doc in sets:
                self.execute("DELETE FROM option_sets WHERE store=? AND id=?", self.hash, doc["id"])
                self.execute(
                    "DELETE FROM option_set_options WHERE store=? AND option_set_id=?",
                    self.hash,
                    doc["id"],
                )

    # ---- option set options -------------------------------------------------------------------

    def set_options(self, set_id: int) -> list[dict[str, Any]]:
        """`GET /option_sets/{id}/options`, by option id, with the option's values."""
        self.option_set(set_id)
        docs = self.docs(
            "SELECT doc FROM option_set_options WHERE store=? AND option_set_id=? ORDER BY option_id, id",
            self.hash,
            set_id,
        )
        return [self._render_set_option(d) for d in docs]

    def _render_set_option(self, doc: dict[str, Any]) -> dict[str, Any]:
        option = self.option(doc["option_id"])
        return {
            **doc,
            "option": {"url": f"/options/{option['id']}", "resource": f"/options/{option['id']}"},
            "values": [
                {
                    "label": v["label"],
                    "sort_order": v["sort_order"],
                    "value": v["value"],
                    "option_value_id": v["id"],
                }
                for v in sorted(option["values"], key=lambda v: (v["sort_order"], v["id"]))
            ],
        }

    def _set_option(self, set_id: int, item_id: int) -> dict[str, Any]:
        self.option_set(set_id)
        docs = self.docs(
            "SELECT doc FROM option_set_options WHERE store=? AND option_set_id=? AND id=?",
            self.hash,
            set_id,
            item_id,
        )
        if not docs:
            raise not_found("option set option")
        return docs[0]

    def set_option(self, set_id: int, item_id: int) -> dict[str, Any]:
        """`GET /option_sets/{id}/options/{item_id}`."""
        return self._render_set_option(self._set_option(set_id, item_id))

    def _save_set_option(self, doc: dict[str, Any]) -> None:
        self.execute(
            "INSERT OR REPLACE INTO option_set_options (store, option_set_id, id, option_id, doc) "
            "VALUES (?, ?, ?, ?, ?)",
            self.hash,
            doc["option_set_id"],
            doc["id"],
            doc["option_id"],
            dumps(doc),
        )

    def _set_option_fields(self, doc: dict[str, Any], body: dict[str, Any]) -> None:
        if "display_name" in body:
            doc["display_name"] = _text(body, "display_name", required=True)
        if "sort_order" in body:
            if not isinstance(body["sort_order"], int):
                raise ApiError(400, "The field 'sort_order' must be an integer.")
            doc["sort_order"] = body["sort_order"]
        if "is_required" in body:
            doc["is_required"] = bool(body["is_required"])

    def create_set_option(self, set_id: int, body: Any) -> dict[str, Any]:
        """`POST /option_sets/{id}/options` with an `option_id`: every product of the set gets
        the option."""
        body = _read_only(body, ("id", "option_set_id", "values", "option"))
        option_id = body.get("option_id")
        if not isinstance(option_id, int):
            raise ApiError(400, "The required field 'option_id' was not supplied.")
        with self.tx():
            self.option_set(set_id)
            option = self.option(option_id)
            if self.one(
                "SELECT 1 FROM option_set_options WHERE store=? AND option_set_id=? AND option_id=?",
                self.hash,
                set_id,
                option_id,
            ):
                raise ApiError(409, "The option is already in the option set.")
            doc = {
                "id": self.next_id("option_set_option"),
                "option_id": option_id,
                "option_set_id": set_id,
                "display_name": option["display_name"],
                "sort_order": 0,
                "is_required": False,
            }
            self._set_option_fields(doc, body)
            self._save_set_option(doc)
            for product_id in self.products_of_set(set_id):
                self._materialise(product_id, doc)
            return self._render_set_option(doc)

    def update_set_option(self, set_id: int, item_id: int, body: Any) -> dict[str, Any]:
        """`PUT /option_sets/{id}/options/{item_id}`: display name, sort order, required."""
        body = _read_only(body, ("id", "option_id", "option_set_id", "values", "option"))
        with self.tx():
            doc = self._set_option(set_id, item_id)
            self._set_option_fields(doc, body)
            self._save_set_option(doc)
            for row in self.docs_rows(
                "SELECT product_id, doc FROM product_options WHERE store=? AND set_option_id=?",
                item_id,
            ):
                row["doc"].update(
                    {k: doc[k] for k in ("display_name", "sort_order", "is_required")}
                )
                self._save_product_option(row["product_id"], row["doc"], item_id)
                self._write_v3_option(row["product_id"], row["doc"])
            return self._render_set_option(doc)

    def delete_set_options(self, set_id: int, ids: Iterable[int] | None) -> None:
        """`DELETE /option_sets/{id}/options[/{item_id}]`: the products of the set lose the
        option, with the SKUs and rules that name it."""
        with self.tx():
            self.option_set(set_id)
            items = (
                [self._set_option(set_id, i) for i in ids]
                if ids is not None
                else self.docs(
                    "SELECT doc FROM option_set_options WHERE store=? AND option_set_id=?",
                    self.hash,
                    set_id,
                )
            )
            for item in items:
                for row in self.docs_rows(
                    "SELECT product_id, doc FROM product_options WHERE store=? AND set_option_id=?",
                    item["id"],
                ):
                    self._remove_product_option(row["product_id"], row["doc"]["id"])
                self.execute(
                    "DELETE FROM option_set_options WHERE store=? AND id=?", self.hash, item["id"]
                )

    def docs_rows(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        """Rows of (product_id, doc) of this store."""
        return [
            {"product_id": r[0], "doc": orjson.loads(r[1])}
            for r in self.db.conn.execute(sql, (self.hash, *params))
        ]

    # ---- a product's options ------------------------------------------------------------------

    def product_options(self, product_id: int) -> list[dict[str, Any]]:
        """`GET /products/{id}/options`, by sort order."""
        self.store.products.doc(product_id)
        docs = self.docs(
            "SELECT doc FROM product_options WHERE store=? AND product_id=?", self.hash, product_id
        )
        return sorted(docs, key=lambda d: (d["sort_order"], d["id"]))

    @staticmethod
    def render_product_option(doc: dict[str, Any]) -> dict[str, Any]:
        """A product option in the API's shape."""
        return {k: doc[k] for k in ("id", "option_id", "display_name", "sort_order", "is_required")}

    def product_option(self, product_id: int, item_id: int) -> dict[str, Any]:
        """`GET /products/{id}/options/{item_id}`."""
        found = [o for o in self.product_options(product_id) if o["id"] == item_id]
        if not found:
            raise not_found("product option")
        return self.render_product_option(found[0])

    def _product_options_of(self, option_id: int) -> list[dict[str, Any]]:
        return [
            {**r["doc"], "product_id": r["product_id"]}
            for r in self.docs_rows(
                "SELECT product_id, doc FROM product_options WHERE store=? AND option_id=?",
                option_id,
            )
        ]

    def _save_product_option(
        self, product_id: int, doc: dict[str, Any], set_option_id: int
    ) -> None:
        self.execute(
            "INSERT OR REPLACE INTO product_options (store, product_id, id, option_id, set_option_id, doc) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            self.hash,
            product_id,
            doc["id"],
            doc["option_id"],
            set_option_id,
            dumps(doc),
        )

    def _write_v3_option(self, product_id: int, doc: dict[str, Any]) -> None:
        """The V3 variant option a choice-type product option is, or the V3 modifier another
        type is (same id, the option's values; a modifier's values keep their adjusters)."""
        option = self.option(doc["option_id"])
        if option["type"] in MODIFIER_TYPES:
            self._write_v3_modifier(product_id, doc, option)
            return
        v3 = {
            "id": doc["id"],
            "product_id": product_id,
            "display_name": doc["display_name"],
            "name": option["name"],
            "type": VARIANT_TYPES[option["type"]],
            "sort_order": doc["sort_order"],
            "config": {},
            "option_values": [
                {
                    "id": v["id"],
                    "label": v["label"],
                    "sort_order": v["sort_order"],
                    "is_default": v["is_default"],
                }
                for v in sorted(option["values"], key=lambda v: (v["sort_order"], v["id"]))
            ],
        }
        self.execute(
            "INSERT OR REPLACE INTO options (store, id, product_id, doc) VALUES (?, ?, ?, ?)",
            self.hash,
            v3["id"],
            product_id,
            dumps(v3),
        )
        self.store.options.relabel(product_id, v3)

    def _write_v3_modifier(
        self, product_id: int, doc: dict[str, Any], option: dict[str, Any]
    ) -> None:
        found = self.docs("SELECT doc FROM modifiers WHERE store=? AND id=?", self.hash, doc["id"])
        adjusters = {v["id"]: v["adjusters"] for v in found[0]["option_values"]} if found else {}
        empty = {
            "price": {},
            "weight": {},
            "image_url": "",
            "purchasing_disabled": {"status": False, "message": ""},
        }
        modifier = {
            "id": doc["id"],
            "product_id": product_id,
            "name": option["name"],
            "display_name": doc["display_name"],
            "type": MODIFIER_TYPES[option["type"]],
            "required": doc["is_required"],
            "sort_order": doc["sort_order"],
            "config": {},
            "option_values": [
                {
                    "id": v["id"],
                    "option_id": doc["id"],
                    "label": v["label"],
                    "sort_order": v["sort_order"],
                    "is_default": v["is_default"],
                    "adjusters": adjusters.get(v["id"], empty),
                }
                for v in sorted(option["values"], key=lambda v: (v["sort_order"], v["id"]))
            ],
        }
        self.execute(
            "INSERT OR REPLACE INTO modifiers (store, id, product_id, doc) VALUES (?, ?, ?, ?)",
            self.hash,
            modifier["id"],
            product_id,
            dumps(modifier),
        )

    def _materialise(self, product_id: int, set_option: dict[str, Any]) -> None:
        doc = {
            "id": self.next_id("option"),
            "option_id": set_option["option_id"],
            "display_name": set_option["display_name"],
            "sort_order": set_option["sort_order"],
            "is_required": set_option["is_required"],
        }
        self._save_product_option(product_id, doc, set_option["id"])
        self._write_v3_option(product_id, doc)

    def _refresh(self, option_id: int) -> None:
        """Products whose options come from this option: their V3 options follow it."""
        for doc in self._product_options_of(option_id):
            self._write_v3_option(doc.pop("product_id"), doc)

    def _remove_product_option(self, product_id: int, product_option_id: int) -> None:
        self._drop_skus(product_id, lambda chosen: product_option_id in chosen)
        self.execute(
            "DELETE FROM product_options WHERE store=? AND product_id=? AND id=?",
            self.hash,
            product_id,
            product_option_id,
        )
        self.execute("DELETE FROM options WHERE store=? AND id=?", self.hash, product_option_id)
        self.execute("DELETE FROM modifiers WHERE store=? AND id=?", self.hash, product_option_id)
        for rule in self.stored_rules(product_id):
            if any(c.get("product_option_id") == product_option_id for c in rule["conditions"]):
                self._delete_rule_row(rule["id"])

    def _drop_skus(self, product_id: int, gone: Any) -> None:
        """Delete the product's SKUs for which `gone(option id -> value id)` holds."""
        for variant in self.store.variants.of_product(product_id):
            chosen = {v["option_id"]: v["id"] for v in variant["option_values"]}
            if chosen and gone(chosen):
                self.execute(
                    "DELETE FROM variants WHERE store=? AND id=?", self.hash, variant["id"]
                )
                self.emit("store/sku/deleted", {"type": "sku", "id": variant["id"]})
        if not self.store.variants.of_product(product_id):
            self.store.variants.ensure_base(product_id, self.store.products.doc(product_id))

    def apply_set(self, product_id: int, set_id: int | None) -> None:
        """Attach an option set to a product (or detach it: None), inside a transaction: its
        variants, options and rules go, and the set's options become the product's."""
        doc = self.store.products.doc(product_id)
        if doc.get("option_set_id") == set_id:
            return
        if set_id is not None:
            self.option_set(set_id)
        for table in ("product_options", "rules", "options", "modifiers"):
            self.execute(
                f"DELETE FROM {table} WHERE store=? AND product_id=?", self.hash, product_id
            )
        for variant in self.store.variants.of_product(product_id):
            if variant["id"] != doc.get("base_variant_id"):
                self.execute(
                    "DELETE FROM variants WHERE store=? AND id=?", self.hash, variant["id"]
                )
                self.emit("store/sku/deleted", {"type": "sku", "id": variant["id"]})
        if set_id is None:
            doc.pop("option_set_id", None)
        else:
            doc["option_set_id"] = set_id
        self.store.products.write(product_id, doc)
        if doc.get("base_variant_id") is None:
            self.store.variants.ensure_base(product_id, doc)
        if set_id is not None:
            for item in self.docs(
                "SELECT doc FROM option_set_options WHERE store=? AND option_set_id=? ORDER BY id",
                self.hash,
                set_id,
            ):
                self._materialise(product_id, item)

    def localise(self, product_id: int) -> dict[int, int]:
        """A V3 write to a product in a shared option set: the set is copied to the product (a
        custom set), each option to a product-exclusive copy with new value ids; product option
        ids stay; SKUs and rules follow the new value ids (inside a transaction). Returns the new
        id of each old value id (nothing when the product has no shared set)."""
        doc = self.store.products.doc(product_id)
        set_id = doc.get("option_set_id")
        if set_id is None or self.option_set(set_id).get("product_id") == product_id:
            return {}
        shared = self.option_set(set_id)
        custom = {
            "id": self.next_id("option_set"),
            "name": f"{shared['name']}-{product_id}",
            "product_id": product_id,
        }
        self._save_set(custom)
        renumbered: dict[int, int] = {}
        for row in self.docs_rows(
            "SELECT product_id, doc FROM product_options WHERE store=? AND product_id=?", product_id
        ):
            item = row["doc"]
            option = self.option(item["option_id"])
            copy = {
                **option,
                "id": self.next_id("v2_option"),
                "name": f"{option['name']}-{product_id}",
                "product_id": product_id,
                "values": [],
            }
            for value in option["values"]:
                new_id = self.next_id("option_value")
                renumbered[value["id"]] = new_id
                copy["values"].append({**value, "id": new_id})
            self._save_option(copy)
            set_option = {
                "id": self.next_id("option_set_option"),
                "option_id": copy["id"],
                "option_set_id": custom["id"],
                **{k: item[k] for k in ("display_name", "sort_order", "is_required")},
            }
            self._save_set_option(set_option)
            item["option_id"] = copy["id"]
            self._save_product_option(product_id, item, set_option["id"])
            self._renumber_modifier(item["id"], renumbered)
            self._write_v3_option(product_id, item)
        for variant in self.store.variants.of_product(product_id):
            for value in variant["option_values"]:
                value["id"] = renumbered.get(value["id"], value["id"])
            self.execute(
                "UPDATE variants SET doc=? WHERE store=? AND id=?",
                dumps(variant),
                self.hash,
                variant["id"],
            )
        for rule in self.stored_rules(product_id):
            for condition in rule["conditions"]:
                if condition.get("option_value_id") is not None:
                    condition["option_value_id"] = renumbered.get(
                        condition["option_value_id"], condition["option_value_id"]
                    )
            self._save_rule(rule)
        doc["option_set_id"] = custom["id"]
        self.store.products.write(product_id, doc)
        return renumbered

    def _renumber_modifier(self, modifier_id: int, renumbered: dict[int, int]) -> None:
        """A modifier's values take their copies' ids (their adjusters stay with them)."""
        found = self.docs(
            "SELECT doc FROM modifiers WHERE store=? AND id=?", self.hash, modifier_id
        )
        if not found:
            return
        modifier = found[0]
        for value in modifier["option_values"]:
            value["id"] = renumbered.get(value["id"], value["id"])
        self.execute(
            "UPDATE modifiers SET doc=? WHERE store=? AND id=?",
            dumps(modifier),
            self.hash,
            modifier_id,
        )

    def sync_from_v3(self, product_id: int, v3: dict[str, Any]) -> None:
        """A V3 write to a product option of a custom set: the set's copy of the option follows
        (labels, order, default, values added)."""
        rows = self.docs_rows(
            "SELECT product_id, doc FROM product_options WHERE store=? AND id=?", v3["id"]
        )
        if not rows:
            return
        option = self.option(rows[0]["doc"]["option_id"])
        if option.get("product_id") != product_id:
            return
        known = {v["id"]: v for v in option["values"]}
        for value in v3["option_values"]:
            current = known.get(value["id"])
            if current is None:
                current = {"id": value["id"], "value": value["label"]}
                option["values"].append(current)
            current.update({k: value[k] for k in ("label", "sort_order", "is_default")})
        self._save_option(option)

    # ---- SKUs ---------------------------------------------------------------------------------

    def _v2_product(self, product_id: int) -> V2Product:
        product = self.store.products.doc(product_id)
        variants = [v for v in self.store.variants.of_product(product_id) if v["option_values"]]
        return V2Product(
            price=product.get("price", 0),
            weight=product.get("weight", 0),
            skus=[
                {
                    "id": v["id"],
                    "price": v.get("price"),
                    "weight": v.get("weight"),
                    "options": [
                        {"product_option_id": o["option_id"], "option_value_id": o["id"]}
                        for o in v["option_values"]
                    ],
                }
                for v in variants
            ],
            rules=self.stored_rules(product_id),
        )

    def render_sku(self, variant: dict[str, Any], model: V2Product) -> dict[str, Any]:
        """A V3 variant as a V2 SKU: its own values, and what a shopper sees of them."""
        selection = {o["option_id"]: o["id"] for o in variant["option_values"]}
        shown = model.shown(selection)
        return {
            "id": variant["id"],
            "product_id": variant["product_id"],
            "sku": variant["sku"],
            "price": money(variant.get("price")),
            "adjusted_price": money(shown.price),
            "cost_price": money(variant.get("cost_price") or 0),
            "upc": variant.get("upc", ""),
            "inventory_level": variant.get("inventory_level", 0),
            "inventory_warning_level": variant.get("inventory_warning_level", 0),
            "bin_picking_number": variant.get("bin_picking_number", ""),
            "weight": decimal(variant.get("weight")),
            "adjusted_weight": decimal(shown.weight),
            "is_purchasing_disabled": variant.get("purchasing_disabled", False),
            "purchasing_disabled_message": variant.get("purchasing_disabled_message", ""),
            "image_file": variant.get("image_url", ""),
            "options": [
                {"product_option_id": o["option_id"], "option_value_id": o["id"]}
                for o in variant["option_values"]
            ],
        }

    def skus(self, product_id: int) -> list[dict[str, Any]]:
        """`GET /products/{id}/skus`: the product's variants that have option values."""
        model = self._v2_product(product_id)
        return [
            self.render_sku(v, model)
            for v in self.store.variants.of_product(product_id)
            if v["option_values"]
        ]

    def sku(self, product_id: int, sku_id: int) -> dict[str, Any]:
        """`GET /products/{id}/skus/{sku_id}`."""
        model = self._v2_product(product_id)
        for variant in self.store.variants.of_product(product_id):
            if variant["id"] == sku_id and variant["option_values"]:
                return self.render_sku(variant, model)
        raise not_found("SKU")

    def _variant_body(self, body: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, target in SKU_FIELDS.items():
            if name in body:
                value = body[name]
                if name in ("price", "cost_price", "weight") and isinstance(value, str):
                    try:
                        value = float(value)
                    except ValueError as error:
                        raise ApiError(400, f"The field '{name}' must be a number.") from error
                out[target] = value
        try:
            clean(out, VARIANT_FIELDS)
        except ApiError as error:
            raise ApiError(400, error.title) from error
        return out

    def create_sku(self, product_id: int, body: Any) -> dict[str, Any]:
        """`POST /products/{id}/skus`: a `sku` and its `options` (product option and value ids)."""
        body = _read_only(body, ("id", "product_id", "adjusted_price", "adjusted_weight"))
        _text(body, "sku", required=True)
        options = body.get("options")
        if not isinstance(options, list) or not options:
            raise ApiError(400, "The required field 'options' was not supplied.")
        with self.tx():
            self.store.products.doc(product_id)
            count = self.one(
                "SELECT COUNT(*) FROM variants WHERE store=? AND product_id=?",
                self.hash,
                product_id,
            )
            if count >= min(MAX_SKUS_PER_PRODUCT, 500):
                raise ApiError(403, "A product has at most 500 SKUs.")
            variant = self._variant_body(body)
            variant["option_values"] = []
            for item in options:
                if not isinstance(item, dict):
                    raise ApiError(
                        400, "Each of 'options' is {product_option_id, option_value_id}."
                    )
                variant["option_values"].append(
                    {"option_id": item.get("product_option_id"), "id": item.get("option_value_id")}
                )
            try:
                created = self.store.variants.insert(product_id, variant)
            except ApiError as error:
                raise ApiError(409 if error.status == 409 else 400, error.title) from error
            return self.sku(product_id, created["id"])

    def update_sku(self, product_id: int, sku_id: int, body: Any) -> dict[str, Any]:
        """`PUT /products/{id}/skus/{sku_id}` (its options stay)."""
        body = _read_only(body, ("id", "product_id", "adjusted_price", "adjusted_weight"))
        with self.tx():
            self.sku(product_id, sku_id)
            try:
                self.store.variants.update_one(
                    sku_id, self._variant_body(body), product_id=product_id
                )
            except ApiError as error:
                raise ApiError(409 if error.status == 409 else 400, error.title) from error
            return self.sku(product_id, sku_id)

    def delete_skus(self, product_id: int, ids: Iterable[int] | None) -> None:
        """`DELETE /products/{id}/skus[/{sku_id}]`."""
        with self.tx():
            wanted = set(ids) if ids is not None else {s["id"] for s in self.skus(product_id)}
            for sku_id in wanted:
                self.sku(product_id, sku_id)
            for sku_id in wanted:
                self.execute("DELETE FROM variants WHERE store=? AND id=?", self.hash, sku_id)
                self.emit("store/sku/deleted", {"type": "sku", "id": sku_id})
            if not self.store.variants.of_product(product_id):
                self.store.variants.ensure_base(product_id, self.store.products.doc(product_id))
            self.store.products.touch(product_id)

    # ---- rules --------------------------------------------------------------------------------

    def stored_rules(self, product_id: int) -> list[dict[str, Any]]:
        """The rules kept for a product (without those its variants' own values make)."""
        return self.docs(
            "SELECT doc FROM rules WHERE store=? AND product_id=? ORDER BY id",
            self.hash,
            product_id,
        )

    @staticmethod
    def variant_rule(variant: dict[str, Any]) -> dict[str, Any] | None:
        """The rule a V3 variant's own price, weight, image or purchasability makes."""
        price, weight = variant.get("price"), variant.get("weight")
        image, disabled = variant.get("image_url") or "", variant.get("purchasing_disabled", False)
        if not variant["option_values"] or (
            price is None and weight is None and not image and not disabled
        ):
            return None
        return {
            **RULE_DEFAULTS,
            "id": variant["id"],
            "product_id": variant["product_id"],
            "price_adjuster": None
            if price is None
            else {"adjuster": "absolute", "adjuster_value": float(price)},
            "weight_adjuster": None
            if weight is None
            else {"adjuster": "absolute", "adjuster_value": float(weight)},
            "is_purchasing_disabled": disabled,
            "purchasing_disabled_message": variant.get("purchasing_disabled_message", ""),
            "image_file": image,
            "conditions": [
                {"product_option_id": None, "option_value_id": None, "sku_id": variant["id"]}
            ],
        }

    @staticmethod
    def render_rule(doc: dict[str, Any]) -> dict[str, Any]:
        """A rule in the API's shape (adjuster values as 4-decimal texts)."""
        out = dict(doc)
        for name in ("price_adjuster", "weight_adjuster"):
            if out.get(name):
                out[name] = {**out[name], "adjuster_value": money(out[name]["adjuster_value"])}
        return out

    def rules(self, product_id: int) -> list[dict[str, Any]]:
        """`GET /products/{id}/rules`: the stored rules and the variants' own, by id."""
        self.store.products.doc(product_id)
        derived = [
            r
            for r in (self.variant_rule(v) for v in self.store.variants.of_product(product_id))
            if r
        ]
        found = sorted([*self.stored_rules(product_id), *derived], key=lambda r: r["id"])
        return [self.render_rule(r) for r in found]

    def rule(self, product_id: int, rule_id: int) -> dict[str, Any]:
        """`GET /products/{id}/rules/{rule_id}`."""
        found = [r for r in self.rules(product_id) if r["id"] == rule_id]
        if not found:
            raise not_found("rule")
        return found[0]

    def _conditions(self, product_id: int, conditions: Any) -> list[dict[str, Any]]:
        if not isinstance(conditions, list) or not conditions:
            raise ApiError(400, "The required field 'conditions' was not supplied.")
        options = {o["id"]: o for o in self.product_options(product_id)}
        skus = {v["id"] for v in self.store.variants.of_product(product_id) if v["option_values"]}
        out = []
        for condition in conditions:
            if not isinstance(condition, dict):
                raise ApiError(400, "Each condition is an object.")
            sku_id = condition.get("sku_id")
            option_id = condition.get("product_option_id")
            value_id = condition.get("option_value_id")
            if sku_id is not None:
                if option_id is not None or value_id is not None or sku_id not in skus:
                    raise ApiError(
                        400, f"The condition names SKU {sku_id} of another product, or more."
                    )
            else:
                option = options.get(option_id) if isinstance(option_id, int) else None
                values = (
                    {v["id"] for v in self.option(option["option_id"])["values"]}
                    if option
                    else set()
                )
                if option is None or value_id not in values:
                    raise ApiError(400, "A condition names a product option and one of its values.")
            out.append(
                {"product_option_id": option_id, "option_value_id": value_id, "sku_id": sku_id}
            )
        return out

    def _rule_fields(self, doc: dict[str, Any], body: dict[str, Any]) -> None:
        for name in RULE_FIELDS:
            if name not in body:
                continue
            value = body[name]
            if name in ("price_adjuster", "weight_adjuster"):
                value = _adjuster(name.split("_")[0], value)
            elif name == "sort_order" and not isinstance(value, int):
                raise ApiError(400, "The field 'sort_order' must be an integer.")
            doc[name] = value

    def _save_rule(self, doc: dict[str, Any]) -> None:
        self.execute(
            "INSERT OR REPLACE INTO rules (store, product_id, id, doc) VALUES (?, ?, ?, ?)",
            self.hash,
            doc["product_id"],
            doc["id"],
            dumps(doc),
        )

    def _delete_rule_row(self, rule_id: int) -> None:
        self.execute("DELETE FROM rules WHERE store=? AND id=?", self.hash, rule_id)

    def create_rule(self, product_id: int, body: Any) -> dict[str, Any]:
        """`POST /products/{id}/rules` with its `conditions`."""
        body = _read_only(body, ("id", "product_id"))
        with self.tx():
            self.store.products.doc(product_id)
            # Rule ids share the SKU ids' sequence: a variant's own rule keeps the variant's id.
            doc: dict[str, Any] = {
                **RULE_DEFAULTS,
                "id": self.next_id("variant"),
                "product_id": product_id,
            }
            self._rule_fields(doc, body)
            doc["conditions"] = self._conditions(product_id, body.get("conditions"))
            self._save_rule(doc)
            self.store.products.touch(product_id)
            return self.render_rule(doc)

    def update_rule(self, product_id: int, rule_id: int, body: Any) -> dict[str, Any]:
        """`PUT /products/{id}/rules/{rule_id}`: conditions given are added to the rule's. A
        variant's own rule writes the variant's price, weight, image and purchasability."""
        body = _read_only(body, ("id", "product_id"))
        with self.tx():
            self.rule(product_id, rule_id)
            stored = [r for r in self.stored_rules(product_id) if r["id"] == rule_id]
            if not stored:
                doc = dict(
                    self.variant_rule(
                        next(
                            v
                            for v in self.store.variants.of_product(product_id)
                            if v["id"] == rule_id
                        )
                    )
                    or {}
                )
                self._rule_fields(doc, body)
                self.store.variants.update_one(
                    rule_id, self._variant_of_rule(doc), product_id=product_id
                )
                return self.rule(product_id, rule_id)
            doc = stored[0]
            self._rule_fields(doc, body)
            if body.get("conditions") is not None:
                doc["conditions"] += self._conditions(product_id, body["conditions"])
            self._save_rule(doc)
            self.store.products.touch(product_id)
            return self.render_rule(doc)

    @staticmethod
    def _variant_of_rule(doc: dict[str, Any]) -> dict[str, Any]:
        price, weight = doc.get("price_adjuster"), doc.get("weight_adjuster")
        if (price and price["adjuster"] != "absolute") or (
            weight and weight["adjuster"] != "absolute"
        ):
            raise ApiError(400, "A SKU's own rule sets absolute values.")
        return {
            "price": price["adjuster_value"] if price else None,
            "weight": weight["adjuster_value"] if weight else None,
            "purchasing_disabled": bool(doc.get("is_purchasing_disabled")),
            "purchasing_disabled_message": doc.get("purchasing_disabled_message", ""),
            "image_url": doc.get("image_file", ""),
        }

    def delete_rules(self, product_id: int, ids: Iterable[int] | None) -> None:
        """`DELETE /products/{id}/rules[/{rule_id}]`: a variant's own rule clears its values."""
        with self.tx():
            wanted = set(ids) if ids is not None else {r["id"] for r in self.rules(product_id)}
            for rule_id in wanted:
                self.rule(product_id, rule_id)
            variants = {v["id"]: v for v in self.store.variants.of_product(product_id)}
            for rule_id in wanted:
                if rule_id in variants:
                    variant = variants[rule_id]
                    for name in ("price", "weight"):
                        variant[name] = None
                    variant.update(
                        {
                            "image_url": "",
                            "purchasing_disabled": False,
                            "purchasing_disabled_message": "",
                        }
                    )
                    self.execute(
                        "UPDATE variants SET doc=? WHERE store=? AND id=?",
                        dumps(variant),
                        self.hash,
                        rule_id,
                    )
                else:
                    self._delete_rule_row(rule_id)
            self.store.products.touch(product_id)

    def with_rules(self, product_ids: list[int]) -> set[int]:
        """Those of the products that have rules (one query)."""
        if not product_ids:
            return set()
        marks = ",".join("?" * len(product_ids))
        rows = self.db.conn.execute(
            f"SELECT DISTINCT product_id FROM rules WHERE store=? AND product_id IN ({marks})",
            (self.hash, *product_ids),
        )
        return {int(r[0]) for r in rows}

    def shown_variants(
        self, product_id: int, variants: list[dict[str, Any]]
    ) -> dict[int, tuple[float, float]]:
        """Variant id -> (price, weight) a shopper sees under the product's rules, for products
        that have rules."""
        if not self.one(
            "SELECT 1 FROM rules WHERE store=? AND product_id=?", self.hash, product_id
        ):
            return {}
        model = self._v2_product(product_id)
        out = {}
        for variant in variants:
            shown = model.shown({o["option_id"]: o["id"] for o in variant["option_values"]})
            out[variant["id"]] = (float(shown.price), float(shown.weight))
        return out


# ---- HTTP -----------------------------------------------------------------------------------------


def _r(call: Call) -> OptionsV2:
    return call.store.options_v2


async def _list_options(call: Call) -> Any:
    query = page_of(call)
    items = await call.run(_r(call).options)
    return listed([_r(call).render_option(i) for i in items], query)


async def _count_options(call: Call) -> Any:
    return count_answer(len(await call.run(_r(call).options)))


async def _list_sets(call: Call) -> Any:
    query = page_of(call, ("name",))
    items = await call.run(_r(call).option_sets, call.query.get("name"))
    return listed([_r(call).render_set(i) for i in items], query)


async def _count_sets(call: Call) -> Any:
    return count_answer(len(await call.run(_r(call).option_sets, None)))


def _ids(call: Call, name: str) -> list[int] | None:
    return [call.int(name)] if name in call.request.match_info else None


ROUTES: list[Route] = [
    *v2_routes(
        "/v2/options",
        "option_id",
        list_=_list_options,
        count=_count_options,
        create=lambda c, b: _r(c).create_option(b),
        get=lambda c: _r(c).render_option(_r(c).option(c.int("option_id"))),
        update=lambda c, b: _r(c).update_option(c.int("option_id"), b),
        delete=lambda c: _r(c).delete_option(c.int("option_id")),
    ),
    *v2_routes(
        "/v2/options/{option_id}/values",
        "value_id",
        list_=lambda c: _r(c).values(c.int("option_id")),
        create=lambda c, b: _r(c).create_value(c.int("option_id"), b),
        get=lambda c: _r(c).value(c.int("option_id"), c.int("value_id")),
        update=lambda c, b: _r(c).update_value(c.int("option_id"), c.int("value_id"), b),
        delete=lambda c: _r(c).delete_values(c.int("option_id"), _ids(c, "value_id")),
        delete_all=True,
    ),
    *v2_routes(
        "/v2/option_sets",
        "option_set_id",
        list_=_list_sets,
        count=_count_sets,
        create=lambda c, b: _r(c).create_set(b),
        get=lambda c: _r(c).render_set(_r(c).option_set(c.int("option_set_id"))),
        update=lambda c, b: _r(c).update_set(c.int("option_set_id"), b),
        delete=lambda c: _r(c).delete_sets(_ids(c, "option_set_id")),
        delete_all=True,
        filters=("name",),
    ),
    *v2_routes(
        "/v2/option_sets/{option_set_id}/options",
        "id",
        list_=lambda c: _r(c).set_options(c.int("option_set_id")),
        create=lambda c, b: _r(c).create_set_option(c.int("option_set_id"), b),
        get=lambda c: _r(c).set_option(c.int("option_set_id"), c.int("id")),
        update=lambda c, b: _r(c).update_set_option(c.int("option_set_id"), c.int("id"), b),
        delete=lambda c: _r(c).delete_set_options(c.int("option_set_id"), _ids(c, "id")),
        delete_all=True,
    ),
    *v2_routes(
        "/v2/products/{product_id}/options",
        "id",
        list_=lambda c: [
            _r(c).render_product_option(o) for o in _r(c).product_options(c.int("product_id"))
        ],
        get=lambda c: _r(c).product_option(c.int("product_id"), c.int("id")),
    ),
    *v2_routes(
        "/v2/products/{product_id}/skus",
        "id",
        list_=lambda c: _r(c).skus(c.int("product_id")),
        create=lambda c, b: _r(c).create_sku(c.int("product_id"), b),
        get=lambda c: _r(c).sku(c.int("product_id"), c.int("id")),
        update=lambda c, b: _r(c).update_sku(c.int("product_id"), c.int("id"), b),
        delete=lambda c: _r(c).delete_skus(c.int("product_id"), _ids(c, "id")),
        delete_all=True,
        refused=(
            "min_id",
            "max_id",
            "sku",
            "upc",
            "inventory_level",
            "inventory_warning_level",
            "bin_picking_number",
            "min_inventory_level",
            "max_inventory_level",
            "is_low_inventory",
            "product_hash",
        ),
    ),
    *v2_routes(
        "/v2/products/{product_id}/rules",
        "id",
        list_=lambda c: _r(c).rules(c.int("product_id")),
        create=lambda c, b: _r(c).create_rule(c.int("product_id"), b),
        get=lambda c: _r(c).rule(c.int("product_id"), c.int("id")),
        update=lambda c, b: _r(c).update_rule(c.int("product_id"), c.int("id"), b),
        delete=lambda c: _r(c).delete_rules(c.int("product_id"), _ids(c, "id")),
        delete_all=True,
    ),
]
