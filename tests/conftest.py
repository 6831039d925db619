"""Shared fixtures: the emulator on a free loopback port, the official API specs."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from controller.emulator import Emulator
from controller.stores import BigCommerceStore, RetryPolicy, Token

ROOT = Path(__file__).resolve().parents[1]
PROD_TOKEN = "prod-token-0123456789"
SANDBOX_TOKEN = "sandbox-token-9876543210"


def specs_dir() -> Path:
    """The official BigCommerce OpenAPI specs (never copied into the project). Without them the
    tests that need them skip, saying how to get them; in CI (`CI=true`) they fail instead."""
    path = Path(os.environ.get("STAGINGPRO_API_SPECS", ROOT.parent / "shared" / "bigcommerce-api"))
    if not (path / "reference").is_dir():
        message = (
            f"the official BigCommerce OpenAPI specs are not at {path}: "
            f"git clone https://github.com/bigcommerce/docs {path} "
            "(or set STAGINGPRO_API_SPECS to a checkout of it)"
        )
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    """Two stores, `production` (New York) and `sandbox` (London), no rate limit."""
    emu = Emulator(quota=0, theme_job_seconds=0.05)
    emu.add_store("production", PROD_TOKEN, timezone="America/New_York", name="Production Store")
    emu.add_store("sandbox", SANDBOX_TOKEN, timezone="Europe/London", name="Sandbox Store")
    async with emu:
        yield emu


@pytest.fixture
async def prod(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    """A raw HTTP client on the production store's v3 API."""
    async with httpx.AsyncClient(
        base_url=emulator.store_url("production") + "/v3", headers={"X-Auth-Token": PROD_TOKEN}
    ) as client:
        yield client


FAST_RETRY = RetryPolicy(attempts=8, backoff=0.01, max_backoff=0.05)


@pytest.fixture
async def stores(emulator: Emulator) -> AsyncIterator[tuple[BigCommerceStore, BigCommerceStore]]:
    """Store clients of `production` and `sandbox` that retry fast."""
    async with (
        BigCommerceStore(emulator.url, "production", Token(PROD_TOKEN), retry=FAST_RETRY) as prod,
        BigCommerceStore(
            emulator.url, "sandbox", Token(SANDBOX_TOKEN), retry=FAST_RETRY
        ) as sandbox,
    ):
        yield prod, sandbox
