"""Build a `Catalog` from plain items (read from files or from an inline `CatalogSnapshot`),
reporting every problem at once with file, line and field."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from controller.catalog import fields, promotions
from controller.catalog.kinds import FILED, KINDS, Kind, KindSpec, children
from controller.catalog.model import (
    ASSOCIATED_KINDS,
    DEFAULT_CHANNEL,
    DEFAULT_CHANNEL_NAME,
    DEFAULT_SITE,
    PRODUCT_FIELDS,
    VARIANT_FIELDS,
    Catalog,
    CatalogInvalid,
    ComplexRule,
    CouponCode,
    CustomerGroup,
    Image,
    Metafield,
    PageLayout,
    Placement,
    PriceList,
    PriceListAssignment,
    PriceRecord,
    PricingRule,
    Problem,
    Product,
    ProductOption,
    Promotion,
    Redirect,
    Review,
    Script,
    TemplateAssociation,
    Variant,
    Video,
    WebPage,
    Widget,
    amount,
    channel_key,
    metafield_name,
    option_values,
    path_key,
    rule_order,
    sku_key,
    split_path,
    validate,
)
from controller.text import did_you_mean

_PRODUCTS = KINDS[Kind.PRODUCTS]
# A product's parts that are not its own fields: its key, references and owned records.
PRODUCT_REFS = frozenset(
    {_PRODUCTS.key}
    | {r.field for r in _PRODUCTS.references}
    | {child.owner_field for child in children(Kind.PRODUCTS) if child.owner_field}
)


_LAST_PART = re.compile(r"(?:\.[^.\[]+|\[\d+\])$")


@dataclass(frozen=True, slots=True)
class Item:
    """One item as written, and where: its first line, and the line of each field where known
    (`variants[0].price` -> 7)."""

    data: Any
    file: str | None = None
    line: int | None = None
    field_lines: Mapping[str, int] | None = None

    def line_of(self, field: str | None) -> int | None:
        """The line of a field (or of the nearest enclosing one), else the item's."""
        if field and self.field_lines:
            path = field
            while path:
                if path in self.field_lines:
                    return self.field_lines[path]
                parent = _LAST_PART.sub("", path)
                if parent == path:
                    break
                path = parent
        return self.line


# Text values this short recur across products ("physical", option labels, custom fields): each
# is kept once per catalog.
SHARED_TEXT = 64
NO_FIELDS: Mapping[str, Any] = {}  # the fields of every record that sets none (never mutated)


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._shared: dict[Any, Any] = {}

    def share(self, value: Any) -> Any:
        """One object for equal values across the catalog (a 100k-product catalog holds each
        option value, custom field, category set and short text once)."""
        if isinstance(value, str) and len(value) > SHARED_TEXT:
            return value
        return self._shared.setdefault(value, value)

    def add(self, item: Item, message: str, field: str | None = None) -> None:
        self.problems.append(Problem(message, item.file, item.line_of(field), field))

    def fields(
        self,
        item: Item,
        data: Mapping[str, Any],
        table: Mapping[str, fields.FieldSpec],
        allowed: frozenset[str],
        prefix: str = "",
    ) -> dict[str, Any]:
        checks = _CHECKS[id(table)]
        out = {}
        for name, value in data.items():
            if name not in allowed:
                self.add(item, f"unknown field {name!r}", prefix + name)
                continue
            check = checks.get(name)
            if check is not None and not check(value):
                problem = fields.check_value(name, table[name], value)
                self.add(item, problem or f"{name} is invalid", prefix + name)
                continue
            out[name] = self.share(value) if isinstance(value, str) else value
        return out


_CHECKS = {id(spec.fields): fields.compile_checks(dict(spec.fields)) for spec in KINDS.values()}
_CUSTOM_FIELD_KEYS = frozenset({"name", "value"})
_IMAGE_KEYS = frozenset({"image_url", "is_thumbnail", "description"})


def _object(c: _Collector, item: Item, what: str) -> dict[str, Any] | None:
    if not isinstance(item.data, dict):
        c.add(item, f"a {what} must be a mapping, not {type(item.data).__name__}")
        return None
    return item.data


def _product(c: _Collector, item: Item) -> Product | None:
    data = _object(c, item, "product")
    if data is None:
        return None
    sku = data.get("sku")
    if not isinstance(sku, str) or not sku.strip():
        c.add(item, "sku is required", "sku")
        return None
    managed = c.fields(
        item,
        {k: v for k, v in data.items() if k not in PRODUCT_REFS},
        fields.PRODUCT,
        PRODUCT_FIELDS,
    )
    categories = None
    if "categories" in data:
        raw = data["categories"]
        if not isinstance(raw, list) or not all(isinstance(p, str) and p.strip() for p in raw):
            c.add(item, "categories must be a list of category paths", "categories")
        else:
            categories = c.share(frozenset(path_key(p) for p in raw))
    channels = None
    if "channels" in data:
        raw = data["channels"]
        if not isinstance(raw, list) or not all(isinstance(n, str) and n.strip() for n in raw):
            c.add(item, "channels must be a list of channel names", "channels")
        else:
            channels = c.share(frozenset(n.strip() for n in raw))
    brand = None
    if "brand" in data:
        if data["brand"] is not None and not isinstance(data["brand"], str):
            c.add(item, "brand must be a brand name", "brand")
        else:
            brand = c.share(data["brand"] or "")
    variants = None
    if "variants" in data:
        variants = tuple(
            v
            for v in (
                _variant(c, item, i, raw) for i, raw in enumerate(_list(c, item, data, "variants"))
            )
            if v is not None
        )
    custom_fields = None
    if "custom_fields" in data:
        pairs = []
        for index, raw in enumerate(_list(c, item, data, "custom_fields")):
            label = f"custom_fields[{index}]"
            if not isinstance(raw, dict) or set(raw) != {"name", "value"}:
                c.add(item, "a custom field is {name, value}", label)
                continue
            checked = c.fields(
                item, raw, fields.CUSTOM_FIELD, _CUSTOM_FIELD_KEYS, prefix=f"{label}."
            )
            if len(checked) == 2:
                pairs.append(c.share((checked["name"], checked["value"])))
        custom_fields = c.share(tuple(pairs))
    images = None
    if "images" in data:
        found = []
        for index, raw in enumerate(_list(c, item, data, "images")):
            raw = {"image_url": raw} if isinstance(raw, str) else raw
            if not isinstance(raw, dict) or not isinstance(raw.get("image_url"), str):
                c.add(
                    item,
                    "an image is an image_url (and is_thumbnail, description)",
                    f"images[{index}]",
                )
                continue
            checked = c.fields(
                item,
                raw,
                fields.IMAGE,
                _IMAGE_KEYS,
                prefix=f"images[{index}].",
            )
            found.append(
                Image(
                    checked["image_url"],
                    bool(checked.get("is_thumbnail", False)),
                    c.share(str(checked.get("description", ""))),
                )
            )
        images = tuple(found)
    return Product(
        sku=sku,
        fields=managed,
        categories=categories,
        brand=brand,
        variants=variants,
        custom_fields=custom_fields,
        images=images,
        options=_options(c, item, data, KINDS[Kind.OPTIONS], fields.OPTION_VALUE),
        modifiers=_options(c, item, data, KINDS[Kind.MODIFIERS], fields.MODIFIER_VALUE),
        complex_rules=_complex_rules(c, item, data),
        bulk_pricing_rules=_pricing_rules(c, item, data),
        metafields=_metafields(c, item, data),
        videos=_videos(c, item, data),
        reviews=_reviews(c, item, data),
        channels=channels,
    )


