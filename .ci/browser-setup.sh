#!/usr/bin/env bash
# .ci/browser-setup.sh -- a real browser for the run report's tests: Debian's Chromium, driven by
# Playwright (a dev extra of the main .venv) through executable_path. Playwright's own browser
# downloads are never used (they are blocked on CI machines, and the OS package gets security
# updates).
#
#   bash .ci/browser-setup.sh      # idempotent: a no-op (~1 s) when chromium is installed
#
# Installing needs root (apt-get). Without it, the browser test is skipped locally; CI sets
# STAINLESS_REQUIRE_BROWSER=1, which turns a missing browser into a failure.
set -euo pipefail

log() { printf '[browser-setup] %s\n' "$*" >&2; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${STAINLESS_PYTHON:-$ROOT/.venv/bin/python}"
CHROMIUM=/usr/bin/chromium

if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing Debian's chromium"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
  else
    log "no $CHROMIUM and no root to install it (apt-get install -y chromium)"
    [ -z "${STAINLESS_REQUIRE_BROWSER:-}" ] && exit 0
    exit 1
  fi
fi

if ! "$PYTHON" -c "import playwright" 2>/dev/null; then
  log "installing playwright (the dev extra) into $("$PYTHON" -c 'import sys; print(sys.prefix)')"
  "$PYTHON" -m pip install --quiet "playwright>=1.65,<1.66"
fi

log "smoke check: launch $CHROMIUM headless through Playwright"
"$PYTHON" - <<'PY'
from playwright.sync_api import sync_playwright

with sync_playwright() as p:
    browser = p.chromium.launch(
        executable_path="/usr/bin/chromium",
        args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--no-first-run", "--disable-sync"],
    )
    page = browser.new_page()
    page.set_content("<p id=ok>ok</p>")
    assert page.inner_text("#ok") == "ok"
    browser.close()
PY
log "chromium $("$CHROMIUM" --version 2>/dev/null | awk '{print $2}') ready"
