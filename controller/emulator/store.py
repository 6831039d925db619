"""One store of the emulator: its resource families, bound to the store's hash."""

from __future__ import annotations

from controller.emulator.database import StoreDB
from controller.emulator.resources import (
    assignments,
    blog,
    brands,
    categories,
    channels,
    custom_fields,
    customer_groups,
    customers,
    hooks,
    images,
    inventory,
    metafields,
    modifiers,
    pages,
    price_lists,
    products,
    promotions,
    record_images,
    redirect_jobs,
    redirects,
    reviews,
    rules,
    scripts,
    settings,
    sites,
    store_info,
    template_associations,
    themes,
    v2_catalog,
    v2_options,
    v2_pricing,
    variants,
    videos,
    widget_templates,
    widgets,
)
from controller.emulator.resources.base import Route

# metafields first: their batch paths would otherwise be read as product, category or brand ids
_FAMILIES = (
    metafields,
    record_images,
    assignments,
    products,
    variants,
    modifiers,
    rules,
    custom_fields,
    images,
    videos,
    reviews,
    categories,
    brands,
    scripts,
    themes,
    hooks,
    pages,
    redirects,
    redirect_jobs,
    blog,
    template_associations,
    widget_templates,
    widgets,
    price_lists,
    customer_groups,
    promotions,
    customers,
    inventory,
    v2_options,
    v2_catalog,
    v2_pricing,
    channels,
    sites,
    settings,
)
SCHEMA = "".join(m.SCHEMA for m in _FAMILIES)
TABLES: tuple[str, ...] = tuple(t for m in _FAMILIES for t in m.TABLES)
ROUTES: list[Route] = [r for m in (store_info, *_FAMILIES) for r in m.ROUTES]


class Store:
    """The resources of one store; each operation is atomic and answers in the API's shape."""

    def __init__(self, db: StoreDB, hash: str):
        self.db = db
        self.hash = hash
        self.products = products.Products(self)
        self.variants = variants.Variants(self)
        self.options = variants.Options(self)
        self.modifiers = modifiers.Modifiers(self)
        self.bulk_pricing_rules = rules.BulkPricingRules(self)
        self.complex_rules = rules.ComplexRules(self)
        self.custom_fields = custom_fields.CustomFields(self)
        self.images = images.Images(self)
        self.videos = videos.Videos(self)
        self.reviews = reviews.Reviews(self)
        self.metafields = metafields.Metafields(self)
        self.variant_metafields = metafields.VariantMetafields(self)
        self.category_metafields = metafields.Metafields(self, metafields.CATEGORY)
        self.brand_metafields = metafields.Metafields(self, metafields.BRAND)
        self.categories = categories.Categories(self)
        self.trees = categories.Trees(self)
        self.brands = brands.Brands(self)
        self.record_images = record_images.RecordImages(self)
        self.scripts = scripts.Scripts(self)
        self.themes = themes.Themes(self)
        self.hooks = hooks.Hooks(self)
        self.pages = pages.Pages(self)
        self.redirects = redirects.Redirects(self)
        self.redirect_jobs = redirect_jobs.RedirectJobs(self)
        self.blog = blog.Blog(self)
        self.template_associations = template_associations.TemplateAssociations(self)
        self.widget_templates = widget_templates.WidgetTemplates(self)
        self.widgets = widgets.Widgets(self)
        self.price_lists = price_lists.PriceLists(self)
        self.customer_groups = customer_groups.CustomerGroups(self)
        self.promotions = promotions.Promotions(self)
        self.inventory = inventory.Inventory(self)
        self.customers = customers.Customers(self)
        self.options_v2 = v2_options.OptionsV2(self)
        self.products_v2 = v2_catalog.ProductsV2(self)
        self.catalog_v2 = v2_catalog.CatalogV2(self)
        self.children_v2 = v2_catalog.ChildrenV2(self)
        self.discount_rules_v2 = v2_pricing.DiscountRulesV2(self)
        self.reviews_v2 = v2_pricing.ReviewsV2(self)
        self.channels = channels.Channels(self)
        self.sites = sites.Sites(self)
        self.assignments = assignments.Assignments(self)
        self.settings = settings.Settings(self)
