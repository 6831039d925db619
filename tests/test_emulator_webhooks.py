"""Webhooks as an app sees them: hooks managed through `/v3/hooks`, callbacks POSTed to a real local
HTTP receiver with the hook's headers and the documented payload, retried, then deactivated."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from controller.emulator import Emulator, EmulatorThread, WebhookSettings
from tests.conftest import PROD_TOKEN
from tests.support.waiting import wait_until


@dataclass
class Callback:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Receiver:
    """A destination on loopback: records every callback, answers the queued statuses (then 200)."""

    url: str
    callbacks: list[Callback] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def scopes(self) -> list[str]:
        with self.lock:
            return [c.body["scope"] for c in self.callbacks]

    def received(self) -> list[Callback]:
        with self.lock:
            return list(self.callbacks)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with state.lock:
                state.callbacks.append(Callback(self.path, dict(self.headers), body))
                status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


FAST = WebhookSettings(retry_intervals=(0.05, 0.1, 0.1), timeout_s=5)


@pytest.fixture
def store() -> Iterator[httpx.Client]:
    emulator = Emulator(quota=0, webhooks=FAST)
    emulator.add_store("production", PROD_TOKEN)
    with (
        EmulatorThread(emulator) as running,
        httpx.Client(
            base_url=running.store_url("production") + "/v3",
            headers={"X-Auth-Token": PROD_TOKEN},
            timeout=10,
        ) as client,
    ):
        yield client


def hook(client: httpx.Client, scope: str, destination: str, **extra: Any) -> dict[str, Any]:
    response = client.post("/hooks", json={"scope": scope, "destination": destination, **extra})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def product(client: httpx.Client, name: str, **extra: Any) -> dict[str, Any]:
    body = {"name": name, "type": "physical", "price": 10, "weight": 1, **extra}
    response = client.post("/catalog/products", json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def test_a_price_change_is_posted_with_the_hooks_headers_and_the_documented_payload(
    store: httpx.Client, receiver: Receiver
) -> None:
    made = product(store, "Trail Runner", sku="TR-1")
    created = hook(store, "store/product/updated", receiver.url, headers={"X-Secret": "s3cr3t"})
    assert created["is_active"] is True
    assert created["headers"] == {"X-Secret": "s3cr3t"}
    assert store.put(f"/catalog/products/{made['id']}", json={"price": 12}).status_code == 200
    callback = wait_until("the callback", lambda: receiver.received())[0]
    assert callback.path == "/hooks"
    assert callback.headers["X-Secret"] == "s3cr3t"
    assert callback.headers["Content-Type"] == "application/json"
    body = callback.body
    assert body["scope"] == "store/product/updated"
    assert body["data"] == {"type": "product", "id": made["id"]}
    assert body["producer"] == "stores/production"
    v2 = str(store.base_url).rstrip("/").removesuffix("/v3") + "/v2/store"
    store_info = httpx.get(v2, headers={"X-Auth-Token": PROD_TOKEN}).json()
    assert body["store_id"] == str(store_info["store_id"])
    assert isinstance(body["created_at"], int)
    assert len(body["hash"]) == 40


def test_each_documented_catalog_event_reaches_a_wildcard_hook(
    store: httpx.Client, receiver: Receiver
) -> None:
    hook(store, "store/*", receiver.url)
    category = store.post("/catalog/categories", json={"name": "Shoes", "parent_id": 0}).json()
    category_id = category["data"]["id"]
    made = product(
        store,
        "Boot",
        variants=[{"sku": "B-1", "option_values": [{"option_display_name": "Size", "label": "9"}]}],
    )
    variant_id = made["variants"][0]["id"]
    store.put(f"/catalog/products/{made['id']}", json={"inventory_level": 4})
    store.put(f"/catalog/products/{made['id']}/variants/{variant_id}", json={"inventory_level": 2})
    store.put(f"/catalog/categories/{category_id}", json={"description": "All shoes"})
    store.delete(f"/catalog/products/{made['id']}")
    store.delete(f"/catalog/categories/{category_id}")
    expected = {
        "store/category/created",
        "store/product/created",
        "store/sku/created",
        "store/product/updated",
        "store/product/inventory/updated",
        "store/sku/updated",
        "store/sku/inventory/updated",
        "store/category/updated",
        "store/product/deleted",
        "store/category/deleted",
    }
    wait_until("every event", lambda: expected <= set(receiver.scopes()))
    by_scope = {c.body["scope"]: c.body["data"] for c in receiver.received()}
    assert by_scope["store/sku/created"] == {
        "type": "sku",
        "id": variant_id,
        "sku": {"product_id": made["id"], "variant_id": variant_id},
    }
    assert by_scope["store/sku/inventory/updated"]["inventory"]["value"] == 2
    assert by_scope["store/product/inventory/updated"]["inventory"] == {
        "product_id": made["id"],
        "method": "absolute",
        "value": 4,
    }
    assert by_scope["store/category/deleted"] == {"type": "category", "id": category_id}


def test_a_refused_write_sends_nothing_and_hooks_see_only_their_scope(
    store: httpx.Client, receiver: Receiver
) -> None:
    product(store, "Taken", sku="T-1")
    hook(store, "store/product/created", receiver.url)
    hook(store, "store/category/*", receiver.url)
    refused = store.post(
        "/catalog/products",
        json={"name": "Again", "type": "physical", "price": 1, "weight": 1, "sku": "t-1"},
    )
    assert refused.status_code == 409
    store.post("/catalog/brands", json={"name": "No event for brands"})
    made = product(store, "Fresh")
    store.put(f"/catalog/products/{made['id']}", json={"price": 3})
    wait_until("the created event", lambda: receiver.scopes())
    store.post("/catalog/categories", json={"name": "Marker", "parent_id": 0})
    wait_until("the marker", lambda: "store/category/created" in receiver.scopes())
    assert sorted(receiver.scopes()) == ["store/category/created", "store/product/created"]
    created = next(c for c in receiver.received() if c.body["scope"] == "store/product/created")
    assert created.body["data"]["id"] == made["id"]


def test_a_failed_callback_is_retried_until_the_destination_accepts_it(
    store: httpx.Client, receiver: Receiver
) -> None:
    receiver.statuses += [500, 503]
    hook(store, "store/product/created", receiver.url)
    product(store, "Retried")
    wait_until("the third attempt", lambda: len(receiver.received()) >= 3)
    attempts = receiver.received()
    assert len({a.body["hash"] for a in attempts}) == 1
    listed = store.get("/hooks").json()["data"]
    assert listed[0]["is_active"] is True


def test_a_hook_is_deactivated_after_its_last_retry_and_can_be_reactivated(
    store: httpx.Client, receiver: Receiver
) -> None:
    receiver.statuses += [500] * 4
    created = hook(store, "store/product/created", receiver.url)
    product(store, "Never accepted")
    wait_until(
        "the deactivation",
        lambda: store.get(f"/hooks/{created['id']}").json()["data"]["is_active"] is False,
    )
    assert len(receiver.received()) == 1 + len(FAST.retry_intervals)
    admin = store.get("/hooks/admin").json()["data"]
    assert [h["status"] for h in admin["hooks_list"]] == ["deactivated"]
    assert store.get("/hooks", params={"is_active": "true"}).json()["data"] == []
    product(store, "Not sent while inactive")
    reactivated = store.put(f"/hooks/{created['id']}", json={"is_active": True})
    assert reactivated.json()["data"]["is_active"] is True
    made = product(store, "Sent again")
    wait_until(
        "a delivery after reactivation",
        lambda: any(c.body["data"]["id"] == made["id"] for c in receiver.received()),
    )
    names = {c.body["data"]["id"] for c in receiver.received()}
    assert len(names) == 2


def test_hooks_are_listed_filtered_updated_and_deleted(
    store: httpx.Client, receiver: Receiver
) -> None:
    first = hook(store, "store/product/updated", receiver.url)
    second = hook(store, "store/category/created", "https://hooks.example.test/in", is_active=False)
    assert [h["id"] for h in store.get("/hooks").json()["data"]] == [first["id"], second["id"]]
    inactive = store.get("/hooks", params={"is_active": "false"}).json()["data"]
    assert [h["id"] for h in inactive] == [second["id"]]
    scoped = store.get("/hooks", params={"scope": "store/product/updated"}).json()["data"]
    assert [h["id"] for h in scoped] == [first["id"]]
    by_destination = store.get("/hooks", params={"destination": receiver.url}).json()["data"]
    assert [h["id"] for h in by_destination] == [first["id"]]
    changed = store.put(f"/hooks/{first['id']}", json={"headers": {"X-Key": "k"}})
    assert changed.json()["data"]["headers"] == {"X-Key": "k"}
    assert store.put(f"/hooks/{first['id']}", json={}).status_code == 422
    deleted = store.delete(f"/hooks/{first['id']}")
    assert deleted.status_code == 200
    assert deleted.json()["data"]["id"] == first["id"]
    assert store.get(f"/hooks/{first['id']}").status_code == 404
    assert store.put("/hooks/admin", json={"emails": ["ops@example.test"]}).status_code == 204
    assert store.get("/hooks/admin").json()["data"]["emails"] == ["ops@example.test"]


@pytest.mark.parametrize(
    "destination",
    ["http://hooks.example.test/in", "https://hooks.example.test:8443/in", "not a url"],
)
def test_destinations_must_be_https_on_port_443_except_on_loopback(
    store: httpx.Client, destination: str
) -> None:
    response = store.post(
        "/hooks", json={"scope": "store/product/created", "destination": destination}
    )
    assert response.status_code == 422
    assert "destination" in response.json()["errors"]


def test_a_domain_that_keeps_failing_is_blocklisted(receiver: Receiver) -> None:
    settings = WebhookSettings(
        retry_intervals=(30.0,), blocklist_min_requests=3, blocklist_s=60.0, timeout_s=5
    )
    emulator = Emulator(quota=0, webhooks=settings)
    emulator.add_store("production", PROD_TOKEN)
    receiver.statuses += [500] * 10
    with (
        EmulatorThread(emulator) as running,
        httpx.Client(
            base_url=running.store_url("production") + "/v3",
            headers={"X-Auth-Token": PROD_TOKEN},
        ) as client,
    ):
        hook(client, "store/product/created", receiver.url)
        for index in range(3):
            product(client, f"Failing {index}")
        wait_until("three failed callbacks", lambda: len(receiver.received()) == 3)
        blocked = wait_until(
            "the blocklisting",
            lambda: client.get("/hooks/admin").json()["data"]["blocked_domains"],
        )
        assert blocked[0]["destination"] == "127.0.0.1"
        assert 0 < blocked[0]["time_left"] <= 60
        assert blocked[0]["reasons"][0]["count"] == 3