_RULES = KINDS[Kind.COMPLEX_RULES]
_PRICING = KINDS[Kind.BULK_PRICING_RULES]


def _complex_rules(
    c: _Collector, item: Item, data: Mapping[str, Any]
) -> tuple[ComplexRule, ...] | None:
    """A product's complex rules, each known by its conditions (a modifier's display name and
    value label, and/or a variant's SKU)."""
    if "complex_rules" not in data:
        return None
    found: list[ComplexRule] = []
    keys: set[str] = set()
    for index, raw in enumerate(_list(c, item, data, "complex_rules")):
        label = f"complex_rules[{index}]"
        if not isinstance(raw, dict):
            c.add(item, "a complex rule is a mapping", label)
            continue
        conditions = []
        for at, condition in enumerate(raw.get("conditions") or []):
            where = f"{label}.conditions[{at}]"
            parts = condition if isinstance(condition, dict) else {}
            names = tuple(parts.get(k, "") for k in ("modifier", "value", "variant"))
            if (
                set(parts) - {"modifier", "value", "variant"}
                or not all(isinstance(n, str) for n in names)
                or bool(names[0]) != bool(names[1])
                or not any(names)
            ):
                c.add(item, "a condition is a modifier and its value, and/or a variant", where)
                continue
            conditions.append(c.share(names))
        if not conditions:
            c.add(item, "a complex rule needs conditions", f"{label}.conditions")
            continue
        checked = c.fields(
            item,
            {k: v for k, v in raw.items() if k != "conditions"},
            fields.COMPLEX_RULE,
            _RULES.managed,
            prefix=f"{label}.",
        )
        for name in ("price_adjuster", "weight_adjuster"):
            if name in checked:
                adjuster = fields.adjuster(checked[name])
                if adjuster is None or adjuster["adjuster"] not in fields.ADJUSTERS:
                    c.add(
                        item,
                        "an adjuster is {adjuster: relative|percentage, adjuster_value}",
                        f"{label}.{name}",
                    )
                checked[name] = adjuster
                if adjuster is None:
                    del checked[name]
        rule = ComplexRule(tuple(sorted(conditions)), checked)
        if rule.key.casefold() in keys:
            c.add(item, f"two complex rules have the conditions {rule.key!r}", label)
        keys.add(rule.key.casefold())
        found.append(rule)
    return tuple(found)


def _pricing_rules(
    c: _Collector, item: Item, data: Mapping[str, Any]
) -> tuple[PricingRule, ...] | None:
    """A product's bulk pricing rules, by the quantity each starts at."""
    if "bulk_pricing_rules" not in data:
        return None
    found: list[PricingRule] = []
    for index, raw in enumerate(_list(c, item, data, "bulk_pricing_rules")):
        label = f"bulk_pricing_rules[{index}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("quantity_min"), int):
            c.add(item, "a bulk pricing rule needs quantity_min", label)
            continue
        checked = c.fields(
            item,
            {k: v for k, v in raw.items() if k != "quantity_min"},
            fields.BULK_PRICING_RULE,
            _PRICING.managed,
            prefix=f"{label}.",
        )
        missing = [f for f in _PRICING.required_in_file if f not in checked]
        if missing:
            c.add(item, f"a bulk pricing rule needs {', '.join(missing)}", label)
            continue
        top = checked["quantity_max"]
        if top and top < raw["quantity_min"]:
            c.add(
                item, "quantity_max is below quantity_min (0: no maximum)", f"{label}.quantity_max"
            )
        found.append(PricingRule(raw["quantity_min"], checked))
    ranges = sorted(found, key=lambda r: r.quantity_min)
    for low, high in _overlapping((r.quantity_min, r.fields["quantity_max"]) for r in ranges):
        c.add(item, f"bulk pricing ranges from {low} and {high} overlap", "bulk_pricing_rules")
    return tuple(ranges)


def _overlapping(ranges: Iterable[tuple[int, int | None]]) -> Iterator[tuple[int, int]]:
    """The minima of each two neighbouring quantity ranges (minimum, maximum; 0 or None: no
    maximum) that overlap."""
    ordered = sorted(ranges, key=lambda r: r[0])
    for (low, top), (high, _) in itertools.pairwise(ordered):
        if not top or top >= high:
            yield low, high


def _options(
    c: _Collector,
    item: Item,
    data: Mapping[str, Any],
    spec: KindSpec,
    value_fields: dict[str, fields.FieldSpec],
) -> tuple[ProductOption, ...] | None:
    """A product's variant options or modifiers (None when it does not say), each by display
    name with its values by label, in their sort order."""
    attribute = spec.owner_field or ""
    if attribute not in data:
        return None
    found: list[ProductOption] = []
    names: set[str] = set()
    for index, raw in enumerate(_list(c, item, data, attribute)):
        label = f"{attribute}[{index}]"
        name = raw.get("display_name") if isinstance(raw, dict) else None
        if not isinstance(name, str) or not name.strip():
            c.add(item, f"a {spec.singular} needs a display_name", label)
            continue
        if name.casefold() in names:
            c.add(item, f"{spec.singular} {name!r} appears twice", label)
        names.add(name.casefold())
        checked = c.fields(
            item,
            {k: v for k, v in raw.items() if k not in ("display_name", "option_values")},
            spec.fields,
            spec.managed - {"option_values"},
            prefix=f"{label}.",
        )
        for required in spec.required_in_file:
            if required not in raw:
                c.add(item, f"{spec.singular} {name!r} needs {required}", f"{label}.{required}")
        if not checked.get("config", True):
            del checked["config"]  # no config is the platform's empty one
        if "option_values" in raw:
            values, labels = [], set()
            for at, value in enumerate(_list(c, item, raw, "option_values")):
                problem = fields.value_problem(value, value_fields)
                if problem:
                    c.add(item, problem, f"{label}.option_values[{at}]")
                    continue
                if value["label"].casefold() in labels:
                    c.add(item, f"value {value['label']!r} appears twice", f"{label}.option_values")
                labels.add(value["label"].casefold())
                values.append(fields.option_value(value, at, adjusters="adjusters" in value_fields))
            checked["option_values"] = option_values(values)
        found.append(ProductOption(c.share(name), checked))
    return tuple(found)


_REVIEW_KEYS = frozenset(fields.REVIEW)


