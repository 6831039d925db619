"""Record kinds as data: one declaration per kind, from which the planner, the engine, the JSON
Schemas, the CLI tables and the provider take everything they need to know about it.

A declaration says how a record is identified (its natural key and how keys compare), who owns it,
which kinds it references and how a reference is written, which fields the catalog manages (with the
types and limits of `fields.py`, shared with the emulator), the API's batch maxima, which fields are
operational data owned by the live store, and which fields may never be written. Two small readers
say where the kind's records are in a desired catalog and in an observation, in natural terms.
Adding a kind is one `KindSpec` here plus the provider's translation (see the README).
"""

from __future__ import annotations

import enum
import functools
import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from controller.catalog import fields, promotions
from controller.catalog.model import (
    BRAND_FIELDS,
    CATEGORY_FIELDS,
    DEFAULT_CHANNEL,
    DEFAULT_CHANNEL_NAME,
    DEFAULT_SITE,
    MAX_CUSTOM_FIELDS,
    MAX_SKUS_PER_PRODUCT,
    PRODUCT_FIELDS,
    STOCK_FIELDS,
    VARIANT_FIELDS,
    BlogPost,
    Brand,
    Catalog,
    Channel,
    ComplexRule,
    CustomerAttribute,
    CustomerGroup,
    PageLayout,
    Placement,
    PriceList,
    PriceListAssignment,
    Product,
    TemplateAssociation,
    Variant,
    WidgetTemplate,
    conditions_key,
    make_category,
    make_channel,
    make_script,
    path_key,
    sku_key,
    split_path,
)
from controller.catalog.observed import (
    ObservedCatalog,
    ObservedOption,
    ObservedProduct,
    ObservedVariant,
    assignment_of,
    associated_names,
    customer_values,
    group_values,
    promotion_names,
    rule_conditions,
    widget_keys,
)
from controller.text import plural


class Kind(enum.StrEnum):
    """The record kinds StagingPro manages (their names in plans, drift, status and files)."""

    BRANDS = "brands"
    CATEGORIES = "categories"
    PRODUCTS = "products"
    VARIANTS = "variants"
    CUSTOM_FIELDS = "customFields"
    IMAGES = "images"
    SCRIPTS = "scripts"
    PAGES = "pages"
    BLOG_POSTS = "blogPosts"
    REDIRECTS = "redirects"
    TEMPLATE_ASSOCIATIONS = "templateAssociations"
    WIDGET_TEMPLATES = "widgetTemplates"
    WIDGETS = "widgets"
    PLACEMENTS = "placements"
    PAGE_LAYOUTS = "pageLayouts"
    PRICE_LISTS = "priceLists"
    PRICE_RECORDS = "priceRecords"
    CUSTOMER_GROUPS = "customerGroups"
    PRICE_LIST_ASSIGNMENTS = "priceListAssignments"
    PROMOTIONS = "promotions"
    COUPON_CODES = "couponCodes"
    CUSTOMER_ATTRIBUTES = "customerAttributes"
    CUSTOMERS = "customers"
    OPTIONS = "variantOptions"
    MODIFIERS = "modifiers"
    COMPLEX_RULES = "complexRules"
    BULK_PRICING_RULES = "bulkPricingRules"
    INVENTORY_LOCATIONS = "inventoryLocations"
    STOCK = "stock"
    VIDEOS = "videos"
    REVIEWS = "reviews"
    PRODUCT_METAFIELDS = "productMetafields"
    VARIANT_METAFIELDS = "variantMetafields"
    CATEGORY_METAFIELDS = "categoryMetafields"
    BRAND_METAFIELDS = "brandMetafields"
    CHANNELS = "channels"


class Action(enum.StrEnum):
    """What a planned change does to a record."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class Reference:
    """A field of a record that names records of another kind by their natural keys (a product's
    `categories` by path). `id_field` is where an observed record holds the referenced ids."""

    field: str
    kind: Kind
    id_field: str
    many: bool = False


@dataclass(frozen=True, slots=True)
class Named:
    """Natural keys of other kinds written inside a record's values (a customer group's discount
    rules name categories by path and products by SKU). The engine resolves each to its store id
    (`Record.refs["named"]`: (kind, key as written) -> id), plans the kind after `kinds`, and the
    plan refuses a name that neither the catalog nor the store has (saying in which field, for
    the kinds in `where`: kind -> the field naming it)."""

    kinds: tuple[Kind, ...]
    read: Callable[[Mapping[str, Any]], Iterable[tuple[Kind, str]]]
    where: Mapping[Kind, str] = field(default_factory=dict)


Desired = tuple[str, Mapping[str, Any], Any]
"""A desired record: (natural key as written, values in natural terms, the model item)."""

Found = tuple[str, int | str, Mapping[str, Any], Any]
"""An observed record: (natural key as the store spells it, store id, values, the observed item)."""

Relabelled = tuple[Found, tuple[tuple[str, str], ...]]
"""A store's record as the catalog names it, with the renames that made it so (old, new)."""


@dataclass(frozen=True, slots=True)
class FoundIndex:
    """Observed records already keyed by folded natural key, read as `Found` only when compared
    (100k products are not copied into tuples)."""

    items: Mapping[str, Any]
    read: Callable[[Any], Found]

    def __iter__(self) -> Iterator[Found]:
        return map(self.read, self.items.values())


DesiredReader = Callable[[Any], "Iterable[Desired] | None"]
FoundReader = Callable[[Any], "Iterable[Found] | FoundIndex"]


def _identity(key: str) -> str:
    return key


EXACT = _identity
"""The `fold` of kinds whose keys compare exactly as written."""


@dataclass(frozen=True)
class KindSpec:
    """One record kind, declared."""

    kind: Kind
    singular: str
    key: str  # the natural key's field name as written in files and payloads
    fold: Callable[[str], str]  # how natural keys compare (SKUs and paths without case)
    fields: Mapping[str, fields.FieldSpec]  # types and limits of the writable fields
    managed: frozenset[str]  # the fields the catalog may set (key and references aside)
    desired: DesiredReader  # the records of a catalog (or of an owner item); None: unmanaged
    observed: FoundReader  # the records of an observation (or of an observed owner item)
    owner: Kind | None = None  # records exist only within an owner record (variant -> product)
    owner_field: str | None = None  # where they nest under the owner (files, create bodies)
    separator: str = "/"  # the key in plans: owner key + separator + key
    tree: bool = False  # records are parented by records of the same kind (categories)
    references: tuple[Reference, ...] = ()
    named: Named | None = None  # natural keys of other kinds inside its values
    batch: Mapping[Action, int] = field(default_factory=dict)  # the API's maxima per request
    concurrency: int | None = None  # at most this many of its requests at once (the API's limit)
    # requests a bulk job of the API takes for any number of records (redirects' import job):
    # used instead of batches when it costs fewer
    bulk: Mapping[Action, int] = field(default_factory=dict)
    operational: frozenset[str] = frozenset()  # owned by the live store (compared only on request)
    read_only: frozenset[str] = frozenset()  # set by the store: never written
    create_only: frozenset[str] = frozenset()  # identity written on create, never updated
    create_values: Callable[[Any], Mapping[str, Any]] | None = None  # reads them from an item
    required_on_create: tuple[str, ...] = ()
    file: str | None = None  # its file in a catalog directory (None: nested under its owner)
    per_owner: int | None = None  # at most this many records per owner
    positional: str | None = None  # a managed field given by the position in the owner's list
    short_form: bool = False  # may be written as its natural key alone
    required_in_file: tuple[str, ...] = ()  # fields every record written in a file has
    extra_schema: Mapping[str, Any] = field(default_factory=dict)  # further parts as written
    attribute: str | None = None  # top-level kinds: its `Catalog` and `ObservedCatalog` field
    make: Callable[[str, Mapping[str, Any]], Any] | None = None  # (key as written, fields) -> item
    optional_file: bool = False  # written only when the store has records of the kind
    depth_of: Callable[[Any], int] | None = None  # depth of a desired item (parents first)
    checks_references: bool = False  # the plan refuses references that resolve to nothing
    observed_attribute: str | None = None  # an ObservedCatalog field that is None when unobserved
    plan_check: Callable[[Catalog, ObservedCatalog], list[str]] | None = None  # more plan problems
    # personal data: read only to clone it anonymised into a sandbox; never captured, never part
    # of a deployment
    personal: bool = False
    # (desired values, observed values) -> whether an observed record the catalog no longer
    # names is a desired one under a new key: renamed in place rather than deleted and made again
    renamed: Callable[[Mapping[str, Any], Mapping[str, Any]], bool] | None = None
    # (desired owner, observed owner, desired key, desired values, the store's record) -> the
    # store's record with values renamed in place where the owners show it, and the renames
    # ((label in the store, label in the catalog), shown in plans)
    relabel: Callable[[Any, Any, str, Mapping[str, Any], Found], Relabelled] | None = None
    # operational data owned by the live store (inventory): copied into a sandbox only when its
    # cloneFrom asks; never captured, never part of a deployment
    live: bool = False
    # compared and written only when a plan's options ask for it (reviews: a sandbox's, or a
    # production store's whose environment asks)
    opt_in: bool = False
    # the key of a record every store has (the default channel): always observed, implied in a
    # catalog that manages the kind, never captured
    implicit: str | None = None
    # the channel a record (desired or observed item) belongs to: by name, or the store's id of
    # it; None: records of the kind are store-wide (a channel-scoped deployment leaves them out)
    channel: Callable[[Any], str | int] | None = None

    def depth(self, key: str) -> int:
        """Nesting depth of a record in its own tree (1 for roots; 0 for kinds without a tree)."""
        return len(split_path(key)) if self.tree else 0

    def batch_size(self, action: Action) -> int:
        """Records per request for `action`."""
        return self.batch.get(action, 1)

    def uses_bulk(self, action: Action, records: int) -> bool:
        """Whether `records` of `action` are written by a bulk job (it costs fewer requests than
        batches)."""
        job = self.bulk.get(action)
        return job is not None and job < math.ceil(records / self.batch_size(action))

    def requests(self, action: Action, records: int) -> int:
        """Requests that writing `records` of `action` takes: batches or a bulk job."""
        batches = math.ceil(records / self.batch_size(action))
        return self.bulk[action] if self.uses_bulk(action, records) else batches

    @property
    def one_per_item(self) -> bool:
        """Its file holds one record per line (`products.jsonl`), and a directory named after the
        kind may hold one YAML file per record (`products/*.yaml`)."""
        return self.file is not None and self.file.endswith(".jsonl")

    def records(self, catalog: Catalog) -> Mapping[str, Any] | None:
        """A top-level kind's records in a catalog by folded key (None: the kind is not managed)."""
        assert self.attribute is not None, f"{self.kind} is not a top-level kind"
        records: Mapping[str, Any] | None = getattr(catalog, self.attribute)
        return records


