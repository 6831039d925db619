"""A store's catalog as observed, reduced to what the planner compares (records keep their ids)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from controller.catalog import promotions
from controller.catalog.model import (
    DEFAULT_CHANNEL,
    DEFAULT_CHANNEL_NAME,
    DEFAULT_SITE,
    DEFAULT_TREE,
    RULE_TARGETS,
    STOCK_FIELDS,
    Catalog,
    ComplexRule,
    Condition,
    CouponCode,
    Image,
    InventoryLocation,
    Metafield,
    PageLayout,
    Placement,
    PriceList,
    PriceListAssignment,
    PriceRecord,
    PricingRule,
    Product,
    ProductOption,
    Promotion,
    Redirect,
    Review,
    Stock,
    TemplateAssociation,
    Variant,
    Video,
    WebPage,
    Widget,
    amount,
    bulk_allocation,
    channel_key,
    metafield_name,
    option_order,
    path_key,
    review_key,
    rule_order,
)


@dataclass(slots=True)
class ObservedMetafield:
    """A metafield as the store has it (`fields`: value, permission_set, description)."""

    id: int
    namespace: str
    key: str
    fields: Mapping[str, Any]

    @property
    def name(self) -> str:
        """As `Metafield.name`."""
        return metafield_name(self.namespace, self.key)


NO_METAFIELDS: tuple[ObservedMetafield, ...] = ()


@dataclass(frozen=True, slots=True)
class RecordImage:
    """Where a category's or brand's image came from: the platform answers its own CDN URL
    (`stored`), StagingPro recorded the URL it gave (`source`) in a private metafield (`id`; 0
    when the store has no record of that image: its source is its stored URL)."""

    id: int
    stored: str
    source: str


def known_image(record: ObservedCategory | ObservedBrand) -> None:
    """A category's or brand's `image_url` as its source, where its record names this image."""
    image, stored = record.image, record.fields.get("image_url")
    if image is not None and stored and image.stored == stored:
        record.fields["image_url"] = image.source


@dataclass(slots=True)
class ObservedVariant:
    """A variant as the store has it."""

    id: int
    sku: str
    option_values: tuple[tuple[str, str], ...]
    fields: Mapping[str, Any]  # may be the desired variant's own (never written to)
    metafields: Sequence[ObservedMetafield] = NO_METAFIELDS  # when read


@dataclass(slots=True)
class ObservedImage:
    """An image as the store has it: `image_url` is the URL StagingPro created it from where that
    was recorded (`sourced`), else the store's own (CDN) URL."""

    id: int
    image_url: str
    sort_order: int
    is_thumbnail: bool
    description: str
    sourced: bool = False


@dataclass(slots=True)
class ObservedOption:
    """A variant option or modifier as the store has it: `fields` as the catalog writes them,
    `values` the ids of its values by label ((label, id), in the store's order)."""

    id: int
    display_name: str
    fields: Mapping[str, Any]
    values: tuple[tuple[str, int], ...] = ()
    type: str = ""  # as the store has it (what the catalog compares is in `fields`)


@dataclass(slots=True)
class ObservedRule:
    """A complex rule as the store has it: its conditions by store ids ((modifier id, modifier
    value id, variant id), 0 for none)."""

    id: int
    conditions: tuple[tuple[int, int, int], ...]
    fields: Mapping[str, Any]


@dataclass(slots=True)
class ObservedPricingRule:
    """A bulk pricing rule as the store has it."""

    id: int
    quantity_min: int
    fields: Mapping[str, Any]


@dataclass(slots=True)
class ObservedVideo:
    """A product video as the store has it."""

    id: int
    video_id: str
    fields: Mapping[str, Any]  # title, description, sort_order, type


@dataclass(slots=True)
class ObservedReview:
    """A product review as the store has it (the reviewer's name and email are not kept)."""

    id: int
    date_reviewed: str
    title: str
    fields: Mapping[str, Any]  # text, status, rating

    @property
    def key(self) -> str:
        """As `Review.key`."""
        return review_key(self.date_reviewed, self.title)