def _reviews(c: _Collector, item: Item, data: Mapping[str, Any]) -> tuple[Review, ...] | None:
    """A product's `reviews` as written (None when absent: not managed), each by the moment it
    was made and its title (a reviewer's name or email is refused: personal data)."""
    if "reviews" not in data:
        return None
    found: dict[str, Review] = {}
    for index, raw in enumerate(_list(c, item, data, "reviews")):
        label = f"reviews[{index}]"
        if not isinstance(raw, dict) or not raw.get("title") or not raw.get("date_reviewed"):
            c.add(item, "a review is {date_reviewed, title, text, status, rating}", label)
            continue
        for personal in sorted({"name", "email"} & set(raw)):
            c.add(item, f"a reviewer's {personal} is personal data: never in a catalog", label)
        raw = {k: v for k, v in raw.items() if k not in ("name", "email")}
        checked = c.fields(item, raw, fields.REVIEW, _REVIEW_KEYS, prefix=f"{label}.")
        if "title" not in checked or "date_reviewed" not in checked:
            continue
        review = Review(checked.pop("date_reviewed"), checked.pop("title"), checked)
        if review.key in found:
            c.add(item, f"review {review.key!r} appears twice", label)
            continue
        found[review.key] = review
    return tuple(found[k] for k in sorted(found))


_VIDEO_KEYS = frozenset(fields.VIDEO)


def _videos(c: _Collector, item: Item, data: Mapping[str, Any]) -> tuple[Video, ...] | None:
    """A product's `videos` as written (None when absent: not managed), each by its video id."""
    if "videos" not in data:
        return None
    found: dict[str, Video] = {}
    for index, raw in enumerate(_list(c, item, data, "videos")):
        label = f"videos[{index}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("video_id"), str):
            c.add(item, "a video is {video_id, title, description, sort_order}", label)
            continue
        checked = c.fields(item, raw, fields.VIDEO, _VIDEO_KEYS, prefix=f"{label}.")
        video_id = checked.pop("video_id", "")
        if not video_id:
            c.add(item, "video_id is the video's id on YouTube", f"{label}.video_id")
        elif video_id in found:
            c.add(item, f"video {video_id!r} appears twice", label)
        else:
            found[video_id] = Video(video_id, checked)
    return tuple(found.values())


_METAFIELD_KEYS = frozenset(fields.METAFIELD)


def _metafields(
    c: _Collector, item: Item, data: Mapping[str, Any], prefix: str = ""
) -> tuple[Metafield, ...] | None:
    """The `metafields` of an owner as written (None when absent: not managed): each a
    namespace, key, value and permission_set (and description), each namespace and key once."""
    if "metafields" not in data:
        return None
    found: dict[tuple[str, str], Metafield] = {}
    raw_list = data["metafields"]
    if not isinstance(raw_list, list):
        c.add(item, "metafields must be a list", f"{prefix}metafields")
        return ()
    for index, raw in enumerate(raw_list):
        label = f"{prefix}metafields[{index}]"
        if not isinstance(raw, dict):
            c.add(item, "a metafield is {namespace, key, value, permission_set}", label)
            continue
        missing = [k for k in ("namespace", "key", "value", "permission_set") if k not in raw]
        if missing:
            c.add(item, f"a metafield needs {', '.join(missing)}", label)
            continue
        checked = c.fields(item, raw, fields.METAFIELD, _METAFIELD_KEYS, prefix=f"{label}.")
        if "namespace" not in checked or "key" not in checked:
            continue
        ident = (checked.pop("namespace"), checked.pop("key"))
        if not ident[0] or not ident[1]:
            c.add(item, "a metafield's namespace and key are not empty", label)
            continue
        if ident in found:
            c.add(item, f"metafield {metafield_name(*ident)!r} appears twice", label)
            continue
        found[ident] = Metafield(*ident, checked)
    if len(found) > fields.MAX_METAFIELDS:
        c.add(item, f"more than {fields.MAX_METAFIELDS} metafields", f"{prefix}metafields")
    return tuple(found[k] for k in sorted(found))


def _list(c: _Collector, item: Item, data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list):
        c.add(item, f"{key} must be a list", key)
        return []
    return value


def _variant(c: _Collector, item: Item, index: int, raw: Any) -> Variant | None:
    label = f"variants[{index}]"
    if not isinstance(raw, dict) or not isinstance(raw.get("sku"), str) or not raw["sku"].strip():
        c.add(item, "a variant needs a sku", label)
        return None
    options = []
    for value in raw.get("option_values") or []:
        option = (
            value.get("option_display_name", value.get("option"))
            if isinstance(value, dict)
            else None
        )
        text = value.get("label") if isinstance(value, dict) else None
        if not isinstance(option, str) or not isinstance(text, str) or not option or not text:
            c.add(item, "an option value is {option_display_name, label}", f"{label}.option_values")
            continue
        options.append(c.share((option, text)))
    managed = c.fields(
        item,
        {k: v for k, v in raw.items() if k not in ("sku", "option_values", "metafields")},
        fields.VARIANT,
        VARIANT_FIELDS,
        prefix=f"{label}.",
    )
    metafields = _metafields(c, item, raw, f"{label}.")
    return Variant(raw["sku"], c.share(tuple(options)), managed or NO_FIELDS, metafields)


def _keyed(
    c: _Collector, spec: KindSpec, items: Iterable[Item]
) -> dict[str, tuple[str, dict[str, Any], Item]]:
    """Records identified by one field (a category's path, a brand's or script's name): each once,
    with its checked fields (and, under `metafields` where the kind has them, its metafields)."""
    owns = any(child.kind in _METAFIELD_KINDS for child in children(spec.kind))
    found: dict[str, tuple[str, dict[str, Any], Item]] = {}
    for item in items:
        data = _object(c, item, spec.singular)
        if data is None:
            continue
        ident = data.get(spec.key)
        if not isinstance(ident, str) or not ident.strip():
            example = " (e.g. Apparel/Shoes)" if spec.tree else ""
            c.add(item, f"{spec.key} is required{example}", spec.key)
            continue
        if "channel" in spec.fields:  # a category of another channel's tree: keyed `EU:path`
            data = _without_legacy_id(c, item, data)
            key = spec.fold(channel_key(ident, data))
        else:
            key = spec.fold(ident)
        if key in found:
            c.add(item, f"{spec.singular} {ident!r} appears twice", spec.key)
            continue
        data = {k: v for k, v in data.items() if k != spec.key}
        metafields = None
        if owns:
            metafields = _metafields(c, item, data)
            data.pop("metafields", None)
        checked = c.fields(item, data, spec.fields, spec.managed)
        if metafields is not None:
            checked[_OWNED_METAFIELDS] = metafields
        found[key] = (ident, checked, item)
    return found


_METAFIELD_KINDS = frozenset(
    {
        Kind.PRODUCT_METAFIELDS,
        Kind.VARIANT_METAFIELDS,
        Kind.CATEGORY_METAFIELDS,
        Kind.BRAND_METAFIELDS,
    }
)
_OWNED_METAFIELDS = " metafields"  # where _keyed hands a record's metafields to build_catalog


