"""Product rules: `/v3/catalog/products/{id}/bulk-pricing-rules` and
`/v3/catalog/products/{id}/complex-rules`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from controller.catalog import fields
from controller.emulator.database import dumps
from controller.emulator.errors import invalid
from controller.emulator.fields import clean
from controller.emulator.resources.base import ListSpec, ProductChild, child_routes

SCHEMA = """
CREATE TABLE IF NOT EXISTS bulk_pricing_rules (store TEXT, product_id INTEGER, id INTEGER,
    doc TEXT, PRIMARY KEY (store, product_id, id)) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS bulk_pricing_rules_id ON bulk_pricing_rules (store, id);
CREATE TABLE IF NOT EXISTS complex_rules (store TEXT, product_id INTEGER, id INTEGER, doc TEXT,
    PRIMARY KEY (store, product_id, id)) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS complex_rules_id ON complex_rules (store, id);
"""
TABLES = ("bulk_pricing_rules", "complex_rules")

PRICING = ListSpec(direction=False, paged=False)  # the spec documents no paging of them
RULES = ListSpec(direction=False)
_NO_ADJUSTER: dict[str, Any] = {}  # as the platform answers an adjuster that adjusts nothing


class _Stored(ProductChild):
    """A rule stored per product."""

    def store_new(self, product_id: int, doc: dict[str, Any]) -> dict[str, Any]:
        """Insert a new document (inside a transaction)."""
        self.execute(
            f"INSERT INTO {self.table} (store, id, product_id, doc) VALUES (?, ?, ?, ?)",
            self.hash,
            doc["id"],
            product_id,
            dumps(doc),
        )
        return self.render(doc)


class BulkPricingRules(_Stored):
    """Quantity ranges with a price, percent or fixed adjustment; ranges of a product do not
    overlap."""

    table = "bulk_pricing_rules"
    noun = "bulk pricing rule"

    def render(self, doc: dict[str, Any]) -> dict[str, Any]:
        """A rule in the API's shape."""
        return {k: v for k, v in doc.items() if k != "product_id"}

    def _checked(self, product_id: int, doc: dict[str, Any], label: str) -> None:
        low, high = doc["quantity_min"], doc["quantity_max"]
        if high and high < low:
            raise invalid(label + "quantity_max", "must be 0 (no maximum) or at least quantity_min")
        if doc["type"] == "fixed" and low < 2:
            raise invalid(label + "quantity_min", "a fixed rule starts at 2 or more")
        for other in self.stored(product_id):
            if other["id"] == doc.get("id"):
                continue
            if (not high or other["quantity_min"] <= high) and (
                not other["quantity_max"] or low <= other["quantity_max"]
            ):
                raise invalid(label + "quantity_min", "the range overlaps another rule's")

    def insert(self, product_id: int, body: Any, *, label: str = "") -> dict[str, Any]:
        """Add a rule to a product (inside a transaction)."""
        checked = clean(
            body,
            fields.BULK_PRICING_RULE,
            required=("quantity_min", "quantity_max", "type", "amount"),
            prefix=label,
        )
        doc = {"id": self.next_id("bulk_pricing_rule"), "product_id": product_id, **checked}
        self._checked(product_id, doc, label)
        return self.store_new(product_id, doc)

    def update(self, product_id: int, rule_id: int, body: Any) -> dict[str, Any]:
        """`PUT .../bulk-pricing-rules/{id}`."""
        with self.tx():
            doc = {**self.doc(product_id, rule_id), **clean(body, fields.BULK_PRICING_RULE)}
            self._checked(product_id, doc, "")
            return self.save(product_id, doc)


