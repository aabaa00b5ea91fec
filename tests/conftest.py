"""Shared pytest configuration."""

from __future__ import annotations

import os

# Tests must never reach the network; a Tianditu key in the caller's environment would leak into maps.
os.environ.pop("TIANDITU_KEY", None)
