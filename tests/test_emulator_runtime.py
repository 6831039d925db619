"""Persistence, rate limits, injected faults and request statistics of the emulator."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from controller.emulator import Emulator, FaultConfig
from tests.conftest import PROD_TOKEN
from tests.support.waiting import wait_async

NEW_PRODUCT = {"name": "Kept", "type": "physical", "sku": "KEPT", "price": 3, "weight": 1}


def client_for(
    emulator: Emulator, hash_: str = "production", token: str = PROD_TOKEN
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=emulator.store_url(hash_) + "/v3", headers={"X-Auth-Token": token}
    )


async def test_stores_survive_a_restart_of_the_server(tmp_path: Path) -> None:
    path = str(tmp_path / "stores.db")
    first = Emulator(path, quota=0)
    first.add_store("production", PROD_TOKEN, timezone="Asia/Tokyo")
    async with first, client_for(first) as client:
        created = (await client.post("/catalog/products", json=NEW_PRODUCT)).json()["data"]
    first.db.close()
    second = Emulator(path, quota=0)
    async with second, client_for(second) as client:
        found = (await client.get(f"/catalog/products/{created['id']}")).json()["data"]
        store = (await client.get(second.store_url("production") + "/v2/store")).json()
    assert found["sku"] == "KEPT"
    assert store["timezone"]["name"] == "Asia/Tokyo"


async def test_quota_exhaustion_answers_429_with_the_documented_headers() -> None:
    emulator = Emulator(quota=3, window_ms=60_000)
    emulator.add_store("production", PROD_TOKEN)
    async with emulator, client_for(emulator) as client:
        answers = [await client.get("/catalog/products") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["X-Rate-Limit-Requests-Left"] for a in answers] == ["2", "1", "0", "0"]
    for answer in answers:
        assert answer.headers["X-Rate-Limit-Requests-Quota"] == "3"
        assert answer.headers["X-Rate-Limit-Time-Window-Ms"] == "60000"
        assert 0 < int(answer.headers["X-Rate-Limit-Time-Reset-Ms"]) <= 60_000
    assert int(answers[-1].headers["X-Retry-After"]) >= 1
    assert answers[-1].json()["status"] == 429
    stats = emulator.control("production").stats.to_json()
    assert stats["by_status"] == {"200": 3, "429": 1}


async def test_a_new_window_restores_the_quota() -> None:
    emulator = Emulator(quota=2, window_ms=200)
    emulator.add_store("production", PROD_TOKEN)
    async with emulator, client_for(emulator) as client:
        statuses = [(await client.get("/catalog/products")).status_code for _ in range(3)]
        reset_ms = int(
            (await client.get("/catalog/products")).headers["X-Rate-Limit-Time-Reset-Ms"]
        )
        await asyncio.sleep(reset_ms / 1000 + 0.05)  # the window itself is what is under test
        after = (await client.get("/catalog/products")).status_code
    assert statuses == [200, 200, 429]
    assert after == 200


async def test_injected_5xx_happen_at_the_configured_share_and_write_nothing(
    emulator: Emulator,
) -> None:
    emulator.control("production").faults.configure(FaultConfig(error_rate=0.3, seed=7))
    async with client_for(emulator) as client:
        statuses = [
            (
                await client.post(
                    "/catalog/products", json={**NEW_PRODUCT, "name": f"P{i}", "sku": f"S{i}"}
                )
            ).status_code
            for i in range(200)
        ]
        stored = (await client.get("/catalog/products", params={"limit": 250})).json()["meta"][
            "pagination"
        ]["total"]
    failures = [s for s in statuses if s >= 500]
    assert 40 <= len(failures) <= 80
    assert set(failures) <= {500, 502, 503, 504}
    assert stored == statuses.count(200)
    stats = emulator.control("production").stats.to_json()
    assert stats["total"] == 201
    assert stats["by_status"]["200"] == stored + 1  # the creates that succeeded, and the final list


async def test_faults_after_a_write_leave_the_write_applied(emulator: Emulator) -> None:
    emulator.control("production").faults.configure(FaultConfig(error_after_write_rate=1.0))
    async with client_for(emulator) as client:
        answer = await client.post("/catalog/products", json=NEW_PRODUCT)
        emulator.control("production").faults.configure(FaultConfig())
        found = (await client.get("/catalog/products", params={"sku": "KEPT"})).json()["data"]
    assert answer.status_code in (500, 502, 503, 504)
    assert [p["sku"] for p in found] == ["KEPT"]


async def test_the_fault_sequence_is_deterministic_for_a_seed(emulator: Emulator) -> None:
    async def run() -> list[int]:
        emulator.control("production").faults.configure(
            FaultConfig(error_rate=0.5, bare_429_rate=0.2, seed=42)
        )
        async with client_for(emulator) as client:
            return [(await client.get("/catalog/products")).status_code for _ in range(30)]

    first, second = await run(), await run()
    assert first == second
    assert len(set(first)) > 2


async def test_bare_429s_carry_no_rate_limit_headers(emulator: Emulator) -> None:
    emulator.control("production").faults.configure(FaultConfig(bare_429_rate=1.0))
    async with client_for(emulator) as client:
        answer = await client.get("/catalog/products")
    assert answer.status_code == 429
    assert not any(
        h.lower().startswith("x-rate-limit") or h.lower() == "x-retry-after" for h in answer.headers
    )


async def test_dropped_connections_reach_the_client_as_transport_errors(emulator: Emulator) -> None:
    emulator.control("production").faults.configure(FaultConfig(drop_rate=1.0))
    async with client_for(emulator) as client:
        with pytest.raises(httpx.TransportError):
            await client.get("/catalog/products")
    assert emulator.control("production").stats.dropped == 1


async def test_latency_and_slow_bodies_delay_the_answer(emulator: Emulator) -> None:
    emulator.control("production").faults.configure(FaultConfig(latency_ms=150, slow_body_ms=150))
    async with client_for(emulator) as client:
        loop = asyncio.get_running_loop()
        started = loop.time()
        answer = await client.get("/catalog/products")
        elapsed = loop.time() - started
    assert answer.status_code == 200
    assert answer.json()["data"] == []
    assert elapsed >= 0.3


async def test_a_store_held_after_some_writes_answers_again_when_the_faults_change(
    emulator: Emulator,
) -> None:
    async with (
        httpx.AsyncClient(base_url=emulator.url + "/__emulator") as admin,
        client_for(emulator) as client,
    ):
        refused = await admin.put("/stores/production/faults", json={"hold_after": {"POST": 1}})
        assert refused.status_code == 400
        held = {"hold_after": {"POST /v3/catalog/brands": 1}}
        assert (await admin.put("/stores/production/faults", json=held)).status_code == 200
        assert (await client.post("/catalog/brands", json={"name": "One"})).status_code == 200
        second = asyncio.create_task(client.post("/catalog/brands", json={"name": "Two"}))
        faults = emulator.control("production").faults
        await wait_async("the second write to be held", lambda: faults.held == 1)
        # reads and other endpoints' writes still pass
        assert (await client.get("/catalog/brands")).json()["meta"]["pagination"]["total"] == 1
        made = await client.post("/catalog/categories", json={"name": "Mugs", "parent_id": 0})
        assert made.status_code == 200
        await admin.put("/stores/production/faults", json={})
        with pytest.raises(httpx.TransportError):
            await second
        assert (await client.post("/catalog/brands", json={"name": "Two"})).status_code == 200


async def test_the_admin_api_sets_faults_and_reports_statistics(emulator: Emulator) -> None:
    async with (
        httpx.AsyncClient(base_url=emulator.url + "/__emulator") as admin,
        client_for(emulator) as client,
    ):
        refused = await admin.put("/stores/production/faults", json={"error_rate": 2})
        assert refused.status_code == 400
        assert (
            await admin.put(
                "/stores/production/faults", json={"error_rate": 1.0, "error_statuses": [503]}
            )
        ).status_code == 200
        assert (await client.get("/catalog/products")).status_code == 503
        await admin.put("/stores/production/faults", json={})
        await client.get("/catalog/brands")
        stats = (await admin.get("/stores/production/stats")).json()
        assert stats["by_endpoint"] == {
            "GET /v3/catalog/brands": {"200": 1},
            "GET /v3/catalog/products": {"503": 1},
        }
        assert stats["total"] == 2
        await admin.delete("/stores/production/stats")
        assert (await admin.get("/stores/production/stats")).json()["total"] == 0
        seeded = (
            await admin.post("/stores/sandbox/seed", json={"products": 5, "variants": 2})
        ).json()
        assert (seeded["products"], seeded["variants"]) == (5, 10)
        assert (await admin.post("/stores/sandbox/reset")).status_code == 204
        stores = {s["hash"]: s for s in (await admin.get("/stores")).json()}
        assert stores["sandbox"]["counts"]["products"] == 0


async def test_a_store_holds_at_most_twenty_themes(prod: httpx.AsyncClient) -> None:
    from tests.support.waiting import wait_for_job
    from tests.test_emulator_conformance import theme_zip

    base = str(prod.base_url).rstrip("/").removesuffix("/v3")
    async with httpx.AsyncClient(base_url=base, headers=dict(prod.headers)) as client:
        outcomes = []
        for index in range(20):
            upload = await client.post(
                "/v3/themes", files={"file": ("t.zip", theme_zip({"name": f"T{index}"}))}
            )
            outcomes.append((await wait_for_job(client, upload.json()["job_id"]))["status"])
        assert outcomes == ["COMPLETED"] * 20
        # The 21st is refused at once, by the title the Stencil CLI recognises
        refused = await client.post(
            "/v3/themes", files={"file": ("t.zip", theme_zip({"name": "T20"}))}
        )
        assert refused.status_code == 409
        assert refused.json()["title"].startswith("You have reached your upload limit")
        assert len((await client.get("/v3/themes")).json()["data"]) == 20


def test_the_command_serves_seeded_stores_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    db = tmp_path / "stores.db"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "controller",
            "emulator",
            "--port",
            "0",
            "--db",
            str(db),
            "--store",
            "production:secret",
            "--seed",
            "production=12",
            "--timezone",
            "production=Europe/Berlin",
            "--store",
            "legacy:old",
            "--seed-v2",
            "legacy=10",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert "listening on http://127.0.0.1:" in banner
        lines = [process.stdout.readline(), process.stdout.readline()]
        store_line = next(line for line in lines if "store production:" in line)
        assert any("store legacy:" in line and "10 products" in line for line in lines)
        assert "12 products" in store_line
        assert "Europe/Berlin" in store_line
        url = store_line.split(": ", 1)[1].split(" ")[0]
        answer = httpx.get(
            url + "/v3/catalog/products", headers={"X-Auth-Token": "secret"}, params={"limit": 5}
        )
        assert answer.json()["meta"]["pagination"]["total"] == 12
        legacy = url.replace("/production", "/legacy") + "/v2"
        counted = httpx.get(legacy + "/products/count", headers={"X-Auth-Token": "old"})
        assert counted.json() == {"count": 10}
        sets = httpx.get(legacy + "/option_sets", headers={"X-Auth-Token": "old"}).json()
        assert [s["name"] for s in sets] == ["Tees", "Mugs", "Hoodies"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    assert "emulator stopped" in (process.stdout.read() if process.stdout else "")


def test_bad_command_lines_are_one_clear_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "controller", "emulator", "--store", "nocolon"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == "error: --store 'nocolon': expected HASH:TOKEN"


async def test_seeding_from_a_catalog_directory_gives_a_store_in_sync_with_it() -> None:
    from controller.catalog.files import load_directory
    from controller.emulator.seed import seed_catalog
    from controller.engine import assess
    from controller.stores import BigCommerceStore, Token
    from tests.conftest import ROOT

    catalog = load_directory(ROOT / "examples" / "catalog")
    emulator = Emulator(quota=0)
    emulator.add_store("production", PROD_TOKEN)
    counts = seed_catalog(emulator.db, "production", catalog)
    assert (counts["products"], counts["brands"], counts["categories"]) == (30, 4, 19)
    async with emulator, BigCommerceStore(emulator.url, "production", Token(PROD_TOKEN)) as store:
        assert (await assess(store, catalog)).drift.in_sync
