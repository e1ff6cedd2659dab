#!/usr/bin/env bash
# Deploy: systemd-analyze (Debian's systemd package) checks deploy/decisionbot.service in
# tests/test_deploy.py. Idempotent; nothing is started (the tests only verify the unit file).
set -euo pipefail
if command -v systemd-analyze >/dev/null 2>&1; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends systemd
command -v systemd-analyze
