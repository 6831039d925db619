"""Product images: `/v3/catalog/products/{product_id}/images` (metadata; `image_url` is echoed)."""

from __future__ import annotations

from typing import Any

from controller.emulator.database import dumps, now_iso
from controller.emulator.fields import IMAGE_FIELDS, clean
from controller.emulator.resources.base import ListSpec, ProductChild, child_routes

SCHEMA = """
CREATE TABLE IF NOT EXISTS images (store TEXT, product_id INTEGER, id INTEGER, doc TEXT,
    PRIMARY KEY (store, product_id, id)) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS images_id ON images (store, id);
"""
TABLES = ("images",)

LIST = ListSpec(direction=False)


class Images(ProductChild):
    """The images of one store's products."""

    table = "images"
    noun = "image"

    def insert(self, product_id: int, body: Any, *, label: str = "") -> dict[str, Any]:
        """Add an image to a product (inside a transaction)."""
        fields = clean(body, IMAGE_FIELDS, required=("image_url",), prefix=label)
        url = fields["image_url"]
        doc = {
            "id": self.next_id("image"),
            "product_id": product_id,
            "is_thumbnail": False,
            "sort_order": 0,
            "description": "",
            **fields,
            "image_file": url.rsplit("/", 1)[-1],
            "url_zoom": url,
            "url_standard": url,
            "url_thumbnail": url,
            "url_tiny": url,
            "date_modified": now_iso(),
        }
        self.execute(
            "INSERT INTO images (store, id, product_id, doc) VALUES (?, ?, ?, ?)",
            self.hash,
            doc["id"],
            product_id,
            dumps(doc),
        )
        return doc

    def update(self, product_id: int, image_id: int, body: Any) -> dict[str, Any]:
        """`PUT /catalog/products/{id}/images/{image_id}`."""
        with self.tx():
            doc = {**self.doc(product_id, image_id), **clean(body, IMAGE_FIELDS)}
            return self.save(product_id, {**doc, "date_modified": now_iso()})


ROUTES = child_routes("/v3/catalog/products/{product_id}/images", "image_id", "images", LIST)
