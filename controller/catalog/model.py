"""The desired catalog in natural keys: products and variants by SKU, categories by path, brands by
name, custom fields by name within a product, images by URL in order. No store IDs anywhere.

Items are plain frozen dataclasses holding only the fields the author set (managed fields), so that
the planner compares and writes nothing else and stays fast for 100k products.
"""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from controller.catalog import fields
from controller.text import did_you_mean, plural

# Fields that the catalog may set on each kind (BigCommerce's v3 names); store-set fields (id,
# date_*, calculated_price, base_variant_id, custom_url, ...) are not among them.
PRODUCT_FIELDS = frozenset(fields.PRODUCT) - {"sku"}
VARIANT_FIELDS = frozenset(fields.VARIANT) - {"sku"}
CATEGORY_FIELDS = frozenset(fields.CATEGORY) - {"name"}
BRAND_FIELDS = frozenset(fields.BRAND) - {"name"}
# Stock is operational data owned by the live store: never synced unless a policy asks for it.
STOCK_FIELDS = frozenset({"inventory_level", "inventory_warning_level"})

MAX_SKU = 255
MAX_PRODUCT_NAME = 250
MAX_CATEGORY_NAME = 50
MAX_CATEGORY_DEPTH = 8
MAX_CUSTOM_FIELDS = 200
MAX_CUSTOM_FIELD_TEXT = 250
MAX_SKUS_PER_PRODUCT = 600
PATH_SEPARATOR = "/"


@contextlib.contextmanager
def bulk_allocation() -> Iterator[None]:
    """Pause the cyclic garbage collector while building large acyclic structures: otherwise it
    re-traverses millions of young objects over and over (it halves loading 100k products)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def sku_key(sku: str) -> str:
    """SKUs compare without case on the platform."""
    return sku.casefold()


@functools.lru_cache(maxsize=65536)
def path_key(path: str) -> str:
    """Category paths compare without case (sibling names are unique without case)."""
    return PATH_SEPARATOR.join(part.strip().casefold() for part in path.split(PATH_SEPARATOR))


def split_path(path: str) -> list[str]:
    """The names along a category path."""
    return [part.strip() for part in path.split(PATH_SEPARATOR)]


@dataclass(frozen=True, slots=True)
class Metafield:
    """A metafield of a product, variant, category or brand, by namespace and key within its
    owner; `fields` holds its `value`, `permission_set` and `description`."""

    namespace: str
    key: str
    fields: Mapping[str, Any]

    @property
    def name(self) -> str:
        """The natural key within its owner: `namespace:key`."""
        return metafield_name(self.namespace, self.key)


def metafield_name(namespace: str, key: str) -> str:
    """A metafield's natural key within its owner."""
    return f"{namespace}:{key}"


@dataclass(frozen=True, slots=True)
class Variant:
    """A variant: its SKU, its option values ((option display name, label), ...) and managed fields.
    `metafields` None: not managed."""

    sku: str
    option_values: tuple[tuple[str, str], ...]
    fields: Mapping[str, Any]
    metafields: tuple[Metafield, ...] | None = None


@dataclass(frozen=True, slots=True)
class Image:
    """A product image by URL."""

    image_url: str
    is_thumbnail: bool = False
    description: str = ""


@dataclass(frozen=True, slots=True)
class ProductOption:
    """A variant option or a modifier of a product, by display name: `fields` holds its `type`,
    `sort_order`, `config` (a modifier's `required`) and `option_values`, a tuple of values by
    label (each a mapping as `fields.option_value` writes it)."""

    display_name: str
    fields: Mapping[str, Any]


def option_values(values: Iterable[Mapping[str, Any]]) -> tuple[Mapping[str, Any], ...]:
    """An option's or modifier's values as compared: in sort order, then by label."""
    return tuple(sorted(values, key=lambda v: (v.get("sort_order", 0), str(v["label"]).casefold())))


def option_order(option: ProductOption) -> tuple[int, str]:
    """Options and modifiers as written: in sort order, then by display name."""
    return int(option.fields.get("sort_order") or 0), option.display_name.casefold()


