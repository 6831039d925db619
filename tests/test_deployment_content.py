"""StoreDeployments of storefront content: scripts upserted by name, a Stencil theme uploaded and
activated; the plan shows them before approval; a bad theme fails its target with the reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import yaml

from controller.emulator import Emulator
from controller.standalone import FileWorld, Loop, services_for
from tests.conftest import PROD_TOKEN
from tests.support.gitservers import Remote
from tests.support.manifests import access_to, write_secret

SCRIPTS = """- name: Analytics
  kind: src
  src: https://cdn.example.test/a.js
  location: head
  visibility: all_pages
- name: Chat widget
  kind: script_tag
  html: <script>window.chat=1</script>
  location: footer
"""


def manifests(
    root: Path,
    emulator: Emulator,
    remote: Remote,
    *,
    approved: bool,
    storefronts: list[str] | None = None,
) -> FileWorld:
    """Production and a deployment `storefront` of a theme and scripts to it (to its channels
    `storefronts`, each in Europe/Paris, when given)."""
    (root / "m").mkdir(parents=True, exist_ok=True)
    (root / "s").mkdir(exist_ok=True)
    write_secret(
        root / "s",
        "tok",
        "shop",
        PROD_TOKEN,
        store_hash="production",
        api_origin=emulator.url,
        role="production",
    )
    base = {"apiVersion": "stagingpro.io/v1alpha1"}
    annotations = {"stagingpro.io/approved-by": "ops"} if approved else {}
    (root / "m" / "all.yaml").write_text(
        yaml.safe_dump_all(
            [
                {
                    **base,
                    "kind": "StoreEnvironment",
                    "metadata": {"name": "production", "namespace": "shop"},
                    "spec": {
                        "role": "production",
                        "channels": [
                            {"name": c, "timezone": "Europe/Paris"} for c in storefronts or []
                        ],
                        "store": {
                            "hash": "production",
                            "apiUrl": emulator.url,
                            "credentialsSecretRef": {"name": "tok", "key": "token"},
                        },
                    },
                },
                {
                    **base,
                    "kind": "StoreDeployment",
                    "metadata": {
                        "name": "storefront",
                        "namespace": "shop",
                        "annotations": annotations,
                    },
                    "spec": {
                        **(
                            {
                                "storefronts": [
                                    {"environment": "production", "channels": storefronts}
                                ]
                            }
                            if storefronts
                            else {"targets": ["production"]}
                        ),
                        "theme": {
                            "git": {"url": remote.url, "ref": "main", "path": "theme"},
                            "activate": True,
                            "variationName": "Bold",
                        },
                        "scripts": {
                            "git": {
                                "url": remote.url,
                                "ref": "main",
                                "path": "storefront/scripts.yaml",
                            }
                        },
                    },
                },
            ]
        )
    )
    return FileWorld(root / "m", root / "state", root / "s")


async def run(world: FileWorld, root: Path, api_origin: str, passes: int = 4) -> dict[str, Any]:
    # The theme and scripts come from a local repository: allowed explicitly, as `--allow-local-git`.
    access = access_to(api_origin, local_git=True)
    loop = Loop(world, services_for(world, root / "cache", access=access))
    for _ in range(passes):
        await loop.run_once()
    return world.status[("StoreDeployment", "shop", "storefront")]


def theme_remote(root: Path, config: dict[str, Any] | None) -> Remote:
    """A repository of the scripts and a theme with `config` as its config.json."""
    remote = Remote(root / "remote")
    remote.commit({"storefront/scripts.yaml": SCRIPTS, **theme_files(config)})
    return remote


OUTFITTERS = {
    "name": "Outfitters",
    "settings": {"color": "#ffffff"},
    "variations": [{"name": "Light"}, {"name": "Bold", "settings": {"bg": "dark"}}],
}


def production_api(emulator: Emulator) -> httpx.AsyncClient:
    """A client of production's V3 API."""
    return httpx.AsyncClient(
        base_url=emulator.store_url("production") + "/v3", headers={"X-Auth-Token": PROD_TOKEN}
    )


def theme_files(config: dict[str, Any] | None) -> dict[str, str]:
    files = {"theme/templates/pages/home.html": "<h1>{{page.title}}</h1>"}
    if config is not None:
        files["theme/config.json"] = json.dumps(config)
    return files