def _made(spec: KindSpec, ident: str, checked: dict[str, Any]) -> Any:
    """A record of a kind keyed by one field, made with its metafields (when written)."""
    assert spec.make is not None, f"{spec.kind} has no make()"
    metafields = checked.pop(_OWNED_METAFIELDS, None)
    record = spec.make(ident, checked)
    return record if metafields is None else replace(record, metafields=metafields)


_PAGE_FIELDS = KINDS[Kind.PAGES].fields
_PAGE_KEYS = frozenset(_PAGE_FIELDS) | {"parent"}
_REDIRECT_TARGETS = ("to_product", "to_category", "to_brand", "to_page", "to_post", "to_url")
_REDIRECT_KEYS = frozenset({"from_path", "channel", *_REDIRECT_TARGETS})
_SCRIPTS = KINDS[Kind.SCRIPTS]
# The store ids older catalogs wrote for the first storefront (its channel, its site): read as
# the first storefront; any other id means nothing in another store.
_LEGACY_IDS = {"channel_id": DEFAULT_CHANNEL, "site_id": DEFAULT_SITE}


def _without_legacy_id(c: _Collector, item: Item, data: Mapping[str, Any]) -> dict[str, Any]:
    """An item without the store id of its channel (or site) that older catalogs wrote: the
    first storefront's is dropped, another is reported (channels are named, ids differ)."""
    out = dict(data)
    for name, default in _LEGACY_IDS.items():
        if name in out and out.pop(name) != default:
            c.add(item, f"{name} is a store's id: name the channel instead (channel: NAME)", name)
    if out.get("channel") == DEFAULT_CHANNEL_NAME:  # the first storefront, as when absent
        del out["channel"]
    return out


def _script(c: _Collector, item: Item) -> Script | None:
    """One script as written: its name and fields, its channel by name."""
    data = _object(c, item, "script")
    if data is None:
        return None
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        c.add(item, "name is required", "name")
        return None
    values = {k: v for k, v in _without_legacy_id(c, item, data).items() if k != "name"}
    return Script(name, c.fields(item, values, _SCRIPTS.fields, _SCRIPTS.managed))


def _page(c: _Collector, item: Item) -> WebPage | None:
    """One web page as written: its URL (a link page: its link), fields and parent URL."""
    data = _object(c, item, "web page")
    if data is None:
        return None
    written = _without_legacy_id(c, item, data)
    checked = c.fields(
        item, {k: v for k, v in written.items() if k != "parent"}, _PAGE_FIELDS, _PAGE_KEYS
    )
    for name in ("name", "type"):
        if name not in data:
            c.add(item, f"{name} is required", name)
    link = checked.get("type") == "link"
    what = "link" if link else "url"
    identity = checked.get(what)
    if not isinstance(identity, str) or not identity.strip():
        c.add(item, f"{what} is required" + ("" if link else " (e.g. /about-us/)"), what)
        return None
    if link and "url" in data:
        c.add(item, "a link page is identified by its link and has no url", "url")
    if not link and not identity.startswith("/"):
        c.add(item, "url must be a path starting with /", "url")
        return None
    parent = data.get("parent") or ""
    if not isinstance(parent, str):
        c.add(item, "parent must be the URL of a page", "parent")
        parent = ""
    fields_ = {k: v for k, v in checked.items() if k != "url"}
    if parent.startswith("/"):  # a URL of the page's own channel, where the platform wants it
        parent = channel_key(parent, fields_)
    elif parent and not parent.startswith(channel_key("", fields_) or "/"):
        c.add(item, f"parent {parent!r} is a page of another channel than this page's", "parent")
    return WebPage(identity, fields_, parent)


def _exactly_one(
    c: _Collector,
    item: Item,
    allowed: frozenset[str],
    choices: tuple[str, ...],
    rule: str,
    anchor: str | None = None,
) -> str | None:
    """The one of `choices` an item sets (unknown fields reported); None, reported, when it sets
    none or several."""
    data = item.data
    for name in sorted(set(data) - allowed):
        c.add(item, f"unknown field {name!r}", name)
    chosen = [k for k in choices if data.get(k)]
    if len(chosen) != 1:
        c.add(item, f"{rule} ({', '.join(choices)})", chosen[1] if len(chosen) > 1 else anchor)
        return None
    return chosen[0]


def _redirect(c: _Collector, item: Item) -> Redirect | None:
    """One redirect as written: its from path, site and exactly one target."""
    data = _object(c, item, "redirect")
    if data is None:
        return None
    data = _without_legacy_id(c, item, data)
    path = data.get("from_path")
    if not isinstance(path, str) or not path.startswith("/"):
        c.add(item, "from_path is required: a path starting with /", "from_path")
        return None
    item = replace(item, data=data)
    target = _exactly_one(
        c, item, _REDIRECT_KEYS, _REDIRECT_TARGETS, "a redirect has exactly one target", "from_path"
    )
    if target is None:
        return None
    checked = c.fields(
        item,
        {k: data[k] for k in ("channel", "to_url") if k in data},
        KINDS[Kind.REDIRECTS].fields,
        _REDIRECT_KEYS,
    )
    value = data[target]
    if not isinstance(value, str):
        c.add(item, f"{target} must be text", target)
        return None
    if target == "to_url":
        return Redirect(path, checked)
    if target == "to_category":
        value = "/".join(split_path(value))
    return Redirect(path, checked, **{target: value})


def _content_keyed(
    c: _Collector, items: Iterable[Item], read: Callable[[_Collector, Item], Any], spec: KindSpec
) -> dict[str, tuple[Any, Item]]:
    """Records read by `read` (pages, redirects) by natural key, each once."""
    found: dict[str, tuple[Any, Item]] = {}
    for item in items:
        record = read(c, item)
        if record is None:
            continue
        key = record.key
        if key in found:
            c.add(item, f"{spec.singular} {record.key!r} appears twice ({found[key][1].file})")
            continue
        found[key] = (record, item)
    return found


def _check_content(c: _Collector, catalog: Catalog, located: Mapping[str, Item]) -> None:
    """References of pages and redirects to the parts of the catalog that it manages."""
    pages = catalog.pages
    for key, page in (pages or {}).items():
        if page.parent and page.parent not in (pages or {}):
            hint = did_you_mean(page.parent, list(pages or ()))
            c.add(
                located[f"web page:{key}"],
                f"parent page {page.parent!r} is not in the catalog{hint}",
                "parent",
            )
    for key, association in (catalog.template_associations or {}).items():
        if association.page and pages is not None and association.page not in pages:
            hint = did_you_mean(association.page, list(pages))
            item = located[f"custom template association:{key}"]
            c.add(item, f"page {association.page!r} is not in the catalog{hint}", "page")
    _check_widgets(c, catalog, located)
    for flag in ("is_default", "is_group_for_guests"):
        flagged = [k for k, g in (catalog.customer_groups or {}).items() if g.fields.get(flag)]
        for key in flagged[1:]:
            item = located[f"customer group:{key}"]
            c.add(item, f"{flag} is true for more than one customer group ({flagged[0]!r})", flag)
    brands = {k.casefold() for k in catalog.brands or {}}
    for key, redirect in (catalog.redirects or {}).items():
        item = located[f"redirect:{key}"]
        posts = catalog.blog_posts
        if redirect.to_post and posts is not None and redirect.to_post not in posts:
            hint = did_you_mean(redirect.to_post, list(posts))
            c.add(item, f"blog post {redirect.to_post!r} is not in the catalog{hint}", "to_post")
        if redirect.to_page and pages is not None and redirect.to_page not in pages:
            hint = did_you_mean(redirect.to_page, list(pages))
            c.add(item, f"page {redirect.to_page!r} is not in the catalog{hint}", "to_page")
        if (
            redirect.to_category
            and catalog.categories is not None
            and path_key(redirect.to_category) not in catalog.categories
        ):
            c.add(item, f"category {redirect.to_category!r} is not in the catalog", "to_category")
        if (
            redirect.to_brand
            and catalog.brands is not None
            and redirect.to_brand.casefold() not in brands
        ):
            c.add(item, f"brand {redirect.to_brand!r} is not in the catalog", "to_brand")


