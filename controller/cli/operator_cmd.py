"""`stagingpro operator`: run the Kubernetes operator (kopf), as the image, the chart, the tests and a
person at a terminal all do."""

from __future__ import annotations

import argparse
import os
import socket
import tempfile
from pathlib import Path
from typing import Any

from controller.access import BIGCOMMERCE_API_ORIGIN, ORIGINS_ENV, AccessPolicy
from controller.cli.errors import CliError
from controller.notify import REVIEW_URL_ENV, NotifySettings
from controller.operator.config import OperatorConfig
from controller.stores.hooks import WebhookConfig


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
    add_allowed_origins(parser)
    parser.add_argument(
        "--approval-poll",
        type=float,
        default=15.0,
        help="seconds between looks at a deployment awaiting approval",
    )
    parser.add_argument(
        "--snapshot-poll",
        type=float,
        default=60.0,
        help="seconds between resolutions of a Git snapshot's ref",
    )
    parser.add_argument(
        "--heavy-checks",
        type=int,
        default=1,
        help="environments that read their whole store or plan at once (the memory peaks of a "
        "check; the others wait)",
    )
    parser.add_argument(
        "--catalog-cache-mib",
        type=int,
        default=256,
        help="memory for desired catalogs kept between checks (estimated; the newest is kept)",
    )
    parser.add_argument(
        "--webhook-url",
        help="where the stores reach the webhook receiver (an https ingress to --webhook-port); "
        "without it, stores are read incrementally at each environment's interval",
    )
    parser.add_argument(
        "--webhook-port", type=int, default=8443, help="the webhook receiver's port"
    )
    parser.add_argument(
        "--webhook-key-file",
        type=Path,
        help="the key the environments' webhook secrets derive from (default: a new one at each "
        "start; the hooks are given the new secrets)",
    )
    parser.add_argument(
        "--ui-port",
        type=int,
        help="serve the read-only web UI on this port (environments, deployments, each target's "
        "plan as its review page; put it behind your ingress and authentication); off without it",
    )
    parser.add_argument("--ui-address", default="0.0.0.0", help="the address the web UI listens on")
    parser.add_argument(
        "--review-url",
        default=os.environ.get(REVIEW_URL_ENV),
        help=f"the base URL of the plans' review pages, linked from notifications (${REVIEW_URL_ENV})",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(os.environ.get("STAGINGPRO_CACHE_DIR", "/var/cache/stagingpro")),
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Check what the operator needs (Kubernetes configuration, a writable cache), then run it."""
    if not args.namespace and not args.all_namespaces:
        raise CliError("name the namespaces to watch with --namespace, or pass --all-namespaces")
    config = OperatorConfig(
        namespaces=tuple(args.namespace),
        all_namespaces=args.all_namespaces,
        tick=args.tick,
        metrics_port=args.metrics_port or None,
        health_port=args.health_port or None,
        cache_dir=args.cache_dir,
        approval_poll=args.approval_poll,
        snapshot_poll=args.snapshot_poll,
        shard=args.shard,
        standalone=args.standalone,
        peering=args.peering,
        identity=socket.gethostname(),
        access=allowed_origins(args.allowed_api_origin),
        webhooks=_webhooks(args),
        heavy_checks=_positive(args.heavy_checks, "--heavy-checks"),
        catalog_cache_bytes=_positive(args.catalog_cache_mib, "--catalog-cache-mib") * 2**20,
        webhook_port=args.webhook_port,
        ui_port=args.ui_port,
        ui_host=args.ui_address,
        notify=NotifySettings(review_url=args.review_url or None),
    )
    _check_cache(config.cache_dir)
    _check_kubernetes()
    import kopf

    from controller.operator.handlers import run_operator

    kopf.configure(verbose=args.verbose, log_format=kopf.LogFormat[args.log_format.upper()])
    run_operator(config)
    return 0


def _positive(value: int, flag: str) -> int:
    if value < 1:
        raise CliError(f"{flag} {value}: expected at least 1")
    return value


def _webhooks(args: argparse.Namespace) -> WebhookConfig | None:
    """The receiver's settings, or None without --webhook-url."""
    if args.webhook_url is None:
        if args.webhook_key_file is not None:
            raise CliError("--webhook-key-file needs --webhook-url")
        return None
    if not args.webhook_url.startswith(("https://", "http://")):
        raise CliError(f"--webhook-url {args.webhook_url!r}: expected an https:// URL")
    if args.webhook_key_file is None:
        return WebhookConfig(args.webhook_url)
    try:
        key = args.webhook_key_file.read_bytes().strip()
    except OSError as error:
        raise CliError(f"--webhook-key-file {args.webhook_key_file}: {error.strerror}") from None
    if len(key) < 16:
        raise CliError(f"--webhook-key-file {args.webhook_key_file}: at least 16 bytes are needed")
    return WebhookConfig(args.webhook_url, key)


def _check_cache(directory: Path) -> None:
    """A misconfigured cache directory is one line and exit 1, not an operator retrying forever."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as error:
        raise CliError(
            f"cache directory {directory} is not writable: {error.strerror or error}"
        ) from None


def _check_kubernetes() -> None:
    from kubernetes import config

    from controller.operator.kube import load_client

    try:
        load_client()
    except (config.ConfigException, OSError, ValueError) as error:
        raise CliError(
            f"no Kubernetes configuration: not running in a cluster and {error} "
            "(set KUBECONFIG or run in a pod)"
        ) from None


def add_allowed_origins(parser: argparse.ArgumentParser) -> None:
    """`--allowed-api-origin`, shared by `operator` and `run`."""
    parser.add_argument(
        "--allowed-api-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="an API origin stores may be at, scheme://host[:port] (repeatable; also "
        f"${ORIGINS_ENV}, comma-separated; default {BIGCOMMERCE_API_ORIGIN} only)",
    )


def allowed_origins(flags: list[str], *, allow_local_git: bool = False) -> AccessPolicy:
    """The access policy from `--allowed-api-origin` flags and `$STAGINGPRO_ALLOWED_API_ORIGINS`."""
    try:
        return AccessPolicy.configured(flags, allow_local_git=allow_local_git)
    except ValueError as error:
        raise CliError(str(error)) from None
