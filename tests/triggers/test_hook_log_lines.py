"""The SRE reading `serve`'s log: each notification a hook takes is one INFO line saying what became
of it, with the run ids (started where, by which route; a repeat; a resolution told in its run; a
resolution of no run). Before, the log said nothing but the access line (`POST /hooks/alertmanager
200`): which alert started which run, or whether a resolution reached its run, took the ledger.
(From the acceptance review rv-alerts.)"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.clock import Clock
from tests.triggers.conftest import NOW
from tests.triggers.test_hooks import post, serve
from tests.triggers.test_incidents import alert
from tests.triggers.test_many_runs_warned import notification

ROUTES = "routes:\n  - name: web\n    match: {source: alertmanager}\n    channel: console:ops\n"


def said(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "decisionbot.hooks" and r.levelno == logging.INFO]


async def test_each_notification_is_one_line_naming_its_runs(
    tmp_path: Path, flows: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (flows / "routes.yaml").write_text(ROUTES)
    clock = Clock(NOW)
    client = await serve(tmp_path, flows, clock=clock)
    try:
        with caplog.at_level(logging.INFO, logger="decisionbot.hooks"):
            caplog.clear()
            await post(client, "alertmanager", alert("2026-11-26T14:52:00Z"))
            await post(client, "alertmanager", alert("2026-11-26T14:52:00Z"))
            clock.at(minutes=10)
            await post(client, "alertmanager", alert("2026-11-26T14:52:00Z", "resolved"))
            await post(client, "alertmanager", alert("2026-11-26T14:52:00Z", "resolved"))  # sent again
            await post(client, "alertmanager", notification(7))
    finally:
        await client.close()
    assert said(caplog) == [
        "/hooks/alertmanager: 1 alert(s): run #1 started in console:ops (route web): 'Checkout error rate above 5%'.",
        "/hooks/alertmanager: 1 alert(s): 1 repeat(s), of run #1.",
        "/hooks/alertmanager: 1 alert(s): 1 resolved, told in run #1.",
        "/hooks/alertmanager: 1 alert(s): 1 resolved, already recorded (run #1).",
        "/hooks/alertmanager: 7 alert(s): runs #2, #3, #4, #5, #6 and 2 more started in console:ops (route web):"
        " 'Checkout error rate above 5% [instance=web-0]' (+6 more).",
    ]


async def test_a_resolution_of_a_key_never_seen_firing_is_not_called_resolved(
    tmp_path: Path, flows: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """``{"dedup_key": "nightly-typo", "status": "resolved"}`` with no firing of that key before: the
    answer said ``"resolved": 1`` and the log "1 resolved, already recorded (no run)", telling a
    sender with a mistyped key that its incident was resolved. It is kept (the events row), and said
    as a resolution of nothing seen."""
    (flows / "routes.yaml").write_text(ROUTES)
    client = await serve(tmp_path, flows)
    try:
        with caplog.at_level(logging.INFO, logger="decisionbot.hooks"):
            body = {"title": "Nightly load failed", "dedup_key": "nightly-typo", "status": "resolved"}
            status, answer = await post(client, "events", body)
    finally:
        await client.close()
    assert status == 200
    assert (answer["resolved"], answer["unseen"], answer["started"]) == (0, 1, [])
    assert said(caplog) == [
        "/hooks/events: 1 event(s): 1 resolution(s) of no incident seen firing (kept; nothing was resolved: check"
        " the sender's dedup_key or Idempotency-Key)."
    ]
