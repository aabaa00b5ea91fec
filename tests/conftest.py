"""Shared pytest configuration."""

from __future__ import annotations

import os

# Tests must never reach the network; a Tianditu key in the caller's environment would leak into maps.
os.environ.pop("TIANDITU_KEY", None)

# One headless Chromium for the whole session, defined here once: a session fixture imported into several
# test modules is one fixture per module, and a second sync_playwright() started while the first is open
# fails ("Playwright Sync API inside the asyncio loop").  Test modules import only open_page from browser.
from browser import chromium  # noqa: E402,F401
