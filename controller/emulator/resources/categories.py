"""Categories and category trees: `/v3/catalog/trees...` and the legacy `/v3/catalog/categories`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from controller.emulator.database import Page, dumps, slug
from controller.emulator.errors import ApiError, conflict, invalid, not_found
from controller.emulator.fields import CATEGORY_DEFAULTS, CATEGORY_FIELDS, clean
from controller.emulator.resources.base import (
    ALL_OPS,
    FIELDS,
    Call,
    Filter,
    ListQuery,
    ListSpec,
    Resource,
    Route,
    int_list,
    json_field,
    json_response,
    listing,
    no_content,
    one,
    shape,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS categories (store TEXT, id INTEGER, parent_id INTEGER, name_l TEXT,
    doc TEXT, PRIMARY KEY (store, id));
DROP INDEX IF EXISTS categories_name;
CREATE UNIQUE INDEX IF NOT EXISTS categories_tree_name
    ON categories (store, json_extract(doc, '$.tree_id'), parent_id, name_l);
CREATE TABLE IF NOT EXISTS trees (store TEXT, id INTEGER, doc TEXT, PRIMARY KEY (store, id));
"""
TABLES = ("categories", "trees")

_TREE_SQL = "coalesce(json_extract(doc, '$.tree_id'), 1)=?"
MAX_CATEGORY_DEPTH = 8
MAX_CATEGORIES = 16_000
MAX_TREES_PER_BATCH = 50
DEFAULT_TREE_ID = 1
DEFAULT_CHANNEL = 1


def _keyword(op: str, raw: str) -> tuple[str, list[Any]]:
    like = f"%{raw.lower()}%"
    return (
        "(name_l LIKE ? OR lower(json_extract(doc, '$.description')) LIKE ? "
        "OR lower(json_extract(doc, '$.search_keywords')) LIKE ?)",
        [like] * 3,
    )


_IN = frozenset({"in", "not_in"})
_NAME = Filter("name_l", "lower", frozenset({"", "like"}))
_PAGE_TITLE = Filter(json_field("page_title"), "str", frozenset({"", "like"}))
_KEYWORD = Filter("", custom=_keyword)
_VISIBLE = Filter(json_field("is_visible"), "bool")
TREE_CATEGORIES = ListSpec(
    filters={
        "category_uuid": Filter(json_field("category_uuid"), "str", _IN),
        "category_id": Filter("id", "int", _IN),
        "tree_id": Filter(json_field("tree_id"), "int", _IN),
        "parent_id": Filter("parent_id", "int", _IN),
        "page_title": _PAGE_TITLE,
        "name": _NAME,
        "keyword": _KEYWORD,
        "is_visible": _VISIBLE,
    },
    direction=False,
)
TREE_CATEGORIES_DELETE = ListSpec(
    filters={
        k: Filter(
            TREE_CATEGORIES.filters[k].sql, TREE_CATEGORIES.filters[k].kind, frozenset({"in"})
        )
        for k in ("category_uuid", "category_id", "tree_id", "parent_id")
    },
    direction=False,
    paged=False,
    fields=False,
)
_LEGACY_FILTERS = {
    "id": Filter("id", "int", ALL_OPS),
    "name": _NAME,
    "parent_id": Filter("parent_id", "int", ALL_OPS - {"not_in"}),
    "page_title": _PAGE_TITLE,
    "keyword": _KEYWORD,
    "is_visible": _VISIBLE,
}
LEGACY = ListSpec(
    filters=_LEGACY_FILTERS,
    sorts={
        "name": "name_l",
        "id": "id",
        "parent_id": "parent_id",
        "sort_order": json_field("sort_order"),
    },
    direction=False,
)
LEGACY_DELETE = ListSpec(filters=_LEGACY_FILTERS, direction=False, paged=False, fields=False)


