#!/usr/bin/env bash
# The main job: set up, then build the default web maps and the analysis table into maps/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/lzgis run -o maps --overwrite "$@"
