"""Deterministic pseudonymisation of customers for sandbox clones. Pure: no I/O.

Each source customer becomes a fake person derived from HMAC-SHA256(key, its store id): the same
customer always becomes the same person under the same key (bug reports stay reproducible across
refreshes), and nothing of the person can be recovered without the key. Emails go to the reserved
`example.invalid` domain (RFC 2606: it can never receive mail); names, phones, streets, cities,
postal codes and companies are replaced; notes are dropped; dates in masked attribute and form
values are shifted by one offset per customer; attribute and form field values are masked unless
the rules say otherwise; store credit and the customer group are kept (they drive what a test sees)
unless the rules drop them. Passwords are never read, so never copied.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from controller.catalog.model import Customer
from controller.catalog.observed import ObservedCatalog, customer_values

DOMAIN = "example.invalid"
ACTIONS = ("keep", "mask", "drop")
# field -> its action unless a rule names it; `attribute:NAME` and `form:NAME` name one attribute
# or form field, `attribute:*` and `form:*` all of them.
DEFAULTS: Mapping[str, str] = {
    "phone": "mask",
    "company": "mask",
    "notes": "drop",
    "storeCredit": "keep",
    "customerGroup": "keep",
    "attribute:*": "mask",
    "form:*": "mask",
}
NEVER_KEPT = frozenset({"phone", "company", "notes"})  # personal texts: masked or dropped

_FIRST = [
    "Avery",
    "Blake",
    "Cass",
    "Dana",
    "Ellis",
    "Finley",
    "Gray",
    "Harper",
    "Indigo",
    "Jules",
    "Kai",
    "Lane",
    "Morgan",
    "Noel",
    "Oakley",
    "Parker",
    "Quinn",
    "Reese",
    "Sage",
    "Tatum",
    "Umber",
    "Vale",
    "Wren",
    "Xen",
    "Yael",
    "Zuri",
]
_LAST = [
    "Ashdown",
    "Brightwater",
    "Coldharbour",
    "Dunmere",
    "Eastholm",
    "Fernlow",
    "Greywick",
    "Hollowmere",
    "Ivybridge",
    "Juniperfield",
    "Kestrelby",
    "Larkspur",
    "Marchbank",
    "Northcote",
    "Oakenfold",
    "Pennyworth",
    "Quillfeather",
    "Ravensworth",
    "Stonebury",
    "Thistledown",
    "Underhill",
    "Valewood",
    "Westerly",
    "Yarrowby",
]
_STREETS = [
    "Maple",
    "Cedar",
    "Birch",
    "Willow",
    "Aspen",
    "Rowan",
    "Hazel",
    "Linden",
    "Alder",
    "Juniper",
]
_KINDS = ["Street", "Avenue", "Lane", "Road", "Way", "Court"]
_CITIES = [
    "Springfield",
    "Riverton",
    "Fairview",
    "Lakeside",
    "Brookfield",
    "Hillcrest",
    "Ashford",
    "Glenwood",
]
_WORDS = ["Acme", "Globex", "Initech", "Umbrella", "Vandelay", "Stark", "Wayne", "Tyrell"]
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Rules:
    """What a clone keeps, masks or drops of each customer field (the defaults where no rule
    names it)."""

    actions: Mapping[str, str]

    def action(self, field: str) -> str:
        """The action for `field` (`attribute:Shoe size` falls back on `attribute:*`)."""
        if field in self.actions:
            return self.actions[field]
        family = field.split(":", 1)[0] + ":*" if ":" in field else field
        return self.actions.get(family, DEFAULTS.get(family, "mask"))

    def describe(self) -> list[str]:
        """The effective rules as `field: action` lines (defaults included), sorted."""
        merged = {**DEFAULTS, **self.actions}
        return [f"{field}: {action}" for field, action in sorted(merged.items())]


class _Person:
    """The fake person of one source customer: every value drawn from HMAC(key, id + purpose)."""

    def __init__(self, key: bytes, source_id: int):
        self.key, self.source_id = key, source_id

    def digest(self, purpose: str) -> bytes:
        message = f"{self.source_id}:{purpose}".encode()
        return hmac.new(self.key, message, hashlib.sha256).digest()

    def number(self, purpose: str, below: int) -> int:
        return int.from_bytes(self.digest(purpose)[:8], "big") % below

    def pick(self, purpose: str, options: list[str]) -> str:
        return options[self.number(purpose, len(options))]

    def token(self, purpose: str, length: int = 8) -> str:
        return self.digest(purpose).hex()[:length]

    @property
    def shift(self) -> timedelta:
        """This person's date offset: 30 to 180 days either way."""
        days = 30 + self.number("dates", 151)
        return timedelta(days=days if self.number("sign", 2) else -days)

    def phone(self, purpose: str) -> str:
        return f"+1 555-01{self.number(purpose, 100):02d}"  # the range reserved for fiction

    def mask(self, purpose: str, value: Any, kind: str = "string") -> Any:
        """A value of the same type: a number of as many digits, a date shifted, else a token."""
        if isinstance(value, list):
            return [self.mask(f"{purpose}[{i}]", v, kind) for i, v in enumerate(value)]
        if isinstance(value, bool):
            return value
        text = str(value)
        if _ISO_DATE.match(text):
            try:
                return (date.fromisoformat(text) + self.shift).isoformat()
            except ValueError:
                pass
        if isinstance(value, int | float) or kind == "number":
            digits = len(re.sub(r"\D", "", text)) or 1
            masked = self.number(purpose, 10**digits)
            return masked if isinstance(value, int | float) else str(masked)
        return f"masked-{self.token(purpose)}"