class Categories(Resource):
    """The categories of one store, in its category trees."""

    def exists(self, category_id: int) -> bool:
        """Whether the category exists."""
        return bool(
            self.one("SELECT 1 FROM categories WHERE store=? AND id=?", self.hash, category_id)
        )

    def _all(self) -> dict[int, dict[str, Any]]:
        return {
            d["id"]: d for d in self.docs("SELECT doc FROM categories WHERE store=?", self.hash)
        }

    @staticmethod
    def _depth(cats: dict[int, dict[str, Any]], category_id: int) -> int:
        depth = 0
        while category_id:
            depth += 1
            category_id = cats[category_id]["parent_id"] if category_id in cats else 0
        return depth

    @staticmethod
    def _path(cats: dict[int, dict[str, Any]], doc: dict[str, Any]) -> str:
        parts: list[str] = []
        node: dict[str, Any] | None = doc
        while node:
            parts.append(slug(node["name"]))
            node = cats.get(node["parent_id"]) if node["parent_id"] else None
        return "/" + "/".join(reversed(parts)) + "/"

    def _save(self, doc: dict[str, Any], label: str) -> None:
        cats = self._all()
        cats[doc["id"]] = doc
        parent = doc["parent_id"]
        if parent and parent not in cats:
            raise invalid(label + "parent_id", f"parent category {parent} does not exist")
        if parent and cats[parent].get("tree_id", DEFAULT_TREE_ID) != doc["tree_id"]:
            raise invalid(label + "parent_id", "the parent category is in another tree")
        node, seen = parent, {doc["id"]}
        while node:
            if node in seen:
                raise invalid(label + "parent_id", "a category cannot be its own ancestor")
            seen.add(node)
            node = cats[node]["parent_id"]
        if self._depth(cats, doc["id"]) > MAX_CATEGORY_DEPTH:
            raise invalid(label + "parent_id", f"categories nest at most {MAX_CATEGORY_DEPTH} deep")
        sibling = self.one(
            "SELECT id FROM categories WHERE store=? AND json_extract(doc, '$.tree_id')=? "
            "AND parent_id=? AND name_l=? AND id!=?",
            self.hash,
            doc["tree_id"],
            parent,
            doc["name"].lower(),
            doc["id"],
        )
        if sibling is not None:
            raise conflict(
                label + "name", f"A category named '{doc['name']}' exists under the same parent."
            )
        if not doc.get("url_customized"):
            doc["url_path"] = self._path(cats, doc)
        self.execute(
            "INSERT OR REPLACE INTO categories (store, id, parent_id, name_l, doc) "
            "VALUES (?, ?, ?, ?, ?)",
            self.hash,
            doc["id"],
            parent,
            doc["name"].lower(),
            dumps(doc),
        )

    def _new(self, body: Any, label: str) -> dict[str, Any]:
        fields = clean(body, CATEGORY_FIELDS, required=("name",), prefix=label)
        if self.one("SELECT COUNT(*) FROM categories WHERE store=?", self.hash) >= MAX_CATEGORIES:
            raise invalid(label + "name", f"a store has at most {MAX_CATEGORIES} categories")
        tree_id = fields.pop("tree_id", DEFAULT_TREE_ID)
        if not self.store.trees.exists(tree_id):
            raise invalid(label + "tree_id", f"tree {tree_id} does not exist")
        if fields.get("image_url"):  # taken into the store: its CDN URL
            fields["image_url"] = self.store.record_images.take(fields["image_url"])
        doc = {
            **CATEGORY_DEFAULTS,
            **fields,
            "id": self.next_id("category"),
            "parent_id": fields.get("parent_id", 0),
            "tree_id": tree_id,
            "category_uuid": str(uuid.uuid4()),
        }
        self._apply_url(doc, fields)
        self._save(doc, label)
        self.emit("store/category/created", {"type": "category", "id": doc["id"]})
        return doc

    @staticmethod
    def _apply_url(doc: dict[str, Any], fields: dict[str, Any]) -> None:
        url = fields.pop("url", None) or fields.pop("custom_url", None)
        doc.pop("url", None)
        doc.pop("custom_url", None)
        if url:
            doc["url_path"] = url.get("path") or url.get("url")
            doc["url_customized"] = bool(url.get("is_customized", True))

    def _update(self, category_id: int, body: Any, label: str) -> dict[str, Any]:
        doc = self.get(category_id)
        fields = clean(body, CATEGORY_FIELDS, prefix=label)
        fields.pop("tree_id", None)
        if fields.get("image_url"):
            fields["image_url"] = self.store.record_images.take(fields["image_url"])
        self._apply_url(doc, fields)
        doc.update(fields)
        self._save(doc, label)
        self.emit("store/category/updated", {"type": "category", "id": category_id})
        return doc

    @staticmethod
    def tree_shape(doc: dict[str, Any]) -> dict[str, Any]:
        """A category in the shape of the category trees API."""
        out = {k: v for k, v in doc.items() if k not in ("id", "url_path", "url_customized")}
        out["category_id"] = doc["id"]
        out["url"] = {
            "path": doc.get("url_path", ""),
            "is_customized": bool(doc.get("url_customized")),
        }
        return out

    @staticmethod
    def legacy_shape(doc: dict[str, Any]) -> dict[str, Any]:
        """A category in the shape of the legacy `/catalog/categories` API."""
        out = {
            k: v
            for k, v in doc.items()
            if k not in ("tree_id", "category_uuid", "url_path", "url_customized")
        }
        out["custom_url"] = {
            "url": doc.get("url_path", ""),
            "is_customized": bool(doc.get("url_customized")),
        }
        return out

    def default_tree(self) -> int:
        """The tree of the default channel, the only one the legacy categories API sees."""
        return self.store.trees.of_channel(DEFAULT_CHANNEL) or DEFAULT_TREE_ID

    def legacy_get(self, category_id: int) -> dict[str, Any]:
        """A category of the default channel's tree (404 for one of another tree)."""
        doc = self.get(category_id)
        if doc.get("tree_id", DEFAULT_TREE_ID) != self.default_tree():
            raise not_found("category")
        return doc

    def create(self, body: Any) -> dict[str, Any]:
        """`POST /catalog/categories` (legacy, one category, in the default channel's tree)."""
        with self.tx():
            if isinstance(body, dict):
                body = {**body, "tree_id": self.default_tree()}
            return self._new(body, "")

    def create_many(self, body: Any) -> list[dict[str, Any]]:
        """`POST /catalog/trees/categories`: a batch, all or nothing."""
        if not isinstance(body, list) or not body:
            raise invalid("body", "a non-empty list of categories is expected")
        with self.tx():
            return [self._new(item, f"[{i}].") for i, item in enumerate(body)]

    def update(self, category_id: int, body: Any) -> dict[str, Any]:
        """`PUT /catalog/categories/{id}` (legacy)."""
        with self.tx():
            self.legacy_get(category_id)
            return self._update(category_id, body, "")

    def update_many(self, body: Any) -> list[dict[str, Any]]:
        """`PUT /catalog/trees/categories`: a batch, each item with `category_id`."""
        if not isinstance(body, list) or not body:
            raise invalid("body", "a non-empty list of categories is expected")
        with self.tx():
            out = []
            for i, item in enumerate(body):
                if not isinstance(item, dict) or not isinstance(item.get("category_id"), int):
                    raise invalid(f"[{i}].category_id", "category_id is required")
                out.append(self._update(item["category_id"], item, f"[{i}]."))
            return out

    def set_image(self, category_id: int, url: str) -> None:
        """Set a category's image URL (inside a transaction)."""
        self._save({**self.get(category_id), "image_url": url}, "")
        self.emit("store/category/updated", {"type": "category", "id": category_id})

    def get(self, category_id: int) -> dict[str, Any]:
        """One category document."""
        docs = self.docs(
            "SELECT doc FROM categories WHERE store=? AND id=?", self.hash, category_id
        )
        if not docs:
            raise not_found("category")
        return docs[0]

    def remove(self, category_id: int) -> None:
        """Delete one of the default channel's tree (404 when it does not exist)."""
        with self.tx():
            self.legacy_get(category_id)
            self.delete([category_id])

    def delete(self, ids: Iterable[int]) -> None:
        """Delete categories and their subcategories; refused while any of them has products."""
        with self.tx():
            cats = self._all()
            doomed: set[int] = set()
            frontier = [i for i in ids if i in cats]
            while frontier:
                current = frontier.pop()
                doomed.add(current)
                frontier += [
                    c for c, d in cats.items() if d["parent_id"] == current and c not in doomed
                ]
            for category_id in sorted(doomed):
                if self.one(
                    "SELECT 1 FROM product_categories WHERE store=? AND category_id=?",
                    self.hash,
                    category_id,
                ):
                    raise ApiError(
                        422,
                        f"Category {category_id} has products and cannot be deleted.",
                        {"category_id": "the category still has products"},
                    )
            self.db.conn.executemany(
                "DELETE FROM categories WHERE store=? AND id=?", [(self.hash, c) for c in doomed]
            )
            for category_id in sorted(doomed):
                self.emit("store/category/deleted", {"type": "category", "id": category_id})

    def matching(self, query: ListQuery) -> list[int]:
        """Ids of the categories a delete's filters select."""
        clause, params = query.where(["store=?"], [self.hash])
        rows = self.db.conn.execute(f"SELECT id FROM categories WHERE {clause}", params)
        return [r[0] for r in rows]

    def delete_matching(self, query: ListQuery) -> int:
        """Delete what the filters select (at least one filter); returns how many were selected."""
        if not query.filtered:
            raise invalid("id:in", "a filter is required to delete categories")
        with self.tx():
            ids = self.matching(query)
            self.delete(ids)
            return len(ids)

    def find(self, query: ListQuery) -> Page:
        """A page of categories."""
        return self.list_page("categories", query)

    def legacy_find(self, query: ListQuery) -> Page:
        """A page of the default channel's categories."""
        return self.list_page("categories", query, [_TREE_SQL], [self.default_tree()])

    def legacy_delete_matching(self, query: ListQuery) -> int:
        """`DELETE /catalog/categories?...`: of the default channel's tree only."""
        if not query.filtered:
            raise invalid("id:in", "a filter is required to delete categories")
        with self.tx():
            clause, params = query.where(["store=?", _TREE_SQL], [self.hash, self.default_tree()])
            rows = self.db.conn.execute(f"SELECT id FROM categories WHERE {clause}", params)
            ids = [r[0] for r in rows]
            self.delete(ids)
            return len(ids)

    def tree(self, tree_id: int, depth: int | None) -> list[dict[str, Any]]:
        """`GET /catalog/trees/{tree_id}/categories`: nested nodes, `depth` levels at most."""
        if not self.store.trees.exists(tree_id):
            raise ApiError(404, "The tree was not found.")
        cats = {
            k: v for k, v in self._all().items() if v.get("tree_id", DEFAULT_TREE_ID) == tree_id
        }

        def node(doc: dict[str, Any], level: int, path: list[int]) -> dict[str, Any]:
            children = sorted(
                (d for d in cats.values() if d["parent_id"] == doc["id"]),
                key=lambda d: (d["sort_order"], d["id"]),
            )
            return {
                "id": doc["id"],
                "parent_id": doc["parent_id"],
                "depth": level,
                "path": path,
                "name": doc["name"],
                "is_visible": doc["is_visible"],
                "url": doc.get("url_path", ""),
                "children": [node(c, level + 1, [*path, doc["id"]]) for c in children]
                if depth is None or level < depth
                else [],
            }

        roots = sorted(
            (d for d in cats.values() if not d["parent_id"]),
            key=lambda d: (d["sort_order"], d["id"]),
        )
        return [node(r, 1, []) for r in roots]


