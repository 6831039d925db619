"""Store information: `/v2/store` and `/v2/time`."""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from controller.emulator.database import StoreProfile
from controller.emulator.resources.base import Call, Route, json_response


def numeric_store_id(store_hash: str) -> int:
    """The store's numeric id (`store_id` of `/v2/store` and of webhook callbacks)."""
    return 1000000 + sum(store_hash.encode())


def store_document(profile: StoreProfile) -> dict[str, Any]:
    """`GET /v2/store` of a store profile."""
    now = datetime.now(ZoneInfo(profile.timezone))
    offset, dst = now.utcoffset(), now.dst()
    offset_s = int(offset.total_seconds()) if offset else 0
    dst_s = int(dst.total_seconds()) if dst else 0
    return {
        "id": profile.hash,
        "account_uuid": str(uuid.uuid5(uuid.NAMESPACE_DNS, profile.hash)),
        "domain": profile.domain,
        "secure_url": f"https://{profile.domain}",
        "control_panel_base_url": f"https://store-{profile.hash}.mybigcommerce.com",
        "status": "live",
        "name": profile.name,
        "first_name": "Store",
        "last_name": "Owner",
        "address": "",
        "country": profile.country,
        "country_code": profile.country_code,
        "phone": "",
        "admin_email": f"admin@{profile.domain}",
        "order_email": f"orders@{profile.domain}",
        "favicon_url": "",
        "timezone": {
            "name": profile.timezone,
            "raw_offset": offset_s - dst_s,
            "dst_offset": offset_s,
            "dst_correction": bool(dst),
            "date_format": {
                "display": "jS M Y",
                "export": "M jS Y",
                "extended_display": "M jS Y @ g:i A",
            },
        },
        "language": profile.language,
        "currency": profile.currency,
        "currency_symbol": "$" if profile.currency == "USD" else profile.currency,
        "decimal_separator": ".",
        "thousands_separator": ",",
        "decimal_places": 2,
        "currency_symbol_location": "left",
        "weight_units": "LBS",
        "dimension_units": "Inches",
        "dimension_decimal_places": 2,
        "dimension_decimal_token": ".",
        "dimension_thousands_token": ",",
        "plan_name": profile.plan_name,
        "plan_level": profile.plan_name,
        "plan_is_trial": False,
        "industry": "",
        "is_price_entered_with_tax": False,
        "store_id": numeric_store_id(profile.hash),
        "default_channel_id": 1,
        "default_site_id": 1000,
        "active_comparison_modules": [],
        "features": {
            "stencil_enabled": True,
            "sitewidehttps_enabled": True,
            "multi_storefront_enabled": False,
        },
    }


async def get_store(call: Call) -> Any:
    """The store's profile, with what its global settings say (name, contact, units)."""

    def read() -> dict[str, Any]:
        profile = call.store.db.store(call.store.hash)
        assert profile is not None  # the middleware answered 404 for an unknown store
        return call.store.settings.v2_store(store_document(profile))

    return json_response(await call.run(read))


async def get_time(call: Call) -> Any:
    return json_response({"time": int(time.time())})


ROUTES = [Route("GET", "/v2/store", get_store), Route("GET", "/v2/time", get_time)]
