"""Observe a store, check the desired catalog against it, plan, and (optionally) apply.

The operator, the CLI and the standalone loop all drive a store through these functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from controller.catalog.kinds import KINDS, TOP_LEVEL, Kind, children
from controller.catalog.model import Catalog, CatalogInvalid, validate
from controller.catalog.observed import ObservedCatalog
from controller.catalog.provider import Provider
from controller.engine.apply import ApplyResult, Progress, apply
from controller.planner import Drift, Options, Plan, plan_and_drift


@dataclass(frozen=True)
class Assessment:
    """A store observed and compared with its desired catalog."""

    observed: ObservedCatalog
    plan: Plan
    drift: Drift


def managed_kinds(desired: Catalog) -> frozenset[Kind]:
    """The top-level kinds a catalog manages (products always), the metafields it manages on
    some product, variant, category or brand (an observation reads no others), and the channels
    its products name (to know them by name)."""
    top = frozenset(kind for kind in TOP_LEVEL if KINDS[kind].desired(desired) is not None)
    if any(p.channels is not None for p in desired.products.values()):
        top |= {Kind.CHANNELS}
    return top | managed_metafields(desired)


def observed_kinds(desired: Catalog) -> frozenset[Kind]:
    """What an assessment of `desired` reads: the kinds it manages, and those read only on request
    (options, modifiers, complex rules) that its products compare."""
    return managed_kinds(desired) | compared_fields(desired).keys()


def managed_metafields(desired: Catalog) -> frozenset[Kind]:
    """The metafield kinds a catalog manages on some owner."""
    products = desired.products.values()
    owners: dict[Kind, Iterable[Any]] = {
        Kind.PRODUCT_METAFIELDS: products,
        Kind.VARIANT_METAFIELDS: (v for p in products for v in p.variants or ()),
        Kind.CATEGORY_METAFIELDS: (desired.categories or {}).values(),
        Kind.BRAND_METAFIELDS: (desired.brands or {}).values(),
    }
    return frozenset(
        kind for kind, found in owners.items() if any(o.metafields is not None for o in found)
    )


def compared_fields(desired: Catalog) -> dict[Kind, frozenset[str]]:
    """What a catalog compares of products and the kinds they own: the fields it sets anywhere
    (an observation keeps no others; of an owned kind whose records have no fields of their own,
    its managed ones), and only the owned kinds it manages on some product (an observation reads
    no others)."""
    owned = [(child.kind, child.owner_field or "") for child in children(Kind.PRODUCTS)]
    compared: dict[Kind, set[str]] = {Kind.PRODUCTS: set()}
    product_fields, with_fields, plain = compared[Kind.PRODUCTS], {Kind.PRODUCTS}, set()
    for product in desired.products.values():
        product_fields.update(product.fields)
        for kind, attribute in owned:
            records = getattr(product, attribute)
            if records is None:
                continue
            fields = compared.setdefault(kind, set())
            if not records or kind in plain:
                continue
            if kind not in with_fields:
                if not isinstance(getattr(records[0], "fields", None), Mapping):
                    plain.add(kind)
                    continue
                with_fields.add(kind)
            for record in records:
                fields.update(record.fields)
    for kind in managed_metafields(desired) - {Kind.PRODUCT_METAFIELDS}:  # not owned by products
        compared[kind] = set()
    return {
        kind: frozenset(fields if kind in with_fields else KINDS[kind].managed)
        for kind, fields in compared.items()
    }


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
        kinds = observed_kinds(desired)
        if options is not None and options.channel is not None:  # the channel it is scoped to
            kinds |= {Kind.CHANNELS}
        observed = await store.observe(kinds)
    complete = getattr(store, "complete_observation", None)
    if complete is not None:  # what only the catalog names (the regions its placements use)
        await complete(observed, desired)
    check_references(desired, observed)
    return Assessment(observed, *plan_and_drift(desired, observed, options))


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
