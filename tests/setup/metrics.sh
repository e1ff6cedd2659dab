#!/usr/bin/env bash
# Metrics: the real Prometheus (Debian's package) scrapes GET /metrics in tests/test_metrics_prometheus.py.
# Idempotent. The package starts a system service on install where a service manager runs; the
# tests never use it: they start their own instance on 127.0.0.1.
set -euo pipefail
if command -v prometheus >/dev/null 2>&1; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends prometheus
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
  systemctl stop prometheus || true
fi
command -v prometheus
