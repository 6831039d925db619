"""Desired catalog + observed store -> plan. Pure: no I/O, no clock, no randomness.

A plan is data: ordered steps (brands and categories before products, products before their variants,
custom fields and images; deletes last, in reverse order), each with its natural key, the field-level
changes, and what the apply needs (store ids, payloads still in natural keys, resolved at apply time).
Drift is the same computation read the other way: missing = create, extra = delete, changed = update.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from controller.catalog.model import (
    STOCK_FIELDS,
    Catalog,
    Category,
    Product,
    bulk_allocation,
    path_key,
    sku_key,
)
from controller.catalog.observed import ObservedCatalog, ObservedImage, ObservedProduct

Action = Literal["create", "update", "delete"]
KINDS = ("brands", "categories", "products", "variants", "customFields", "images")
# Batch maxima of the API, used to estimate requests and by the apply.
BATCH = {
    ("products", "update"): 10,
    ("products", "delete"): 250,
    ("variants", "update"): 50,
    ("categories", "create"): 50,
    ("categories", "update"): 50,
    ("categories", "delete"): 50,
}
REQUIRED_ON_CREATE = ("name", "type", "weight", "price")
MAX_SAMPLES = 20


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field's value in the store (`before`) and in the desired catalog (`after`)."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True, slots=True)
class Step:
    """One planned write. `key` is the natural key; `id` the store id of an existing record;
    `product_key` the SKU key of the product a nested record belongs to."""

    kind: str
    action: Action
    key: str
    changes: tuple[FieldChange, ...] = ()
    id: int | None = None
    product_key: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)
    depth: int = 0

    def fields(self) -> list[str]:
        """Names of the changed fields."""
        return [c.field for c in self.changes]


@dataclass(frozen=True)
class Options:
    """What the plan may do and what it ignores."""

    prune: bool = False
    max_delete_percent: int = 10
    allow_mass_delete: bool = False
    sync_stock: bool = False
    ignore: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """An ordered list of steps, the problems that forbid applying it, and facts to show."""

    steps: tuple[Step, ...]
    problems: tuple[str, ...] = ()
    observed_counts: Mapping[str, int] = field(default_factory=dict)
    skipped_deletes: int = 0

    @property
    def in_sync(self) -> bool:
        """Nothing to write."""
        return not self.steps

    def counts(self) -> dict[str, dict[str, int]]:
        """{kind: {create, update, delete}} for every kind with a step."""
        counts: dict[str, dict[str, int]] = {}
        for step in self.steps:
            counts.setdefault(step.kind, {"create": 0, "update": 0, "delete": 0})[step.action] += 1
        return counts

    def estimate_requests(self) -> int:
        """API requests the apply will take at the batch maxima."""
        groups: dict[tuple[str, str, int], int] = defaultdict(int)
        for step in self.steps:
            depth = step.depth if (step.kind, step.action) == ("categories", "create") else 0
            groups[(step.kind, step.action, depth)] += 1
        return sum(
            math.ceil(n / BATCH.get((kind, action), 1)) for (kind, action, _), n in groups.items()
        )

    def estimate_seconds(self, requests_per_second: float) -> float:
        """Wall time of the apply at the store's quota rate."""
        return self.estimate_requests() / requests_per_second if requests_per_second > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        """The plan as JSON-ready data."""
        return {
            "inSync": self.in_sync,
            "counts": self.counts(),
            "estimatedRequests": self.estimate_requests(),
            "problems": list(self.problems),
            "skippedDeletes": self.skipped_deletes,
            "steps": [
                {
                    "kind": s.kind,
                    "action": s.action,
                    "key": s.key,
                    "changes": [
                        {"field": c.field, "before": c.before, "after": c.after} for c in s.changes
                    ],
                }
                for s in self.steps
            ],
        }


# ---- comparison -----------------------------------------------------------------------------------


def same(before: Any, after: Any) -> bool:
    """Equal as the platform stores them: numbers by value (10 == 10.0, float noise ignored)."""
    if isinstance(after, bool) or isinstance(before, bool):
        return before is after
    if isinstance(after, int | float) and isinstance(before, int | float):
        return math.isclose(before, after, rel_tol=0, abs_tol=1e-6)
    return bool(before == after)


