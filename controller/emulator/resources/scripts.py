"""Storefront scripts: `/v3/content/scripts` (each API client sees only its own scripts)."""

from __future__ import annotations

import uuid
from typing import Any

from controller.emulator.database import Page, dumps, now_iso
from controller.emulator.errors import invalid, not_found
from controller.emulator.fields import SCRIPT_DEFAULTS, SCRIPT_FIELDS, clean
from controller.emulator.resources.base import (
    Call,
    Filter,
    ListQuery,
    ListSpec,
    Resource,
    Route,
    json_field,
    listing,
    no_content,
    one,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS scripts (store TEXT, uuid TEXT, seq INTEGER, doc TEXT,
    PRIMARY KEY (store, uuid));
"""
TABLES = ("scripts",)

MAX_SCRIPTS_PER_CLIENT = 10
LIST = ListSpec(
    filters={"channel_id": Filter(json_field("channel_id"), "int", frozenset({"in"}))},
    sorts={k: json_field(k) for k in ("name", "description", "date_created", "date_modified")},
    fields=False,
    key="seq",
)
_CLIENT = "json_extract(doc, '$.api_client_id')=?"


class Scripts(Resource):
    """The scripts of one store, owned by the API client that created them."""

    def create(self, body: Any, client_id: str) -> dict[str, Any]:
        """`POST /content/scripts` (at most 10 per API client)."""
        fields = clean(body, SCRIPT_FIELDS, required=("name",))
        kind = fields.get("kind", "src")
        if kind == "src" and not fields.get("src"):
            raise invalid("src", "src is required when kind is src")
        if kind == "script_tag" and not fields.get("html"):
            raise invalid("html", "html is required when kind is script_tag")
        with self.tx():
            count = self.one(
                f"SELECT COUNT(*) FROM scripts WHERE store=? AND {_CLIENT}", self.hash, client_id
            )
            if count >= MAX_SCRIPTS_PER_CLIENT:
                raise invalid(
                    "name", f"an API client can own at most {MAX_SCRIPTS_PER_CLIENT} scripts"
                )
            stamp = now_iso()
            doc = {
                **SCRIPT_DEFAULTS,
                **fields,
                "uuid": str(uuid.uuid4()),
                "date_created": stamp,
                "date_modified": stamp,
                "api_client_id": client_id,
            }
            seq = self.next_id("script")
            self.execute(
                "INSERT INTO scripts VALUES (?, ?, ?, ?)", self.hash, doc["uuid"], seq, dumps(doc)
            )
            return doc

    def find(self, client_id: str, query: ListQuery) -> Page:
        """`GET /content/scripts`: only the scripts of the calling API client."""
        return self.list_page("scripts", query, [_CLIENT], [client_id])

    def get(self, script_uuid: str, client_id: str) -> dict[str, Any]:
        """`GET /content/scripts/{uuid}`."""
        docs = self.docs("SELECT doc FROM scripts WHERE store=? AND uuid=?", self.hash, script_uuid)
        if not docs or docs[0].get("api_client_id") != client_id:
            raise not_found("script")
        return docs[0]

    def update(self, script_uuid: str, body: Any, client_id: str) -> dict[str, Any]:
        """`PUT /content/scripts/{uuid}`."""
        with self.tx():
            doc = self.get(script_uuid, client_id)
            doc.update(clean(body, SCRIPT_FIELDS))
            doc["date_modified"] = now_iso()
            self.execute(
                "UPDATE scripts SET doc=? WHERE store=? AND uuid=?",
                dumps(doc),
                self.hash,
                script_uuid,
            )
            return doc

    def delete(self, script_uuid: str, client_id: str) -> None:
        """`DELETE /content/scripts/{uuid}`."""
        with self.tx():
            self.get(script_uuid, client_id)
            self.execute("DELETE FROM scripts WHERE store=? AND uuid=?", self.hash, script_uuid)


# ---- HTTP -----------------------------------------------------------------------------------------


async def list_scripts(call: Call) -> Any:
    query = call.list_query(LIST)
    return listing(await call.run(call.store.scripts.find, call.client_id, query), query.shape)


async def create_script(call: Call) -> Any:
    body = await call.body()
    return one(await call.run(call.store.scripts.create, body, call.client_id))


async def get_script(call: Call) -> Any:
    return one(await call.run(call.store.scripts.get, call.path("uuid"), call.client_id))


async def update_script(call: Call) -> Any:
    body = await call.body()
    return one(await call.run(call.store.scripts.update, call.path("uuid"), body, call.client_id))


async def delete_script(call: Call) -> Any:
    await call.run(call.store.scripts.delete, call.path("uuid"), call.client_id)
    return no_content()


ROUTES = [
    Route("GET", "/v3/content/scripts", list_scripts, LIST),
    Route("POST", "/v3/content/scripts", create_script),
    Route("GET", "/v3/content/scripts/{uuid}", get_script),
    Route("PUT", "/v3/content/scripts/{uuid}", update_script),
    Route("DELETE", "/v3/content/scripts/{uuid}", delete_script),
]
