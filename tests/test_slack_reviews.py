"""A decision's review in Slack, end to end: it starts in a thread of its own and takes typed
answers; its invitation is shared as a file in the run's thread. Alice is in Paris, Bob in New
York, as in tests/test_slack.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.store import jobs
from tests.dates import FEB1, JAN10
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import ALICE_IN_PARIS_BOB_IN_NEW_YORK, ROOT, Harness, SlackPeople, harness, message, wait_for


@pytest.fixture
def slack_people() -> SlackPeople:
    return ALICE_IN_PARIS_BOB_IN_NEW_YORK


async def test_a_review_starts_in_a_thread_of_its_own_and_takes_typed_answers(
    slack: Harness,
    fake: FakeSlack,
) -> None:
    await slack.slash("UA", "start post_meeting Weekly sync")
    thread = (await slack.posts(2))[0]["ts"]
    for n, text in enumerate(["We ship", "Draft the plan", "<@UA>", JAN10, "done", "yes", FEB1]):
        await slack.event(message("UA", text, thread_ts=thread))
        await slack.posts(3 + n)
    await wait_for(lambda: slack.rows("SELECT closed_at IS NOT NULL FROM slack_threads") == [(1,)])
    with slack.services.db.conn:  # the review date has come
        slack.services.db.conn.execute("UPDATE jobs SET due_at = '2000-01-01T00:00:00.000Z' WHERE kind = 'start_flow'")
    (job,) = jobs.pending_jobs(slack.services.db.conn, "start_flow")
    assert slack.services.dispatcher.run_job(job) == "done: run 2"
    slack.services.notify("slack")
    await wait_for(lambda: [p for p in fake.posted() if p["text"].startswith("Review of 'Weekly sync'")])
    [opened] = await wait_for(lambda: [p for p in fake.posted() if p["text"].startswith("The review of 'Weekly")])
    assert opened["channel"] == "C1" and "thread_ts" not in opened  # before: in run 1's closed thread
    await slack.event(message("UA", "yes", channel="DUA"))  # the owner, by direct message
    review = await wait_for(lambda: [p for p in fake.posted() if "Time to review" in p["text"]])
    assert review[0]["channel"] == "C1" and review[0]["thread_ts"] == opened["ts"]
    await wait_for(lambda: slack.rows("SELECT run_id FROM slack_threads WHERE closed_at IS NULL") == [(2,)])
    await slack.event(message("UA", "keep", thread_ts=review[0]["ts"]))  # before: ignored, run 1's thread
    await wait_for(lambda: slack.rows("SELECT count(*) FROM answers WHERE run_id = 2") != [(0,)])


async def test_a_review_invitation_is_shared_as_a_file_in_the_runs_thread(
    tmp_path: Path,
    fake: FakeSlack,
) -> None:
    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    meeting = flows / "post_meeting.yaml"
    meeting.write_text(meeting.read_text().replace(
        "  - post_summary: conversation\n",
        "  - post_summary: conversation\n  - calendar_invite: {at: review_at, time: '14:30', duration: 45m}\n",
    ))  # fmt: skip
    slack = await harness(tmp_path, fake, flows=flows)
    try:
        await slack.slash("UA", "start post_meeting Weekly sync")
        thread = (await slack.posts(2))[0]["ts"]
        for n, text in enumerate(["We ship", "Draft the plan", "<@UA>", JAN10, "done"]):
            await slack.event(message("UA", text, thread_ts=thread))
            await slack.posts(3 + n)
        await slack.event(message("UA", "yes", thread_ts=thread))  # the owner (UA too) accepts
        await slack.posts(8)
        await slack.event(message("UA", FEB1, thread_ts=thread))  # the review date
        summary = (await slack.posts(9))[8]
        assert summary["text"].startswith("Decision recorded: Weekly sync") and summary["thread_ts"] == thread
        shared = await wait_for(lambda: [f for f in fake.files.values() if f.get("channel")])
        assert [(f["filename"], f["channel"], f["thread_ts"]) for f in shared] == [(f"review-{FEB1}.ics", "C1", thread)]
        body = shared[0]["content"].decode()
        # 14:30 on the facilitator's calendar: Alice is in Europe/Paris (UTC+1 in February)
        assert body.startswith("BEGIN:VCALENDAR") and f"DTSTART:{FEB1.replace('-', '')}T133000Z" in body
    finally:
        await slack.client.close()
