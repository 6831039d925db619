"""Generate CustomResourceDefinitions from the pydantic models (the models are the source of truth).

Pydantic emits JSON Schema 2020-12; Kubernetes wants structural OpenAPI v3.0: every node typed, no
`$ref`, `nullable` instead of `null` unions, no `additionalProperties: false` beside
`properties`, `x-kubernetes-preserve-unknown-fields` for free-form objects.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from controller.api.base import CATEGORY, GROUP, VERSION
from controller.api.resources import KINDS, KindInfo

_DROP_KEYS = {"title", "$defs", "discriminator"}
_KEEP_EXTENSION_PREFIX = "x-kubernetes-"


def _deref(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            target = defs[node["$ref"].rsplit("/", 1)[-1]]
            merged = {**_deref(target, defs), **{k: v for k, v in node.items() if k != "$ref"}}
            return _deref(merged, defs)
        return {k: _deref(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_deref(v, defs) for v in node]
    return node


def _structural(node: dict[str, Any]) -> dict[str, Any]:
    node = dict(node)
    for key in _DROP_KEYS:
        node.pop(key, None)
    if node.get("default", 0) is None:
        node.pop("default")

    # X | None  ->  X with nullable: true
    for union_key in ("anyOf", "oneOf"):
        options = node.get(union_key)
        if options and any(o.get("type") == "null" for o in options):
            rest = [o for o in options if o.get("type") != "null"]
            node.pop(union_key)
            if len(rest) == 1:
                extras = {k: v for k, v in node.items()}
                node = {**_structural(rest[0]), **extras}
            else:
                node[union_key] = rest
            node["nullable"] = True
    if "const" in node:
        node["enum"] = [node.pop("const")]
        node.setdefault("type", "string")

    if "properties" in node:
        node["type"] = "object"
        node["properties"] = {k: _structural(v) for k, v in node["properties"].items()}
        if node.get("additionalProperties") is False:
            node.pop("additionalProperties")
        if not node.get("required"):
            node.pop("required", None)
    elif node.get("type") == "object":
        extra = node.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            node["additionalProperties"] = _structural(extra)
        else:
            node.pop("additionalProperties", None)
            node["x-kubernetes-preserve-unknown-fields"] = True
    elif "type" not in node and "enum" not in node:
        node["x-kubernetes-preserve-unknown-fields"] = True
    if "items" in node:
        node["items"] = _structural(node["items"])
    return {k: node[k] for k in sorted(node)}


def openapi_schema(model: type[Any]) -> dict[str, Any]:
    """Structural OpenAPI v3 schema of one pydantic model."""
    raw = model.model_json_schema(by_alias=True, mode="validation")
    return _structural(_deref(raw, raw.get("$defs", {})))


def crd_for(info: KindInfo) -> dict[str, Any]:
    """The CustomResourceDefinition of one kind."""
    spec_schema = openapi_schema(info.spec_model)
    status_schema = openapi_schema(info.status_model)
    spec_schema["description"] = f"Desired state of the {info.kind}."
    status_schema["description"] = f"Observed state of the {info.kind}."
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{info.plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {
                "kind": info.kind,
                "listKind": f"{info.kind}List",
                "plural": info.plural,
                "singular": info.singular,
                "shortNames": list(info.short_names),
                "categories": [CATEGORY],
            },
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": [dict(c) for c in info.printer_columns],
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "description": info.description,
                            "required": ["spec"],
                            "properties": {
                                "apiVersion": {"type": "string"},
                                "kind": {"type": "string"},
                                "metadata": {"type": "object"},
                                "spec": spec_schema,
                                "status": status_schema,
                            },
                        }
                    },
                }
            ],
        },
    }


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_presenter)


def render_crds() -> dict[str, str]:
    """File name -> YAML text of every CRD, exactly as committed under `crds/`."""
    header = "# Generated by `stagingpro crds` from controller/api; do not edit.\n"
    return {
        f"{GROUP}_{info.plural}.yaml": header
        + yaml.dump(crd_for(info), Dumper=_Dumper, sort_keys=False, width=100)
        for info in KINDS
    }


def _reference_rows(schema: dict[str, Any], prefix: str) -> list[str]:
    rows = []
    required = set(schema.get("required", []))
    for name, sub in schema.get("properties", {}).items():
        path = f"{prefix}.{name}"
        kind = sub.get("type", "any")
        if kind == "array":
            kind = f"[]{sub.get('items', {}).get('type', 'any')}"
        facts = []
        if name in required:
            facts.append("required")
        if "enum" in sub:
            facts.append("one of " + ", ".join(f"`{v}`" for v in sub["enum"]))
        if "default" in sub:
            facts.append(f"default `{json.dumps(sub['default'])}`")
        for key, label in (("minimum", "min"), ("maximum", "max"), ("pattern", "pattern")):
            if key in sub:
                facts.append(f"{label} `{sub[key]}`")
        description = " ".join(sub.get("description", "").split()).replace("|", "\\|")
        facts_text = "; ".join(facts).replace("|", "\\|")
        rows.append(f"| `{path}` | {kind} | {description} | {facts_text} |")
        if sub.get("type") == "object":
            rows.extend(_reference_rows(sub, path))
        elif sub.get("type") == "array" and isinstance(sub.get("items"), dict):
            rows.extend(_reference_rows(sub["items"], f"{path}[]"))
    return rows


def render_reference() -> str:
    """The Markdown field reference of every kind (docs/api.md)."""
    parts = [
        "# Resource reference: `stagingpro.io/v1alpha1`\n",
        "Generated by `stagingpro crds --reference docs/api.md` from `controller/api`.\n",
    ]
    for info in KINDS:
        crd = crd_for(info)
        schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        parts.append(f"\n## {info.kind} (short name `{', '.join(info.short_names)}`)\n")
        parts.append(f"{info.description}\n")
        for section in ("spec", "status"):
            sub = schema["properties"][section]
            rules = [r["message"] for r in sub.get("x-kubernetes-validations", [])]
            parts.append(f"\n### {section}\n")
            if rules:
                parts.append("\n" + "".join(f"- Rule: {m}\n" for m in rules))
            parts.append("\n| field | type | description | constraints |\n|---|---|---|---|\n")
            parts.append("\n".join(_reference_rows(sub, section)) + "\n")
    return "".join(parts)
