"""`stagingpro migrate v2-to-v3`: move an older store's catalog from option sets, SKUs and rules to
per-product variant options and variants with their own prices, keeping product ids and SKUs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from controller.catalog.v2migration import ValueGone
from controller.cli.errors import CliError
from controller.cli.inputs import TOKEN_ENV, store_target
from controller.cli.store_cmds import EXIT_CHANGES, EXIT_OK, _client, _run, _store_args
from controller.engine import migrate
from controller.text import plural

DESCRIPTION = """\
Plan, and with --yes apply, the migration of a store's Catalog V2 products to V3: a product in
a shared option set gets its own copy of the options (option ids kept), its SKUs stay its variants
(ids and SKUs kept), each with its own price and weight set to what a shopper paid under the V2
rules on option values and SKUs; a rule on one modifier value becomes that value's adjusters, any
other rule naming a modifier (with option values or SKUs, with other modifier values, or one that
stops the rules after it) a V3 complex rule naming modifier values and variants. The V2 rules are
deleted, each replaced by those, written right after (where V3's order cannot follow the rules
one by one, what each choice of modifier values adds to each variant is written as complex rules). Nothing else is
deleted. A product whose result could differ (a combination without a SKU that a rule prices; a
rule naming a modifier that disables purchasing in an order V3 cannot follow) is kept as it is,
saying why. After applying,
every SKU and every combination of option and modifier values of every product is priced and
weighed again and compared with before.

The plan is kept in --state before the first write: a run that stopped resumes from it.

exit codes: 0 nothing to migrate (or migrated and verified), 2 something to migrate (without
--yes), 1 an error or a difference found by the verification"""


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add `migrate` to the command line."""
    parser = sub.add_parser(
        "migrate",
        help="migrate a store's catalog from V2 (option sets, rules) to V3",
        description=DESCRIPTION,
        epilog=f"examples:\n  {TOKEN_ENV}=... stagingpro migrate v2-to-v3 --store "
        "https://api.bigcommerce.com/stores/sandbox1            # the plan, per product\n"
        "  stagingpro migrate v2-to-v3 --store https://api.bigcommerce.com/stores/sandbox1 --yes",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("direction", choices=("v2-to-v3",), help="the migration")
    _store_args(parser)
    parser.add_argument("--yes", "-y", action="store_true", help="apply the plan and verify it")
    parser.add_argument(
        "--state",
        type=Path,
        metavar="FILE",
        help="where the plan is kept while applying (default .stagingpro-migration-HASH.json)",
    )
    parser.set_defaults(func=cmd_migrate)


def cmd_migrate(args: argparse.Namespace) -> int:
    """`stagingpro migrate v2-to-v3`."""
    target = store_target(args.store, args.environment, args.token_file)
    state = args.state or Path(f".stagingpro-migration-{target.store_hash}.json")
    verbose = bool(getattr(args, "verbose", False))

    async def run() -> int:
        async with _client(target, args) as store:
            resumed = migrate.load(state, target.label) if args.yes else None
            migration = resumed or await migrate.plan_migration(store, target.label)
            if resumed is not None:
                print(f"Resuming the migration kept in {state}.")
            for plan in migration.plans:
                if plan.changes or plan.kept_because:
                    print("\n".join(plan.lines(verbose=verbose)))
            todo = migration.changes
            kept = [p for p in migration.plans if p.kept_because]
            minimum = migration.minimum
            print(
                f"{plural(len(todo), 'product')} to migrate"
                + (f", {plural(len(kept), 'product')} kept as is" if kept else "")
                + f"; the fewest requests the API allows: {sum(minimum.values())} "
                + f"({minimum.get('reads', 0)} reads, {minimum.get('localise', 0)} option copies, "
                + f"{minimum.get('delete_rules', 0)} rule deletions, "
                + f"{minimum.get('variant_batches', 0)} variant batches, "
                + f"{minimum.get('complex_rules', 0)} complex rules)"
            )
            if not todo:
                return EXIT_OK
            if not args.yes:
                return EXIT_CHANGES
            migrate.save(state, migration)
            try:
                await migrate.apply_migration(store, migration)
            except ValueGone as error:
                raise CliError(f"{error}; the plan stays in {state}") from error
            written = store.requests
            print(f"Migrated {plural(len(todo), 'product')} in {written} requests.")
            verification = await migrate.verify(store, migration)
            reads = store.requests - written
            for difference in verification.differences[:50]:
                print(f"  difference: {difference}", file=sys.stderr)
            for product in verification.products_missing:
                print(f"  product {product} is gone", file=sys.stderr)
            for product in verification.skus_changed:
                print(f"  product {product}: its SKUs changed", file=sys.stderr)
            print(
                f"Verified {plural(verification.combinations, 'SKU and option combination')} "
                f"(in {plural(reads, 'read')}): "
                f"{plural(len(verification.differences), 'price or weight difference')}."
            )
            if not verification.ok:
                raise CliError(
                    f"the migration changed what shoppers see; the plan stays in {state}"
                )
            state.unlink(missing_ok=True)
            return EXIT_OK

    return _run(run())
