"""A counting HTTP proxy in front of the emulator, in its own process: every request is forwarded
over real loopback HTTP and counted by method and path (ids folded into `{id}`), so that a
benchmark counts what a client sent, not what the server says it served.

`python -m bench.proxy UPSTREAM` prints `listening on URL`; `GET /__proxy/counts` answers
`{"METHOD /path": n, ...}` and `DELETE /__proxy/counts` forgets them."""

from __future__ import annotations

import asyncio
import re
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import aiohttp
import httpx
from aiohttp import web
from yarl import URL

from bench.common import child_server

COUNTS = "/__proxy/counts"
_ID = re.compile(r"/\d+(?=/|$)")
_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"}
)


def endpoint(path: str) -> str:
    """A path with its ids folded: `/stores/big/v3/catalog/products/{id}/images`."""
    return _ID.sub("/{id}", path)


def app(upstream: str) -> web.Application:
    """The proxy: forwards everything to `upstream`, counting each request."""
    counts: Counter[str] = Counter()
    application = web.Application(client_max_size=64 * 2**20)

    async def session(application: web.Application) -> AsyncIterator[None]:
        application["session"] = aiohttp.ClientSession(
            auto_decompress=False, connector=aiohttp.TCPConnector(limit=64)
        )
        yield
        await application["session"].close()

    async def forward(request: web.Request) -> web.StreamResponse:
        if request.path == COUNTS:
            if request.method == "DELETE":
                counts.clear()
            return web.json_response(dict(counts))
        counts[f"{request.method} {endpoint(request.path)}"] += 1
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        async with application["session"].request(
            request.method,
            URL(upstream + request.raw_path, encoded=True),  # the query exactly as sent
            headers=headers,
            data=await request.read() if request.can_read_body else None,
            allow_redirects=False,
        ) as answer:
            body = await answer.read()
            kept = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP}
            return web.Response(status=answer.status, body=body, headers=kept)

    application.cleanup_ctx.append(session)
    application.router.add_route("*", "/{tail:.*}", forward)
    return application


@contextmanager
def counting_proxy(upstream: str) -> Iterator[str]:
    """A proxy to `upstream` in a child process; yields its URL."""
    with child_server([sys.executable, "-m", "bench.proxy", upstream]) as (url, _):
        yield url


def counts(proxy: str) -> Counter[str]:
    """The requests counted since the last reset, by `METHOD /path`."""
    return Counter(httpx.get(f"{proxy}{COUNTS}").json())


def reset(proxy: str) -> None:
    """Forget the counts."""
    httpx.delete(f"{proxy}{COUNTS}")


def summary(found: Counter[str], store: str) -> str:
    """`N requests (GET /v3/catalog/products 400, ...)`, the store's prefix left out."""
    prefix = f"/stores/{store}"
    parts = [
        f"{what.replace(prefix, '')} {n}" for what, n in sorted(found.items(), key=lambda i: -i[1])
    ]
    return f"{sum(found.values())} requests ({', '.join(parts)})"


def main(upstream: str) -> None:
    """Serve until terminated."""

    async def serve() -> None:
        runner = web.AppRunner(app(upstream.rstrip("/")), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        print(f"listening on http://127.0.0.1:{runner.addresses[0][1]}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(serve())


if __name__ == "__main__":
    main(sys.argv[1])
