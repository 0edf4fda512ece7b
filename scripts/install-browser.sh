#!/usr/bin/env bash
# Install Debian's Chromium (and its driver) for the browser tests in tests/e2e/.
# Idempotent: does nothing when /usr/bin/chromium already exists. Needs root (or sudo) and apt-get.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    echo "chromium present: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: apt-get not found; install Chromium so that /usr/bin/chromium exists, or skip the e2e tests" >&2
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    run_as_root=()
elif command -v sudo >/dev/null 2>&1; then
    run_as_root=(sudo)
else
    echo "error: installing chromium needs root or sudo" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${run_as_root[@]}" apt-get update
"${run_as_root[@]}" apt-get install -y --no-install-recommends chromium chromium-driver fonts-liberation
echo "installed: $(/usr/bin/chromium --version 2>/dev/null)"