def _check_widgets(c: _Collector, catalog: Catalog, located: Mapping[str, Item]) -> None:
    """Widgets' templates and placements' widgets and pages, where the catalog manages them; at
    most 75 placements per template file."""
    templates, widgets, pages = catalog.widget_templates, catalog.widgets, catalog.pages
    for key, widget in (catalog.widgets or {}).items():
        item = located[f"widget:{key}"]
        if templates is not None and widget.template not in templates:
            hint = did_you_mean(widget.template, list(templates))
            c.add(
                item, f"widget template {widget.template!r} is not in the catalog{hint}", "template"
            )
            continue
        template = (templates or {}).get(widget.template)
        if template is None:
            continue
        settings = fields.schema_settings(template)
        used = set(re.findall(r"\w+", str(template.fields.get("template", ""))))
        config = widget.fields.get("widget_configuration") or {}
        for name in sorted(set(config) - settings - used):
            # the platform keeps it, and the widget shows nothing of it
            hint = did_you_mean(name, sorted(settings))
            c.add(
                item,
                f"{name!r} is neither a setting of widget template {widget.template!r} nor used "
                f"by its Handlebars{hint}",
                "widget_configuration",
            )
    for key, layout in (catalog.page_layouts or {}).items():
        item = located[f"Page Builder layout:{key}"]
        for name in sorted(layout.widget_templates - set(templates or layout.widget_templates)):
            hint = did_you_mean(name, list(templates or ()))
            c.add(item, f"widget template {name!r} is not in the catalog{hint}", "regions")
        if layout.page and pages is not None and layout.page not in pages:
            hint = did_you_mean(layout.page, list(pages))
            c.add(item, f"page {layout.page!r} is not in the catalog{hint}", "page")
    per_file: dict[tuple[Any, Any], int] = {}
    for key, placement in (catalog.placements or {}).items():
        item = located[f"placement:{key}"]
        if widgets is not None and placement.widget not in widgets:
            hint = did_you_mean(placement.widget, list(widgets))
            c.add(item, f"widget {placement.widget!r} is not in the catalog{hint}", "widget")
        if placement.page and pages is not None and placement.page not in pages:
            hint = did_you_mean(placement.page, list(pages))
            c.add(item, f"page {placement.page!r} is not in the catalog{hint}", "page")
        where = (placement.fields.get("channel", ""), placement.fields["template_file"])
        per_file[where] = per_file.get(where, 0) + 1
        if per_file[where] == fields.MAX_PLACEMENTS_PER_TEMPLATE + 1:
            c.add(
                item,
                f"more than {fields.MAX_PLACEMENTS_PER_TEMPLATE} placements on {where[1]!r}",
                "template_file",
            )


_ASSOCIATION = KINDS[Kind.TEMPLATE_ASSOCIATIONS].fields
_ASSOCIATION_KEYS = frozenset({*ASSOCIATED_KINDS, *_ASSOCIATION, "channel_id"})  # older catalogs


def _association(c: _Collector, item: Item) -> TemplateAssociation | None:
    """One custom template association as written: exactly one entity and its file."""
    found = _object(c, item, "custom template association")
    if found is None:
        return None
    data = _without_legacy_id(c, item, found)
    kind = _exactly_one(
        c, item, _ASSOCIATION_KEYS, ASSOCIATED_KINDS, "an association names exactly one entity"
    )
    if kind is None:
        return None
    checked = c.fields(
        item,
        {k: data[k] for k in _ASSOCIATION if k in data},
        _ASSOCIATION,
        frozenset(_ASSOCIATION),
    )
    value = data[kind]
    if not isinstance(value, str):
        c.add(item, f"{kind} must be text", kind)
        return None
    if not isinstance(checked.get("file_name"), str) or not checked["file_name"]:
        c.add(item, "file_name is required (a custom template of the theme)", "file_name")
        return None
    value = "/".join(split_path(value)) if kind == "category" else value
    return TemplateAssociation(kind, checked, **{kind: value})


_WIDGET = KINDS[Kind.WIDGETS].fields
_WIDGET_KEYS = frozenset({"template", *_WIDGET})


def _widget(c: _Collector, item: Item) -> Widget | None:
    """One widget as written: its template (by name), name and configuration."""
    found = _object(c, item, "widget")
    if found is None:
        return None
    data = _without_legacy_id(c, item, found)
    checked = c.fields(
        item, {k: v for k, v in data.items() if k != "template"}, _WIDGET, _WIDGET_KEYS
    )
    template, name = data.get("template"), checked.get("name")
    if not isinstance(template, str) or not template:
        c.add(item, "template is required (the name of a widget template)", "template")
        return None
    if not isinstance(name, str) or not name:
        c.add(item, "name is required", "name")
        return None
    config = checked.get("widget_configuration", {})
    size = len(json.dumps(config, separators=(",", ":")).encode())
    if size > fields.MAX_WIDGET_CONFIGURATION_BYTES:
        c.add(item, f"widget_configuration is {size} bytes as JSON, more than 64 KB")
    return Widget(name, {k: v for k, v in checked.items() if k != "name"}, template)


_PLACEMENT = KINDS[Kind.PLACEMENTS].fields
_PLACEMENT_KEYS = frozenset({"widget", *ASSOCIATED_KINDS, *_PLACEMENT})


def _on_page(
    c: _Collector,
    item: Item,
    data: Mapping[str, Any],
    table: Mapping[str, fields.FieldSpec],
    allowed: frozenset[str],
) -> dict[str, Any]:
    """The checked fields of content on a template file's pages (a placement, a layout); other
    parts than `allowed` are reported."""
    for name in sorted(set(data) - allowed):
        c.add(item, f"unknown field {name!r}", name)
    return c.fields(item, {k: data[k] for k in table if k in data}, table, frozenset(table))


