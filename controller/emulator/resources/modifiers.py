"""Product modifiers, `/v3/catalog/products/{id}/modifiers` and their values, and the values of
options and modifiers alike (`.../{option or modifier id}/values`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from controller.catalog import fields
from controller.emulator.database import dumps
from controller.emulator.errors import conflict, invalid, not_found
from controller.emulator.fields import clean
from controller.emulator.resources.base import (
    FIELDS,
    Call,
    ListSpec,
    Resource,
    Route,
    child_routes,
    listing,
    no_content,
    one,
    shape,
    sliced,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS modifiers (store TEXT, product_id INTEGER, id INTEGER, doc TEXT,
    PRIMARY KEY (store, product_id, id)) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS modifiers_id ON modifiers (store, id);
"""
TABLES = ("modifiers",)

LIST = ListSpec(direction=False)
VALUES = ListSpec(direction=False)
# a checkbox modifier made without values gets the platform's two
CHECKBOX_VALUES = (
    {"label": "Yes", "sort_order": 0, "value_data": {"checked_value": True}},
    {"label": "No", "sort_order": 1, "value_data": {"checked_value": False}},
)


def _adjusters(raw: Any, label: str) -> dict[str, Any]:
    """A modifier value's adjusters in the API's full shape (empty ones included)."""
    raw = raw if isinstance(raw, dict) else {}
    out: dict[str, Any] = {}
    for name in ("price", "weight"):
        adjuster = raw.get(name) or {}
        kind = adjuster.get("adjuster")
        if kind not in (None, *fields.ADJUSTERS):
            raise invalid(f"{label}adjusters.{name}.adjuster", "must be relative or percentage")
        out[name] = (
            {"adjuster": kind, "adjuster_value": adjuster.get("adjuster_value", 0)} if kind else {}
        )
    out["image_url"] = str(raw.get("image_url") or "")
    disabled = raw.get("purchasing_disabled") or {}
    out["purchasing_disabled"] = {
        "status": bool(disabled.get("status")),
        "message": str(disabled.get("message") or ""),
    }
    return out


