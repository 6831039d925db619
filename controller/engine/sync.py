"""Observe a store, check the desired catalog against it, plan, and (optionally) apply.

The operator, the CLI and the standalone loop all drive a store through these functions.
"""

from __future__ import annotations

from dataclasses import dataclass

from controller.catalog.kinds import KINDS, TOP_LEVEL, Kind
from controller.catalog.model import Catalog, CatalogInvalid, validate
from controller.catalog.observed import ObservedCatalog
from controller.catalog.provider import Provider
from controller.engine.apply import ApplyResult, Progress, apply
from controller.planner import Drift, Options, Plan, drift, plan


@dataclass(frozen=True)
class Assessment:
    """A store observed and compared with its desired catalog."""

    observed: ObservedCatalog
    plan: Plan
    drift: Drift


def managed_kinds(desired: Catalog) -> frozenset[Kind]:
    """The top-level kinds a catalog manages (products always)."""
    return frozenset(kind for kind in TOP_LEVEL if KINDS[kind].desired(desired) is not None)


def compared_fields(desired: Catalog) -> dict[Kind, frozenset[str]]:
    """What a catalog compares of products and the kinds they own: the fields it sets anywhere
    (an observation keeps no others), and only the owned kinds it manages on some product (an
    observation reads no others)."""
    product_fields: set[str] = set()
    variant_fields: set[str] = set()
    owned: set[Kind] = set()
    for product in desired.products.values():
        product_fields.update(product.fields)
        if product.variants is not None:
            owned.add(Kind.VARIANTS)
            for variant in product.variants:
                variant_fields.update(variant.fields)
        if product.custom_fields is not None:
            owned.add(Kind.CUSTOM_FIELDS)
        if product.images is not None:
            owned.add(Kind.IMAGES)
    compared = {Kind.PRODUCTS: frozenset(product_fields)}
    if Kind.VARIANTS in owned:
        compared[Kind.VARIANTS] = frozenset(variant_fields)
    for kind in owned - {Kind.VARIANTS}:
        compared[kind] = KINDS[kind].managed
    return compared


def check_references(desired: Catalog, observed: ObservedCatalog) -> None:
    """Raise `CatalogInvalid` when the catalog refers to categories or brands that neither it nor
    the store has (checked before any write)."""
    problems = validate(
        desired,
        known_categories=observed.category_paths().values(),
        known_brands=[b.name for b in observed.brands.values()],
    )
    if problems:
        raise CatalogInvalid(problems)


async def assess(
    store: Provider,
    desired: Catalog,
    options: Options | None = None,
    *,
    observed: ObservedCatalog | None = None,
) -> Assessment:
    """Observe (read-only; unless given the store as just `observed`), validate references, and
    compute the plan and the drift."""
    if observed is None:
        observed = await store.observe(managed_kinds(desired))
    complete = getattr(store, "complete_observation", None)
    if complete is not None:  # what only the catalog names (the regions its placements use)
        await complete(observed, desired)
    check_references(desired, observed)
    options = options or Options()
    return Assessment(observed, plan(desired, observed, options), drift(desired, observed, options))


async def sync(
    store: Provider,
    desired: Catalog,
    options: Options | None = None,
    *,
    progress: Progress | None = None,
) -> tuple[Assessment, ApplyResult]:
    """Make the store match `desired`: assess, then apply the plan."""
    assessment = await assess(store, desired, options)
    result = await apply(assessment.plan, assessment.observed, store, progress=progress)
    return assessment, result
