"""`plan`, `diff`, `apply`, `capture` and `run`: the engine from a terminal or a CI pipeline."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import git

from controller.access import redact
from controller.catalog.kinds import counts_text, top_of
from controller.catalog.model import CatalogInvalid
from controller.catalog.observed import ObservedCatalog
from controller.cli import review_cmd
from controller.cli.errors import CliError
from controller.cli.inputs import TOKEN_ENV, StoreTarget, load_catalog, store_target
from controller.cli.render import ProgressLine, interrupted, outcome, plan_table
from controller.engine import ApplyResult, Assessment, PlanRefused, apply, assess
from controller.engine.snapshots import ResolvedCatalog, capture_message, capture_to_directory
from controller.engine.sync import compared_fields, observed_kinds
from controller.errors import StagingProError
from controller.planner import Options, Plan, PlanFormatError, touched_digest
from controller.reconcile.environment import ignore_options
from controller.stores import BigCommerceStore, RetryPolicy, Token
from controller.text import plural

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2
CACHE = Path(os.environ.get("STAGINGPRO_CACHE", Path(tempfile.gettempdir()) / "stagingpro-cache"))

DEFAULT_TIMEOUT = 60.0
STORE_HELP = "the store's API URL up to its hash, e.g. https://api.bigcommerce.com/stores/abc123"
CATALOG_HELP = "a catalog directory, git+URL@REF#path, or a CatalogSnapshot manifest"


def seconds(text: str) -> float:
    """An argparse type: a positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} must be a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0 seconds")
    return value