def _field_changes(
    observed: Mapping[str, Any], desired: Mapping[str, Any], skip: frozenset[str]
) -> list[FieldChange]:
    changes = []
    for name, value in desired.items():
        if name in skip:
            continue
        current = observed.get(name)
        if not same(current, value):
            changes.append(FieldChange(name, current, value))
    return changes


# ---- the planner ----------------------------------------------------------------------------------


class _Planner:
    def __init__(self, desired: Catalog, observed: ObservedCatalog, options: Options):
        self.desired, self.observed, self.options = desired, observed, options
        self.steps: list[Step] = []
        self.problems: list[str] = []
        self.paths = observed.category_paths()
        self.category_ids = observed.category_ids_by_path()
        brand_names = {b.id: b.name for b in observed.brands.values()}
        self.brand_names = brand_names
        stock = frozenset() if options.sync_stock else STOCK_FIELDS
        self.skip = {kind: stock | options.ignore.get(kind, frozenset()) for kind in KINDS}
        self.skip["categories"] = options.ignore.get("categories", frozenset())
        self.skip["brands"] = options.ignore.get("brands", frozenset())

    def run(self) -> Plan:
        self._brands()
        self._categories()
        for key, product in self.desired.products.items():
            found = self.observed.products.get(key)
            if found is None:
                self._create_product(key, product)
            else:
                self._update_product(key, product, found)
        self._extras()
        steps = self._order()
        skipped = 0
        if not self.options.prune:
            skipped = sum(1 for s in steps if s.action == "delete")
            steps = [s for s in steps if s.action != "delete"]
        else:
            self._check_delete_limits(steps)
        return Plan(tuple(steps), tuple(self.problems), self.observed.counts(), skipped)

    # brands and categories

    def _brands(self) -> None:
        if self.desired.brands is None:
            return
        by_name = {b.name.casefold(): b for b in self.observed.brands.values()}
        for key, brand in self.desired.brands.items():
            found = by_name.get(key)
            if found is None:
                self.steps.append(
                    Step(
                        "brands", "create", brand.name, payload={"name": brand.name, **brand.fields}
                    )
                )
                continue
            changes = _field_changes(found.fields, brand.fields, self.skip["brands"])
            if changes:
                self.steps.append(
                    Step(
                        "brands",
                        "update",
                        brand.name,
                        tuple(changes),
                        id=found.id,
                        payload={c.field: c.after for c in changes},
                    )
                )

    def _categories(self) -> None:
        if self.desired.categories is None:
            return
        for key, category in self.desired.categories.items():
            category_id = self.category_ids.get(key)
            if category_id is None:
                self.steps.append(
                    Step(
                        "categories",
                        "create",
                        category.path,
                        depth=category.depth,
                        payload=self._category_payload(category),
                    )
                )
                continue
            found = self.observed.categories[category_id]
            changes = _field_changes(found.fields, category.fields, self.skip["categories"])
            if found.name != category.name:  # a case-only rename
                changes.append(FieldChange("name", found.name, category.name))
            if changes:
                self.steps.append(
                    Step(
                        "categories",
                        "update",
                        category.path,
                        tuple(changes),
                        id=category_id,
                        payload={c.field: c.after for c in changes},
                    )
                )

    @staticmethod
    def _category_payload(category: Category) -> dict[str, Any]:
        return {"name": category.name, "parent_path": category.parent_path, **category.fields}

    # products

    def _create_product(self, key: str, product: Product) -> None:
        missing = [f for f in REQUIRED_ON_CREATE if f not in product.fields]
        if missing:
            self.problems.append(
                f"product {product.sku!r} is not in the store and needs {', '.join(missing)} to be created"
            )
        payload: dict[str, Any] = {
            "sku": product.sku,
            **{
                k: v
                for k, v in product.fields.items()
                if k not in self.skip["products"] or k in STOCK_FIELDS
            },
        }
        if product.categories is not None:
            payload["categories"] = sorted(product.categories)
        if product.brand:
            payload["brand"] = product.brand
        if product.variants:
            payload["variants"] = [
                {
                    "sku": v.sku,
                    **v.fields,
                    "option_values": [
                        {"option_display_name": o, "label": label} for o, label in v.option_values
                    ],
                }
                for v in product.variants
            ]
        if product.custom_fields:
            payload["custom_fields"] = [{"name": n, "value": v} for n, v in product.custom_fields]
        if product.images:
            payload["images"] = [
                {
                    "image_url": i.image_url,
                    "is_thumbnail": i.is_thumbnail,
                    "description": i.description,
                    "sort_order": index,
                }
                for index, i in enumerate(product.images)
            ]
        self.steps.append(Step("products", "create", product.sku, payload=payload))

    def _update_product(self, key: str, product: Product, found: ObservedProduct) -> None:
        changes = _field_changes(found.fields, product.fields, self.skip["products"])
        if product.categories is not None:
            current = frozenset(
                path_key(self.paths[c]) for c in found.category_ids if c in self.paths
            )
            if current != product.categories:
                changes.append(
                    FieldChange("categories", sorted(current), sorted(product.categories))
                )
        if product.brand is not None:
            current_brand = self.brand_names.get(found.brand_id, "")
            if current_brand.casefold() != product.brand.casefold():
                changes.append(FieldChange("brand", current_brand, product.brand))
        if changes:
            self.steps.append(
                Step(
                    "products",
                    "update",
                    product.sku,
                    tuple(changes),
                    id=found.id,
                    product_key=key,
                    payload={c.field: c.after for c in changes},
                )
            )
        if product.variants is not None:
            self._variants(key, product, found)
        if product.custom_fields is not None:
            self._custom_fields(key, product, found)
        if product.images is not None:
            self._images(key, product, found)

    def _variants(self, key: str, product: Product, found: ObservedProduct) -> None:
        observed = {sku_key(v.sku): v for v in found.variants}
        wanted = set()
        for variant in product.variants or ():
            vkey = sku_key(variant.sku)
            wanted.add(vkey)
            current = observed.get(vkey)
            label = f"{product.sku}/{variant.sku}"
            if current is None:
                payload = {
                    "sku": variant.sku,
                    **variant.fields,
                    "option_values": [
                        {"option_display_name": o, "label": v} for o, v in variant.option_values
                    ],
                }
                self.steps.append(
                    Step("variants", "create", label, id=None, product_key=key, payload=payload)
                )
                continue
            changes = _field_changes(current.fields, variant.fields, self.skip["variants"])
            if changes:
                self.steps.append(
                    Step(
                        "variants",
                        "update",
                        label,
                        tuple(changes),
                        id=current.id,
                        product_key=key,
                        payload={c.field: c.after for c in changes},
                    )
                )
        for vkey, current in observed.items():
            if vkey not in wanted:
                self.steps.append(
                    Step(
                        "variants",
                        "delete",
                        f"{product.sku}/{current.sku}",
                        id=current.id,
                        product_key=key,
                    )
                )

    def _custom_fields(self, key: str, product: Product, found: ObservedProduct) -> None:
        observed: dict[str, tuple[int, str]] = {}
        extras = []
        for field_id, name, value in found.custom_fields:
            if name in observed:
                extras.append((field_id, name))
            else:
                observed[name] = (field_id, value)
        wanted = set()
        for name, value in product.custom_fields or ():
            wanted.add(name)
            label = f"{product.sku}#{name}"
            current = observed.get(name)
            if current is None:
                self.steps.append(
                    Step(
                        "customFields",
                        "create",
                        label,
                        product_key=key,
                        payload={"name": name, "value": value},
                    )
                )
            elif current[1] != value:
                self.steps.append(
                    Step(
                        "customFields",
                        "update",
                        label,
                        (FieldChange("value", current[1], value),),
                        id=current[0],
                        product_key=key,
                        payload={"name": name, "value": value},
                    )
                )
        for name, (field_id, _) in observed.items():
            if name not in wanted:
                extras.append((field_id, name))
        for field_id, name in extras:
            self.steps.append(
                Step(
                    "customFields", "delete", f"{product.sku}#{name}", id=field_id, product_key=key
                )
            )

    def _images(self, key: str, product: Product, found: ObservedProduct) -> None:
        observed: dict[str, ObservedImage] = {}
        extras: list[ObservedImage] = []
        for image in found.images:
            if image.image_url in observed:
                extras.append(image)
            else:
                observed[image.image_url] = image
        wanted = set()
        for index, wanted_image in enumerate(product.images or ()):
            wanted.add(wanted_image.image_url)
            label = f"{product.sku}@{wanted_image.image_url}"
            desired = {
                "sort_order": index,
                "is_thumbnail": wanted_image.is_thumbnail,
                "description": wanted_image.description,
            }
            current = observed.get(wanted_image.image_url)
            if current is None:
                self.steps.append(
                    Step(
                        "images",
                        "create",
                        label,
                        product_key=key,
                        payload={"image_url": wanted_image.image_url, **desired},
                    )
                )
                continue
            before = {
                "sort_order": current.sort_order,
                "is_thumbnail": current.is_thumbnail,
                "description": current.description,
            }
            changes = _field_changes(before, desired, frozenset())
            if changes:
                self.steps.append(
                    Step(
                        "images",
                        "update",
                        label,
                        tuple(changes),
                        id=current.id,
                        product_key=key,
                        payload={c.field: c.after for c in changes},
                    )
                )
        extras += [i for url, i in observed.items() if url not in wanted]
        for image in extras:
            self.steps.append(
                Step(
                    "images",
                    "delete",
                    f"{product.sku}@{image.image_url}",
                    id=image.id,
                    product_key=key,
                )
            )

    # extras (deleted only with prune)

    def _extras(self) -> None:
        for key, product in self.observed.products.items():
            if key not in self.desired.products:
                self.steps.append(
                    Step("products", "delete", product.sku, id=product.id, product_key=key)
                )
        if self.desired.categories is not None:
            for category_id, path in self.paths.items():
                if path_key(path) not in self.desired.categories:
                    self.steps.append(
                        Step(
                            "categories", "delete", path, id=category_id, depth=path.count("/") + 1
                        )
                    )
        if self.desired.brands is not None:
            for brand in self.observed.brands.values():
                if brand.name.casefold() not in self.desired.brands:
                    self.steps.append(Step("brands", "delete", brand.name, id=brand.id))

    def _order(self) -> list[Step]:
        rank = {kind: i for i, kind in enumerate(KINDS)}

        def order(step: Step) -> tuple[int, int, int, str]:
            if step.action == "delete":
                # nested records first, then products, categories deepest first, brands last
                return (1, -rank[step.kind], -step.depth, step.key)
            return (0, rank[step.kind], step.depth, "" if step.action == "create" else "~")

        return sorted(self.steps, key=order)

    def _check_delete_limits(self, steps: list[Step]) -> None:
        if self.options.allow_mass_delete:
            return
        deletes: dict[str, int] = defaultdict(int)
        for step in steps:
            if step.action == "delete" and step.kind in ("products", "categories", "brands"):
                deletes[step.kind] += 1
        counts = self.observed.counts()
        for kind, n in sorted(deletes.items()):
            total = counts.get(kind, 0)
            if total and n * 100 > self.options.max_delete_percent * total:
                self.problems.append(
                    f"the plan deletes {n} of {total} {kind} ({100 * n / total:.0f}%), more than "
                    f"maxDeletePercent {self.options.max_delete_percent}%"
                )