# ---- readers: where each kind's records are, in natural terms -----------------------------------


def _keyed(items: Mapping[str, Any] | None, key: str) -> Iterable[Desired] | None:
    if items is None:
        return None
    return ((getattr(item, key), item.fields, item) for item in items.values())


def _desired_categories(catalog: Catalog) -> list[Desired] | None:
    if catalog.categories is None:
        return None
    return [(c.key, {**c.fields, "name": c.name}, c) for c in catalog.categories.values()]


def _found_categories(observed: ObservedCatalog) -> Iterator[Found]:
    for category_id, path in sorted(observed.category_paths().items()):
        category = observed.categories[category_id]
        yield path, category_id, {**category.fields, "name": category.name}, category


def _option_values(variant: Variant) -> dict[str, Any]:
    return {
        "option_values": [
            {"option_display_name": o, "label": label} for o, label in variant.option_values
        ]
    }


def _desired_images(product: Product) -> list[Desired] | None:
    if product.images is None:
        return None
    return [
        (
            image.image_url,
            {
                "sort_order": index,
                "is_thumbnail": image.is_thumbnail,
                "description": image.description,
            },
            image,
        )
        for index, image in enumerate(product.images)
    ]


def _found_images(product: ObservedProduct) -> Iterator[Found]:
    for i in product.images:
        values = {
            "sort_order": i.sort_order,
            "is_thumbnail": i.is_thumbnail,
            "description": i.description,
        }
        yield i.image_url, i.id, values, i


