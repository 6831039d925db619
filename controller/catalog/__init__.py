"""The catalog model in natural keys, its field tables, and building it from written items."""

from controller.catalog.kinds import Kind
from controller.catalog.model import (
    Brand,
    Catalog,
    CatalogInvalid,
    Category,
    Image,
    Problem,
    Product,
    Script,
    Variant,
    path_key,
    sku_key,
)
from controller.catalog.parse import Item, build_catalog, from_inline

__all__ = [
    "Brand",
    "Catalog",
    "CatalogInvalid",
    "Category",
    "Image",
    "Item",
    "Kind",
    "Problem",
    "Product",
    "Script",
    "Variant",
    "build_catalog",
    "from_inline",
    "path_key",
    "sku_key",
]
