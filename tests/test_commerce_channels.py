"""Price list assignments and promotions name their channels by name (`default`: the first
storefront): written, captured, cloned into a sandbox and planned against stores whose channels
have other ids, over real HTTP against the emulator."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from controller.catalog.files import load_directory
from controller.catalog.kinds import Kind
from controller.catalog.model import CatalogInvalid
from controller.emulator import Emulator
from controller.engine import assess, sync
from controller.engine.apply import PlanRefused
from controller.engine.observation import Mode, Observation
from controller.planner import Options
from controller.stores import BigCommerceStore
from tests.conftest import PROD_TOKEN
from tests.test_commerce import TIERS, round_trip, with_tiers, write_catalog
from tests.test_customers import manifests, settle

EU = {"name": "EU", "type": "storefront", "platform": "bigcommerce", "status": "active"}
POS = {"name": "Counter", "type": "pos", "platform": "square", "status": "connected"}
ASSIGNMENTS = [
    {"price_list": "Trade prices", "customer_group": "Trade", "channel": "EU"},
    {"price_list": "Trade prices", "customer_group": "Trade"},  # the first storefront
    {"price_list": "Staff", "channel": "Counter"},
]
PROMOTION = {
    "name": "EU ten off",
    "redemption_type": "AUTOMATIC",
    "channels": ["EU", "default"],
    "rules": [{"action": {"cart_value": {"discount": {"fixed_amount": "10"}}}}],
}


def write_commerce(root: Path, channels: Any = (EU, POS), **files: Any) -> Path:
    """The customer groups and price lists of `test_commerce`, channels, and price list
    assignments and promotions naming them (`files`: other contents by file name)."""
    write_catalog(root)
    contents = {
        "channels.yaml": list(channels),
        "price-list-assignments.yaml": ASSIGNMENTS,
        "promotions.yaml": [PROMOTION],
        **files,
    }
    for name, content in contents.items():
        (root / name).write_text(yaml.safe_dump(content))
    return root


async def channel_ids(store: BigCommerceStore) -> dict[str, int]:
    observed = await store.observe({Kind.CHANNELS})
    return {c.name: c.id for c in (observed.channels or {}).values()}


async def used_channels(store: BigCommerceStore) -> tuple[set[tuple[str, int]], list[int]]:
    """(price list name, channel id) of each assignment, and the channel ids of the promotion."""
    observed = await store.observe({Kind.PRICE_LIST_ASSIGNMENTS, Kind.PROMOTIONS})
    lists = {p.id: p.name for p in (observed.price_lists or {}).values()}
    assigned = {
        (lists[a.price_list_id], a.channel_id)
        for a in (observed.price_list_assignments or {}).values()
    }
    (promotion,) = (observed.promotions or {}).values()
    return assigned, sorted(c["id"] for c in promotion.fields["channels"])


async def each_names_its_own_channels(*stores: BigCommerceStore) -> list[dict[str, int]]:
    """Each store's channel ids by name (other ids in each store), each store's assignments and
    promotion naming its own."""
    ids = [await channel_ids(store) for store in stores]
    assert ids[0]["EU"] != ids[1]["EU"]
    assert ids[0]["Counter"] != ids[1]["Counter"]
    for store, known in zip(stores, ids, strict=True):
        assigned, promoted = await used_channels(store)
        assert assigned == {
            ("Trade prices", known["EU"]),
            ("Trade prices", 1),
            ("Staff", known["Counter"]),
        }
        assert promoted == sorted([1, known["EU"]])
    return ids


async def test_channels_are_named_in_assignments_and_promotions_across_stores_with_other_ids(
    tmp_path: Path, stores: tuple[BigCommerceStore, BigCommerceStore]
) -> None:
    prod, sandbox = stores
    # the sandbox makes its channels in the other order: each has another id there
    write_commerce(tmp_path / "pos-first", (POS,), **{"price-list-assignments.yaml": []})
    (tmp_path / "pos-first" / "promotions.yaml").unlink()
    assert (await sync(sandbox, load_directory(tmp_path / "pos-first")))[1].errors == []
    source = write_commerce(tmp_path / "source")
    first, second = await round_trip(prod, sandbox, source, tmp_path)

    for name in ("price-list-assignments.yaml", "promotions.yaml"):
        assert (second / name).read_text() == (first / name).read_text(), name
    written = yaml.safe_load((second / "price-list-assignments.yaml").read_text())
    assert sorted(map(str, written)) == sorted(map(str, ASSIGNMENTS))
    (promotion,) = yaml.safe_load((second / "promotions.yaml").read_text())
    assert promotion["channels"] == ["default", "EU"]

    ids = await each_names_its_own_channels(prod, sandbox)
    checked = await assess(sandbox, load_directory(first), Options(prune=True))
    assert checked.plan.in_sync
    assert checked.drift.in_sync

    # moved to another channel: the assignment on the old one goes, one on the new one is made;
    # the promotion is updated in place
    moved = [{**ASSIGNMENTS[2], "channel": "EU"}, *ASSIGNMENTS[:2]]
    changed = write_commerce(
        tmp_path / "changed",
        **{
            "price-list-assignments.yaml": moved,
            "promotions.yaml": [{**PROMOTION, "channels": ["Counter"]}],
        },
    )
    options = Options(prune=True, allow_mass_delete=True)
    plan = (await assess(prod, load_directory(changed), options)).plan
    assert sorted((s.kind, s.action, s.key) for s in plan.steps) == [
        (Kind.PRICE_LIST_ASSIGNMENTS, "create", "Staff |  | EU"),
        (Kind.PRICE_LIST_ASSIGNMENTS, "delete", "Staff |  | Counter"),
        (Kind.PROMOTIONS, "update", "EU ten off"),
    ]
    assert (await sync(prod, load_directory(changed), options))[1].errors == []
    assigned, promoted = await used_channels(prod)
    assert ("Staff", ids[0]["EU"]) in assigned
    assert promoted == [ids[0]["Counter"]]
    assert (await assess(prod, load_directory(changed), options)).plan.in_sync


async def test_a_store_in_sync_stays_in_sync_at_the_next_incremental_check(
    tmp_path: Path, stores: tuple[BigCommerceStore, BigCommerceStore]
) -> None:
    prod, _ = stores
    desired = load_directory(write_commerce(tmp_path))
    assert (await sync(prod, desired))[1].errors == []
    observation, now = Observation(), datetime.now(UTC)
    for mode in (Mode.FULL, Mode.INCREMENTAL):
        checked = await observation.assess(prod, desired, Options(), now=now, resync=3600)
        assert observation.mode is mode
        assert checked.plan.in_sync, checked.plan.steps
        assert checked.drift.in_sync


async def test_a_promotion_moved_to_another_channel_in_the_store_is_drift(
    tmp_path: Path, stores: tuple[BigCommerceStore, BigCommerceStore], emulator: Emulator
) -> None:
    prod, _ = stores
    catalog = load_directory(write_commerce(tmp_path))
    assert (await sync(prod, catalog))[1].errors == []
    shop = emulator.db.bind("production")
    (promotion,) = (await prod.observe({Kind.PROMOTIONS})).promotions.values()  # type: ignore[union-attr]
    counter = (await channel_ids(prod))["Counter"]
    shop.promotions.update(promotion.id, {"channels": [{"id": counter}]})
    assessment = await assess(prod, catalog)
    assert assessment.drift.counts["promotions"] == {"missing": 0, "extra": 0, "changed": 1}
    (step,) = assessment.plan.steps
    assert (step.key, step.fields()) == ("EU ten off", ["channels"])
    assert (await sync(prod, catalog))[1].errors == []
    assert (await used_channels(prod))[1] == sorted([1, (await channel_ids(prod))["EU"]])


async def test_a_channel_no_one_has_is_refused_before_any_write_naming_record_and_field(
    tmp_path: Path, stores: tuple[BigCommerceStore, BigCommerceStore], emulator: Emulator
) -> None:
    prod, _ = stores
    source = write_commerce(
        tmp_path,
        (EU,),
        **{
            "price-list-assignments.yaml": [{"price_list": "Staff", "channel": "Mars"}],
            "promotions.yaml": [{**PROMOTION, "channels": ["EU", "Mars"]}],
        },
    )
    assessment = await assess(prod, load_directory(source))
    assert assessment.plan.problems == (
        "price list assignment 'Staff |  | Mars': channel names channel 'Mars', which neither "
        "the catalog nor the store has",
        "promotion 'EU ten off': channels names channel 'Mars', which neither the catalog nor "
        "the store has",
    )
    with pytest.raises(PlanRefused, match="Mars"):
        await sync(prod, load_directory(source))
    for table in ("channels", "price_lists", "promotions", "price_list_assignments"):
        rows = emulator.db.one(f"SELECT COUNT(*) FROM {table} WHERE store=?", "production")
        assert rows == (1 if table == "channels" else 0), table  # its first storefront only


def test_the_first_storefront_by_id_as_older_catalogs_wrote_it_reads_as_default(
    tmp_path: Path,
) -> None:
    older = write_commerce(
        tmp_path,
        **{
            "price-list-assignments.yaml": [{"price_list": "Staff", "channel_id": 1}],
            "promotions.yaml": [{**PROMOTION, "channels": [1, "EU"]}],
        },
    )
    catalog = load_directory(older)
    assert list(catalog.price_list_assignments or {}) == ["Staff |  | default"]
    assert (catalog.promotions or {})["EU ten off"].fields["channels"] == ["default", "EU"]


@pytest.mark.parametrize(
    ("file", "content", "message"),
    [
        (
            "price-list-assignments.yaml",
            [{"price_list": "Staff", "channel_id": 2}],
            "channel_id: channel_id is a store's id: name the channel instead (channel: NAME)",
        ),
        (
            "promotions.yaml",
            [{**PROMOTION, "channels": ["EU", 2]}],
            "channels[1]: 2 is a store's id: name the channel instead",
        ),
    ],
)
def test_another_channel_by_id_is_refused_naming_file_and_field(
    tmp_path: Path, file: str, content: Any, message: str
) -> None:
    with pytest.raises(CatalogInvalid) as raised:
        load_directory(write_commerce(tmp_path, **{file: content}))
    (problem,) = raised.value.problems
    assert str(problem).split(": ", 1)[1] == message
    assert problem.file == str(tmp_path / file)
    assert problem.line is not None


async def test_a_sandbox_clone_names_the_sandbox_channels_in_assignments_and_promotions(
    tmp_path: Path, stores: tuple[BigCommerceStore, BigCommerceStore], emulator: Emulator
) -> None:
    prod, sandbox = stores
    write_commerce(tmp_path / "pos-first", (POS,), **{"price-list-assignments.yaml": []})
    (tmp_path / "pos-first" / "promotions.yaml").unlink()
    assert (await sync(sandbox, load_directory(tmp_path / "pos-first")))[1].errors == []
    source = write_commerce(tmp_path / "source", **{"price-lists.yaml": with_tiers()})
    assert (await sync(prod, load_directory(source)))[1].errors == []

    world = manifests(tmp_path, emulator, {"enabled": False})
    await settle(world, tmp_path, emulator)
    clone = world.status[("StoreEnvironment", "shop", "sandbox")]["clone"]
    assert clone["phase"] == "Succeeded", clone
    assert clone["channels"] == ["Counter", "EU"]
    await each_names_its_own_channels(prod, sandbox)
    # the price records came with their bulk pricing tiers
    price_lists = (await sandbox.observe({Kind.PRICE_LISTS})).price_lists or {}
    (trade,) = (p for p in price_lists.values() if p.name == "Trade prices")
    tiers = {r.key: r.fields["bulk_pricing_tiers"] for r in trade.records}
    assert tiers == {"EUR:SHOE-1": [], "USD:SHOE-1": TIERS, "USD:SHOE-2": []}


async def test_the_emulator_refuses_a_channel_the_store_does_not_have(emulator: Emulator) -> None:
    async with httpx.AsyncClient(
        base_url=emulator.store_url("production") + "/v3", headers={"X-Auth-Token": PROD_TOKEN}
    ) as client:
        made = await client.post("/channels", json={**EU})
        assert made.status_code == 200, made.text
        eu = made.json()["data"]["id"]
        price_list = (await client.post("/pricelists", json={"name": "Staff"})).json()["data"]["id"]
        for channel, status in ((999, 404), (eu, 200)):
            body = [{"price_list_id": price_list, "channel_id": channel}]
            assert (await client.post("/pricelists/assignments", json=body)).status_code == status
        rule = [{"action": {"cart_value": {"discount": {"fixed_amount": "1"}}}}]
        promotion = {"name": "P", "redemption_type": "AUTOMATIC", "rules": rule}
        for channel, status in ((999, 422), (eu, 201)):
            sent = {**promotion, "channels": [{"id": channel}]}
            assert (await client.post("/promotions", json=sent)).status_code == status
        listed = await client.get("/pricelists/assignments", params={"channel_id": eu})
        assert [a["price_list_id"] for a in listed.json()["data"]] == [price_list]
