"""Widget templates: `/v3/content/widget-templates` (Handlebars and a Page Builder schema, kept as
written; versions; at most 1,000 custom templates per channel) and `/v3/content/page-widgets`
(Page Builder layouts: each page's regions published whole, at most 150 widgets and 150 layouts
per page, widgets of templates the store has)."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from typing import Any

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
    no_content,
    one,
    uuid_routes,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS widget_templates (store TEXT, uuid TEXT, seq INTEGER, doc TEXT,
    PRIMARY KEY (store, uuid));
CREATE TABLE IF NOT EXISTS page_layouts (store TEXT, channel_id INTEGER, template_file TEXT,
    entity_id TEXT, doc TEXT, PRIMARY KEY (store, channel_id, template_file, entity_id));
"""
TABLES = ("widget_templates", "page_layouts")

MAX_TEMPLATES_PER_CHANNEL = 1000
MAX_WIDGETS_PER_PAGE = fields.MAX_PAGE_WIDGETS
MAX_LAYOUTS_PER_PAGE = fields.MAX_PAGE_LAYOUTS
SCHEMA_TYPES = ("tab", "array", "hidden")
LIST = ListSpec(
    filters={
        "widget_template_kind": Filter(json_field("kind"), "str"),
        "channel_id": Filter(json_field("channel_id"), "int", frozenset({"in"})),
    },
    direction=False,
    fields=False,
    key="seq",
)


def _check_schema(schema: Any) -> None:
    """The Page Builder schema: a list of tab, array and hidden settings."""
    if not isinstance(schema, list):
        raise invalid("schema", "schema must be a list of tab, array or hidden settings")
    for index, entry in enumerate(schema):
        if not isinstance(entry, dict) or entry.get("type") not in SCHEMA_TYPES:
            raise invalid(f"schema[{index}].type", f"type must be one of {', '.join(SCHEMA_TYPES)}")