def anonymise(observed: ObservedCatalog, key: bytes, rules: Rules) -> dict[str, Customer]:
    """The observed (source) store's customers as fake people, by casefolded fake email, with
    their group by name and their attribute values by attribute name."""
    if len(key) < 16:
        raise ValueError("an anonymisation key has at least 16 bytes")
    attributes = observed.customer_attributes or {}
    groups = {g.id: g.name for g in (observed.customer_groups or {}).values()}
    types = {a.name: a.fields.get("type", "string") for a in attributes.values()}
    out: dict[str, Customer] = {}
    for source in sorted((observed.customers or {}).values(), key=lambda c: c.id):
        person = _Person(key, source.id)
        values = customer_values(source, attributes)
        first, last = person.pick("first", _FIRST), person.pick("last", _LAST)
        email = f"{first}.{last}.{person.token('email', 10)}@{DOMAIN}".lower()
        fake: dict[str, Any] = {
            "first_name": first,
            "last_name": last,
            "tax_exempt_category": values.get("tax_exempt_category", ""),
            "accepts_product_review_abandoned_cart_emails": False,
        }
        made = {
            "phone": person.phone("phone"),
            "company": f"{person.pick('company', _WORDS)} {last} Ltd",
            "notes": f"masked-{person.token('notes')}",
        }
        for field, replacement in made.items():
            masked = rules.action(field) == "mask" and values.get(field)
            fake[field] = replacement if masked else ""
        if rules.action("storeCredit") == "keep":
            fake["store_credit_amounts"] = list(values.get("store_credit_amounts") or ())
        fake["addresses"] = [
            _address(person, i, address, rules, first, last)
            for i, address in enumerate(values.get("addresses") or ())
        ]
        fake["attributes"] = {
            name: person.mask(f"attribute:{name}", value, types.get(name, "string"))
            if rules.action(f"attribute:{name}") == "mask"
            else value
            for name, value in sorted(values.get("attributes", {}).items())
            if rules.action(f"attribute:{name}") != "drop" and not name.startswith("#")
        }
        fake["form_fields"] = _forms(person, "form", values.get("form_fields"), rules)
        group = groups.get(source.customer_group_id, "")
        kept_group = group if rules.action("customerGroup") == "keep" else ""
        out[email] = Customer(email, fake, kept_group)
    return out


def _address(
    person: _Person, index: int, address: Mapping[str, Any], rules: Rules, first: str, last: str
) -> dict[str, Any]:
    """An address at a fake street of a fake city; its country, state and type are kept."""
    at = f"address{index}"
    return {
        "first_name": first,
        "last_name": last,
        "company": "",
        "address1": f"{1 + person.number(at + 'n', 999)} {person.pick(at + 's', _STREETS)} "
        f"{person.pick(at + 'k', _KINDS)}",
        "address2": "",
        "city": person.pick(at + "c", _CITIES),
        "state_or_province": address.get("state_or_province", ""),
        "postal_code": f"{person.number(at + 'z', 100000):05d}",
        "country_code": address.get("country_code", "US"),
        "phone": person.phone(at + "p") if address.get("phone") else "",
        "address_type": address.get("address_type", "residential"),
        "form_fields": _forms(person, at, address.get("form_fields"), rules),
    }


def _forms(person: _Person, at: str, values: Any, rules: Rules) -> list[dict[str, Any]]:
    """Form field values under the `form:NAME` rules."""
    out = []
    for field in values or ():
        action = rules.action(f"form:{field['name']}")
        if action == "drop":
            continue
        value = field["value"]
        masked = person.mask(f"{at}:form:{field['name']}", value) if action == "mask" else value
        out.append({"name": field["name"], "value": masked})
    return out