class Trees(Resource):
    """The category trees of one store: tree 1 on channel 1 until it is changed."""

    def all(self) -> list[dict[str, Any]]:
        """Every tree."""
        trees = self.docs("SELECT doc FROM trees WHERE store=? ORDER BY id", self.hash)
        if (
            not trees
            and self.one("SELECT 1 FROM seq WHERE store=? AND kind='tree'", self.hash) is None
        ):
            return [{"id": DEFAULT_TREE_ID, "name": "Default", "channels": [1]}]
        return trees

    def exists(self, tree_id: int) -> bool:
        """Whether the tree exists."""
        return any(t["id"] == tree_id for t in self.all())

    def of_channel(self, channel_id: int) -> int | None:
        """The tree of a channel, or None."""
        return next((t["id"] for t in self.all() if channel_id in t["channels"]), None)

    def _materialise(self) -> list[dict[str, Any]]:
        trees = self.all()
        if self.one("SELECT 1 FROM seq WHERE store=? AND kind='tree'", self.hash) is None:
            self.execute(
                "INSERT INTO seq (store, kind, next) VALUES (?, 'tree', ?)",
                self.hash,
                DEFAULT_TREE_ID + 1,
            )
            for tree in trees:
                self.execute(
                    "INSERT INTO trees VALUES (?, ?, ?)", self.hash, tree["id"], dumps(tree)
                )
        return trees

    def upsert(self, body: Any) -> list[dict[str, Any]]:
        """`PUT /catalog/trees`: trees with an id are renamed, trees without one are created on
        the channels given (a channel has at most one tree)."""
        if not isinstance(body, list) or not body:
            raise invalid("body", "a non-empty list of trees is expected")
        if len(body) > MAX_TREES_PER_BATCH:
            raise ApiError(
                413,
                "The request payload is too large. The maximum trees allowed in the array is 50.",
            )
        with self.tx():
            trees = {t["id"]: t for t in self._materialise()}
            out = []
            for index, item in enumerate(body):
                label = f"[{index}]."
                if not isinstance(item, dict):
                    raise invalid(f"[{index}]", "must be an object")
                name = item.get("name")
                if not isinstance(name, str) or not 1 <= len(name) <= 255:
                    raise invalid(label + "name", "name must be 1 to 255 characters")
                if item.get("id"):
                    tree = trees.get(item["id"])
                    if tree is None:
                        raise invalid(label + "id", f"tree {item['id']} does not exist")
                    if "channels" in item:
                        raise invalid(label + "channels", "channels cannot change on an update")
                    tree["name"] = name
                else:
                    channels = item.get("channels")
                    if not isinstance(channels, list) or not channels:
                        raise invalid(label + "channels", "channels are required to create a tree")
                    if any(not isinstance(c, int) or c < 1 for c in channels):
                        raise invalid(label + "channels", "channels are channel ids")
                    if len(channels) > 1:
                        raise invalid(label + "channels", "a tree is assigned to one channel")
                    unknown = [c for c in channels if not self.store.channels.exists(c)]
                    if unknown:
                        raise invalid(label + "channels", f"The Channel {unknown[0]} was not valid")
                    taken = {c for t in trees.values() for c in t["channels"]}
                    if taken & set(channels):
                        raise invalid(label + "channels", "a channel has at most one tree")
                    tree = {"id": self.next_id("tree"), "name": name, "channels": channels}
                    trees[tree["id"]] = tree
                self.execute(
                    "INSERT OR REPLACE INTO trees VALUES (?, ?, ?)",
                    self.hash,
                    tree["id"],
                    dumps(tree),
                )
                out.append(tree)
            return out

    def delete(self, ids: list[int]) -> None:
        """`DELETE /catalog/trees?id:in=`: the trees and their categories."""
        with self.tx():
            self._materialise()
            categories = self.store.categories
            for tree_id in ids:
                roots = [
                    r[0]
                    for r in self.db.conn.execute(
                        "SELECT id FROM categories WHERE store=? AND parent_id=0 "
                        "AND json_extract(doc, '$.tree_id')=?",
                        (self.hash, tree_id),
                    )
                ]
                categories.delete(roots)
                self.execute("DELETE FROM trees WHERE store=? AND id=?", self.hash, tree_id)


