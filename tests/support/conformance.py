"""Check recorded HTTP exchanges against the official OpenAPI specs (openapi-core)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
from openapi_core import Config, OpenAPI
from openapi_core.templating.paths.exceptions import PathNotFound, ServerNotFound
from openapi_core.testing import MockRequest, MockResponse

from tests.support import v2docs

PUBLIC_ORIGIN = "https://api.bigcommerce.com"

_RULE_IDS_NULL = (
    "the answer's schema requires integer `modifier_id`, `modifier_value_id` and `variant_id` on "
    "every condition, while its own description (and the request's `complexRuleConditionBase`, "
    "nullable) says a condition names a modifier value or a variant, not always both: the "
    "emulator answers null for what a condition does not name"
)

# Deliberate deviations from the specs, in one place: (method, path template, status) -> reason.
DEVIATIONS: dict[tuple[str, str, int], str] = {
    ("POST", "/catalog/products/{product_id}/images", 200): (
        "the spec's `data` is a oneOf of two schemas with no required fields, so every object matches "
        "both and no response can validate; the emulator answers the application/json branch"
    ),
    ("PUT", "/catalog/products/{product_id}/images/{image_id}", 200): "same oneOf defect as POST",
    ("GET", "/blog/tags", 200): (
        "the spec's answer is an array of `blogTags`, which is itself an array of {tag, post_ids}: "
        "the emulator answers one array of {tag, post_ids}"
    ),
    ("GET", "/catalog/products/{product_id}/bulk-pricing-rules", 200): (
        "the spec's list answer declares `data` as one rule object, not an array of them; the "
        "emulator answers an array, as every other list (and as the spec's own example shows)"
    ),
    ("GET", "/catalog/products/{product_id}/complex-rules", 200): _RULE_IDS_NULL,
    ("POST", "/catalog/products/{product_id}/complex-rules", 200): _RULE_IDS_NULL,
    ("GET", "/catalog/products/{product_id}/complex-rules/{complex_rule_id}", 200): _RULE_IDS_NULL,
    ("PUT", "/catalog/products/{product_id}/complex-rules/{complex_rule_id}", 200): _RULE_IDS_NULL,
    ("POST", "/catalog/products/{product_id}/videos", 422): (
        "the spec documents no error of a create: a video without its video_id is refused with "
        "the platform's usual 422 naming the field"
    ),
    ("POST", "/catalog/products/{product_id}/reviews", 422): (
        "the spec documents no error of a create: a review without its title or date, or with a "
        "rating other than 0 to 5, is refused with the platform's usual 422 naming the field"
    ),
    ("GET", "/themes/{uuid}/configurations", 422): (
        "the spec's usage notes say at least one filter must be provided but document only a 200: "
        "the emulator refuses a request without one by a 422 naming the filters"
    ),
    ("POST", "/content/pages", 201): (
        "the spec says a bulk create answers `data` as an array (as the request), but its schema "
        "only allows one page object"
    ),
}

# Fields whose documented schema no answer can satisfy, checked apart: (method, path template, status)
# -> (field, reason); the rest of the answer is validated without it, and the field by `check`.
_GROUP_RULES = (
    "discount_rules",
    "the spec's `discount_rules` is a oneOf of four array schemas with no required fields, so "
    "every list (the empty one too) matches them all and no answer can validate; the field is "
    "checked against the request schema's rule shapes instead",
)
UNSATISFIABLE: dict[tuple[str, str, int], tuple[str, str]] = {
    ("GET", "/customer_groups", 200): _GROUP_RULES,
    ("POST", "/customer_groups", 200): _GROUP_RULES,
    ("GET", "/customer_groups/{customer_group_id}", 200): _GROUP_RULES,
    ("PUT", "/customer_groups/{customer_group_id}", 200): _GROUP_RULES,
}
_RULE_IDS = {"category": "category_id", "product": "product_id", "price_list": "price_list_id"}


def _group_rules_problems(rules: Any) -> list[str]:
    """The documented rule shapes: a lone price_list rule, else at most one `all` rule and any
    category or product rules, each with method and amount (a 4-decimal text)."""
    if not isinstance(rules, list):
        return ["discount_rules is not a list"]
    problems = []
    kinds = [r.get("type") for r in rules if isinstance(r, dict)]
    if ("price_list" in kinds and len(rules) > 1) or kinds.count("all") > 1:
        problems.append(f"discount_rules combine rules the spec forbids: {kinds}")
    for rule in rules:
        kind = rule.get("type") if isinstance(rule, dict) else None
        id_field = _RULE_IDS.get(str(kind))
        wanted = {"type", *(() if kind == "price_list" else ("method", "amount"))}
        wanted |= {id_field} if id_field else set()
        if kind not in ("all", *_RULE_IDS) or set(rule) != wanted:
            problems.append(f"discount rule {rule} is not of a documented shape")
        elif kind != "price_list" and (
            rule["method"] not in ("percent", "fixed", "price")
            or not re.fullmatch(r"\d+\.\d{4}", str(rule["amount"]))
        ):
            problems.append(f"discount rule {rule}: method or amount out of the documented values")
    return problems


@dataclass
class Exchange:
    """One request and its response."""

    method: str
    url: str
    status: int
    content_type: str
    body: bytes
    query: dict[str, str]


@dataclass
class Conformance:
    """Validates responses against whichever spec file declares the path (and V2 catalog answers
    that no OpenAPI spec declares against their archived documentation pages, `v2docs`)."""

    specs: list[tuple[str, OpenAPI]]
    exchanges: list[Exchange] = field(default_factory=list)
    directory: Path | None = None

    @classmethod
    def load(cls, directory: Path) -> Conformance:
        # `application/problem+json` (the content pages API's errors) is JSON too.
        # An event stream (the redirect jobs' progress) is text.
        config = Config(
            extra_media_type_deserializers={
                "application/problem+json": orjson.loads,
                "text/event-stream": bytes.decode,
            }
        )
        # The lenient specs (v2 blog) break the OpenAPI meta-schema in places unrelated to their
        # responses: their responses are checked, the specs themselves are not.
        lenient = Config(
            extra_media_type_deserializers=config.extra_media_type_deserializers,
            spec_validator_cls=None,
        )
        # The archived V2 catalog specs (brands, custom fields) are checked as the lenient ones.
        return cls(
            [
                (f.name, OpenAPI.from_file_path(str(f), config=config if strict else lenient))
                for folder, strict in (
                    ("reference", True),
                    ("reference-lenient", False),
                    ("archive/rest-catalog", False),
                )
                for f in sorted((directory / folder).rglob("*.y*ml"))
            ],
            directory=directory,
        )

    async def record(self, response: httpx.Response) -> None:
        """An httpx response event hook."""
        await response.aread()
        request = response.request
        self.exchanges.append(
            Exchange(
                method=request.method,
                url=str(request.url),
                status=response.status_code,
                content_type=response.headers.get("content-type", "").split(";")[0],
                body=response.content,
                query=dict(request.url.params),
            )
        )

    def problems(self, exchange: Exchange) -> list[str]:
        """Why the exchange does not conform (empty when it does or is a listed deviation)."""
        parts = urlsplit(exchange.url)
        request = MockRequest(
            PUBLIC_ORIGIN, exchange.method.lower(), parts.path, args=exchange.query
        )
        response = MockResponse(
            exchange.body,
            status_code=exchange.status,
            content_type=exchange.content_type or "application/json",
        )
        for name, api in self.specs:
            try:
                if exchange.status == 204 and not exchange.body:
                    return _check_no_content(api, exchange)
                api.validate_response(request, response)
                return []
            except (PathNotFound, ServerNotFound):
                continue
            except Exception as error:
                template = _template(api, exchange)
                if template and (exchange.method, template, exchange.status) in DEVIATIONS:
                    return []
                if _channel_settings(template, exchange):
                    return self._without_nulls(api, request, exchange)
                apart = UNSATISFIABLE.get((exchange.method, template or "", exchange.status))
                if apart is not None:
                    return self._without(api, request, exchange, apart[0])
                detail = str(error.__cause__ or error)
                return [
                    f"{exchange.method} {parts.path} -> {exchange.status} ({name}): {detail[:600]}"
                ]
        return self._archived(exchange)

    def _archived(self, exchange: Exchange) -> list[str]:
        """A V2 catalog answer checked against its documentation page."""
        path = _store_path(exchange.url)
        if self.directory is None or not path.startswith("/v2/"):
            return [f"{exchange.method} {path}: in no spec"]
        if {"include", "exclude"} & set(exchange.query):
            return []  # a chosen subset of the fields, by definition
        body = orjson.loads(exchange.body) if exchange.body else None
        return v2docs.problems(self.directory, exchange.method, path, exchange.status, body)

    def _without(
        self, api: OpenAPI, request: MockRequest, exchange: Exchange, name: str
    ) -> list[str]:
        """Validate the answer without field `name`, and the field by its own rules."""
        body = orjson.loads(exchange.body)
        records = body if isinstance(body, list) else [body]
        problems = [p for r in records for p in _group_rules_problems(r.pop(name, None))]
        response = MockResponse(
            orjson.dumps(body), status_code=exchange.status, content_type="application/json"
        )
        try:
            api.validate_response(request, response)
        except Exception as error:
            problems.append(
                f"{exchange.method} {exchange.url}: {str(error.__cause__ or error)[:600]}"
            )
        return problems

    def _without_nulls(self, api: OpenAPI, request: MockRequest, exchange: Exchange) -> list[str]:
        """Validate a channel's settings without the fields it does not override (`null`); a
        field the schema requires may be one of them."""
        body = orjson.loads(exchange.body)
        nulls = {k for k, v in body["data"].items() if v is None}
        body["data"] = {k: v for k, v in body["data"].items() if v is not None}
        response = MockResponse(
            orjson.dumps(body), status_code=exchange.status, content_type="application/json"
        )
        try:
            api.validate_response(request, response)
        except Exception as error:
            cause: Any = error.__cause__
            left = (
                [
                    e
                    for e in getattr(cause, "schema_errors", [error])
                    if not (e.validator == "required" and e.validator_value and _names(e) <= nulls)
                ]
                if cause is not None
                else [error]
            )
            if left:
                return [f"{exchange.method} {exchange.url}: {str(cause or error)[:600]}"]
        return []

    def endpoints(self) -> set[tuple[str, str]]:
        """(method, path template) of every recorded exchange that a spec declares."""
        found = set()
        for exchange in self.exchanges:
            for _, api in self.specs:
                template = _template(api, exchange)
                if template:
                    found.add((exchange.method, template))
                    break
            else:
                path = _store_path(exchange.url)
                page = (
                    v2docs.page_of(self.directory, exchange.method, path)
                    if self.directory is not None and path.startswith("/v2/")
                    else None
                )
                if page is not None:
                    found.add(
                        (exchange.method, v2docs.shape_of(self.directory, exchange.method, path))
                    )
        return found


# settings.v3 says that `null` marks a field a channel does not override (inheriting the global
# value), but its schemas declare no field nullable (and the search settings require all four):
# a channel's settings answer is validated without its `null` fields.


def _channel_settings(template: str | None, exchange: Exchange) -> bool:
    """Whether the exchange is a channel's settings answer (see above)."""
    return (
        bool(template and template.startswith("/settings/"))
        and "channel_id" in exchange.query
        and exchange.status == 200
    )


