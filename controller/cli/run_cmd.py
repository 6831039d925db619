"""`stagingpro run`: the standalone GitOps loop, for teams without a cluster (and the demo)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import signal
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from controller.access import AccessPolicy
from controller.api.conditions import kstatus
from controller.cli.errors import CliError
from controller.cli.inputs import GIT_SPEC
from controller.cli.operator_cmd import add_allowed_origins, allowed_origins
from controller.cli.render import color
from controller.gitsource import GitCache


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
        "manifests",
        help="directory of StagingPro manifests, or git+URL@REF#path (read again every pass; a Git ref "
        "is re-resolved every --git-interval seconds)",
    )
    parser.add_argument(
        "--git-interval", type=float, default=30.0, help="seconds between Git fetches"
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
        "--once",
        action="store_true",
        help="reconcile until nothing is due at once, then exit: 1 if anything is in progress or "
        "failed (kstatus), 0 when all is Current (a scheduled or awaiting deployment is)",
    )
    add_allowed_origins(parser)
    parser.add_argument(
        "--allow-local-git",
        action="store_true",
        help="let manifests name local Git repositories (paths, file://); refused by default",
    )
    parser.add_argument(
        "--ui-port",
        type=int,
        help="serve the read-only web UI (as the operator's: environments, deployments, each "
        "target's plan as its review page) on http://127.0.0.1:PORT; not with --once",
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
    # the loop's parts (aiohttp for notifications, the reconcilers) load with this command only
    from controller.metrics import Metrics
    from controller.notify import Notifier, NotifySettings
    from controller.standalone import FileWorld, Loop, ManifestError, services_for
    from controller.ui import WebUI
    from controller.ui.view import Sources

    source = (
        GitManifests(args.manifests, args.state, args.git_interval)
        if args.manifests.startswith("git+")
        else None
    )
    directory = source.directory if source else Path(args.manifests)
    if source is None and not directory.is_dir():
        raise CliError(f"{args.manifests}: not a directory of manifests (or git+URL@REF#path)")
    summary = Summary()
    world = FileWorld(directory, args.state, args.secrets, on_event=summary.event)
    metrics = Metrics()
    if args.metrics_port is not None:
        metrics.serve(args.metrics_port, host="127.0.0.1")
        print(f"metrics on http://127.0.0.1:{args.metrics_port}/metrics", flush=True)
    services = services_for(
        world,
        args.state / "cache",
        metrics,
        allowed_origins(args.allowed_api_origin, allow_local_git=args.allow_local_git),
        NotifySettings.from_env(),
    )
    sources = None
    if args.ui_port is not None and not args.once:
        sources = Sources()
        services.reviews = sources.reviews

    async def before_pass() -> None:
        if sources is not None:  # what the web UI shows: the objects as the last pass left them
            sources.objects.replace(world.view(key) for key in list(world.objects))
        if source is not None:
            await source.refresh()

    loop = Loop(world, services, tick=args.tick, on_change=summary.status, before_pass=before_pass)

    async def main() -> int:
        if args.once:
            await loop.settle()
            if isinstance(notifier := loop.services.observer, Notifier):
                # what settling announced is sent before exiting (a failing endpoint costs 15 s)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(15):
                        await notifier.drain()
            unsettled = [
                (k, state)
                for k in world.refresh()
                if (state := kstatus(world.view(k))) != "Current"
            ]
            for (kind, namespace, name), state in unsettled:
                print(f"{state}: {kind} {namespace}/{name}", file=sys.stderr)
            return 1 if unsettled else 0
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        ui = WebUI(sources) if sources is not None else None
        if ui is not None:
            port = await ui.start(args.ui_port, "127.0.0.1")
            print(f"web UI on http://127.0.0.1:{port}/", flush=True)
        try:
            await loop.run(stop)
        finally:
            if ui is not None:
                await ui.stop()
        return 0

    try:
        return asyncio.run(main())
    except ManifestError as error:
        raise CliError(str(error)) from None


class GitManifests:
    """Manifests from a Git repository: the ref is re-resolved at most every `interval` seconds and
    the files at the new commit replace the checkout the loop reads."""

    def __init__(self, spec: str, state: Path, interval: float):
        match = GIT_SPEC.match(spec)
        if match is None:
            raise CliError(f"{spec!r}: expected git+URL@REF#path")
        self.url, self.ref, self.path = match["url"], match["ref"] or "main", match["path"] or "."
        # The person running the command names this URL: a local repository is theirs to read.
        self.cache = GitCache(state / "cache" / "git", policy=AccessPolicy.personal())
        self.directory = state / "manifests"
        self.interval = interval
        self._next = 0.0
        self.revision: str | None = None

    async def refresh(self) -> None:
        """Fetch when due; replace the checkout when the commit changed."""
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + self.interval
        revision = await asyncio.to_thread(self.cache.resolve, self.url, self.ref)
        if revision.sha == self.revision:
            return
        files = await asyncio.to_thread(self.cache.read, self.url, revision.sha, self.path)
        fresh = self.directory.with_name("manifests.new")
        shutil.rmtree(fresh, ignore_errors=True)
        for name, data in files.items():
            (fresh / name).parent.mkdir(parents=True, exist_ok=True)
            (fresh / name).write_bytes(data)
        fresh.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.directory, ignore_errors=True)
        fresh.rename(self.directory)
        self.revision = revision.sha
        print(
            f"manifests at {revision.sha[:12]} ({revision.url}@{self.ref}#{self.path})", flush=True
        )
