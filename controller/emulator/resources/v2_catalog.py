"""The V2 catalog's products, categories, brands, custom fields, images and videos (archived
documentation; OpenAPI for V2 brands and custom fields), over the same store data as V3: a product
created in V2 is a V3 product, with its V3 base variant. V2 numbers are 4-decimal texts and dates
RFC 2822 texts; `option_set_id` attaches an option set (see `v2_options`); videos are the V3
videos (`videos`), by YouTube id."""

from __future__ import annotations

from typing import Any

from controller.emulator.database import now_iso
from controller.emulator.errors import ApiError, not_found
from controller.emulator.resources.base import (
    Call,
    ProductChild,
    Route,
    json_response,
    parse_value,
    shape,
)
from controller.emulator.resources.v2 import (
    check_query,
    count_answer,
    decimal,
    money,
    page_of,
    rfc2822,
    spec,
    v2_routes,
)

SCHEMA = ""  # the videos are the V3 videos (`videos`)
TABLES: tuple[str, ...] = ()

_TRACKING = {"none": "none", "product": "simple", "variant": "sku"}
_TRACKING_V3 = {v: k for k, v in _TRACKING.items()}
_CONDITIONS = ("New", "Used", "Refurbished")
_AVAILABILITY = ("available", "disabled", "preorder")
PRODUCT_READ_ONLY = (
    *("id", "rating_total", "rating_count", "number_sold", "date_created", "date_modified"),
    *("date_last_imported", "calculated_price", "brand", "images", "discount_rules"),
    *("configurable_fields", "custom_fields", "primary_image", "videos", "rules", "option_set"),
    *("options", "tax_class"),
)
# V2 product fields written as they are into the V3 product.
CREATE_READ_ONLY = tuple(
    k
    for k in PRODUCT_READ_ONLY
    if k not in ("rating_total", "rating_count", "number_sold", "date_created", "date_modified")
    and k != "date_last_imported"
)
_SAME = (
    *("name", "type", "sku", "description", "search_keywords", "availability_description"),
    *("price", "cost_price", "retail_price", "sale_price", "sort_order", "is_visible"),
    *("is_featured", "inventory_level", "inventory_warning_level", "warranty", "weight"),
    *("width", "height", "depth", "fixed_cost_shipping_price", "is_free_shipping", "brand_id"),
    *("page_title", "meta_description", "layout_file", "is_price_hidden", "price_hidden_label"),
    *("categories", "condition", "is_condition_shown", "is_preorder_only", "preorder_message"),
    *("order_quantity_minimum", "order_quantity_maximum", "open_graph_type", "open_graph_title"),
    *("open_graph_description", "upc", "tax_class_id", "bin_picking_number", "availability"),
)
_NUMBERS = (
    "price",
    "cost_price",
    "retail_price",
    "sale_price",
    "weight",
    "width",
    "height",
    "depth",
)
PRODUCT_FILTERS = (
    *("min_id", "max_id", "name", "description", "sku", "condition", "availability", "brand_id"),
    *("min_date_created", "max_date_created", "min_date_modified", "max_date_modified"),
    *("min_price", "max_price", "min_number_sold", "max_number_sold", "is_visible", "is_featured"),
    *("min_inventory_level", "max_inventory_level", "include_sku", "category", "product_tax_code"),
)
PRODUCT_REFUSED = ("keyword_filter", "min_date_last_imported", "max_date_last_imported")
_FIELDS = ("include", "exclude")
_MANDATORY = ("id", "name", "date_modified", "primary_image")
_SUMMARY = (
    *("availability", "calculated_price", "inventory_tracking", "sku", "inventory_level"),
    *("inventory_warning_level", "is_visible", "is_featured"),
)
_JSON = "json_extract(doc, '$.{}')"
_RANGES = {
    "id": ("id", "int"),
    "date_created": (_JSON.format("date_created"), "date"),
    "date_modified": (_JSON.format("date_modified"), "date"),
    "price": (_JSON.format("price"), "num"),
    "number_sold": (_JSON.format("total_sold"), "int"),
    "inventory_level": (_JSON.format("inventory_level"), "int"),
}
_EQUALS = {
    "name": ("name_l", "lower"),
    "condition": (_JSON.format("condition"), "str"),
    "availability": (_JSON.format("availability"), "str"),
    "brand_id": (_JSON.format("brand_id"), "int"),
    "is_visible": (_JSON.format("is_visible"), "bool"),
    "is_featured": (_JSON.format("is_featured"), "bool"),
    "product_tax_code": (_JSON.format("product_tax_code"), "str"),
}


