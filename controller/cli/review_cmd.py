"""`stagingpro plan --output markdown|html`: the plan as a review page for the people who approve it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from controller.catalog.observed import ObservedCatalog
from controller.planner import Plan
from controller.review import Currency, build_review, local_time, render_html, render_markdown

FORMATS = ("markdown", "html")


def review_page(
    fmt: str,
    plan: Plan,
    observed: ObservedCatalog,
    *,
    store: str,
    source: str,
    revision: str | None,
    info: dict[str, Any],
    rate: float | None,
    verbose: bool,
    now: datetime | None = None,
) -> str:
    """The review in `fmt`, prices in the store's currency, made at the store's local time
    (`info` is the store's `GET /v2/store`). Markdown shows 200 records unless `verbose`."""
    zone = (info.get("timezone") or {}).get("name")
    review = build_review(
        plan,
        observed,
        store=store,
        source=source,
        revision=revision,
        currency=Currency.from_store_info(info),
        requests_per_second=rate,
        made_at=local_time(now or datetime.now(UTC), zone),
    )
    if fmt == "html":
        return render_html(review)
    return render_markdown(review, limit=None if verbose else 200)