Condition = tuple[str, str, str]
"""A complex rule's condition: (modifier display name, value label, variant SKU), "" for none."""


def condition_text(condition: Condition) -> str:
    """`Strap=Leather`, `variant SKU-1`, or both."""
    modifier, label, sku = condition
    return " ".join(
        p for p in (f"{modifier}={label}" if modifier else "", sku and f"variant {sku}") if p
    )


def conditions_key(conditions: Iterable[Condition]) -> str:
    """A complex rule's natural key: its conditions, sorted, joined by `&`."""
    return " & ".join(sorted((condition_text(c) for c in conditions), key=str.casefold))


@dataclass(frozen=True, slots=True)
class ComplexRule:
    """A complex rule of a product, known by its conditions in natural keys; `fields` holds its
    sort order, flags, message, image and adjusters."""

    conditions: tuple[Condition, ...]
    fields: Mapping[str, Any]

    @property
    def key(self) -> str:
        """The natural key: the conditions."""
        return conditions_key(self.conditions)


@dataclass(frozen=True, slots=True)
class PricingRule:
    """A bulk pricing rule of a product, known by the quantity it starts at (ranges do not
    overlap); `fields` holds `quantity_max` (0: none), `type` and `amount`."""

    quantity_min: int
    fields: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Video:
    """A product video by its id on the host site (YouTube's); `fields` holds its `title`,
    `description`, `sort_order` and `type`."""

    video_id: str
    fields: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Review:
    """A product review by the moment it was made and its title; `fields` holds its `text`,
    `status` and `rating`. The reviewer's name and email are personal data: never part of a
    catalog."""

    date_reviewed: str
    title: str
    fields: Mapping[str, Any]

    @property
    def key(self) -> str:
        """The natural key within its product: `date_reviewed title`."""
        return review_key(self.date_reviewed, self.title)


def review_key(date_reviewed: str, title: str) -> str:
    """A review's natural key within its product."""
    return f"{date_reviewed} {title}"


@dataclass(frozen=True, slots=True)
class Product:
    """A product keyed by SKU. `None` in `categories`, `brand`, `variants`, `custom_fields`,
    `images`, `options`, `modifiers`, `complex_rules` or `bulk_pricing_rules` means the catalog
    does not manage that part (the store's value stays)."""

    sku: str
    fields: Mapping[str, Any]
    categories: frozenset[str] | None = None  # category paths, as path_key()
    brand: str | None = None  # brand name; "" means no brand
    variants: tuple[Variant, ...] | None = None
    custom_fields: tuple[tuple[str, str], ...] | None = None
    images: tuple[Image, ...] | None = None
    options: tuple[ProductOption, ...] | None = None  # variant options
    modifiers: tuple[ProductOption, ...] | None = None
    complex_rules: tuple[ComplexRule, ...] | None = None
    bulk_pricing_rules: tuple[PricingRule, ...] | None = None
    metafields: tuple[Metafield, ...] | None = None
    videos: tuple[Video, ...] | None = None
    reviews: tuple[Review, ...] | None = None
    channels: frozenset[str] | None = None  # the channels it is sold on, by name


@dataclass(frozen=True)
class Category:
    """A category keyed by its path ("Apparel/Shoes/Running") within its channel's tree (the
    first storefront's, else `fields["channel"]`: then keyed `EU:Apparel/Shoes`)."""

    path: str
    fields: Mapping[str, Any]
    metafields: tuple[Metafield, ...] | None = None  # None: not managed

    @property
    def key(self) -> str:
        """The natural key: the path, prefixed by the channel when not the first storefront's."""
        return channel_key(self.path, self.fields)

    @property
    def parent_key(self) -> str | None:
        """The parent's natural key, or None for a root category."""
        parent = self.parent_path
        return None if parent is None else channel_key(parent, self.fields)

    @property
    def name(self) -> str:
        """The last name of the path."""
        return split_path(self.path)[-1]

    @property
    def parent_path(self) -> str | None:
        """The parent's path, or None for a root category."""
        parts = split_path(self.path)
        return PATH_SEPARATOR.join(parts[:-1]) if len(parts) > 1 else None

    @property
    def depth(self) -> int:
        """1 for a root category."""
        return len(split_path(self.path))