def _placement(c: _Collector, item: Item) -> Placement | None:
    """One placement as written: its widget (`template/name`), template file, region, sort
    order, status, and the record whose page it is on, of the kind its template file targets."""
    found = _object(c, item, "placement")
    if found is None:
        return None
    data = _without_legacy_id(c, item, found)
    checked = _on_page(c, item, data, _PLACEMENT, _PLACEMENT_KEYS)
    widget, file_name = data.get("widget"), checked.get("template_file")
    if not isinstance(widget, str) or "/" not in widget:
        c.add(
            item, "widget is required: its template's name and its own, `template/name`", "widget"
        )
        return None
    if not isinstance(file_name, str) or not file_name:
        c.add(item, "template_file is required (e.g. pages/product)", "template_file")
        return None
    if not isinstance(checked.get("region"), str) or not checked["region"]:
        c.add(item, "region is required (a region of the template file)", "region")
        return None
    target = fields.placement_entity(file_name)
    if target == "":
        c.add(item, f"widgets cannot be placed on {file_name!r}", "template_file")
        return None
    entity = _entity(c, item, data, file_name, "placement")
    if entity is None:
        return None
    checked.setdefault("sort_order", 0)
    return Placement(checked, widget=widget, **entity)


def _entity(
    c: _Collector, item: Item, data: Mapping[str, Any], file_name: str, what: str
) -> dict[str, str] | None:
    """The record whose page `data` is on (a product by SKU, ...; {} for none), of the kind its
    template file targets; None, reported, when it names another."""
    target = fields.placement_entity(file_name) if file_name else None
    named = [k for k in ASSOCIATED_KINDS if data.get(k)]
    if len(named) > 1 or (named and named[0] != target):
        allowed = f"only a {target}" if target else "no record"
        c.add(item, f"a {what} on {file_name or 'the global regions'!r} names {allowed}", named[-1])
        return None
    if not named:
        return {}
    value = data[named[0]]
    if not isinstance(value, str):
        c.add(item, f"{named[0]} must be text", named[0])
        return None
    return {named[0]: "/".join(split_path(value)) if named[0] == "category" else value}


_LAYOUT = KINDS[Kind.PAGE_LAYOUTS].fields
_LAYOUT_KEYS = frozenset({*ASSOCIATED_KINDS, *_LAYOUT})


def _layout(c: _Collector, item: Item) -> PageLayout | None:
    """One page's Page Builder layout as written: its template file ("" or absent for the
    global regions), record, channel and regions; each widget names its template (custom ones by
    name, `widget_template`); at most 150 widgets and 150 layouts."""
    found = _object(c, item, "Page Builder layout")
    if found is None:
        return None
    data = _without_legacy_id(c, item, found)
    checked = _on_page(c, item, data, _LAYOUT, _LAYOUT_KEYS)
    file_name = str(checked.get("template_file") or "")
    if file_name and fields.placement_entity(file_name) == "":
        c.add(item, f"Page Builder has no pages of {file_name!r}", "template_file")
        return None
    if "regions" not in checked:
        c.add(item, "regions is required (a list of {name, children})", "regions")
        return None
    entity = _entity(c, item, data, file_name, "layout")
    if entity is None:
        return None
    widgets, layouts = fields.page_widgets(checked["regions"])
    for index, widget in enumerate(widgets):
        if not widget.get("widget_template") and not widget.get("widget_template_uuid"):
            c.add(item, f"widget {index + 1} names no widget_template", "regions")
    if len(widgets) > fields.MAX_PAGE_WIDGETS or layouts > fields.MAX_PAGE_LAYOUTS:
        c.add(
            item,
            f"a page has at most {fields.MAX_PAGE_WIDGETS} widgets and "
            f"{fields.MAX_PAGE_LAYOUTS} layouts ({len(widgets)} and {layouts} here)",
            "regions",
        )
    return PageLayout(checked, **entity)


_GROUPS = KINDS[Kind.CUSTOMER_GROUPS]
_RULE_KEYS = {
    "all": frozenset({"type", "method", "amount"}),
    "category": frozenset({"type", "method", "amount", "category"}),
    "product": frozenset({"type", "method", "amount", "product"}),
    "price_list": frozenset({"type", "price_list"}),
}


def _customer_group(c: _Collector, item: Item) -> CustomerGroup | None:
    """One customer group as written: category access by path, discount rules by category path
    or product SKU (normalised: paths as `A/B`, categories and rules sorted, amounts numbers)."""
    data = _object(c, item, "customer group")
    if data is None:
        return None
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        c.add(item, "name is required", "name")
        return None
    values = c.fields(
        item, {k: v for k, v in data.items() if k != "name"}, _GROUPS.fields, _GROUPS.managed
    )
    access = values.get("category_access")
    if access is not None:
        values["category_access"] = _access(c, item, access)
    if "discount_rules" in values:
        rules = [_rule(c, item, i, r) for i, r in enumerate(values["discount_rules"])]
        values["discount_rules"] = sorted((r for r in rules if r), key=rule_order)
        kinds = [r["type"] for r in values["discount_rules"]]
        if kinds.count("all") > 1:
            c.add(item, "at most one discount rule of type all", "discount_rules")
        if "price_list" in kinds and len(kinds) > 1:
            c.add(item, "a price_list rule must be the only discount rule", "discount_rules")
    return CustomerGroup(name, values)


def _access(c: _Collector, item: Item, access: dict[str, Any]) -> dict[str, Any]:
    kind = access.get("type")
    if kind not in fields.CATEGORY_ACCESS_TYPES or set(access) - {"type", "categories"}:
        c.add(item, "category_access is {type: all|specific|none, categories}", "category_access")
        return {"type": "all"}
    paths = access.get("categories") or []
    if kind != "specific" and paths:
        c.add(item, "categories are given only with type specific", "category_access.categories")
    if not isinstance(paths, list) or not all(isinstance(p, str) and p for p in paths):
        c.add(item, "categories must be a list of category paths", "category_access.categories")
        paths = []
    if kind != "specific":
        return {"type": kind}
    return {
        "type": kind,
        "categories": sorted({"/".join(split_path(p)) for p in paths}, key=str.casefold),
    }


def _rule(c: _Collector, item: Item, index: int, rule: Any) -> dict[str, Any] | None:
    at = f"discount_rules[{index}]"
    kind = rule.get("type") if isinstance(rule, dict) else None
    if not isinstance(rule, dict) or kind not in _RULE_KEYS:
        c.add(item, "a discount rule has type all, category, product or price_list", f"{at}.type")
        return None
    unknown = sorted(set(rule) - _RULE_KEYS[kind])
    missing = sorted(_RULE_KEYS[kind] - set(rule))
    if unknown or missing:
        detail = f"unknown {', '.join(unknown)}" if unknown else f"missing {', '.join(missing)}"
        c.add(
            item, f"a {kind} discount rule has {', '.join(sorted(_RULE_KEYS[kind]))} ({detail})", at
        )
        return None
    if kind == "price_list":
        if not isinstance(rule["price_list"], str) or not rule["price_list"].strip():
            c.add(item, "price_list must name a price list", f"{at}.price_list")
            return None
        return dict(rule)
    if rule["method"] not in fields.DISCOUNT_METHODS:
        c.add(item, f"method must be one of {', '.join(fields.DISCOUNT_METHODS)}", f"{at}.method")
        return None
    value = rule["amount"]
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        c.add(item, "amount must be a number, not negative", f"{at}.amount")
        return None
    out = {**rule, "amount": amount(value)}
    target = rule.get(kind) if kind != "all" else None
    if kind != "all" and (not isinstance(target, str) or not target.strip()):
        c.add(
            item,
            f"{kind} must name a {'category path' if kind == 'category' else 'SKU'}",
            f"{at}.{kind}",
        )
        return None
    if kind == "category":
        out["category"] = "/".join(split_path(str(target)))
    return out