class ValueOwner(Resource):
    """Options and modifiers: records of a product holding values by label (unique without
    case). A subclass says where they are stored and what a removed value takes with it."""

    table = ""
    noun = ""
    modifier = False

    # ---- the records ------------------------------------------------------------------------

    def of_product(self, product_id: int) -> list[dict[str, Any]]:
        """All of a product's (404 for a missing product)."""
        self.store.products.doc(product_id)
        return self.docs(
            f"SELECT doc FROM {self.table} WHERE store=? AND product_id=? ORDER BY id",
            self.hash,
            product_id,
        )

    def get(self, product_id: int, option_id: int) -> dict[str, Any]:
        """One of a product's."""
        found = [o for o in self.of_product(product_id) if o["id"] == option_id]
        if not found:
            raise not_found(self.noun)
        return found[0]

    def _save(self, option: dict[str, Any]) -> None:
        self.execute(
            f"INSERT OR REPLACE INTO {self.table} (store, id, product_id, doc) VALUES (?, ?, ?, ?)",
            self.hash,
            option["id"],
            option["product_id"],
            dumps(option),
        )

    def value_gone(self, product_id: int, option: dict[str, Any], value_id: int) -> None:
        """What deleting a value takes with it (nothing but itself by default)."""

    # ---- values -----------------------------------------------------------------------------

    def new_value(self, option: dict[str, Any], body: Any, label: str) -> dict[str, Any]:
        """A value added to `option` (label unique without case; sort order last by default)."""
        table = fields.MODIFIER_VALUE if self.modifier else fields.OPTION_VALUE
        checked = clean(body, table, required=("label",), prefix=label)
        values: list[dict[str, Any]] = option["option_values"]
        if any(v["label"].casefold() == checked["label"].casefold() for v in values):
            raise invalid(label + "label", "A value with this label exists.")
        value: dict[str, Any] = {
            "id": self.next_id("option_value"),
            "label": checked["label"],
            "sort_order": checked.get("sort_order", len(values)),
            "is_default": bool(checked.get("is_default", False)),
        }
        if checked.get("value_data") is not None:  # the options' spec has it never null
            value["value_data"] = checked["value_data"]
        if self.modifier:
            value["option_id"] = option["id"]
            value["adjusters"] = _adjusters(checked.get("adjusters"), label)
        values.append(value)
        return value

    def change_value(
        self, option: dict[str, Any], value: dict[str, Any], body: Any, label: str
    ) -> None:
        """Change a value in place (a label taken by another value is a 409)."""
        table = fields.MODIFIER_VALUE if self.modifier else fields.OPTION_VALUE
        checked = clean(body, table, prefix=label)
        text = checked.get("label", value["label"])
        if any(
            v["label"].casefold() == text.casefold() and v["id"] != value["id"]
            for v in option["option_values"]
        ):
            raise invalid(label + "label", "A value with this label exists.")
        for key in ("label", "sort_order", "is_default", "value_data"):
            if key in checked:
                value[key] = checked[key]
        if self.modifier and "adjusters" in checked:
            value["adjusters"] = _adjusters(checked["adjusters"], label)

    def set_values(self, option: dict[str, Any], values: Any) -> None:
        """`option_values` of a create or update: a value with an id is changed, one without
        is added."""
        if not isinstance(values, list):
            raise invalid("option_values", "option_values must be a list")
        for index, body in enumerate(values):
            label = f"option_values[{index}]."
            if not isinstance(body, dict):
                raise invalid(label.rstrip("."), "must be an object")
            if body.get("id") is None:
                self.new_value(option, body, label)
                continue
            current = next((v for v in option["option_values"] if v["id"] == body["id"]), None)
            if current is None:
                raise invalid(label + "id", f"value {body['id']} does not exist")
            self.change_value(option, current, body, label)

    def values(self, product_id: int, option_id: int) -> list[dict[str, Any]]:
        """`GET .../values`."""
        values: list[dict[str, Any]] = self.get(product_id, option_id)["option_values"]
        return values

    def value(self, product_id: int, option_id: int, value_id: int) -> dict[str, Any]:
        """`GET .../values/{value_id}`."""
        found = [v for v in self.values(product_id, option_id) if v["id"] == value_id]
        if not found:
            raise not_found("value")
        return found[0]

    def add_value(self, product_id: int, option_id: int, body: Any) -> dict[str, Any]:
        """`POST .../values`."""
        with self.tx():
            option = self.get(product_id, option_id)
            value = self.new_value(option, body, "")
            self.changed(product_id, option)
            return value

    def update_value(
        self, product_id: int, option_id: int, value_id: int, body: Any
    ) -> dict[str, Any]:
        """`PUT .../values/{value_id}`."""
        with self.tx():
            option = self.get(product_id, option_id)
            value = next((v for v in option["option_values"] if v["id"] == value_id), None)
            if value is None:
                raise not_found("value")
            self.change_value(option, value, body, "")
            self.changed(product_id, option)
            changed: dict[str, Any] = value
            return changed

    def delete_value(self, product_id: int, option_id: int, value_id: int) -> None:
        """`DELETE .../values/{value_id}`."""
        with self.tx():
            option = self.get(product_id, option_id)
            if not any(v["id"] == value_id for v in option["option_values"]):
                raise not_found("value")
            option["option_values"] = [v for v in option["option_values"] if v["id"] != value_id]
            self.value_gone(product_id, option, value_id)
            self.changed(product_id, option)

    def changed(self, product_id: int, option: dict[str, Any]) -> None:
        """Store a changed option (inside a transaction); its product is modified."""
        self._save(option)
        self.store.products.touch(product_id)