@dataclass(slots=True)
class ObservedProduct:
    """A product as the store has it."""

    id: int
    sku: str
    fields: Mapping[str, Any]  # may be the desired product's own (never written to)
    category_ids: frozenset[int]
    brand_id: int
    base_variant_id: int | None
    variants: Sequence[ObservedVariant]  # tuples when read from a store (lists cost more)
    custom_fields: Sequence[tuple[int, str, str]]  # (id, name, value)
    images: Sequence[ObservedImage]
    options: Sequence[ObservedOption] = ()  # variant options (when read)
    modifiers: Sequence[ObservedOption] = ()  # (when read)
    complex_rules: Sequence[ObservedRule] = ()  # (when read)
    bulk_pricing_rules: Sequence[ObservedPricingRule] = ()  # (when read)
    metafields: Sequence[ObservedMetafield] = NO_METAFIELDS  # when read
    videos: Sequence[ObservedVideo] = ()  # when read
    reviews: Sequence[ObservedReview] = ()  # when read
    channel_ids: frozenset[int] = frozenset()  # the channels it is assigned to


@dataclass(slots=True)
class ObservedChannel:
    """A channel as the store has it, with its site and currency assignments in `fields`."""

    id: int
    name: str
    fields: dict[str, Any]


@dataclass(slots=True)
class ObservedCategory:
    """A category as the store has it (`fields["channel"]`: its tree's channel by name, when
    not the first storefront's)."""

    id: int
    parent_id: int
    name: str
    fields: dict[str, Any]
    metafields: Sequence[ObservedMetafield] = NO_METAFIELDS  # when read
    image: RecordImage | None = None  # its image's source, where known
    tree_id: int = DEFAULT_TREE


@dataclass(slots=True)
class ObservedBrand:
    """A brand as the store has it."""

    id: int
    name: str
    fields: dict[str, Any]
    metafields: Sequence[ObservedMetafield] = NO_METAFIELDS  # when read
    image: RecordImage | None = None  # its image's source, where known


@dataclass(slots=True)
class ObservedScript:
    """A storefront script as the store has it (its id is a UUID; its channel by name in
    `fields["channel"]` when not the first storefront)."""

    id: str
    name: str
    fields: dict[str, Any]
    channel_id: int = DEFAULT_CHANNEL

    @property
    def key(self) -> str:
        """As `Script.key`."""
        return channel_key(self.name, self.fields)


@dataclass(slots=True)
class ObservedPage:
    """A web page as the store has it."""

    id: int
    url: str  # its URL (a link page: its link)
    parent_id: int
    fields: dict[str, Any]  # managed fields, the URL aside (its channel by name)
    channel_id: int = DEFAULT_CHANNEL

    @property
    def key(self) -> str:
        """As `WebPage.key`."""
        return channel_key(self.url, self.fields)


@dataclass(slots=True)
class ObservedRedirect:
    """A redirect as the store has it: its target's store id under the target's kind (0 for the
    others), or its URL in `fields["to_url"]`."""

    id: int
    from_path: str
    fields: dict[str, Any]  # its site's channel by name, and to_url for a URL target
    product_id: int = 0
    category_id: int = 0
    brand_id: int = 0
    page_id: int = 0
    post_id: int = 0
    site_id: int = DEFAULT_SITE

    @property
    def key(self) -> str:
        """As `Redirect.key`."""
        return channel_key(self.from_path, self.fields)


@dataclass(slots=True)
class ObservedBlogPost:
    """A blog post as the store has it."""

    id: int
    url: str
    fields: dict[str, Any]


@dataclass(slots=True)
class ObservedTemplateAssociation:
    """A custom template association as the store has it: its entity's id under the entity's
    kind (0 for the others)."""

    id: int
    entity_type: str
    fields: dict[str, Any]  # file_name, channel_id
    product_id: int = 0
    category_id: int = 0
    brand_id: int = 0
    page_id: int = 0

    @property
    def entity_id(self) -> int:
        """The associated entity's store id."""
        return int(getattr(self, f"{self.entity_type}_id"))


@dataclass(slots=True)
class ObservedWidgetTemplate:
    """A custom widget template as the store has it (its id is a UUID)."""

    id: str
    name: str
    fields: dict[str, Any]


@dataclass(slots=True)
class ObservedWidget:
    """A widget as the store has it (its id and its template's are UUIDs)."""

    id: str
    name: str
    template_id: str
    fields: dict[str, Any]  # description, widget_configuration, channel_id