class WidgetTemplates(Resource):
    """The custom widget templates of one store."""

    def doc(self, template_uuid: str) -> dict[str, Any]:
        """One stored template (404 when missing)."""
        docs = self.docs(
            "SELECT doc FROM widget_templates WHERE store=? AND uuid=?", self.hash, template_uuid
        )
        if not docs:
            raise ApiError(404, "The widget template was not found.")
        return docs[0]

    def _values(self, body: Any, *, create: bool) -> dict[str, Any]:
        values = clean(
            body, fields.WIDGET_TEMPLATE, required=("name", "template") if create else ()
        )
        if "schema" in values:
            _check_schema(values["schema"])
        return values

    def create(self, body: Any) -> dict[str, Any]:
        """`POST /content/widget-templates`."""
        with self.tx():
            values = self._values(body, create=True)
            channel = values.setdefault("channel_id", 1)
            count = self.one(
                "SELECT COUNT(*) FROM widget_templates WHERE store=? "
                "AND json_extract(doc, '$.channel_id')=?",
                self.hash,
                channel,
            )
            if count >= MAX_TEMPLATES_PER_CHANNEL:
                raise invalid(
                    "name", f"a channel has at most {MAX_TEMPLATES_PER_CHANNEL} templates"
                )
            stamp = now_iso()
            doc = {
                "schema": [],
                "storefront_api_query": "",
                **values,
                "uuid": str(uuid.uuid4()),
                "kind": "custom",
                "date_created": stamp,
                "date_modified": stamp,
                "current_version_uuid": str(uuid.uuid4()),
                "icon_name": "default",
            }
            self.execute(
                "INSERT INTO widget_templates VALUES (?, ?, ?, ?)",
                self.hash,
                doc["uuid"],
                self.next_id("widget_template"),
                dumps(doc),
            )
            return doc

    def update(self, template_uuid: str, body: Any) -> dict[str, Any]:
        """`PUT /content/widget-templates/{uuid}` (a new version when asked)."""
        with self.tx():
            doc = self.doc(template_uuid)
            doc.update(self._values(body, create=False))
            if isinstance(body, dict) and body.get("create_new_version"):
                doc["current_version_uuid"] = str(uuid.uuid4())
            doc["date_modified"] = now_iso()
            self.execute(
                "UPDATE widget_templates SET doc=? WHERE store=? AND uuid=?",
                dumps(doc),
                self.hash,
                template_uuid,
            )
            return doc

    def find(self, query: ListQuery) -> Page:
        """`GET /content/widget-templates`."""
        return self.list_page("widget_templates", query)

    def delete(self, template_uuid: str) -> None:
        """`DELETE /content/widget-templates/{uuid}` (refused while a widget or layout uses it)."""
        with self.tx():
            self.doc(template_uuid)
            if self.store.widgets.template_in_use(template_uuid):
                raise invalid("uuid", "the widget template is used by widgets")
            for layout in self.docs("SELECT doc FROM page_layouts WHERE store=?", self.hash):
                if template_uuid in _template_uuids(layout["regions"]):
                    raise invalid("uuid", "the widget template is used by a page's widgets")
            self.execute(
                "DELETE FROM widget_templates WHERE store=? AND uuid=?", self.hash, template_uuid
            )

    def preview(self, template_uuid: str, body: Any) -> dict[str, Any]:
        """`POST /content/widget-templates/{uuid}/preview`: `{{name}}` and `{{a.b}}` filled in
        from the configuration (the emulator renders no further Handlebars)."""
        doc = self.doc(template_uuid)
        config = body.get("widget_configuration") if isinstance(body, dict) else None
        if not isinstance(config, dict):
            raise invalid("widget_configuration", "widget_configuration must be an object")

        def fill(match: re.Match[str]) -> str:
            value: Any = config
            for part in match.group(1).split("."):
                value = value.get(part, "") if isinstance(value, dict) else ""
            return str(value)

        return {"html": re.sub(r"\{\{\s*([\w.]+)\s*\}\}", fill, doc["template"])}

    # ---- Page Builder layouts (page widgets) ------------------------------------------------

    def snapshot(self, channel: int, template_file: str, entity_id: str) -> dict[str, Any]:
        """`GET /content/page-widgets`: the page's regions (none published: no regions)."""
        docs = self.docs(
            "SELECT doc FROM page_layouts WHERE store=? AND channel_id=? AND template_file=? "
            "AND entity_id=?",
            self.hash,
            channel,
            template_file,
            entity_id,
        )
        return docs[0] if docs else {"regions": []}

    def publish(self, body: Any) -> None:
        """`POST /content/page-widgets`: replace everything on the page with the given regions."""
        if not isinstance(body, dict) or not isinstance(body.get("regions"), list):
            raise invalid("regions", "regions is required")
        channel = body.get("channel_id", 1)
        template_file = body.get("template_file") or ""
        entity_id = str(body.get("entity_id") or "")
        regions = body["regions"]
        for index, region in enumerate(regions):
            if not isinstance(region, dict) or not isinstance(region.get("name"), str):
                raise invalid(f"regions[{index}].name", "a region has a name")
        found, layouts = fields.page_widgets(regions)
        widgets = len(found)
        if widgets > MAX_WIDGETS_PER_PAGE:
            raise invalid("regions", f"a page has at most {MAX_WIDGETS_PER_PAGE} widgets")
        if layouts > MAX_LAYOUTS_PER_PAGE:
            raise invalid("regions", f"a page has at most {MAX_LAYOUTS_PER_PAGE} layouts")
        with self.tx():
            others = [
                fields.page_widgets(d["regions"])
                for d in self.docs(
                    "SELECT doc FROM page_layouts WHERE store=? AND channel_id=? "
                    "AND NOT (template_file=? AND entity_id=?)",
                    self.hash,
                    channel,
                    template_file,
                    entity_id,
                )
            ]
            if widgets + sum(len(w) for w, _ in others) > fields.MAX_CHANNEL_WIDGETS:
                raise invalid(
                    "regions", f"a channel has at most {fields.MAX_CHANNEL_WIDGETS} widgets"
                )
            if layouts + sum(n for _, n in others) > fields.MAX_CHANNEL_LAYOUTS:
                raise invalid(
                    "regions", f"a channel has at most {fields.MAX_CHANNEL_LAYOUTS} layouts"
                )
            for template_uuid in _template_uuids(regions):
                if not self.one(
                    "SELECT 1 FROM widget_templates WHERE store=? AND uuid=?",
                    self.hash,
                    template_uuid,
                ):
                    raise invalid("widget_template_uuid", f"no widget template {template_uuid}")
            if not regions:  # nothing left on the page
                self.execute(
                    "DELETE FROM page_layouts WHERE store=? AND channel_id=? AND template_file=? "
                    "AND entity_id=?",
                    self.hash,
                    channel,
                    template_file,
                    entity_id,
                )
                return
            self.execute(
                "INSERT OR REPLACE INTO page_layouts VALUES (?, ?, ?, ?, ?)",
                self.hash,
                channel,
                template_file,
                entity_id,
                dumps({"regions": regions}),
            )


def _template_uuids(regions: list[dict[str, Any]]) -> set[str]:
    """The widget templates a page's regions use."""
    widgets, _ = fields.page_widgets(regions)
    return {str(w["widget_template_uuid"]) for w in widgets if w.get("widget_template_uuid")}


# ---- HTTP -----------------------------------------------------------------------------------------

_T = "/v3/content/widget-templates"


async def preview_template(call: Call) -> Any:
    body = await call.body()
    return one(await call.run(call.store.widget_templates.preview, call.path("uuid"), body))


async def get_page_widgets(call: Call) -> Any:
    try:
        channel = int(call.query.get("channel_id", "1"))
    except ValueError as error:
        raise invalid("channel_id", "channel_id must be an integer") from error
    snapshot = await call.run(
        call.store.widget_templates.snapshot,
        channel,
        call.query.get("template_file", ""),
        call.query.get("entity_id", ""),
    )
    return one(snapshot)


async def publish_page_widgets(call: Call) -> Any:
    body = await call.body()
    await call.run(call.store.widget_templates.publish, body)
    return no_content()


ROUTES = [
    *(
        replace(r, extra=frozenset({"version_uuid"}))
        if r.path.endswith("}") and r.method == "GET"
        else r
        for r in uuid_routes(
            _T, "widget_templates", LIST, ("find", "create", "doc", "update", "delete")
        )
    ),
    Route("POST", f"{_T}/{{uuid}}/preview", preview_template),
    Route(
        "GET",
        "/v3/content/page-widgets",
        get_page_widgets,
        extra=frozenset({"channel_id", "template_file", "entity_id"}),
    ),
    Route("POST", "/v3/content/page-widgets", publish_page_widgets),
]