def percent(text: str) -> int:
    """An argparse type: a whole percentage."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} must be a whole number from 0 to 100") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text!r} must be a whole number from 0 to 100")
    return value


def _store_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("store", f"the token comes from ${TOKEN_ENV} or --token-file")
    group.add_argument("--store", metavar="URL", help=STORE_HELP)
    group.add_argument(
        "--environment",
        type=Path,
        metavar="FILE",
        help="a StoreEnvironment manifest instead (its syncPolicy and ignoreDifferences apply)",
    )
    group.add_argument(
        "--token-file", type=Path, metavar="FILE", help="file holding the store token"
    )
    group.add_argument(
        "--timeout",
        type=seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="give up on a request the store has not answered within SECONDS, retries included "
        f"(default {DEFAULT_TIMEOUT:g})",
    )


def _catalog_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("catalog", help=CATALOG_HELP)
    parser.add_argument(
        "--allow-empty",
        action="store_true",
        help="accept a catalog directory without any catalog file",
    )


def _plan_args(parser: argparse.ArgumentParser) -> None:
    _catalog_arg(parser)
    _store_args(parser)
    parser.add_argument(
        "--prune",
        action="store_true",
        default=None,
        help="also delete what the catalog does not have (default: the environment's syncPolicy)",
    )
    parser.add_argument(
        "--max-delete-percent",
        type=percent,
        metavar="N",
        help="refuse to delete more than N%% of any kind (default: the environment's "
        "syncPolicy, else 10)",
    )
    parser.add_argument(
        "--allow-mass-delete", action="store_true", help="lift --max-delete-percent"
    )
    parser.add_argument("--sync-stock", action="store_true", help="also compare stock levels")
    parser.add_argument(
        "--channel",
        metavar="NAME",
        help="only this channel's records (as a StoreDeployment storefront with catalogScope: "
        "channel): its category tree, products' assignments to it and into its tree, its "
        "scripts, pages, redirects and widgets; `default` is the first storefront",
    )
    parser.add_argument(
        "--with-reviews",
        action="store_true",
        help="also compare and write product reviews (default: only in a sandbox environment, "
        'or one annotated stagingpro.io/deploy-reviews: "true")',
    )
    parser.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="KIND.FIELD",
        help="never compare or write a field, e.g. products.sort_order",
    )


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add the commands to the parser."""
    formatter = argparse.RawDescriptionHelpFormatter
    for name, summary in (("plan", "show what apply would change"), ("diff", "the same as plan")):
        parser = sub.add_parser(
            name,
            help=summary,
            formatter_class=formatter,
            description=(
                f"{summary.capitalize()}: compare a desired catalog with a store (read-only).\n\n"
                "exit codes: 0 in sync, 2 changes to apply, 1 error (like terraform plan -detailed-exitcode)"
            ),
            epilog=f"examples:\n  {TOKEN_ENV}=... stagingpro {name} catalog/ --store https://api.bigcommerce.com/stores/abc123\n"
            f"  stagingpro {name} git+https://git.example.com/shop/catalog.git@main#catalog "
            "--environment prod.yaml --token-file token --output json",
        )
        _plan_args(parser)
        parser.add_argument(
            "--output",
            "-o",
            choices=("table", "json", *review_cmd.FORMATS),
            default="table",
            help="markdown: a review for a pull request or CI summary; html: a self-contained "
            "review page",
        )
        parser.add_argument(
            "-out",
            "--out",
            dest="out",
            type=Path,
            metavar="FILE",
            help="save the plan: `stagingpro apply FILE` applies exactly it, or refuses when the "
            "store changed since",
        )
        parser.set_defaults(func=cmd_plan)
    parser = sub.add_parser(
        "apply",
        help="make a store match a catalog",
        formatter_class=formatter,
        description="Show the plan, ask for confirmation (unless --yes), and apply it. Given a "
        "plan file saved by `plan -out`, apply exactly that plan (refused when the store changed "
        "since it was made).",
        epilog="examples:\n  stagingpro apply catalog/ --store URL --yes\n"
        "  stagingpro apply catalog/ --store URL --prune --max-delete-percent 5\n"
        "  stagingpro plan catalog/ --store URL -out release.plan && stagingpro apply release.plan --store URL",
    )
    _plan_args(parser)
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    parser.set_defaults(func=cmd_apply)
    parser = sub.add_parser(
        "validate",
        help="check a catalog offline",
        formatter_class=formatter,
        description="Load and check a catalog without any store or token (e.g. in the CI of pull "
        "requests from forks): every problem with file, line and field.\n\n"
        "exit codes: 0 valid, 1 problems",
        epilog="examples:\n  stagingpro validate catalog/\n"
        "  stagingpro validate git+https://git.example.com/shop/catalog.git@main#catalog",
    )
    _catalog_arg(parser)
    parser.set_defaults(func=cmd_validate)
    parser = sub.add_parser(
        "capture",
        help="write a live store's catalog into a directory",
        formatter_class=formatter,
        description="Observe a store and write its catalog files (deterministic: an unchanged "
        "store gives identical files); optionally commit and push.",
        epilog="examples:\n  stagingpro capture --store URL --output catalog/\n"
        "  stagingpro capture --store URL --output repo/catalog --commit --push",
    )
    _store_args(parser)
    parser.add_argument(
        "--output", required=True, type=Path, metavar="DIR", help="catalog directory to write"
    )
    parser.add_argument(
        "--layout",
        choices=("jsonl", "yaml"),
        help="products as products.jsonl or products/*.yaml "
        "(default: what the directory has, else jsonl)",
    )
    parser.add_argument(
        "--commit", action="store_true", help="commit the files in the Git work tree holding DIR"
    )
    parser.add_argument(
        "--push", action="store_true", help="push the commit to the branch's upstream"
    )
    parser.add_argument("--name", default="capture", help="environment name for the commit message")
    parser.set_defaults(func=cmd_capture)


def _options(args: argparse.Namespace, target: StoreTarget) -> Options:
    """The planner options: the environment's (what the operator would do), then the flags."""
    base = ignore_options(target.environment) if target.environment else Options()
    ignore: dict[str, frozenset[str]] = dict(base.ignore)
    for item in args.ignore:
        kind, _, field = item.partition(".")
        if not field:
            raise CliError(f"--ignore {item!r}: expected KIND.FIELD, e.g. products.sort_order")
        ignore[kind] = ignore.get(kind, frozenset()) | {field}
    return Options(
        prune=base.prune if args.prune is None else args.prune,
        max_delete_percent=(
            base.max_delete_percent if args.max_delete_percent is None else args.max_delete_percent
        ),
        allow_mass_delete=args.allow_mass_delete,
        sync_stock=args.sync_stock,
        ignore=ignore,
        reviews=base.reviews or getattr(args, "with_reviews", False),
        channel=getattr(args, "channel", None),
    )