@dataclass(slots=True)
class ObservedPlacement:
    """A placement as the store has it: its widget's id, and its entity's id under the kind its
    template file targets (0 for the others)."""

    id: str
    fields: dict[str, Any]  # template_file, region, sort_order, status, channel_id
    widget_id: str = ""
    product_id: int = 0
    category_id: int = 0
    brand_id: int = 0
    page_id: int = 0


@dataclass(slots=True)
class ObservedLayout:
    """A page's Page Builder layout as the store has it: its id is its address (`channel|template
    file|entity id`), its regions name custom widget templates by name (`widget_template`), whose
    ids are `widget_template_ids`; its entity's id under the kind its template file targets."""

    id: str
    fields: dict[str, Any]  # template_file, channel_id, regions
    widget_template_ids: frozenset[str] = frozenset()
    product_id: int = 0
    category_id: int = 0
    brand_id: int = 0
    page_id: int = 0


@dataclass(slots=True)
class ObservedCustomerGroup:
    """A customer group as the store has it: category access and discount rules by store ids
    (`categories`, `category_id`, `product_id`, `price_list_id`)."""

    id: int
    name: str
    fields: dict[str, Any]


@dataclass(slots=True)
class ObservedPriceRecord:
    """A price list record as the store has it (its id: its variant's)."""

    id: int
    sku: str
    currency: str  # upper case
    fields: dict[str, Any]

    @property
    def key(self) -> str:
        """As `PriceRecord.key`."""
        return f"{self.currency}:{self.sku}"


@dataclass(slots=True)
class ObservedPriceList:
    """A price list as the store has it."""

    id: int
    name: str
    fields: dict[str, Any]
    records: list[ObservedPriceRecord] = field(default_factory=list)


@dataclass(slots=True)
class ObservedAssignment:
    """A price list assignment as the store has it (by store ids; 0: no customer group)."""

    id: int
    price_list_id: int
    customer_group_id: int
    channel_id: int


@dataclass(slots=True)
class ObservedCouponCode:
    """A coupon code as the store has it."""

    id: int
    code: str
    fields: dict[str, Any]


@dataclass(slots=True)
class ObservedPromotion:
    """A promotion as the store has it (records named inside by store id until compared)."""

    id: int
    name: str
    fields: dict[str, Any]
    codes: list[ObservedCouponCode] = field(default_factory=list)


@dataclass(slots=True)
class ObservedStock:
    """A SKU's stock at a location as the store has it (its id: the SKU)."""

    sku: str
    fields: dict[str, Any]


@dataclass(slots=True)
class ObservedLocation:
    """An inventory location as the store has it, with the stock it holds."""

    id: int
    code: str
    fields: dict[str, Any]
    stock: list[ObservedStock] = field(default_factory=list)


@dataclass(slots=True)
class ObservedCustomerAttribute:
    """A customer attribute as the store has it."""

    id: int
    name: str
    fields: dict[str, Any]


@dataclass(slots=True)
class ObservedCustomer:
    """A customer as the store has it: `fields["attributes"]` holds values by attribute id."""

    id: int
    email: str
    fields: dict[str, Any]
    customer_group_id: int = 0