def make_category(key: str, values: Mapping[str, Any]) -> Category:
    """A category from its key (`channel:path` off the first storefront's tree) and fields."""
    channel = str(values.get("channel") or "")
    prefix = f"{channel}:"
    path = key[len(prefix) :] if channel and key.startswith(prefix) else key
    return Category(PATH_SEPARATOR.join(split_path(path)), values)


@dataclass(frozen=True)
class Brand:
    """A brand keyed by name."""

    name: str
    fields: Mapping[str, Any]
    metafields: tuple[Metafield, ...] | None = None  # None: not managed


@dataclass(frozen=True)
class Script:
    """A storefront script keyed by name within its channel (fields as in `/content/scripts`,
    the channel by name in `channel`)."""

    name: str
    fields: Mapping[str, Any]

    @property
    def key(self) -> str:
        """The natural key: the name, prefixed by the channel when not the first storefront."""
        return channel_key(self.name, self.fields)


def make_script(key: str, values: Mapping[str, Any]) -> Script:
    """A script from its key (`channel:name` off the first storefront) and fields."""
    channel = str(values.get("channel") or "")
    prefix = f"{channel}:"
    name = key[len(prefix) :] if channel and key.startswith(prefix) else key
    return Script(name, values)


def channel_key(path: str, fields: Mapping[str, Any]) -> str:
    """The natural key of a record identified by a path (or name) within a channel: the path
    alone on the first storefront, else `channel name:path`."""
    channel = fields.get("channel") or DEFAULT_CHANNEL_NAME
    return path if channel == DEFAULT_CHANNEL_NAME else f"{channel}:{path}"


DEFAULT_CHANNEL = 1  # every store's first storefront channel
# how catalogs name it, whatever its name in a store (channels are matched by name, and each store
# names its first storefront after itself)
DEFAULT_CHANNEL_NAME = "default"


def route_order(route: Mapping[str, Any]) -> tuple[str, str]:
    """A site's routes compare as a set: by type and what they match."""
    return str(route.get("type", "")), str(route.get("matching", ""))


@dataclass(frozen=True)
class Channel:
    """A sales channel keyed by name (`default`: the store's first storefront). `fields` holds
    its type, platform, status, `site` ({url, routes: [{type, matching, route}]}) and
    `currencies` ({enabled_currencies, default_currency})."""

    name: str
    fields: Mapping[str, Any]


def make_channel(name: str, values: Mapping[str, Any]) -> Channel:
    """A channel with its routes and currencies in a comparable order."""
    out = dict(values)
    site = out.get("site")
    if isinstance(site, dict) and isinstance(site.get("routes"), list):
        out["site"] = {**site, "routes": sorted(site["routes"], key=route_order)}
    currencies = out.get("currencies")
    if isinstance(currencies, dict) and isinstance(currencies.get("enabled_currencies"), list):
        enabled = sorted(currencies["enabled_currencies"])
        out["currencies"] = {**currencies, "enabled_currencies": enabled}
    return Channel(name, out)


DEFAULT_SITE = 1000  # and its site (redirects are per site, pages per channel)
DEFAULT_TREE = 1  # and its category tree


@dataclass(frozen=True)
class WebPage:
    """A web page keyed by its URL within its channel (a link page by its link). `parent` is the
    parent page's key ("" for a top-level page); `depth` its number of ancestors."""

    url: str
    fields: Mapping[str, Any]
    parent: str = ""
    depth: int = field(default=0, compare=False)

    @property
    def key(self) -> str:
        """The natural key: the URL (or link), prefixed by the channel's name when not the
        first storefront."""
        return channel_key(self.url, self.fields)


