"""What is said of ``GET /metrics`` (bot/metrics.py)."""


def metrics_on() -> str:
    return "Prometheus metrics at GET /metrics (a scrape sends DECISIONBOT_METRICS_TOKEN as a bearer token)."


def metrics_unauthorized() -> str:
    return "Send DECISIONBOT_METRICS_TOKEN as 'Authorization: Bearer <token>' (in Prometheus: authorization: {credentials: ...})."


def metrics_ledger_unread(error: str) -> str:
    return f"/metrics could not read the ledger's figures ({error}); the scrape answered without them."