@dataclass
class ObservedCatalog:
    """Everything observed in one pass, with the natural-key maps derived from it (never stored
    across passes, so they cannot go stale)."""

    products: dict[str, ObservedProduct] = field(default_factory=dict)  # by sku_key
    unkeyed_products: list[int] = field(default_factory=list)  # ids of products without a SKU
    categories: dict[int, ObservedCategory] = field(default_factory=dict)
    brands: dict[int, ObservedBrand] = field(default_factory=dict)
    scripts: dict[str, ObservedScript] | None = None  # by name; None when not observed
    pages: dict[int, ObservedPage] | None = None  # by id; None when not observed
    redirects: dict[int, ObservedRedirect] | None = None  # by id; None when not observed
    blog_posts: dict[int, ObservedBlogPost] | None = None  # by id; None when not observed
    template_associations: dict[int, ObservedTemplateAssociation] | None = None  # by id
    widget_templates: dict[str, ObservedWidgetTemplate] | None = None  # by name
    widgets: dict[str, ObservedWidget] | None = None  # by id; None when not observed
    placements: dict[str, ObservedPlacement] | None = None  # by id; None when not observed
    # The regions of the active theme's template files read so far, by template file (a file
    # the theme lacks: None); None when not observed.
    regions: dict[str, frozenset[str] | None] | None = None
    page_layouts: dict[str, ObservedLayout] | None = None  # by address; None when not observed
    price_lists: dict[int, ObservedPriceList] | None = None  # by id
    customer_groups: dict[int, ObservedCustomerGroup] | None = None  # by id
    price_list_assignments: dict[int, ObservedAssignment] | None = None  # by id
    promotions: dict[int, ObservedPromotion] | None = None  # by id
    customer_attributes: dict[int, ObservedCustomerAttribute] | None = None  # by id
    customers: dict[int, ObservedCustomer] | None = None  # by id; read only to clone them
    inventory_locations: dict[int, ObservedLocation] | None = None  # by id; clones only
    channels: dict[int, ObservedChannel] | None = None  # by id; None when not observed
    # The active theme's name and custom template files by entity kind ("" without one); None
    # when not observed.
    theme_templates: tuple[str, dict[str, frozenset[str]]] | None = None

    def category_paths(self) -> dict[int, str]:
        """Category id -> path ("Apparel/Shoes"), names as the store spells them."""
        paths: dict[int, str] = {}

        def path_of(category_id: int, seen: frozenset[int] = frozenset()) -> str:
            if category_id in paths:
                return paths[category_id]
            category = self.categories[category_id]
            parent = category.parent_id
            if parent and parent in self.categories and parent not in seen:
                result = f"{path_of(parent, seen | {category_id})}/{category.name}"
            else:
                result = channel_key(category.name, category.fields)
            paths[category_id] = result
            return result

        for category_id in self.categories:
            path_of(category_id)
        return paths

    def category_ids_by_path(self) -> dict[str, int]:
        """path_key -> id (the first id wins should the store hold two equal paths)."""
        out: dict[str, int] = {}
        for category_id, path in sorted(self.category_paths().items()):
            out.setdefault(path_key(path), category_id)
        return out

    def brand_ids_by_name(self) -> dict[str, int]:
        """Casefolded name -> id."""
        return {b.name.casefold(): b.id for b in sorted(self.brands.values(), key=lambda b: b.id)}

    def counts(self) -> dict[str, int]:
        """Record counts per kind, from the kind table (a kind not observed counts 0)."""
        from controller.catalog.kinds import (  # declared over this
            KINDS,
            TOP_LEVEL,
            Kind,
            count_owned,
        )

        out: dict[str, int] = {}
        for kind in TOP_LEVEL:
            spec = KINDS[kind]
            assert spec.attribute is not None
            records: dict[Any, Any] = getattr(self, spec.attribute) or {}
            out[kind] = len(records)
            count_owned(kind, records.values(), out)
        out[Kind.PRODUCTS] += len(self.unkeyed_products)  # products without a SKU
        return out


def share(product: ObservedProduct, like: Product, *, images: bool = True) -> None:
    """Keep the values of an observed product that equal those of `like` (the desired product
    of the same SKU) as `like`'s own objects: a store observed in sync with its catalog then holds
    little more than its ids. `images`: their URLs too (once their sources are known)."""
    if product.sku == like.sku:
        product.sku = like.sku
    product.fields = _shared_fields(product.fields, like.fields)
    if like.variants:
        wanted = {v.sku: v for v in like.variants}
        for variant in product.variants:
            match = wanted.get(variant.sku)
            if match is not None:
                variant.sku = match.sku
                if variant.option_values == match.option_values:
                    variant.option_values = match.option_values
                variant.fields = _shared_fields(variant.fields, match.fields)
    for attribute in ("options", "modifiers"):
        wanted_options = getattr(like, attribute)
        if wanted_options:
            named = {o.display_name.casefold(): o for o in wanted_options}
            for option in getattr(product, attribute):
                desired = named.get(option.display_name.casefold())
                if desired is not None and option.fields == desired.fields:
                    option.fields = desired.fields
    if like.custom_fields:
        pairs = {pair: pair for pair in like.custom_fields}
        product.custom_fields = tuple(
            (cf_id, *pairs.get((name, value), (name, value)))
            for cf_id, name, value in product.custom_fields
        )
    if images:
        share_images(product, like)


