"""A plan made readable for people who approve it: per kind and record, before and after in the
store's terms (prices in its currency, long texts as diffs, products with their thumbnail), what a
deletion takes with it, the request estimate. Pure data; the renderers only lay it out."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from controller.catalog.kinds import KINDS, PLAN_ORDER, Action, Kind
from controller.catalog.observed import ObservedCatalog, ObservedProduct
from controller.planner import Plan, Step
from controller.text import long_text, plural, text_diff

MONEY_FIELDS = frozenset(
    {
        "price",
        "cost_price",
        "retail_price",
        "sale_price",
        "map_price",
        "calculated_price",
        "fixed_cost_shipping_price",
    }
)
MONEY_KINDS = frozenset({Kind.PRODUCTS, Kind.VARIANTS})
ACTION_WORDS = {Action.CREATE: "create", Action.UPDATE: "update", Action.DELETE: "delete"}
SYMBOLS = {Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-"}


@dataclass(frozen=True)
class Currency:
    """How the store writes money (from `GET /v2/store`)."""

    code: str = ""
    symbol: str = ""
    symbol_left: bool = True
    decimals: int = 2
    decimal_separator: str = "."
    thousands_separator: str = ","

    @classmethod
    def from_store_info(cls, info: Mapping[str, Any]) -> Currency:
        """The store's currency settings (defaults where the store does not say)."""
        try:
            decimals = int(info.get("decimal_places", 2))
        except (TypeError, ValueError):
            decimals = 2
        return cls(
            code=str(info.get("currency") or ""),
            symbol=str(info.get("currency_symbol") or ""),
            symbol_left=info.get("currency_symbol_location", "left") != "right",
            decimals=max(0, min(decimals, 6)),
            decimal_separator=str(info.get("decimal_separator") or "."),
            thousands_separator=str(info.get("thousands_separator", ",") or ""),
        )

    def format(self, amount: float, *, sign: bool = False) -> str:
        """`$1,234.50`, `1.234,50 €`, or `25.00 USD` without a symbol; `+`/`-` with `sign`."""
        digits = f"{abs(amount):,.{self.decimals}f}"
        whole, _, fraction = digits.partition(".")
        number = whole.replace(",", self.thousands_separator)
        if fraction:
            number += self.decimal_separator + fraction
        if self.symbol:
            text = f"{self.symbol}{number}" if self.symbol_left else f"{number} {self.symbol}"
        else:
            text = f"{number} {self.code}".strip()
        prefix = "-" if amount < 0 else ("+" if sign else "")
        return prefix + text


@dataclass(frozen=True)
class Row:
    """One field of a record: before and after as shown, the change of an amount, or a text's
    changed region as diff lines (`-`/`+`/` ` prefixed)."""

    field: str
    before: str
    after: str
    change: str = ""
    diff: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entry:
    """One record the plan creates, updates or deletes."""

    kind: Kind
    action: Action
    key: str
    title: str = ""  # a product's name
    image: str | None = None  # a thumbnail URL (http or https only)
    rows: tuple[Row, ...] = ()
    takes: str = ""  # what deleting it takes with it
    channel: str | None = None  # the channel the record belongs to (None: store-wide)

    @property
    def symbol(self) -> str:
        """`+`, `~` or `-`."""
        return SYMBOLS[self.action]


@dataclass(frozen=True)
class Review:
    """Everything a review page shows."""

    store: str
    source: str
    revision: str | None
    counts: Mapping[str, Mapping[str, int]]
    requests: int
    seconds: float | None  # at the store's quota; None when unknown
    entries: tuple[Entry, ...]
    problems: tuple[str, ...] = ()
    skipped_deletes: int = 0
    made_at: str | None = None  # when, as a person reads it (store-local time)
    currency: Currency = field(default_factory=Currency)
    # changes by channel, when a change belongs to another than the first storefront
    channels: Mapping[str, int] = field(default_factory=dict)
    out_of_scope: int = 0  # changes outside the channel planned for, left out
    # a deployment's Catalog V2 to V3 migration, applied before the rest: what it does, then
    # what each product becomes
    migration: tuple[str, ...] = ()

    @property
    def in_sync(self) -> bool:
        """Nothing to change."""
        return not self.entries

    @property
    def nothing_to_change(self) -> str:
        """What an in-sync review says (a migration is a change of its own)."""
        return "nothing else to change" if self.migration else "nothing to change"

    def summary(self) -> str:
        """`3 changes: products 1 to create, 2 to update` or `in sync`."""
        if self.in_sync:
            return f"in sync: {self.nothing_to_change}"
        parts = []
        for kind in PLAN_ORDER:
            if kind in self.counts:
                c = self.counts[kind]
                words = [f"{c[a]} to {a}" for a in ("create", "update", "delete") if c.get(a)]
                parts.append(f"{kind} {', '.join(words)}")
        return f"{plural(len(self.entries), 'change')}: {'; '.join(parts)}"

    def by_channel(self) -> str:
        """`By channel: EU 3, US 1, (store) 2` (a change in several channels counts in each)."""
        return "By channel: " + ", ".join(f"{c} {n}" for c, n in self.channels.items())

    def left_out(self) -> str:
        """What a channel-scoped plan leaves out ("" when nothing)."""
        if not self.out_of_scope:
            return ""
        return (
            f"{plural(self.out_of_scope, 'change')} of the catalog outside the channel planned "
            "for (left out)"
        )

    def estimate(self) -> str:
        """`12 write requests, about 2 s at the store's quota`."""
        text = plural(self.requests, "write request")
        if self.seconds is not None:
            text += f", about {_duration(self.seconds)} at the store's quota"
        return text