class Modifiers(ValueOwner):
    """The modifiers of one store's products."""

    table = "modifiers"
    noun = "modifier"
    modifier = True

    def value_gone(self, product_id: int, option: dict[str, Any], value_id: int) -> None:
        """The complex rules naming the value go with it."""
        self.store.complex_rules.drop_where(
            product_id, lambda c: c["modifier_value_id"] == value_id
        )

    def create(self, product_id: int, body: Any) -> dict[str, Any]:
        """`POST /catalog/products/{id}/modifiers` with its values."""
        checked = clean(body, fields.MODIFIER, required=("display_name", "type"))
        if not isinstance(body.get("required"), bool):
            raise invalid("required", "required is required (true or false)")
        with self.tx():
            name = checked["display_name"]
            if any(
                m["display_name"].casefold() == name.casefold() for m in self.of_product(product_id)
            ):
                raise conflict("display_name", "A modifier with this display name exists.")
            modifier = {
                "id": self.next_id("option"),
                "product_id": product_id,
                "name": f"{name}-{product_id}",
                "display_name": name,
                "type": checked["type"],
                "required": body["required"],
                "sort_order": checked.get("sort_order", 0),
                "config": checked.get("config") or {},
                "option_values": [],
            }
            values = body.get("option_values")
            if not values and checked["type"] == "checkbox":
                values = list(CHECKBOX_VALUES)
            self.set_values(modifier, values or [])
            self.changed(product_id, modifier)
            return modifier

    def update(self, product_id: int, modifier_id: int, body: Any) -> dict[str, Any]:
        """`PUT /catalog/products/{id}/modifiers/{modifier_id}`: its fields, and values (by id:
        changed; without: added), in one request."""
        checked = clean(body, fields.MODIFIER)
        with self.tx():
            # a product in a shared V2 option set gets its copy first: values named by their
            # ids before the copy are the copies
            renumbered = self.store.options_v2.localise(product_id)
            if renumbered and isinstance(body.get("option_values"), list):
                body = {
                    **body,
                    "option_values": [
                        {**v, "id": renumbered.get(v["id"], v["id"])}
                        if isinstance(v, dict) and v.get("id") is not None
                        else v
                        for v in body["option_values"]
                    ],
                }
            modifier = self.get(product_id, modifier_id)
            name = checked.get("display_name", modifier["display_name"])
            if name.casefold() != modifier["display_name"].casefold() and any(
                m["display_name"].casefold() == name.casefold() for m in self.of_product(product_id)
            ):
                raise conflict("display_name", "A modifier with this display name exists.")
            for key in ("display_name", "type", "required", "sort_order", "config"):
                if key in checked:
                    modifier[key] = checked[key]
            if "option_values" in body:
                self.set_values(modifier, body["option_values"])
            self.changed(product_id, modifier)
            return modifier

    def delete(self, product_id: int, modifier_id: int) -> None:
        """`DELETE /catalog/products/{id}/modifiers/{modifier_id}`."""
        with self.tx():
            self.store.options_v2.localise(product_id)
            self.get(product_id, modifier_id)
            self.execute("DELETE FROM modifiers WHERE store=? AND id=?", self.hash, modifier_id)
            self.store.complex_rules.drop_where(
                product_id, lambda c: c["modifier_id"] == modifier_id
            )
            self.store.products.touch(product_id)


# ---- HTTP -----------------------------------------------------------------------------------------


def value_routes(path: str, id_name: str, family: str) -> list[Route]:
    """The values of an option or modifier at `path` (ending in its id, `id_name`)."""

    def owner(call: Call) -> Any:
        return getattr(call.store, family)

    def ids(call: Call, *more: str) -> list[int]:
        return [call.int("product_id"), call.int(id_name), *(call.int(m) for m in more)]

    def run(method: str, *more: str, body: bool = False) -> Callable[[Call], Any]:
        async def handle(call: Call) -> web.StreamResponse:
            args: list[Any] = ids(call, *more)
            if body:
                args.append(await call.body())
            return one(await call.run(getattr(owner(call), method), *args))

        return handle

    async def list_values(call: Call) -> web.StreamResponse:
        query = call.list_query(VALUES)
        items = await call.run(owner(call).values, *ids(call))
        return listing(sliced(items, query), query.shape)

    async def get_value(call: Call) -> web.StreamResponse:
        found = await call.run(owner(call).value, *ids(call, "value_id"))
        return one(shape(found, *call.fields()))

    async def delete_value(call: Call) -> web.StreamResponse:
        await call.run(owner(call).delete_value, *ids(call, "value_id"))
        return no_content()

    item = f"{path}/values/{{value_id}}"
    return [
        Route("GET", f"{path}/values", list_values, VALUES),
        Route("POST", f"{path}/values", run("add_value", body=True)),
        Route("GET", item, get_value, extra=FIELDS),
        Route("PUT", item, run("update_value", "value_id", body=True)),
        Route("DELETE", item, delete_value),
    ]


_PRODUCT = "/v3/catalog/products/{product_id}"
ROUTES = [
    *child_routes(f"{_PRODUCT}/modifiers", "modifier_id", "modifiers", LIST),
    *value_routes(f"{_PRODUCT}/modifiers/{{modifier_id}}", "modifier_id", "modifiers"),
    *value_routes(f"{_PRODUCT}/options/{{option_id}}", "option_id", "options"),
]