def _where(store: str, query: Any) -> tuple[str, list[Any]]:
    """The documented product filters as SQL over the V3 products."""
    clauses: list[str] = ["store=?"]
    params: list[Any] = [store]
    for key, raw in query.items():
        bound, _, field = key.partition("_")
        if bound in ("min", "max") and field in _RANGES:
            sql, kind = _RANGES[field]
            clauses.append(f"{sql} {'>=' if bound == 'min' else '<='} ?")
            params.append(parse_value(key, kind, raw))
        elif key in _EQUALS:
            sql, kind = _EQUALS[key]
            clauses.append(f"{sql} = ?")
            params.append(parse_value(key, kind, raw))
        elif key == "description":
            clauses.append("lower(json_extract(doc, '$.description')) LIKE ?")
            params.append(f"%{raw.lower()}%")
        elif key == "category":
            clauses.append(
                "id IN (SELECT product_id FROM product_categories WHERE store=products.store "
                "AND category_id=?)"
            )
            params.append(parse_value(key, "int", raw))
        elif key == "sku":
            if query.get("include_sku", "").lower() in ("true", "1"):
                clauses.append(
                    "(sku_l = ? OR id IN (SELECT product_id FROM variants "
                    "WHERE store=products.store AND sku_l = ?))"
                )
                params += [raw.lower(), raw.lower()]
            else:
                clauses.append("sku_l = ?")
                params.append(raw.lower())
    return " AND ".join(clauses), params


def _resource(path: str) -> dict[str, str]:
    return {"url": path, "resource": path}


