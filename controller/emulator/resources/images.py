"""Product images: `/v3/catalog/products/{product_id}/images`. As on the platform, the image given
by `image_url` is taken into the store: it is then answered with the store's CDN URLs (`image_url`
is the zoom size), never with the URL it was created from."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

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
CDN = "https://cdn11.bigcommerce.com"
SIZES = {"url_zoom": "1280.1280", "url_standard": "560.850", "url_thumbnail": "330.500"}
SIZES["url_tiny"] = "66.100"


def cdn_urls(store: str, product_id: int, image_id: int, source: str) -> dict[str, str]:
    """The file name and the CDN URLs the platform answers for an image taken from `source`
    (its file name, made unique, sized and stamped)."""
    name = urlsplit(source).path.rsplit("/", 1)[-1] or "image"
    stem, dot, ext = name.rpartition(".")
    stem, ext = (stem, ext.lower()) if dot and stem else (name, "jpg")
    unique = f"{stem}__{10000 + image_id * 7919 % 90000}"
    base = f"{CDN}/s-{store}/products/{product_id}/images/{image_id}/{unique}.{int(time.time())}"
    urls = {field: f"{base}.{size}.{ext}?c=2" for field, size in SIZES.items()}
    return {
        "image_file": f"{stem[0].lower()}/{image_id % 1000}/{unique}.{ext}",
        "image_url": urls["url_zoom"],
        **urls,
    }


class Images(ProductChild):
    """The images of one store's products."""

    table = "images"
    noun = "image"

    def insert(self, product_id: int, body: Any, *, label: str = "") -> dict[str, Any]:
        """Add an image to a product (inside a transaction)."""
        fields = clean(body, IMAGE_FIELDS, required=("image_url",), prefix=label)
        image_id = self.next_id("image")
        doc = {
            "id": image_id,
            "product_id": product_id,
            "is_thumbnail": False,
            "sort_order": 0,
            "description": "",
            **fields,
            **cdn_urls(self.hash, product_id, image_id, fields["image_url"]),
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
            fields = clean(body, IMAGE_FIELDS)
            doc = {**self.doc(product_id, image_id), **fields}
            if "image_url" in fields:  # a new picture, taken into the store
                doc.update(cdn_urls(self.hash, product_id, image_id, fields["image_url"]))
            return self.save(product_id, {**doc, "date_modified": now_iso()})


ROUTES = child_routes("/v3/catalog/products/{product_id}/images", "image_id", "images", LIST)