def _names(error: Any) -> set[str]:
    """The properties a jsonschema `required` error names as missing."""
    return set(re.findall(r"'([^']+)' is a required property", error.message))


def _check_no_content(api: OpenAPI, exchange: Exchange) -> list[str]:
    """openapi-core reads `content: {}` as "a body is required"; check an empty 204 by hand."""
    template = _template(api, exchange)
    if template is None:
        raise PathNotFound(exchange.url)
    spec: Any = api.spec
    responses = spec["paths"][template][exchange.method.lower()]["responses"]
    if "204" not in responses:
        return [f"{exchange.method} {template} -> 204 is not a documented status"]
    return []


def _store_path(url: str) -> str:
    """The path of a store URL below `/stores/{hash}`."""
    _, _, rest = urlsplit(url).path.partition("/stores/")
    return "/" + rest.split("/", 1)[1] if "/" in rest else "/"


def _template(api: OpenAPI, exchange: Exchange) -> str | None:
    path = urlsplit(exchange.url).path
    _, _, rest = path.partition("/stores/")
    rest = "/" + rest.split("/", 2)[2] if rest.count("/") >= 2 else ""
    spec: Any = api.spec
    # A literal segment wins over a parameter (`/hooks/admin` before `/hooks/{webhook_id}`).
    templates = sorted(spec["paths"].keys(), key=lambda t: str(t).count("{"))
    for template in templates:
        pattern = (
            "^" + "".join("[^/]+" if seg.startswith("{") else seg for seg in _split(template)) + "$"
        )
        if re.match(pattern, rest):
            methods = {m.upper() for m in spec["paths"][template].keys()}  # noqa: SIM118
            if exchange.method in methods:
                return str(template)
    return None


def _split(template: str) -> list[str]:
    return re.split(r"(\{[^}]+\})", template)
