"""The CRDs are generated from the models, are structural, and reject bad specs by field."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml

from controller.api import parse_resource
from controller.api.crdgen import render_crds
from tests.support.crdschema import CRD_DIR, ROOT, load_crds, validate

EXAMPLES = ROOT / "examples"


def test_committed_crds_are_byte_identical_to_the_generated_ones() -> None:
    rendered = render_crds()
    committed = {p.name: p.read_text() for p in CRD_DIR.glob("*.yaml")}
    assert committed == rendered, "crds/ is out of date: run `stagingpro crds`"


def test_stagingpro_crds_command_reproduces_the_directory(tmp_path: Path) -> None:
    out = tmp_path / "crds"
    subprocess.run([sys.executable, "-m", "controller", "crds", "-o", str(out)], check=True)
    for path in CRD_DIR.glob("*.yaml"):
        assert (out / path.name).read_bytes() == path.read_bytes()
    check = subprocess.run(
        [sys.executable, "-m", "controller", "crds", "--check", "-o", str(tmp_path / "empty")],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 1
    assert "out of date" in check.stderr


def _walk(node: Any, path: str) -> list[str]:
    """Structural-schema violations below ``node``."""
    problems = []
    if not isinstance(node, dict):
        return problems
    if "$ref" in node:
        problems.append(f"{path}: $ref")
    if not ("type" in node or node.get("x-kubernetes-preserve-unknown-fields")):
        problems.append(f"{path}: no type")
    if "properties" in node and "additionalProperties" in node:
        problems.append(f"{path}: properties with additionalProperties")
    if "anyOf" in node or "allOf" in node:
        problems.append(f"{path}: type junctor")
    for key, sub in node.get("properties", {}).items():
        problems.extend(_walk(sub, f"{path}.{key}"))
    if isinstance(node.get("items"), dict):
        problems.extend(_walk(node["items"], f"{path}[]"))
    if isinstance(node.get("additionalProperties"), dict):
        problems.extend(_walk(node["additionalProperties"], f"{path}{{}}"))
    return problems


@pytest.mark.parametrize("kind", ["StoreEnvironment", "CatalogSnapshot", "StoreDeployment"])
def test_crd_schema_is_structural_and_named_for_kubectl(kind: str) -> None:
    crd = load_crds()[kind]
    names = crd["spec"]["names"]
    assert names["categories"] == ["stagingpro"]
    assert names["shortNames"]
    version = crd["spec"]["versions"][0]
    assert version["subresources"] == {"status": {}}
    assert {c["name"] for c in version["additionalPrinterColumns"]} >= {"Ready", "Age"}
    assert _walk(version["schema"]["openAPIV3Schema"], kind) == []


def _example(relative: str) -> dict[str, Any]:
    loaded = yaml.safe_load((EXAMPLES / relative).read_text())
    assert isinstance(loaded, dict)
    return loaded


def _stagingpro_manifests() -> list[Path]:
    found = []
    for path in sorted(EXAMPLES.rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and str(doc.get("apiVersion", "")).startswith(
                "stagingpro.io/"
            ):
                found.append(path)
                break
    return found


def test_examples_exist_for_every_kind() -> None:
    kinds = {
        doc["kind"]
        for path in _stagingpro_manifests()
        for doc in yaml.safe_load_all(path.read_text())
        if isinstance(doc, dict)
    }
    assert kinds >= {"StoreEnvironment", "CatalogSnapshot", "StoreDeployment"}


@pytest.mark.parametrize(
    "path", _stagingpro_manifests(), ids=lambda p: str(p.relative_to(EXAMPLES))
)
def test_every_example_manifest_is_valid_for_the_crd_and_the_models(path: Path) -> None:
    for doc in yaml.safe_load_all(path.read_text()):
        if not isinstance(doc, dict) or not str(doc.get("apiVersion", "")).startswith("stagingpro"):
            continue
        assert validate(doc) == []
        parse_resource(doc)


def _break(manifest: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    broken = copy.deepcopy(manifest)
    *parents, last = dotted.split(".")
    node = broken
    for part in parents:
        node = node[part]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value
    return broken


_DELETE = object()
_ENV = "gitops/environments/production.yaml"
_SANDBOX = "gitops/environments/sandbox.yaml"
_SNAP = "gitops/snapshots/released-catalog.yaml"
_DEPLOY = "gitops/deployments/holiday-release.yaml"


@pytest.mark.parametrize(
    ("example", "field", "value", "expected"),
    [
        pytest.param(
            _ENV,
            "spec.store.hash",
            _DELETE,
            "spec.store: 'hash' is a required",
            id="missing store hash",
        ),
        pytest.param(
            _ENV, "spec.role", "staging", "spec.role: 'staging' is not one of", id="unknown role"
        ),
        pytest.param(
            _ENV,
            "spec.syncPolicy.maxDeletePercent",
            -1,
            "spec.syncPolicy.maxDeletePercent: -1 is less",
            id="negative maxDeletePercent",
        ),
        pytest.param(
            _ENV,
            "spec.syncPolicy.interval",
            "five minutes",
            "spec.syncPolicy.interval: 'five minutes' does not match",
            id="interval that is not a duration",
        ),
        pytest.param(
            _ENV,
            "spec.cloneFrom",
            {"name": "other"},
            "spec: spec.cloneFrom is allowed only when spec.role is sandbox",
            id="cloneFrom on a production store",
        ),
        pytest.param(
            _SANDBOX,
            "spec.cloneFrom.customers",
            {"rules": [{"field": "phone", "action": "keep"}]},
            "spec.cloneFrom.customers.rules[0]: phone, company and notes are personal data",
            id="a customer's phone kept in a sandbox",
        ),
        pytest.param(
            _SANDBOX,
            "spec.cloneFrom.customers",
            {"rules": [{"field": "email", "action": "mask"}]},
            "spec.cloneFrom.customers.rules.0.field: 'email' does not match",
            id="a rule for a field always replaced",
        ),
        pytest.param(
            _SNAP,
            "spec.source.inline",
            {"products": []},
            "spec.source: spec.source: exactly one of git, capture or inline",
            id="two sources at once",
        ),
        pytest.param(
            _SNAP,
            "spec.source",
            {},
            "spec.source: spec.source: exactly one of git, capture or inline",
            id="no source at all",
        ),
        pytest.param(
            _DEPLOY,
            "spec.schedule.at",
            "tomorrow 9am",
            "spec.schedule.at: 'tomorrow 9am' does not match",
            id="schedule that is not a local date-time",
        ),
        pytest.param(
            _DEPLOY,
            "spec.schedule.cron",
            "0 6 * * mon",
            "spec.schedule: schedule: exactly one of at or cron",
            id="a schedule both at a time and recurring",
        ),
        pytest.param(
            _DEPLOY,
            "spec.targets",
            [],
            "spec: spec: name at least one target or storefront",
            id="no targets",
        ),
        pytest.param(
            _DEPLOY,
            "spec.storefronts",
            [{"environment": "production", "channels": []}],
            "spec.storefronts.0.channels: [] should be non-empty",
            id="a storefront target without channels",
        ),
        pytest.param(
            _DEPLOY,
            "spec.storefronts",
            [{"environment": "production", "channels": ["EU"], "timezone": "Europe Paris"}],
            "spec.storefronts.0.timezone: 'Europe Paris' does not match",
            id="a storefront zone that is not an IANA name",
        ),
        pytest.param(
            _DEPLOY,
            "spec.storefronts",
            [{"environment": "production", "channels": ["EU"], "catalogScope": "tree"}],
            "spec.storefronts.0.catalogScope: 'tree' is not one of ['store', 'channel']",
            id="a catalog scope other than store or channel",
        ),
        pytest.param(
            _ENV,
            "spec.channels",
            [{"name": "EU"}],
            "spec.channels.0: 'timezone' is a required",
            id="a channel without its zone",
        ),
        pytest.param(
            _ENV,
            "spec.store.apiUrl",
            "https://ci:hunter2@api.bigcommerce.com",
            "spec.store.apiUrl: 'https://ci:hunter2@api.bigcommerce.com' does not match",
            id="apiUrl with user:password",
        ),
        pytest.param(
            _SNAP,
            "spec.source.git.url",
            "https://ci:hunter2@git.example.com/shop/catalog.git",
            "spec.source.git: url: credentials in a URL are refused",
            id="Git URL with user:password",
        ),
    ],
)
def test_bad_specs_are_rejected_with_the_field_named(
    example: str, field: str, value: Any, expected: str
) -> None:
    manifest = _break(_example(example), field, value)
    errors = validate(manifest)
    assert any(e.startswith(expected) for e in errors), errors
    with pytest.raises(pydantic.ValidationError):
        parse_resource(manifest)


def test_defaults_are_filled_in_by_the_models() -> None:
    env = parse_resource(_example("gitops/environments/sandbox.yaml"))
    dumped = env.model_dump(by_alias=True, exclude_none=True)
    assert dumped["spec"]["store"]["credentialsSecretRef"] == {
        "name": "sandbox-store-token",
        "key": "token",
    }
    assert dumped["spec"]["syncPolicy"]["maxDeletePercent"] == 10
    assert dumped["spec"]["platform"] == "bigcommerce"