def _keywords(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [p.strip() for p in str(value or "").split(",") if p.strip()]


class ProductsV2:
    """Products in the V2 shape, over the V3 products of a store."""

    def __init__(self, store: Any):
        self.store = store
        self.db = store.db
        self.hash = store.hash

    def render(self, doc: dict[str, Any]) -> dict[str, Any]:
        """A stored V3 product in the V2 shape."""
        pid = doc["id"]
        sale = doc.get("sale_price") or 0
        images = self.store.images.stored(pid)
        thumbs = [i for i in images if i.get("is_thumbnail")] or images
        primary = thumbs[0] if thumbs else None
        set_id = doc.get("option_set_id")
        brand_id = doc.get("brand_id") or 0
        return {
            "id": pid,
            "keyword_filter": None,
            **{k: doc.get(k) for k in ("name", "type", "sku", "description", "search_keywords")},
            "availability_description": doc.get("availability_description", ""),
            **{
                k: money(doc.get(k) or 0)
                for k in ("price", "cost_price", "retail_price", "sale_price")
            },
            "calculated_price": money(sale if sale > 0 else doc.get("price", 0)),
            "sort_order": doc.get("sort_order", 0),
            "is_visible": doc.get("is_visible", True),
            "is_featured": doc.get("is_featured", False),
            "related_products": ",".join(str(i) for i in doc.get("related_products") or []) or "-1",
            "inventory_level": doc.get("inventory_level", 0),
            "inventory_warning_level": doc.get("inventory_warning_level", 0),
            "warranty": doc.get("warranty", ""),
            **{k: decimal(doc.get(k) or 0) for k in ("weight", "width", "height", "depth")},
            "fixed_cost_shipping_price": money(doc.get("fixed_cost_shipping_price") or 0),
            "is_free_shipping": doc.get("is_free_shipping", False),
            "inventory_tracking": _TRACKING.get(doc.get("inventory_tracking", "none"), "none"),
            "rating_total": doc.get("reviews_rating_sum", 0),
            "rating_count": doc.get("reviews_count", 0),
            "total_sold": doc.get("total_sold", 0),
            "date_created": rfc2822(doc.get("date_created")),
            "brand_id": brand_id,
            "view_count": doc.get("view_count", 0),
            "page_title": doc.get("page_title", ""),
            "meta_keywords": ",".join(doc.get("meta_keywords") or []),
            "meta_description": doc.get("meta_description", ""),
            "layout_file": doc.get("layout_file", ""),
            "is_price_hidden": doc.get("is_price_hidden", False),
            "price_hidden_label": doc.get("price_hidden_label", ""),
            "categories": doc.get("categories", []),
            "date_modified": rfc2822(doc.get("date_modified")),
            "event_date_field_name": "",
            "event_date_type": "none",
            "event_date_start": "",
            "event_date_end": "",
            "myob_asset_account": "",
            "myob_income_account": "",
            "myob_expense_account": "",
            "peachtree_gl_account": "",
            "condition": doc.get("condition", "New"),
            "is_condition_shown": doc.get("is_condition_shown", False),
            "preorder_release_date": "",
            "is_preorder_only": doc.get("is_preorder_only", False),
            "preorder_message": doc.get("preorder_message", ""),
            "order_quantity_minimum": doc.get("order_quantity_minimum", 0),
            "order_quantity_maximum": doc.get("order_quantity_maximum", 0),
            "open_graph_type": doc.get("open_graph_type", "product"),
            "open_graph_title": doc.get("open_graph_title", ""),
            "open_graph_description": doc.get("open_graph_description", ""),
            "is_open_graph_thumbnail": doc.get("open_graph_use_image", True),
            "upc": doc.get("upc", ""),
            "avalara_product_tax_code": doc.get("product_tax_code", ""),
            "date_last_imported": "",
            "option_set_id": set_id,
            "tax_class_id": doc.get("tax_class_id", 0),
            "option_set_display": "right",
            "bin_picking_number": doc.get("bin_picking_number", ""),
            "custom_url": (doc.get("custom_url") or {}).get("url", ""),
            "primary_image": {
                "id": primary["id"] if primary else 0,
                "zoom_url": primary["url_zoom"] if primary else None,
                "thumbnail_url": primary["url_thumbnail"] if primary else None,
                "standard_url": primary["url_standard"] if primary else None,
                "tiny_url": primary["url_tiny"] if primary else None,
            },
            "availability": doc.get("availability", "available"),
            "brand": _resource(f"/brands/{brand_id}") if brand_id else None,
            "downloads": _resource(f"/products/{pid}/downloads"),
            "images": _resource(f"/products/{pid}/images"),
            "discount_rules": _resource(f"/products/{pid}/discountrules"),
            "configurable_fields": _resource(f"/products/{pid}/configurablefields"),
            "custom_fields": _resource(f"/products/{pid}/customfields"),
            "videos": _resource(f"/products/{pid}/videos"),
            "skus": _resource(f"/products/{pid}/skus"),
            "rules": _resource(f"/products/{pid}/rules"),
            "option_set": _resource(f"/optionsets/{set_id}") if set_id else None,
            "options": _resource(f"/products/{pid}/options"),
            "tax_class": _resource(f"/taxclasses/{doc.get('tax_class_id', 0)}"),
        }

    def find(self, query: Any, page: tuple[int, int]) -> list[dict[str, Any]]:
        """A page of products matching the documented filters, by id."""
        clause, params = _where(self.hash, query)
        number, limit = page
        docs = self.db.docs(
            f"SELECT doc FROM products WHERE {clause} ORDER BY id LIMIT ? OFFSET ?",
            *params,
            limit,
            (number - 1) * limit,
        )
        return [self.render(d) for d in docs]

    def count(self, query: Any) -> int:
        """How many products match the filters."""
        clause, params = _where(self.hash, query)
        return int(self.db.one(f"SELECT COUNT(*) FROM products WHERE {clause}", *params))

    def _v3_body(self, body: Any, *, create: bool) -> tuple[dict[str, Any], Any]:
        """A V2 product body as a V3 one, and the option set asked for (`...` when none)."""
        if not isinstance(body, dict):
            raise ApiError(400, "The request body must be a JSON object.")
        names = PRODUCT_READ_ONLY if not create else CREATE_READ_ONLY
        read_only = sorted(set(body) & set(names))
        if read_only:
            raise ApiError(400, f"The field '{read_only[0]}' is read-only.")
        if create:
            missing = [
                k
                for k in ("name", "price", "categories", "type", "availability", "weight")
                if body.get(k) in (None, "")
            ]
            if missing:
                raise ApiError(400, f"The required field '{missing[0]}' was not supplied.")
        if "condition" in body and body["condition"] not in _CONDITIONS:
            raise ApiError(400, f"The field 'condition' must be one of {', '.join(_CONDITIONS)}.")
        if "availability" in body and body["availability"] not in _AVAILABILITY:
            raise ApiError(
                400, f"The field 'availability' must be one of {', '.join(_AVAILABILITY)}."
            )
        if isinstance(body.get("categories"), list) and len(body["categories"]) > 1000:
            raise ApiError(403, "A product belongs to at most 1,000 categories.")
        out: dict[str, Any] = {k: body[k] for k in _SAME if k in body}
        for name in _NUMBERS:
            if isinstance(out.get(name), str):
                try:
                    out[name] = float(out[name])
                except ValueError as error:
                    raise ApiError(400, f"The field '{name}' must be a number.") from error
        if "inventory_tracking" in body:
            if body["inventory_tracking"] not in _TRACKING_V3:
                raise ApiError(400, "The field 'inventory_tracking' must be none, simple or sku.")
            out["inventory_tracking"] = _TRACKING_V3[body["inventory_tracking"]]
        if "meta_keywords" in body:
            out["meta_keywords"] = _keywords(body["meta_keywords"])
        if "related_products" in body:
            related = str(body["related_products"])
            out["related_products"] = (
                [] if related.strip() == "-1" else [int(p) for p in _keywords(related)]
            )
        if "custom_url" in body:
            out["custom_url"] = {"url": str(body["custom_url"])}
        if "is_open_graph_thumbnail" in body:
            out["open_graph_use_image"] = bool(body["is_open_graph_thumbnail"])
        if "avalara_product_tax_code" in body:
            out["product_tax_code"] = str(body["avalara_product_tax_code"])
        if create:
            out.setdefault("is_visible", False)  # documented: hidden unless asked
        return out, body.get("option_set_id", ...)

    def _v2_errors(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ApiError as error:
            if error.status == 422:
                detail = "; ".join(error.errors.values()) or error.title
                raise ApiError(400, detail) from error
            raise

    def create(self, body: Any) -> dict[str, Any]:
        """`POST /products`."""
        fields, set_id = self._v3_body(body, create=True)
        with self.db.tx():
            created = self._v2_errors(self.store.products.create, fields, render=False)
            if set_id is not ... and set_id is not None:
                self._v2_errors(self.store.options_v2.apply_set, created["id"], set_id)
            return self.render(self.store.products.doc(created["id"]))

    def update(self, product_id: int, body: Any) -> dict[str, Any]:
        """`PUT /products/{id}` (`option_set_id` attaches or, null, detaches an option set)."""
        fields, set_id = self._v3_body(body, create=False)
        with self.db.tx():
            self._v2_errors(self.store.products.update, product_id, fields, frozenset())
            if set_id is not ...:
                self._v2_errors(self.store.options_v2.apply_set, product_id, set_id)
            return self.render(self.store.products.doc(product_id))

    def get(self, product_id: int) -> dict[str, Any]:
        """`GET /products/{id}`."""
        return self.render(self.store.products.doc(product_id))

    def delete(self, product_id: int | None) -> None:
        """`DELETE /products/{id}`, or every product."""
        if product_id is not None:
            self.store.products.remove(product_id)
            return
        ids = [
            r[0]
            for r in self.db.conn.execute("SELECT id FROM products WHERE store=?", (self.hash,))
        ]
        self.store.products.delete(ids)


def _fields(call: Call) -> Any:
    """`include=` (`@summary` too) and `exclude=` of a product answer."""
    include = {p.strip() for p in call.query.get("include", "").split(",") if p.strip()}
    exclude = {p.strip() for p in call.query.get("exclude", "").split(",") if p.strip()}
    if "@summary" in include:
        include = (include - {"@summary"}) | set(_SUMMARY)
    return lambda item: shape(item, include, exclude, _MANDATORY)


async def _list_products(call: Call) -> Any:
    page = page_of(call, (*PRODUCT_FILTERS, *_FIELDS), PRODUCT_REFUSED)
    pick = _fields(call)
    items = await call.run(call.store.products_v2.find, dict(call.query), page)
    return json_response([pick(i) for i in items])


async def _count_products(call: Call) -> Any:
    check_query(call, spec(PRODUCT_FILTERS, PRODUCT_REFUSED, paged=False))
    return count_answer(await call.run(call.store.products_v2.count, dict(call.query)))


async def _get_product(call: Call) -> Any:
    check_query(call, None, _FIELDS)
    pick = _fields(call)
    return json_response(pick(await call.run(call.store.products_v2.get, call.int("product_id"))))


# ---- categories and brands --------------------------------------------------------------------


def _category(store: Any, doc: dict[str, Any], parents: dict[int, int]) -> dict[str, Any]:
    chain, current = [doc["id"]], doc.get("parent_id", 0)
    while current:
        chain.insert(0, current)
        current = parents.get(current, 0)
    return {
        "id": doc["id"],
        "parent_id": doc.get("parent_id", 0),
        "name": doc["name"],
        "description": doc.get("description", ""),
        "sort_order": doc.get("sort_order", 0),
        "page_title": doc.get("page_title", ""),
        "meta_keywords": ",".join(doc.get("meta_keywords") or []),
        "meta_description": doc.get("meta_description", ""),
        "layout_file": doc.get("layout_file", ""),
        "parent_category_list": chain,
        "image_file": doc.get("image_url", ""),
        "is_visible": doc.get("is_visible", True),
        "search_keywords": doc.get("search_keywords", ""),
        "url": (doc.get("custom_url") or {}).get("url", ""),
    }


def _category_body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    if {"id", "parent_category_list"} & set(body):
        raise ApiError(400, "The fields 'id' and 'parent_category_list' are read-only.")
    out = {
        k: body[k]
        for k in (
            "parent_id",
            "name",
            "description",
            "sort_order",
            "page_title",
            "meta_description",
        )
        if k in body
    }
    out.update({k: body[k] for k in ("layout_file", "is_visible", "search_keywords") if k in body})
    if "meta_keywords" in body:
        out["meta_keywords"] = _keywords(body["meta_keywords"])
    if "image_file" in body:
        out["image_url"] = body["image_file"]
    if "url" in body:
        out["custom_url"] = {"url": body["url"], "is_customized": True}
    return out


def _bad_request(error: ApiError) -> ApiError:
    if error.status in (409, 422):
        detail = "; ".join(str(v) for v in error.errors.values()) or error.title
        return ApiError(409 if error.status == 409 else 400, detail)
    return error


class CatalogV2:
    """Categories and brands in the V2 shape, over the V3 ones."""

    def __init__(self, store: Any):
        self.store = store
        self.db = store.db
        self.hash = store.hash

    def categories(self, query: Any) -> list[dict[str, Any]]:
        """Every category matching the documented filters, by id."""
        docs = self.db.docs("SELECT doc FROM categories WHERE store=? ORDER BY id", self.hash)
        parents = {d["id"]: d.get("parent_id", 0) for d in docs}
        out = []
        for doc in docs:
            if "parent_id" in query and doc.get("parent_id", 0) != parse_value(
                "parent_id", "int", query["parent_id"]
            ):
                continue
            if "name" in query and doc["name"].lower() != query["name"].lower():
                continue
            if "is_visible" in query and int(doc.get("is_visible", True)) != parse_value(
                "is_visible", "bool", query["is_visible"]
            ):
                continue
            if "min_id" in query and doc["id"] < parse_value("min_id", "int", query["min_id"]):
                continue
            if "max_id" in query and doc["id"] > parse_value("max_id", "int", query["max_id"]):
                continue
            out.append(_category(self.store, doc, parents))
        return out

    def category(self, category_id: int) -> dict[str, Any]:
        """One category."""
        found = [c for c in self.categories({}) if c["id"] == category_id]
        if not found:
            raise not_found("category")
        return found[0]

    def create_category(self, body: Any) -> dict[str, Any]:
        """`POST /categories` (a `name` unique among its siblings)."""
        fields = _category_body(body)
        if not fields.get("name"):
            raise ApiError(400, "The required field 'name' was not supplied.")
        fields.setdefault("parent_id", 0)
        try:
            created = self.store.categories.create(fields)
        except ApiError as error:
            raise _bad_request(error) from error
        return self.category(created["id"])

    def update_category(self, category_id: int, body: Any) -> dict[str, Any]:
        """`PUT /categories/{id}`."""
        self.category(category_id)
        try:
            self.store.categories.update(category_id, _category_body(body))
        except ApiError as error:
            raise _bad_request(error) from error
        return self.category(category_id)

    def delete_categories(self, category_id: int | None) -> None:
        """`DELETE /categories[/{id}]` (refused, 409, while one of them has products)."""
        try:
            if category_id is not None:
                self.store.categories.remove(category_id)
            else:
                self.store.categories.delete([c["id"] for c in self.categories({})])
        except ApiError as error:
            if error.status == 422:
                raise ApiError(409, error.title) from error
            raise

    @staticmethod
    def brand(doc: dict[str, Any]) -> dict[str, Any]:
        """A V3 brand in the V2 shape."""
        return {
            "id": doc["id"],
            "name": doc["name"],
            "page_title": doc.get("page_title", ""),
            "meta_keywords": ",".join(doc.get("meta_keywords") or []),
            "meta_description": doc.get("meta_description", ""),
            "image_file": doc.get("image_url", ""),
            "search_keywords": doc.get("search_keywords", ""),
        }

    def brands(self, query: Any) -> list[dict[str, Any]]:
        """Every brand matching the documented filters, by id."""
        docs = self.db.docs("SELECT doc FROM brands WHERE store=? ORDER BY id", self.hash)
        out = []
        for doc in docs:
            if "name" in query and doc["name"].lower() != query["name"].lower():
                continue
            if "min_id" in query and doc["id"] < parse_value("min_id", "int", query["min_id"]):
                continue
            if "max_id" in query and doc["id"] > parse_value("max_id", "int", query["max_id"]):
                continue
            out.append(self.brand(doc))
        return out

    @staticmethod
    def _brand_body(body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiError(400, "The request body must be a JSON object.")
        out = {
            k: body[k]
            for k in ("name", "page_title", "meta_description", "search_keywords")
            if k in body
        }
        if "meta_keywords" in body:
            out["meta_keywords"] = _keywords(body["meta_keywords"])
        if "image_file" in body:
            out["image_url"] = body["image_file"]
        return out

    def create_brand(self, body: Any) -> dict[str, Any]:
        """`POST /brands`."""
        fields = self._brand_body(body)
        if "id" in body:
            raise ApiError(400, "The field 'id' is read-only.")
        try:
            return self.brand(self.store.brands.create(fields))
        except ApiError as error:
            raise _bad_request(error) from error

    def update_brand(self, brand_id: int, body: Any) -> dict[str, Any]:
        """`PUT /brands/{id}`."""
        try:
            return self.brand(self.store.brands.update(brand_id, self._brand_body(body)))
        except ApiError as error:
            raise _bad_request(error) from error

    def delete_brands(self, brand_id: int | None) -> None:
        """`DELETE /brands[/{id}]`."""
        if brand_id is not None:
            self.store.brands.remove(brand_id)
        else:
            self.store.brands.delete([b["id"] for b in self.brands({})])


# ---- custom fields, images, videos ------------------------------------------------------------


class ChildrenV2:
    """A product's custom fields, images and videos in the V2 shape."""

    def __init__(self, store: Any):
        self.store = store
        self.db = store.db
        self.hash = store.hash

    @staticmethod
    def custom_field(doc: dict[str, Any]) -> dict[str, Any]:
        """A V3 custom field in the V2 shape (`text` is its value)."""
        return {
            "id": doc["id"],
            "product_id": doc["product_id"],
            "name": doc["name"],
            "text": doc["value"],
        }

    def custom_fields(self, product_id: int) -> list[dict[str, Any]]:
        """A product's custom fields."""
        self.store.products.doc(product_id)
        return [self.custom_field(d) for d in self.store.custom_fields.stored(product_id)]

    def _field_body(self, body: Any, *, create: bool) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiError(400, "The request body must be a JSON object.")
        if {"id", "product_id"} & set(body):
            raise ApiError(400, "The fields 'id' and 'product_id' are read-only.")
        out = {}
        for name, target in (("name", "name"), ("text", "value")):
            if name in body:
                value = body[name]
                if not isinstance(value, str) or not 1 <= len(value) <= 250:
                    raise ApiError(422, f"The field '{name}' must be 1 to 250 characters.")
                out[target] = value
            elif create:
                raise ApiError(400, f"The required field '{name}' was not supplied.")
        return out

    def create_custom_field(self, product_id: int, body: Any) -> dict[str, Any]:
        """`POST /products/{id}/custom_fields`."""
        fields = self._field_body(body, create=True)
        try:
            created = self.store.custom_fields.create(product_id, fields)
        except ApiError as error:
            raise _bad_request(error) from error
        return {
            "product_id": product_id,
            "id": created["id"],
            "name": created["name"],
            "text": created["value"],
        }

    def update_custom_field(self, product_id: int, field_id: int, body: Any) -> dict[str, Any]:
        """`PUT /products/{id}/custom_fields/{field_id}`."""
        fields = self._field_body(body, create=False)
        try:
            updated = self.store.custom_fields.update(product_id, field_id, fields)
        except ApiError as error:
            raise _bad_request(error) from error
        return {
            "product_id": product_id,
            "id": updated["id"],
            "name": updated["name"],
            "text": updated["value"],
        }

    def delete_children(self, family: str, product_id: int, item_id: int | None) -> None:
        """Delete one of a product's children, or all of them."""
        resource: ProductChild = getattr(self.store, family)
        if item_id is not None:
            resource.delete(product_id, item_id)
            return
        self.store.products.doc(product_id)
        for doc in resource.stored(product_id):
            resource.delete(product_id, doc["id"])

    @staticmethod
    def image(doc: dict[str, Any]) -> dict[str, Any]:
        """A V3 image in the V2 shape."""
        return {
            "id": doc["id"],
            "product_id": doc["product_id"],
            "image_file": doc.get("image_file") or doc.get("image_url", ""),
            "zoom_url": doc.get("url_zoom"),
            "thumbnail_url": doc.get("url_thumbnail"),
            "standard_url": doc.get("url_standard"),
            "tiny_url": doc.get("url_tiny"),
            "is_thumbnail": doc.get("is_thumbnail", False),
            "sort_order": doc.get("sort_order", 0),
            "description": doc.get("description") or None,
            "date_created": rfc2822(doc.get("date_created") or doc.get("date_modified")),
        }

    def images(self, product_id: int) -> list[dict[str, Any]]:
        """A product's images."""
        self.store.products.doc(product_id)
        return [self.image(d) for d in self.store.images.stored(product_id)]

    def _image_body(self, body: Any, *, create: bool) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiError(400, "The request body must be a JSON object.")
        if {"id", "product_id", "date_created"} & set(body):
            raise ApiError(400, "The fields 'id', 'product_id' and 'date_created' are read-only.")
        out = {k: body[k] for k in ("is_thumbnail", "sort_order", "description") if k in body}
        if "image_file" in body:
            out["image_url"] = body["image_file"]
        elif create:
            raise ApiError(400, "The required field 'image_file' was not supplied.")
        return out

    def create_image(self, product_id: int, body: Any) -> dict[str, Any]:
        """`POST /products/{id}/images` with an `image_file` URL."""
        try:
            created = self.store.images.create(product_id, self._image_body(body, create=True))
        except ApiError as error:
            raise _bad_request(error) from error
        return self.image({**created, "date_created": now_iso()})

    def update_image(self, product_id: int, image_id: int, body: Any) -> dict[str, Any]:
        """`PUT /products/{id}/images/{image_id}`."""
        try:
            updated = self.store.images.update(
                product_id, image_id, self._image_body(body, create=False)
            )
        except ApiError as error:
            raise _bad_request(error) from error
        return self.image(updated)

    @staticmethod
    def video(doc: dict[str, Any]) -> dict[str, Any]:
        """A stored video in the V2 shape (its `id` is the YouTube video id)."""
        return {
            "id": doc["video_id"],
            "product_id": doc["product_id"],
            "sort_order": doc.get("sort_order", 0),
            "name": doc.get("title", ""),
        }

    def videos(self, product_id: int) -> list[dict[str, Any]]:
        """A product's videos."""
        self.store.products.doc(product_id)
        return [self.video(d) for d in self.store.videos.stored(product_id)]

    def video_doc(self, product_id: int, video_id: str) -> dict[str, Any]:
        """The stored video of a product with this YouTube id."""
        self.store.products.doc(product_id)
        found = [d for d in self.store.videos.stored(product_id) if d["video_id"] == video_id]
        if not found:
            raise not_found("video")
        video: dict[str, Any] = found[0]
        return video

    def create_video(self, product_id: int, body: Any) -> dict[str, Any]:
        """`POST /products/{id}/videos` with a YouTube `url`."""
        if not isinstance(body, dict) or not isinstance(body.get("url"), str):
            raise ApiError(400, "The required field 'url' was not supplied.")
        if {"id", "product_id"} & set(body):
            raise ApiError(400, "The fields 'id' and 'product_id' are read-only.")
        url = body["url"]
        marker = "watch?v=" if "watch?v=" in url else "youtu.be/"
        if "youtube.com/watch?v=" not in url and "youtu.be/" not in url:
            raise ApiError(400, "Only YouTube videos are supported.")
        video_id = url.split(marker, 1)[1].split("&", 1)[0]
        with self.db.tx():
            if any(d["video_id"] == video_id for d in self.store.videos.stored(product_id)):
                raise ApiError(409, "The product already has this video.")
            fields: dict[str, Any] = {"video_id": video_id}
            if body.get("name"):
                fields["title"] = str(body["name"])
            if body.get("sort_order") is not None:
                fields["sort_order"] = int(body["sort_order"])
            doc = self.store.videos.insert(product_id, fields)
            self.store.products.touch(product_id)
            return self.video(doc)

    def update_video(self, product_id: int, video_id: str, body: Any) -> dict[str, Any]:
        """`PUT /products/{id}/videos/{video_id}`: name and sort order."""
        if not isinstance(body, dict) or {"id", "product_id"} & set(body):
            raise ApiError(400, "The fields 'id' and 'product_id' are read-only.")
        with self.db.tx():
            doc = self.video_doc(product_id, video_id)
            if "name" in body:
                doc["title"] = str(body["name"])
            if "sort_order" in body:
                doc["sort_order"] = int(body["sort_order"])
            self.store.videos.save(product_id, doc)
            return self.video(doc)

    def delete_videos(self, product_id: int, video_id: str | None) -> None:
        """`DELETE /products/{id}/videos[/{video_id}]`."""
        with self.db.tx():
            docs = (
                [self.video_doc(product_id, video_id)]
                if video_id
                else self.store.videos.stored(product_id)
            )
            for doc in docs:
                self.store.videos.delete(product_id, doc["id"])


def _store_count(table: str) -> Any:
    async def count(call: Call) -> Any:
        check_query(call, None)
        db = call.store.db
        found = await call.run(
            db.one, f"SELECT COUNT(*) FROM {table} WHERE store=?", call.store.hash
        )
        return count_answer(int(found))

    return count


async def _count_skus(call: Call) -> Any:
    check_query(call, None)
    db = call.store.db
    found = await call.run(
        db.one,
        "SELECT COUNT(*) FROM variants WHERE store=? AND json_array_length(doc, '$.option_values') > 0",
        call.store.hash,
    )
    return count_answer(int(found))


async def _count_rules(call: Call) -> Any:
    check_query(call, None)
    rules = call.store.options_v2

    def total() -> int:
        stored = int(call.store.db.one("SELECT COUNT(*) FROM rules WHERE store=?", call.store.hash))
        derived = sum(
            1
            for v in call.store.db.docs("SELECT doc FROM variants WHERE store=?", call.store.hash)
            if rules.variant_rule(v) is not None
        )
        return stored + derived

    return count_answer(await call.run(total))


def _item(call: Call, name: str) -> int | None:
    return call.int(name) if name in call.request.match_info else None


def _pid(call: Call) -> int:
    return call.int("product_id")


_P = "/v2/products/{product_id}"
ROUTES: list[Route] = [
    # literal paths before the parameterised ones
    Route("GET", "/v2/products/skus/count", _count_skus),
    Route("GET", "/v2/products/rules/count", _count_rules),
    Route("GET", "/v2/products/custom_fields/count", _store_count("custom_fields")),
    Route("GET", "/v2/products/images/count", _store_count("images")),
    Route("GET", "/v2/products/videos/count", _store_count("videos")),
    Route(
        "GET",
        "/v2/products/count",
        _count_products,
        spec(PRODUCT_FILTERS, PRODUCT_REFUSED, paged=False),
    ),
    Route(
        "GET", "/v2/products", _list_products, spec((*PRODUCT_FILTERS, *_FIELDS), PRODUCT_REFUSED)
    ),
    Route("GET", "/v2/products/{product_id}", _get_product, extra=frozenset(_FIELDS)),
    *v2_routes(
        "/v2/products",
        "product_id",
        create=lambda c, b: c.store.products_v2.create(b),
        update=lambda c, b: c.store.products_v2.update(_pid(c), b),
        delete=lambda c: c.store.products_v2.delete(_item(c, "product_id")),
        delete_all=True,
    ),
    *v2_routes(
        "/v2/categories",
        "category_id",
        list_=lambda c: c.store.catalog_v2.categories(dict(c.query)),
        count=_store_count("categories"),
        create=lambda c, b: c.store.catalog_v2.create_category(b),
        get=lambda c: c.store.catalog_v2.category(c.int("category_id")),
        update=lambda c, b: c.store.catalog_v2.update_category(c.int("category_id"), b),
        delete=lambda c: c.store.catalog_v2.delete_categories(_item(c, "category_id")),
        delete_all=True,
        filters=("parent_id", "name", "is_visible", "min_id", "max_id"),
    ),
    *v2_routes(
        "/v2/brands",
        "brand_id",
        list_=lambda c: c.store.catalog_v2.brands(dict(c.query)),
        count=_store_count("brands"),
        create=lambda c, b: c.store.catalog_v2.create_brand(b),
        get=lambda c: CatalogV2.brand(c.store.brands.get(c.int("brand_id"))),
        update=lambda c, b: c.store.catalog_v2.update_brand(c.int("brand_id"), b),
        delete=lambda c: c.store.catalog_v2.delete_brands(_item(c, "brand_id")),
        delete_all=True,
        filters=("name", "min_id", "max_id"),
    ),
    *v2_routes(
        f"{_P}/custom_fields",
        "id",
        list_=lambda c: c.store.children_v2.custom_fields(_pid(c)),
        create=lambda c, b: c.store.children_v2.create_custom_field(_pid(c), b),
        get=lambda c: ChildrenV2.custom_field(c.store.custom_fields.doc(_pid(c), c.int("id"))),
        update=lambda c, b: c.store.children_v2.update_custom_field(_pid(c), c.int("id"), b),
        delete=lambda c: c.store.children_v2.delete_children(
            "custom_fields", _pid(c), _item(c, "id")
        ),
        delete_all=True,
    ),
    *v2_routes(
        f"{_P}/images",
        "id",
        list_=lambda c: c.store.children_v2.images(_pid(c)),
        create=lambda c, b: c.store.children_v2.create_image(_pid(c), b),
        get=lambda c: ChildrenV2.image(c.store.images.doc(_pid(c), c.int("id"))),
        update=lambda c, b: c.store.children_v2.update_image(_pid(c), c.int("id"), b),
        delete=lambda c: c.store.children_v2.delete_children("images", _pid(c), _item(c, "id")),
        delete_all=True,
    ),
    *v2_routes(
        f"{_P}/videos",
        "video_id",
        list_=lambda c: c.store.children_v2.videos(_pid(c)),
        create=lambda c, b: c.store.children_v2.create_video(_pid(c), b),
        get=lambda c: ChildrenV2.video(c.store.children_v2.video_doc(_pid(c), c.path("video_id"))),
        update=lambda c, b: c.store.children_v2.update_video(_pid(c), c.path("video_id"), b),
        delete=lambda c: c.store.children_v2.delete_videos(
            _pid(c), c.path("video_id") if "video_id" in c.request.match_info else None
        ),
        delete_all=True,
    ),
]
