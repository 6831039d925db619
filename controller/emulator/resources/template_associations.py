"""Custom template associations: `/v3/storefront/custom-template-associations` (a product,
category, brand or page bound to a custom layout file; upserted by channel, type and entity; valid
when the channel's active theme has the file)."""

from __future__ import annotations

from typing import Any

from controller.catalog.kinds import KINDS, Action, Kind
from controller.emulator.database import Page, dumps, now_iso
from controller.emulator.errors import ApiError, invalid
from controller.emulator.resources.base import (
    Call,
    Filter,
    ListQuery,
    ListSpec,
    Resource,
    Route,
    int_list,
    json_response,
    listing,
    no_content,
)
from controller.emulator.resources.themes import CUSTOM_TEMPLATE_KINDS

SCHEMA = """
CREATE TABLE IF NOT EXISTS template_associations (store TEXT, id INTEGER, channel_id INTEGER,
    entity_type TEXT, entity_id INTEGER, doc TEXT, PRIMARY KEY (store, id));
CREATE UNIQUE INDEX IF NOT EXISTS template_associations_entity
    ON template_associations (store, channel_id, entity_type, entity_id);
"""
TABLES = ("template_associations",)

MAX_UPSERT = KINDS[Kind.TEMPLATE_ASSOCIATIONS].batch_size(Action.CREATE)  # the spec's maxItems
_TABLES = {"product": "products", "category": "categories", "brand": "brands", "page": "pages"}
LIST = ListSpec(
    filters={
        "channel_id": Filter("channel_id", "int"),
        "entity_id": Filter("entity_id", "int", frozenset({"in"})),
        "type": Filter("entity_type", "str"),
    },
    direction=False,
    fields=False,
)
_DELETE_PARAMS = frozenset({"id:in", "channel_id", "type", "entity_id:in"})


class TemplateAssociations(Resource):
    """The custom template associations of one store."""

    def render(self, doc: dict[str, Any]) -> dict[str, Any]:
        """A stored association with `is_valid` against the channel's active theme."""
        templates = self.store.themes.active_templates(doc["channel_id"])
        valid = templates is not None and doc["file_name"] in templates[doc["entity_type"]]
        return {**doc, "is_valid": valid}

    def upsert(self, body: Any) -> dict[str, Any]:
        """`PUT`: 1 to 100 associations, each replacing the one of its channel, type and entity
        (all or nothing; the errors name each item)."""
        if not isinstance(body, list) or not 1 <= len(body) <= MAX_UPSERT:
            raise invalid("body", f"an array of 1 to {MAX_UPSERT} associations")
        errors: dict[str, str] = {}
        rows = []
        for index, item in enumerate(body):
            if not isinstance(item, dict):
                errors[str(index)] = "must be an object"
                continue
            kind, entity = item.get("entity_type"), item.get("entity_id")
            channel, file_name = item.get("channel_id"), item.get("file_name")
            if kind not in CUSTOM_TEMPLATE_KINDS:
                errors[f"{index}.entity_type"] = "product, category, brand or page"
            elif not isinstance(entity, int) or not self.one(
                f"SELECT 1 FROM {_TABLES[kind]} WHERE store=? AND id=?", self.hash, entity
            ):
                errors[f"{index}.entity_id"] = f"no {kind} with id {entity}"
            if not isinstance(channel, int) or isinstance(channel, bool) or channel < 1:
                errors[f"{index}.channel_id"] = "channel_id is required"
            if not isinstance(file_name, str) or not file_name.endswith(".html"):
                errors[f"{index}.file_name"] = "file_name must name an .html file"
            rows.append((channel, kind, entity, file_name))
        if errors:
            raise ApiError(422, "The custom template associations are invalid.", errors)
        with self.tx():
            for channel, kind, entity, file_name in rows:
                existing = self.docs(
                    "SELECT doc FROM template_associations WHERE store=? AND channel_id=? "
                    "AND entity_type=? AND entity_id=?",
                    self.hash,
                    channel,
                    kind,
                    entity,
                )
                stamp = now_iso()
                doc = (
                    existing[0]
                    if existing
                    else {
                        "id": self.next_id("template_association"),
                        "channel_id": channel,
                        "entity_type": kind,
                        "entity_id": entity,
                        "date_created": stamp,
                    }
                )
                doc.update(file_name=file_name, date_modified=stamp)
                self.execute(
                    "INSERT INTO template_associations VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (store, id) DO UPDATE SET doc=excluded.doc",
                    self.hash,
                    doc["id"],
                    channel,
                    kind,
                    entity,
                    dumps(doc),
                )
        return {}

    def find(self, query: ListQuery, is_valid: bool | None) -> Page:
        """`GET`, optionally only the valid (or invalid) ones."""
        page = self.list_page("template_associations", query)
        items = [self.render(d) for d in page.items]
        if is_valid is not None:
            items = [d for d in items if d["is_valid"] is is_valid]
        return Page(items, page.total if is_valid is None else len(items), page.page, page.limit)

    def delete(self, query: dict[str, str]) -> None:
        """`DELETE` by ids, channel, type and entities (at least one of them)."""
        where: list[str] = ["store=?"]
        params: list[Any] = [self.hash]
        if "id:in" in query:
            ids = int_list("id:in", query["id:in"])
            where.append(f"id IN ({','.join('?' * len(ids))})")
            params += ids
        if "channel_id" in query:
            where.append("channel_id=?")
            params.append(int_list("channel_id", query["channel_id"])[0])
        if "type" in query:
            where.append("entity_type=?")
            params.append(query["type"])
        if "entity_id:in" in query:
            if "type" not in query:
                raise invalid("entity_id:in", "entity_id:in must be used with type")
            ids = int_list("entity_id:in", query["entity_id:in"])
            where.append(f"entity_id IN ({','.join('?' * len(ids))})")
            params += ids
        if len(where) == 1:
            raise invalid("id:in", "at least one query parameter is required")
        with self.tx():
            self.execute(f"DELETE FROM template_associations WHERE {' AND '.join(where)}", *params)


# ---- HTTP -----------------------------------------------------------------------------------------

_PATH = "/v3/storefront/custom-template-associations"


async def list_associations(call: Call) -> Any:
    query = call.list_query(LIST)
    raw = call.query.get("is_valid")
    valid = None if raw is None else raw.lower() in ("true", "1")
    return listing(await call.run(call.store.template_associations.find, query, valid), lambda d: d)


async def upsert_associations(call: Call) -> Any:
    body = await call.body()
    return json_response(await call.run(call.store.template_associations.upsert, body))


async def delete_associations(call: Call) -> Any:
    await call.run(call.store.template_associations.delete, dict(call.query))
    return no_content()


ROUTES = [
    Route("GET", _PATH, list_associations, LIST, extra=frozenset({"is_valid"})),
    Route("PUT", _PATH, upsert_associations),
    Route("DELETE", _PATH, delete_associations, extra=_DELETE_PARAMS),
]