def _duration(seconds: float) -> str:
    whole = math.ceil(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, rest = divmod(whole, 60)
    return (
        f"{minutes} min {rest:02d} s"
        if minutes < 60
        else f"{minutes // 60} h {minutes % 60:02d} min"
    )


def build_review(
    plan: Plan,
    observed: ObservedCatalog | None = None,
    *,
    store: str,
    source: str,
    revision: str | None = None,
    currency: Currency | None = None,
    requests_per_second: float | None = None,
    made_at: str | None = None,
) -> Review:
    """The review of `plan`; `observed` (the store as planned against) adds names, thumbnails and
    what deletions take with them."""
    money = currency or Currency()
    reader = _Observed(observed)
    several = plan.several_channels
    entries = tuple(_entry(step, reader, money, several) for step in plan.steps)
    rate = requests_per_second
    return Review(
        store=store,
        source=source,
        revision=revision,
        counts=plan.counts(),
        requests=plan.estimate_requests(),
        seconds=plan.estimate_seconds(rate) if rate else None,
        entries=entries,
        problems=plan.problems,
        skipped_deletes=plan.skipped_deletes,
        made_at=made_at,
        currency=money,
        channels=plan.channel_totals() if several else {},
        out_of_scope=plan.out_of_scope,
    )


class _Observed:
    """Lookups into the observed store by natural key."""

    def __init__(self, observed: ObservedCatalog | None):
        self.observed = observed
        self._paths: dict[int, str] | None = None

    def product(self, key: str) -> ObservedProduct | None:
        return None if self.observed is None else self.observed.products.get(key.casefold())

    def paths(self) -> dict[int, str]:
        if self._paths is None:
            self._paths = {} if self.observed is None else self.observed.category_paths()
        return self._paths


def _entry(step: Step, observed: _Observed, money: Currency, channels: bool) -> Entry:
    spec = KINDS[step.kind]
    title, image = "", None
    product_key = step.key if step.kind is Kind.PRODUCTS else step.owner_key
    found = observed.product(product_key) if product_key else None
    if step.kind is Kind.PRODUCTS:
        title = str(step.payload.get("name") or (found.fields.get("name") if found else "") or "")
        image = _thumbnail(step.payload.get("images"), found)
    elif step.kind is Kind.IMAGES:
        image = _web_url(step.name or step.key)
    rows: list[Row] = []
    if step.action is Action.CREATE:
        for name, value in step.payload.items():
            if name == spec.key:
                continue
            rows.append(_row(step.kind, name, None, value, money))
    for change in step.changes:
        shown = change.channel is not None and channels
        name = f"{change.field} [{change.channel}]" if shown else change.field
        rows.append(_row(step.kind, name, change.before, change.after, money))
    takes = _takes(step, observed, found) if step.action is Action.DELETE else ""
    channel = step.channel if channels else None
    return Entry(step.kind, step.action, step.key, title, image, tuple(rows), takes, channel)


def _row(kind: Kind, name: str, before: Any, after: Any, money: Currency) -> Row:
    if long_text(before, after):
        diff = text_diff(before or "", after or "") if before else [f"+ {after}"]
        return Row(name, "(text)" if before else "", "(text, changed below)", diff=tuple(diff))
    if kind in MONEY_KINDS and name in MONEY_FIELDS:
        return _money_row(name, before, after, money)
    return Row(name, _shown(before), _shown(after))


def _money_row(name: str, before: Any, after: Any, money: Currency) -> Row:
    def amount(value: Any) -> str:
        return money.format(value) if isinstance(value, int | float) else _shown(value)

    change = ""
    if isinstance(before, int | float) and isinstance(after, int | float):
        delta = after - before
        change = money.format(delta, sign=True)
        if before:
            change += f" ({delta * 100 / before:+.1f}%)"
    return Row(name, amount(before), amount(after), change)


def _shown(value: Any) -> str:
    """A value as a person reads it: text as is, lists of records by count, the rest as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        if value and all(isinstance(v, dict) for v in value):
            return plural(len(value), "record")
        if all(isinstance(v, str) for v in value):
            return ", ".join(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _web_url(url: Any) -> str | None:
    """`url` when it is an http(s) URL a browser may load as an image, else None."""
    if isinstance(url, str) and url.lower().startswith(("https://", "http://")):
        return url
    return None


def _thumbnail(images: Any, found: ObservedProduct | None) -> str | None:
    """The product's thumbnail: the one marked so, else its first image (desired, else observed)."""
    candidates: Sequence[tuple[bool, str]] = []
    if isinstance(images, list) and images:
        candidates = [
            (bool(i.get("is_thumbnail")), str(i.get("image_url")))
            for i in images
            if isinstance(i, dict)
        ]
    elif found is not None:
        ordered = sorted(found.images, key=lambda i: i.sort_order)
        candidates = [(i.is_thumbnail, i.image_url) for i in ordered]
    for _, url in sorted(candidates, key=lambda c: not c[0]):
        if (safe := _web_url(url)) is not None:
            return safe
    return None


def _takes(step: Step, observed: _Observed, found: ObservedProduct | None) -> str:
    """What deleting the record also removes or changes, in words."""
    store = observed.observed
    if step.kind is Kind.PRODUCTS and found is not None:
        parts = [
            plural(len(found.variants), "variant"),
            plural(len(found.images), "image"),
            plural(len(found.custom_fields), "custom field"),
            plural(len(found.modifiers), "modifier"),
            plural(len(found.complex_rules), "complex rule"),
            plural(len(found.bulk_pricing_rules), "bulk pricing rule"),
        ]
        owned = [p for p in parts if not p.startswith("0 ")]
        return f"also deletes its {_and(owned)}" if owned else ""
    if step.kind is Kind.OPTIONS and found is not None:  # the platform deletes them with it
        name = (step.name or step.key).casefold()
        using = sum(
            1 for v in found.variants if any(o.casefold() == name for o, _ in v.option_values)
        )
        return f"also deletes the {plural(using, 'variant')} that use it" if using else ""
    if store is None:
        return ""
    if step.kind is Kind.CATEGORIES:
        ids = {i for i, path in observed.paths().items() if _under(path, step.key)}
        subcategories = sum(1 for i in ids if observed.paths()[i].casefold() != step.key.casefold())
        products = [p for p in store.products.values() if p.category_ids & ids]
        only = sum(1 for p in products if p.category_ids <= ids)
        parts = []
        if subcategories:
            parts.append(f"also deletes its {plural(subcategories, 'subcategory')}")
        if products:
            text = f"{_are(len(products), 'product')} taken out of it"
            if only:
                text += f" ({_are(only, 'product')} then in no category)"
            parts.append(text)
        return "; ".join(parts)
    if step.kind is Kind.BRANDS:
        ids = {b.id for b in store.brands.values() if b.name.casefold() == step.key.casefold()}
        count = sum(1 for p in store.products.values() if p.brand_id in ids)
        if not count:
            return ""
        return f"{plural(count, 'product')} {'loses its' if count == 1 else 'lose their'} brand"
    if step.kind is Kind.SCRIPTS:
        return "the script stops running on the storefront"
    return ""


def _are(count: int, noun: str) -> str:
    return f"{plural(count, noun)} {'is' if count == 1 else 'are'}"


def _under(path: str, key: str) -> bool:
    folded, top = path.casefold(), key.casefold()
    return folded == top or folded.startswith(top + "/")


def _and(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def local_time(instant: datetime, zone: str | None) -> str:
    """`2026-12-01 09:00 EST (America/New_York), 14:00 UTC`: an instant as the store's people read
    it, with UTC; in UTC alone when the zone is unknown."""
    utc = instant.astimezone(UTC)
    if zone:
        try:
            local = instant.astimezone(ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            local = None
        if local is not None:
            return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({zone}), {utc:%H:%M} UTC"
    return f"{utc:%Y-%m-%d %H:%M} UTC"
