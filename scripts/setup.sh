#!/usr/bin/env bash
# Set everything up on a fresh machine: a virtual environment with the package, and a Chromium.
# Playwright's own browser download cannot reach its server from our machines, so when its
# bundled Chromium is absent we use Debian's (installed with apt-get when we are root): the
# headless shell for headless runs (a third of the CPU), the full browser for --headed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null
.venv/bin/python -m pip install --quiet -e '.[all,dev]'

have_chromium() {
  [ -n "${CERTRUNNER_CHROMIUM:-}" ] && [ -x "$CERTRUNNER_CHROMIUM" ] && return 0
  ls "${PLAYWRIGHT_BROWSERS_PATH:-$HOME/.cache/ms-playwright}"/chromium-*/chrome-linux*/chrome >/dev/null 2>&1 && return 0
  [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromium-headless-shell ]
}

if ! have_chromium; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian's chromium and chromium-headless-shell (Playwright's bundled browser is absent)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-headless-shell >/dev/null
  else
    if [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1; then
      echo "setup: no chromium-headless-shell; headless runs use the full chromium (slower)." >&2
      echo "       As root: apt-get install -y chromium-headless-shell" >&2
    else
      echo "setup: no Chromium found. Install one, as root: apt-get install -y chromium chromium-headless-shell" >&2
      echo "       (or set CERTRUNNER_CHROMIUM to a Chromium binary), then run this again." >&2
      exit 1
    fi
  fi
fi
echo "setup: ready ($(.venv/bin/python --version), chromium: $(/usr/bin/chromium --version 2>/dev/null || echo bundled)," \
  "headless shell: $(/usr/bin/chromium-headless-shell --version 2>/dev/null || echo none))"
