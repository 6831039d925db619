"""Promotions between the API's store ids and the natural keys of files, in both directions.

Inside a promotion, records are named by id in the API and by natural key in files: the item
matchers of conditions and actions (`products` by SKU, `categories` by path, `brands` by name, at
any depth of `and`/`or`/`not`), a gift item's `product_id` (`product`: its SKU), the customer's
`group_ids` and `excluded_group_ids` (`groups`, `excluded_groups`: names; 0, guests and customers
of no group, stays 0) and the `channels` (by name; `default`: the first storefront). Money is text in the API; it is kept as the shortest decimal text, so
that `10`, `"10"` and `"10.0000"` compare equal."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from controller.catalog.fields import MONEY_KEYS, PROMOTION_MATCHERS

# natural key field of the customer -> the API's id field
GROUP_FIELDS = {"groups": "group_ids", "excluded_groups": "excluded_group_ids"}
# where records are named: "products", "categories", "brands" (matchers), "groups", "channels"
Names = Mapping[str, Mapping[int, str]]
Resolve = Callable[[str, str], int]


def money(value: Any) -> Any:
    """A money value as the shortest decimal text (`"12.95"`, `"10"`); anything else as it is."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return value
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return value
    if not number.is_finite():
        return value
    text = format(number.normalize(), "f")
    return text


def _sorted_names(names: list[Any]) -> list[Any]:
    return sorted(names, key=lambda n: (isinstance(n, str), str(n).casefold()))


def _walk(value: Any, leaf: Callable[[str, Any], tuple[str, Any] | None]) -> Any:
    """`value` with each dict entry passed through `leaf` (None: walk into it unchanged)."""
    if isinstance(value, list):
        return [_walk(v, leaf) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        changed = leaf(key, item)
        if changed is None:
            out[key] = _walk(item, leaf)
        else:
            out[changed[0]] = changed[1]
    return out


def to_names(values: Mapping[str, Any], names: Names) -> dict[str, Any]:
    """A promotion's API values in natural keys (a store id no record has is written `#id`)."""

    def name(kind: str, record_id: Any) -> Any:
        if kind == "groups" and record_id == 0:
            return 0
        return names.get(kind, {}).get(record_id, f"#{record_id}")

    def leaf(key: str, item: Any) -> tuple[str, Any] | None:
        if key in PROMOTION_MATCHERS and isinstance(item, list):
            return key, _sorted_names([name(key, i) for i in item])
        if key == "product_id":
            return "product", name("products", item)
        if key in MONEY_KEYS:
            return key, money(item)
        return None

    out = {k: v for k, v in values.items() if k not in ("rules", "customer", "channels")}
    if "rules" in values:
        out["rules"] = _rule_defaults(_walk(values["rules"], leaf))
    if "channels" in values:
        ids = (c.get("id") if isinstance(c, dict) else c for c in values["channels"] or ())
        out["channels"] = _sorted_names([name("channels", i) for i in ids])
    customer = values.get("customer")
    if isinstance(customer, dict):
        written = {
            k: v for k, v in customer.items() if k not in GROUP_FIELDS.values() and k != "segments"
        }
        for natural, api in GROUP_FIELDS.items():
            if customer.get(api):
                written[natural] = _sorted_names([name("groups", i) for i in customer[api]])
        out["customer"] = _customer_defaults(written)
    return out


def _customer_defaults(customer: Mapping[str, Any]) -> dict[str, Any]:
    """A customer requirement as compared: no empty group lists, the order count (default 0)."""
    out = {k: v for k, v in customer.items() if not (k in GROUP_FIELDS and not v)}
    out.setdefault("minimum_order_count", 0)
    return out


def _rule_defaults(rules: Any) -> Any:
    """Rules as compared: `apply_once` as the API defaults it (true)."""
    if not isinstance(rules, list):
        return rules
    return [{"apply_once": True, **r} if isinstance(r, dict) else r for r in rules]


def to_ids(values: Mapping[str, Any], resolve: Resolve) -> dict[str, Any]:
    """A promotion's values in natural keys as the API's ids (`resolve(kind, name)`)."""

    def leaf(key: str, item: Any) -> tuple[str, Any] | None:
        if key in PROMOTION_MATCHERS and isinstance(item, list):
            return key, [resolve(key, n) for n in item]
        if key == "product" and isinstance(item, str):
            return "product_id", resolve("products", item)
        return None

    out = {k: v for k, v in values.items() if k not in ("rules", "customer", "channels")}
    if "rules" in values:
        out["rules"] = _walk(values["rules"], leaf)
    if "channels" in values:
        out["channels"] = [{"id": resolve("channels", c)} for c in values["channels"]]
    customer = values.get("customer")
    if isinstance(customer, dict):
        sent = {k: v for k, v in customer.items() if k not in GROUP_FIELDS}
        for natural, api in GROUP_FIELDS.items():
            if natural in customer:
                sent[api] = [n if n == 0 else resolve("groups", n) for n in customer[natural]]
        out["customer"] = sent
    return out


def named(values: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Every record a promotion's values name: (kind as above, natural key)."""
    found: list[tuple[str, str]] = []

    def leaf(key: str, item: Any) -> tuple[str, Any] | None:
        if key in PROMOTION_MATCHERS and isinstance(item, list):
            found.extend((key, n) for n in item if isinstance(n, str))
        elif key == "product" and isinstance(item, str):
            found.append(("products", item))
        return None

    _walk(values.get("rules") or [], leaf)
    found.extend(("channels", n) for n in values.get("channels") or () if isinstance(n, str))
    customer = values.get("customer") or {}
    for natural in GROUP_FIELDS:
        found.extend(("groups", n) for n in customer.get(natural) or () if isinstance(n, str))
    return iter(found)


def normalise(values: Mapping[str, Any]) -> dict[str, Any]:
    """A promotion as written, in the form captures write: money as decimal text, the names of
    each matcher and customer list sorted."""

    def leaf(key: str, item: Any) -> tuple[str, Any] | None:
        if key in PROMOTION_MATCHERS and isinstance(item, list):
            return key, _sorted_names(item)
        if key in MONEY_KEYS:
            return key, money(item)
        return None

    out = dict(values)
    if "rules" in values:
        out["rules"] = _rule_defaults(_walk(values["rules"], leaf))
    if isinstance(values.get("channels"), list):
        out["channels"] = _sorted_names(values["channels"])
    customer = values.get("customer")
    if isinstance(customer, dict):
        out["customer"] = _customer_defaults(
            {
                k: _sorted_names(v) if k in GROUP_FIELDS and isinstance(v, list) else v
                for k, v in customer.items()
            }
        )
    return out
