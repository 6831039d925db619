"""Incremental observation against the emulator over HTTP: each change another writer can make
between two checks is found by the next one, at the cost of what changed."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from controller.access import AccessPolicy, SecretData
from controller.api.snapshot import GitSource
from controller.catalog.model import Catalog, CatalogInvalid
from controller.catalog.observed import ObservedCatalog
from controller.emulator import Emulator
from controller.engine import assess, sync
from controller.engine.observation import Mode, Observation, Observations
from controller.engine.snapshots import footprint, resolve_inline
from controller.engine.sync import compared_fields, managed_kinds
from controller.gitsource import GitCache
from controller.operator.webhooks import product_of
from controller.planner import Options, drift
from controller.reconcile.services import CatalogCache
from controller.standalone import services_for
from controller.stores import BigCommerceStore, Token
from tests.conftest import PROD_TOKEN
from tests.support.builders import desired
from tests.support.gitservers import Remote
from tests.support.manifests import access_to, binding
from tests.test_reconcilers import FakeWorld, products, reconcile

HOUR = 3600.0


def catalog(n: int = 30) -> Catalog:
    return desired(
        [
            {
                "sku": f"OBS-{i:03d}",
                "name": f"Observed {i}",
                "type": "physical",
                "price": 10 + i,
                "weight": 1,
                "categories": ["Gear"],
                "brand": "Acme",
                "variants": [
                    {
                        "sku": f"OBS-{i:03d}-{size}",
                        "option_values": [{"option_display_name": "Size", "label": size}],
                        "price": 11 + i,
                    }
                    for size in ("S", "M")
                ],
                "custom_fields": [{"name": "fabric", "value": "wool"}],
                "images": [f"https://pictures.example.test/{i}.jpg"],
            }
            for i in range(n)
        ],
        ["Gear"],
        ["Acme"],
    )


@pytest.fixture
async def prod(emulator: Emulator) -> AsyncIterator[BigCommerceStore]:
    async with BigCommerceStore(emulator.url, "production", Token(PROD_TOKEN)) as store:
        await sync(store, catalog())
        yield store


@pytest.fixture
async def other(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    """Another app writing to the store."""
    async with httpx.AsyncClient(
        base_url=f"{emulator.url}/stores/production/v3", headers={"X-Auth-Token": PROD_TOKEN}
    ) as client:
        yield client


async def product(other: httpx.AsyncClient, sku: str) -> dict[str, Any]:
    answer = await other.get("/catalog/products", params={"sku": sku, "include": "variants"})
    found: dict[str, Any] = answer.json()["data"][0]
    return found


async def checked(observation: Observation, store: BigCommerceStore) -> dict[str, Any]:
    """One refresh, compared with a full read: the same drift, and what the refresh cost."""
    now = datetime.now(UTC)
    observed = await observation.refresh(store, managed_kinds(catalog()), now=now, resync=HOUR)
    incremental = drift(catalog(), observed)
    full = drift(catalog(), await store.observe(managed_kinds(catalog())))
    assert incremental.counts == full.counts
    assert incremental.samples == full.samples
    return {"mode": observation.mode, "requests": observation.requests, "drift": incremental}


@pytest.fixture
async def observation(prod: BigCommerceStore) -> Observation:
    found = Observation()
    first = await checked(found, prod)
    assert first["mode"] is Mode.FULL
    assert first["drift"].in_sync
    return found


async def test_a_no_op_check_reads_only_what_changed(
    prod: BigCommerceStore, observation: Observation
) -> None:
    again = await checked(observation, prod)
    assert again["mode"] is Mode.INCREMENTAL
    assert again["drift"].in_sync
    # a count, products modified since, categories, brands: whatever the size (image sources are
    # asked only while an image has none)
    assert again["requests"] == 4


async def test_a_price_changed_with_no_event_is_found_by_the_next_check(
    prod: BigCommerceStore, observation: Observation, other: httpx.AsyncClient
) -> None:
    found = await product(other, "OBS-003")
    await other.put(f"/catalog/products/{found['id']}", json={"price": 99})
    report = (await checked(observation, prod))["drift"]
    assert report.samples == (("products", "OBS-003", "changed", ("price",)),)


async def test_a_deleted_product_is_found_by_counts(
    prod: BigCommerceStore, observation: Observation, other: httpx.AsyncClient
) -> None:
    found = await product(other, "OBS-017")
    assert (await other.delete(f"/catalog/products/{found['id']}")).status_code == 204
    result = await checked(observation, prod)
    assert result["drift"].counts["products"]["missing"] == 1
    assert result["requests"] <= 4 + 4  # the count fell short: a few counts of id ranges


async def test_a_deletion_hidden_by_a_creation_is_found(
    prod: BigCommerceStore, observation: Observation, other: httpx.AsyncClient
) -> None:
    found = await product(other, "OBS-005")
    await other.delete(f"/catalog/products/{found['id']}")
    body = {"sku": "NEW-1", "name": "Newcomer", "type": "physical", "price": 1, "weight": 1}
    assert (await other.post("/catalog/products", json=body)).status_code == 200
    counts = (await checked(observation, prod))["drift"].counts["products"]
    assert (counts["missing"], counts["extra"]) == (1, 1)


async def test_a_variant_change_is_found(
    prod: BigCommerceStore, observation: Observation, other: httpx.AsyncClient
) -> None:
    variant = (await product(other, "OBS-008"))["variants"][1]
    await other.put("/catalog/variants", json=[{"id": variant["id"], "price": 77}])
    report = (await checked(observation, prod))["drift"]
    assert report.samples == (("variants", "OBS-008/OBS-008-M", "changed", ("price",)),)


async def test_a_custom_field_change_is_found(
    prod: BigCommerceStore, observation: Observation, other: httpx.AsyncClient
) -> None:
    found = await product(other, "OBS-011")
    fields = (await other.get(f"/catalog/products/{found['id']}/custom-fields")).json()["data"]
    await other.put(
        f"/catalog/products/{found['id']}/custom-fields/{fields[0]['id']}",
        json={"value": "silk"},
    )
    report = (await checked(observation, prod))["drift"]
    assert report.counts["customFields"]["changed"] == 1


async def test_changes_in_the_same_second_as_a_check_are_found(
    prod: BigCommerceStore, observation: Observation, other: httpx.AsyncClient
) -> None:
    found = await product(other, "OBS-020")
    for price in (
        50,
        51,
        52,
    ):  # each change lands right after a check began, mostly within its second
        await other.put(f"/catalog/products/{found['id']}", json={"price": price})
        await checked(observation, prod)
        assert observation.observed is not None
        assert observation.observed.products["obs-020"].fields["price"] == price


async def test_products_named_by_events_are_read_in_any_order(
    prod: BigCommerceStore, observation: Observation, other: httpx.AsyncClient
) -> None:
    first, second = await product(other, "OBS-001"), await product(other, "OBS-002")
    await other.put(f"/catalog/products/{first['id']}", json={"price": 70})
    await other.delete(f"/catalog/products/{second['id']}")
    await other.put(f"/catalog/products/{first['id']}", json={"price": 71})
    # the events arrive late, out of order and twice: the store is read, not the events
    observation.pending.update([second["id"], first["id"], first["id"]])
    observed = await observation.refresh(
        prod, managed_kinds(catalog()), now=datetime.now(UTC), resync=HOUR, webhooks=True
    )
    assert observation.mode is Mode.WEBHOOKS
    assert observed.products["obs-001"].fields["price"] == 71
    assert "obs-002" not in observed.products


async def test_a_full_read_runs_at_the_resync_interval(
    prod: BigCommerceStore, observation: Observation
) -> None:
    later = datetime.now(UTC) + timedelta(hours=2)
    await observation.refresh(prod, managed_kinds(catalog()), now=later, resync=HOUR)
    assert observation.mode is Mode.FULL
    assert observation.full_at == later


async def test_what_a_sync_wrote_is_observed_with_its_image_sources(
    prod: BigCommerceStore, observation: Observation
) -> None:
    changed = desired(
        [{"sku": "OBS-004", "name": "Renamed", "images": ["https://pictures.example.test/n.jpg"]}]
    )
    await sync(prod, changed, Options(prune=True, allow_mass_delete=True))
    observed = await observation.refresh(
        prod, managed_kinds(catalog()), now=datetime.now(UTC), resync=HOUR
    )
    assert (await assess(prod, changed, observed=observed)).drift.in_sync
    images = observed.products["obs-004"].images
    assert [(i.image_url, i.sourced) for i in images] == [
        ("https://pictures.example.test/n.jpg", True)
    ]


async def test_the_environment_status_shows_how_the_store_was_observed(
    emulator: Emulator, tmp_path: Path, other: httpx.AsyncClient
) -> None:
    world = FakeWorld()
    world.secrets[("shop", "token")] = SecretData(
        {"token": PROD_TOKEN.encode()}, binding("production", emulator.url, "production")
    )
    world.put("CatalogSnapshot", "v1", {"source": {"inline": products("ENV-1", "ENV-2")}})
    world.put(
        "StoreEnvironment",
        "production",
        {
            "role": "production",
            "store": {
                "hash": "production",
                "apiUrl": emulator.url,
                "credentialsSecretRef": {"name": "token", "key": "token"},
            },
            "catalog": {"snapshotRef": {"name": "v1"}},
            "syncPolicy": {"mode": "sync", "fullResyncInterval": "6h"},
        },
    )
    services = services_for(world, tmp_path, access=access_to(emulator.url))
    await reconcile(world, services, world.read("CatalogSnapshot", "v1"))

    await reconcile(world, services, world.read("StoreEnvironment", "production"))
    first = world.read("StoreEnvironment", "production")["status"]
    assert first["observation"]["mode"] == "incremental"  # a full read, then the sync re-read
    assert first["drift"]["inSync"] is True
    full_at = first["observation"]["lastFullReadAt"]

    found = await product(other, "ENV-2")
    await other.put(f"/catalog/products/{found['id']}", json={"price": 3})
    env = world.read("StoreEnvironment", "production")
    env["spec"]["syncPolicy"]["mode"] = "observe"
    await reconcile(world, services, env)
    second = world.read("StoreEnvironment", "production")["status"]
    assert second["observation"] == {
        "mode": "incremental",
        "lastFullReadAt": full_at,
        "requests": 4,
    }
    assert second["drift"]["inSync"] is False
    spent = services.metrics.registry.get_sample_value(
        "stagingpro_observation_requests_total",
        {"namespace": "shop", "name": "production", "mode": "incremental"},
    )
    assert spent is not None
    assert spent >= 4


async def test_an_unchanged_store_in_sync_is_not_planned_again(
    prod: BigCommerceStore, other: httpx.AsyncClient
) -> None:
    observation, desired, options = Observation(), catalog(), Options()
    now = datetime.now(UTC)
    first = await observation.assess(prod, desired, options, now=now, resync=HOUR)
    assert first.drift.in_sync
    again = await observation.assess(prod, desired, options, now=now, resync=HOUR)
    assert again is first  # nothing changed: the same answer, no plan made
    found = await product(other, "OBS-002")
    await other.put(f"/catalog/products/{found['id']}", json={"price": 1})
    changed = await observation.assess(prod, desired, options, now=now, resync=HOUR)
    assert changed is not first
    assert not changed.drift.in_sync


def test_the_catalog_cache_is_bounded_in_bytes(tmp_path: Path) -> None:
    first, second = products(*(f"A-{i}" for i in range(50))), products("B-1")
    size = footprint(resolve_inline(first).catalog)
    roomy = CatalogCache(GitCache(tmp_path), max_bytes=size * 10)
    kept = roomy.from_inline(first)
    roomy.from_inline(second)
    assert roomy.from_inline(first) is kept
    tight = CatalogCache(GitCache(tmp_path), max_bytes=size)
    dropped = tight.from_inline(first)
    tight.from_inline(second)  # the newest stays; the older goes to make room
    assert tight.from_inline(first) is not dropped
    assert tight.size <= size * 2


async def test_a_product_created_without_an_event_is_found_by_the_count(
    prod: BigCommerceStore, observation: Observation, other: httpx.AsyncClient
) -> None:
    body = {"sku": "SILENT-1", "name": "Unannounced", "type": "physical", "price": 1, "weight": 1}
    assert (await other.post("/catalog/products", json=body)).status_code == 200
    observation.heard = True  # webhooks healthy, but this delivery was lost
    observed = await observation.refresh(
        prod, managed_kinds(catalog()), now=datetime.now(UTC), resync=HOUR, webhooks=True
    )
    assert observation.mode is Mode.WEBHOOKS
    assert "silent-1" in observed.products


async def test_environments_read_whole_stores_one_at_a_time() -> None:
    class Gated:
        """A store whose full reads wait for the gate."""

        requests, active, peak = 0, 0, 0

        def __init__(self) -> None:
            self.gate = asyncio.Event()

        async def store_clock(self) -> datetime:
            return datetime.now(UTC)

        async def observe(
            self, kinds: Any = None, *, fields: Any = None, like: Any = None
        ) -> ObservedCatalog:
            self.active += 1
            self.peak = max(self.peak, self.active)
            await self.gate.wait()
            self.active -= 1
            return ObservedCatalog()

    store, observations = Gated(), Observations(heavy=1)
    reads = [
        asyncio.create_task(
            observations.of("shop", name, "store").refresh(
                store,  # type: ignore[arg-type]
                managed_kinds(catalog()),
                now=datetime.now(UTC),
                resync=HOUR,
            )
        )
        for name in ("a", "b")
    ]
    for _ in range(5):
        await asyncio.sleep(0)  # let both start
    assert (store.active, store.peak) == (1, 1)
    store.gate.set()
    await asyncio.gather(*reads)
    assert store.peak == 1


async def test_an_image_source_recorded_later_is_read_by_the_next_check(
    emulator: Emulator, observation: Observation, other: httpx.AsyncClient
) -> None:
    found = await product(other, "OBS-003")
    url = "https://pictures.example.test/more/back.jpg"
    await other.post(f"/catalog/products/{found['id']}/images", json={"image_url": url})

    async def check() -> ObservedCatalog:  # as the operator's: a new client each time
        async with BigCommerceStore(emulator.url, "production", Token(PROD_TOKEN)) as client:
            return await observation.refresh(
                client, managed_kinds(catalog()), now=datetime.now(UTC), resync=HOUR
            )

    def back_image(observed: ObservedCatalog) -> tuple[str, bool]:
        [(source, sourced)] = [
            (i.image_url, i.sourced)
            for i in observed.products["obs-003"].images
            if i.image_url != "https://pictures.example.test/3.jpg"
        ]
        return source, sourced

    assert back_image(await check())[1] is False  # another app's image: known by its CDN URL
    # the image's product changed before what the next check reads (beyond the overlap) ...
    changed = datetime.fromisoformat((await product(other, "OBS-003"))["date_modified"])
    observation.since = changed + timedelta(seconds=1)
    # the store's clock has a second's resolution: let it pass that moment
    await asyncio.sleep((observation.since - datetime.now(UTC)).total_seconds() + 0.01)
    # ... and then StagingPro matched it to its source (an interrupted create of its own)
    async with BigCommerceStore(emulator.url, "production", Token(PROD_TOKEN)) as client:
        assert await client.claim_images(found["id"], [url]) != {}
    assert back_image(await check()) == (url, True)


async def test_a_catalog_without_images_reads_no_image_sources(
    emulator: Emulator, prod: BigCommerceStore
) -> None:
    plain = desired([{"sku": f"OBS-{i:03d}", "price": 10 + i} for i in range(30)])
    emulator.control("production").stats.reset()
    first = await Observation().assess(prod, plain, Options(), now=datetime.now(UTC), resync=HOUR)
    assert first.drift.in_sync
    by_endpoint = emulator.control("production").stats.to_json()["by_endpoint"]
    assert not [e for e in by_endpoint if "metafields" in e]


async def test_a_script_added_by_another_writer_is_found_by_the_next_check(
    prod: BigCommerceStore, other: httpx.AsyncClient
) -> None:
    scripted = dataclasses.replace(catalog(), scripts={})  # scripts managed: none wanted
    observation, options, now = Observation(), Options(), datetime.now(UTC)
    first = await observation.assess(prod, scripted, options, now=now, resync=HOUR)
    assert first.drift.in_sync
    script = {
        "name": "tracker",
        "src": "https://scripts.example.test/t.js",
        "kind": "src",
        "location": "footer",
        "visibility": "all_pages",
        "auto_uninstall": True,
        "load_method": "default",
        "consent_category": "analytics",
    }
    assert (await other.post("/content/scripts", json=script)).status_code == 200
    later = await observation.assess(prod, scripted, options, now=now, resync=HOUR)
    assert later.drift.counts["scripts"]["extra"] == 1


async def test_a_store_in_sync_is_held_as_the_catalog_s_own_values(
    prod: BigCommerceStore, other: httpx.AsyncClient
) -> None:
    wanted = catalog()
    observation = Observation()

    async def observe() -> ObservedCatalog:
        return await observation.refresh(
            prod,
            managed_kinds(wanted),
            fields=compared_fields(wanted),
            like=wanted,
            now=datetime.now(UTC),
            resync=HOUR,
        )

    observed = await observe()
    held, written = observed.products["obs-004"], wanted.products["obs-004"]
    assert held.fields is written.fields  # one copy of what is the same on both sides
    assert held.sku is written.sku
    assert held.images[0].image_url is written.images[0].image_url  # by its source, not its CDN URL
    assert {v.option_values for v in held.variants} <= {
        v.option_values for v in written.variants or ()
    }
    assert drift(wanted, observed).in_sync
    found = await product(other, "OBS-004")
    await other.put(f"/catalog/products/{found['id']}", json={"price": 99})
    observed = await observe()
    assert observation.mode is Mode.INCREMENTAL
    assert observed.products["obs-004"].fields["price"] == 99
    assert drift(wanted, observed).samples == (("products", "OBS-004", "changed", ("price",)),)


async def test_a_variant_change_named_by_its_sku_s_event_is_read_through_webhooks(
    prod: BigCommerceStore, observation: Observation, other: httpx.AsyncClient
) -> None:
    variant = (await product(other, "OBS-009"))["variants"][0]
    await other.put("/catalog/variants", json=[{"id": variant["id"], "price": 55}])
    event = {  # as the platform delivers store/sku/updated
        "scope": "store/sku/updated",
        "data": {
            "type": "sku",
            "id": variant["id"],
            "sku": {"product_id": variant["product_id"], "variant_id": variant["id"]},
        },
    }
    observation.heard = True
    observation.pending.add(product_of(event) or 0)
    observed = await observation.refresh(
        prod, managed_kinds(catalog()), now=datetime.now(UTC), resync=HOUR, webhooks=True
    )
    assert observation.mode is Mode.WEBHOOKS
    assert drift(catalog(), observed).samples == (
        ("variants", f"OBS-009/{variant['sku']}", "changed", ("price",)),
    )


async def test_a_change_whose_webhook_was_lost_is_found_by_the_resync(
    prod: BigCommerceStore, observation: Observation, other: httpx.AsyncClient
) -> None:
    found = await product(other, "OBS-012")
    fields = (await other.get(f"/catalog/products/{found['id']}/custom-fields")).json()["data"]
    await other.put(
        f"/catalog/products/{found['id']}/custom-fields/{fields[0]['id']}",
        json={"value": "linen"},
    )
    observation.heard = True  # webhooks healthy, but no delivery of this change arrives
    now = datetime.now(UTC)
    kinds = managed_kinds(catalog())
    await observation.refresh(prod, kinds, now=now, resync=HOUR, webhooks=True)
    assert observation.mode is Mode.WEBHOOKS
    observed = await observation.refresh(
        prod, kinds, now=now + timedelta(hours=1), resync=HOUR, webhooks=True
    )
    assert observation.mode is Mode.FULL
    assert drift(catalog(), observed).counts["customFields"]["changed"] == 1


async def test_environments_checked_at_once_share_one_load_of_their_catalog(
    tmp_path: Path,
) -> None:
    remote = Remote(tmp_path / "remotes")
    sha = remote.commit({"catalog/products.jsonl": '{"sku": "ONE-1", "name": "One"}\n'})
    cache = CatalogCache(GitCache(tmp_path / "cache", policy=AccessPolicy(allow_local_git=True)))
    source = GitSource(url=remote.url, ref="main", path="catalog")
    loads = await asyncio.gather(*(cache.from_git("shop", source, sha, None) for _ in range(5)))
    assert all(found.catalog is loads[0].catalog for found in loads)
    assert list(loads[0].catalog.products) == ["one-1"]


async def test_a_shared_load_whose_first_waiter_is_cancelled_leaves_no_failed_task(
    tmp_path: Path,
) -> None:
    """A check cancelled while its catalog loads (the operator stopping) leaves the load running for
    the others; an invalid catalog then fails only its waiters, never a task in the loop, which kopf
    would re-raise when the operator stops."""
    remote = Remote(tmp_path / "remotes")
    sha = remote.commit({"catalog/products.jsonl": '{"sku": "ONE-1", "price": "lots"}\n'})
    cache = CatalogCache(GitCache(tmp_path / "cache", policy=AccessPolicy(allow_local_git=True)))
    source = GitSource(url=remote.url, ref="main", path="catalog")
    first = asyncio.ensure_future(cache.from_git("shop", source, sha, None))
    second = asyncio.ensure_future(cache.from_git("shop", source, sha, None))
    await asyncio.sleep(0)  # both wait on the one load
    tasks = asyncio.all_tasks() - {asyncio.current_task(), first, second}
    first.cancel()
    with pytest.raises(CatalogInvalid, match="price"):
        await second
    assert first.cancelled()
    done, running = await asyncio.wait(tasks, timeout=30)
    assert running == set()
    assert [t.exception() for t in done if not t.cancelled()] == [None] * len(tasks)