@dataclass(frozen=True)
class BlogPost:
    """A blog post keyed by its URL (its tags are among its fields)."""

    url: str
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class WidgetTemplate:
    """A custom widget template keyed by name: its Handlebars `template`, Page Builder `schema`
    and GraphQL `storefront_api_query`, kept exactly as written."""

    name: str
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class Widget:
    """A widget keyed by its name within its widget template (`template`, by name); `fields`
    holds its `widget_configuration`, `description` and `channel` (by name; none: the first
    storefront)."""

    name: str
    fields: Mapping[str, Any]
    template: str = ""

    @property
    def key(self) -> str:
        """The natural key: `template/name`."""
        return widget_key(self.template, self.name)


def widget_key(template: str, name: str) -> str:
    """A widget's natural key from its template's name and its own."""
    return f"{template}/{name}"


@dataclass(frozen=True)
class OnPage:
    """Content of a template file's pages: of one record's (a product by SKU, a category by
    path, a brand by name, a page by URL) or of every page of the template (none)."""

    fields: Mapping[str, Any]
    product: str = ""
    category: str = ""
    brand: str = ""
    page: str = ""

    @property
    def entity(self) -> tuple[str, str]:
        """(kind, natural key) of the record whose page it is on (("", "") for none)."""
        return next(((k, v) for k in ASSOCIATED_KINDS if (v := getattr(self, k))), ("", ""))


@dataclass(frozen=True)
class Placement(OnPage):
    """A widget (`widget`, by key) placed in a region of a template file, on one record's page
    or every page of the template, at a sort order. `fields` holds `template_file`, `region`,
    `sort_order`, `status` and `channel` (by name; none: the first storefront); all but `status`
    (and the widget) identify it."""

    widget: str = ""

    @property
    def key(self) -> str:
        """The natural key: `template_file [entity] region#sort_order`, prefixed by the channel
        when not the first."""
        entity = self.entity[1]
        where = f"{self.fields.get('template_file', '')}{' ' + entity if entity else ''}"
        key = f"{where} {self.fields.get('region', '')}#{self.fields.get('sort_order', 0)}"
        return channel_key(key, self.fields)


@dataclass(frozen=True)
class PageLayout(OnPage):
    """A page's Page Builder layout, published whole: `fields` holds its `template_file` ("" for
    the global regions), `channel` (by name) and `regions` as Page Builder keeps them (regions, layouts,
    dropzones and widgets, in order), each widget of a custom template naming it by name
    (`widget_template`) rather than by the store's id."""

    @property
    def key(self) -> str:
        """The natural key: the template file and the record (`global` for the global regions),
        prefixed by the channel when not the first."""
        entity = self.entity[1]
        where = f"{self.fields.get('template_file') or 'global'}{' ' + entity if entity else ''}"
        return channel_key(where, self.fields)

    @property
    def widget_templates(self) -> frozenset[str]:
        """The custom widget templates its widgets use, by name."""
        widgets, _ = fields.page_widgets(self.fields.get("regions"))
        return frozenset(str(w["widget_template"]) for w in widgets if w.get("widget_template"))


@dataclass(frozen=True)
class Redirect:
    """A 301 redirect keyed by its from path within its site (`fields["channel"]`: the site's
    channel by name). Its target is one of: a product by
    SKU, a category by path, a brand by name, a page by key, a blog post by URL, or
    `fields["to_url"]`; the others are ""."""

    from_path: str
    fields: Mapping[str, Any]
    to_product: str = ""
    to_category: str = ""
    to_brand: str = ""
    to_page: str = ""
    to_post: str = ""

    @property
    def key(self) -> str:
        """The natural key: the path, prefixed by the name of the site's channel when not the
        first storefront's."""
        return channel_key(self.from_path, self.fields)


ASSOCIATED_KINDS = ("product", "category", "brand", "page")


@dataclass(frozen=True)
class TemplateAssociation:
    """A product (by SKU), category (by path), brand (by name) or page (by URL) bound to a custom
    template file of the active theme; `fields` holds `file_name` (and `channel`, by name)."""

    entity_type: str
    fields: Mapping[str, Any]
    product: str = ""
    category: str = ""
    brand: str = ""
    page: str = ""

    @property
    def key(self) -> str:
        """The natural key: the entity's kind and key, prefixed by the channel when not the first."""
        return channel_key(f"{self.entity_type} {getattr(self, self.entity_type)}", self.fields)


