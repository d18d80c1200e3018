#!/usr/bin/env bash
# Set everything up on a fresh machine: a virtual environment with the package, and a Chromium.
# Playwright's own browser download cannot reach its server from our machines, so when its
# bundled Chromium is absent we use Debian's (installed with apt-get when we are root).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null
.venv/bin/python -m pip install --quiet -e '.[dev]'

have_chromium() {
  [ -n "${CERTRUNNER_CHROMIUM:-}" ] && [ -x "$CERTRUNNER_CHROMIUM" ] && return 0
  ls "${PLAYWRIGHT_BROWSERS_PATH:-$HOME/.cache/ms-playwright}"/chromium-*/chrome-linux*/chrome >/dev/null 2>&1 && return 0
  [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1
}

if ! have_chromium; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian's chromium (Playwright's bundled browser is absent)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "setup: no Chromium found. Install one, as root: apt-get install -y chromium" >&2
    echo "       (or set CERTRUNNER_CHROMIUM to a Chromium binary), then run this again." >&2
    exit 1
  fi
fi
echo "setup: ready ($(.venv/bin/python --version), chromium: $(/usr/bin/chromium --version 2>/dev/null || echo bundled))"
