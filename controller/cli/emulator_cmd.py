"""`stagingpro emulator`: serve emulated BigCommerce stores on loopback."""

from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from controller.catalog.files import load_directory
from controller.catalog.model import CatalogInvalid
from controller.cli.errors import CliError

if TYPE_CHECKING:  # the emulator (aiohttp, SQLite) is loaded by this command only
    from controller.emulator import Emulator

EPILOG = """examples:
  stagingpro emulator --store production:prodtoken --store sandbox:sandtoken
  stagingpro emulator --db stores.db --store production:t --seed production=1000
  stagingpro emulator --store production:t --seed production=examples/catalog
  stagingpro emulator --store legacy:t --seed-v2 legacy=1000    # an older store: option sets, rules, SKUs
  stagingpro emulator --store production:t --rate-limit 45 --window-ms 3000 --error-rate 0.1

admin API (never under /stores/): GET /__emulator/stores, PUT /__emulator/stores/HASH/faults,
GET|DELETE /__emulator/stores/HASH/stats, PUT /__emulator/stores/HASH/rate-limit,
POST /__emulator/stores/HASH/reset, POST /__emulator/stores/HASH/seed {"products": N}
(with "v2": true, the V2 catalog of an older store)
"""


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add `emulator` to the command line."""
    parser = sub.add_parser(
        "emulator",
        help="serve emulated BigCommerce stores (the embedded default)",
        description="Serve BigCommerce-compatible stores under /stores/HASH/, persisted in SQLite.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8765, help="port (default 8765; 0 = any free port)"
    )
    parser.add_argument(
        "--db", default=":memory:", help="SQLite file that keeps the stores (default: memory)"
    )
    parser.add_argument(
        "--store", action="append", default=[], metavar="HASH:TOKEN", help="a store to serve"
    )
    parser.add_argument(
        "--timezone",
        action="append",
        default=[],
        metavar="HASH=ZONE",
        help="a store's IANA time zone (default America/Chicago)",
    )
    parser.add_argument(
        "--seed",
        action="append",
        default=[],
        metavar="HASH=N",
        help="fill an empty store with N synthetic products",
    )
    parser.add_argument(
        "--seed-v2",
        action="append",
        default=[],
        metavar="HASH=N",
        help="fill an empty store with N products of the V2 catalog: option sets shared by many "
        "products, SKUs, rules with price and weight adjusters",
    )
    parser.add_argument(
        "--rate-limit", type=int, default=450, help="requests per window (0 = unlimited)"
    )
    parser.add_argument(
        "--window-ms", type=int, default=30_000, help="rate-limit window in milliseconds"
    )
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="latency added to every request"
    )
    parser.add_argument(
        "--error-rate", type=float, default=0.0, help="share of 5xx before handling"
    )
    parser.add_argument(
        "--error-after-write-rate",
        type=float,
        default=0.0,
        help="share of writes answered 5xx after they were applied",
    )
    parser.add_argument(
        "--bare-429-rate", type=float, default=0.0, help="share of 429s without headers"
    )
    parser.add_argument("--drop-rate", type=float, default=0.0, help="share of dropped connections")
    parser.add_argument(
        "--slow-body-ms", type=float, default=0.0, help="time to trickle each body out"
    )
    parser.add_argument("--fault-seed", type=int, default=0, help="seed of the fault sequence")
    parser.set_defaults(func=run)


def _pairs(values: list[str], flag: str) -> dict[str, str]:
    out = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key or not rest:
            raise CliError(f"{flag} {value!r}: expected HASH=VALUE")
        out[key] = rest
    return out


def build(args: argparse.Namespace) -> Emulator:
    """An emulator configured from the command line, its stores created and seeded."""
    from controller.emulator import Emulator, FaultConfig, seed_synthetic
    from controller.emulator.runner import parse_store_args
    from controller.emulator.seed import seed_catalog, seed_v2

    try:
        stores = parse_store_args(args.store)
        faults = FaultConfig.from_json(
            {
                "error_rate": args.error_rate,
                "error_after_write_rate": args.error_after_write_rate,
                "bare_429_rate": args.bare_429_rate,
                "drop_rate": args.drop_rate,
                "latency_ms": args.latency_ms,
                "slow_body_ms": args.slow_body_ms,
                "seed": args.fault_seed,
            }
        )
    except ValueError as error:
        raise CliError(str(error)) from error
    zones = _pairs(args.timezone, "--timezone")
    seeds = _pairs(args.seed, "--seed")
    seeds_v2 = _pairs(args.seed_v2, "--seed-v2")
    known = {h for h, _ in stores}
    for flag, mapping in (("--timezone", zones), ("--seed", seeds), ("--seed-v2", seeds_v2)):
        for key in mapping:
            if key not in known:
                raise CliError(f"{flag} {key}: no --store {key}:TOKEN given")
    emulator = Emulator(
        args.db,
        host=args.host,
        port=args.port,
        quota=args.rate_limit,
        window_ms=args.window_ms,
        faults=faults,
    )
    for hash_, token in stores:
        profile = {"timezone": zones[hash_]} if hash_ in zones else {}
        emulator.add_store(hash_, token, **profile)
    for hash_, value in seeds.items():
        if emulator.db.counts(hash_)["products"]:
            continue  # seeded before (a restart on the same --db)
        if value.isdigit():
            seed_synthetic(emulator.db, hash_, int(value))
        elif Path(value).is_dir():
            try:
                seed_catalog(emulator.db, hash_, load_directory(Path(value)))
            except CatalogInvalid as error:
                raise CliError(f"--seed {hash_}={value}: {error}") from None
        else:
            raise CliError(
                f"--seed {hash_}={value}: expected a number of products or a catalog directory"
            )
    for hash_, value in seeds_v2.items():
        if not value.isdigit():
            raise CliError(f"--seed-v2 {hash_}={value}: expected a number of products")
        if hash_ in seeds:
            raise CliError(f"--seed-v2 {hash_}: the store is seeded by --seed already")
        if not emulator.db.counts(hash_)["products"]:
            seed_v2(emulator.db, hash_, int(value))
    return emulator


async def _serve(emulator: Emulator) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    url = await emulator.start()
    print(f"emulator listening on {url} (admin API: {url}/__emulator/stores)", flush=True)
    for store in emulator.db.stores():
        counts = emulator.db.counts(store.hash)
        storefront = await emulator.storefront(store.hash)
        print(
            f"  store {store.hash}: {emulator.store_url(store.hash)} "
            f"({counts['products']} products, time zone {store.timezone}); "
            f"storefront {storefront}",
            flush=True,
        )
    await stop.wait()
    await emulator.stop()
    emulator.db.close()
    print("emulator stopped", flush=True)


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM."""
    emulator = build(args)
    try:
        asyncio.run(_serve(emulator))
    except OSError as error:
        raise CliError(f"cannot listen on {args.host}:{args.port}: {error.strerror}") from error
    return 0
