"""The HTTP client of one store: `{api_url}/stores/{store_hash}`, the token in one header, the
transport layers of `transport.py`, typed errors for refused requests, and v3 pagination.
Redirects are never followed: the token goes to the store's own URL and nowhere else."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson

from controller.stores.errors import CredentialsRejected, RequestRejected, StoreNotFound
from controller.stores.governor import RateGovernor
from controller.stores.transport import (
    ObservedTransport,
    PacedTransport,
    RequestObserver,
    RetryingTransport,
    RetryNotice,
    RetryPolicy,
    endpoint_of,
    request_extensions,
)

PAGE_LIMIT = 250


def decode(response: httpx.Response) -> Any:
    """The decoded body (orjson: pages of 250 products are the client's hot path)."""
    return orjson.loads(response.content)


class Token:
    """A store access token that never shows itself in a repr, a log line or an error."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value.strip()

    def reveal(self) -> str:
        """The token itself, for the auth header only."""
        return self._value

    def __repr__(self) -> str:
        return "Token('********')"

    __str__ = __repr__


class StoreClient:
    """Requests to one store, paced by its governor, retried, counted; 2xx answers or typed errors."""

    def __init__(
        self,
        api_url: str,
        store_hash: str,
        token: Token,
        *,
        governor: RateGovernor | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        on_response: RequestObserver | None = None,
        on_retry: RetryNotice | None = None,
        rng: random.Random | None = None,
    ):
        self.store_hash = store_hash
        self.base_url = f"{api_url.rstrip('/')}/stores/{store_hash}"
        self.governor = governor or RateGovernor()
        self.retry = retry or RetryPolicy()
        concurrency = self.governor.concurrency
        network = transport or httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        )
        self.requests = 0  # sent so far, retries included
        self._on_response = on_response
        self._retrying = RetryingTransport(
            PacedTransport(ObservedTransport(network, store_hash, self._observe), self.governor),
            store_hash=store_hash,
            governor=self.governor,
            policy=self.retry,
            timeout=timeout,
            rng=rng or random.Random(),
            on_retry=on_retry,
        )
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers={"X-Auth-Token": token.reveal(), "Accept": "application/json"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            transport=self._retrying,
            follow_redirects=False,
            event_hooks={"response": [self._raise_for_status]},
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_url!r})"

    def _observe(self, store_hash: str, method: str, endpoint: str, status: int) -> None:
        self.requests += 1
        if self._on_response is not None:
            self._on_response(store_hash, method, endpoint, status)

    async def close(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> StoreClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def request(
        self,
        method: str,
        path: str,
        *,
        endpoint: str | None = None,
        params: dict[str, Any] | None = None,
        json: Any = None,
        files: dict[str, Any] | None = None,
        retry_unsafe: bool = True,
    ) -> httpx.Response:
        """One API call; returns a 2xx response or raises a typed error.

        `retry_unsafe=False` keeps a write from being resent after a failure that may have
        happened after the store applied it (for writes that no natural key would catch twice).
        """
        return await self._http.request(
            method,
            path,
            params=params,
            json=json,
            files=files,
            extensions=request_extensions(endpoint or path, retry_unsafe=retry_unsafe),
        )

    async def data(self, method: str, path: str, endpoint: str, **kwargs: Any) -> Any:
        """The `data` member of a v3 answer (None for an empty body)."""
        response = await self.request(method, path, endpoint=endpoint, **kwargs)
        return decode(response).get("data") if response.content else None

    async def pages(
        self, path: str, params: dict[str, Any] | None = None
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Every page of a v3 list at `limit=250`; after the first page the others are fetched
        concurrently (bounded by the governor) and yielded as they arrive."""
        params = {**(params or {}), "limit": PAGE_LIMIT}
        first = decode(await self.request("GET", path, params={**params, "page": 1}))
        total_pages = int(first.get("meta", {}).get("pagination", {}).get("total_pages", 1))
        data: list[dict[str, Any]] = first.pop("data")
        del first
        yield data
        del data
        if total_pages <= 1:
            return

        async def fetch(page: int) -> httpx.Response:
            return await self.request("GET", path, params={**params, "page": page})

        # At most `ahead` pages are asked for and not yet taken by the caller (a caller slower
        # than the store would otherwise have every page of a whole store waiting in memory);
        # a page taken is the caller's alone.
        ahead = 2 * self.governor.concurrency
        waiting = iter(range(2, total_pages + 1))
        tasks: set[asyncio.Future[httpx.Response]] = set()

        def ask(arrived: int) -> None:
            for page in itertools.islice(waiting, max(0, ahead - len(tasks) - arrived)):
                tasks.add(asyncio.ensure_future(fetch(page)))

        ask(0)
        arrived: list[asyncio.Future[httpx.Response]] = []
        try:
            while tasks:
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                tasks.difference_update(done)
                arrived = list(done)
                del done
                while arrived:
                    # decoded only when its turn comes: one page at a time is held as objects
                    data = decode(arrived.pop().result())["data"]
                    ask(len(arrived))  # the store keeps working while the caller reads this
                    yield data
                    del data
        except BaseException as stopped:  # a page failed, or the reader stopped: no page is left
            for task in tasks:  # running, and an error another page had is not lost
                task.cancel()
            for result in await asyncio.gather(*tasks, *arrived, return_exceptions=True):
                if isinstance(result, Exception) and result is not stopped:
                    stopped.add_note(f"also: {type(result).__name__}: {result}")
            raise

    async def _raise_for_status(self, response: httpx.Response) -> None:
        """Response hook: a refused request (or a redirect, never followed) becomes a typed error."""
        if response.status_code < 300:
            return
        await response.aread()
        raise self._rejected(response)

    def _rejected(self, response: httpx.Response) -> Exception:
        status = response.status_code
        method, endpoint = response.request.method, endpoint_of(response.request)
        what = f"store {self.store_hash}: {method} {endpoint}"
        if status < 400:
            return RequestRejected(
                f"{what} answered {status}, a redirect: not followed, since the token is only "
                "sent to the store's own URL",
                status=status,
            )
        if status in (401, 403):
            return CredentialsRejected(
                f"store {self.store_hash} rejected the credentials ({status}) on {method} {endpoint}: "
                "check the token in the Secret and its API scopes"
            )
        # A proxy (or anyone) may echo the request headers back: the token goes no further.
        token = self._http.headers.get("X-Auth-Token", "").encode()
        raw = response.content.replace(token, b"********") if token else response.content
        try:
            body = orjson.loads(raw)
        except ValueError:
            body = {}
        if isinstance(body, list) and body and isinstance(body[0], dict):
            body = {"title": body[0].get("message")}  # the V2 API's list of {status, message}
        if not isinstance(body, dict):
            body = {}
        if isinstance(body.get("errors"), dict) and "status" in body["errors"]:
            body = body["errors"]  # the category-trees API nests its error object
        title = str(body.get("title") or response.reason_phrase)
        errors = body.get("errors") if isinstance(body.get("errors"), dict) else {}
        if status == 404 and endpoint in ("/v2/store", "/v2/time"):
            return StoreNotFound(f"no store {self.store_hash} at {self.base_url}")
        details = "; ".join(f"{k}: {v}" for k, v in errors.items())
        return RequestRejected(
            f"{what} answered {status}: {title}" + (f" ({details})" if details else ""),
            status=status,
            errors=errors,
            title=title,
        )
