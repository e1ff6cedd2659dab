"""What is said of ``GET /metrics`` (bot/metrics.py)."""


def metrics_on() -> str:
    return "Prometheus metrics at GET /metrics (a scrape sends DECISIONBOT_METRICS_TOKEN as a bearer token)."


def metrics_unauthorized() -> str:
    return "Send DECISIONBOT_METRICS_TOKEN as 'Authorization: Bearer <token>' (in Prometheus: authorization: {credentials: ...})."


def metrics_ledger_unread(error: str) -> str:
    return f"/metrics could not read the ledger's figures ({error}); the scrape answered without them."


def ledger_locked_out() -> str:
    """What /healthz says for a minute after a request gave up on another process's write lock."""
    return (
        "another process held the ledger's write lock past a request's wait within the last minute: such"
        " requests are answered 503 (to be sent again); find the process (a long cron job, a second server,"
        " an open sqlite3 shell) with fuser on the ledger file"
    )


def ledger_failing(failed: int) -> str:
    """What /healthz says while the ledger takes no commit (its disk full, its folder read-only)."""
    return (
        f"the last {failed} commit(s) to the ledger failed (the log says why): every request is answered 503"
        " and stored once the ledger takes commits again; check the ledger's disk"
    )
