#!/usr/bin/env bash
# Set up liuzhou-gis in ./.venv (idempotent). Usage: scripts/setup.sh [--test | --docs]
#   --docs  also install the documentation tools (extra `docs`: MkDocs …) and poppler-utils (scripts/docs.sh)
#   --test  also install the test tools (they include the docs extra) and the Debian packages the tests need
#           (chromium, poppler-utils, libreoffice-calc-nogui, python3-qgis + qgis-providers) when they are missing.  fonts-noto-cjk (Chinese text in the
#           print maps) is installed for every run when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
"$PYTHON" - <<'PY' || { echo "liuzhou-gis needs Python >= 3.11 (set PYTHON=/path/to/python3.11)" >&2; exit 1; }
import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)
PY

extras="all"
if [ "${1:-}" = "--test" ]; then extras="all,test"; fi
if [ "${1:-}" = "--docs" ]; then extras="all,docs"; fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv" >&2
  "$PYTHON" -m venv .venv
fi
hash=$(cat pyproject.toml | sha256sum | cut -c1-16)
stamp=".venv/.installed-$hash-$extras"
# the test extra includes the docs extra: a .venv set up for the tests serves the docs as it is
if [ "$extras" = "all,docs" ] && [ -f ".venv/.installed-$hash-all,test" ]; then stamp=".venv/.installed-$hash-all,test"; fi
if [ ! -f "$stamp" ]; then
  echo "setup: installing liuzhou-gis[$extras] into .venv" >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
  # pip's and setuptools' chatter goes to a log, shown only when the install fails
  if ! .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[$extras]" >.venv/pip-install.log 2>&1; then
    cat .venv/pip-install.log >&2
    echo "setup: pip install failed (log: .venv/pip-install.log)" >&2
    exit 1
  fi
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# Debian packages: a CJK font for the print maps (PDF/PNG) of the main run and the tests; for the tests also
# chromium (browser tests), poppler-utils (pdftotext / pdfinfo read the printed maps back) and LibreOffice Calc
# (soffice --convert-to csv reads the workbooks as an official's spreadsheet shows them).
need=()
fonts=$(fc-list 2>/dev/null || true)
case "$fonts" in *"Noto Sans CJK"*) ;; *) need+=(fonts-noto-cjk) ;; esac
if [ "${1:-}" = "--docs" ]; then
  command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
fi
if [ "${1:-}" = "--test" ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
  command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
  command -v soffice >/dev/null 2>&1 || need+=(libreoffice-calc-nogui)
  # QGIS itself opens the exported GeoPackages in tests/test_interop.py (system python3, offscreen)
  /usr/bin/python3 -c "import qgis.core" >/dev/null 2>&1 || need+=(python3-qgis qgis-providers)
fi
if [ ${#need[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian packages ${need[*]}" >&2
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "setup: please install ${need[*]} (no apt-get here); print maps need a CJK font" >&2
  fi
fi