# ---- HTTP -----------------------------------------------------------------------------------------


async def list_trees(call: Call) -> Any:
    trees = await call.run(call.store.trees.all)
    if "id:in" in call.query:
        wanted = set(int_list("id:in", call.query["id:in"]))
        trees = [t for t in trees if t["id"] in wanted]
    if "channel_id:in" in call.query:
        channels = set(int_list("channel_id:in", call.query["channel_id:in"]))
        trees = [t for t in trees if channels & set(t["channels"])]
    return listing(Page(trees, len(trees), 1, max(len(trees), 1)), lambda t: t)


async def upsert_trees(call: Call) -> Any:
    body = await call.body()
    trees = await call.run(call.store.trees.upsert, body)
    meta = {"total": len(trees), "success": len(trees), "failed": 0}
    return json_response({"data": trees, "meta": meta})


async def delete_trees(call: Call) -> Any:
    if "id:in" not in call.query:
        raise invalid("id:in", "a filter (id:in) is required to delete trees")
    await call.run(call.store.trees.delete, int_list("id:in", call.query["id:in"]))
    return no_content()


def _tree_errors(error: ApiError) -> ApiError:
    """The category trees API documents no 409: its conflicts (duplicate sibling names) are 422s,
    while the legacy categories API answers 409 for the same rule."""
    return ApiError(422, error.title, error.errors) if error.status == 409 else error