def plan(desired: Catalog, observed: ObservedCatalog, options: Options | None = None) -> Plan:
    """The steps that make the store match `desired` (deletes only with `options.prune`)."""
    with bulk_allocation():
        return _Planner(desired, observed, options or Options()).run()


@dataclass(frozen=True)
class Drift:
    """Differences between a store and its desired catalog."""

    counts: Mapping[str, Mapping[str, int]]
    samples: tuple[tuple[str, str, str, tuple[str, ...]], ...]  # (kind, key, change, fields)

    @property
    def in_sync(self) -> bool:
        """No differences at all."""
        return not any(sum(c.values()) for c in self.counts.values())

    def total(self) -> int:
        """Number of drifted items."""
        return sum(sum(c.values()) for c in self.counts.values())


_DRIFT_NAMES = {"create": "missing", "delete": "extra", "update": "changed"}


def drift(desired: Catalog, observed: ObservedCatalog, options: Options | None = None) -> Drift:
    """What differs, per kind (missing, extra, changed), with at most 20 field-level samples."""
    base = options or Options()
    with bulk_allocation():
        full = _Planner(
            desired,
            observed,
            Options(
                prune=True, allow_mass_delete=True, sync_stock=base.sync_stock, ignore=base.ignore
            ),
        ).run()
    counts: dict[str, dict[str, int]] = {}
    samples: list[tuple[str, str, str, tuple[str, ...]]] = []
    for step in full.steps:
        change = _DRIFT_NAMES[step.action]
        counts.setdefault(step.kind, {"missing": 0, "extra": 0, "changed": 0})[change] += 1
        if len(samples) < MAX_SAMPLES:
            samples.append((step.kind, step.key, change, tuple(step.fields())))
    return Drift(counts, tuple(samples))
