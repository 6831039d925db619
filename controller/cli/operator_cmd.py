"""`stagingpro operator`: run the Kubernetes operator (kopf), as the image, the chart, the tests and a
person at a terminal all do."""

from __future__ import annotations

import argparse
import importlib
import os
from pathlib import Path
from typing import Any

from controller.cli.errors import CliError
from controller.operator.config import OperatorConfig


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add `operator` to the command line."""
    parser = sub.add_parser(
        "operator",
        help="run the Kubernetes operator",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Watch StoreEnvironments, CatalogSnapshots and StoreDeployments and keep the stores where "
        "they say. Uses the in-cluster configuration, else $KUBECONFIG.",
        epilog="examples:\n  stagingpro operator --namespace shop --namespace outlet\n"
        "  stagingpro operator --all-namespaces --metrics-port 8080 --health-port 8081 --log-format json",
    )
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument(
        "--namespace", "-n", action="append", default=[], help="a namespace to watch (repeatable)"
    )
    scope.add_argument("--all-namespaces", "-A", action="store_true", help="watch every namespace")
    parser.add_argument(
        "--metrics-port", type=int, default=8080, help="Prometheus metrics (0 disables)"
    )
    parser.add_argument(
        "--health-port", type=int, default=8081, help="liveness probe at /healthz (0 disables)"
    )
    parser.add_argument("--standalone", action="store_true", help="no peering with other replicas")
    parser.add_argument(
        "--peering", default="stagingpro", help="peering object name (replicas and shards)"
    )
    parser.add_argument("--log-format", choices=("plain", "full", "json"), default="full")
    parser.add_argument(
        "--tick", type=float, default=5.0, help="seconds between each object's level checks"
    )
    parser.add_argument(
        "--shard",
        help="only objects labelled stagingpro.io/shard=SHARD (releases split a large fleet)",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(os.environ.get("STAGINGPRO_CACHE_DIR", "/var/cache/stagingpro")),
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Start kopf with the handlers of `controller.operator.handlers`."""
    if not args.namespace and not args.all_namespaces:
        raise CliError("name the namespaces to watch with --namespace, or pass --all-namespaces")
    config = OperatorConfig(
        tick=args.tick,
        metrics_port=args.metrics_port or None,
        cache_dir=args.cache_dir,
        shard=args.shard,
    )
    os.environ.update(config.to_env())  # the handlers module reads its settings from here
    import kopf

    kopf.configure(verbose=args.verbose, log_format=kopf.LogFormat[args.log_format.upper()])
    importlib.import_module("controller.operator.handlers")  # registers the handlers
    kopf.run(
        standalone=args.standalone,
        peering_name=None if args.standalone else args.peering,
        clusterwide=args.all_namespaces,
        namespaces=args.namespace,
        liveness_endpoint=f"http://0.0.0.0:{args.health_port}/healthz"
        if args.health_port
        else None,
    )
    return 0