async def list_tree_categories(call: Call) -> Any:
    query = call.list_query(TREE_CATEGORIES)
    page = await call.run(call.store.categories.find, query)
    return listing(page, lambda c: query.shape(Categories.tree_shape(c), ("category_id",)))


async def create_tree_categories(call: Call) -> Any:
    body = await call.body()
    try:
        created = await call.run(call.store.categories.create_many, body)
    except ApiError as error:
        raise _tree_errors(error) from error
    return json_response({"data": [Categories.tree_shape(c) for c in created], "meta": {}}, 201)


async def update_tree_categories(call: Call) -> Any:
    body = await call.body()
    try:
        updated = await call.run(call.store.categories.update_many, body)
    except ApiError as error:
        raise _tree_errors(error) from error
    return json_response({"data": [Categories.tree_shape(c) for c in updated], "meta": {}})


async def delete_tree_categories(call: Call) -> Any:
    """202 with `meta` counts; a refusal is a 422 whose error sits under `errors` (as documented)."""
    query = call.list_query(TREE_CATEGORIES_DELETE)
    if not query.filtered:
        raise invalid("category_id:in", "a filter is required to delete categories")
    try:
        count = await call.run(call.store.categories.delete_matching, query)
    except ApiError as error:
        meta = {"total": 0, "success": 0, "failed": 1}
        return json_response({"errors": error.body(), "meta": meta}, error.status)
    return json_response({"meta": {"total": count, "success": count, "failed": 0}}, 202)


