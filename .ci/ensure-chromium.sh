#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright (Playwright's own
# browser download does not work here). Install it when it is missing.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Chromium for the browser tests (apt-get install chromium)..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends chromium
    exit 0
fi

cat >&2 <<MSG
The browser tests need Chromium at $CHROMIUM, and it is not installed.
Install it as root on Debian/Ubuntu:

    sudo apt-get update && sudo apt-get install -y chromium

then run 'make test' again.
MSG
exit 1