async def test_a_theme_and_scripts_are_released_after_approval(
    emulator: Emulator, tmp_path: Path
) -> None:
    remote = theme_remote(
        tmp_path, {"name": "Outfitters", "variations": [{"name": "Light"}, {"name": "Bold"}]}
    )
    world = manifests(tmp_path, emulator, remote, approved=False)
    status = await run(world, tmp_path, emulator.url)
    target = status["targets"][0]
    assert target["phase"] == "AwaitingApproval"
    assert target["plan"]["scripts"] == {"create": 2, "update": 0, "delete": 0}
    assert target["plan"]["theme"] == {"create": 1, "update": 0, "delete": 0}
    api = production_api(emulator)
    assert (await api.get("/themes")).json()["data"] == []
    world = manifests(tmp_path, emulator, remote, approved=True)
    status = await run(world, tmp_path, emulator.url)
    assert status["phase"] == "Succeeded", status
    themes = (await api.get("/themes")).json()["data"]
    assert [(t["name"], t["is_active"]) for t in themes] == [("Outfitters", True)]
    assert status["targets"][0]["theme"] == themes[0]["uuid"]
    scripts = {s["name"]: s for s in (await api.get("/content/scripts")).json()["data"]}
    await api.aclose()
    assert set(scripts) == {"Analytics", "Chat widget"}
    assert scripts["Chat widget"]["kind"] == "script_tag"
    assert status["targets"][0]["outcomes"]["scripts"] == {"created": 2, "updated": 0, "deleted": 0}


async def test_a_theme_is_activated_on_the_default_storefront_with_its_variation_settings(
    emulator: Emulator, tmp_path: Path
) -> None:
    remote = theme_remote(tmp_path, OUTFITTERS)
    world = manifests(tmp_path, emulator, remote, approved=True)
    status = await run(world, tmp_path, emulator.url)

    assert status["phase"] == "Succeeded", status
    api = production_api(emulator)
    themes = (await api.get("/themes")).json()["data"]
    bold = next(v["uuid"] for v in themes[0]["variations"] if v["name"] == "Bold")
    active = (await api.get("/channels/1/active-theme")).json()["data"]
    assert (active["active_theme_uuid"], active["active_theme_version_uuid"]) == (
        themes[0]["uuid"],
        bold,
    )
    configuration = (
        await api.get(
            f"/themes/{themes[0]['uuid']}/configurations",
            params={"uuid:in": active["active_theme_configuration_uuid"]},
        )
    ).json()["data"][0]
    await api.aclose()
    assert configuration["settings"] == {"color": "#ffffff", "bg": "dark"}


async def storefront_channels(api: httpx.AsyncClient, **names: bool) -> dict[str, int]:
    """Storefront channels of production by name (each with a site when True): their ids."""
    ids = {}
    for name, with_site in names.items():
        body = {"name": name, "type": "storefront", "platform": "bigcommerce", "status": "active"}
        created = await api.post("/channels", json=body)
        assert created.status_code == 200, created.text
        ids[name] = created.json()["data"]["id"]
        if with_site:
            site = {"url": f"https://{name.lower()}.example.test"}
            answer = await api.post(f"/channels/{ids[name]}/site", json=site)
            assert answer.status_code == 200, answer.text
    return ids


async def test_a_theme_is_uploaded_once_and_activated_on_each_storefront_it_is_released_to(
    emulator: Emulator, tmp_path: Path
) -> None:
    remote = theme_remote(tmp_path, OUTFITTERS)
    api = production_api(emulator)
    ids = await storefront_channels(api, EU=True, Outlet=True, B2B=False)

    world = manifests(
        tmp_path, emulator, remote, approved=True, storefronts=["EU", "Production Store"]
    )
    status = await run(world, tmp_path, emulator.url)

    assert status["phase"] == "Succeeded", status
    themes = (await api.get("/themes")).json()["data"]
    assert [t["name"] for t in themes] == ["Outfitters"]  # one upload for both storefronts
    bold = next(v["uuid"] for v in themes[0]["variations"] if v["name"] == "Bold")
    configurations = set()
    for channel_id in (1, ids["EU"]):
        active = (await api.get(f"/channels/{channel_id}/active-theme")).json()["data"]
        assert (active["active_theme_uuid"], active["active_theme_version_uuid"]) == (
            themes[0]["uuid"],
            bold,
        )
        of_channel = (
            await api.get(
                f"/themes/{themes[0]['uuid']}/configurations",
                params={"channel_id:in": str(channel_id)},
            )
        ).json()["data"]
        assert [c["uuid"] for c in of_channel] == [active["active_theme_configuration_uuid"]]
        assert of_channel[0]["settings"] == {"color": "#ffffff", "bg": "dark"}
        configurations.add(active["active_theme_configuration_uuid"])
    assert len(configurations) == 2  # each storefront has a configuration of its own
    for untouched in ("Outlet", "B2B"):
        answer = await api.get(f"/channels/{ids[untouched]}/active-theme")
        assert answer.status_code == 404
        assert answer.json()["title"] == f"No active theme found with channel_id: {ids[untouched]}"
    await api.aclose()
    targets = {t["name"]: t for t in status["targets"]}
    assert targets["production/EU"]["theme"] == targets["production/Production Store"]["theme"]