def share_images(product: ObservedProduct, like: Product) -> None:
    """As `share`, for the product's images (by their sources, once known)."""
    if like.images:
        urls = {i.image_url: i for i in like.images}
        for image in product.images:
            known = urls.get(image.image_url)
            if known is not None:
                image.image_url = known.image_url
                if image.description == known.description:
                    image.description = known.description


def _shared_fields(observed: Mapping[str, Any], desired: Mapping[str, Any]) -> Mapping[str, Any]:
    """`desired` itself when `observed` holds the same values of the same types, else `observed`
    with the equal values as `desired`'s."""
    if len(observed) == len(desired) and all(
        name in desired and type(desired[name]) is type(value) and desired[name] == value
        for name, value in observed.items()
    ):
        return desired
    return {
        name: wanted
        if (wanted := desired.get(name, value)) is not value
        and type(wanted) is type(value)
        and wanted == value
        else value
        for name, value in observed.items()
    }


def group_values(
    values: Mapping[str, Any],
    paths: Mapping[int, str],
    skus: Mapping[int, str],
    price_lists: Mapping[int, str],
) -> dict[str, Any]:
    """A customer group's API values in natural keys: category access by path, discount rules by
    category path, product SKU or price list name (a store id no record has is written `#id`),
    sorted."""

    def name(names: Mapping[int, str], record_id: Any) -> str:
        return names.get(record_id, f"#{record_id}")

    out = {k: v for k, v in values.items() if k not in ("category_access", "discount_rules")}
    access = values.get("category_access")
    if isinstance(access, dict):
        kind = access.get("type") or "all"
        out["category_access"] = {"type": kind}
        if kind == "specific":
            out["category_access"]["categories"] = sorted(
                (name(paths, i) for i in access.get("categories") or ()), key=str.casefold
            )
    rules = []
    for rule in values.get("discount_rules") or ():
        kind = rule.get("type", "")
        written: dict[str, Any] = {"type": kind}
        if kind != "price_list":
            written.update(method=rule.get("method"), amount=amount(rule.get("amount")))
        target = RULE_TARGETS.get(kind)
        if target is not None:
            names = {"category": paths, "product": skus, "price_list": price_lists}[kind]
            written[target] = name(names, rule.get(f"{target}_id"))
        rules.append(written)
    if "discount_rules" in values:
        out["discount_rules"] = sorted(rules, key=rule_order)
    return out


def customer_values(
    customer: ObservedCustomer, attributes: Mapping[int, ObservedCustomerAttribute]
) -> dict[str, Any]:
    """A customer's values with its attribute values by attribute name."""
    values = dict(customer.fields)
    if "attributes" in values:
        values["attributes"] = {
            attributes[i].name if i in attributes else f"#{i}": v
            for i, v in sorted(values["attributes"].items())
        }
    return values


def to_catalog(observed: ObservedCatalog, *, include_stock: bool = False) -> Catalog:
    """The observed store as a desired catalog in natural keys (for cloning a store into another
    and for capturing it into files). Every writable field is kept, so that a field set back to its
    default is still carried over; stock levels only when asked."""
    with bulk_allocation():
        return _to_catalog(observed, frozenset() if include_stock else STOCK_FIELDS)


