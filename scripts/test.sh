#!/usr/bin/env bash
# Set up (including Debian chromium and fonts-noto-cjk for the browser tests), then run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
exec .venv/bin/python -m pytest "$@"
