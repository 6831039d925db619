"""Widgets and placements: `/v3/content/widgets` (a template's widget with its configuration: a
JSON object of at most 64 KB, answered with the `_` the platform adds; at most 100,000 per store)
and `/v3/content/placements` (a widget in a region of a template file, on one product, category,
brand or page or on every page of the template, at a sort order; at most 75 per template file and
10,000 per store), and `/v3/content/regions` (the regions of a template file of the active
theme)."""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from controller.catalog import fields
from controller.emulator.database import Page, dumps, now_iso
from controller.emulator.errors import ApiError, invalid
from controller.emulator.fields import clean
from controller.emulator.resources.base import (
    Call,
    Filter,
    ListQuery,
    ListSpec,
    Resource,
    Route,
    json_field,
    one,
    parse_value,
    uuid_routes,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS widgets (store TEXT, uuid TEXT, seq INTEGER, doc TEXT,
    PRIMARY KEY (store, uuid));
CREATE TABLE IF NOT EXISTS placements (store TEXT, uuid TEXT, seq INTEGER, doc TEXT,
    PRIMARY KEY (store, uuid));
"""
TABLES = ("widgets", "placements")

MAX_WIDGETS = 100_000
MAX_PLACEMENTS = 10_000
_ENTITY_TABLES = {
    "product": "products",
    "category": "categories",
    "brand": "brands",
    "page": "pages",
}


def _sites(op: str, raw: str) -> tuple[str, list[Any]]:
    """`site_id:in`: each channel has one site, channel 1's is site 1000."""
    sites = [parse_value(f"site_id:{op}", "int", p) for p in raw.split(",") if p]
    channels = [s - 999 for s in sites]
    return f"{json_field('channel_id')} IN ({','.join('?' * len(channels)) or 'NULL'})", channels


_KIND = Filter("'custom'", "str")  # the emulator's widget templates are all custom
_CHANNELS = Filter(json_field("channel_id"), "int", frozenset({"in"}))
_SITES = Filter("", "int", frozenset({"in"}), custom=_sites)
_TEMPLATE_OF_WIDGET = (
    "(SELECT json_extract(w.doc, '$.widget_template_uuid') FROM widgets w "
    "WHERE w.store=placements.store AND w.uuid=json_extract(placements.doc, '$.widget_uuid'))"
)
WIDGETS_LIST = ListSpec(
    filters={
        "widget_template_kind": _KIND,
        "widget_template_uuid": Filter(json_field("widget_template_uuid"), "str"),
        "name": Filter(json_field("name"), "str", frozenset({"", "in"})),
        "channel_id": _CHANNELS,
        "site_id": _SITES,
    },
    direction=False,
    fields=False,
    key="seq",
)
PLACEMENTS_LIST = ListSpec(
    filters={
        "widget_template_kind": _KIND,
        "template_file": Filter(json_field("template_file"), "str"),
        "widget_uuid": Filter(json_field("widget_uuid"), "str"),
        "widget_template_uuid": Filter(_TEMPLATE_OF_WIDGET, "str"),
        "channel_id": _CHANNELS,
        "site_id": _SITES,
    },
    direction=False,
    fields=False,
    key="seq",
)


class Widgets(Resource):
    """The widgets and placements of one store."""

    # ---- widgets ----------------------------------------------------------------------------

    def widget_doc(self, widget_uuid: str) -> dict[str, Any]:
        """One stored widget (404 when missing)."""
        docs = self.docs("SELECT doc FROM widgets WHERE store=? AND uuid=?", self.hash, widget_uuid)
        if not docs:
            raise ApiError(404, "The widget was not found.")
        return docs[0]

    def render(self, doc: dict[str, Any]) -> dict[str, Any]:
        """A widget as answered: its configuration with the `_` the platform adds, and its
        template whole."""
        out = {k: v for k, v in doc.items() if k != "widget_template_uuid"}
        out["widget_configuration"] = {"_": {"id": doc["uuid"]}, **doc["widget_configuration"]}
        template = self.store.widget_templates.doc(doc["widget_template_uuid"])
        out["widget_template"] = template
        return out

    def get_widget(self, widget_uuid: str) -> dict[str, Any]:
        """`GET /content/widgets/{uuid}`."""
        return self.render(self.widget_doc(widget_uuid))

    def _widget_values(self, body: Any, *, create: bool) -> dict[str, Any]:
        values = clean(body, fields.WIDGET, required=("name",) if create else ())
        if isinstance(body, dict) and "widget_template_uuid" in body:
            template = body["widget_template_uuid"]
            if not isinstance(template, str) or not self.one(
                "SELECT 1 FROM widget_templates WHERE store=? AND uuid=?", self.hash, template
            ):
                raise invalid("widget_template_uuid", f"no widget template {template}")
            values["widget_template_uuid"] = template
        elif create:
            raise invalid("widget_template_uuid", "widget_template_uuid is required")
        config = values.get("widget_configuration")
        if config is not None:
            config = {k: v for k, v in config.items() if k != "_"}
            if len(orjson.dumps(config)) > fields.MAX_WIDGET_CONFIGURATION_BYTES:
                raise invalid("widget_configuration", "widget_configuration is larger than 64 KB")
            values["widget_configuration"] = config
        return values

    def create_widget(self, body: Any) -> dict[str, Any]:
        """`POST /content/widgets`: the template's current version."""
        with self.tx():
            values = self._widget_values(body, create=True)
            if self.one("SELECT COUNT(*) FROM widgets WHERE store=?", self.hash) >= MAX_WIDGETS:
                raise invalid("name", f"a store has at most {MAX_WIDGETS} widgets")
            template = self.store.widget_templates.doc(values["widget_template_uuid"])
            stamp = now_iso()
            doc = {
                "description": "",
                "widget_configuration": {},
                "channel_id": 1,
                **values,
                "uuid": str(uuid.uuid4()),
                "version_uuid": template["current_version_uuid"],
                "storefront_api_query_params": {},
                "date_created": stamp,
                "date_modified": stamp,
            }
            self.execute(
                "INSERT INTO widgets VALUES (?, ?, ?, ?)",
                self.hash,
                doc["uuid"],
                self.next_id("widget"),
                dumps(doc),
            )
            return self.render(doc)

    def update_widget(self, widget_uuid: str, body: Any) -> dict[str, Any]:
        """`PUT /content/widgets/{uuid}` (`upgrade`: to the template's current version)."""
        with self.tx():
            doc = self.widget_doc(widget_uuid)
            doc.update(self._widget_values(body, create=False))
            if isinstance(body, dict) and (body.get("upgrade") or "widget_template_uuid" in body):
                template = self.store.widget_templates.doc(doc["widget_template_uuid"])
                doc["version_uuid"] = template["current_version_uuid"]
            doc["date_modified"] = now_iso()
            self.execute(
                "UPDATE widgets SET doc=? WHERE store=? AND uuid=?",
                dumps(doc),
                self.hash,
                widget_uuid,
            )
            return self.render(doc)

    def find_widgets(self, query: ListQuery) -> Page:
        """`GET /content/widgets`."""
        page = self.list_page("widgets", query)
        return Page([self.render(d) for d in page.items], page.total, page.page, page.limit)

    def delete_widget(self, widget_uuid: str) -> None:
        """`DELETE /content/widgets/{uuid}`, with its placements."""
        with self.tx():
            self.widget_doc(widget_uuid)
            self.execute(
                "DELETE FROM placements WHERE store=? AND json_extract(doc, '$.widget_uuid')=?",
                self.hash,
                widget_uuid,
            )
            self.execute("DELETE FROM widgets WHERE store=? AND uuid=?", self.hash, widget_uuid)

    def template_in_use(self, template_uuid: str) -> bool:
        """Whether a widget is made from the template."""
        return bool(
            self.one(
                "SELECT 1 FROM widgets WHERE store=? "
                "AND json_extract(doc, '$.widget_template_uuid')=?",
                self.hash,
                template_uuid,
            )
        )

    # ---- placements -------------------------------------------------------------------------

    def placement_doc(self, placement_uuid: str) -> dict[str, Any]:
        """One stored placement (404 when missing)."""
        docs = self.docs(
            "SELECT doc FROM placements WHERE store=? AND uuid=?", self.hash, placement_uuid
        )
        if not docs:
            raise ApiError(404, "The placement was not found.")
        return docs[0]

    def render_placement(self, doc: dict[str, Any]) -> dict[str, Any]:
        """A placement as answered: its widget whole."""
        out = {k: v for k, v in doc.items() if k != "widget_uuid"}
        out["widget"] = self.get_widget(doc["widget_uuid"])
        return out

    def get_placement(self, placement_uuid: str) -> dict[str, Any]:
        """`GET /content/placements/{uuid}`."""
        return self.render_placement(self.placement_doc(placement_uuid))

    def _placement_values(self, body: Any, doc: dict[str, Any]) -> dict[str, Any]:
        """`doc` with the body's values, checked: a widget and a template file placements may
        name, an entity only on templates of products, categories, brands and pages, and one
        that exists."""
        values = clean(body, fields.PLACEMENT)
        merged = {**doc, **values}
        if isinstance(body, dict) and "widget_uuid" in body:
            widget = body["widget_uuid"]
            if not isinstance(widget, str) or not self.one(
                "SELECT 1 FROM widgets WHERE store=? AND uuid=?", self.hash, widget
            ):
                raise invalid("widget_uuid", f"no widget {widget}")
            merged["widget_uuid"] = widget
        if not merged.get("widget_uuid"):
            raise invalid("widget_uuid", "widget_uuid is required")
        template_file = merged.get("template_file")
        if not template_file:
            raise invalid("template_file", "template_file is required")
        kind = fields.placement_entity(str(template_file))
        if kind == "":
            raise invalid("template_file", f"widgets cannot be placed on {template_file!r}")
        if isinstance(body, dict) and "entity_id" in body:
            merged["entity_id"] = str(body["entity_id"] or "")
        entity = merged.get("entity_id") or ""
        if entity:
            if not kind:
                raise invalid("entity_id", f"{template_file} does not support entity_id")
            if not entity.isdigit() or not self.one(
                f"SELECT 1 FROM {_ENTITY_TABLES[kind]} WHERE store=? AND id=?",
                self.hash,
                int(entity),
            ):
                raise invalid("entity_id", f"no {kind} with id {entity}")
        return merged

    def _count(self, where: str = "", *params: Any) -> int:
        count: int = self.one(
            f"SELECT COUNT(*) FROM placements WHERE store=?{where}", self.hash, *params
        )
        return count

    def create_placement(self, body: Any) -> dict[str, Any]:
        """`POST /content/placements`."""
        with self.tx():
            base = {"channel_id": 1, "sort_order": 0, "status": "inactive", "region": ""}
            doc = self._placement_values(body, base)
            if self._count() >= MAX_PLACEMENTS:
                raise invalid("template_file", f"a store has at most {MAX_PLACEMENTS} placements")
            on_file = self._count(
                " AND json_extract(doc, '$.template_file')=? AND json_extract(doc, '$.channel_id')=?",
                doc["template_file"],
                doc["channel_id"],
            )
            if on_file >= fields.MAX_PLACEMENTS_PER_TEMPLATE:
                raise invalid(
                    "template_file",
                    f"a template file has at most {fields.MAX_PLACEMENTS_PER_TEMPLATE} placements",
                )
            stamp = now_iso()
            doc.update(uuid=str(uuid.uuid4()), date_created=stamp, date_modified=stamp)
            doc.setdefault("entity_id", "")
            self.execute(
                "INSERT INTO placements VALUES (?, ?, ?, ?)",
                self.hash,
                doc["uuid"],
                self.next_id("placement"),
                dumps(doc),
            )
            return self.render_placement(doc)

    def update_placement(self, placement_uuid: str, body: Any) -> dict[str, Any]:
        """`PUT /content/placements/{uuid}`."""
        with self.tx():
            doc = self._placement_values(body, self.placement_doc(placement_uuid))
            doc["date_modified"] = now_iso()
            self.execute(
                "UPDATE placements SET doc=? WHERE store=? AND uuid=?",
                dumps(doc),
                self.hash,
                placement_uuid,
            )
            return self.render_placement(doc)

    def find_placements(self, query: ListQuery) -> Page:
        """`GET /content/placements`."""
        page = self.list_page("placements", query)
        items = [self.render_placement(d) for d in page.items]
        return Page(items, page.total, page.page, page.limit)

    def delete_placement(self, placement_uuid: str) -> None:
        """`DELETE /content/placements/{uuid}`."""
        with self.tx():
            self.placement_doc(placement_uuid)
            self.execute(
                "DELETE FROM placements WHERE store=? AND uuid=?", self.hash, placement_uuid
            )


# ---- HTTP -----------------------------------------------------------------------------------------


async def get_regions(call: Call) -> Any:
    template_file = call.query.get("template_file")
    if not template_file:
        raise invalid("template_file", "template_file is required")
    try:
        channel = int(call.query.get("channel_id", "1"))
    except ValueError as error:
        raise invalid("channel_id", "channel_id must be an integer") from error
    return one(await call.run(call.store.themes.regions, template_file, channel))


ROUTES = [
    *uuid_routes(
        "/v3/content/widgets",
        "widgets",
        WIDGETS_LIST,
        ("find_widgets", "create_widget", "get_widget", "update_widget", "delete_widget"),
    ),
    *uuid_routes(
        "/v3/content/placements",
        "widgets",
        PLACEMENTS_LIST,
        (
            "find_placements",
            "create_placement",
            "get_placement",
            "update_placement",
            "delete_placement",
        ),
    ),
    Route(
        "GET", "/v3/content/regions", get_regions, extra=frozenset({"template_file", "channel_id"})
    ),
]
