"""``DECISIONBOT_LOG_LEVEL=WARNING`` quiets the log (a line per request at INFO), but not the lines
an operator reads it for: which ledger the server writes, an upgrade and the copy it took first,
and what waits in the outbox when it stopped. Before, at WARNING the journal of an upgrade said
nothing of it, nor of the copy to go back to."""

from __future__ import annotations

from pathlib import Path

from tests.serve_process import served, status_of


def test_the_service_lines_are_logged_at_every_level(old_ledger: Path) -> None:
    with served(old_ledger, {"DECISIONBOT_LOG_LEVEL": "WARNING"}) as server:
        assert status_of(f"{server.base}/healthz") == 200
    lines = server.output.splitlines()
    assert [line for line in lines if "was made by an older decisionbot: copied as it was to" in line], lines
    assert [line for line in lines if f"Ledger {old_ledger.resolve()}: 1 run(s) open." in line], lines
    assert [line for line in lines if "decisionbot stopped:" in line], lines
    assert not [line for line in lines if "aiohttp.access" in line]  # the level still quiets the rest