# A discount rule names its target by natural key under one of these (none for an `all` rule).
RULE_TARGETS = {"category": "category", "product": "product", "price_list": "price_list"}


def rule_order(rule: Mapping[str, Any]) -> tuple[str, str]:
    """Discount rules compare as a set: sorted by type and target."""
    kind = str(rule.get("type", ""))
    return kind, str(rule.get(RULE_TARGETS.get(kind, ""), "")).casefold()


def amount(value: Any) -> Any:
    """A rule amount as a number (the API writes "5.0000"); integral amounts as integers."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    return int(number) if number.is_integer() else number


@dataclass(frozen=True)
class CustomerGroup:
    """A customer group keyed by name. `category_access` names categories by path and
    `discount_rules` name their category (path), product (SKU) or price list (name)."""

    name: str
    fields: Mapping[str, Any]

    @property
    def key(self) -> str:
        """The natural key: the name."""
        return self.name


@dataclass(frozen=True)
class PriceRecord:
    """A price of a variant (by SKU) in one currency, in a price list."""

    sku: str
    currency: str  # ISO 4217, upper case
    fields: Mapping[str, Any]  # price, sale_price, retail_price, map_price, bulk_pricing_tiers

    @property
    def key(self) -> str:
        """The natural key within its price list: `USD:SKU`."""
        return f"{self.currency}:{self.sku}"


@dataclass(frozen=True)
class PriceList:
    """A price list keyed by name, with its records (None: not managed)."""

    name: str
    fields: Mapping[str, Any]
    records: tuple[PriceRecord, ...] | None = None

    @property
    def key(self) -> str:
        """The natural key: the name."""
        return self.name


@dataclass(frozen=True)
class PriceListAssignment:
    """A price list assigned to a customer group (by name; "" for every shopper) on a channel (by
    name; `default`, the first storefront, when not given)."""

    price_list: str
    customer_group: str = ""
    channel: str = DEFAULT_CHANNEL_NAME
    fields: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The natural key: `price list | customer group | channel name`."""
        return f"{self.price_list} | {self.customer_group} | {self.channel}"


@dataclass(frozen=True)
class CouponCode:
    """A coupon code of a promotion, by its code (`max_uses`, `max_uses_per_customer`)."""

    code: str
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class Promotion:
    """A promotion keyed by name. Its `rules`, `customer` and `channels` name records by natural
    key: products by SKU, categories by path, brands by name, customer groups and channels by name
    (`default`: the first storefront). `codes`:
    its coupon codes (None: not managed)."""

    name: str
    fields: Mapping[str, Any]
    codes: tuple[CouponCode, ...] | None = None

    @property
    def key(self) -> str:
        """The natural key: the name."""
        return self.name


@dataclass(frozen=True)
class Stock:
    """A SKU's stock at an inventory location: `quantity` on hand and its settings."""

    sku: str
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class InventoryLocation:
    """An inventory location keyed by code, with the stock it holds (None: not managed).
    Operational data owned by the live store: only a sandbox clone builds one."""

    code: str
    fields: Mapping[str, Any]
    stock: tuple[Stock, ...] | None = None

    @property
    def key(self) -> str:
        """The natural key: the code."""
        return self.code


@dataclass(frozen=True)
class CustomerAttribute:
    """A customer attribute (a name and a value type) keyed by name."""

    name: str
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class Customer:
    """A customer keyed by email: personal data, so only ever built anonymised, by a sandbox
    clone (never read from files, never captured). `fields["attributes"]` holds values by
    attribute name; `customer_group` is the group's name ("" for none)."""

    email: str
    fields: Mapping[str, Any]
    customer_group: str = ""