def _to_catalog(observed: ObservedCatalog, skip: frozenset[str]) -> Catalog:
    from controller.catalog.kinds import FILED  # the kind table is declared over this module

    paths = observed.category_paths()
    brand_names = {b.id: b.name for b in observed.brands.values()}
    channel_names = _channel_names(observed)
    products = {}
    for key, product in observed.products.items():
        products[key] = Product(
            sku=product.sku,
            fields={k: v for k, v in product.fields.items() if k not in skip},
            categories=frozenset(path_key(paths[c]) for c in product.category_ids if c in paths),
            brand=brand_names.get(product.brand_id, ""),
            variants=tuple(
                Variant(
                    v.sku,
                    v.option_values,
                    {k: x for k, x in v.fields.items() if k not in skip},
                    captured_metafields(v.metafields),
                )
                for v in product.variants
            ),
            custom_fields=tuple((name, value) for _, name, value in product.custom_fields),
            images=tuple(Image(i.image_url, i.is_thumbnail, i.description) for i in product.images),
            # a product without any is left unmanaged (its files say nothing of them)
            options=_options(product.options),
            modifiers=_options(product.modifiers),
            complex_rules=tuple(
                sorted(
                    (
                        ComplexRule(rule_conditions(product, r), dict(r.fields))
                        for r in product.complex_rules
                    ),
                    key=lambda r: r.key.casefold(),
                )
            )
            or None,
            bulk_pricing_rules=tuple(
                PricingRule(r.quantity_min, dict(r.fields))
                for r in sorted(product.bulk_pricing_rules, key=lambda r: r.quantity_min)
            )
            or None,
            metafields=captured_metafields(product.metafields),
            videos=tuple(
                Video(v.video_id, dict(v.fields))
                for v in sorted(product.videos, key=lambda v: (v.fields.get("sort_order", 0), v.id))
            )
            or None,
            reviews=tuple(
                Review(r.date_reviewed, r.title, dict(r.fields))
                for r in sorted(product.reviews, key=lambda r: (r.key, r.id))
            )
            or None,
            channels=None
            if channel_names is None
            else frozenset(channel_names[c] for c in product.channel_ids if c in channel_names),
        )
    records: dict[str, Any] = {"products": products}
    for spec in FILED:
        if spec.make is None or spec.attribute is None:
            continue
        found = {
            spec.fold(key): _with_metafields(spec.make(key, dict(item.fields)), item)
            for key, _, _, item in spec.observed(observed)
            if key != spec.implicit
        }
        # A kind of which the store has none (or that was not observed) and whose file is optional
        # is not managed: no empty file of it.
        records[spec.attribute] = None if spec.optional_file and not found else found
    # Pages and redirects name other records: their references are resolved here.
    records["pages"] = _pages(observed)
    records["redirects"] = _redirects(observed, paths)
    records["template_associations"] = _associations(observed, paths)
    records["widgets"] = _widgets(observed)
    records["placements"] = _placements(observed, paths)
    records["page_layouts"] = _layouts(observed, paths)
    records["price_lists"] = _price_lists(observed)
    records["promotions"] = _promotions(observed)
    records["price_list_assignments"] = _assignments(observed)
    if observed.inventory_locations is not None:  # read only for a clone that asks for them
        records["inventory_locations"] = {
            loc.code: InventoryLocation(
                loc.code, dict(loc.fields), tuple(Stock(s.sku, dict(s.fields)) for s in loc.stock)
            )
            for loc in sorted(observed.inventory_locations.values(), key=lambda loc: loc.id)
        }
    return Catalog(**records)


def rule_conditions(product: ObservedProduct, rule: ObservedRule) -> tuple[Condition, ...]:
    """A complex rule's conditions in natural keys (an id the product does not have: `#id`)."""
    modifiers = {m.id: m for m in product.modifiers}
    skus = {v.id: v.sku for v in product.variants}
    named = []
    for modifier_id, value_id, variant_id in rule.conditions:
        modifier = modifiers.get(modifier_id)
        name, label = "", ""
        if modifier_id:
            name = modifier.display_name if modifier else f"#{modifier_id}"
            labels = {i: label for label, i in modifier.values} if modifier else {}
            label = labels.get(value_id, f"#{value_id}")
        sku = skus.get(variant_id, f"#{variant_id}") if variant_id else ""
        named.append((name, label, sku))
    return tuple(sorted(named))


def _options(found: Sequence[ObservedOption]) -> tuple[ProductOption, ...] | None:
    """Observed options or modifiers as desired ones (None for none)."""
    made = (ProductOption(o.display_name, dict(o.fields)) for o in found)
    return tuple(sorted(made, key=option_order)) or None


def captured_metafields(found: Sequence[ObservedMetafield]) -> tuple[Metafield, ...] | None:
    """An owner's metafields as a catalog holds them, sorted by namespace and key, without an
    empty description (none: not managed, so that a capture writes no empty list for every
    record)."""
    if not found:
        return None
    return tuple(
        Metafield(m.namespace, m.key, {k: v for k, v in m.fields.items() if v != ""})
        for m in sorted(found, key=lambda m: (m.namespace, m.key, m.id))
    )


