"""Validate custom objects against a generated CRD the way an API server would (schema + CEL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import celpy
import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
CRD_DIR = ROOT / "crds"


def _to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 (nullable) -> JSON Schema (type lists); drops x-kubernetes-* keys."""
    if isinstance(node, list):
        return [_to_json_schema(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _to_json_schema(v) for k, v in node.items() if not k.startswith("x-kubernetes-")}
    if out.pop("nullable", False) and "type" in out:
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


def load_crds() -> dict[str, dict[str, Any]]:
    """Kind -> CRD document, from the committed files."""
    crds = {}
    for path in sorted(CRD_DIR.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        crds[crd["spec"]["names"]["kind"]] = crd
    return crds


def _cel_errors(schema: dict[str, Any], value: Any, path: str) -> list[str]:
    errors = []
    env = celpy.Environment()
    for rule in schema.get("x-kubernetes-validations", []):
        program = env.program(env.compile(rule["rule"]))
        if not bool(program.evaluate({"self": celpy.json_to_cel(value)})):
            errors.append(f"{path}: {rule['message']}")
    if isinstance(value, dict):
        for key, sub in schema.get("properties", {}).items():
            if key in value and value[key] is not None:
                errors.extend(_cel_errors(sub, value[key], f"{path}.{key}"))
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            errors.extend(_cel_errors(schema["items"], item, f"{path}[{index}]"))
    return errors


def validate(manifest: dict[str, Any]) -> list[str]:
    """Every error the API server would report, each starting with the field path."""
    crd = load_crds()[manifest["kind"]]
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    validator = jsonschema.Draft7Validator(_to_json_schema(schema))
    errors = []
    for error in validator.iter_errors(manifest):
        path = ".".join(str(p) for p in error.absolute_path) or "<root>"
        errors.append(f"{path}: {error.message}")
    if not errors:
        errors = [e.removeprefix("<root>.") for e in _cel_errors(schema, manifest, "<root>")]
    return errors