@dataclass(frozen=True)
class Catalog:
    """A whole desired catalog. Dicts are keyed by natural key (`sku_key`, `path_key`, casefolded
    brand name). `categories`/`brands` of None mean that kind is not managed."""

    products: Mapping[str, Product] = field(default_factory=dict)
    categories: Mapping[str, Category] | None = None
    brands: Mapping[str, Brand] | None = None
    scripts: Mapping[str, Script] | None = None
    pages: Mapping[str, WebPage] | None = None  # by key
    redirects: Mapping[str, Redirect] | None = None  # by key
    blog_posts: Mapping[str, BlogPost] | None = None  # by URL
    template_associations: Mapping[str, TemplateAssociation] | None = None  # by key
    widget_templates: Mapping[str, WidgetTemplate] | None = None  # by name
    widgets: Mapping[str, Widget] | None = None  # by key
    placements: Mapping[str, Placement] | None = None  # by key
    page_layouts: Mapping[str, PageLayout] | None = None  # by key
    price_lists: Mapping[str, PriceList] | None = None  # by name
    customer_groups: Mapping[str, CustomerGroup] | None = None  # by name
    price_list_assignments: Mapping[str, PriceListAssignment] | None = None  # by key
    promotions: Mapping[str, Promotion] | None = None  # by name
    customer_attributes: Mapping[str, CustomerAttribute] | None = None  # by name
    customers: Mapping[str, Customer] | None = None  # by casefolded email; clones only
    # by code; operational data: sandbox clones only
    inventory_locations: Mapping[str, InventoryLocation] | None = None
    channels: Mapping[str, Channel] | None = None  # by name

    def counts(self) -> dict[str, int]:
        """Record counts per kind, as the kind table knows them."""
        from controller.catalog.kinds import counts  # the table is declared over this module

        return counts(self)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a catalog, located as precisely as known."""

    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.file, self.line) if p is not None)
        label = f"{where}: " if where else ""
        return f"{label}{self.field + ': ' if self.field else ''}{self.message}"


class CatalogInvalid(Exception):
    """The catalog has problems; nothing may be written from it."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        first = "; ".join(str(p) for p in self.problems[:3])
        more = f" (and {len(self.problems) - 3} more)" if len(self.problems) > 3 else ""
        super().__init__(f"{plural(len(self.problems), 'problem')} in the catalog: {first}{more}")