def _client(target: StoreTarget, args: argparse.Namespace) -> BigCommerceStore:
    return BigCommerceStore(
        target.api_url,
        target.store_hash,
        Token(target.token),
        timeout=min(30.0, args.timeout),
        retry=RetryPolicy(deadline=args.timeout),
        on_retry=lambda message: print(f"waiting: {message}", file=sys.stderr, flush=True),
    )


async def _assess(
    args: argparse.Namespace,
) -> tuple[StoreTarget, ResolvedCatalog, Assessment, BigCommerceStore]:
    target = store_target(args.store, args.environment, args.token_file)
    resolved = await asyncio.to_thread(
        load_catalog, args.catalog, CACHE / "git", allow_empty=args.allow_empty
    )
    options = _options(args, target)
    store = _client(target, args)
    desired = resolved.catalog
    try:
        # Only what the catalog compares is kept of the store, as the operator does; a saved plan
        # (its digest covers every managed field) and a review page (names, thumbnails, what a
        # deletion takes) read every managed field.
        whole = getattr(args, "out", None) is not None or getattr(args, "output", None) in (
            review_cmd.FORMATS
        )
        fields = None if whole else compared_fields(desired)
        observed = await store.observe(observed_kinds(desired), fields=fields, like=desired)
        assessment = await assess(store, desired, options, observed=observed)
    except BaseException:
        await store.close()
        raise
    return target, resolved, assessment, store


def cmd_plan(args: argparse.Namespace) -> int:
    """`stagingpro plan|diff`."""

    async def run() -> int:
        target, resolved, assessment, store = await _assess(args)
        async with store:
            info = await store.store_info() if args.output in review_cmd.FORMATS else {}
        plan = assessment.plan
        if args.output in review_cmd.FORMATS:
            sys.stdout.write(
                review_cmd.review_page(
                    args.output,
                    plan,
                    assessment.observed,
                    store=target.label,
                    source=resolved.source,
                    revision=resolved.revision,
                    info=info,
                    rate=store.governor.requests_per_second,
                    verbose=args.verbose,
                )
            )
        elif args.output == "json":
            json.dump(
                {
                    "store": target.label,
                    "source": resolved.source,
                    "revision": resolved.revision,
                    **plan.to_json(),
                },
                sys.stdout,
                indent=2,
                default=str,
            )
            print()
        else:
            plan_table(
                plan,
                store=target.label,
                source=resolved.source,
                rate=store.governor.requests_per_second,
                verbose=args.verbose,
            )
        if args.out is not None:
            _save_plan(args.out, target, resolved, assessment)
        if plan.problems:
            return EXIT_ERROR
        return EXIT_OK if plan.in_sync else EXIT_CHANGES

    return _run(run())


def _save_plan(
    path: Path, target: StoreTarget, resolved: ResolvedCatalog, assessment: Assessment
) -> None:
    """Write a plan file: the plan, the store and catalog it was made for, and a digest of what the
    store held of every record it touches."""
    document = {
        **assessment.plan.to_json(complete=True),
        "store": target.label,
        "source": resolved.source,
        "revision": resolved.revision,
        "catalogDigest": resolved.digest,
        "observedDigest": touched_digest(assessment.plan, assessment.observed),
    }
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(document, indent=1, default=str) + "\n", encoding="utf-8")
    partial.replace(path)
    print(
        f"Saved the plan to {path}: `stagingpro apply {path}` applies exactly it.", file=sys.stderr
    )


def _read_plan_file(text: str) -> dict[str, Any] | None:
    """The plan file's content when `text` names one (else it names a catalog)."""
    path = Path(text)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) and "observedDigest" in data else None


