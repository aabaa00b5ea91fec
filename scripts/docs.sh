#!/usr/bin/env bash
# Build the documentation site into site/ (git-ignored): set up .venv with the docs extra (+ Debian poppler-utils for
# the gallery previews), then `mkdocs build --strict`. The five notebooks are executed during the build (about a
# minute or two); their outputs go to a temporary folder, never into the repository.
# Usage: scripts/docs.sh [mkdocs build options, e.g. -d /tmp/site]   ·   scripts/docs.sh serve  (live preview)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --docs
export NO_MKDOCS_2_WARNING=1  # the theme's end-of-life banner
if [ "${1:-}" = "serve" ]; then
  shift
  exec .venv/bin/python -m mkdocs serve "$@"
fi
exec .venv/bin/python -m mkdocs build --strict "$@"
