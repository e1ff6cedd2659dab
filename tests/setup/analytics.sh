#!/usr/bin/env bash
# System software for tests/analytics: Debian's Chromium, which Playwright drives as the system
# browser (`playwright install` is never run: it downloads a browser build of its own).
# Idempotent: does nothing when chromium is already there.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  echo "chromium present: $(chromium --version 2>/dev/null || echo unknown version)"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends chromium fonts-dejavu-core
chromium --version