def _page_values(url: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """A page's compared values: its fields and its URL (a link page is its link)."""
    return dict(values) if values.get("type") == "link" else {**values, "url": url}


def _desired_pages(catalog: Catalog) -> list[Desired] | None:
    if catalog.pages is None:
        return None
    depths: dict[str, int] = {}

    def depth(key: str, seen: frozenset[str] = frozenset()) -> int:
        if key not in depths:
            parent = catalog.pages[key].parent if catalog.pages and key in catalog.pages else ""
            depths[key] = 0 if not parent or parent in seen else 1 + depth(parent, seen | {key})
        return depths[key]

    return [
        (p.key, _page_values(p.url, p.fields), replace(p, depth=depth(key)))
        for key, p in catalog.pages.items()
    ]


def _redirect_values(fields_: Mapping[str, Any]) -> dict[str, Any]:
    """A redirect's compared values: its URL target (its site's channel is in its key)."""
    return {"to_url": fields_.get("to_url", "")}


def _found_associations(observed: ObservedCatalog) -> Iterator[Found]:
    """Associations keyed by their entity's natural key; the store id is `id/entity id` (an
    upsert names the entity, a delete the association)."""
    if not observed.template_associations:
        return
    names = associated_names(observed, observed.category_paths())
    for a in observed.template_associations.values():
        name = names[a.entity_type].get(a.entity_id, f"#{a.entity_id}")
        key = TemplateAssociation(a.entity_type, a.fields, **{a.entity_type: name}).key
        yield key, f"{a.id}/{a.entity_id}", dict(a.fields), a


def _check_templates(catalog: Catalog, observed: ObservedCatalog) -> list[str]:
    """Associations of the first channel to files that its active theme does not have."""
    if catalog.template_associations is None or observed.theme_templates is None:
        return []
    theme, files = observed.theme_templates
    problems = []
    for key, association in sorted(catalog.template_associations.items()):
        if association.fields.get("channel"):  # another storefront's theme
            continue
        file_name = association.fields.get("file_name")
        if not theme:
            problems.append(f"custom template association {key!r}: the store has no active theme")
        elif file_name not in files.get(association.entity_type, frozenset()):
            problems.append(
                f"custom template association {key!r}: the active theme {theme!r} has no "
                f"{association.entity_type} template {file_name!r}"
            )
    return problems


def _found_widgets(observed: ObservedCatalog) -> Iterator[Found]:
    """Widgets of the custom templates observed, by `template/name`."""
    keys = widget_keys(observed)
    for w in (observed.widgets or {}).values():
        if w.id in keys:
            yield keys[w.id], w.id, {**w.fields, "name": w.name}, w


def _found_placements(observed: ObservedCatalog) -> Iterator[Found]:
    """Placements keyed by template file, entity (natural key; `#id` when unknown), region and
    sort order."""
    if not observed.placements:
        return
    names = associated_names(observed, observed.category_paths())
    for p in observed.placements.values():
        kind = fields.placement_entity(str(p.fields.get("template_file", "")))
        entity_id = getattr(p, f"{kind}_id") if kind else 0
        entity = {kind: names[kind].get(entity_id, f"#{entity_id}")} if kind and entity_id else {}
        yield Placement(p.fields, **entity).key, p.id, dict(p.fields), p


def _found_layouts(observed: ObservedCatalog) -> Iterator[Found]:
    """Page Builder layouts keyed by template file and entity (natural key; `#id` when
    unknown)."""
    if not observed.page_layouts:
        return
    names = associated_names(observed, observed.category_paths())
    for layout in observed.page_layouts.values():
        entity = {
            kind: names[kind].get(entity_id, f"#{entity_id}")
            for kind in names
            if (entity_id := getattr(layout, f"{kind}_id"))
        }
        yield PageLayout(layout.fields, **entity).key, layout.id, dict(layout.fields), layout


def _check_regions(catalog: Catalog, observed: ObservedCatalog) -> list[str]:
    """Placements of the first channel in a region (or template file) that the active theme, as
    read, does not have."""
    if catalog.placements is None or observed.regions is None:
        return []
    problems = []
    for placement in sorted(catalog.placements.values(), key=lambda p: p.key):
        values = placement.fields
        file_name, region = str(values.get("template_file", "")), values.get("region")
        if values.get("channel") or not region:  # another storefront's theme, or no region
            continue
        if file_name not in observed.regions:
            continue
        regions = observed.regions[file_name]
        if regions is None:
            problems.append(
                f"placement {placement.key!r}: the active theme has no template {file_name!r}"
            )
        elif region not in regions:
            problems.append(
                f"placement {placement.key!r}: the active theme has no region {region!r} in "
                f"{file_name!r} (it has {', '.join(sorted(regions)) or 'none'})"
            )
    return problems


# The records whose pages a template association or placement names, by natural key.
_ENTITY_REFERENCES = tuple(
    Reference(kind, target, f"{kind}_id")
    for kind, target in (
        ("product", Kind.PRODUCTS),
        ("category", Kind.CATEGORIES),
        ("brand", Kind.BRANDS),
        ("page", Kind.PAGES),
    )
)


def _found_groups(observed: ObservedCatalog) -> Iterator[Found]:
    """Customer groups with their category access and discount rules in natural keys."""
    if not observed.customer_groups:
        return
    paths = observed.category_paths()
    skus = {p.id: p.sku for p in observed.products.values()}
    lists = {p.id: p.name for p in (observed.price_lists or {}).values()}
    for group in sorted(observed.customer_groups.values(), key=lambda g: g.id):
        values = group_values(group.fields, paths, skus, lists)
        yield group.name, group.id, values, CustomerGroup(group.name, values)


_RULE_KINDS = {
    "category": Kind.CATEGORIES,
    "product": Kind.PRODUCTS,
    "price_list": Kind.PRICE_LISTS,
}


def _group_names(values: Mapping[str, Any]) -> Iterator[tuple[Kind, str]]:
    """The categories and products a customer group's values name."""
    for path in (values.get("category_access") or {}).get("categories") or ():
        yield Kind.CATEGORIES, path
    for rule in values.get("discount_rules") or ():
        kind = _RULE_KINDS.get(rule.get("type", ""))
        if kind is not None and rule.get(rule["type"]):
            yield kind, rule[rule["type"]]


def _assignment_values(assignment: PriceListAssignment) -> dict[str, Any]:
    """A price list assignment's parts, as written (no customer group: none)."""
    values: dict[str, Any] = {"price_list": assignment.price_list}
    if assignment.customer_group:
        values["customer_group"] = assignment.customer_group
    return {**values, "channel": assignment.channel}


def _found_promotions(observed: ObservedCatalog) -> Iterator[Found]:
    """Promotions with the records they name in natural keys."""
    if not observed.promotions:
        return
    names = promotion_names(observed)
    for p in sorted(observed.promotions.values(), key=lambda p: p.id):
        yield p.name, p.id, promotions.to_names(p.fields, names), p


# What a promotion names, by the word its records use (`promotions.named`).
PROMOTION_KINDS = {
    "products": Kind.PRODUCTS,
    "categories": Kind.CATEGORIES,
    "brands": Kind.BRANDS,
    "groups": Kind.CUSTOMER_GROUPS,
    "channels": Kind.CHANNELS,
}


def _promotion_names(values: Mapping[str, Any]) -> Iterator[tuple[Kind, str]]:
    """The products, categories, brands, customer groups and channels a promotion's values
    name."""
    for kind, name in promotions.named(values):
        yield PROMOTION_KINDS[kind], name


def _found_customers(observed: ObservedCatalog) -> Iterator[Found]:
    """Customers with their attribute values by attribute name."""
    attributes = observed.customer_attributes or {}
    for customer in sorted((observed.customers or {}).values(), key=lambda c: c.id):
        yield customer.email, customer.id, customer_values(customer, attributes), customer


def _desired_customers(catalog: Catalog) -> Iterable[Desired] | None:
    if catalog.customers is None:
        return None
    return ((c.email, c.fields, c) for c in catalog.customers.values())


def option_ref(option: ObservedOption) -> str:
    """The store id of an option or modifier as a plan holds it: its id, its values' ids by
    label and its type (an update writes the option and all its values in one request, by their
    ids, with what the API requires of every update)."""
    return json.dumps([option.id, [list(v) for v in option.values], option.type])


def read_option_ref(ref: Any) -> tuple[int, list[tuple[str, int]], str]:
    """(option id, (label, value id) of each value, type) of `option_ref`'s text."""
    option_id, values, *rest = json.loads(str(ref))
    return (
        int(option_id),
        [(str(label), int(i)) for label, i in values],
        str(rest[0] if rest else ""),
    )


def _option_schema(value_fields: Mapping[str, fields.FieldSpec]) -> dict[str, Any]:
    """The JSON Schema of an option's or modifier's `option_values`."""
    types = {"str": "string", "int": "integer", "bool": "boolean", "obj": "object"}
    return {
        "option_values": {
            "type": "array",
            "description": "By label (unique within the option, without case).",
            "items": {
                "type": "object",
                "required": ["label"],
                "additionalProperties": False,
                "properties": {
                    name: {
                        "type": types[str(kind)],
                        **({"minLength": 1} if name == "label" else {}),
                    }
                    for name, (kind, _) in value_fields.items()
                },
            },
        }
    }


def _owned_options(attribute: str) -> DesiredReader:
    def read(product: Product) -> list[Desired] | None:
        found = getattr(product, attribute)
        return None if found is None else [(o.display_name, o.fields, o) for o in found]

    return read


def _found_options(attribute: str) -> FoundReader:
    def read(product: ObservedProduct) -> Iterator[Found]:
        for option in getattr(product, attribute):
            yield option.display_name, option_ref(option), option.fields, option

    return read


def _same_values(desired: Mapping[str, Any], observed: Mapping[str, Any]) -> bool:
    """An option or modifier renamed: one with values, all of the same labels."""

    def labels(values: Mapping[str, Any]) -> frozenset[str]:
        return frozenset(str(v["label"]).casefold() for v in values.get("option_values") or ())

    return bool(labels(desired)) and labels(desired) == labels(observed)


def _renamed_values(
    product: Product, found: ObservedProduct, key: str, values: Mapping[str, Any], record: Found
) -> Relabelled:
    """A variant option's value renamed: a label the store has and the catalog no longer lists
    whose variants (by SKU) are exactly those that name one new label of the catalog's. That
    value keeps its id under the new label (changed in place: its variants keep theirs)."""
    wanted = {
        str(v["label"]).casefold(): str(v["label"]) for v in values.get("option_values") or ()
    }
    option_id, ids, kind = read_option_ref(record[1])
    gone = [label for label, _ in ids if label.casefold() not in wanted]
    have = {label.casefold() for label, _ in ids}
    new = [label for folded, label in wanted.items() if folded not in have]
    if not gone or not new or not product.variants:
        return record, ()

    def users(variants: Iterable[Variant | ObservedVariant], name: str) -> dict[str, set[str]]:
        by_label: dict[str, set[str]] = {}  # folded label -> folded SKUs of its variants
        for variant in variants:
            for option, label in variant.option_values:
                if option.casefold() == name:
                    by_label.setdefault(label.casefold(), set()).add(sku_key(variant.sku))
        return by_label

    before, after = (
        users(found.variants, record[0].casefold()),
        users(product.variants, key.casefold()),
    )
    renames: dict[str, str] = {}  # folded label in the store -> label in the catalog
    for old in gone:
        skus = before.get(old.casefold())
        match = [label for label in new if skus and after.get(label.casefold()) == skus]
        if len(match) == 1:  # variants name one value each: equal non-empty sets are one to one
            renames[old.casefold()] = match[0]
    if not renames:
        return record, ()
    ref = json.dumps(
        [option_id, [[renames.get(label.casefold(), label), i] for label, i in ids], kind]
    )
    fields_ = dict(record[2])
    fields_["option_values"] = tuple(
        {**v, "label": renames.get(str(v["label"]).casefold(), v["label"])}
        for v in record[2].get("option_values") or ()
    )
    shown = tuple((old, renames[old.casefold()]) for old in gone if old.casefold() in renames)
    return (record[0], ref, fields_, record[3]), shown


def _renamed_modifier_value(
    product: Product, found: ObservedProduct, key: str, values: Mapping[str, Any], record: Found
) -> Relabelled:
    """A modifier's value renamed: the one label the store has that the catalog no longer lists
    and the one new label of the catalog's, at the same place with the same other fields
    (sort order, adjusters, data). That value keeps its id under the new label: changed in the
    modifier's one update, not deleted and made again."""
    have = list(record[2].get("option_values") or ())
    wanted = list(values.get("option_values") or ())
    labels = [{str(v["label"]).casefold() for v in side} for side in (have, wanted)]
    gone = [n for n, v in enumerate(have) if str(v["label"]).casefold() not in labels[1]]
    new = [n for n, v in enumerate(wanted) if str(v["label"]).casefold() not in labels[0]]
    if len(gone) != 1 or new != gone:
        return record, ()
    before, after = have[gone[0]], wanted[new[0]]
    if {k: v for k, v in before.items() if k != "label"} != {
        k: v for k, v in after.items() if k != "label"
    }:
        return record, ()
    old, label = str(before["label"]), str(after["label"])
    option_id, ids, kind = read_option_ref(record[1])
    ref = [[label if text.casefold() == old.casefold() else text, i] for text, i in ids]
    # the fields keep the old label: the update writes the values, the renamed one by its id
    return (record[0], json.dumps([option_id, ref, kind]), record[2], record[3]), ((old, label),)


def _option_kind(
    kind: Kind,
    singular: str,
    table: Mapping[str, fields.FieldSpec],
    values: Mapping[str, fields.FieldSpec],
    required: tuple[str, ...],
) -> KindSpec:
    """Variant options and modifiers: records of a product by display name, holding their values
    by label."""
    attribute = "options" if kind is Kind.OPTIONS else "modifiers"
    return KindSpec(
        kind,
        singular,
        key="display_name",
        fold=str.casefold,
        fields=table,
        managed=frozenset(table) - {"display_name"},
        desired=_owned_options(attribute),
        observed=_found_options(attribute),
        owner=Kind.PRODUCTS,
        owner_field=attribute,
        separator=f" {singular.split()[-1]} ",  # `SKU option Size`, `SKU modifier Engraving`
        read_only=frozenset({"id", "product_id", "name"}),
        required_on_create=required,
        required_in_file=required,
        extra_schema=_option_schema(values),
        renamed=_same_values,
        relabel=_renamed_values if kind is Kind.OPTIONS else _renamed_modifier_value,
    )


def written_conditions(rule: ComplexRule) -> dict[str, Any]:
    """A complex rule's conditions as written: `modifier` and `value`, `variant` (by SKU)."""
    return {
        "conditions": [
            {k: v for k, v in zip(("modifier", "value", "variant"), condition, strict=True) if v}
            for condition in rule.conditions
        ]
    }


def _found_rules(product: ObservedProduct) -> Iterator[Found]:
    for rule in product.complex_rules:
        yield conditions_key(rule_conditions(product, rule)), rule.id, rule.fields, rule


_CONDITION = {"type": "string", "minLength": 1}


def _desired_metafields(owner: Any) -> list[Desired] | None:
    """An owner's metafields by `namespace:key` (None: not managed)."""
    if owner.metafields is None:
        return None
    return [
        (m.name, {"namespace": m.namespace, "key": m.key, **m.fields}, m) for m in owner.metafields
    ]


def _found_metafields(owner: Any) -> Iterator[Found]:
    for m in owner.metafields:
        yield m.name, m.id, {"namespace": m.namespace, "key": m.key, **m.fields}, m


def _metafields(kind: Kind, owner: Kind) -> KindSpec:
    """The metafields of one kind of owner, by namespace and key (`permission_set` kept)."""
    return KindSpec(
        kind,
        f"{KINDS_SINGULAR[owner]} metafield",
        key="metafield",
        fold=_identity,
        fields=fields.METAFIELD,
        managed=frozenset(fields.METAFIELD),
        desired=_desired_metafields,
        observed=_found_metafields,
        owner=owner,
        owner_field="metafields",
        separator="|",
        batch={Action.CREATE: 50, Action.UPDATE: 50, Action.DELETE: 50},
        read_only=frozenset(
            {
                "id",
                "resource_type",
                "resource_id",
                "owner_client_id",
                "date_created",
                "date_modified",
            }
        ),
        required_on_create=("value", "permission_set"),
        required_in_file=("namespace", "key", "value", "permission_set"),
        per_owner=fields.MAX_METAFIELDS,
    )


KINDS_SINGULAR = {
    Kind.PRODUCTS: "product",
    Kind.VARIANTS: "variant",
    Kind.CATEGORIES: "category",
    Kind.BRANDS: "brand",
}


def _desired_channels(catalog: Catalog) -> list[Desired] | None:
    """The catalog's channels, the default one implied."""
    if catalog.channels is None:
        return None
    found = [(c.name, c.fields, c) for c in catalog.channels.values()]
    if DEFAULT_CHANNEL_NAME not in catalog.channels:
        found.append((DEFAULT_CHANNEL_NAME, {}, Channel(DEFAULT_CHANNEL_NAME, {})))
    return found


def _found_channels(observed: ObservedCatalog) -> Iterator[Found]:
    """The store's channels by name; its first storefront as `default`, nothing of it managed."""
    for channel in sorted((observed.channels or {}).values(), key=lambda c: c.id):
        if channel.id == DEFAULT_CHANNEL:
            yield DEFAULT_CHANNEL_NAME, channel.id, {}, channel
        else:
            yield channel.name, channel.id, channel.fields, channel


def _named_channel(item: Any) -> str:
    """The channel a record names by name in its fields (the first storefront when none)."""
    return str(item.fields.get("channel") or DEFAULT_CHANNEL_NAME)


def _channel_id(item: Any) -> str | int:
    """The channel a record names in its fields: by name, else by the store's id (the first
    storefront when neither)."""
    return item.fields.get("channel") or int(item.fields.get("channel_id", DEFAULT_CHANNEL))


def _channel_itself(channel: Any) -> str:
    """A channel belongs to itself (the store's first storefront is `default`)."""
    return DEFAULT_CHANNEL_NAME if getattr(channel, "id", None) == DEFAULT_CHANNEL else channel.name


def _assignment_channel(assignment: Any) -> str | int:
    """A price list assignment's channel: by name as desired, by the store's id as observed."""
    return (
        assignment.channel if isinstance(assignment, PriceListAssignment) else assignment.channel_id
    )


# what catalogs write of the channel-scoped kinds: the channel by name
_SCRIPT = fields.by_channel_name(fields.SCRIPT)
_CATEGORY = {**fields.CATEGORY, "channel": ("str", 255)}  # the tree of the channel named
_PAGE = fields.by_channel_name(fields.PAGE)
_REDIRECT = fields.by_channel_name(fields.REDIRECT, "site_id")
_WIDGET = fields.by_channel_name(fields.WIDGET)
_PLACEMENT = fields.by_channel_name(fields.PLACEMENT)
_LAYOUT = fields.by_channel_name(fields.PAGE_LAYOUT)
_ASSOCIATION = fields.by_channel_name(fields.TEMPLATE_ASSOCIATION)


def _legacy_id(name: str, value: int) -> dict[str, Any]:
    """The schema of the store id older catalogs wrote for the first storefront."""
    return {
        name: {
            "const": value,
            "description": "The first storefront, as older catalogs wrote it; name a channel "
            "with `channel` instead.",
        }
    }


# ---- the table -------------------------------------------------------------------------------------

_DECLARED = (
    KindSpec(
        Kind.CHANNELS,
        "channel",
        key="name",
        fold=_identity,
        fields=fields.CHANNEL,
        managed=frozenset(fields.CHANNEL) - {"name"},
        desired=_desired_channels,
        observed=_found_channels,
        read_only=frozenset({"id", "date_created", "date_modified", "icon_url", "is_enabled"}),
        create_only=frozenset({"type", "platform"}),
        required_on_create=("type", "platform"),
        file="channels.yaml",
        attribute="channels",
        make=make_channel,
        optional_file=True,
        observed_attribute="channels",
        implicit=DEFAULT_CHANNEL_NAME,
        channel=_channel_itself,
        extra_schema={
            "site": {
                "type": "object",
                "required": ["url"],
                "additionalProperties": False,
                "properties": {
                    "url": {"type": "string", "minLength": 1},
                    "routes": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["type", "matching", "route"],
                            "additionalProperties": False,
                            "properties": {
                                "type": {"type": "string", "minLength": 1},
                                "matching": {"type": "string", "minLength": 1},
                                "route": {"type": "string", "minLength": 1},
                            },
                        },
                    },
                },
            },
            "currencies": {
                "type": "object",
                "required": ["enabled_currencies", "default_currency"],
                "additionalProperties": False,
                "properties": {
                    "enabled_currencies": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"type": "string", "pattern": "^[A-Z]{3}$"},
                    },
                    "default_currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                },
            },
        },
    ),
    KindSpec(
        Kind.BRANDS,
        "brand",
        key="name",
        fold=str.casefold,
        fields=fields.BRAND,
        managed=BRAND_FIELDS,
        desired=lambda catalog: _keyed(catalog.brands, "name"),
        observed=lambda observed: (
            (b.name, b.id, b.fields, b)
            for b in sorted(observed.brands.values(), key=lambda b: b.id)
        ),
        read_only=frozenset({"id"}),
        file="brands.yaml",
        attribute="brands",
        make=Brand,
    ),
    KindSpec(
        Kind.CATEGORIES,
        "category",
        key="path",
        fold=path_key,
        fields=_CATEGORY,
        managed=CATEGORY_FIELDS | {"channel"},
        desired=_desired_categories,
        observed=_found_categories,
        tree=True,
        batch={Action.CREATE: 50, Action.UPDATE: 50, Action.DELETE: 50},
        read_only=frozenset({"category_id", "tree_id", "id"}),
        file="categories.yaml",
        attribute="categories",
        make=make_category,
        channel=_named_channel,
    ),
    KindSpec(
        Kind.PRODUCTS,
        "product",
        key="sku",
        fold=str.casefold,  # = sku_key
        fields=fields.PRODUCT,
        managed=PRODUCT_FIELDS,
        desired=lambda catalog: _keyed(catalog.products, "sku"),
        observed=lambda observed: FoundIndex(
            observed.products, lambda p: (p.sku, p.id, p.fields, p)
        ),
        references=(
            Reference("categories", Kind.CATEGORIES, "category_ids", many=True),
            Reference("brand", Kind.BRANDS, "brand_id"),
            Reference("channels", Kind.CHANNELS, "channel_ids", many=True),
        ),
        batch={Action.UPDATE: 10, Action.DELETE: 250},
        operational=STOCK_FIELDS,
        read_only=frozenset(
            {"id", "date_created", "date_modified", "calculated_price", "base_variant_id"}
        ),
        required_on_create=("name", "type", "weight", "price"),
        file="products.jsonl",
        attribute="products",
    ),
    # before variants: a new variant names its option values
    _option_kind(
        Kind.OPTIONS,
        "variant option",
        fields.OPTION,
        fields.OPTION_VALUE,
        ("type", "option_values"),
    ),
    _option_kind(
        Kind.MODIFIERS, "modifier", fields.MODIFIER, fields.MODIFIER_VALUE, ("type", "required")
    ),
    KindSpec(
        Kind.VARIANTS,
        "variant",
        key="sku",
        fold=str.casefold,  # = sku_key
        fields=fields.VARIANT,
        managed=VARIANT_FIELDS,
        desired=lambda product: (
            None if product.variants is None else [(v.sku, v.fields, v) for v in product.variants]
        ),
        observed=lambda product: ((v.sku, v.id, v.fields, v) for v in product.variants),
        owner=Kind.PRODUCTS,
        owner_field="variants",
        separator="/",
        batch={Action.UPDATE: 50},
        operational=STOCK_FIELDS,
        read_only=frozenset({"id", "product_id", "calculated_price"}),
        create_only=frozenset({"option_values"}),
        create_values=_option_values,
        per_owner=MAX_SKUS_PER_PRODUCT,
        extra_schema={
            "option_values": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["option_display_name", "label"],
                    "additionalProperties": False,
                    "properties": {
                        "option_display_name": {"type": "string", "minLength": 1},
                        "label": {"type": "string", "minLength": 1},
                    },
                },
            }
        },
    ),
    KindSpec(  # after variants and modifiers: its conditions name them
        Kind.COMPLEX_RULES,
        "complex rule",
        key="conditions",
        fold=str.casefold,
        fields=fields.COMPLEX_RULE,
        managed=frozenset(fields.COMPLEX_RULE),
        desired=lambda product: (
            None
            if product.complex_rules is None
            else [(r.key, r.fields, r) for r in product.complex_rules]
        ),
        observed=_found_rules,
        owner=Kind.PRODUCTS,
        owner_field="complex_rules",
        separator=" rule ",
        read_only=frozenset({"id", "product_id"}),
        create_values=written_conditions,
        extra_schema={
            "conditions": {
                "type": "array",
                "minItems": 1,
                "description": "The rule's identity: a modifier value (`modifier` display name and "
                "`value` label) and/or a `variant` (by SKU) per condition.",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "modifier": _CONDITION,
                        "value": _CONDITION,
                        "variant": _CONDITION,
                    },
                },
            },
        },
    ),
    KindSpec(
        Kind.BULK_PRICING_RULES,
        "bulk pricing rule",
        key="quantity_min",
        fold=_identity,
        fields=fields.BULK_PRICING_RULE,
        managed=frozenset({"quantity_max", "type", "amount"}),
        desired=lambda product: (
            None
            if product.bulk_pricing_rules is None
            else [(str(r.quantity_min), r.fields, r) for r in product.bulk_pricing_rules]
        ),
        # its id with its values: an update writes the whole rule, as the API requires
        observed=lambda product: (
            (str(r.quantity_min), json.dumps([r.id, r.fields]), r.fields, r)
            for r in product.bulk_pricing_rules
        ),
        owner=Kind.PRODUCTS,
        owner_field="bulk_pricing_rules",
        separator=" bulk pricing from ",
        read_only=frozenset({"id"}),
        required_on_create=("quantity_max", "type", "amount"),
        required_in_file=("quantity_max", "type", "amount"),
        extra_schema={
            "quantity_min": {
                "type": "integer",
                "minimum": 0,
                "description": "The rule's identity (ranges do not overlap).",
            }
        },
    ),
    KindSpec(
        Kind.CUSTOM_FIELDS,
        "custom field",
        key="name",
        fold=_identity,
        fields=fields.CUSTOM_FIELD,
        managed=frozenset({"value"}),
        desired=lambda product: (
            None
            if product.custom_fields is None
            else [(n, {"value": v}, None) for n, v in product.custom_fields]
        ),
        observed=lambda product: ((n, i, {"value": v}, None) for i, n, v in product.custom_fields),
        owner=Kind.PRODUCTS,
        owner_field="custom_fields",
        separator="#",
        per_owner=MAX_CUSTOM_FIELDS,
        required_in_file=("value",),
        read_only=frozenset({"id"}),
    ),
    KindSpec(
        Kind.IMAGES,
        "image",
        key="image_url",
        fold=_identity,
        fields=fields.IMAGE,
        managed=frozenset({"sort_order", "is_thumbnail", "description"}),
        desired=_desired_images,
        observed=_found_images,
        owner=Kind.PRODUCTS,
        owner_field="images",
        separator="@",
        positional="sort_order",
        short_form=True,
        read_only=frozenset({"id", "product_id", "url_standard", "url_thumbnail", "url_zoom"}),
    ),
    KindSpec(
        Kind.VIDEOS,
        "video",
        key="video_id",
        fold=_identity,
        fields=fields.VIDEO,
        managed=frozenset(fields.VIDEO) - {"video_id"},
        desired=lambda product: (
            None if product.videos is None else [(v.video_id, v.fields, v) for v in product.videos]
        ),
        observed=lambda product: ((v.video_id, v.id, v.fields, v) for v in product.videos),
        owner=Kind.PRODUCTS,
        owner_field="videos",
        separator="~",
        read_only=frozenset({"id", "product_id", "length"}),
    ),
    KindSpec(
        Kind.REVIEWS,
        "review",
        key="review",
        fold=_identity,
        fields=fields.REVIEW,
        managed=frozenset(fields.REVIEW),
        desired=lambda product: (
            None
            if product.reviews is None
            else [
                (r.key, {"date_reviewed": r.date_reviewed, "title": r.title, **r.fields}, r)
                for r in product.reviews
            ]
        ),
        observed=lambda product: (
            (r.key, r.id, {"date_reviewed": r.date_reviewed, "title": r.title, **r.fields}, r)
            for r in product.reviews
        ),
        owner=Kind.PRODUCTS,
        owner_field="reviews",
        separator="*",
        read_only=frozenset({"id", "product_id", "date_created", "date_modified", "name", "email"}),
        required_on_create=("title", "date_reviewed"),
        required_in_file=("title", "date_reviewed"),
        opt_in=True,
    ),
    _metafields(Kind.PRODUCT_METAFIELDS, Kind.PRODUCTS),
    _metafields(Kind.VARIANT_METAFIELDS, Kind.VARIANTS),
    _metafields(Kind.CATEGORY_METAFIELDS, Kind.CATEGORIES),
    _metafields(Kind.BRAND_METAFIELDS, Kind.BRANDS),
    KindSpec(
        Kind.SCRIPTS,
        "script",
        key="name",
        fold=_identity,
        fields=_SCRIPT,
        managed=frozenset(_SCRIPT) - {"name"},
        desired=lambda catalog: _keyed(catalog.scripts, "key"),
        observed=lambda observed: (
            (s.key, s.id, s.fields, s) for s in (observed.scripts or {}).values()
        ),
        read_only=frozenset({"uuid", "date_created", "date_modified"}),
        file="scripts.yaml",
        attribute="scripts",
        make=make_script,
        channel=_named_channel,
        create_values=lambda script: {"name": script.name},  # its key names its channel too
        extra_schema=_legacy_id("channel_id", DEFAULT_CHANNEL),
        optional_file=True,
        observed_attribute="scripts",
    ),
    KindSpec(
        Kind.PAGES,
        "web page",
        key="url",
        fold=_identity,
        fields=_PAGE,
        managed=frozenset(_PAGE),
        desired=_desired_pages,
        observed=lambda observed: (
            (p.key, p.id, _page_values(p.url, p.fields), p) for p in (observed.pages or {}).values()
        ),
        references=(Reference("parent", Kind.PAGES, "parent_id"),),
        batch={Action.CREATE: 50, Action.UPDATE: 50, Action.DELETE: 50},
        read_only=frozenset({"id"}),
        required_on_create=("name", "type"),
        required_in_file=("name", "type"),
        file="content/pages/",
        attribute="pages",
        channel=_named_channel,
        extra_schema=_legacy_id("channel_id", DEFAULT_CHANNEL),
        optional_file=True,
        depth_of=lambda page: page.depth,
        checks_references=True,
        observed_attribute="pages",
    ),
    KindSpec(
        Kind.BLOG_POSTS,
        "blog post",
        key="url",
        fold=_identity,
        fields=fields.BLOG_POST,
        managed=frozenset(fields.BLOG_POST) - {"url"},
        desired=lambda catalog: _keyed(catalog.blog_posts, "url"),
        observed=lambda observed: (
            (p.url, p.id, p.fields, p) for p in (observed.blog_posts or {}).values()
        ),
        read_only=frozenset({"id", "preview_url", "summary", "published_date_iso8601"}),
        required_on_create=("title", "body"),
        required_in_file=("title", "body"),
        file="content/blog/",
        attribute="blog_posts",
        make=BlogPost,
        optional_file=True,
        observed_attribute="blog_posts",
    ),
    KindSpec(
        Kind.WIDGET_TEMPLATES,
        "widget template",
        key="name",
        fold=_identity,
        fields=fields.WIDGET_TEMPLATE,
        managed=frozenset(fields.WIDGET_TEMPLATE) - {"name"},
        desired=lambda catalog: _keyed(catalog.widget_templates, "name"),
        observed=lambda observed: (
            (t.name, t.id, t.fields, t) for t in (observed.widget_templates or {}).values()
        ),
        read_only=frozenset(
            {"uuid", "kind", "date_created", "date_modified", "current_version_uuid", "icon_name"}
        ),
        required_on_create=("template",),
        required_in_file=("template",),
        file="content/widget-templates/",
        attribute="widget_templates",
        make=WidgetTemplate,
        optional_file=True,
        observed_attribute="widget_templates",
    ),
    KindSpec(
        Kind.WIDGETS,
        "widget",
        key="widget",
        fold=_identity,
        fields=_WIDGET,
        managed=frozenset(_WIDGET),
        desired=lambda catalog: (
            None
            if catalog.widgets is None
            else [(w.key, {**w.fields, "name": w.name}, w) for w in catalog.widgets.values()]
        ),
        observed=_found_widgets,
        references=(Reference("template", Kind.WIDGET_TEMPLATES, "template_id"),),
        read_only=frozenset(
            {
                "uuid",
                "widget_template",
                "version_uuid",
                "date_created",
                "date_modified",
                "storefront_api_query_params",
            }
        ),
        required_on_create=("name",),
        required_in_file=("template", "name"),
        file="content/widgets.yaml",
        extra_schema=_legacy_id("channel_id", DEFAULT_CHANNEL),
        attribute="widgets",
        channel=_channel_id,
        optional_file=True,
        checks_references=True,
        observed_attribute="widgets",
    ),
    KindSpec(
        Kind.PLACEMENTS,
        "placement",
        key="placement",
        fold=path_key,
        fields=_PLACEMENT,
        managed=frozenset(_PLACEMENT),
        desired=lambda catalog: (
            None
            if catalog.placements is None
            else [(p.key, dict(p.fields), p) for p in catalog.placements.values()]
        ),
        observed=_found_placements,
        references=(
            Reference("widget", Kind.WIDGETS, "widget_id"),
            *_ENTITY_REFERENCES,
        ),
        read_only=frozenset({"uuid", "widget", "date_created", "date_modified"}),
        required_on_create=("template_file",),
        required_in_file=("template_file", "region", "widget"),
        file="content/placements.yaml",
        extra_schema=_legacy_id("channel_id", DEFAULT_CHANNEL),
        attribute="placements",
        channel=_channel_id,
        optional_file=True,
        checks_references=True,
        observed_attribute="placements",
        plan_check=_check_regions,
    ),
    KindSpec(
        Kind.PAGE_LAYOUTS,
        "Page Builder layout",
        key="layout",
        fold=path_key,
        fields=_LAYOUT,
        managed=frozenset(_LAYOUT),
        desired=lambda catalog: (
            None
            if catalog.page_layouts is None
            else [(p.key, dict(p.fields), p) for p in catalog.page_layouts.values()]
        ),
        observed=_found_layouts,
        references=(
            Reference("widget_templates", Kind.WIDGET_TEMPLATES, "widget_template_ids", many=True),
            *_ENTITY_REFERENCES,
        ),
        required_in_file=("regions",),
        file="content/layouts/",
        extra_schema=_legacy_id("channel_id", DEFAULT_CHANNEL),
        attribute="page_layouts",
        channel=_channel_id,
        optional_file=True,
        checks_references=True,
        observed_attribute="page_layouts",
    ),
    KindSpec(
        Kind.TEMPLATE_ASSOCIATIONS,
        "custom template association",
        key="entity",
        fold=path_key,
        fields=_ASSOCIATION,
        managed=frozenset(_ASSOCIATION),
        desired=lambda catalog: (
            None
            if catalog.template_associations is None
            else [(a.key, dict(a.fields), a) for a in catalog.template_associations.values()]
        ),
        observed=_found_associations,
        references=_ENTITY_REFERENCES,
        batch={Action.CREATE: 100, Action.UPDATE: 100, Action.DELETE: 50},
        read_only=frozenset({"id", "is_valid", "date_created", "date_modified"}),
        required_in_file=("file_name",),
        file="content/custom-templates.yaml",
        extra_schema=_legacy_id("channel_id", DEFAULT_CHANNEL),
        attribute="template_associations",
        channel=_channel_id,
        optional_file=True,
        checks_references=True,
        observed_attribute="template_associations",
        plan_check=_check_templates,
    ),
    KindSpec(
        Kind.REDIRECTS,
        "redirect",
        key="from_path",
        fold=_identity,
        fields=_REDIRECT,
        managed=frozenset({"channel", "to_url"}),
        desired=lambda catalog: (
            None
            if catalog.redirects is None
            else [(r.key, _redirect_values(r.fields), r) for r in catalog.redirects.values()]
        ),
        observed=lambda observed: (
            (r.key, r.id, _redirect_values(r.fields), r)
            for r in (observed.redirects or {}).values()
        ),
        references=(
            Reference("to_product", Kind.PRODUCTS, "product_id"),
            Reference("to_category", Kind.CATEGORIES, "category_id"),
            Reference("to_brand", Kind.BRANDS, "brand_id"),
            Reference("to_page", Kind.PAGES, "page_id"),
            Reference("to_post", Kind.BLOG_POSTS, "post_id"),
        ),
        batch={Action.CREATE: 50, Action.UPDATE: 50, Action.DELETE: 50},
        bulk={Action.CREATE: 3, Action.UPDATE: 3},  # the store's domain, an import, its job
        read_only=frozenset({"id"}),
        file="content/redirects.yaml",
        attribute="redirects",
        channel=_named_channel,
        extra_schema=_legacy_id("site_id", DEFAULT_SITE),
        optional_file=True,
        checks_references=True,
        observed_attribute="redirects",
    ),
    KindSpec(
        Kind.PRICE_LISTS,
        "price list",
        key="name",
        fold=_identity,
        fields=fields.PRICE_LIST,
        managed=frozenset({"active"}),
        desired=lambda catalog: _keyed(catalog.price_lists, "name"),
        observed=lambda observed: (
            (p.name, p.id, p.fields, p)
            for p in sorted((observed.price_lists or {}).values(), key=lambda p: p.id)
        ),
        read_only=frozenset({"id", "date_created", "date_modified"}),
        file="price-lists.yaml",
        attribute="price_lists",
        make=PriceList,
        optional_file=True,
        observed_attribute="price_lists",
    ),
    KindSpec(
        Kind.PRICE_RECORDS,
        "price list record",
        key="sku",
        fold=str.casefold,
        fields=fields.PRICE_RECORD,
        managed=frozenset(fields.PRICE_RECORD) - {"sku", "currency"},
        desired=lambda price_list: (
            None
            if price_list.records is None
            else [(r.key, r.fields, r) for r in price_list.records]
        ),
        observed=lambda price_list: ((r.key, r.id, r.fields, r) for r in price_list.records),
        owner=Kind.PRICE_LISTS,
        owner_field="records",
        separator="#",
        # written by upsert (1,000 a request, 2 at once), deleted by SKUs per currency
        batch={Action.CREATE: 1000, Action.UPDATE: 1000, Action.DELETE: 250},
        concurrency=2,
        create_only=frozenset({"currency"}),
        create_values=lambda record: {"sku": record.sku, "currency": record.currency},
        required_on_create=("price",),
        required_in_file=("price",),
        extra_schema={
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "bulk_pricing_tiers": {
                "type": "array",
                "description": "By the quantity each starts at (ranges do not overlap); none: "
                "not managed, []: none.",
                "items": {
                    "type": "object",
                    "required": ["quantity_min", "type", "amount"],
                    "additionalProperties": False,
                    "properties": {
                        "quantity_min": {"type": "integer", "minimum": 0},
                        "quantity_max": {
                            "type": ["integer", "null"],
                            "minimum": 0,
                            "description": "None: no maximum.",
                        },
                        "type": {"enum": list(fields.BULK_PRICING_TYPES)},
                        "amount": {"type": "number", "minimum": 0},
                    },
                },
            },
        },
    ),
    KindSpec(
        Kind.CUSTOMER_GROUPS,
        "customer group",
        key="name",
        fold=_identity,
        fields=fields.CUSTOMER_GROUP,
        managed=frozenset(fields.CUSTOMER_GROUP) - {"name"},
        desired=lambda catalog: _keyed(catalog.customer_groups, "name"),
        observed=_found_groups,
        named=Named((Kind.CATEGORIES, Kind.PRODUCTS, Kind.PRICE_LISTS), _group_names),
        read_only=frozenset({"id", "date_created", "date_modified"}),
        file="customer-groups.yaml",
        attribute="customer_groups",
        make=CustomerGroup,
        optional_file=True,
        observed_attribute="customer_groups",
        extra_schema={
            "category_access": {
                "type": "object",
                "required": ["type"],
                "additionalProperties": False,
                "properties": {
                    "type": {"enum": list(fields.CATEGORY_ACCESS_TYPES)},
                    "categories": {
                        "type": "array",
                        "items": {"type": "string", "minLength": 1},
                        "description": "By category path (type specific).",
                    },
                },
            },
            "discount_rules": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["type"],
                    "additionalProperties": False,
                    "properties": {
                        "type": {"enum": ["all", "category", "product", "price_list"]},
                        "method": {"enum": list(fields.DISCOUNT_METHODS)},
                        "amount": {"type": "number", "minimum": 0},
                        "category": {"type": "string", "description": "By path (type category)."},
                        "product": {"type": "string", "description": "By SKU (type product)."},
                        "price_list": {
                            "type": "string",
                            "description": "By name (type price_list: the only rule).",
                        },
                    },
                },
            },
        },
    ),
    KindSpec(
        Kind.PRICE_LIST_ASSIGNMENTS,
        "price list assignment",
        key="key",
        fold=_identity,
        fields=fields.PRICE_LIST_ASSIGNMENT,
        managed=frozenset(),  # all of it is its key: created or deleted, never updated
        desired=lambda catalog: (
            None
            if catalog.price_list_assignments is None
            else (
                (a.key, _assignment_values(a), a) for a in catalog.price_list_assignments.values()
            )
        ),
        observed=lambda observed: (
            (found.key, a.id, _assignment_values(found), found)
            for a in sorted((observed.price_list_assignments or {}).values(), key=lambda a: a.id)
            for found in [assignment_of(observed, a)]
        ),
        named=Named(
            (Kind.PRICE_LISTS, Kind.CUSTOMER_GROUPS, Kind.CHANNELS),
            lambda values: (
                (kind, values[name])
                for kind, name in (
                    (Kind.PRICE_LISTS, "price_list"),
                    (Kind.CUSTOMER_GROUPS, "customer_group"),
                    (Kind.CHANNELS, "channel"),
                )
                if values.get(name)
            ),
            {Kind.CHANNELS: "channel"},
        ),
        batch={Action.CREATE: 25},  # created 25 a request, deleted one by one
        read_only=frozenset({"id"}),
        create_values=_assignment_values,
        file="price-list-assignments.yaml",
        attribute="price_list_assignments",
        channel=_assignment_channel,
        optional_file=True,
        observed_attribute="price_list_assignments",
        extra_schema={
            "price_list": {"type": "string", "minLength": 1, "description": "By name."},
            "customer_group": {
                "type": "string",
                "description": "By name; none: every shopper on the channel.",
            },
            "channel": {
                "type": "string",
                "minLength": 1,
                "description": "By name; none: the first storefront (`default`).",
            },
            **_legacy_id("channel_id", DEFAULT_CHANNEL),
        },
    ),
    KindSpec(
        Kind.PROMOTIONS,
        "promotion",
        key="name",
        fold=_identity,
        fields=fields.PROMOTION,
        managed=frozenset(fields.PROMOTION) - {"name"},
        desired=lambda catalog: _keyed(catalog.promotions, "name"),
        observed=_found_promotions,
        named=Named(
            (Kind.PRODUCTS, Kind.CATEGORIES, Kind.BRANDS, Kind.CUSTOMER_GROUPS, Kind.CHANNELS),
            _promotion_names,
            {Kind.CHANNELS: "channels"},
        ),
        read_only=frozenset({"id", "current_uses", "created_from"}),
        # the API changes neither once a promotion exists
        create_only=frozenset({"redemption_type", "coupon_type"}),
        required_on_create=("redemption_type", "rules"),
        required_in_file=("redemption_type", "rules"),
        file="promotions.yaml",
        attribute="promotions",
        optional_file=True,
        observed_attribute="promotions",
        extra_schema={
            "rules": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "object", "required": ["action"]},
                "description": "As the API has them, records named by natural key: item matchers "
                "list products by SKU, categories by path, brands by name; a gift item names its "
                "product by SKU (product).",
            },
            "customer": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "groups": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "excluded_groups": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "minimum_order_count": {"type": "integer", "minimum": 0},
                },
                "description": "Customer groups by name (0: guests and customers of no group).",
            },
            "channels": {
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "description": "By name (`default`: the first storefront); none or []: every "
                "channel.",
            },
        },
    ),
    KindSpec(
        Kind.COUPON_CODES,
        "coupon code",
        key="code",
        fold=_identity,
        fields=fields.COUPON_CODE,
        managed=frozenset({"max_uses", "max_uses_per_customer"}),
        desired=lambda promotion: (
            None if promotion.codes is None else [(c.code, c.fields, c) for c in promotion.codes]
        ),
        observed=lambda promotion: ((c.code, c.id, c.fields, c) for c in promotion.codes),
        owner=Kind.PROMOTIONS,
        owner_field="codes",
        separator="#",
        batch={Action.DELETE: 250},  # created one a request, deleted 250 at once
        read_only=frozenset({"id", "current_uses", "created"}),
        # the API updates no code: its limits are written when it is created
        create_only=frozenset({"max_uses", "max_uses_per_customer"}),
    ),
    KindSpec(
        Kind.CUSTOMER_ATTRIBUTES,
        "customer attribute",
        key="name",
        fold=_identity,
        fields=fields.CUSTOMER_ATTRIBUTE,
        managed=frozenset({"type"}),
        desired=lambda catalog: _keyed(catalog.customer_attributes, "name"),
        observed=lambda observed: (
            (a.name, a.id, a.fields, a)
            for a in sorted((observed.customer_attributes or {}).values(), key=lambda a: a.id)
        ),
        batch={Action.CREATE: 10, Action.UPDATE: 10, Action.DELETE: 50},
        read_only=frozenset({"id", "date_created", "date_modified"}),
        required_on_create=("type",),
        required_in_file=("type",),
        file="customer-attributes.yaml",
        attribute="customer_attributes",
        make=CustomerAttribute,
        optional_file=True,
        observed_attribute="customer_attributes",
    ),
    KindSpec(
        Kind.CUSTOMERS,
        "customer",
        key="email",
        fold=str.casefold,
        fields=fields.CUSTOMER,
        managed=frozenset(fields.CUSTOMER) - {"email"},
        desired=_desired_customers,
        observed=_found_customers,
        references=(Reference("customer_group", Kind.CUSTOMER_GROUPS, "customer_group_id"),),
        named=Named(
            (Kind.CUSTOMER_ATTRIBUTES,),
            lambda values: (
                (Kind.CUSTOMER_ATTRIBUTES, name) for name in values.get("attributes") or {}
            ),
        ),
        batch={Action.CREATE: 10, Action.UPDATE: 10, Action.DELETE: 50},
        read_only=frozenset({"id", "date_created", "date_modified", "registration_ip_address"}),
        required_on_create=("first_name", "last_name"),
        attribute="customers",
        observed_attribute="customers",
        personal=True,
    ),
    KindSpec(
        Kind.INVENTORY_LOCATIONS,
        "inventory location",
        key="code",
        fold=_identity,
        fields=fields.LOCATION,
        managed=frozenset(fields.LOCATION) - {"code"},
        desired=lambda catalog: _keyed(catalog.inventory_locations, "code"),
        observed=lambda observed: (
            (loc.code, loc.id, loc.fields, loc)
            for loc in sorted((observed.inventory_locations or {}).values(), key=lambda x: x.id)
        ),
        # created and updated in batches (at most 100 active locations), deleted by id
        batch={Action.CREATE: 100, Action.UPDATE: 100, Action.DELETE: 100},
        read_only=frozenset({"id", "created_at", "updated_at"}),
        required_on_create=("label",),
        attribute="inventory_locations",
        observed_attribute="inventory_locations",
        live=True,
    ),
    KindSpec(
        Kind.STOCK,
        "stock",
        key="sku",
        fold=str.casefold,
        fields=fields.STOCK,
        managed=frozenset(fields.STOCK) - {"sku"},
        desired=lambda location: (
            None if location.stock is None else [(s.sku, s.fields, s) for s in location.stock]
        ),
        observed=lambda location: ((s.sku, s.sku, s.fields, s) for s in location.stock),
        owner=Kind.INVENTORY_LOCATIONS,
        owner_field="stock",
        separator="#",
        # absolute adjustments and settings: 2,000 items a request; a SKU the location no longer
        # holds is set to 0
        batch={Action.CREATE: 2000, Action.UPDATE: 2000, Action.DELETE: 2000},
    ),
)

