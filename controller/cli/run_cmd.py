"""`stagingpro run`: the standalone GitOps loop, for teams without a cluster (and the demo)."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from controller.cli.errors import CliError
from controller.cli.render import color
from controller.metrics import Metrics
from controller.standalone import FileWorld, Loop, ManifestError, services_for


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add `run` to the command line."""
    parser = sub.add_parser(
        "run",
        help="reconcile StagingPro manifests without Kubernetes",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Reconcile StoreEnvironments, CatalogSnapshots and StoreDeployments from a directory of "
        "manifests exactly as the operator does, keeping each resource's status in a state "
        "directory (a restarted loop resumes). Secrets are read from --secrets, never from the "
        "manifests' directory.",
        epilog="examples:\n  stagingpro run gitops/ --secrets ~/.stagingpro/secrets --state .stagingpro\n"
        "  stagingpro run gitops/ --secrets secrets/ --once --metrics-port 9090",
    )
    parser.add_argument(
        "manifests", type=Path, help="directory of StagingPro manifests (read again every pass)"
    )
    parser.add_argument("--secrets", type=Path, help="directory of Secret manifests (tokens)")
    parser.add_argument(
        "--state", type=Path, default=Path(".stagingpro"), help="status, events and caches"
    )
    parser.add_argument("--metrics-port", type=int, help="serve Prometheus metrics on this port")
    parser.add_argument(
        "--tick", type=float, default=1.0, help="seconds between passes (default 1)"
    )
    parser.add_argument(
        "--once", action="store_true", help="one pass, then exit (1 if anything is not Ready)"
    )
    parser.set_defaults(func=run)


class Summary:
    """Prints events and status changes as they happen, one line each."""

    def __init__(self, stream: TextIO = sys.stdout):
        self.stream = stream
        self.colored = color(stream)
        self._shown: dict[tuple[str, str, str], str] = {}

    def _stamp(self) -> str:
        return datetime.now().strftime("%H:%M:%S")

    def event(self, obj: dict[str, Any], type_: str, reason: str, message: str) -> None:
        meta = obj.get("metadata", {})
        mark = ("\033[33m!\033[0m" if self.colored else "!") if type_ == "Warning" else "*"
        print(
            f"{self._stamp()} {mark} {obj.get('kind')} {meta.get('name')}: {reason}: {message}",
            file=self.stream,
            flush=True,
        )

    def status(self, key: tuple[str, str, str], status: dict[str, Any]) -> None:
        ready = next((c for c in status.get("conditions", []) if c["type"] == "Ready"), None)
        state = status.get("phase") or (ready["status"] if ready else "?")
        detail = ready.get("message", "") if ready else ""
        print(
            f"{self._stamp()}   {key[0]} {key[2]}: {state} {detail}".rstrip(),
            file=self.stream,
            flush=True,
        )


def run(args: argparse.Namespace) -> int:
    """Run the loop until SIGINT/SIGTERM (or one pass with --once)."""
    if not args.manifests.is_dir():
        raise CliError(f"{args.manifests}: not a directory of manifests")
    summary = Summary()
    world = FileWorld(args.manifests, args.state, args.secrets, on_event=summary.event)
    metrics = Metrics()
    if args.metrics_port is not None:
        metrics.serve(args.metrics_port, host="127.0.0.1")
        print(f"metrics on http://127.0.0.1:{args.metrics_port}/metrics", flush=True)
    loop = Loop(
        world,
        services_for(world, args.state / "cache", metrics),
        tick=args.tick,
        on_change=summary.status,
    )

    async def main() -> int:
        if args.once:
            await loop.run_once()
            not_ready = [k for k in world.refresh() if not _ready(world.status.get(k, {}))]
            for key in not_ready:
                print(f"not ready: {key[0]} {key[1]}/{key[2]}", file=sys.stderr)
            return 1 if not_ready else 0
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        await loop.run(stop)
        return 0

    try:
        return asyncio.run(main())
    except ManifestError as error:
        raise CliError(str(error)) from None


def _ready(status: dict[str, Any]) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions", []))
