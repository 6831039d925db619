"""Customers reach a sandbox only anonymised: a `cloneFrom` sandbox gets its source's customers as
deterministic fake people (emails in example.invalid, no passwords, no welcome email), under the
rules its StoreEnvironment declares; nothing of the real people shows anywhere; customers are never
deployed nor captured."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import pytest
import yaml

from controller.catalog.files import load_directory
from controller.catalog.model import Catalog, CatalogInvalid, Customer
from controller.emulator import Emulator
from controller.emulator.errors import ApiError
from controller.emulator.store import TABLES
from controller.engine import sync
from controller.engine.apply import PlanRefused
from controller.engine.snapshots import capture_to_directory
from controller.standalone import FileWorld, Loop, services_for
from controller.stores import BigCommerceStore, Token
from tests.conftest import PROD_TOKEN, SANDBOX_TOKEN
from tests.support.gitservers import Remote
from tests.support.manifests import access_to, write_secret

PEOPLE = [
    ("Theodora", "Quackenbush", "theodora.q@mail.test", "+44 20 7946 0811", "17 Larchmont Rise"),
    ("Bartholomew", "Zimmerli", "bart@zimmerli.test", "+1 212 555 9921", "402 Wexford Crescent"),
    ("Ingrid", "Oyelaran", "ingrid.oyelaran@corp.test", "+49 30 1234567", "9 Quellenweg"),
]
PASSWORD = "correct horse battery staple"


def seed_people(emulator: Emulator, store: str = "production") -> list[int]:
    """Three real-looking customers with an address, attribute values, form values, store credit,
    a group and a password."""
    shop = emulator.db.bind(store)
    group = shop.customer_groups.create({"name": "Wholesale"})["id"]
    size, tier = (
        a["id"]
        for a in shop.customers.add_attributes(
            [{"name": "Shoe size", "type": "number"}, {"name": "Birthday", "type": "date"}]
        )
    )
    customers = [
        {
            "email": email,
            "first_name": first,
            "last_name": last,
            "phone": phone,
            "company": f"{last} Holdings",
            "notes": f"Call {first} after 5pm",
            "customer_group_id": group,
            "store_credit_amounts": [{"amount": 25.0 + i}],
            "addresses": [
                {
                    "first_name": first,
                    "last_name": last,
                    "address1": street,
                    "city": "Reykjavik",
                    "postal_code": f"1{i}1",
                    "country_code": "US",
                    "state_or_province": "Texas",
                    "phone": phone,
                    "form_fields": [{"name": "Gate code", "value": f"99{i}"}],
                }
            ],
            "attributes": [
                {"attribute_id": size, "attribute_value": str(40 + i)},
                {"attribute_id": tier, "attribute_value": f"1980-0{i + 1}-15"},
            ],
            "form_fields": [{"name": "Licence", "value": f"LIC-{last}"}],
            "authentication": {"new_password": PASSWORD},
            "trigger_account_created_notification": False,
        }
        for i, (first, last, email, phone, street) in enumerate(PEOPLE)
    ]
    return [c["id"] for c in shop.customers.create(customers)]


def manifests(
    tmp_path: Path, emulator: Emulator, customers: dict[str, Any], **clone: Any
) -> FileWorld:
    (tmp_path / "m").mkdir()
    for name, token, role in (
        ("production", PROD_TOKEN, "production"),
        ("sandbox", SANDBOX_TOKEN, "sandbox"),
    ):
        write_secret(
            tmp_path / "s",
            name,
            "shop",
            token,
            store_hash=name,
            api_origin=emulator.url,
            role=role,  # type: ignore[arg-type]
        )

    def environment(name: str, **spec: Any) -> dict[str, Any]:
        store = {"hash": name, "apiUrl": emulator.url}
        store["credentialsSecretRef"] = {"name": name, "key": "token"}  # type: ignore[assignment]
        return {
            "apiVersion": "stagingpro.io/v1alpha1",
            "kind": "StoreEnvironment",
            "metadata": {"name": name, "namespace": "shop"},
            "spec": {"role": name, "store": store, **spec},
        }

    docs = [
        environment("production"),
        environment("sandbox", cloneFrom={"name": "production", "customers": customers, **clone}),
    ]
    (tmp_path / "m" / "all.yaml").write_text(yaml.safe_dump_all(docs))
    return FileWorld(tmp_path / "m", tmp_path / "state", tmp_path / "s")


async def settle(world: FileWorld, tmp_path: Path, emulator: Emulator, runs: int = 4) -> None:
    loop = Loop(world, services_for(world, tmp_path / "cache", access=access_to(emulator.url)))
    for _ in range(runs):
        await loop.run_once()


def sandbox_customers(emulator: Emulator) -> list[dict[str, Any]]:
    shop = emulator.db.bind("sandbox")
    include = "addresses,storecredit,attributes,formfields"
    return list(shop.customers.find({"include": include, "limit": "250"}).items)


RULES = {
    "rules": [
        {"field": "attribute:Shoe size", "action": "keep"},
        {"field": "form:Licence", "action": "drop"},
    ]
}


async def test_a_sandbox_clone_holds_the_same_fake_people_at_every_refresh_and_no_real_one(
    tmp_path: Path, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seed_people(emulator)
    world = manifests(tmp_path, emulator, RULES)
    await settle(world, tmp_path, emulator)

    clone = world.status[("StoreEnvironment", "shop", "sandbox")]["clone"]
    assert clone["phase"] == "Succeeded", clone
    assert clone["customers"] == 3
    assert "attribute:Shoe size: keep" in clone["customerRules"]
    assert "notes: drop" in clone["customerRules"]
    people = sandbox_customers(emulator)
    assert len(people) == 3
    for person in people:
        assert person["email"].endswith("@example.invalid")
        assert person["notes"] == ""
        assert person["store_credit_amounts"][0]["amount"] in (25.0, 26.0, 27.0)  # kept
        attributes = {a["attribute_value"] for a in person["attributes"]}
        assert attributes & {"40", "41", "42"}  # kept by the rule
        assert not attributes & {"1980-01-15", "1980-02-15", "1980-03-15"}  # dates shifted
        assert person["form_fields"] == []  # dropped by the rule
        assert person["addresses"][0]["state_or_province"] == "Texas"
    sandbox = emulator.db.bind("sandbox")
    groups = {g["id"]: g["name"] for g in sandbox.customer_groups.find({})}
    assert {groups[p["customer_group_id"]] for p in people} == {"Wholesale"}
    assert sandbox.customers.mailed() == []  # nobody was sent a welcome email
    for row in emulator.db.docs("SELECT doc FROM customers WHERE store=?", "sandbox"):
        salt, digest = row["password"].split(":")
        assert hashlib.sha256((salt + PASSWORD).encode()).hexdigest() != digest

    # A refresh makes the same people again: nothing to create, change or delete.
    before = {p["email"]: p["id"] for p in people}
    docs = list(yaml.safe_load_all((tmp_path / "m" / "all.yaml").read_text()))
    docs[1]["metadata"]["annotations"] = {"stagingpro.io/refresh": "again"}
    (tmp_path / "m" / "all.yaml").write_text(yaml.safe_dump_all(docs))
    await settle(world, tmp_path, emulator)
    clone = world.status[("StoreEnvironment", "shop", "sandbox")]["clone"]
    assert clone["refreshToken"] == "again"
    assert clone["phase"] == "Succeeded"
    assert {p["email"]: p["id"] for p in sandbox_customers(emulator)} == before

    # Nothing of the real people anywhere: the sandbox store, status, events, logs, a capture.
    async with BigCommerceStore(emulator.url, "sandbox", Token(SANDBOX_TOKEN)) as store:
        await capture_to_directory(store, tmp_path / "captured")
    captured = [p for p in (tmp_path / "captured").rglob("*") if p.is_file()]
    names = sorted(p.name for p in captured if p.name.startswith("customer"))
    assert names == ["customer-attributes.yaml", "customer-groups.yaml"]
    texts = [p.read_text() for p in captured]
    texts += [p.read_text() for p in (tmp_path / "state").rglob("*") if p.is_file()]
    assert "Cloned" in (tmp_path / "state" / "events.jsonl").read_text()  # events are scanned
    assert "sandbox" in caplog.text  # and so are the logs
    texts.append(caplog.text)
    for table in TABLES:
        texts += [
            str(row)
            for row in emulator.db.conn.execute(f"SELECT * FROM {table} WHERE store='sandbox'")
        ]
    everything = "\n".join(texts).casefold()
    for first, last, email, phone, street in PEOPLE:
        for real in (first, last, email, phone, street, email.split("@")[0]):
            assert real.casefold() not in everything, real


async def test_a_refresh_carries_changed_addresses_and_attribute_values_to_the_same_fakes(
    tmp_path: Path, emulator: Emulator
) -> None:
    ids = seed_people(emulator)
    world = manifests(tmp_path, emulator, RULES)
    await settle(world, tmp_path, emulator)
    before = {p["email"]: p for p in sandbox_customers(emulator)}
    source = emulator.db.bind("production")
    (address,) = source.customers.find_addresses({"customer_id:in": str(ids[0])}).items
    source.customers.update_addresses([{"id": address["id"], "state_or_province": "Ohio"}])
    size = next(
        a["id"] for a in source.customers.find_attributes({}).items if a["name"] == "Shoe size"
    )
    source.customers.upsert_values([{"customer_id": ids[0], "attribute_id": size, "value": "47"}])
    writes = emulator.control("sandbox").stats
    writes.reset()

    docs = list(yaml.safe_load_all((tmp_path / "m" / "all.yaml").read_text()))
    docs[1]["metadata"]["annotations"] = {"stagingpro.io/refresh": "again"}
    (tmp_path / "m" / "all.yaml").write_text(yaml.safe_dump_all(docs))
    await settle(world, tmp_path, emulator)
    assert world.status[("StoreEnvironment", "shop", "sandbox")]["clone"]["phase"] == "Succeeded"
    after = {p["email"]: p for p in sandbox_customers(emulator)}
    assert {e: p["id"] for e, p in after.items()} == {e: p["id"] for e, p in before.items()}
    changed = [e for e in after if after[e] != before[e]]
    assert len(changed) == 1  # the one source customer that changed, the same fake person
    person = after[changed[0]]
    assert person["addresses"][0]["state_or_province"] == "Ohio"
    assert person["addresses"][0]["address1"] == before[changed[0]]["addresses"][0]["address1"]
    assert "47" in {a["attribute_value"] for a in person["attributes"]}
    by_method = writes.to_json()["by_method"]
    # the values by one upsert, the address deleted and created again (read by one GET)
    assert sum(n for m, n in by_method.items() if m != "GET") == 3
    writes.reset()  # a refresh that finds nothing changed writes nothing
    docs[1]["metadata"]["annotations"] = {"stagingpro.io/refresh": "third"}
    (tmp_path / "m" / "all.yaml").write_text(yaml.safe_dump_all(docs))
    await settle(world, tmp_path, emulator)
    assert world.status[("StoreEnvironment", "shop", "sandbox")]["clone"]["refreshToken"] == "third"
    assert [m for m in writes.to_json()["by_method"] if m != "GET"] == []


async def test_a_sandbox_can_be_told_not_to_clone_customers(
    tmp_path: Path, emulator: Emulator
) -> None:
    seed_people(emulator)
    world = manifests(tmp_path, emulator, {"enabled": False})
    await settle(world, tmp_path, emulator)
    clone = world.status[("StoreEnvironment", "shop", "sandbox")]["clone"]
    assert clone["phase"] == "Succeeded"
    assert "customers" not in clone
    assert sandbox_customers(emulator) == []
    assert [g["name"] for g in emulator.db.bind("sandbox").customer_groups.find({})] == [
        "Wholesale"
    ]


async def test_a_catalog_with_customers_is_refused_before_any_write(
    stores: Any, emulator: Emulator, tmp_path: Path
) -> None:
    prod, _ = stores
    person = Customer("someone@example.invalid", {"first_name": "A", "last_name": "B"})
    catalog = Catalog(customers={person.email: person})
    writes_before = emulator.db.one("SELECT COUNT(*) FROM customers WHERE store=?", "production")
    with pytest.raises(PlanRefused) as refused:
        await sync(prod, catalog)
    assert "customers are personal data: they are never deployed nor captured" in str(refused.value)
    assert emulator.db.one("SELECT COUNT(*) FROM customers WHERE store=?", "production") == (
        writes_before
    )
    (tmp_path / "customers.yaml").write_text(yaml.safe_dump([{"email": "a@b.test"}]))
    with pytest.raises(CatalogInvalid) as invalid:
        load_directory(tmp_path)
    assert "customers are personal data: never part of a catalog" in str(invalid.value)


async def test_a_release_whose_catalog_holds_customers_is_refused_with_the_reason(
    tmp_path: Path, emulator: Emulator
) -> None:
    remote = Remote(tmp_path / "remote")
    product = {"sku": "SLED-1", "name": "Sled", "type": "physical", "price": 80, "weight": 4}
    remote.commit(
        {
            "catalog/products.jsonl": json.dumps(product) + "\n",
            "catalog/customers.yaml": yaml.safe_dump([{"email": "jane@mail.test"}]),
        }
    )
    (tmp_path / "m").mkdir()
    write_secret(
        tmp_path / "s",
        "tok",
        "shop",
        PROD_TOKEN,
        store_hash="production",
        api_origin=emulator.url,
        role="production",
    )
    base = {"apiVersion": "stagingpro.io/v1alpha1"}
    store = {
        "hash": "production",
        "apiUrl": emulator.url,
        "credentialsSecretRef": {"name": "tok", "key": "token"},
    }
    docs = [
        {
            **base,
            "kind": "StoreEnvironment",
            "metadata": {"name": "production", "namespace": "shop"},
            "spec": {"role": "production", "store": store},
        },
        {
            **base,
            "kind": "CatalogSnapshot",
            "metadata": {"name": "people", "namespace": "shop"},
            "spec": {"source": {"git": {"url": remote.url, "ref": "main", "path": "catalog"}}},
        },
        {
            **base,
            "kind": "StoreDeployment",
            "metadata": {"name": "people", "namespace": "shop"},
            "spec": {
                "targets": ["production"],
                "catalog": {"snapshotRef": {"name": "people"}},
                "approval": {"required": False},
            },
        },
    ]
    (tmp_path / "m" / "all.yaml").write_text(yaml.safe_dump_all(docs))
    world = FileWorld(tmp_path / "m", tmp_path / "state", tmp_path / "s")
    access = access_to(emulator.url, local_git=True)
    loop = Loop(world, services_for(world, tmp_path / "cache", access=access))
    for _ in range(4):
        await loop.run_once()
    snapshot = world.status[("CatalogSnapshot", "shop", "people")]
    assert any(
        "customers are personal data: never part of a catalog" in e["message"]
        for e in snapshot["errors"]
    ), snapshot
    deployment = world.status[("StoreDeployment", "shop", "people")]
    assert deployment.get("phase") != "Succeeded"
    written = emulator.db.one("SELECT COUNT(*) FROM products WHERE store=?", "production")
    assert written == 0  # nothing of the release reached the store


def test_the_emulator_keeps_the_documented_rules_of_customers(emulator: Emulator) -> None:
    shop = emulator.db.bind("production")
    (attribute,) = shop.customers.add_attributes([{"name": "Tier", "type": "string"}])
    people = [
        {"email": f"p{n}@mail.test", "first_name": "P", "last_name": str(n)} for n in range(11)
    ]
    with pytest.raises(ApiError) as too_many:
        shop.customers.create(people)
    assert too_many.value.status == 413
    created = shop.customers.create(
        [people[0], {**people[1], "trigger_account_created_notification": False}]
    )
    assert shop.customers.mailed() == ["p0@mail.test"]  # welcomed unless told not to
    with pytest.raises(ApiError) as taken:
        shop.customers.create([{**people[2], "email": "P0@Mail.TEST"}])
    assert taken.value.status == 422  # emails are unique without case
    values = [
        {"customer_id": c["id"], "attribute_id": attribute["id"], "value": "Gold"} for c in created
    ]
    assert len(shop.customers.upsert_values(values * 3)) == 6  # two customers, any values
    more = shop.customers.create(people[2:10]) + shop.customers.create([people[10]])
    eleven = [
        {"customer_id": c["id"], "attribute_id": attribute["id"], "value": "Gold"}
        for c in created + more
    ]
    with pytest.raises(ApiError) as eleven_customers:
        shop.customers.upsert_values(eleven)
    assert eleven_customers.value.status == 413
    assert all("password" not in c for c in shop.customers.find({}).items)  # never answered