KINDS: Mapping[Kind, KindSpec] = {spec.kind: spec for spec in _DECLARED}


def _plan_order() -> tuple[Kind, ...]:
    """Kinds so that referenced kinds and owners come before the kinds that need them (declaration
    order among the independent ones)."""
    needs = {
        spec.kind: (
            {spec.owner}
            | {r.kind for r in spec.references}
            | set(spec.named.kinds if spec.named else ())
        )
        - {None, spec.kind}
        for spec in _DECLARED
    }
    order: list[Kind] = []
    while len(order) < len(needs):
        ready = next((k for k in KINDS if k not in order and needs[k] <= set(order)), None)
        if ready is None:
            raise RuntimeError(
                f"the kind table has a reference cycle among {set(needs) - set(order)}"
            )
        order.append(ready)
    return tuple(order)


PLAN_ORDER = _plan_order()
RANK: Mapping[Kind, int] = {kind: i for i, kind in enumerate(PLAN_ORDER)}
TOP_LEVEL = tuple(k for k in PLAN_ORDER if KINDS[k].owner is None)


def top_of(kind: Kind) -> Kind:
    """The top-level kind whose records own those of `kind` (itself when top-level)."""
    owner = KINDS[kind].owner
    return kind if owner is None else top_of(owner)


@functools.cache
def children(kind: Kind) -> tuple[KindSpec, ...]:
    """The kinds owned by `kind`, in plan order."""
    return tuple(KINDS[k] for k in PLAN_ORDER if KINDS[k].owner is kind)