def validate(
    catalog: Catalog,
    *,
    known_categories: Iterable[str] | None = None,
    known_brands: Iterable[str] | None = None,
    locate: Mapping[str, tuple[str | None, int | None]] | None = None,
) -> list[Problem]:
    """Every rule of the platform a catalog can break before any write: unique SKUs across products
    and variants, references that resolve (to the catalog or to `known_*` store items), limits.

    References to a kind the catalog does not manage (categories or brands of None) are checked only
    when the store's items are given as `known_*`."""
    problems: list[Problem] = []
    locate = locate or {}

    def at(key: str, message: str, field_name: str | None = None) -> None:
        file, line = locate.get(key, (None, None))
        problems.append(Problem(message, file, line, field_name))

    owners: dict[str, str] = {}  # variant SKU key -> its product's SKU
    for key, product in catalog.products.items():
        name = product.fields.get("name")
        if not product.sku or len(product.sku) > MAX_SKU:
            at(f"product:{key}", f"SKU must be 1 to {MAX_SKU} characters", "sku")
        if isinstance(name, str) and len(name) > MAX_PRODUCT_NAME:
            at(f"product:{key}", f"name is longer than {MAX_PRODUCT_NAME} characters", "name")
        for variant in product.variants or ():
            vkey = sku_key(variant.sku)
            if vkey in owners or vkey in catalog.products:
                at(
                    f"product:{key}",
                    f"variant SKU {variant.sku!r} is also used by {_owner(owners.get(vkey))}",
                    "variants",
                )
            owners[vkey] = product.sku
            if not variant.option_values:
                at(f"product:{key}", f"variant {variant.sku!r} needs option values", "variants")
        if product.options is not None:
            declared = {
                o.display_name.casefold(): {
                    str(v["label"]).casefold() for v in o.fields.get("option_values") or ()
                }
                for o in product.options
            }
            for variant in product.variants or ():
                for option, label in variant.option_values:
                    if label.casefold() not in declared.get(option.casefold(), ()):
                        at(
                            f"product:{key}",
                            f"variant {variant.sku!r}: {option}={label} is not among the "
                            "product's options and their values",
                            "variants",
                        )
        for rule in product.complex_rules or ():
            for problem in _rule_problems(product, rule):
                at(f"product:{key}", f"complex rule {rule.key!r}: {problem}", "complex_rules")
        if product.variants and len(product.variants) > MAX_SKUS_PER_PRODUCT:
            at(f"product:{key}", f"more than {MAX_SKUS_PER_PRODUCT} variants", "variants")
        if product.custom_fields is not None:
            if len(product.custom_fields) > MAX_CUSTOM_FIELDS:
                at(
                    f"product:{key}",
                    f"more than {MAX_CUSTOM_FIELDS} custom fields",
                    "custom_fields",
                )
            seen: set[str] = set()
            for cf_name, cf_value in product.custom_fields:
                if (
                    not cf_name
                    or len(cf_name) > MAX_CUSTOM_FIELD_TEXT
                    or len(cf_value) > MAX_CUSTOM_FIELD_TEXT
                ):
                    at(
                        f"product:{key}",
                        f"custom field {cf_name!r}: name and value must be 1 to "
                        f"{MAX_CUSTOM_FIELD_TEXT} characters",
                        "custom_fields",
                    )
                if cf_name in seen:
                    at(f"product:{key}", f"custom field {cf_name!r} appears twice", "custom_fields")
                seen.add(cf_name)
    for key in catalog.products:
        if key in owners:
            at(
                f"product:{key}",
                f"SKU {catalog.products[key].sku!r} is also a variant SKU of {_owner(owners[key])}",
                "sku",
            )

    check_categories = catalog.categories is not None or known_categories is not None
    check_brands = catalog.brands is not None or known_brands is not None
    category_keys = set(catalog.categories or {}) | {path_key(p) for p in known_categories or ()}
    for key, category in (catalog.categories or {}).items():
        if category.depth > MAX_CATEGORY_DEPTH:
            at(f"category:{key}", f"categories nest at most {MAX_CATEGORY_DEPTH} deep", "path")
        if any(not part or len(part) > MAX_CATEGORY_NAME for part in split_path(category.path)):
            at(
                f"category:{key}",
                f"each name in the path must be 1 to {MAX_CATEGORY_NAME} characters",
                "path",
            )
        parent = category.parent_key
        if parent is not None and path_key(parent) not in category_keys:
            at(f"category:{key}", f"parent category {parent!r} does not exist", "path")
    brand_names = [b.name for b in (catalog.brands or {}).values()] + list(known_brands or ())
    brand_keys = {name.casefold() for name in brand_names}
    category_paths = [c.key for c in (catalog.categories or {}).values()]
    category_paths += list(known_categories or ())
    for key, product in catalog.products.items():
        for path in sorted(product.categories or ()) if check_categories else ():
            if path not in category_keys:
                hint = did_you_mean(path, category_paths)
                at(f"product:{key}", f"category {path!r} does not exist{hint}", "categories")
        if check_brands and product.brand and product.brand.casefold() not in brand_keys:
            hint = did_you_mean(product.brand, brand_names)
            at(f"product:{key}", f"brand {product.brand!r} does not exist{hint}", "brand")
    return problems


def _rule_problems(product: Product, rule: ComplexRule) -> Iterator[str]:
    """Conditions naming a modifier value or variant that the product declares otherwise."""
    values = {
        m.display_name.casefold(): {
            str(v["label"]).casefold() for v in m.fields.get("option_values") or ()
        }
        for m in product.modifiers or ()
    }
    skus = {sku_key(v.sku) for v in product.variants or ()}
    for modifier, label, sku in rule.conditions:
        known = values.get(modifier.casefold(), ())
        if modifier and product.modifiers is not None and label.casefold() not in known:
            yield f"{modifier}={label} is not among the product's modifiers and their values"
        if sku and product.variants is not None and sku_key(sku) not in skus:
            yield f"variant {sku!r} is not among the product's variants"


def _owner(sku: str | None) -> str:
    return "a product" if sku is None else f"product {sku!r}"