def cmd_apply(args: argparse.Namespace) -> int:
    """`stagingpro apply`."""

    saved = _read_plan_file(args.catalog)

    async def run() -> int:
        if saved is not None:
            target, source, plan, observed, store = await _saved_plan(args, saved)
        else:
            target, resolved, assessment, store = await _assess(args)
            source, plan, observed = resolved.source, assessment.plan, assessment.observed
        async with store:
            plan_table(
                plan,
                store=target.label,
                source=source,
                rate=store.governor.requests_per_second,
                verbose=args.verbose,
            )
            if plan.problems:
                raise PlanRefused("; ".join(plan.problems))
            if plan.in_sync:
                return EXIT_OK
            if not args.yes:
                if not sys.stdin.isatty():
                    raise CliError(
                        "refusing to apply without confirmation: pass --yes when not at a terminal"
                    )
                answer = await asyncio.to_thread(
                    input, f"Apply {plural(len(plan.steps), 'change')} to {target.label}? [y/N] "
                )
                if answer.strip().lower() not in ("y", "yes"):
                    print("Apply cancelled: nothing applied.")
                    return EXIT_ERROR
            progress = ProgressLine(plan, store.governor)
            try:
                result = await apply(plan, observed, store, progress=progress)
            except asyncio.CancelledError:  # Ctrl-C: say where the store stands
                progress.close()
                interrupted(plan, progress.last or ApplyResult(total=len(plan.steps)))
                raise
            progress.close()
            print("Applied:")
            outcome(result)
            return EXIT_ERROR if result.errors else EXIT_OK

    return _run(run())


async def _saved_plan(
    args: argparse.Namespace, saved: dict[str, Any]
) -> tuple[StoreTarget, str, Plan, ObservedCatalog, BigCommerceStore]:
    """A saved plan, checked against the store it was made for as that store is now."""
    target = store_target(args.store, args.environment, args.token_file)
    try:
        plan = Plan.from_json(saved)
    except PlanFormatError as error:
        raise CliError(f"{args.catalog}: {error}") from None
    if saved.get("store") != target.label:
        raise CliError(f"{args.catalog} is a plan for {saved.get('store')}, not for {target.label}")
    store = _client(target, args)
    try:
        observed = await store.observe({k for s in plan.steps for k in (top_of(s.kind), s.kind)})
    except BaseException:
        await store.close()
        raise
    if touched_digest(plan, observed) != saved["observedDigest"]:
        await store.close()
        raise CliError(
            f"{target.label} changed since the plan in {args.catalog} was made: nothing applied; "
            "make and review a new plan"
        )
    return target, f"the plan in {args.catalog}", plan, observed, store


def cmd_capture(args: argparse.Namespace) -> int:
    """`stagingpro capture`."""

    async def run() -> int:
        target = store_target(args.store, args.environment, args.token_file)
        async with _client(target, args) as store:
            catalog = await capture_to_directory(store, args.output, layout=args.layout)
        print(f"captured {target.label} into {args.output}: {counts_text(catalog.counts())}")
        if args.commit or args.push:
            _commit(args, capture_message(args.name, target.store_hash, catalog))
        return EXIT_OK

    return _run(run())


def cmd_validate(args: argparse.Namespace) -> int:
    """`stagingpro validate`: the catalog's problems, offline."""

    async def run() -> int:
        resolved = await asyncio.to_thread(
            load_catalog, args.catalog, CACHE / "git", allow_empty=args.allow_empty
        )
        print(f"{resolved.source}: valid ({counts_text(resolved.catalog.counts())})")
        return EXIT_OK

    return _run(run())


def _commit(args: argparse.Namespace, message: str) -> None:
    try:
        repo = git.Repo(args.output, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise CliError(f"--commit: {args.output} is not inside a Git work tree") from None
    repo.git.add("-A", "--", str(args.output.resolve()))
    if not repo.is_dirty(index=True, working_tree=False, untracked_files=False):
        print("nothing changed: no commit")
        return
    repo.git.commit("-q", "-m", message)
    print(f"committed {repo.head.commit.hexsha[:12]}: {message}")
    if args.push:
        try:
            repo.git.push("-q")
        except git.GitCommandError as error:
            raise CliError(f"--push failed: {redact(str(error.stderr)).strip()[:200]}") from None
        print("pushed")


def _run(coro: Any) -> int:
    """Run a command's coroutine, turning expected errors into one clear line."""
    try:
        result: int = asyncio.run(coro)
        return result
    except CatalogInvalid as error:
        print(f"error: {plural(len(error.problems), 'problem')} in the catalog:", file=sys.stderr)
        for problem in error.problems[:20]:
            print(f"  {problem}", file=sys.stderr)
        if len(error.problems) > 20:
            print(f"  ... and {len(error.problems) - 20} more", file=sys.stderr)
        return EXIT_ERROR
    except StagingProError as error:
        raise CliError(str(error)) from None