async def test_a_theme_released_to_a_channel_without_a_site_fails_that_target_with_the_reason(
    emulator: Emulator, tmp_path: Path
) -> None:
    remote = theme_remote(tmp_path, {"name": "Outfitters", "variations": [{"name": "Bold"}]})
    api = production_api(emulator)
    ids = await storefront_channels(api, B2B=False)
    world = manifests(tmp_path, emulator, remote, approved=True, storefronts=["B2B"])
    status = await run(world, tmp_path, emulator.url)
    assert (await api.get(f"/channels/{ids['B2B']}/active-theme")).status_code == 404
    await api.aclose()
    assert status["phase"] == "Failed", status
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert f"channel {ids['B2B']} has no storefront site" in ready["message"], ready


async def test_a_bundle_without_config_json_fails_its_target_with_the_reason(
    emulator: Emulator, tmp_path: Path
) -> None:
    remote = theme_remote(tmp_path, None)
    status = await run(manifests(tmp_path, emulator, remote, approved=True), tmp_path, emulator.url)
    assert status["phase"] == "Failed"
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert ready["reason"] == "ThemeFailed"
    assert "no config.json" in ready["message"]


async def test_deploying_the_rollback_snapshot_undoes_the_deployment(
    emulator: Emulator, tmp_path: Path
) -> None:
    from controller.catalog.files import load_directory
    from controller.emulator.seed import seed_catalog
    from tests.conftest import ROOT

    seed_catalog(emulator.db, "production", load_directory(ROOT / "examples" / "catalog"))
    (tmp_path / "m").mkdir()
    (tmp_path / "s").mkdir()
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
    docs = [
        {
            **base,
            "kind": "StoreEnvironment",
            "metadata": {"name": "production", "namespace": "shop"},
            "spec": {
                "role": "production",
                "store": {
                    "hash": "production",
                    "apiUrl": emulator.url,
                    "credentialsSecretRef": {"name": "tok", "key": "token"},
                },
            },
        },
        {
            **base,
            "kind": "CatalogSnapshot",
            "metadata": {"name": "sale", "namespace": "shop"},
            "spec": {
                "source": {
                    "inline": {
                        "products": [
                            {"sku": "NW-SHT-FLAN-M", "price": 99, "is_featured": True},
                            {
                                "sku": "NW-NEW-1",
                                "name": "Brand new",
                                "type": "physical",
                                "price": 5,
                                "weight": 1,
                            },
                        ]
                    }
                }
            },
        },
        {
            **base,
            "kind": "StoreDeployment",
            "metadata": {"name": "sale", "namespace": "shop"},
            "spec": {
                "targets": ["production"],
                "catalog": {"snapshotRef": {"name": "sale"}},
                "approval": {"required": False},
            },
        },
    ]
    (tmp_path / "m" / "all.yaml").write_text(yaml.safe_dump_all(docs))
    world = FileWorld(tmp_path / "m", tmp_path / "state", tmp_path / "s")
    loop = Loop(world, services_for(world, tmp_path / "cache", access=access_to(emulator.url)))
    api = production_api(emulator)

    async def flannel() -> dict[str, Any]:
        found: dict[str, Any] = (
            await api.get("/catalog/products", params={"sku": "NW-SHT-FLAN-M"})
        ).json()["data"][0]
        return found

    before = await flannel()
    for _ in range(4):
        await loop.run_once()
    target = world.status[("StoreDeployment", "shop", "sale")]["targets"][0]
    assert target["phase"] == "Succeeded"
    assert ((await flannel())["price"], (await flannel())["is_featured"]) == (99, True)
    rollback = target["rollbackSnapshot"]
    assert "the 1 item it creates is not removed" in target["rollbackNote"]
    docs.append(
        {
            **base,
            "kind": "StoreDeployment",
            "metadata": {"name": "undo", "namespace": "shop"},
            "spec": {
                "targets": ["production"],
                "catalog": {"snapshotRef": {"name": rollback}},
                "approval": {"required": False},
            },
        }
    )
    (tmp_path / "m" / "all.yaml").write_text(yaml.safe_dump_all(docs))
    for _ in range(4):
        await loop.run_once()
    assert world.status[("StoreDeployment", "shop", "undo")]["phase"] == "Succeeded"
    after = await flannel()
    assert (after["price"], after["is_featured"]) == (before["price"], before["is_featured"])
    await api.aclose()
