"""The store HTTP client's layers against real sockets: retries within a budget and a deadline,
every attempt counted, one-line connection errors, redirects never followed with the token."""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from collections.abc import AsyncIterator
from typing import Any

import aiohttp.web
import orjson
import pytest

from controller.emulator import Emulator
from controller.emulator.control import FaultConfig
from controller.stores import (
    RateGovernor,
    RequestRejected,
    RetryPolicy,
    StoreClient,
    StoreUnavailable,
    Token,
)
from tests.conftest import PROD_TOKEN
from tests.support.gitservers import free_port

FAST = RetryPolicy(attempts=4, backoff=0.01, max_backoff=0.02)


@pytest.fixture
async def silent() -> AsyncIterator[str]:
    """A server that accepts connections and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def accept(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}"
        for writer in held:
            writer.close()


@pytest.fixture
async def redirecting() -> AsyncIterator[tuple[str, list[dict[str, str]]]]:
    """A store URL that redirects every request to another server, which records what it gets."""
    seen: list[dict[str, str]] = []

    async def record(request: aiohttp.web.Request) -> aiohttp.web.Response:
        seen.append(dict(request.headers))
        return aiohttp.web.json_response({"data": []})

    elsewhere = aiohttp.web.Application()
    elsewhere.router.add_route("*", "/{tail:.*}", record)
    other_port = free_port()

    async def redirect(request: aiohttp.web.Request) -> aiohttp.web.Response:
        raise aiohttp.web.HTTPMovedPermanently(f"http://127.0.0.1:{other_port}{request.path}")

    app = aiohttp.web.Application()
    app.router.add_route("*", "/{tail:.*}", redirect)
    runners = [aiohttp.web.AppRunner(app), aiohttp.web.AppRunner(elsewhere)]
    port = free_port()
    for runner, bound in zip(runners, (port, other_port), strict=True):
        await runner.setup()
        await aiohttp.web.TCPSite(runner, "127.0.0.1", bound).start()
    yield f"http://127.0.0.1:{port}", seen
    for runner in runners:
        await runner.cleanup()


async def test_a_failing_store_is_retried_within_the_policy_and_every_attempt_counted(
    emulator: Emulator,
) -> None:
    emulator.control("production").faults.configure(FaultConfig(error_rate=1.0, seed=1))
    observed: list[tuple[str, str, str, int]] = []
    notices: list[str] = []
    async with StoreClient(
        emulator.url,
        "production",
        Token(PROD_TOKEN),
        retry=FAST,
        on_response=lambda *args: observed.append(args),
        on_retry=notices.append,
    ) as client:
        with pytest.raises(StoreUnavailable, match=r"GET /v2/store still answered 50\d after 4"):
            await client.request("GET", "/v2/store")
        assert client.requests == 4
    assert [o[:3] for o in observed] == [("production", "GET", "/v2/store")] * 4
    assert all(status >= 500 for *_, status in observed)
    assert len(notices) == 3
    assert notices[0].startswith("store production: GET /v2/store: answered 50")
    assert notices[-1].endswith("(attempt 4 of 4)")


async def test_the_retry_budget_stops_hammering_a_store_that_keeps_failing(
    emulator: Emulator,
) -> None:
    emulator.control("production").faults.configure(FaultConfig(error_rate=1.0, seed=1))
    policy = RetryPolicy(attempts=4, backoff=0.01, max_backoff=0.02, budget=2)
    async with StoreClient(emulator.url, "production", Token(PROD_TOKEN), retry=policy) as client:
        with pytest.raises(StoreUnavailable):
            await client.request("GET", "/v2/store")
        with pytest.raises(StoreUnavailable, match="after 1 attempts"):
            await client.request("GET", "/v2/store")
        assert client.requests == 4  # 1 + 2 retries, then 1 with the budget spent


async def test_a_write_that_may_have_been_applied_is_not_resent(emulator: Emulator) -> None:
    emulator.control("production").faults.configure(FaultConfig(error_rate=1.0, seed=1))
    async with StoreClient(emulator.url, "production", Token(PROD_TOKEN), retry=FAST) as client:
        with pytest.raises(StoreUnavailable, match=r"POST /v3/catalog/brands answered 50\d"):
            await client.request(
                "POST", "/v3/catalog/brands", json={"name": "X"}, retry_unsafe=False
            )
        assert client.requests == 1


async def test_a_store_that_does_not_answer_gives_up_at_the_deadline(silent: str) -> None:
    policy = RetryPolicy(attempts=6, backoff=0.05, max_backoff=0.1, deadline=1.0)
    started = asyncio.get_running_loop().time()
    async with StoreClient(silent, "abc", Token(PROD_TOKEN), timeout=0.4, retry=policy) as client:
        with pytest.raises(StoreUnavailable) as raised:
            await client.request("GET", "/v2/store")
        assert 1 < client.requests <= 3
    assert asyncio.get_running_loop().time() - started < 3
    host = silent.removeprefix("http://")
    assert (
        str(raised.value)
        == f"store abc: GET /v2/store: no answer from {host}: timed out after 0.4s"
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("refused", "connection to 127.0.0.1:{port} refused", id="refused"),
        pytest.param("tls", "TLS handshake with 127.0.0.1:{port} failed", id="TLS"),
        pytest.param(
            "http://no-such-store.invalid", "DNS lookup of no-such-store.invalid failed", id="DNS"
        ),
    ],
)
async def test_connection_errors_say_what_failed_in_one_line(
    emulator: Emulator, url: str, expected: str
) -> None:
    port = free_port()
    if url == "refused":
        url = f"http://127.0.0.1:{port}"
    elif url == "tls":
        port = int(emulator.url.rsplit(":", 1)[1])
        url = f"https://127.0.0.1:{port}"  # TLS spoken to a plain HTTP server
    async with StoreClient(url, "abc", Token(PROD_TOKEN), retry=FAST) as client:
        with pytest.raises(StoreUnavailable) as raised:
            await client.request("GET", "/v2/store")
    message = str(raised.value)
    assert message.startswith(f"store abc: GET /v2/store: {expected.format(port=port)}")
    assert "\n" not in message
    assert PROD_TOKEN not in message


async def test_a_redirect_is_refused_and_the_token_never_follows_it(
    redirecting: tuple[str, list[dict[str, Any]]],
) -> None:
    url, seen_elsewhere = redirecting
    async with StoreClient(url, "abc", Token(PROD_TOKEN), retry=FAST) as client:
        with pytest.raises(
            RequestRejected, match="answered 301, a redirect: not followed"
        ) as raised:
            await client.request("GET", "/v3/catalog/brands")
    assert raised.value.status == 301
    assert seen_elsewhere == []
    assert PROD_TOKEN not in str(raised.value)
    assert PROD_TOKEN not in repr(client)


async def test_time_waiting_for_the_rate_limit_is_wall_time_not_summed_over_requests() -> None:
    governor = RateGovernor(concurrency=8)
    waits: list[float] = []
    governor.on_wait = waits.append
    governor.block_for(0.3)

    async def one() -> None:
        async with governor.slot():
            pass

    started = time.monotonic()
    await asyncio.gather(*(one() for _ in range(8)))
    elapsed = time.monotonic() - started
    assert 0.25 <= governor.wait_seconds <= elapsed + 0.01
    assert sum(waits) == pytest.approx(governor.wait_seconds)


async def test_reading_a_long_list_holds_only_the_pages_being_read() -> None:
    """A whole store is read page by page: a page the caller is done with is freed at once,
    whatever the number of pages (else a 100k-product store stays in memory as JSON)."""
    pages = 100
    item = {"id": 1, "description": "x" * 400, "name": "Product", "price": 10.5}
    body = orjson.dumps({"data": [item] * 1000, "meta": {"pagination": {"total_pages": pages}}})

    async def listing(_: aiohttp.web.Request) -> aiohttp.web.Response:
        return aiohttp.web.Response(body=body, content_type="application/json")

    app = aiohttp.web.Application()
    app.router.add_get("/stores/big/v3/catalog/products", listing)
    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await aiohttp.web.TCPSite(runner, "127.0.0.1", port).start()
    tracemalloc.start()
    try:
        one_page = tracemalloc.get_traced_memory()[0]
        decoded = orjson.loads(body)
        one_page = tracemalloc.get_traced_memory()[0] - one_page
        del decoded
        async with StoreClient(f"http://127.0.0.1:{port}", "big", Token("t")) as client:
            tracemalloc.reset_peak()
            start = tracemalloc.get_traced_memory()[0]
            seen = 0
            async for page in client.pages("/v3/catalog/products"):
                seen += len(page)
            peak = tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()
        await runner.cleanup()
    assert seen == pages * 1000
    assert peak < 50 * one_page, f"{peak / one_page:.0f} pages held at once"