SHAREABLE = tuple(k for k in TOP_LEVEL if not KINDS[k].personal and not KINDS[k].live)
"""The top-level kinds that may leave their store as they are (captured, compared, deployed)."""
PERSONAL = frozenset(k for k in TOP_LEVEL if KINDS[k].personal)
LIVE = frozenset(k for k in TOP_LEVEL if KINDS[k].live)
"""Operational data of the live store: cloned into a sandbox on request only."""
CAPTURED = frozenset(
    k for k in PLAN_ORDER if not KINDS[top_of(k)].personal and not KINDS[top_of(k)].live
)
"""What a capture or a clone observes: the shareable kinds and every kind they own."""

FILED = tuple(KINDS[k] for k in TOP_LEVEL if KINDS[k].file is not None)
"""The kinds with a file of their own in a catalog directory, in plan order."""

ON_REQUEST = frozenset({Kind.OPTIONS, Kind.MODIFIERS, Kind.COMPLEX_RULES})
"""Kinds owned by products that a read brings only when a catalog compares them or a capture or
clone names them (the platform answers 10 products a page with options and modifiers, not 250;
complex rules are read product by product)."""


def counts(catalog: Catalog) -> dict[str, int]:
    """Record counts of a desired catalog per kind (a kind it does not manage counts 0)."""
    out: dict[str, int] = {}
    for kind in TOP_LEVEL:
        records = KINDS[kind].records(catalog) or {}
        out[kind] = len(records)
        count_owned(kind, records.values(), out)
    return out


