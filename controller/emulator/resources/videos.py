"""Product videos: `/v3/catalog/products/{product_id}/videos`. A video is a YouTube video by its
`video_id`; a title left blank is filled in as the host site would (here, from the id), and the
videos of a product are answered in `sort_order`."""

from __future__ import annotations

from typing import Any

from controller.catalog.fields import VIDEO
from controller.emulator.database import dumps
from controller.emulator.fields import clean
from controller.emulator.resources.base import ListSpec, ProductChild, child_routes

SCHEMA = """
CREATE TABLE IF NOT EXISTS videos (store TEXT, product_id INTEGER, id INTEGER, doc TEXT,
    PRIMARY KEY (store, product_id, id)) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS videos_id ON videos (store, id);
"""
TABLES = ("videos",)

LIST = ListSpec(direction=False)


class Videos(ProductChild):
    """The videos of one store's products."""

    table = "videos"
    noun = "video"

    def insert(self, product_id: int, body: Any, *, label: str = "") -> dict[str, Any]:
        """Add a video to a product (inside a transaction)."""
        fields = clean(body, VIDEO, required=("video_id",), prefix=label)
        doc = {
            "id": self.next_id("video"),
            "product_id": product_id,
            "type": "youtube",
            "sort_order": 0,
            "description": "",
            "length": "0:00",
            **fields,
        }
        doc["title"] = doc.get("title") or f"YouTube video {fields['video_id']}"
        self.execute(
            "INSERT INTO videos (store, id, product_id, doc) VALUES (?, ?, ?, ?)",
            self.hash,
            doc["id"],
            product_id,
            dumps(doc),
        )
        return doc

    def update(self, product_id: int, video_id: int, body: Any) -> dict[str, Any]:
        """`PUT /catalog/products/{id}/videos/{id}` (its video id stays)."""
        with self.tx():
            fields = clean(body, VIDEO)
            fields.pop("video_id", None)
            return self.save(product_id, {**self.doc(product_id, video_id), **fields})


ROUTES = child_routes("/v3/catalog/products/{product_id}/videos", "id", "videos", LIST)