async def tree_nodes(call: Call) -> Any:
    depth = call.query.get("depth")
    levels = int_list("depth", depth)[0] if depth else None
    nodes = await call.run(call.store.categories.tree, call.int("tree_id"), levels)
    return json_response({"data": nodes, "meta": {}})


async def list_categories(call: Call) -> Any:
    query = call.list_query(LEGACY)
    page = await call.run(call.store.categories.legacy_find, query)
    return listing(page, lambda c: query.shape(Categories.legacy_shape(c)))


async def create_category(call: Call) -> Any:
    body = await call.body()
    return one(Categories.legacy_shape(await call.run(call.store.categories.create, body)))


async def get_category(call: Call) -> Any:
    found = await call.run(call.store.categories.legacy_get, call.int("category_id"))
    return one(shape(Categories.legacy_shape(found), *call.fields()))


async def update_category(call: Call) -> Any:
    body = await call.body()
    updated = await call.run(call.store.categories.update, call.int("category_id"), body)
    return one(Categories.legacy_shape(updated))


async def delete_category(call: Call) -> Any:
    await call.run(call.store.categories.remove, call.int("category_id"))
    return no_content()


async def delete_categories(call: Call) -> Any:
    await call.run(call.store.categories.legacy_delete_matching, call.list_query(LEGACY_DELETE))
    return no_content()


ROUTES = [
    Route("GET", "/v3/catalog/trees", list_trees, extra=frozenset({"id:in", "channel_id:in"})),
    Route("PUT", "/v3/catalog/trees", upsert_trees),
    Route("DELETE", "/v3/catalog/trees", delete_trees, extra=frozenset({"id:in"})),
    Route("GET", "/v3/catalog/trees/categories", list_tree_categories, TREE_CATEGORIES),
    Route("POST", "/v3/catalog/trees/categories", create_tree_categories),
    Route("PUT", "/v3/catalog/trees/categories", update_tree_categories),
    Route("DELETE", "/v3/catalog/trees/categories", delete_tree_categories, TREE_CATEGORIES_DELETE),
    Route("GET", "/v3/catalog/trees/{tree_id}/categories", tree_nodes, extra=frozenset({"depth"})),
    Route("GET", "/v3/catalog/categories", list_categories, LEGACY),
    Route("POST", "/v3/catalog/categories", create_category),
    Route("DELETE", "/v3/catalog/categories", delete_categories, LEGACY_DELETE),
    Route("GET", "/v3/catalog/categories/{category_id}", get_category, extra=FIELDS),
    Route("PUT", "/v3/catalog/categories/{category_id}", update_category),
    Route("DELETE", "/v3/catalog/categories/{category_id}", delete_category),
]
