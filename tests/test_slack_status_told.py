"""``/decision status N`` as a facilitator reads it after a meeting: a finished run said only
"completed" or "cancelled" (not what was decided, who owns what by when, nor who cancelled it),
and an open one whom it waits for but not since when. Now a completed run's status has its
record (the decision, each action with its code, owner, due date and state, the review date), a
cancelled one who cancelled it and when, and each question waited on since when. The real server,
signed requests, the real slack-sdk against the fake Web API."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from tests.clock import Clock
from tests.dates import JAN15
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, bob_asked_to_accept, decided, harness, unlinked, wait_for

MOMENT = r"\w{3} \d{4}-\d\d-\d\d \d\d:\d\d UTC"


async def test_a_completed_runs_status_says_what_was_decided_and_who_owns_what(slack: Harness) -> None:
    await decided(slack)
    [(review_at,)] = slack.rows("SELECT review_at FROM decisions")
    told = unlinked((await slack.slash("UB", "status 1"))["text"])
    assert re.match(rf"Run #1 post_meeting 'Weekly sync': completed {MOMENT}\.", told), told
    assert "Decided: We ship in March" in told
    assert f"A1 Draft the plan - Bob, due {JAN15} (open)" in told
    assert f"Review on {review_at}." in told


async def test_a_cancelled_runs_status_says_who_cancelled_it(slack: Harness, fake: FakeSlack) -> None:
    await slack.slash("UA", "start post_meeting Weekly sync")
    await slack.posts(2)
    await slack.slash("UA", "cancel 1")
    told = unlinked((await slack.slash("UA", "status 1"))["text"])
    assert re.fullmatch(rf"Run #1 post_meeting 'Weekly sync': cancelled by Alice {MOMENT}\.", told), told


async def test_an_open_runs_status_says_since_when_it_waits(tmp_path: Path, fake: FakeSlack) -> None:
    """Once a question has waited an hour or more: a minute after it was asked, it says nothing of it."""
    clock = Clock(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    slack = await harness(tmp_path, fake, clock=clock)
    try:
        await bob_asked_to_accept(slack)
        await wait_for(lambda: slack.rows("SELECT 1 FROM runs WHERE state = 'owner_accepts'"))
        clock.at(minutes=59)
        told = unlinked((await slack.slash("UA", "status 1"))["text"])
        assert told.endswith("waiting for Bob to accept 'Draft the plan'."), told
        clock.at(hours=5)
        told = unlinked((await slack.slash("UA", "status 1"))["text"])
        assert "waiting for Bob to accept 'Draft the plan' (since Mon 2026-11-30 09:00 UTC, 5 h)." in told, told
        clock.at(days=3, hours=2)
        told = unlinked((await slack.slash("UA", "status 1"))["text"])
        assert "(since Mon 2026-11-30 09:00 UTC, 3 days)." in told, told
    finally:
        await slack.client.close()


async def test_a_stalled_runs_status_says_how_it_goes_on(slack: Harness) -> None:
    """Before: '...: stalled; waiting for Bob to accept ...', and no word of what that means or
    what to do about it."""
    await bob_asked_to_accept(slack)
    await wait_for(lambda: slack.rows("SELECT 1 FROM runs WHERE state = 'owner_accepts'"))
    slack.services.db.conn.execute("UPDATE runs SET status = 'stalled' WHERE id = 1")  # as its expiry leaves it
    told = unlinked((await slack.slash("UA", "status 1"))["text"])
    assert told == (
        "Run #1 post_meeting 'Weekly sync': stalled; waiting for Bob to accept 'Draft the plan'. It stalled: no"
        " answer came in time, so nobody is reminded any more. An answer from whoever it waits for resumes it;"
        " its facilitator can end it with: cancel 1"
    )
