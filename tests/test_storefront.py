"""An emulated store's storefront on its own origin, and the theme developer's flows of the
Stencil CLI against an emulated sandbox: `push` (activation on a chosen channel, the 20-theme
limit), `pull` and `download`, as the requests stencil-cli 10.0.0 sends them (its
lib/theme-api-client.js, stencil-push.utils.js, stencil-pull.utils.js, stencil-download.js), made
here over real HTTP. The CLI itself is not run: it requires Node.js 24 or later, which no Debian
release packages (README, "Stencil CLI")."""

from __future__ import annotations

import io
import json
import time
import zipfile
from typing import Any

import httpx
import pytest

from controller.emulator import Emulator
from controller.emulator.errors import ApiError
from tests.conftest import SANDBOX_TOKEN
from tests.support.waiting import wait_for_job
from tests.test_emulator_conformance import theme_zip

CLI = {"X-Auth-Token": SANDBOX_TOKEN, "Accept": "application/json"}
NO_CACHE = {"cache-control": "no-cache"}  # the CLI's `getJob` asks so


async def test_each_store_has_a_storefront_of_its_own_that_names_its_store(
    emulator: Emulator,
) -> None:
    production, sandbox = (
        await emulator.storefront("production"),
        await emulator.storefront("sandbox"),
    )
    assert production != sandbox
    assert production != emulator.url
    async with httpx.AsyncClient() as browser:
        for origin, store, name in (
            (production, "production", "Production Store"),
            (sandbox, "sandbox", "Sandbox Store"),
        ):
            info = await browser.get(f"{origin}/admin/oauth/info")
            assert info.json() == {"store_hash": store}
            check = (await browser.get(f"{origin}/stencil-version-check?v=10.0.0")).json()
            assert (check["status"], check["sslUrl"]) == ("ok", origin)
            home = await browser.get(f"{origin}/")
            assert home.headers["content-type"].startswith("text/html")
            assert f"<title>{name}</title>" in home.text
            assert "no active theme" in home.text
            missing = await browser.get(f"{origin}/no-such-page/")
            assert missing.status_code == 404
        assert await emulator.storefront("sandbox") == sandbox  # one origin per store


async def _upload(api: httpx.AsyncClient, name: str, variations: list[dict[str, Any]]) -> str:
    """`postTheme` then `getJob` until done: the new theme's id."""
    config = {"name": name, "version": "1.0.0", "settings": {"color": "#ffffff"}}
    bundle = theme_zip({**config, "variations": variations})
    posted = await api.post("/v3/themes", files={"file": (f"{name}.zip", bundle)})
    assert posted.status_code == 201, posted.text
    done = await wait_for_job(api, posted.json()["job_id"], headers=NO_CACHE)
    assert done["status"] == "COMPLETED", done
    return str(done["result"]["theme_id"])


async def test_stencil_push_pull_and_download_against_an_emulated_sandbox(
    emulator: Emulator,
) -> None:
    storefront = await emulator.storefront("sandbox")
    async with (
        httpx.AsyncClient() as anyone,
        httpx.AsyncClient(base_url=f"{emulator.url}/stores/sandbox", headers=CLI) as api,
    ):
        # The developer's .stencil names the storefront URL: the CLI finds the store's hash there.
        store_hash = (await anyone.get(f"{storefront}/admin/oauth/info")).json()["store_hash"]
        assert store_hash == "sandbox"

        channel = 1  # the store's storefront (the emulator has no other channel yet)

        # The store holds 20 themes already, the oldest of them private and inactive.
        for index in range(20):
            await _upload(api, f"Old {index}", [{"name": "Default"}])
        # `stencil push -a Bold -c 1 -d`: getThemes, postTheme -> 409 upload limit ...
        themes = (await api.get("/v3/themes")).json()["data"]
        variations = [{"name": "Light"}, {"name": "Bold", "settings": {"color": "#000000"}}]
        bundle = theme_zip(
            {"name": "Outfitters", "version": "1.0.0", "settings": {}, "variations": variations}
        )
        refused = await api.post("/v3/themes", files={"file": ("Outfitters.zip", bundle)})
        assert refused.status_code == 409
        assert refused.json()["title"].startswith("You have reached your upload limit")
        # ... -d: delete the oldest private inactive theme, check it is gone, upload again.
        oldest = min(
            (t for t in themes if t["is_private"] and not t["is_active"]),
            key=lambda t: t["updated_at"],
        )
        assert (await api.delete(f"/v3/themes/{oldest['uuid']}")).status_code == 204
        assert oldest["uuid"] not in [
            t["uuid"] for t in (await api.get("/v3/themes")).json()["data"]
        ]
        theme_id = await _upload(api, "Outfitters", variations)
        # getVariationsByThemeId, then activateThemeByVariationId on the chosen channel
        theme = (await api.get(f"/v3/themes/{theme_id}")).json()["data"]
        bold = next(v["uuid"] for v in theme["variations"] if v["name"] == "Bold")
        assert "no active theme" in (await anyone.get(f"{storefront}/")).text
        activation = {"variation_id": bold, "channel_id": channel, "which": "original"}
        activated = await api.post(
            "/v3/themes/actions/activate",
            json=activation,
            headers={"content-type": "application/json"},
        )
        assert activated.status_code == 204, activated.text
        assert "Theme: Outfitters" in (await anyone.get(f"{storefront}/")).text

        # `stencil pull -c 1`: the channel's active theme, its configuration, its variation.
        active = (await api.get(f"/v3/channels/{channel}/active-theme")).json()["data"]
        assert active["active_theme_uuid"] == theme_id
        configuration_id = active["active_theme_configuration_uuid"]
        configurations = await api.get(
            f"/v3/themes/{theme_id}/configurations?uuid:in={configuration_id}"
        )
        configuration = configurations.json()["data"][0]
        assert configuration["settings"] == {"color": "#000000"}
        pulled = (await api.get(f"/v3/themes/{theme_id}")).json()["data"]["variations"]
        assert (
            next(v for v in pulled if v["uuid"] == configuration["variation_uuid"])["name"]
            == "Bold"
        )

        # `stencil download -c 1`: a download job of the last activated configuration, then the
        # file at its link, fetched without a token.
        job = await api.post(
            f"/v3/themes/{theme_id}/actions/download",
            json={"which": "last_activated"},
            headers={"cache-control": "no-cache", "content-type": "application/json"},
        )
        assert job.status_code == 200
        done = await wait_for_job(api, job.json()["job_id"], headers=NO_CACHE)
        assert done["status"] == "COMPLETED", done
        result = done["result"]
        download = await anyone.get(result["download_url"])
        assert download.status_code == 200
        with zipfile.ZipFile(io.BytesIO(download.content)) as files:
            config = json.loads(files.read("config.json"))
            assert "templates/pages/home.html" in files.namelist()
        assert (config["name"], config["settings"]) == ("Outfitters", {"color": "#000000"})


async def test_a_download_link_expires_a_minute_after_its_job(emulator: Emulator) -> None:
    async with httpx.AsyncClient(base_url=f"{emulator.url}/stores/sandbox", headers=CLI) as api:
        theme_id = await _upload(api, "Outfitters", [{"name": "Light"}])
        job = await api.post(f"/v3/themes/{theme_id}/actions/download", json={"which": "original"})
    job_id = job.json()["job_id"]
    themes = emulator.db.bind("sandbox").themes
    assert themes.downloaded(job_id, time.time() - 60).startswith(b"PK")
    with pytest.raises(ApiError) as expired:  # the same link, once its minute has passed
        themes.downloaded(job_id, time.time() + 1)
    assert expired.value.status == 404