class ComplexRules(_Stored):
    """Rules adjusting price, weight, image or purchasability when modifier values and/or a
    variant are chosen; conditions name the product's own modifiers, values and variants."""

    table = "complex_rules"
    noun = "complex rule"

    def render(self, doc: dict[str, Any]) -> dict[str, Any]:
        """A rule in the API's shape."""
        return doc

    def _conditions(self, product_id: int, rule_id: int, raw: Any) -> list[dict[str, Any]]:
        if not isinstance(raw, list) or not raw:
            raise invalid("conditions", "a rule needs at least one condition")
        modifiers = {
            m["id"]: {v["id"] for v in m["option_values"]}
            for m in self.store.modifiers.of_product(product_id)
        }
        variants = {v["id"] for v in self.store.variants.of_product(product_id)}
        out = []
        for index, condition in enumerate(raw):
            label = f"conditions[{index}]."
            if not isinstance(condition, dict):
                raise invalid(label.rstrip("."), "must be an object")
            modifier, value = condition.get("modifier_id"), condition.get("modifier_value_id")
            variant = condition.get("variant_id")
            if modifier is None and variant is None:
                raise invalid(
                    label + "modifier_id", "a condition names a modifier value or a variant"
                )
            if modifier is not None and value not in modifiers.get(modifier, ()):
                raise invalid(
                    label + "modifier_value_id", "no such value of the product's modifiers"
                )
            if variant is not None and variant not in variants:
                raise invalid(label + "variant_id", "no such variant of the product")
            out.append(
                {
                    "id": self.next_id("rule_condition"),
                    "rule_id": rule_id,
                    "modifier_id": modifier,
                    "modifier_value_id": value if modifier is not None else None,
                    "variant_id": variant,
                    **({"combination_id": variant} if variant is not None else {}),  # v2 SKU id
                }
            )
        # the spec: rules "created or updated in the v3 API must have conditions that either
        # reference multiple `modifier_value_id`'s, or else reference a `modifier_value_id` and
        # a `variant_id`"
        values = {(c["modifier_id"], c["modifier_value_id"]) for c in out if c["modifier_id"]}
        if len(values) < 2 and not (values and any(c["variant_id"] for c in out)):
            raise invalid(
                "conditions",
                "a rule's conditions name two modifier values or more, or a modifier value "
                "and a variant",
            )
        return out

    def _values(self, body: Any, doc: dict[str, Any]) -> None:
        checked = clean(body, fields.COMPLEX_RULE)
        for name in ("price_adjuster", "weight_adjuster"):
            if name in checked:
                adjuster = checked[name]
                if adjuster.get("adjuster") not in (None, *fields.ADJUSTERS):
                    raise invalid(f"{name}.adjuster", "must be relative or percentage")
                checked[name] = (
                    {
                        "adjuster": adjuster["adjuster"],
                        "adjuster_value": adjuster.get("adjuster_value", 0),
                    }
                    if adjuster.get("adjuster")
                    else {}
                )
        doc.update(checked)

    def insert(self, product_id: int, body: Any, *, label: str = "") -> dict[str, Any]:
        """Add a rule to a product (inside a transaction)."""
        rule_id = self.next_id("complex_rule")
        doc: dict[str, Any] = {
            "id": rule_id,
            "product_id": product_id,
            "sort_order": 0,
            "enabled": True,
            "stop": False,
            "purchasing_disabled": False,
            "purchasing_disabled_message": "",
            "purchasing_hidden": False,
            "image_url": "",
            "price_adjuster": dict(_NO_ADJUSTER),
            "weight_adjuster": dict(_NO_ADJUSTER),
        }
        self._values(body, doc)
        doc["conditions"] = self._conditions(product_id, rule_id, body.get("conditions"))
        return self.store_new(product_id, doc)

    def update(self, product_id: int, rule_id: int, body: Any) -> dict[str, Any]:
        """`PUT .../complex-rules/{id}` (conditions given are written anew)."""
        with self.tx():
            doc = self.doc(product_id, rule_id)
            self._values(body, doc)
            if isinstance(body, dict) and "conditions" in body:
                doc["conditions"] = self._conditions(product_id, rule_id, body["conditions"])
            return self.save(product_id, doc)

    def drop_where(self, product_id: int, names: Callable[[dict[str, Any]], bool]) -> None:
        """A deleted modifier, modifier value or variant takes the rules with a condition naming
        it (inside a transaction)."""
        for doc in self.stored(product_id):
            if any(names(c) for c in doc["conditions"]):
                self.execute(
                    "DELETE FROM complex_rules WHERE store=? AND id=?", self.hash, doc["id"]
                )


_PRODUCT = "/v3/catalog/products/{product_id}"
ROUTES = [
    *child_routes(
        f"{_PRODUCT}/bulk-pricing-rules", "bulk_pricing_rule_id", "bulk_pricing_rules", PRICING
    ),
    *child_routes(f"{_PRODUCT}/complex-rules", "complex_rule_id", "complex_rules", RULES),
]
