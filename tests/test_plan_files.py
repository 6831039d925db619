"""Plan files and what plans show: `plan -out FILE` then `apply FILE` applies exactly the reviewed
plan, and refuses it once the store moved; long texts show their changed region, creates their
fields; scripts.yaml is planned, applied and captured like the rest of the catalog."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import yaml

from controller.cli.render import text_diff
from controller.emulator import Emulator
from tests.conftest import PROD_TOKEN
from tests.test_cli import EXAMPLE, cli, served, store, writes

__all__ = ["served", "store"]  # the fixtures, shared with the CLI tests

LONG_HTML = "<script>" + "window.analytics = window.analytics || [];" * 3 + "</script>"


def edited_catalog(tmp_path: Path) -> Path:
    """The example catalog with a script and one product's price changed."""
    catalog = tmp_path / "catalog"
    shutil.copytree(EXAMPLE, catalog)
    scripts = yaml.safe_load((catalog / "scripts.yaml").read_text())
    scripts[0].update(kind="script_tag", html=LONG_HTML, src="")
    (catalog / "scripts.yaml").write_text(yaml.safe_dump(scripts))
    bottle = catalog / "products" / "CC-BTL-GLASS.yaml"
    bottle.write_text(bottle.read_text().replace("price: 25", "price: 27"))
    return catalog


def test_a_saved_plan_is_applied_exactly_and_shows_what_changes(
    served: Emulator, store: str, tmp_path: Path
) -> None:
    url = served.store_url(store)
    assert cli("apply", str(EXAMPLE), "--store", url, "--yes").returncode == 0
    catalog = edited_catalog(tmp_path)
    saved = tmp_path / "release.plan"
    planned = cli("plan", str(catalog), "--store", url, "-out", str(saved))
    assert planned.returncode == 2, planned.stderr
    assert "~ products CC-BTL-GLASS: price 25 -> 27" in planned.stdout
    assert "~ scripts Storefront analytics:" in planned.stdout
    assert "html (text changed, below)" in planned.stdout
    assert json.loads(saved.read_text())["formatVersion"] == 1
    before = writes(served, store)
    applied = cli("apply", str(saved), "--store", url, "--yes")
    assert applied.returncode == 0, applied.stderr
    assert writes(served, store) - before == 2  # the product batch and the script
    assert cli("plan", str(catalog), "--store", url).returncode == 0


def test_a_saved_plan_is_refused_once_the_store_moved(
    served: Emulator, store: str, tmp_path: Path
) -> None:
    url = served.store_url(store)
    assert cli("apply", str(EXAMPLE), "--store", url, "--yes").returncode == 0
    saved = tmp_path / "release.plan"
    assert (
        cli("plan", str(edited_catalog(tmp_path)), "--store", url, "-out", str(saved)).returncode
        == 2
    )
    headers = {"X-Auth-Token": PROD_TOKEN}
    bottle = httpx.get(
        f"{url}/v3/catalog/products", params={"sku": "CC-BTL-GLASS"}, headers=headers
    )
    product_id = bottle.json()["data"][0]["id"]
    moved = httpx.put(
        f"{url}/v3/catalog/products/{product_id}", json={"price": 30}, headers=headers
    )
    assert moved.status_code == 200
    before = writes(served, store)
    refused = cli("apply", str(saved), "--store", url, "--yes")
    assert refused.returncode == 1
    assert "changed since the plan" in refused.stderr
    assert "nothing applied" in refused.stderr
    assert writes(served, store) == before


def test_a_plan_file_of_another_format_version_or_store_is_refused(
    served: Emulator, store: str, tmp_path: Path
) -> None:
    url = served.store_url(store)
    saved = tmp_path / "release.plan"
    assert cli("plan", str(EXAMPLE), "--store", url, "-out", str(saved)).returncode == 2
    other = tmp_path / "other.plan"
    other.write_text(json.dumps({**json.loads(saved.read_text()), "formatVersion": 99}))
    refused = cli("apply", str(other), "--store", url, "--yes")
    assert refused.returncode == 1
    assert "plan format version 99 is not supported" in refused.stderr
    served.add_store("elsewhere", PROD_TOKEN)
    wrong = cli("apply", str(saved), "--store", served.store_url("elsewhere"), "--yes")
    assert wrong.returncode == 1
    assert f"is a plan for {url}" in wrong.stderr


def test_creates_show_their_fields_and_as_json_their_values(served: Emulator, store: str) -> None:
    url = served.store_url(store)
    table = cli("plan", str(EXAMPLE), "--store", url)
    assert "+ products CC-BTL-GLASS" in table.stdout
    assert "      price = 25" in table.stdout
    assert "      (+3 fields)" in table.stdout
    assert (
        "      custom_fields = 1 records"
        in cli("--verbose", "plan", str(EXAMPLE), "--store", url).stdout
    )
    data = json.loads(cli("plan", str(EXAMPLE), "--store", url, "--output", "json").stdout)
    bottle = next(s for s in data["steps"] if s["key"] == "CC-BTL-GLASS")
    assert bottle["values"]["price"] == 25


def test_capture_writes_the_scripts_that_plan_then_finds_in_sync(
    served: Emulator, store: str, tmp_path: Path
) -> None:
    url = served.store_url(store)
    assert cli("apply", str(EXAMPLE), "--store", url, "--yes").returncode == 0
    captured = tmp_path / "captured"
    assert cli("capture", "--store", url, "--output", str(captured)).returncode == 0
    scripts = yaml.safe_load((captured / "scripts.yaml").read_text())
    assert [s["name"] for s in scripts] == ["Storefront analytics"]
    assert cli("plan", str(captured), "--store", url).returncode == 0


def test_a_long_text_shows_only_its_changed_region() -> None:
    before = "<p>" + "a" * 100 + "old" + "b" * 100 + "</p>"
    after = "<p>" + "a" * 100 + "new" + "b" * 100 + "</p>"
    assert text_diff(before, after) == [
        "- ..." + "a" * 30 + "old" + "b" * 30 + "...",
        "+ ..." + "a" * 30 + "new" + "b" * 30 + "...",
    ]
    assert text_diff("line 1\nline 2\nline 3\n", "line 1\nline two\nline 3\n") == [
        "@@ -1,3 +1,3 @@",
        " line 1",
        "-line 2",
        "+line two",
        " line 3",
    ]
