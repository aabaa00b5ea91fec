"""Headless Debian Chromium for the web-map tests, with the network cut off.

Every request that is not ``file:`` or ``data:`` is aborted and recorded, so a
test sees exactly what a page tried to fetch.  Console errors, page errors
and dialogs (``alert``) are recorded too.

Use the ``chromium`` fixture (defined once for the session in ``conftest.py``; never import it into a test module) and
:func:`open_page`.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]


@dataclass
class PageLog:
    """What a page did while it was open."""

    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """A headless Debian Chromium shared by the session (skips when it is not installed)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        pytest.skip("Debian chromium is not installed (scripts/setup.sh --test installs it)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def open_page(browser: Any, path: str | Path, *, width: int = 1280, height: int = 800) -> Iterator[tuple[Any, PageLog]]:
    """Open a local HTML file with all network requests blocked; yield the page and its log.

    Waits until the map script marks the container ``data-lz-ready``.
    """
    log = PageLog()
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")

    def route(r):
        url = r.request.url
        if url.startswith(("file:", "data:", "about:")):
            r.continue_()
        else:
            log.blocked.append(url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: log.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: log.page_errors.append(str(e)))

    def on_dialog(d):
        log.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", on_dialog)
    try:
        page.goto(Path(path).resolve().as_uri(), wait_until="load")
        page.wait_for_selector("[data-lz-ready]", state="attached", timeout=15_000)
        yield page, log
    finally:
        context.close()
