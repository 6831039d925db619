"""Every endpoint the emulator serves answers in the shape of the official OpenAPI specs."""

from __future__ import annotations

import functools
import io
import json
import re
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import yaml

from controller.emulator import Emulator
from controller.emulator.store import ROUTES
from tests.conftest import PROD_TOKEN, specs_dir
from tests.support import v2docs
from tests.support.conformance import Conformance
from tests.support.waiting import wait_for_job


@pytest.fixture(scope="module")
def conformance_specs() -> Conformance:
    return Conformance.load(specs_dir())


@pytest.fixture
async def recorded(
    emulator: Emulator, conformance_specs: Conformance
) -> AsyncIterator[tuple[httpx.AsyncClient, Conformance]]:
    recorder = Conformance(conformance_specs.specs, directory=conformance_specs.directory)
    async with httpx.AsyncClient(
        base_url=emulator.store_url("production"),
        headers={"X-Auth-Token": PROD_TOKEN},
        event_hooks={"response": [recorder.record]},
    ) as client:
        yield client, recorder


def theme_zip(config: dict[str, object] | None, schema: list[object] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        if config is not None:
            bundle.writestr("config.json", json.dumps(config))
        if schema is not None:
            bundle.writestr("schema.json", json.dumps(schema))
        bundle.writestr("templates/pages/home.html", "<h1>{{page.title}}</h1>")
    return buffer.getvalue()


async def _exercise(c: httpx.AsyncClient) -> None:
    """Success and error paths of every endpoint."""
    assert (await c.get("/v2/store")).status_code == 200
    assert (await c.get("/v2/time")).status_code == 200
    assert (await c.get("/v3/catalog/trees")).status_code == 200

    roots = await c.post(
        "/v3/catalog/trees/categories", json=[{"name": "Apparel", "parent_id": 0, "tree_id": 1}]
    )
    assert roots.status_code == 201
    apparel = roots.json()["data"][0]["category_id"]
    shoes = (
        await c.post(
            "/v3/catalog/trees/categories",
            json=[{"name": "Shoes", "parent_id": apparel, "tree_id": 1}],
        )
    ).json()["data"][0]
    assert (
        await c.post(
            "/v3/catalog/trees/categories",
            json=[{"name": "shoes", "parent_id": apparel, "tree_id": 1}],
        )
    ).status_code == 422
    assert (
        await c.put(
            "/v3/catalog/trees/categories",
            json=[{"category_id": shoes["category_id"], "description": "All shoes"}],
        )
    ).status_code == 200
    assert (
        await c.get("/v3/catalog/trees/categories", params={"parent_id:in": apparel})
    ).status_code == 200
    assert (await c.get("/v3/catalog/trees/1/categories")).status_code == 200
    legacy = await c.post("/v3/catalog/categories", json={"name": "Sale", "parent_id": 0})
    assert legacy.status_code == 200
    sale = legacy.json()["data"]["id"]
    assert (await c.get(f"/v3/catalog/categories/{sale}")).status_code == 200
    assert (
        await c.put(f"/v3/catalog/categories/{sale}", json={"is_visible": False})
    ).status_code == 200
    assert (await c.get("/v3/catalog/categories", params={"limit": 250})).status_code == 200
    assert (await c.get("/v3/catalog/categories/999999")).status_code == 404

    brand = (await c.post("/v3/catalog/brands", json={"name": "Acme"})).json()["data"]
    assert (await c.post("/v3/catalog/brands", json={"name": "ACME"})).status_code == 409
    assert (await c.get(f"/v3/catalog/brands/{brand['id']}")).status_code == 200
    assert (
        await c.put(f"/v3/catalog/brands/{brand['id']}", json={"page_title": "Acme Co"})
    ).status_code == 200
    assert (await c.get("/v3/catalog/brands", params={"name": "Acme"})).status_code == 200
    temp = (await c.post("/v3/catalog/brands", json={"name": "Temp"})).json()["data"]
    assert (await c.delete(f"/v3/catalog/brands/{temp['id']}")).status_code == 204
    await c.post("/v3/catalog/brands", json={"name": "Temp2"})
    assert (await c.delete("/v3/catalog/brands", params={"name": "Temp2"})).status_code == 204

    product = await c.post(
        "/v3/catalog/products",
        json={
            "name": "Trail Runner",
            "type": "physical",
            "sku": "TR-1",
            "price": 120.5,
            "weight": 1.2,
            "categories": [shoes["category_id"]],
            "brand_id": brand["id"],
            "variants": [
                {
                    "sku": "TR-1-42",
                    "option_values": [{"option_display_name": "Size", "label": "42"}],
                },
                {
                    "sku": "TR-1-43",
                    "option_values": [{"option_display_name": "Size", "label": "43"}],
                    "price": 125,
                },
            ],
            "custom_fields": [{"name": "material", "value": "mesh"}],
            "images": [{"image_url": "https://cdn.example.test/tr1.jpg", "is_thumbnail": True}],
        },
    )
    assert product.status_code == 200, product.text
    pid = product.json()["data"]["id"]
    simple = (
        await c.post(
            "/v3/catalog/products",
            json={"name": "Sock", "type": "physical", "sku": "SOCK", "price": 5, "weight": 0.1},
        )
    ).json()["data"]
    assert (
        await c.post("/v3/catalog/products", json={"name": "Bad", "type": "physical"})
    ).status_code == 422
    assert (
        await c.post(
            "/v3/catalog/products",
            json={"name": "Dup", "type": "physical", "sku": "tr-1-42", "price": 1, "weight": 1},
        )
    ).status_code == 409
    assert (
        await c.get(
            "/v3/catalog/products",
            params={"include": "variants,custom_fields,images", "limit": 250},
        )
    ).status_code == 200
    assert (await c.get("/v3/catalog/products", params={"sku:in": "TR-1,SOCK"})).status_code == 200
    assert (
        await c.get("/v3/catalog/products", params={"id:in": f"{pid}", "keyword": "trail"})
    ).status_code == 200
    assert (
        await c.get(f"/v3/catalog/products/{pid}", params={"include": "variants"})
    ).status_code == 200
    assert (await c.get("/v3/catalog/products/999999")).status_code == 404
    assert (await c.put(f"/v3/catalog/products/{pid}", json={"price": 99.99})).status_code == 200
    assert (
        await c.put(f"/v3/catalog/products/{pid}", json={"brand_id": 999999})
    ).status_code == 409
    batch = await c.put(
        "/v3/catalog/products",
        json=[{"id": pid, "sale_price": 89}, {"id": simple["id"], "price": 6}],
    )
    assert batch.status_code == 200
    assert (
        await c.put("/v3/catalog/products", json=[{"id": pid, "price": 1}] * 11)
    ).status_code == 413

    variants = (await c.get(f"/v3/catalog/products/{pid}/variants")).json()["data"]
    vid = variants[0]["id"]
    assert (await c.get(f"/v3/catalog/products/{pid}/variants/{vid}")).status_code == 200
    assert (
        await c.put(f"/v3/catalog/products/{pid}/variants/{vid}", json={"price": 110})
    ).status_code == 200
    created = await c.post(
        f"/v3/catalog/products/{pid}/variants",
        json={"sku": "TR-1-44", "option_values": [{"option_display_name": "Size", "label": "44"}]},
    )
    assert created.status_code == 200
    assert (
        await c.delete(f"/v3/catalog/products/{pid}/variants/{created.json()['data']['id']}")
    ).status_code == 204
    assert (await c.get("/v3/catalog/variants", params={"limit": 250})).status_code == 200
    assert (
        await c.put("/v3/catalog/variants", json=[{"id": vid, "retail_price": 150}])
    ).status_code == 200
    assert (await c.put("/v3/catalog/variants", json=[{"id": vid}] * 51)).status_code == 413

    options = (await c.get(f"/v3/catalog/products/{pid}/options")).json()["data"]
    assert (
        await c.get(f"/v3/catalog/products/{pid}/options/{options[0]['id']}")
    ).status_code == 200
    color = await c.post(
        f"/v3/catalog/products/{simple['id']}/options",
        json={"display_name": "Color", "type": "swatch", "option_values": [{"label": "Red"}]},
    )
    assert color.status_code == 200
    assert (
        await c.delete(f"/v3/catalog/products/{simple['id']}/options/{color.json()['data']['id']}")
    ).status_code == 204
    await _exercise_options_and_modifiers(c, simple["id"])

    fields = (await c.get(f"/v3/catalog/products/{pid}/custom-fields")).json()["data"]
    assert (
        await c.put(
            f"/v3/catalog/products/{pid}/custom-fields/{fields[0]['id']}", json={"value": "leather"}
        )
    ).status_code == 200
    extra = await c.post(
        f"/v3/catalog/products/{pid}/custom-fields", json={"name": "fit", "value": "narrow"}
    )
    assert extra.status_code == 200
    assert (
        await c.delete(f"/v3/catalog/products/{pid}/custom-fields/{extra.json()['data']['id']}")
    ).status_code == 204

    images = (await c.get(f"/v3/catalog/products/{pid}/images")).json()["data"]
    assert (
        await c.put(
            f"/v3/catalog/products/{pid}/images/{images[0]['id']}", json={"description": "side"}
        )
    ).status_code == 200
    image = await c.post(
        f"/v3/catalog/products/{pid}/images", json={"image_url": "https://cdn.example.test/b.jpg"}
    )
    assert image.status_code == 200
    assert (
        await c.delete(f"/v3/catalog/products/{pid}/images/{image.json()['data']['id']}")
    ).status_code == 204

    await _exercise_new_methods_and_queries(c, pid, shoes["category_id"], brand["id"])
    await _exercise_content(c, pid, shoes["category_id"], brand["id"])
    price_list = await _exercise_price_lists(c, pid)
    await _exercise_customer_groups(c, pid, shoes["category_id"], price_list)
    await _exercise_price_list_assignments(c, price_list)
    await _exercise_customers(c)
    await _exercise_promotions(c, pid, shoes["category_id"], brand["id"])
    await _exercise_inventory(c, pid)
    await _exercise_metafields(c, pid)
    await _exercise_videos(c, pid)
    await _exercise_reviews(c, pid)
    await _exercise_record_images(c)
    await _exercise_channels(c, pid)
    await _exercise_settings(c)

    assert (
        await c.delete(
            "/v3/catalog/trees/categories", params={"category_id:in": shoes["category_id"]}
        )
    ).status_code == 422
    assert (await c.delete(f"/v3/catalog/products/{simple['id']}")).status_code == 204
    assert (await c.delete("/v3/catalog/products", params={"id:in": str(pid)})).status_code == 204
    assert (
        await c.delete(
            "/v3/catalog/trees/categories", params={"category_id:in": shoes["category_id"]}
        )
    ).status_code == 202
    assert (await c.delete(f"/v3/catalog/categories/{sale}")).status_code == 204
    await c.post("/v3/catalog/categories", json={"name": "Gone", "parent_id": 0})
    gone = (await c.get("/v3/catalog/categories", params={"name": "Gone"})).json()["data"][0]["id"]
    assert (await c.delete("/v3/catalog/categories", params={"id:in": gone})).status_code == 204

    script = await c.post(
        "/v3/content/scripts",
        json={
            "name": "Analytics",
            "kind": "src",
            "src": "https://cdn.example.test/a.js",
            "location": "head",
            "visibility": "all_pages",
            "load_method": "async",
            "consent_category": "analytics",
        },
    )
    assert script.status_code == 200
    uid = script.json()["data"]["uuid"]
    assert (await c.get("/v3/content/scripts")).status_code == 200
    assert (await c.get(f"/v3/content/scripts/{uid}")).status_code == 200
    assert (await c.put(f"/v3/content/scripts/{uid}", json={"enabled": False})).status_code == 200
    assert (
        await c.post("/v3/content/scripts", json={"name": "No src", "kind": "src"})
    ).status_code == 422
    assert (await c.delete(f"/v3/content/scripts/{uid}")).status_code == 204

    upload = await c.post(
        "/v3/themes",
        files={
            "file": (
                "theme.zip",
                theme_zip(
                    {
                        "name": "Cornerstone",
                        "version": "6.0.0",
                        "settings": {"color": "#ffffff"},
                        "variations": [
                            {"name": "Light"},
                            {"name": "Bold", "settings": {"color": "#000000"}},
                        ],
                    },
                    schema=[{"name": "Colors", "settings": [{"type": "color", "id": "color"}]}],
                ),
            )
        },
    )
    assert upload.status_code == 201
    job = await wait_for_job(c, upload.json()["job_id"])
    assert job["status"] == "COMPLETED"
    theme = (await c.get(f"/v3/themes/{job['result']['theme_id']}")).json()["data"]
    activate = {"variation_id": theme["variations"][1]["uuid"], "which": "original"}
    assert (await c.post("/v3/themes/actions/activate", json=activate)).status_code == 204
    assert (await c.delete(f"/v3/themes/{theme['uuid']}")).status_code == 422
    await _exercise_theme_channels(c, theme)
    second = await c.post("/v3/themes", files={"file": ("t.zip", theme_zip({"name": "Other"}))})
    other = await wait_for_job(c, second.json()["job_id"])
    assert (await c.delete(f"/v3/themes/{other['result']['theme_id']}")).status_code == 204
    assert (await c.get("/v3/themes")).status_code == 200
    await _exercise_v2_catalog(c)


async def _exercise_options_and_modifiers(c: httpx.AsyncClient, pid: int) -> None:
    """Variant options' and modifiers' values, and modifiers of every kind."""
    base = f"/v3/catalog/products/{pid}"
    swatch = await c.post(
        f"{base}/options",
        json={
            "display_name": "Shade",
            "type": "swatch",
            "sort_order": 1,
            "option_values": [
                {"label": "Sky", "sort_order": 0, "value_data": {"colors": ["#87CEEB"]}},
                {"label": "Night", "sort_order": 1, "value_data": {"colors": ["#000033"]}},
            ],
        },
    )
    assert swatch.status_code == 200, swatch.text
    option = swatch.json()["data"]
    values = f"{base}/options/{option['id']}/values"
    assert (
        await c.post(
            f"{base}/options",
            json={"display_name": "shade", "type": "swatch", "option_values": [{"label": "x"}]},
        )
    ).status_code == 409
    assert (
        await c.post(
            f"{base}/options",
            json={"display_name": "Bad", "type": "round", "option_values": [{"label": "x"}]},
        )
    ).status_code == 422
    assert (
        await c.put(f"{base}/options/{option['id']}", json={"type": "blinking"})
    ).status_code == 422
    assert (
        await c.get(values, params={"limit": 1, "include_fields": "label,sort_order"})
    ).status_code == 200
    added = await c.post(
        values, json={"label": "Dusk", "sort_order": 2, "value_data": {"colors": ["#FF8C00"]}}
    )
    assert added.status_code == 200, added.text
    value_id = added.json()["data"]["id"]
    assert (await c.post(values, json={"label": "dusk", "sort_order": 3})).status_code == 422
    assert (await c.post(values, json={"sort_order": 3})).status_code == 422
    assert (
        await c.get(f"{values}/{value_id}", params={"exclude_fields": "value_data"})
    ).status_code == 200
    assert (await c.get(f"{values}/999999")).status_code == 404
    assert (
        await c.put(f"{values}/{value_id}", json={"label": "Dawn", "sort_order": 2})
    ).status_code == 200
    assert (await c.delete(f"{values}/{value_id}")).status_code == 204

    modifiers = f"{base}/modifiers"
    made = {}
    for body in (
        {
            "display_name": "Engraving",
            "type": "text",
            "required": False,
            "config": {"text_characters_limited": True, "text_max_length": 20},
        },
        {"display_name": "Notes", "type": "multi_line_text", "required": False},
        {"display_name": "Count", "type": "numbers_only_text", "required": False},
        {
            "display_name": "Gift wrap",
            "type": "checkbox",
            "required": False,
            "config": {"checkbox_label": "Wrap it"},
        },
        {"display_name": "Deliver on", "type": "date", "required": False},
        {
            "display_name": "Artwork",
            "type": "file",
            "required": False,
            "config": {"file_types_mode": "all", "file_max_size": 5},
        },
        {
            "display_name": "Strap",
            "type": "dropdown",
            "required": True,
            "option_values": [
                {
                    "label": "Leather",
                    "sort_order": 0,
                    "adjusters": {"price": {"adjuster": "relative", "adjuster_value": 5}},
                },
                {"label": "Canvas", "sort_order": 1, "is_default": True},
            ],
        },
    ):
        answer = await c.post(modifiers, json=body)
        assert answer.status_code == 200, answer.text
        made[body["display_name"]] = answer.json()["data"]
    assert (
        await c.post(modifiers, json={"display_name": "strap", "type": "text", "required": False})
    ).status_code == 409
    assert (await c.post(modifiers, json={"display_name": "X", "type": "text"})).status_code == 422
    assert (
        await c.get(
            modifiers,
            params={"page": 1, "limit": 2, "include_fields": "display_name,type,required"},
        )
    ).status_code == 200
    strap = made["Strap"]
    assert (
        await c.get(f"{modifiers}/{strap['id']}", params={"exclude_fields": "config"})
    ).status_code == 200
    assert (await c.get(f"{modifiers}/999999")).status_code == 404
    leather = strap["option_values"][0]
    changed = await c.put(
        f"{modifiers}/{strap['id']}",
        json={
            "required": False,
            "option_values": [
                {
                    "id": leather["id"],
                    "label": "Leather",
                    "sort_order": 0,
                    "adjusters": {"price": {"adjuster": "percentage", "adjuster_value": 10}},
                }
            ],
        },
    )
    assert changed.status_code == 200, changed.text
    assert (
        await c.put(f"{modifiers}/{strap['id']}", json={"display_name": "engraving"})
    ).status_code == 409
    strap_values = f"{modifiers}/{strap['id']}/values"
    assert (
        await c.get(strap_values, params={"limit": 5, "exclude_fields": "adjusters"})
    ).status_code == 200
    nylon = await c.post(
        strap_values,
        json={
            "label": "Nylon",
            "sort_order": 2,
            "adjusters": {"weight": {"adjuster": "relative", "adjuster_value": 0.1}},
        },
    )
    assert nylon.status_code == 200, nylon.text
    nylon_id = nylon.json()["data"]["id"]
    assert (await c.post(strap_values, json={"label": "Nylon", "sort_order": 3})).status_code == 422
    assert (
        await c.get(f"{strap_values}/{nylon_id}", params={"include_fields": "label,sort_order"})
    ).status_code == 200
    assert (await c.get(f"{strap_values}/999999")).status_code == 404
    assert (
        await c.put(
            f"{strap_values}/{nylon_id}",
            json={
                "label": "Nylon",
                "sort_order": 2,
                "adjusters": {"price": {"adjuster": "sideways"}},
            },
        )
    ).status_code == 422
    assert (
        await c.put(f"{strap_values}/{nylon_id}", json={"label": "Nylon", "sort_order": 5})
    ).status_code == 200
    assert (await c.delete(f"{strap_values}/{nylon_id}")).status_code == 204
    assert (await c.delete(f"{modifiers}/{made['Notes']['id']}")).status_code == 204

    rules = f"{base}/complex-rules"
    canvas = next(v for v in strap["option_values"] if v["label"] == "Canvas")
    wrap = made["Gift wrap"]
    rule = await c.post(
        rules,
        json={
            "sort_order": 1,
            "price_adjuster": {"adjuster": "relative", "adjuster_value": 2},
            "conditions": [
                {"modifier_id": strap["id"], "modifier_value_id": canvas["id"], "variant_id": None},
                {
                    "modifier_id": wrap["id"],
                    "modifier_value_id": wrap["option_values"][0]["id"],
                    "variant_id": None,
                },
            ],
        },
    )
    assert rule.status_code == 200, rule.text
    rule_id = rule.json()["data"]["id"]
    bad = {"conditions": [{"modifier_id": strap["id"], "modifier_value_id": 1, "variant_id": None}]}
    assert (await c.post(rules, json=bad)).status_code == 422
    # created through V3, a rule names two modifier values or more, or one and a variant
    alone = {"modifier_id": strap["id"], "modifier_value_id": canvas["id"], "variant_id": None}
    assert (await c.post(rules, json={"conditions": [alone]})).status_code == 422
    assert (
        await c.get(rules, params={"page": 1, "limit": 5, "exclude_fields": "image_url"})
    ).status_code == 200
    assert (
        await c.get(f"{rules}/{rule_id}", params={"include_fields": "conditions"})
    ).status_code == 200
    assert (await c.get(f"{rules}/999999")).status_code == 404
    changed_rule = await c.put(
        f"{rules}/{rule_id}",
        json={"purchasing_disabled": True, "purchasing_disabled_message": "Soon"},
    )
    assert changed_rule.status_code == 200, changed_rule.text
    assert (
        await c.put(f"{rules}/{rule_id}", json={"price_adjuster": {"adjuster": "up"}})
    ).status_code == 422
    assert (await c.delete(f"{rules}/{rule_id}")).status_code == 204

    pricing = f"{base}/bulk-pricing-rules"
    tier = await c.post(
        pricing, json={"quantity_min": 10, "quantity_max": 19, "type": "percent", "amount": 5}
    )
    assert tier.status_code == 200, tier.text
    tier_id = tier.json()["data"]["id"]
    top = await c.post(
        pricing, json={"quantity_min": 20, "quantity_max": 0, "type": "price", "amount": 2}
    )
    assert top.status_code == 200, top.text
    assert (await c.get(pricing, params={"include_fields": "quantity_min"})).status_code == 200
    assert (
        await c.get(f"{pricing}/{tier_id}", params={"exclude_fields": "amount"})
    ).status_code == 200
    assert (await c.get(f"{pricing}/999999")).status_code == 404
    assert (
        await c.put(
            f"{pricing}/{tier_id}",
            json={"quantity_min": 10, "quantity_max": 19, "type": "percent", "amount": 7},
        )
    ).status_code == 200
    assert (
        await c.put(
            f"{pricing}/{tier_id}",
            json={"quantity_min": 10, "quantity_max": 25, "type": "percent", "amount": 7},
        )
    ).status_code == 422
    assert (await c.delete(f"{pricing}/{top.json()['data']['id']}")).status_code == 204
    assert (
        await c.get(f"/v3/catalog/products/{pid}", params={"include": "bulk_pricing_rules"})
    ).status_code == 200
    assert (
        await c.get(f"/v3/catalog/products/{pid}", params={"include": "options,modifiers"})
    ).status_code == 200
    listed = await c.get(
        "/v3/catalog/products", params={"include": "options,modifiers", "limit": 250}
    )
    assert listed.status_code == 200
    assert listed.json()["meta"]["pagination"]["per_page"] == 10  # as the platform limits it


async def _exercise_theme_channels(c: httpx.AsyncClient, theme: dict[str, Any]) -> None:
    """A channel's active theme, a theme's configurations, their validation, its download."""
    bold = theme["variations"][1]["uuid"]
    active = (await c.get("/v3/channels/1/active-theme")).json()["data"]
    assert active["active_theme_uuid"] == theme["uuid"]
    assert active["active_theme_version_uuid"] == bold
    assert (await c.get("/v3/channels/999/active-theme")).status_code == 404
    activate = {"variation_id": bold, "which": "last_activated"}
    refused = await c.post("/v3/themes/actions/activate?channel_id=999", json=activate)
    assert refused.status_code == 422
    path = f"/v3/themes/{theme['uuid']}/configurations"
    found = (await c.get(path, params={"channel_id:in": "1", "limit": 5, "page": 1})).json()
    assert [x["uuid"] for x in found["data"]] == [active["active_theme_configuration_uuid"]]
    assert found["data"][0]["settings"] == {"color": "#000000"}
    by_uuid = {"uuid:in": active["active_theme_configuration_uuid"], "variation_uuid": bold}
    assert len((await c.get(path, params=by_uuid)).json()["data"]) == 1
    assert (await c.get(path)).status_code == 422  # at least one filter
    valid = {"variation_id": bold, "settings": {"color": "#ff0000"}}
    assert (await c.post(f"{path}/validate", json=valid)).status_code == 200
    wrong = {"variation_id": bold, "settings": {"color": "red", "font": "Arial"}}
    answer = await c.post(f"{path}/validate", json=wrong)
    assert answer.status_code == 422
    assert set(answer.json()["errors"]) == {"settings.color", "settings.font"}
    download = await c.post(
        f"/v3/themes/{theme['uuid']}/actions/download", json={"which": "original"}
    )
    assert download.status_code == 200
    job = await wait_for_job(c, download.json()["job_id"])
    url = job["result"]["download_url"]  # type: ignore[index]
    async with httpx.AsyncClient() as anyone:  # a download link needs no token
        bundle = await anyone.get(url)
    assert bundle.status_code == 200
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as files:
        assert json.loads(files.read("config.json"))["name"] == "Cornerstone"


async def _exercise_channels(c: httpx.AsyncClient, pid: int) -> None:
    """Channels, currency assignments, sites and routes, a second category tree, and product
    channel and category assignments."""
    listed = (await c.get("/v3/channels", params={"include": "currencies"})).json()["data"]
    assert [ch["name"] for ch in listed] == ["Production Store", "B2B"]
    assert (await c.get("/v3/channels", params={"limit": "a"})).status_code == 422
    params = {"type:in": "storefront", "status:in": "active", "available": "true"}
    assert [ch["id"] for ch in (await c.get("/v3/channels", params=params)).json()["data"]] == [1]
    body = {"name": "EU", "type": "storefront", "platform": "bigcommerce", "status": "active"}
    created = await c.post("/v3/channels", json=body)
    assert created.status_code == 200
    eu = created.json()["data"]["id"]
    bad = {"name": "Shop", "type": "marketplace", "platform": "bigcommerce"}
    assert (await c.post("/v3/channels", json=bad)).status_code == 422
    assert (await c.get(f"/v3/channels/{eu}", params={"include": "currencies"})).status_code == 200
    assert (await c.get("/v3/channels/999999")).status_code == 404
    other = (await c.post("/v3/channels", json={**body, "name": "EU2"})).json()["data"]["id"]
    assert (await c.put(f"/v3/channels/{other}", json={"name": "EU"})).status_code == 409
    assert (await c.put(f"/v3/channels/{eu}", json={"type": "pos"})).status_code == 422
    assert (await c.put("/v3/channels/999999", json={"name": "X"})).status_code == 404
    assert (await c.put(f"/v3/channels/{eu}", json={"is_visible": False})).status_code == 200

    euros = {"enabled_currencies": ["EUR", "USD"], "default_currency": "EUR"}
    path = f"/v3/channels/{eu}/currency-assignments"
    assert (await c.post(path, json=euros)).status_code == 200
    assert (await c.put(path, json={**euros, "default_currency": "USD"})).status_code == 200
    assert (await c.post(path, json={"enabled_currencies": ["AWG"]})).status_code == 422
    assert (await c.put(path, json={**euros, "enabled_currencies": ["AWG"]})).status_code == 422
    assert (await c.get(path)).json()["data"]["default_currency"] == "USD"
    assert (await c.get("/v3/channels/999999/currency-assignments")).status_code == 404
    many = [{"channel_id": other, **euros}]
    assert (await c.post("/v3/channels/currency-assignments", json=many)).status_code == 200
    assert (await c.put("/v3/channels/currency-assignments", json=many)).status_code == 200
    wrong = [{"channel_id": 999999, **euros}]
    assert (await c.put("/v3/channels/currency-assignments", json=wrong)).status_code == 422
    assert (await c.post("/v3/channels/currency-assignments", json=wrong)).status_code == 422
    assignments = (await c.get("/v3/channels/currency-assignments")).json()["data"]
    assert {a["channel_id"] for a in assignments} == {eu, other}
    assert (await c.delete(f"/v3/channels/{other}/currency-assignments")).status_code == 200
    assert (await c.delete("/v3/channels/999999/currency-assignments")).status_code == 404

    site = await c.post(f"/v3/channels/{eu}/site", json={"url": "https://eu.example.test/"})
    assert site.status_code == 200
    site_id = site.json()["data"]["id"]
    assert (await c.get(f"/v3/channels/{eu}/site")).json()["data"]["id"] == site_id
    put = await c.put(f"/v3/channels/{eu}/site", json={"url": "https://shop.example.eu/"})
    assert put.json()["data"]["url"] == "https://shop.example.eu/"
    two = {"url": "https://two.example.test/", "channel_id": other}
    second = await c.post("/v3/sites", json=two)
    assert second.status_code == 201
    assert (await c.post("/v3/sites", json=two)).status_code == 400
    assert (await c.post("/v3/sites", json={**two, "channel_id": 999999})).status_code == 404
    second_id = second.json()["data"]["id"]
    assert (
        await c.put(f"/v3/sites/{second_id}", json={"url": "https://2.example.test/"})
    ).status_code == 200
    assert (await c.get(f"/v3/sites/{second_id}")).status_code == 200
    sites = (await c.get("/v3/sites", params={"channel_id:in": f"1,{eu}"})).json()["data"]
    assert [s["id"] for s in sites] == sorted([1000, site_id])
    assert (
        await c.get("/v3/sites", params={"url_type:in": "primary", "page": 1, "limit": 5})
    ).status_code == 200
    routes = f"/v3/sites/{site_id}/routes"
    route = {"type": "product", "matching": "*", "route": "/p/{slug}"}
    made = await c.post(routes, json=route)
    assert made.status_code == 201
    route_id = made.json()["data"]["id"]
    assert (await c.post(routes, json=route)).status_code == 422
    assert (await c.post(routes, json={**route, "type": "widget"})).status_code == 422
    updated = await c.put(routes, json=[{"id": route_id, "route": "/products/{slug}"}])
    assert updated.status_code == 200
    assert (await c.put(routes, json=[{"route": "/x"}])).status_code == 422
    assert (
        await c.get(routes, params={"type": "product", "page": 1, "limit": 10})
    ).status_code == 200
    one_route = f"{routes}/{route_id}"
    assert (await c.get(one_route)).json()["data"]["route"] == "/products/{slug}"
    assert (await c.put(one_route, json={"route": "/item/{id}"})).status_code == 201
    assert (await c.delete(one_route)).status_code == 204
    assert (await c.delete(f"/v3/sites/{second_id}")).status_code == 204
    assert (await c.delete(f"/v3/channels/{eu}/site")).status_code == 200
    await c.post(f"/v3/channels/{eu}/site", json={"url": "https://eu.example.test/"})

    tree = await c.put("/v3/catalog/trees", json=[{"name": "EU tree", "channels": [eu]}])
    assert tree.status_code == 200
    tree_id = tree.json()["data"][0]["id"]
    unknown = [{"name": "Nowhere", "channels": [999999]}]
    assert (await c.put("/v3/catalog/trees", json=unknown)).status_code == 422
    roots = [{"name": "Apparel", "parent_id": 0, "tree_id": tree_id}]  # as in tree 1
    made_roots = await c.post("/v3/catalog/trees/categories", json=roots)
    assert made_roots.status_code == 201
    eu_apparel = made_roots.json()["data"][0]["category_id"]
    assert (await c.get(f"/v3/catalog/categories/{eu_apparel}")).status_code == 404
    legacy = (await c.get("/v3/catalog/categories", params={"limit": 250})).json()["data"]
    assert eu_apparel not in [cat["id"] for cat in legacy]

    path = "/v3/catalog/products/channel-assignments"
    assert (await c.put(path, json=[{"product_id": pid, "channel_id": eu}])).status_code == 204
    assert (await c.put(path, json=[{"product_id": pid, "channel_id": 999999}])).status_code == 422
    listed = (await c.get(path, params={"product_id:in": pid, "page": 1, "limit": 10})).json()
    assert [a["channel_id"] for a in listed["data"]] == [1, eu]
    assert (await c.get(path, params={"channel_id:in": eu})).status_code == 200
    product = (await c.get(f"/v3/catalog/products/{pid}", params={"include": "channels"})).json()
    assert product["data"]["channels"] == [1, eu]
    on_eu = (await c.get("/v3/catalog/products", params={"channel_id:in": eu})).json()["data"]
    assert [p["id"] for p in on_eu] == [pid]
    assert (await c.delete(path)).status_code == 422
    assert (
        await c.delete(path, params={"product_id:in": pid, "channel_id:in": 1})
    ).status_code == 204

    path = "/v3/catalog/products/category-assignments"
    assigned = [{"product_id": pid, "category_id": eu_apparel}]
    assert (await c.put(path, json=assigned)).status_code == 204
    bad_category = [{"product_id": pid, "category_id": 999999}]
    assert (await c.put(path, json=bad_category)).status_code == 422
    found = (await c.get(path, params={"category_id:in": eu_apparel, "page": 1, "limit": 5})).json()
    assert found["data"] == assigned
    assert (await c.get(path, params={"product_id:in": pid})).status_code == 200
    product = (await c.get(f"/v3/catalog/products/{pid}")).json()["data"]
    assert eu_apparel in product["categories"]
    assert (await c.delete(path)).status_code == 422
    assert (await c.delete(path, params={"category_id:in": eu_apparel})).status_code == 204
    product = (await c.get(f"/v3/catalog/products/{pid}")).json()["data"]
    assert eu_apparel not in product["categories"]


SETTINGS = [
    "catalog",
    "email-statuses",
    "inventory",
    "inventory/notifications",
    "logo",
    "store/locale",
    "store/profile",
    "store/units-of-measurement",
    "storefront/category",
    "storefront/product",
    "storefront/robotstxt",
    "storefront/search",
    "storefront/security",
    "storefront/seo",
    "storefront/status",
]
SETTINGS_GLOBAL_ONLY = {"store_address_type", "product_filtering_enabled"}


async def _exercise_settings(c: httpx.AsyncClient) -> None:
    """Store settings: global values written back, and overrides on the default channel."""
    for name in SETTINGS:
        path = f"/v3/settings/{name}"
        values = (await c.get(path)).json()["data"]
        assert (await c.put(path, json=values)).status_code == 200
        if name == "store/locale":  # global only: no channel_id
            continue
        on_default = {"channel_id": 1}
        assert set((await c.get(path, params=on_default)).json()["data"].values()) == {None}
        body = {k: None if k in SETTINGS_GLOBAL_ONLY else v for k, v in values.items()}
        put = await c.put(path, params=on_default, json=body)
        assert put.status_code == 200, put.text
    # the 422s the specs document
    bad = {"category_tree_depth": 0, "default_product_sort": "besling", "listing_mode": "x"}
    assert (await c.put("/v3/settings/storefront/category", json=bad)).status_code == 422
    assert (await c.put("/v3/settings/storefront/product", json={})).status_code == 422
    no_name = {"store_name": None}
    assert (await c.put("/v3/settings/store/profile", json=no_name)).status_code == 422
    assert (await c.put("/v3/settings/storefront/seo", json={"www_redirect": 1})).status_code == 422
    locale = {"default_shopper_language": None}
    assert (await c.put("/v3/settings/store/locale", json=locale)).status_code == 422
    logo = {"LogoFile": ("logo.png", b"\x89PNG", "image/png")}
    assert (await c.post("/v3/settings/logo/image", files=logo)).status_code == 204
    icon = {"FaviconFile": ("favicon.png", b"\x89PNG", "image/png")}
    on_default = {"channel_id": 1}
    assert (
        await c.post("/v3/settings/favicon/image", params=on_default, files=icon)
    ).status_code == 204
    not_image = {"FaviconFile": ("favicon.txt", b"hello", "text/plain")}
    assert (await c.post("/v3/settings/favicon/image", files=not_image)).status_code == 422


async def _exercise_metafields(c: httpx.AsyncClient, pid: int) -> None:
    """Product metafields, one and in batches."""
    path = f"/v3/catalog/products/{pid}/metafields"
    field = {"namespace": "n", "key": "k", "value": "v", "permission_set": "app_only"}
    created = await c.post(path, json=field)
    assert created.status_code == 200, created.text
    mid = created.json()["data"]["id"]
    assert (await c.post(path, json=field)).status_code == 409
    assert (await c.get(path, params={"namespace": "n", "key": "k"})).status_code == 200
    assert (await c.get(f"{path}/{mid}")).status_code == 200
    assert (await c.get(f"{path}/999999")).status_code == 404
    assert (await c.put(f"{path}/{mid}", json={"value": "w"})).status_code == 200
    assert (await c.delete(f"{path}/{mid}")).status_code == 204
    batch = "/v3/catalog/products/metafields"
    made = await c.post(batch, json=[{**field, "resource_id": pid}])
    assert made.status_code == 200, made.text
    mid = made.json()["data"][0]["id"]
    assert (await c.post(batch, json=[{**field, "resource_id": 999999}])).status_code == 422
    listed = await c.get(batch, params={"namespace:in": "n,m", "date_modified:min": "2000-01-01"})
    assert listed.status_code == 200
    assert [m["id"] for m in listed.json()["data"]] == [mid]
    assert (await c.put(batch, json=[{"id": mid, "value": "x"}])).status_code == 200
    assert (await c.request("DELETE", batch, json=[mid])).status_code == 200
    variants = (await c.get(f"/v3/catalog/products/{pid}/variants")).json()["data"]
    categories = (await c.get("/v3/catalog/categories")).json()["data"]
    brands = (await c.get("/v3/catalog/brands")).json()["data"]
    for owner, batch in (
        (f"/v3/catalog/products/{pid}/variants/{variants[0]['id']}", "/v3/catalog/variants"),
        (f"/v3/catalog/categories/{categories[0]['id']}", "/v3/catalog/categories"),
        (f"/v3/catalog/brands/{brands[0]['id']}", "/v3/catalog/brands"),
    ):
        await _exercise_owned_metafields(c, owner, batch, field)


async def _exercise_record_images(c: httpx.AsyncClient) -> None:
    """Category and brand images: taken from a URL into the store's CDN, uploaded, removed."""
    category = (await c.get("/v3/catalog/categories")).json()["data"][0]["id"]
    brand = (await c.get("/v3/catalog/brands")).json()["data"][0]["id"]
    source = "https://pictures.example.test/banner.png"
    for path, record in (
        (f"/v3/catalog/categories/{category}", "category"),
        (f"/v3/catalog/brands/{brand}", "brand"),
    ):
        changed = await c.put(path, json={"image_url": source})
        assert changed.status_code == 200, changed.text
        stored = changed.json()["data"]["image_url"]
        assert stored.startswith(
            "https://cdn11.bigcommerce.com/s-production/product_images/b/banner__"
        )
        upload = await c.post(
            f"{path}/image", files={"image_file": ("logo.gif", b"GIF89a", "image/gif")}
        )
        assert upload.status_code == 200, upload.text
        assert upload.json()["data"]["image_url"].endswith(".gif")
        refused = await c.post(
            f"{path}/image", files={"image_file": ("notes.txt", b"x", "text/plain")}
        )
        assert refused.status_code == 422, record
        assert (await c.delete(f"{path}/image")).status_code == 204
        assert (await c.get(path)).json()["data"]["image_url"] == ""


async def _exercise_reviews(c: httpx.AsyncClient, pid: int) -> None:
    """Product reviews: created (a title and a date), listed by status, read with the product,
    updated and deleted."""
    path = f"/v3/catalog/products/{pid}/reviews"
    review = {"title": "Sturdy", "date_reviewed": "2026-11-02T10:00:00+00:00", "rating": 5}
    created = await c.post(path, json={**review, "name": "Ann", "email": "ann@example.test"})
    assert created.status_code == 200, created.text
    rid = created.json()["data"]["id"]
    assert (await c.post(path, json={"title": "No date"})).status_code == 422
    assert (await c.post(path, json={**review, "rating": 9})).status_code == 422
    pending = await c.get(path, params={"status": 0, "limit": 5})
    assert [r["id"] for r in pending.json()["data"]] == [rid]
    assert (await c.get(f"{path}/{rid}")).status_code == 200
    assert (await c.get(f"{path}/999999")).status_code == 404
    assert (await c.put(f"{path}/{rid}", json={"status": "approved"})).status_code == 200
    assert (await c.get(path, params={"status": 1})).json()["data"][0]["status"] == "approved"
    product = await c.get(f"/v3/catalog/products/{pid}", params={"include": "reviews"})
    assert [r["title"] for r in product.json()["data"]["reviews"]] == ["Sturdy"]
    assert (await c.delete(f"{path}/{rid}")).status_code == 204


async def _exercise_videos(c: httpx.AsyncClient, pid: int) -> None:
    """Product videos: created by their YouTube id (a title filled in when blank), listed, read
    with the product, updated and deleted."""
    path = f"/v3/catalog/products/{pid}/videos"
    created = await c.post(path, json={"video_id": "z3fRu9pkuXE", "type": "youtube"})
    assert created.status_code == 200, created.text
    vid = created.json()["data"]["id"]
    assert created.json()["data"]["title"]
    assert (await c.post(path, json={"title": "no id"})).status_code == 422
    assert (await c.get(path, params={"limit": 5})).status_code == 200
    assert (await c.get(f"{path}/{vid}")).status_code == 200
    assert (await c.get(f"{path}/999999")).status_code == 404
    assert (
        await c.put(f"{path}/{vid}", json={"title": "Care", "sort_order": 2})
    ).status_code == 200
    product = await c.get(f"/v3/catalog/products/{pid}", params={"include": "videos"})
    assert [v["title"] for v in product.json()["data"]["videos"]] == ["Care"]
    assert (await c.delete(f"{path}/{vid}")).status_code == 204


async def _exercise_owned_metafields(
    c: httpx.AsyncClient, owner: str, batch: str, field: dict[str, str]
) -> None:
    """The metafields of a variant, category or brand, one and in batches."""
    path, batch = f"{owner}/metafields", f"{batch}/metafields"
    created = await c.post(path, json=field)
    assert created.status_code == 200, created.text
    mid = created.json()["data"]["id"]
    assert (await c.post(path, json=field)).status_code == 409
    assert (await c.post(path, json={"namespace": "n"})).status_code == 422
    listed = await c.get(path, params={"namespace": "n", "key:in": "k"})
    assert [m["id"] for m in listed.json()["data"]] == [mid]
    assert (await c.get(f"{path}/{mid}")).status_code == 200
    assert (await c.get(f"{path}/999999")).status_code == 404
    assert (await c.put(f"{path}/{mid}", json={"value": "w"})).status_code == 200
    assert (await c.delete(f"{path}/{mid}")).status_code == 204
    owner_id = int(owner.rsplit("/", 1)[1])
    made = await c.post(batch, json=[{**field, "resource_id": owner_id}])
    assert made.status_code == 200, made.text
    mid = made.json()["data"][0]["id"]
    assert (await c.post(batch, json=[{**field, "resource_id": 999999}])).status_code == 422
    listed = await c.get(batch, params={"namespace:in": "n,m", "date_modified:min": "2000-01-01"})
    assert [m["id"] for m in listed.json()["data"]] == [mid]
    assert listed.json()["data"][0]["resource_id"] == owner_id
    assert (await c.put(batch, json=[{"id": mid, "value": "x"}])).status_code == 200
    assert (await c.request("DELETE", batch, json=[mid])).status_code == 200


async def _exercise_new_methods_and_queries(
    c: httpx.AsyncClient, pid: int, category: int, brand: int
) -> None:
    """One-record GETs, option and tree writes, and the documented query parameters of lists."""
    field = (await c.get(f"/v3/catalog/products/{pid}/custom-fields")).json()["data"][0]
    assert (
        await c.get(f"/v3/catalog/products/{pid}/custom-fields/{field['id']}")
    ).status_code == 200
    assert (await c.get(f"/v3/catalog/products/{pid}/custom-fields/999999")).status_code == 404
    image = (await c.get(f"/v3/catalog/products/{pid}/images")).json()["data"][0]
    assert (
        await c.get(
            f"/v3/catalog/products/{pid}/images/{image['id']}",
            params={"include_fields": "image_url"},
        )
    ).status_code == 200
    assert (await c.get(f"/v3/catalog/products/{pid}/images/999999")).status_code == 404
    option = (await c.get(f"/v3/catalog/products/{pid}/options")).json()["data"][0]
    renamed = await c.put(
        f"/v3/catalog/products/{pid}/options/{option['id']}",
        json={"display_name": "Shoe size", "option_values": [{"label": "45"}]},
    )
    assert renamed.status_code == 200, renamed.text
    b2b = {"name": "B2B", "type": "storefront", "platform": "bigcommerce"}
    channel = (await c.post("/v3/channels", json=b2b)).json()["data"]["id"]
    trees = await c.put("/v3/catalog/trees", json=[{"name": "Wholesale", "channels": [channel]}])
    assert trees.status_code == 200, trees.text
    tree_id = trees.json()["data"][0]["id"]
    assert (
        await c.put("/v3/catalog/trees", json=[{"id": tree_id, "name": "B2B"}])
    ).status_code == 200
    assert (
        await c.put("/v3/catalog/trees", json=[{"name": "Clash", "channels": [1]}])
    ).status_code == 422
    listed = await c.get("/v3/catalog/trees", params={"channel_id:in": channel})
    assert [t["name"] for t in listed.json()["data"]] == ["B2B"]
    assert (await c.delete("/v3/catalog/trees", params={"id:in": tree_id})).status_code == 204
    lists: list[tuple[str, dict[str, str | int]]] = [
        (
            "/v3/catalog/products",
            {
                "id:min": pid,
                "date_modified:min": "2020-01-01T00:00:00Z",
                "is_visible": "true",
                "type": "physical",
                "keyword": "trail",
                "name:like": "Trail",
                "categories:in": category,
                "brand_id": brand,
                "sort": "price",
                "direction": "desc",
                "include_fields": "name,price",
                "include": "variants",
            },
        ),
        ("/v3/catalog/products", {"exclude_fields": "description", "id:not_in": pid}),
        ("/v3/catalog/products", {"inventory_level:less": 5, "sku:in": "TR-1"}),
        ("/v3/catalog/brands", {"name:like": "Ac", "sort": "name", "direction": "desc"}),
        ("/v3/catalog/brands", {"id:greater": 1, "include_fields": "name"}),
        ("/v3/catalog/categories", {"parent_id:in": category, "is_visible": "true"}),
        ("/v3/catalog/categories", {"sort": "name", "exclude_fields": "description"}),
        ("/v3/catalog/trees/categories", {"name:like": "sho", "tree_id:in": 1}),
        ("/v3/catalog/trees/categories", {"keyword": "shoes", "category_id:not_in": 1}),
        ("/v3/catalog/trees/1/categories", {"depth": 1}),
        ("/v3/catalog/variants", {"product_id:in": pid, "include_fields": "sku"}),
        (f"/v3/catalog/products/{pid}/variants", {"page": 2, "limit": 1}),
        (f"/v3/catalog/products/{pid}/custom-fields", {"limit": 1, "page": 1}),
        (f"/v3/catalog/products/{pid}/images", {"exclude_fields": "description"}),
        (f"/v3/catalog/products/{pid}/options", {"include_fields": "display_name"}),
        ("/v3/content/scripts", {"sort": "name", "direction": "desc", "channel_id:in": 1}),
    ]
    for path, params in lists:
        response = await c.get(path, params=params)
        assert response.status_code == 200, (path, params, response.text)

    hook = await c.post(
        "/v3/hooks",
        json={
            "scope": "store/product/*",
            "destination": "https://hooks.example.test/in",
            "is_active": False,
            "headers": {"X-Secret": "s"},
        },
    )
    assert hook.status_code == 200, hook.text
    hook_id = hook.json()["data"]["id"]
    assert (await c.post("/v3/hooks", json={"scope": "store/product/*"})).status_code == 422
    assert (await c.get("/v3/hooks", params={"is_active": "false", "limit": 5})).status_code == 200
    assert (await c.get(f"/v3/hooks/{hook_id}")).status_code == 200
    assert (await c.get("/v3/hooks/999999")).status_code == 404
    assert (await c.put(f"/v3/hooks/{hook_id}", json={"headers": None})).status_code == 200
    assert (await c.put("/v3/hooks/admin", json={"emails": ["a@example.test"]})).status_code == 204
    assert (await c.get("/v3/hooks/admin", params={"is_active": "false"})).status_code == 200
    assert (await c.delete(f"/v3/hooks/{hook_id}")).status_code == 200


async def _exercise_content(c: httpx.AsyncClient, pid: int, category: int, brand: int) -> None:
    """Web pages of every type and redirects to every kind of target."""
    about = await c.post(
        "/v3/content/pages",
        json={"name": "About", "type": "page", "body": "<p>Us</p>", "meta_title": None},
        params={"include": "body"},
    )
    assert about.status_code == 201, about.text
    about_id = about.json()["data"]["id"]
    many = await c.post(
        "/v3/content/pages",
        json=[
            {"name": "Raw", "type": "raw", "body": "<b>raw</b>", "parent_id": about_id},
            {"name": "Contact", "type": "contact_form", "email": "a@example.test"},
            {"name": "Docs", "type": "link", "link": "https://docs.example.test/"},
        ],
    )
    assert many.status_code == 201, many.text
    raw_id, contact_id, link_id = (p["id"] for p in many.json()["data"])
    duplicate = await c.post("/v3/content/pages", json={"name": "About", "type": "page"})
    assert duplicate.status_code == 422
    assert (
        await c.post("/v3/content/pages", json={"name": "Blog 2", "type": "blog"})
    ).status_code == 422
    assert (await c.get("/v3/content/pages", params={"include": "body"})).status_code == 200
    for params in (
        {"channel_id": 1, "id:in": f"{about_id},{raw_id}", "limit": 5, "page": 1},
        {"name": "About"},
        {"name:like": "raw"},
    ):
        assert (await c.get("/v3/content/pages", params=params)).status_code == 200
    assert (await c.get(f"/v3/content/pages/{about_id}", params={"include": "body"})).is_success
    assert (await c.get("/v3/content/pages/999999")).status_code == 404
    assert (await c.get("/v3/content/pages/abc")).status_code == 422
    assert (
        await c.put(f"/v3/content/pages/{about_id}", json={"meta_description": "About us"})
    ).status_code == 200
    assert (
        await c.put(f"/v3/content/pages/{contact_id}", json={"name": "About"})
    ).status_code == 422
    assert (await c.put("/v3/content/pages/999999", json={"name": "X"})).status_code == 404
    assert (
        await c.put(
            "/v3/content/pages",
            json=[{"id": raw_id, "sort_order": 2}, {"id": link_id, "is_visible": False}],
        )
    ).status_code == 200
    assert (await c.put("/v3/content/pages", json=[{"id": 999999}])).status_code == 404
    assert (await c.put("/v3/content/pages", json=[{"name": "no id"}])).status_code == 422

    targets = [
        {"type": "product", "entity_id": pid},
        {"type": "category", "entity_id": category},
        {"type": "brand", "entity_id": brand},
        {"type": "page", "entity_id": about_id},
        {"type": "url", "url": "https://example.test/new"},
    ]
    upserted = await c.put(
        "/v3/storefront/redirects",
        json=[
            {"from_path": f"/old-{i}", "site_id": 1000, "to": to} for i, to in enumerate(targets)
        ],
    )
    assert upserted.status_code == 201, upserted.text
    ids = [r["id"] for r in upserted.json()["data"]]
    for params in (
        {"site_id": 1000, "include": "to_url", "sort": "from_path", "direction": "desc"},
        {"id:in": ",".join(map(str, ids)), "id:min": ids[0], "id:max": ids[-1]},
        {"keyword": "old", "limit": 2, "page": 2},
    ):
        assert (await c.get("/v3/storefront/redirects", params=params)).status_code == 200
    assert (await c.delete("/v3/storefront/redirects", params={"id:in": ids[0]})).status_code == 204
    assert (await c.delete("/v3/storefront/redirects", params={"site_id": 1000})).status_code == 204

    post = await c.post(
        "/v2/blog/posts",
        json={
            "title": "Holiday",
            "body": "<p>Gifts</p>",
            "tags": ["holiday", "gifts"],
            "is_published": True,
            "published_date": "Thu, 18 May 2023 13:26:42 -0000",
        },
    )
    assert post.status_code == 200, post.text
    post_id = post.json()["id"]
    draft = (await c.post("/v2/blog/posts", json={"title": "Draft", "body": "x"})).json()
    posts = await c.get(
        "/v2/blog/posts",
        params={"is_published": "true", "tag": "gifts", "limit": 5, "page": 1},
    )
    assert [p["id"] for p in posts.json()] == [post_id]
    assert (
        await c.get(
            "/v2/blog/posts", params={"url": "/blog/holiday/", "published_date": "2023-05-18"}
        )
    ).status_code == 200
    assert (await c.get(f"/v2/blog/posts/{post_id}")).status_code == 200
    assert (await c.put(f"/v2/blog/posts/{post_id}", json={"author": "Ann"})).status_code == 200
    assert (await c.get("/v2/blog/posts/count")).json() == {"count": 2}
    assert (await c.get("/v2/blog/tags")).json()[0] == {"tag": "gifts", "post_ids": [post_id]}
    to_post = [{"from_path": "/p", "site_id": 1000, "to": {"type": "post", "entity_id": post_id}}]
    assert (await c.put("/v3/storefront/redirects", json=to_post)).status_code == 201
    assert (await c.delete(f"/v2/blog/posts/{draft['id']}")).status_code == 204
    assert (await c.delete("/v2/blog/posts", params={"page": 1, "limit": 5})).status_code == 204
    assert (await c.get("/v2/blog/posts")).json() == []

    await _exercise_template_associations(c, pid, about_id)
    await _exercise_widget_templates(c, about_id)
    await _exercise_widgets(c, pid, about_id)
    await _exercise_redirect_jobs(c, pid)

    assert (await c.delete(f"/v3/content/pages/{link_id}")).status_code == 204
    assert (await c.delete(f"/v3/content/pages/{link_id}")).status_code == 404
    assert (
        await c.delete(
            "/v3/content/pages",
            params={"id:in": f"{about_id},{contact_id}", "delete_children": True},
        )
    ).status_code == 204
    assert (await c.delete("/v3/content/pages", params={"id:in": raw_id})).status_code == 404


async def _exercise_price_lists(c: httpx.AsyncClient, pid: int) -> int:
    """Price lists by name, and their records by variant and currency (assignments are not
    served)."""
    path = "/v3/pricelists"
    created = await c.post(path, json={"name": "Wholesale", "active": True})
    assert created.status_code == 200, created.text
    kept = created.json()["data"]["id"]
    assert (await c.post(path, json={"name": "Wholesale"})).status_code == 409
    other = (await c.post(path, json={"name": "Trade"})).json()["data"]["id"]
    for query in (
        {"name": "Wholesale", "id:in": kept, "page": 1, "limit": 5},
        {"name:like": "sale", "date_created": "2020-01-01", "date_modified": "2020-01-01"},
        {"date_created:min": "2020", "date_created:max": "2100"},
        {"date_modified:min": "2020", "date_modified:max": "2100"},
    ):
        assert (await c.get(path, params=query)).status_code == 200, query
    assert (await c.get(f"{path}/{kept}")).json()["data"]["name"] == "Wholesale"
    variants = (await c.get(f"/v3/catalog/products/{pid}/variants")).json()["data"]
    sku, variant = variants[0]["sku"], variants[-1]["id"]
    records = f"{path}/{kept}/records"
    tiers = [
        {"quantity_min": 10, "quantity_max": None, "type": "fixed", "amount": 7},
        {"quantity_min": 2, "quantity_max": 9, "type": "percent", "amount": 5},
    ]
    written = [
        {"sku": sku, "currency": "usd", "price": 10, "sale_price": 8, "bulk_pricing_tiers": tiers},
        {"variant_id": variant, "currency": "eur", "price": 11},
    ]
    assert (await c.post(records, json=written)).status_code == 200
    assert (await c.post(records, json=written[:1])).status_code == 422  # exists: use PUT
    upsert = [
        {"sku": sku, "currency": "usd", "price": 9},
        {"sku": sku, "currency": "gbp", "price": 7},
    ]
    assert (await c.put(records, json=upsert)).status_code == 200
    queries = [
        {"sku": sku, "currency": "usd", "include": "bulk_pricing_tiers", "page": 1, "limit": 5},
        {"sku:in": sku, "currency:in": "usd,eur", "variant_id:in": variant, "product_id:in": pid},
        {"price": 9, "price:min": 1, "price:max": 100, "calculated_price": 8},
        {"sale_price": 8, "sale_price:min": 0, "sale_price:max": 9},
        {"retail_price:min": 0, "retail_price:max": 9, "retail_price": 0},
        {"map_price:min": 0, "map_price:max": 9, "map_price": 0},
        {"calculated_price:min": 0, "calculated_price:max": 99},
        {"date_created": "2020-01-01", "date_created:min": "2020", "date_created:max": "2100"},
        {"date_modified": "2020-01-01", "date_modified:min": "2020", "date_modified:max": "2100"},
    ]
    for query in queries:
        assert (await c.get(records, params=query)).status_code == 200, query
    listed = (await c.get(records, params={"sku": sku, "currency": "usd"})).json()["data"]
    assert [(r["price"], r["calculated_price"]) for r in listed] == [(9, 8)]
    assert "sku" not in listed[0]  # the platform answers a record's SKU only when asked
    asked = await c.get(records, params={"sku": sku, "currency": "usd", "include": "sku"})
    assert [r["sku"] for r in asked.json()["data"]] == [sku]
    assert "bulk_pricing_tiers" not in asked.json()["data"][0]  # answered only when asked
    include = {"include": "bulk_pricing_tiers,sku"}
    asked = await c.get(records, params={"sku": sku, "currency": "usd", **include})
    assert asked.json()["data"][0]["bulk_pricing_tiers"] == tiers  # kept by the upsert
    overlapping = [{**tiers[1], "quantity_max": 10}, tiers[0]]
    for bad in (
        overlapping,
        [{"quantity_min": 2, "type": "half", "amount": 1}],
        [{"type": "fixed"}],
    ):
        refused = await c.put(records, json=[{**upsert[0], "bulk_pricing_tiers": bad}])
        assert refused.status_code == 422, bad
    assert (await c.delete(records, params={"currency": "gbp", "sku:in": sku})).status_code == 204
    assert (await c.delete(records, params={"variant_id:in": variant})).status_code == 204
    assert len((await c.get(records)).json()["data"]) == 1
    renamed = await c.put(f"{path}/{other}", json={"name": "Trade", "active": False})
    assert renamed.json()["data"]["active"] is False
    assert (await c.put(f"{path}/{other}", json={"name": "Wholesale"})).status_code == 409
    assert (await c.put(f"{path}/999999", json={"name": "X"})).status_code == 404
    assert (await c.delete(f"{path}/{other}")).status_code == 204
    spare = (await c.post(path, json={"name": "Spare"})).json()["data"]["id"]
    assert (await c.delete(path, params={"id:in": spare})).status_code == 204
    assert (await c.delete(path, params={"name": "Nothing"})).status_code == 204
    return int(kept)


async def _exercise_v2_catalog(c: httpx.AsyncClient) -> None:
    """The V2 catalog: every route, success and refusal, errors as V2 lists."""
    cats = "/v2/categories"
    top = (await c.post(cats, json={"name": "Legacy", "meta_keywords": "old,v2"})).json()
    child = (await c.post(cats, json={"name": "Tees", "parent_id": top["id"]})).json()
    assert child["parent_category_list"] == [top["id"], child["id"]]
    assert (await c.post(cats, json={"name": "tees", "parent_id": top["id"]})).status_code == 409
    assert (await c.post(cats, json={"description": "no name"})).status_code == 400
    assert (await c.get(cats, params={"parent_id": top["id"], "page": 1, "limit": 5})).json() == [
        child
    ]
    assert (await c.get(cats, params={"name": "Legacy", "is_visible": "true"})).status_code == 200
    assert (await c.get(cats, params={"min_id": 1, "max_id": 10**9})).status_code == 200
    assert (await c.get(f"{cats}/count")).json()["count"] >= 2
    assert (await c.get(f"{cats}/{child['id']}")).status_code == 200
    assert (await c.put(f"{cats}/{child['id']}", json={"sort_order": 3})).json()["sort_order"] == 3
    assert (await c.get(f"{cats}/999999")).status_code == 404
    assert (await c.delete(f"{cats}/{child['id']}")).status_code == 204

    brands = "/v2/brands"
    brand = (await c.post(brands, json={"name": "OldCo", "meta_keywords": "a,b"})).json()
    assert (await c.post(brands, json={"name": "oldco"})).status_code == 409
    assert (await c.get(brands, params={"name": "OldCo", "min_id": 1, "max_id": 10**9})).json() == [
        brand
    ]
    assert (await c.get(f"{brands}/count")).json()["count"] >= 1
    assert (await c.get(f"{brands}/{brand['id']}")).status_code == 200
    assert (await c.put(f"{brands}/{brand['id']}", json={"name": "OldCo Ltd"})).status_code == 200
    temp = (await c.post(brands, json={"name": "Gone"})).json()
    assert (await c.delete(f"{brands}/{temp['id']}")).status_code == 204

    size = (await c.post("/v2/options", json={"name": "Legacy size", "type": "RT"})).json()
    assert (await c.post("/v2/options", json={"name": "Legacy size"})).status_code == 409
    assert (await c.post("/v2/options", json={"name": "Bad", "type": "XX"})).status_code == 400
    wrap = (await c.post("/v2/options", json={"name": "Gift wrap", "type": "C"})).json()
    assert (await c.get("/v2/options", params={"page": 1, "limit": 250})).status_code == 200
    assert (await c.get("/v2/options/count")).json()["count"] >= 2
    assert (await c.get(f"/v2/options/{size['id']}")).status_code == 200
    assert (
        await c.put(f"/v2/options/{wrap['id']}", json={"display_name": "Wrap it"})
    ).status_code == 200
    values = f"/v2/options/{size['id']}/values"
    small, large = [
        (await c.post(values, json={"label": label, "value": label, "sort_order": n})).json()
        for n, label in enumerate(("S", "L"))
    ]
    assert (await c.post(values, json={"label": "s", "value": "s"})).status_code == 409
    assert (await c.post(values, json={"label": "M"})).status_code == 400
    assert (await c.get(values, params={"page": 1, "limit": 10})).status_code == 200
    assert (await c.get(f"{values}/{small['id']}")).status_code == 200
    assert (await c.put(f"{values}/{small['id']}", json={"is_default": True})).status_code == 200
    temp_value = (await c.post(values, json={"label": "XL", "value": "XL"})).json()
    assert (await c.delete(f"{values}/{temp_value['id']}")).status_code == 204

    sets = "/v2/option_sets"
    shirts = (await c.post(sets, json={"name": "Legacy shirts"})).json()
    assert (await c.post(sets, json={"name": "legacy shirts"})).status_code == 409
    assert (await c.get(sets, params={"name": "Legacy shirts", "page": 1})).json() == [shirts]
    assert (await c.get(f"{sets}/count")).json()["count"] >= 1
    assert (await c.get(f"{sets}/{shirts['id']}")).status_code == 200
    assert (await c.put(f"{sets}/{shirts['id']}", json={"name": "Shirts V2"})).status_code == 200
    members = f"{sets}/{shirts['id']}/options"
    member = (await c.post(members, json={"option_id": size["id"], "is_required": True})).json()
    assert (await c.post(members, json={"option_id": size["id"]})).status_code == 409
    assert (await c.get(members, params={"limit": 10})).status_code == 200
    assert (await c.get(f"{members}/{member['id']}")).status_code == 200
    assert (
        await c.put(f"{members}/{member['id']}", json={"display_name": "Size"})
    ).status_code == 200
    wrapped = (await c.post(members, json={"option_id": wrap["id"]})).json()
    assert (await c.delete(f"{members}/{wrapped['id']}")).status_code == 204
    spare = (await c.post(sets, json={"name": "Spare"})).json()
    await c.post(f"{sets}/{spare['id']}/options", json={"option_id": wrap["id"]})
    assert (await c.delete(f"{sets}/{spare['id']}/options")).status_code == 204
    assert (await c.delete(f"{sets}/{spare['id']}")).status_code == 204
    assert (await c.delete(f"/v2/options/{wrap['id']}")).status_code == 204

    products = "/v2/products"
    body = {
        "name": "Legacy Tee",
        "type": "physical",
        "price": "20.00",
        "categories": [top["id"]],
        "availability": "available",
        "weight": "0.5",
        "option_set_id": shirts["id"],
        "is_visible": True,
    }
    tee = (await c.post(products, json=body)).json()
    pid = tee["id"]
    keeper = {**body, "name": "Legacy Cap", "option_set_id": None}
    assert (await c.post(products, json=keeper)).status_code == 201
    assert (
        await c.post(products, json={**body, "name": "No price", "price": None})
    ).status_code == 400
    assert (
        await c.post(products, json={**body, "name": "X", "calculated_price": 1})
    ).status_code == 400
    assert (await c.put(f"{products}/{pid}", json={"condition": "Worn"})).status_code == 400
    assert (await c.put(f"{products}/{pid}", json={"number_sold": 99})).status_code == 400
    assert (await c.put(f"{products}/{pid}", json={"sku": "LEGACY-TEE"})).status_code == 200
    listed = await c.get(products, params={"min_id": pid, "max_id": pid, "page": 1, "limit": 5})
    assert [p["id"] for p in listed.json()] == [pid]
    assert (await c.get(products, params={"include": "@summary"})).status_code == 200
    assert (await c.get(products, params={"keyword_filter": "tee"})).status_code == 400
    assert (await c.get(products, params={"colour": "red"})).status_code == 400
    assert (await c.get(f"{products}/count", params={"category": top["id"]})).json()["count"] >= 1
    assert (await c.get(f"{products}/{pid}", params={"exclude": "description"})).status_code == 200
    assert (await c.get(f"{products}/{pid}")).status_code == 200
    assert (await c.get(f"{products}/999999")).status_code == 404

    options = (await c.get(f"{products}/{pid}/options", params={"page": 1})).json()
    assert (await c.get(f"{products}/{pid}/options/{options[0]['id']}")).status_code == 200
    skus = f"{products}/{pid}/skus"
    choice = [{"product_option_id": options[0]["id"], "option_value_id": small["id"]}]
    sku = (await c.post(skus, json={"sku": "LEGACY-TEE-S", "options": choice})).json()
    assert (await c.post(skus, json={"sku": "LEGACY-TEE-S2", "options": choice})).status_code == 409
    assert (await c.post(skus, json={"sku": "NO-OPTIONS"})).status_code == 400
    large_choice = [{"product_option_id": options[0]["id"], "option_value_id": large["id"]}]
    big = (await c.post(skus, json={"sku": "LEGACY-TEE-L", "options": large_choice})).json()
    assert (await c.get(skus, params={"limit": 10})).status_code == 200
    assert (await c.get(skus, params={"upc": "x"})).status_code == 400
    assert (await c.get(f"{skus}/{sku['id']}")).status_code == 200
    assert (await c.put(f"{skus}/{sku['id']}", json={"inventory_level": 4})).status_code == 200
    assert (await c.get("/v2/products/skus/count")).json()["count"] >= 2
    rules = f"{products}/{pid}/rules"
    condition = {
        "product_option_id": options[0]["id"],
        "option_value_id": large["id"],
        "sku_id": None,
    }
    adjuster = {"adjuster": "relative", "adjuster_value": 5}
    rule = (
        await c.post(rules, json={"conditions": [condition], "price_adjuster": adjuster})
    ).json()
    assert (await c.post(rules, json={"price_adjuster": adjuster})).status_code == 400
    assert (await c.get(rules, params={"page": 1})).status_code == 200
    assert (await c.get(f"{rules}/{rule['id']}")).status_code == 200
    assert (await c.put(f"{rules}/{rule['id']}", json={"is_stop": True})).status_code == 200
    assert (await c.get("/v2/products/rules/count")).json()["count"] >= 1
    assert (await c.delete(f"{rules}/{rule['id']}")).status_code == 204
    assert (await c.delete(rules)).status_code == 204
    assert (await c.delete(f"{skus}/{big['id']}")).status_code == 204

    fields = f"{products}/{pid}/custom_fields"
    made = (await c.post(fields, json={"name": "ISBN", "text": "12345"})).json()
    assert (await c.post(fields, json={"name": "ISBN"})).status_code == 400
    assert (await c.get(fields, params={"page": 1, "limit": 5})).status_code == 200
    assert (await c.get(f"{fields}/{made['id']}")).status_code == 200
    assert (await c.put(f"{fields}/{made['id']}", json={"text": "678"})).status_code == 200
    assert (await c.get("/v2/products/custom_fields/count")).json()["count"] >= 1
    assert (await c.delete(f"{fields}/{made['id']}")).status_code == 204
    assert (await c.delete(fields)).status_code == 204

    images = f"{products}/{pid}/images"
    picture = (await c.post(images, json={"image_file": "https://example.com/tee.jpg"})).json()
    assert (await c.post(images, json={"description": "none"})).status_code == 400
    assert (await c.get(images, params={"page": 1})).status_code == 200
    assert (await c.get(f"{images}/{picture['id']}")).status_code == 200
    assert (
        await c.put(f"{images}/{picture['id']}", json={"is_thumbnail": True})
    ).status_code == 200
    assert (await c.get("/v2/products/images/count")).json()["count"] >= 1
    assert (await c.delete(f"{images}/{picture['id']}")).status_code == 204
    assert (await c.delete(images)).status_code == 204

    videos = f"{products}/{pid}/videos"
    url = "https://www.youtube.com/watch?v=4wZ3ZG_Wams"
    video = (await c.post(videos, json={"url": url})).json()
    assert (await c.post(videos, json={"url": "https://vimeo.com/1"})).status_code == 400
    assert (await c.get(videos, params={"page": 1})).status_code == 200
    assert (await c.get(f"{videos}/{video['id']}")).status_code == 200
    assert (await c.put(f"{videos}/{video['id']}", json={"name": "Launch"})).status_code == 200
    assert (await c.get("/v2/products/videos/count")).json()["count"] >= 1
    assert (await c.delete(f"{videos}/{video['id']}")).status_code == 204
    assert (await c.delete(videos)).status_code == 204

    discounts = f"{products}/{pid}/discount_rules"
    tier = {"min": 10, "max": 19, "type": "price", "type_value": 2}
    discount = (await c.post(discounts, json=tier)).json()
    assert (await c.post(discounts, json={**tier, "max": 30})).status_code == 400  # overlaps
    assert (await c.post(discounts, json={"min": 40, "type": "percent"})).status_code == 400
    assert (await c.get(discounts, params={"page": 1, "limit": 5})).status_code == 200
    assert (await c.get(f"{discounts}/{discount['id']}")).status_code == 200
    assert (
        await c.put(f"{discounts}/{discount['id']}", json={"type": "percent", "type_value": 5})
    ).status_code == 200
    assert (await c.get("/v2/products/discount_rules/count")).json()["count"] >= 1
    assert (await c.delete(f"{discounts}/{discount['id']}")).status_code == 204
    assert (await c.delete(discounts, params={"page": 1, "limit": 50})).status_code == 204

    reviews = f"{products}/{pid}/reviews"
    review = {"author": "Jo", "title": "Fits", "review": "True to size", "rating": 4}
    made_review = (await c.post(reviews, json=review)).json()
    assert (await c.post(reviews, json={**review, "rating": 0})).status_code == 400
    assert (await c.get(reviews, params={"page": 1, "limit": 5})).status_code == 200
    assert (await c.get(f"{reviews}/{made_review['id']}")).status_code == 200
    assert (await c.put(f"{reviews}/{made_review['id']}", json={"status": 1})).status_code == 200
    assert (await c.delete(f"{reviews}/{made_review['id']}")).status_code == 204
    assert (await c.delete(reviews)).status_code == 204

    assert (await c.delete(skus)).status_code == 204
    assert (await c.delete(values, params={"page": 1})).status_code == 204
    assert (await c.delete(f"{products}/{pid}")).status_code == 204
    assert (await c.delete(members)).status_code == 204
    assert (await c.delete(sets)).status_code == 204
    assert (await c.delete(f"/v2/options/{size['id']}")).status_code == 204
    assert (await c.get("/v2/options/999999")).status_code == 404
    assert (await c.delete(cats)).status_code == 409  # categories holding products stay
    assert (await c.delete(products)).status_code == 204
    assert (await c.delete(cats)).status_code == 204
    assert (await c.delete(brands)).status_code == 204


async def _exercise_customer_groups(
    c: httpx.AsyncClient, pid: int, category: int, price_list: int
) -> None:
    """v2 customer groups: category access and discount rules by store ids, unique names."""
    path = "/v2/customer_groups"
    rules = [
        {"type": "all", "method": "percent", "amount": "5"},
        {"type": "category", "method": "fixed", "amount": 2.5, "category_id": category},
        {"type": "product", "method": "price", "amount": 10, "product_id": pid},
    ]
    created = await c.post(
        path,
        json={
            "name": "Wholesale",
            "is_default": True,
            "category_access": {"type": "specific", "categories": [category]},
            "discount_rules": rules,
        },
    )
    assert created.status_code == 200, created.text
    group = created.json()
    assert group["discount_rules"][0] == {"type": "all", "method": "percent", "amount": "5.0000"}
    assert group["category_access"] == {"type": "specific", "categories": [category]}
    lone = [{"type": "price_list", "price_list_id": price_list}]
    trade = await c.post(path, json={"name": "Trade", "discount_rules": lone})
    assert trade.json()["discount_rules"] == lone
    assert (await c.delete(f"{path}/{trade.json()['id']}")).status_code == 204
    retail = (await c.post(path, json={"name": "Retail", "is_default": True})).json()
    listed = (await c.get(path, params={"is_default": "true", "page": 1, "limit": 5})).json()
    assert [g["name"] for g in listed] == ["Retail"]  # one default group at a time
    queries = [
        {"name": "Wholesale"},
        {"name:like": "sale"},
        {"is_group_for_guests": "false"},
        {"date_created:min": "2020-01-01", "date_created:max": "2100-01-01"},
        {"date_modified:min": "2020-01-01", "date_modified:max": "2100-01-01"},
        {"date_created": "2020-01-01T00:00:00", "date_modified": "2020-01-01T00:00:00"},
    ]
    for query in queries:
        assert (await c.get(path, params=query)).status_code == 200, query
    one = f"{path}/{group['id']}"
    assert (await c.get(one)).json()["name"] == "Wholesale"
    updated = await c.put(one, json={"discount_rules": rules[:1]})
    assert [r["type"] for r in updated.json()["discount_rules"]] == ["all"]  # the whole set
    assert (await c.get(f"{path}/count")).json() == {"count": 2}
    assert (await c.delete(f"{path}/{retail['id']}")).status_code == 204


async def _exercise_promotions(c: httpx.AsyncClient, pid: int, category: int, brand: int) -> None:
    """v3 promotions naming products, categories, brands and customer groups by id, and their
    coupon codes: one by one, generated, by code."""
    path = "/v3/promotions"
    group = (await c.post("/v2/customer_groups", json={"name": "VIP"})).json()["id"]
    matcher = {
        "or": [{"products": [pid]}, {"and": [{"categories": [category]}, {"brands": [brand]}]}]
    }
    rules = [
        {
            "action": {"cart_items": {"discount": {"percentage_amount": "10"}, "items": matcher}},
            "condition": {"cart": {"items": {"not": {"brands": [brand]}}, "minimum_quantity": 1}},
        },
        {"action": {"gift_item": {"product_id": pid, "quantity": 1}}, "stop": True},
    ]
    automatic = await c.post(
        path,
        json={
            "name": "Shoes 10% off",
            "redemption_type": "AUTOMATIC",
            "rules": rules,
            "customer": {"group_ids": [group], "minimum_order_count": 1},
            "channels": [{"id": 1}],
            "notifications": [{"type": "UPSELL", "content": "Buy!", "locations": ["HOME_PAGE"]}],
        },
    )
    assert automatic.status_code == 201, automatic.text
    auto_id = automatic.json()["data"]["id"]
    assert automatic.json()["data"]["rules"][0]["apply_once"] is True
    missing = {
        "action": {
            "cart_items": {"discount": {"fixed_amount": "1"}, "items": {"products": [999999]}}
        }
    }
    assert (
        await c.post(path, json={"name": "X", "redemption_type": "AUTOMATIC", "rules": [missing]})
    ).status_code == 422
    coupon = await c.post(
        path,
        json={
            "name": "Ten off",
            "redemption_type": "COUPON",
            "rules": [{"action": {"cart_value": {"discount": {"fixed_amount": "10"}}}}],
            "can_be_used_with_other_promotions": False,
            "coupon_overrides_other_promotions": True,
        },
    )
    assert coupon.status_code == 201, coupon.text
    coupon_id = coupon.json()["data"]["id"]
    bulk = await c.post(
        path,
        json={
            "name": "Bulk",
            "redemption_type": "COUPON",
            "coupon_type": "BULK",
            "rules": [{"action": {"shipping": {"zone_ids": "*"}}}],
        },
    )
    bulk_id = bulk.json()["data"]["id"]
    one = f"{path}/{coupon_id}"
    assert (await c.get(one)).json()["data"]["name"] == "Ten off"
    assert (await c.put(one, json={"display_name": "$10 off"})).status_code == 200
    assert (await c.get(f"{path}/999999")).status_code == 404
    codes = f"{one}/codes"
    code = await c.post(codes, json={"code": "TEN-OFF", "max_uses": 5})
    assert code.status_code == 201, code.text
    extra = (await c.post(codes, json={"code": "SPARE 1"})).json()["data"]["id"]
    assert (await c.get(codes)).json()["data"][0]["code"] == "TEN-OFF"
    assert (
        await c.get(codes, params={"page": 1, "limit": 1, "code": "TEN-OFF"})
    ).status_code == 200
    found = await c.get(f"{path}/codes", params={"code": "TEN-OFF"})
    assert [d["code"] for d in found.json()["data"]] == ["TEN-OFF"]
    generated = await c.post(f"{path}/{bulk_id}/codegen", json={"batch_size": 3, "max_uses": 2})
    assert generated.status_code == 201, generated.text
    assert len(generated.json()["data"]["codes"]) == 3
    assert (await c.post(f"{one}/codegen", json={"batch_size": 3})).status_code == 405
    assert (await c.post(f"{path}/{bulk_id}/codegen", json={"batch_size": 251})).status_code == 422
    queries = [
        {"id": auto_id, "name": "Shoes 10% off", "currency_code": "USD", "status": "ENABLED"},
        {"redemption_type": "coupon", "code": "TEN-OFF", "channels": "1", "query": "Ten"},
        {"sort": "name", "direction": "desc", "page": 1, "limit": 2},
        {"sort": "priority"},
        {"sort": "start_date"},
    ]
    for query in queries:
        assert (await c.get(path, params=query)).status_code == 200, query
    listed = await c.get(path, params={"code": "TEN-OFF"})
    assert [p["name"] for p in listed.json()["data"]] == ["Ten off"]
    assert (await c.delete(path)).status_code == 422
    refused = await c.delete(path, params={"id:in": f"{coupon_id},{auto_id}"})
    assert refused.status_code == 422  # the coupon promotion still has codes
    assert (await c.get(one)).status_code == 200
    assert (await c.get(f"{path}/{auto_id}")).status_code == 404
    assert (await c.delete(f"{codes}/{extra}")).status_code == 204
    assert (await c.delete(codes)).status_code == 422
    assert (await c.delete(codes, params={"code": "TEN-OFF"})).status_code == 422  # id:in required
    code_id = code.json()["data"]["id"]
    # `code` narrows `id:in`: another code's id deletes nothing
    assert (await c.delete(codes, params={"id:in": code_id, "code": "OTHER"})).status_code == 204
    assert [x["code"] for x in (await c.get(codes)).json()["data"]] == ["TEN-OFF"]
    assert (await c.delete(codes, params={"id:in": code_id, "code": "TEN-OFF"})).status_code == 204
    assert (await c.get(codes)).json()["data"] == []
    assert (await c.delete(f"{path}/codes", params={"code": "NONE"})).status_code == 204
    assert (await c.delete(one)).status_code == 204
    assert (await c.delete(f"{path}/{bulk_id}")).status_code == 204


async def _exercise_inventory(c: httpx.AsyncClient, pid: int) -> None:
    """Inventory locations by code, stock per location and SKU: adjustments and settings."""
    path = "/v3/inventory/locations"
    variant = (await c.get(f"/v3/catalog/products/{pid}/variants")).json()["data"][0]
    sku = variant["sku"]
    address = {
        "address1": "1 Main St",
        "city": "Austin",
        "state": "Texas",
        "zip": "78701",
        "email": "store@example.com",
        "geo_coordinates": {"latitude": 30.2, "longitude": -97.7},
        "country_code": "US",
    }
    created = await c.post(
        path, json=[{"code": "AUS", "label": "Austin", "address": address, "type_id": "PHYSICAL"}]
    )
    assert created.status_code == 200, created.text
    assert "transaction_id" in created.json()
    assert (await c.post(path, json=[{"code": "AUS", "label": "Again"}])).status_code == 422
    assert (await c.post(path, json=[{"label": "No code"}])).status_code == 422
    queries = [
        {"location_code:in": "AUS", "location_id:in": "1,2,3", "page": 1, "limit": 5},
        {"is_default": "false", "type_id:in": "PHYSICAL", "is_active": "true"},
        {"managed_by_external_source": "false", "storefront_visibility": "true"},
    ]
    for query in queries:
        assert (await c.get(path, params=query)).status_code == 200, query
    austin = (await c.get(path, params={"location_code:in": "AUS"})).json()["data"][0]
    assert (await c.put(path, json=[{"id": austin["id"], "label": "Austin TX"}])).status_code == 200
    absolute = {
        "reason": "count",
        "items": [{"location_id": austin["id"], "sku": sku, "quantity": 7}],
    }
    assert (await c.put("/v3/inventory/adjustments/absolute", json=absolute)).status_code == 200
    relative = {"items": [{"location_id": 1, "variant_id": variant["id"], "quantity": 2}]}
    assert (await c.post("/v3/inventory/adjustments/relative", json=relative)).status_code == 200
    bad = {"items": [{"location_id": 999999, "sku": sku, "quantity": 1}]}
    assert (await c.put("/v3/inventory/adjustments/absolute", json=bad)).status_code == 422
    items = f"{path}/{austin['id']}/items"
    settings = {"settings": [{"identity": {"sku": sku}, "safety_stock": 2, "warning_level": 1}]}
    assert (await c.put(items, json=settings)).status_code == 200
    empty = {"settings": [{"identity": {"sku": sku}}]}
    assert (await c.put(items, json=empty)).status_code == 422
    held = (await c.get(items, params={"sku:in": sku, "page": 1, "limit": 10})).json()["data"]
    assert held[0]["total_inventory_onhand"] == 7
    assert held[0]["available_to_sell"] == 5
    for query in ({"variant_id:in": variant["id"]}, {"product_id:in": pid}):
        assert (await c.get(items, params=query)).status_code == 200
    assert (await c.get(f"{path}/999999/items")).status_code == 404
    every = await c.get(
        "/v3/inventory/items",
        params={"sku:in": sku, "location_id:in": f"1,{austin['id']}", "page": 1, "limit": 5},
    )
    (item,) = every.json()["data"]
    assert [at["total_inventory_onhand"] for at in item["locations"]] == [2, 7]
    for query in (
        {"variant_id:in": variant["id"], "product_id:in": pid},
        {"location_code:in": "AUS"},
    ):
        assert (await c.get("/v3/inventory/items", params=query)).status_code == 200
    assert (await c.delete(path, params={"location_id:in": "1"})).status_code == 422
    assert (await c.delete(path, params={"location_id:in": "999999"})).status_code == 404
    assert (await c.delete(path, params={"location_id:in": austin["id"]})).status_code == 200


async def _exercise_price_list_assignments(c: httpx.AsyncClient, price_list: int) -> None:
    """A price list assigned to a customer group on a channel, or to a channel alone."""
    path = "/v3/pricelists/assignments"
    group = (await c.post("/v2/customer_groups", json={"name": "Trade"})).json()["id"]
    batch = [
        {"price_list_id": price_list, "customer_group_id": group, "channel_id": 1},
        {"price_list_id": price_list, "channel_id": 1},
    ]
    created = await c.post(path, json=batch)
    assert created.status_code == 200, created.text
    assert (await c.post(path, json=batch * 13)).status_code == 422  # at most 25
    listed = (await c.get(path, params={"price_list_id": price_list})).json()["data"]
    assert sorted(a.get("customer_group_id", 0) for a in listed) == [0, group]
    for query in (
        {"id": listed[0]["id"], "customer_group_id": group, "channel_id": 1, "page": 1, "limit": 5},
        {"id:in": listed[0]["id"], "price_list_id:in": price_list, "channel_id:in": "1"},
        {"customer_group_id:in": group},
    ):
        assert (await c.get(path, params=query)).status_code == 200, query
    upserted = await c.put(
        f"/v3/pricelists/{price_list}/assignments",
        json={"customer_group_id": group, "channel_id": 1},
    )
    assert upserted.json()["data"]["id"] in {a["id"] for a in listed}
    missing = {"customer_group_id": 999999, "channel_id": 1}
    assert (
        await c.put(f"/v3/pricelists/{price_list}/assignments", json=missing)
    ).status_code == 404
    for query in (
        {"id": listed[0]["id"]},
        {"price_list_id": price_list, "customer_group_id": group, "channel_id": 1},
        {"channel_id:in": "1"},
    ):
        assert (await c.delete(path, params=query)).status_code == 204
    assert (await c.get(path)).json()["data"] == []


async def _exercise_customers(c: httpx.AsyncClient) -> None:
    """v3 customers with addresses, attribute values, form field values and store credit."""
    path = "/v3/customers"
    attributes = await c.post(
        f"{path}/attributes",
        json=[{"name": "Shoe size", "type": "number"}, {"name": "Tier", "type": "string"}],
    )
    assert attributes.status_code == 200, attributes.text
    size, tier = (a["id"] for a in attributes.json()["data"])
    group = (await c.post("/v2/customer_groups", json={"name": "Members"})).json()["id"]
    jane = {
        "email": "jane@example.com",
        "first_name": "Jane",
        "last_name": "Doe",
        "phone": "555-0100",
        "customer_group_id": group,
        "addresses": [
            {
                "first_name": "Jane",
                "last_name": "Doe",
                "address1": "1 Main Street",
                "city": "Austin",
                "country_code": "US",
                "form_fields": [{"name": "Gate code", "value": "1234"}],
            }
        ],
        "attributes": [{"attribute_id": size, "attribute_value": "38"}],
        "form_fields": [{"name": "Licence", "value": "L-1"}],
        "store_credit_amounts": [{"amount": 12.5}],
        "authentication": {"new_password": "s3cret-Passw0rd"},
        "trigger_account_created_notification": False,
    }
    created = await c.post(path, json=[jane, {**jane, "email": "john@example.com"}])
    assert created.status_code == 200, created.text
    ids = [customer["id"] for customer in created.json()["data"]]
    assert "s3cret" not in created.text
    assert (await c.post(path, json=[jane])).status_code == 422  # emails are unique
    assert (await c.post(path, json=[jane] * 11)).status_code == 413
    include = "addresses,storecredit,attributes,formfields"
    listed = await c.get(path, params={"include": include, "id:in": ids[0]})
    (full,) = listed.json()["data"]
    assert full["store_credit_amounts"] == [{"amount": 12.5}]
    assert full["addresses"][0]["form_fields"] == [
        {"name": "Gate code", "value": "1234", "address_id": full["addresses"][0]["id"]}
    ]
    queries = [
        {"email:in": "jane@example.com", "name:in": "jane doe", "name:like": "doe"},
        {"company:in": "", "customer_group_id:in": group, "phone:in": "555-0100"},
        {"registration_ip_address:in": "", "sort": "last_name:desc", "page": 1, "limit": 5},
        {"date_created": "2020-01-01", "date_created:min": "2020", "date_created:max": "2100"},
        {"date_modified": "2020-01-01", "date_modified:min": "2020", "date_modified:max": "2100"},
    ]
    for query in queries:
        assert (await c.get(path, params=query)).status_code == 200, query
    update = [
        {"id": ids[1], "first_name": "John", "authentication": {"force_password_reset": True}}
    ]
    assert (await c.put(path, json=update)).status_code == 200
    address = full["addresses"][0]["id"]
    addresses = f"{path}/addresses"
    more = {**jane["addresses"][0], "customer_id": ids[1], "address1": "2 Side Road"}  # type: ignore[dict-item]
    added = (await c.post(addresses, json=[more])).json()["data"][0]["id"]
    assert (await c.put(addresses, json=[{"id": added, "city": "Dallas"}])).status_code == 200
    for query in (
        {"customer_id:in": ids[1], "include": "formfields", "page": 1, "limit": 5},
        {"id:in": added, "company:in": "", "name:in": "jane doe"},
    ):
        assert (await c.get(addresses, params=query)).status_code == 200, query
    assert (await c.delete(addresses, params={"id:in": added})).status_code == 204
    values = f"{path}/attribute-values"
    upsert = [{"customer_id": ids[1], "attribute_id": tier, "value": "Gold"}]
    value_id = (await c.put(values, json=upsert)).json()["data"][0]["id"]
    for query in (
        {"customer_id:in": ids[1], "attribute_id:in": tier, "name": "Tier", "page": 1},
        {"date_created": "2020-01-01", "date_created:min": "2020", "date_created:max": "2100"},
        {"date_modified": "2020-01-01", "date_modified:min": "2020", "date_modified:max": "2100"},
        {"limit": 5},
    ):
        assert (await c.get(values, params=query)).status_code == 200, query
    assert (await c.delete(values, params={"id:in": value_id})).status_code == 204
    forms = f"{path}/form-field-values"
    written = [
        {"customer_id": ids[1], "name": "Licence", "value": "L-2"},
        {"address_id": address, "name": "Gate code", "value": "4321"},
    ]
    assert (await c.put(forms, json=written)).status_code == 200
    for query in (
        {"customer_id": ids[1], "field_name": "Licence", "page": 1, "limit": 5},
        {"address_id": address},
    ):
        assert (await c.get(forms, params=query)).status_code == 200, query
    attributes_path = f"{path}/attributes"
    for query in (
        {"name": "Tier", "type": "string", "page": 1, "limit": 5},
        {"name:like": "T", "date_created": "2020-01-01", "date_modified": "2020-01-01"},
        {"date_created:min": "2020", "date_created:max": "2100"},
        {"date_modified:min": "2020", "date_modified:max": "2100"},
    ):
        assert (await c.get(attributes_path, params=query)).status_code == 200, query
    renamed = await c.put(attributes_path, json=[{"id": tier, "name": "Level"}])
    assert renamed.status_code == 200
    assert (await c.delete(attributes_path, params={"id:in": tier})).status_code == 204
    assert (await c.delete(path, params={"id:in": ",".join(map(str, ids))})).status_code == 204
    assert (await c.get(path)).json()["data"] == []


async def _exercise_widget_templates(c: httpx.AsyncClient, page: int) -> None:
    """Widget templates (with versions and a preview) and a page's Page Builder layout."""
    path = "/v3/content/widget-templates"
    created = await c.post(
        path,
        json={
            "name": "Banner",
            "template": "<h1>{{title}}</h1>",
            "schema": [{"type": "hidden", "settings": [{"type": "input", "id": "title"}]}],
        },
    )
    assert created.status_code == 200, created.text
    uid = created.json()["data"]["uuid"]
    bad = await c.post(path, json={"name": "Bad", "template": "x", "schema": [{"type": "x"}]})
    assert bad.status_code == 422
    assert (await c.get(path, params={"widget_template_kind": "custom", "limit": 5})).is_success
    assert (await c.get(path, params={"channel_id:in": "1", "page": 1})).is_success
    assert (await c.get(f"{path}/{uid}", params={"version_uuid": uid})).is_success
    assert (await c.get(f"{path}/{uid}x")).status_code == 404
    assert (
        await c.put(
            f"{path}/{uid}", json={"template": "<h2>{{title}}</h2>", "create_new_version": True}
        )
    ).is_success
    preview = await c.post(f"{path}/{uid}/preview", json={"widget_configuration": {"title": "Hi"}})
    assert preview.json()["data"]["html"] == "<h2>Hi</h2>"
    widget = {"type": "widget", "widget_template_uuid": uid, "configuration": {"title": "Sale"}}
    layout = {"channel_id": 1, "template_file": "pages/page", "entity_id": str(page)}
    published = await c.post(
        "/v3/content/page-widgets",
        json={**layout, "regions": [{"name": "page_builder_content", "children": [widget]}]},
    )
    assert published.status_code == 204, published.text
    too_many = [{"name": "page_builder_content", "children": [widget] * 151}]
    assert (
        await c.post("/v3/content/page-widgets", json={**layout, "regions": too_many})
    ).status_code == 422
    got = await c.get("/v3/content/page-widgets", params=layout)
    assert got.json()["data"]["regions"][0]["children"][0]["widget_template_uuid"] == uid
    assert (await c.delete(f"{path}/{uid}")).status_code == 422  # a page uses it
    await c.post("/v3/content/page-widgets", json={**layout, "regions": []})
    assert (await c.delete(f"{path}/{uid}")).status_code == 204


async def _exercise_widgets(c: httpx.AsyncClient, pid: int, page: int) -> None:
    """Widgets of a template, their placements, and the active theme's regions."""
    template = await c.post(
        "/v3/content/widget-templates", json={"name": "Note", "template": "<p>{{text}}</p>"}
    )
    tid = template.json()["data"]["uuid"]
    path = "/v3/content/widgets"
    made = await c.post(
        path,
        json={"name": "Sale note", "widget_template_uuid": tid, "widget_configuration": {"t": 1}},
    )
    assert made.status_code == 200, made.text
    widget = made.json()["data"]
    assert widget["widget_configuration"] == {"_": {"id": widget["uuid"]}, "t": 1}
    assert widget["widget_template"]["uuid"] == tid
    wid = widget["uuid"]
    assert (
        await c.post(path, json={"name": "x", "widget_template_uuid": "nope"})
    ).status_code == 422
    huge = {"text": "x" * 70_000}
    assert (
        await c.post(
            path, json={"name": "x", "widget_template_uuid": tid, "widget_configuration": huge}
        )
    ).status_code == 422
    for params in (
        {"widget_template_kind": "custom", "widget_template_uuid": tid, "page": 1, "limit": 5},
        {"name": "Sale note", "channel_id:in": "1", "site_id:in": "1000"},
        {"name:in": "Sale note,Other"},
    ):
        listed = await c.get(path, params=params)
        assert [w["uuid"] for w in listed.json()["data"]] == [wid], params
    assert (await c.get(path, params={"site_id:in": "1000,main"})).status_code == 422
    assert (await c.get(f"{path}/{wid}")).is_success
    assert (await c.get(f"{path}/{wid}x")).status_code == 404
    changed = await c.put(f"{path}/{wid}", json={"description": "On sale", "upgrade": True})
    assert changed.json()["data"]["description"] == "On sale"
    places = "/v3/content/placements"
    placed = await c.post(
        places,
        json={
            "widget_uuid": wid,
            "template_file": "pages/product",
            "entity_id": str(pid),
            "region": "product_below_price",
            "sort_order": 1,
            "status": "active",
        },
    )
    assert placed.status_code == 200, placed.text
    placement = placed.json()["data"]
    assert placement["widget"]["uuid"] == wid
    bad = {"widget_uuid": wid, "template_file": "pages/home", "entity_id": str(pid)}
    assert (await c.post(places, json=bad)).status_code == 422  # home has no entity
    ghost = {"widget_uuid": wid, "template_file": "pages/product", "entity_id": "999999"}
    assert (await c.post(places, json=ghost)).status_code == 422
    custom = {"widget_uuid": wid, "template_file": "pages/custom/page/landing", "entity_id": page}
    other = await c.post(places, json={**custom, "entity_id": str(page)})
    assert other.status_code == 200, other.text
    for params in (
        {"widget_template_kind": "custom", "template_file": "pages/product", "limit": 5, "page": 1},
        {
            "widget_uuid": wid,
            "widget_template_uuid": tid,
            "channel_id:in": "1",
            "site_id:in": "1000",
        },
    ):
        assert (await c.get(places, params=params)).json()["meta"]["pagination"]["total"] >= 1
    pid_ = placement["uuid"]
    assert (await c.get(f"{places}/{pid_}")).is_success
    assert (await c.get(f"{places}/{pid_}x")).status_code == 404
    moved = await c.put(f"{places}/{pid_}", json={"sort_order": 3, "status": "inactive"})
    assert moved.json()["data"]["sort_order"] == 3
    assert (await c.delete(f"{places}/{pid_}")).status_code == 204
    assert (await c.delete(f"{places}/{pid_}")).status_code == 404
    regions = await c.get("/v3/content/regions", params={"template_file": "pages/product"})
    assert regions.json()["data"] == [{"name": "product_top"}, {"name": "product_below_price"}]
    custom_file = {"template_file": "pages/custom/product/sale", "channel_id": "1"}
    assert (await c.get("/v3/content/regions", params=custom_file)).json()["data"] == [
        {"name": "sale_top"}
    ]
    assert (
        await c.get("/v3/content/regions", params={"template_file": "pages/x"})
    ).status_code == 404
    assert (await c.get("/v3/content/regions")).status_code == 422
    assert (await c.delete(f"/v3/content/widget-templates/{tid}")).status_code == 422  # in use
    assert (await c.delete(f"{path}/{wid}")).status_code == 204  # with its placements
    assert (await c.get(places, params={"widget_uuid": wid})).json()["data"] == []
    assert (await c.delete(f"/v3/content/widget-templates/{tid}")).status_code == 204


async def _exercise_redirect_jobs(c: httpx.AsyncClient, pid: int) -> None:
    """A CSV import of redirects (a bad row fails alone), an export, their jobs and events."""
    domain = (await c.get("/v2/store")).json()["domain"]
    csv_text = (
        "Domain,Old Path,Manual URL/Path,Dynamic Target Type,Dynamic Target ID\n"
        f"{domain},/imported,/somewhere,,\n"
        f"{domain},/imported-product,,Product,{pid}\n"
        f"{domain},/ghost,,Product,999999\n"
        "elsewhere.example.test,/other,/x,,\n"
    )
    base = "/v3/storefront/redirects/imex"
    started = await c.post(f"{base}/import", files={"import_file": ("r.csv", csv_text.encode())})
    assert started.status_code == 201, started.text
    job_id = started.json()["id"]
    events = await c.get(f"{base}/import/{job_id}/events")
    assert events.headers["content-type"].startswith("text/event-stream")
    message = json.loads(events.text.split("data: ", 1)[1])
    assert message["status"] == "complete"
    assert (message["completed_items"], message["failed_items"]) == (2, 2)
    assert [e["row"] for e in message["errors"]] == [4, 5]
    listed = await c.get(
        f"{base}/jobs", params={"id": job_id, "type": "import", "status": "complete"}
    )
    assert [j["id"] for j in listed.json()["data"]] == [job_id]
    assert (await c.get(f"{base}/jobs", params={"limit": 5, "page": 1})).is_success
    redirects = (await c.get("/v3/storefront/redirects")).json()["data"]
    imported = {r["from_path"]: r["to"] for r in redirects}
    assert imported["/imported-product"] == {"type": "product", "entity_id": pid}
    export = await c.post(
        f"{base}/export", json={"site_id": 1000, "include_dynamic_target_urls": True}
    )
    assert export.status_code == 201, export.text
    export_id = export.json()["id"]
    assert (await c.get(f"{base}/export/{export_id}/events")).is_success
    download = await c.get(f"{base}/export/{export_id}/download")
    assert download.headers["content-type"].startswith("text/csv")
    lines = download.text.splitlines()
    assert lines[0].endswith(",Dynamic Target URL")
    assert f"{domain},/imported-product,,Product,{pid}," in "\n".join(lines)
    nothing = await c.post(f"{base}/export", json={"redirect_ids": [999999]})
    assert nothing.status_code == 409
    assert (await c.post(f"{base}/import", json={})).status_code == 400
    assert (await c.get(f"{base}/export/{job_id}/download")).status_code == 404  # an import
    assert (await c.get(f"{base}/import/{export_id}/events")).status_code == 404


async def _exercise_template_associations(c: httpx.AsyncClient, pid: int, page: int) -> None:
    """A theme's custom templates, and associations to them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("config.json", json.dumps({"name": "Custom"}))
        bundle.writestr(
            "templates/pages/custom/product/sale.html",
            '{{product.title}} {{{region name="sale_top"}}}',
        )
        bundle.writestr(
            "templates/pages/product.html",
            '{{{region name="product_top"}}} {{{ region name="product_below_price" }}}',
        )
        bundle.writestr("templates/pages/custom/page/landing.html", "{{page.title}}")
    upload = await c.post("/v3/themes", files={"file": ("t.zip", buffer.getvalue())})
    job = await wait_for_job(c, upload.json()["job_id"])
    theme = (await c.get(f"/v3/themes/{job['result']['theme_id']}")).json()["data"]
    activate = {"variation_id": theme["variations"][0]["uuid"], "which": "original"}
    assert (await c.post("/v3/themes/actions/activate", json=activate)).status_code == 204
    templates = (await c.get(f"/v3/themes/custom-templates/{theme['uuid']}")).json()["data"]
    assert templates["product"] == ["sale.html"]
    path = "/v3/storefront/custom-template-associations"
    bound = [
        {"channel_id": 1, "entity_type": "product", "entity_id": pid, "file_name": "sale.html"},
        {"channel_id": 1, "entity_type": "page", "entity_id": page, "file_name": "gone.html"},
    ]
    assert (await c.put(path, json=bound)).status_code == 200
    bad = [{"channel_id": 1, "entity_type": "brand", "entity_id": 999999, "file_name": "b.html"}]
    assert (await c.put(path, json=bad)).status_code == 422
    listed = (await c.get(path, params={"is_valid": "false", "channel_id": 1})).json()["data"]
    assert [a["file_name"] for a in listed] == ["gone.html"]
    params = {"type": "product", "entity_id:in": pid, "limit": 5, "page": 1}
    assert (await c.get(path, params=params)).status_code == 200
    assert (await c.delete(path, params={"type": "page", "entity_id:in": page})).status_code == 204
    ids = [a["id"] for a in (await c.get(path)).json()["data"]]
    assert (await c.delete(path, params={"id:in": ids[0], "channel_id": 1})).status_code == 204


async def test_every_endpoint_answers_in_the_shape_of_the_official_specs(
    recorded: tuple[httpx.AsyncClient, Conformance],
) -> None:
    client, recorder = recorded
    await _exercise(client)
    problems = [p for exchange in recorder.exchanges for p in recorder.problems(exchange)]
    print("\n".join(p[-900:] for p in problems))
    assert problems == []
    served = {(r.method, _shape(r.path.removeprefix("/v3").removeprefix("/v2"))) for r in ROUTES}
    exercised = {(method, _shape(path)) for method, path in recorder.endpoints()}
    untested = served - exercised
    assert untested == set()


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


@functools.cache
def _spec_paths() -> dict[str, dict[str, set[str]]]:
    """Every documented path: method -> its documented query parameters."""
    found: dict[str, dict[str, set[str]]] = {}
    spec_files = [
        *sorted((specs_dir() / "reference").rglob("*.yml")),
        *sorted((specs_dir() / "reference-lenient").rglob("*.yml")),
        *sorted((specs_dir() / "archive/rest-catalog").rglob("*.y*ml")),
    ]
    for path, methods in v2docs.documented(specs_dir()).items():
        for method, params in methods.items():
            found.setdefault(path, {}).setdefault(method, set()).update(params)
    for path, methods in v2docs.UNDOCUMENTED.items():  # served, though no page documents them
        found[path] = methods
    for spec_file in spec_files:
        spec = yaml.load(
            spec_file.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        )
        server = (spec.get("servers") or [{}])[0].get("url", "")
        version = "/v2" if server.endswith("/v2") else "/v3"  # v2 and v3 share paths (/customers)
        for path, item in (spec.get("paths") or {}).items():
            methods = found.setdefault(version + path, {})
            shared = item.get("parameters") or []
            for method, operation in item.items():
                if method in ("get", "put", "post", "delete", "patch"):
                    params = [
                        _resolve(spec, p) for p in shared + (operation.get("parameters") or [])
                    ]
                    methods[method.upper()] = {p["name"] for p in params if p.get("in") == "query"}
    return found


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        for part in node["$ref"].removeprefix("#/").split("/"):
            spec = spec[part]
        node = spec  # type: ignore[assignment]
    return node


def _documented(path: str, paths: dict[str, dict[str, set[str]]]) -> dict[str, set[str]]:
    shape = re.sub(r"\{[^}]+\}", "{}", path)
    return next(
        (methods for p, methods in paths.items() if re.sub(r"\{[^}]+\}", "{}", p) == shape), {}
    )


def test_every_documented_method_of_every_served_path_is_served() -> None:
    paths = _spec_paths()
    served: dict[str, set[str]] = {}
    for route in ROUTES:
        served.setdefault(route.path, set()).add(route.method)
    missing = {
        (method, path)
        for path, methods in served.items()
        for method in _documented(path, paths)
        if method not in methods
    }
    assert missing == set()
    assert all(_documented(path, paths) for path in served), "a served path is in no spec"


def test_every_documented_query_parameter_is_honoured_or_refused_by_name() -> None:
    paths = _spec_paths()
    unknown = {
        (route.method, route.path, name)
        for route in ROUTES
        for name in _documented(route.path, paths).get(route.method, set())
        if name not in route.parameters()
    }
    assert unknown == set()
