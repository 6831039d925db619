"""Category and brand images: as on the platform, an `image_url` given to a category or brand is
taken into the store and answered as the store's own CDN URL
(`https://cdn11.bigcommerce.com/s-HASH/product_images/k/NAME__N.EXT`), never as the URL it came
from; `/v3/catalog/{categories,brands}/{id}/image` uploads one (multipart `image_file`) or
removes it."""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

from controller.emulator.errors import invalid
from controller.emulator.resources.base import Call, Resource, Route, no_content, one
from controller.emulator.resources.images import CDN

SCHEMA = ""
TABLES: tuple[str, ...] = ()
IMAGE_TYPES = ("jpeg", "jpg", "gif", "png", "ico")


def taken(store: str, source: str, number: int) -> str:
    """The CDN URL of an image taken from `source` (a URL of the store's CDN stays as it is)."""
    if not source or source.startswith(f"{CDN}/s-{store}/"):
        return source
    name = urlsplit(source).path.rsplit("/", 1)[-1] or "image"
    stem, dot, ext = name.rpartition(".")
    stem, ext = (stem, ext.lower()) if dot and stem else (name, "jpg")
    return (
        f"{CDN}/s-{store}/product_images/{stem[0].lower()}/{stem}__{10000 + number % 90000}.{ext}"
    )


class RecordImages(Resource):
    """The images of categories and brands."""

    def take(self, source: str) -> str:
        """An image given by URL, taken into the store (inside a transaction)."""
        return taken(self.hash, source, self.next_id("record_image"))

    def upload(self, kind: str, record_id: int, filename: str) -> dict[str, str]:
        """Upload an image file to a category or brand: its new `image_url`."""
        ext = filename.rpartition(".")[2].lower()
        if ext not in IMAGE_TYPES:
            raise invalid("image_file", f"the image must be one of {', '.join(IMAGE_TYPES)}")
        with self.tx():
            url = self.take(f"https://upload.invalid/{filename}")
            self._set(kind, record_id, url)
        return {"image_url": url}

    def remove(self, kind: str, record_id: int) -> None:
        """Remove a category's or brand's image."""
        with self.tx():
            self._set(kind, record_id, "")

    def _set(self, kind: str, record_id: int, url: str) -> None:
        if kind == "category":
            self.store.categories.set_image(record_id, url)
        else:
            self.store.brands.set_image(record_id, url)


def _routes(kind: str, path: str, id_name: str) -> list[Route]:
    async def upload(call: Call) -> web.StreamResponse:
        request = call.request
        if not request.content_type.startswith("multipart/"):
            raise invalid("image_file", "upload the image as multipart/form-data (image_file)")
        filename = ""
        async for part in await request.multipart():
            if getattr(part, "name", None) == "image_file":
                filename = getattr(part, "filename", None) or "image.jpg"
                await part.read()  # type: ignore[union-attr]
        if not filename:
            raise invalid("image_file", "the 'image_file' field is required")
        found = await call.run(call.store.record_images.upload, kind, call.int(id_name), filename)
        return one(found)

    async def delete(call: Call) -> web.StreamResponse:
        await call.run(call.store.record_images.remove, kind, call.int(id_name))
        return no_content()

    return [Route("POST", path, upload), Route("DELETE", path, delete)]


ROUTES = [
    *_routes("category", "/v3/catalog/categories/{category_id}/image", "category_id"),
    *_routes("brand", "/v3/catalog/brands/{brand_id}/image", "brand_id"),
]
