"""`python -m bench [catalog|planner|emulator|engine|metafields|observation|operator|webhooks|ui|
customers|options|migrate|v2clone|all]`."""

from __future__ import annotations

import sys

from bench import (
    catalog,
    customers,
    emulator,
    engine,
    migrate,
    observation,
    operator,
    options,
    planner,
    ui,
    v2clone,
    webhooks,
)

WHAT = {
    "catalog": catalog.run,
    "planner": planner.run,
    "emulator": emulator.run,
    "engine": engine.run,
    "metafields": engine.run_metafields,
    "observation": observation.run,
    "operator": operator.run,
    "webhooks": webhooks.run,
    "ui": ui.run,
    "customers": customers.run,
    "options": options.run,
    "migrate": migrate.run,
    "v2clone": v2clone.run,
}


def main() -> None:
    chosen = sys.argv[1:] or ["all"]
    for name in WHAT if chosen == ["all"] else chosen:
        if name not in WHAT:
            raise SystemExit(f"unknown benchmark {name!r}: choose from {', '.join(WHAT)} or all")
        WHAT[name]()


main()
