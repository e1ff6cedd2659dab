#!/usr/bin/env bash
# Triggers: the real Prometheus Alertmanager (Debian's package) for tests/triggers/test_alertmanager_e2e.py.
# Idempotent. The Debian package starts a system service on install; the tests never use it:
# they start their own instance on 127.0.0.1 with clustering off.
set -euo pipefail
if command -v prometheus-alertmanager >/dev/null 2>&1; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends prometheus-alertmanager
# The packaged service is not needed by the tests; stop it where a service manager runs it.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus-alertmanager 2>/dev/null; then
  systemctl stop prometheus-alertmanager || true
fi
command -v prometheus-alertmanager