_PRICE_LISTS = KINDS[Kind.PRICE_LISTS]
_RECORDS = KINDS[Kind.PRICE_RECORDS]
_RECORD_KEYS = frozenset(fields.PRICE_RECORD)


def _price_list(c: _Collector, item: Item) -> PriceList | None:
    """One price list as written, with its records (by SKU and currency) when it lists them."""
    data = _object(c, item, "price list")
    if data is None:
        return None
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        c.add(item, "name is required", "name")
        return None
    own = {k: v for k, v in data.items() if k not in ("name", "records")}
    values = c.fields(item, own, _PRICE_LISTS.fields, _PRICE_LISTS.managed)
    if "records" not in data:
        return PriceList(name, values)
    records: dict[str, PriceRecord] = {}
    for index, raw in enumerate(_list(c, item, data, "records")):
        at = f"records[{index}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("sku"), str) or not raw["sku"]:
            c.add(item, "a record is {sku, currency, price, ...}", f"{at}.sku")
            continue
        currency = raw.get("currency")
        if not isinstance(currency, str) or not re.fullmatch(r"[A-Za-z]{3}", currency):
            c.add(item, "currency is an ISO 4217 code such as USD", f"{at}.currency")
            continue
        prices = {k: v for k, v in raw.items() if k not in ("sku", "currency")}
        checked = c.fields(item, prices, _RECORDS.fields, _RECORD_KEYS, f"{at}.")
        if "bulk_pricing_tiers" in checked:
            tiers = checked["bulk_pricing_tiers"]
            checked["bulk_pricing_tiers"] = _price_tiers(c, item, tiers, f"{at}.bulk_pricing_tiers")
        record = PriceRecord(raw["sku"], currency.upper(), checked)
        if _RECORDS.fold(record.key) in records:
            c.add(item, f"record {record.key!r} appears twice", at)
            continue
        if "price" not in checked:
            c.add(item, "price is required", f"{at}.price")
        records[_RECORDS.fold(record.key)] = record
    return PriceList(name, values, tuple(records[k] for k in sorted(records)))


_TIER_KEYS = frozenset(fields.BULK_PRICING_RULE)
_TIER_NEEDS = ("quantity_min", "type", "amount")


def _price_tiers(c: _Collector, item: Item, raw: list[Any], at: str) -> list[dict[str, Any]]:
    """A price record's bulk pricing tiers: quantity ranges (without `quantity_max`, or with
    null: no maximum) each with a fixed, price or percent `amount`; ranges do not overlap."""
    found: list[dict[str, Any]] = []
    for index, tier in enumerate(raw):
        label = f"{at}[{index}]"
        if not isinstance(tier, dict) or any(k not in tier for k in _TIER_NEEDS):
            c.add(item, "a tier is {quantity_min, quantity_max, type, amount}", label)
            continue
        given = {k: v for k, v in tier.items() if not (k == "quantity_max" and v is None)}
        checked = c.fields(item, given, fields.BULK_PRICING_RULE, _TIER_KEYS, f"{label}.")
        top, low = checked.get("quantity_max"), checked.get("quantity_min", 0)
        if top is not None and top < low:
            c.add(
                item,
                "quantity_max is below quantity_min (none: no maximum)",
                f"{label}.quantity_max",
            )
        found.append(checked)
    for low, high in _overlapping((t.get("quantity_min", 0), t.get("quantity_max")) for t in found):
        c.add(item, f"bulk pricing tiers from {low} and {high} overlap", at)
    return fields.price_tiers(found)


_ASSIGNMENT_KEYS = frozenset(fields.PRICE_LIST_ASSIGNMENT)


def _assignment(c: _Collector, item: Item) -> PriceListAssignment | None:
    """One price list assignment as written: a price list and a customer group by name (none:
    every shopper) on a channel by name (none: the first storefront)."""
    data = _object(c, item, "price list assignment")
    if data is None:
        return None
    unknown = sorted(set(data) - _ASSIGNMENT_KEYS - {"channel_id"})
    if unknown:
        c.add(item, f"unknown field {unknown[0]!r}", unknown[0])
        return None
    written = _without_legacy_id(c, item, data)
    price_list, group = written.get("price_list"), written.get("customer_group", "")
    channel = written.get("channel", DEFAULT_CHANNEL_NAME)
    if not isinstance(price_list, str) or not price_list.strip():
        c.add(item, "price_list names a price list", "price_list")
        return None
    if not isinstance(group, str):
        c.add(item, "customer_group names a customer group", "customer_group")
        return None
    if not isinstance(channel, str) or not channel.strip():
        c.add(item, "channel names a channel", "channel")
        return None
    return PriceListAssignment(price_list, group, channel)


_PROMOTIONS = KINDS[Kind.PROMOTIONS]
_CODES = KINDS[Kind.COUPON_CODES]
_CODE_KEYS = frozenset(fields.COUPON_CODE)
_CUSTOMER_KEYS = frozenset({"groups", "excluded_groups", "minimum_order_count"})


def _promotion(c: _Collector, item: Item) -> Promotion | None:
    """One promotion as written: rules, conditions and actions naming products by SKU, categories
    by path and brands by name, customer groups by name, and its coupon codes."""
    data = _object(c, item, "promotion")
    if data is None:
        return None
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        c.add(item, "name is required", "name")
        return None
    own = {k: v for k, v in data.items() if k not in ("name", "codes")}
    allowed = _PROMOTIONS.managed | _PROMOTIONS.create_only
    values = c.fields(item, own, _PROMOTIONS.fields, allowed)
    for required in _PROMOTIONS.required_in_file:
        if required not in data:
            c.add(item, f"{required} is required", required)
    rules = values.get("rules")
    if rules is not None:
        if not rules:
            c.add(item, "a promotion has at least one rule", "rules")
        for index, rule in enumerate(rules):
            if not isinstance(rule, dict) or not isinstance(rule.get("action"), dict):
                c.add(item, "a rule is {action, condition, apply_once, stop}", f"rules[{index}]")
            else:
                _check_named(c, item, rule, f"rules[{index}]")
    customer = values.get("customer")
    if customer is not None:
        unknown = sorted(set(customer) - _CUSTOMER_KEYS)
        if unknown:
            c.add(
                item,
                f"customer has {', '.join(sorted(_CUSTOMER_KEYS))} (not {', '.join(unknown)}: "
                "customer segments are not managed)",
                "customer",
            )
        for key in ("groups", "excluded_groups"):
            names = customer.get(key, [])
            if not isinstance(names, list) or not all(
                (isinstance(n, str) and n) or n == 0 for n in names
            ):
                c.add(item, f"{key} lists customer groups by name (0: guests)", f"customer.{key}")
        if customer.get("groups") and customer.get("excluded_groups"):
            c.add(item, "groups and excluded_groups are not both given", "customer")
    if isinstance(values.get("channels"), list):
        values["channels"] = _promotion_channels(c, item, values["channels"])
    if values.get("coupon_overrides_other_promotions") and values.get(
        "can_be_used_with_other_promotions", True
    ):
        c.add(
            item,
            "coupon_overrides_other_promotions is set only with "
            "can_be_used_with_other_promotions false",
            "coupon_overrides_other_promotions",
        )
    if "codes" not in data:
        return Promotion(name, promotions.normalise(values))
    if values.get("redemption_type") != "COUPON":
        c.add(item, "only a COUPON promotion has codes", "codes")
    codes: dict[str, CouponCode] = {}
    for index, raw in enumerate(_list(c, item, data, "codes")):
        at = f"codes[{index}]"
        code = raw.get("code") if isinstance(raw, dict) else None
        if not isinstance(code, str) or not re.fullmatch(fields.COUPON_CODE_CHARS, code):
            c.add(item, "a code is letters, digits, spaces, _ and - (at most 50)", f"{at}.code")
            continue
        limits = {k: v for k, v in raw.items() if k != "code"}
        checked = c.fields(item, limits, _CODES.fields, _CODE_KEYS, f"{at}.")
        if code in codes:
            c.add(item, f"code {code!r} appears twice", at)
            continue
        codes[code] = CouponCode(code, checked)
    return Promotion(name, promotions.normalise(values), tuple(codes[k] for k in sorted(codes)))