def _with_metafields(record: Any, found: Any) -> Any:
    """A category or brand made from an observed one, with its metafields."""
    metafields = captured_metafields(getattr(found, "metafields", NO_METAFIELDS))
    return record if metafields is None else replace(record, metafields=metafields)


def channel_names(observed: ObservedCatalog) -> dict[int, str]:
    """Channel id -> name as catalogs write it (the first storefront, which every store has, as
    `default`)."""
    names = {c.id: c.name for c in (observed.channels or {}).values()}
    return {**names, DEFAULT_CHANNEL: DEFAULT_CHANNEL_NAME}


def _channel_names(observed: ObservedCatalog) -> dict[int, str] | None:
    """`channel_names`, when the store has more channels than its first (a store of one channel
    is captured as before: no product names a channel)."""
    if set(observed.channels or {}) <= {DEFAULT_CHANNEL}:
        return None
    return channel_names(observed)


def _pages(observed: ObservedCatalog) -> dict[str, WebPage] | None:
    """Web pages with their parents by key (none observed or none there: not managed)."""
    if not observed.pages:
        return None
    keys = {p.id: p.key for p in observed.pages.values()}
    return {
        p.key: WebPage(p.url, dict(p.fields), keys.get(p.parent_id, ""))
        for p in observed.pages.values()
    }


def _redirects(observed: ObservedCatalog, paths: dict[int, str]) -> dict[str, Redirect] | None:
    """Redirects with their targets in natural keys (none observed or none there: not managed)."""
    if not observed.redirects:
        return None
    skus = {p.id: p.sku for p in observed.products.values()}
    brands = {b.id: b.name for b in observed.brands.values()}
    pages = {p.id: p.key for p in (observed.pages or {}).values()}
    posts = {p.id: p.url for p in (observed.blog_posts or {}).values()}
    return {
        r.key: Redirect(
            r.from_path,
            dict(r.fields),
            to_product=skus.get(r.product_id, ""),
            to_category=paths.get(r.category_id, ""),
            to_brand=brands.get(r.brand_id, ""),
            to_page=pages.get(r.page_id, ""),
            to_post=posts.get(r.post_id, ""),
        )
        for r in observed.redirects.values()
    }


def _price_lists(observed: ObservedCatalog) -> dict[str, PriceList] | None:
    """Price lists with their records (none observed or none there: not managed)."""
    if not observed.price_lists:
        return None
    return {
        p.name: PriceList(
            p.name,
            dict(p.fields),
            tuple(PriceRecord(r.sku, r.currency, dict(r.fields)) for r in p.records),
        )
        for p in observed.price_lists.values()
    }


def assignment_of(observed: ObservedCatalog, found: ObservedAssignment) -> PriceListAssignment:
    """A price list assignment in natural keys (a store id no record has is written `#id`)."""
    lists = {p.id: p.name for p in (observed.price_lists or {}).values()}
    groups = {g.id: g.name for g in (observed.customer_groups or {}).values()}
    group, channel = found.customer_group_id, found.channel_id
    return PriceListAssignment(
        lists.get(found.price_list_id, f"#{found.price_list_id}"),
        groups.get(group, f"#{group}") if group else "",
        channel_names(observed).get(channel, f"#{channel}"),
    )


def _assignments(observed: ObservedCatalog) -> dict[str, PriceListAssignment] | None:
    """Price list assignments (none observed or none there: not managed)."""
    if not observed.price_list_assignments:
        return None
    found = (assignment_of(observed, a) for a in observed.price_list_assignments.values())
    return {a.key: a for a in found}


def promotion_names(observed: ObservedCatalog) -> dict[str, dict[int, str]]:
    """Natural keys of the records a promotion may name, by kind (as `promotions.Names`)."""
    return {
        "products": {p.id: p.sku for p in observed.products.values()},
        "categories": observed.category_paths(),
        "brands": {b.id: b.name for b in observed.brands.values()},
        "groups": {g.id: g.name for g in (observed.customer_groups or {}).values()},
        "channels": channel_names(observed),
    }


