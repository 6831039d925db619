"""Product custom fields: `/v3/catalog/products/{product_id}/custom-fields`."""

from __future__ import annotations

from typing import Any

from controller.emulator.database import dumps
from controller.emulator.errors import conflict, invalid
from controller.emulator.fields import CUSTOM_FIELD_FIELDS, clean
from controller.emulator.resources.base import ListSpec, ProductChild, child_routes

SCHEMA = """
CREATE TABLE IF NOT EXISTS custom_fields (store TEXT, product_id INTEGER, id INTEGER, doc TEXT,
    PRIMARY KEY (store, product_id, id)) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS custom_fields_id ON custom_fields (store, id);
"""
TABLES = ("custom_fields",)

MAX_CUSTOM_FIELDS = 200
LIST = ListSpec(direction=False)


class CustomFields(ProductChild):
    """The custom fields of one store's products (name and value pairs, unique per product)."""

    table = "custom_fields"
    noun = "custom field"

    def render(self, doc: dict[str, Any]) -> dict[str, Any]:
        """A custom field in the API's shape."""
        return {k: v for k, v in doc.items() if k != "product_id"}

    def insert(self, product_id: int, body: Any, *, label: str = "") -> dict[str, Any]:
        """Add a custom field to a product (inside a transaction)."""
        fields = clean(body, CUSTOM_FIELD_FIELDS, required=("name", "value"), prefix=label)
        existing = self.stored(product_id)
        if len(existing) >= MAX_CUSTOM_FIELDS:
            raise invalid(
                label + "name", f"a product has at most {MAX_CUSTOM_FIELDS} custom fields"
            )
        if any(e["name"] == fields["name"] and e["value"] == fields["value"] for e in existing):
            raise conflict(label + "name", "The custom field name and value pair is a duplicate.")
        doc = {"id": self.next_id("custom_field"), "product_id": product_id, **fields}
        self.execute(
            "INSERT INTO custom_fields (store, id, product_id, doc) VALUES (?, ?, ?, ?)",
            self.hash,
            doc["id"],
            product_id,
            dumps(doc),
        )
        return self.render(doc)

    def update(self, product_id: int, field_id: int, body: Any) -> dict[str, Any]:
        """`PUT /catalog/products/{id}/custom-fields/{custom_field_id}`."""
        with self.tx():
            doc = {**self.doc(product_id, field_id), **clean(body, CUSTOM_FIELD_FIELDS)}
            others = [o for o in self.stored(product_id) if o["id"] != field_id]
            if any(o["name"] == doc["name"] and o["value"] == doc["value"] for o in others):
                raise conflict("name", "The custom field name and value pair is a duplicate.")
            return self.save(product_id, doc)


ROUTES = child_routes(
    "/v3/catalog/products/{product_id}/custom-fields", "custom_field_id", "custom_fields", LIST
)