def _promotion_channels(c: _Collector, item: Item, channels: list[Any]) -> list[str]:
    """A promotion's channels by name; the first storefront's id, as older catalogs wrote it,
    read as `default` (another id means nothing in another store)."""
    named: dict[str, None] = {}
    for index, channel in enumerate(channels):
        at = f"channels[{index}]"
        is_id = isinstance(channel, int) and not isinstance(channel, bool)
        if is_id and channel == DEFAULT_CHANNEL:
            named[DEFAULT_CHANNEL_NAME] = None
        elif is_id:
            c.add(item, f"{channel} is a store's id: name the channel instead", at)
        elif not isinstance(channel, str) or not channel.strip():
            c.add(item, "channels lists channels by name ([] or none: every channel)", at)
        else:
            named[channel] = None
    return list(named)


def _check_named(c: _Collector, item: Item, value: Any, at: str) -> None:
    """Records named in a rule by natural key, not by store id; no variants (not named yet)."""
    if isinstance(value, list):
        for index, part in enumerate(value):
            _check_named(c, item, part, f"{at}[{index}]")
        return
    if not isinstance(value, dict):
        return
    for key, part in value.items():
        if key in fields.PROMOTION_MATCHERS:
            if not isinstance(part, list) or not all(isinstance(n, str) and n for n in part):
                what = {"products": "SKU", "categories": "path", "brands": "name"}[key]
                c.add(item, f"{key} lists records by {what}", f"{at}.{key}")
        elif key in ("variants", "variant_id"):
            c.add(item, "variants are not named in promotions yet", f"{at}.{key}")
        elif key == "product_id":
            c.add(item, "a gift item names its product by SKU (product)", f"{at}.{key}")
        elif key == "product" and not (isinstance(part, str) and part):
            c.add(item, "product is a SKU", f"{at}.{key}")
        else:
            _check_named(c, item, part, f"{at}.{key}")


_READERS: dict[Kind, Callable[[_Collector, Item], Any]] = {
    Kind.SCRIPTS: _script,
    Kind.PAGES: _page,
    Kind.REDIRECTS: _redirect,
    Kind.TEMPLATE_ASSOCIATIONS: _association,
    Kind.WIDGETS: _widget,
    Kind.PLACEMENTS: _placement,
    Kind.PAGE_LAYOUTS: _layout,
    Kind.CUSTOMER_GROUPS: _customer_group,
    Kind.PRICE_LISTS: _price_list,
    Kind.PROMOTIONS: _promotion,
    Kind.PRICE_LIST_ASSIGNMENTS: _assignment,
}


def build_catalog(
    items: Mapping[Kind, Iterable[Item] | None],
    *,
    known_categories: Iterable[str] | None = None,
    known_brands: Iterable[str] | None = None,
) -> Catalog:
    """The catalog from the items of each top-level kind (None or absent: the kind is not managed;
    products are always), or `CatalogInvalid` listing every problem (in file order)."""
    c = _Collector()
    locate: dict[str, tuple[str | None, int | None]] = {}
    located: dict[tuple[str | None, int | None], Item] = {}
    records: dict[str, Any] = {}
    content: dict[str, tuple[Any, Item]] = {}
    for spec in FILED:
        given = items.get(spec.kind)
        assert spec.attribute is not None
        if spec.kind is Kind.PRODUCTS:
            found = _products(c, given or ())
        elif given is None:
            records[spec.attribute] = None
            continue
        elif spec.kind in _READERS:
            found = _content_keyed(c, given, _READERS[spec.kind], spec)
        else:
            found = {
                key: (_made(spec, ident, managed), item)
                for key, (ident, managed, item) in _keyed(c, spec, given).items()
            }
        records[spec.attribute] = {key: record for key, (record, _) in found.items()}
        if spec.kind in _READERS:
            content.update((f"{spec.singular}:{k}", v) for k, v in found.items())
        for key, (_, item) in found.items():
            locate[f"{spec.singular}:{key}"] = (item.file, item.line)
            if item.field_lines:
                located[item.file, item.line] = item
    catalog = Catalog(**records)
    _check_content(c, catalog, {k: found_item for k, (_, found_item) in content.items()})
    rules = validate(
        catalog, known_categories=known_categories, known_brands=known_brands, locate=locate
    )
    problems = c.problems + [
        replace(p, line=located[p.file, p.line].line_of(p.field))
        if (p.file, p.line) in located
        else p
        for p in rules
    ]
    if problems:
        raise CatalogInvalid(problems)
    return catalog


def _products(c: _Collector, items: Iterable[Item]) -> dict[str, tuple[Product, Item]]:
    found: dict[str, tuple[Product, Item]] = {}
    for item in items:
        product = _product(c, item)
        if product is None:
            continue
        key = sku_key(product.sku)
        if key in found:
            c.add(item, f"SKU {product.sku!r} appears twice", "sku")
            continue
        # only where it was written is kept of the item (its data is now the product)
        found[key] = (product, Item(None, item.file, item.line, item.field_lines))
    return found


def from_inline(inline: Mapping[str, Any], *, source: str = "spec.source.inline") -> Catalog:
    """A catalog from the `inline` source of a `CatalogSnapshot` (items located by list index)."""

    def items(kind: Kind) -> list[Item] | None:
        values = inline.get(kind)
        if values is None:
            return None
        return [Item(v, f"{source}.{kind}[{i}]") for i, v in enumerate(values)]

    return build_catalog({spec.kind: items(spec.kind) for spec in FILED})