def _promotions(observed: ObservedCatalog) -> dict[str, Promotion] | None:
    """Promotions in natural keys with their coupon codes (none observed or none there: not
    managed)."""
    if not observed.promotions:
        return None
    names = promotion_names(observed)
    return {
        p.name: Promotion(
            p.name,
            promotions.to_names(p.fields, names),
            tuple(CouponCode(c.code, dict(c.fields)) for c in p.codes)
            if p.fields.get("redemption_type") == "COUPON"
            else None,
        )
        for p in sorted(observed.promotions.values(), key=lambda p: p.id)
    }


def associated_names(observed: ObservedCatalog, paths: dict[int, str]) -> dict[str, dict[int, str]]:
    """Natural keys of the records a template association may name, by kind and store id."""
    return {
        "product": {p.id: p.sku for p in observed.products.values()},
        "category": paths,
        "brand": {b.id: b.name for b in observed.brands.values()},
        "page": {p.id: p.key for p in (observed.pages or {}).values()},
    }


def _associations(
    observed: ObservedCatalog, paths: dict[int, str]
) -> dict[str, TemplateAssociation] | None:
    """Custom template associations naming their entities in natural keys (those whose entity the
    store no longer has are left out)."""
    if not observed.template_associations:
        return None
    names = associated_names(observed, paths)
    found = {}
    for a in observed.template_associations.values():
        name = names[a.entity_type].get(a.entity_id)
        if name is not None:
            association = TemplateAssociation(
                a.entity_type, dict(a.fields), **{a.entity_type: name}
            )
            found[association.key] = association
    return found


def widget_keys(observed: ObservedCatalog) -> dict[str, str]:
    """Widget id -> natural key (`template/name`), for widgets of the custom templates observed."""
    templates = {t.id: t.name for t in (observed.widget_templates or {}).values()}
    return {
        w.id: f"{templates[w.template_id]}/{w.name}"
        for w in (observed.widgets or {}).values()
        if w.template_id in templates
    }


def _widgets(observed: ObservedCatalog) -> dict[str, Widget] | None:
    """Widgets of custom templates, by natural key (none there: not managed)."""
    templates = {t.id: t.name for t in (observed.widget_templates or {}).values()}
    found: dict[str, Widget] = {}
    for w in sorted((observed.widgets or {}).values(), key=lambda w: w.id):
        if w.template_id in templates:
            widget = Widget(w.name, dict(w.fields), templates[w.template_id])
            found.setdefault(widget.key, widget)
    return found or None


def placement_of(
    observed: ObservedCatalog,
    p: ObservedPlacement,
    names: dict[str, dict[int, str]],
    widgets: dict[str, str],
) -> Placement | None:
    """An observed placement in natural keys (None when its widget or entity is not known)."""
    entity = entity_names(observed, p, names)
    if p.widget_id not in widgets or entity is None:
        return None
    return Placement(dict(p.fields), widget=widgets[p.widget_id], **entity)


def _placements(observed: ObservedCatalog, paths: dict[int, str]) -> dict[str, Placement] | None:
    """Placements in natural keys (those whose widget or entity the store no longer has are left
    out; none there: not managed)."""
    names, widgets = associated_names(observed, paths), widget_keys(observed)
    found: dict[str, Placement] = {}
    for p in sorted((observed.placements or {}).values(), key=lambda p: p.id):
        placement = placement_of(observed, p, names, widgets)
        if placement is not None:
            found.setdefault(path_key(placement.key), placement)
    return found or None


def entity_names(
    observed: ObservedCatalog, record: Any, names: dict[str, dict[int, str]]
) -> dict[str, str] | None:
    """The natural key of the record whose page an observed placement or layout is on, by kind
    ({} for none; None when the store no longer has it)."""
    for kind, by_id in names.items():
        entity_id = getattr(record, f"{kind}_id")
        if entity_id:
            return {kind: by_id[entity_id]} if entity_id in by_id else None
    return {}


def _layouts(observed: ObservedCatalog, paths: dict[int, str]) -> dict[str, PageLayout] | None:
    """Page Builder layouts in natural keys (those of a record the store no longer has are left
    out; none there: not managed)."""
    names = associated_names(observed, paths)
    found: dict[str, PageLayout] = {}
    for layout in (observed.page_layouts or {}).values():
        entity = entity_names(observed, layout, names)
        if entity is not None:
            made = PageLayout(dict(layout.fields), **entity)
            found[made.key] = made
    return found or None
