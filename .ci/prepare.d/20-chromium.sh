#!/usr/bin/env bash
# Headless Chromium (and a Japanese font, so screenshots show the ward names) for tests/reports.
# Best-effort: without it the browser tests skip with the reason.
set -uo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "chromium present: $(/usr/bin/chromium --version 2>/dev/null || echo unknown version)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "no apt-get: cannot install chromium; browser tests will be skipped"
  exit 1
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq || echo "apt-get update failed; trying the install anyway"
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends chromium fonts-ipafont-gothic \
  || { echo "chromium install failed; browser tests will be skipped"; exit 1; }
/usr/bin/chromium --version || true