def count_owned(kind: Kind, owners: Iterable[Any], out: dict[str, int]) -> None:
    """Add the records that `owners` of `kind` own (and what those own) to `out`."""
    owned = children(kind)
    if not owned:
        return
    for child in owned:
        out.setdefault(child.kind, 0)
        count_owned(child.kind, (), out)  # what it owns counts 0 too
    for owner in owners:
        for child in owned:
            assert child.owner_field is not None
            records = getattr(owner, child.owner_field) or ()
            out[child.kind] += len(records)
            if children(child.kind):
                count_owned(child.kind, records, out)


def found_all(spec: KindSpec, observed: ObservedCatalog) -> Iterator[Found]:
    """Every observed record of a kind, those of owned kinds across all their owners."""
    if spec.owner is None:
        yield from spec.observed(observed)
        return
    for owner in found_all(KINDS[spec.owner], observed):
        yield from spec.observed(owner[3])


def counts_text(counts: Mapping[str, int]) -> str:
    """`30 products, 114 variants, 4 brands, 19 categories`: every kind with records, the kinds
    that own records (and what they own) first, then plan order (`no records` when none)."""
    shown = [plural(counts[k], KINDS[k].singular) for k in _SHOWN if counts.get(k)]
    return ", ".join(shown) or "no records"


_METAFIELDS = frozenset(
    {
        Kind.PRODUCT_METAFIELDS,
        Kind.VARIANT_METAFIELDS,
        Kind.CATEGORY_METAFIELDS,
        Kind.BRAND_METAFIELDS,
    }
)
_SHOWN = sorted(  # metafields make no owner of their own
    PLAN_ORDER,
    key=lambda k: not any(c.kind not in _METAFIELDS for c in children(KINDS[k].owner or k)),
)
