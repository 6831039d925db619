"""A real headless Chromium, from the distribution's packages (Debian's `chromium`), driven by
Playwright: never a browser Playwright downloads. Without it the browser tests skip, saying how to
install it; in CI (`CI=true`, where `.ci/run` installs it) they fail instead."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.loops import LoopThread

CHROMIUM_ENV = "STAGINGPRO_CHROMIUM"
CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def chromium_path() -> str:
    """The system Chromium: $STAGINGPRO_CHROMIUM, else Debian's /usr/bin/chromium."""
    named = os.environ.get(CHROMIUM_ENV)
    for candidate in (named, *CANDIDATES, shutil.which("chromium")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    message = (
        "Chromium is not installed: apt-get install chromium (Debian), "
        f"or set {CHROMIUM_ENV} to a Chromium binary"
    )
    if os.environ.get("CI", "").lower() in ("true", "1"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium browser (Playwright's sync API)."""
    path = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Watched:
    """A browser page with everything that would show that a script ran: dialogs (alert,
    confirm, prompt), uncaught errors, and Content Security Policy violations."""

    page: Any
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def ran_nothing(self) -> bool:
        """No dialog, no page error, and no script left a mark on `window`."""
        marks = self.page.evaluate("() => [window.__pwned, window.__pwned2, window.__pwned3]")
        return not self.dialogs and not self.errors and marks == [None, None, None]


@contextmanager
def watched_page(browser: Any) -> Iterator[Watched]:
    """A fresh page (its own context) that records dialogs, errors and console messages."""
    context = browser.new_context(java_script_enabled=True)
    context.set_default_timeout(10_000)  # a page of this UI loads in milliseconds
    page = context.new_page()
    watched = Watched(page)

    def dialog(d: Any) -> None:
        watched.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    page.on("pageerror", lambda error: watched.errors.append(str(error)))
    page.on("console", lambda message: watched.console.append(message.text))
    try:
        yield watched
    finally:
        context.close()


@contextmanager
def serving(server: Any) -> Iterator[str]:
    """An aiohttp-serving object (`start(port, host) -> port`, `stop()`) on a free loopback port,
    in its own thread and event loop (the sync browser API drives pages against it); its URL."""
    with LoopThread("server") as loop:
        port = loop.run(server.start(0, "127.0.0.1"))
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            loop.run(server.stop())
