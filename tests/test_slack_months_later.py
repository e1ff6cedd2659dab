"""A decision made in Slack today, its reminders and review weeks later, by when Slack has changed:
an owner moved to another time zone, or left the company, with no ``user_change`` event seen
(the server was down when Slack sent it, and Slack gave up after its retries). Slack's
``chat.postMessage`` into the direct message of a deactivated account still answers ``ok``
(python-slack-sdk#1156), so nothing but a fresh ``users.info`` tells the bot. The real server,
signed requests, the fake Web API, the server's own scheduler run at chosen instants.
(From the acceptance review rv-months.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.outbox_rows import UNSENT
from bot.store import open_db, utc_now
from bot.triggers.hooks import SCHEDULER
from tests.clock import Clock
from tests.dates import FEB1, JAN10
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import ALICE_IN_PARIS_BOB_IN_NEW_YORK, ROOT, Harness, SlackPeople, harness, message, wait_for

ALICE_LEFT = (
    "Alice was named to lead this run but cannot be asked: their account is deactivated."
    " Whoever answers first here leads it."
)


@pytest.fixture
def slack_people() -> SlackPeople:
    return ALICE_IN_PARIS_BOB_IN_NEW_YORK


@pytest.fixture
def clock() -> Clock:
    return Clock(utc_now())


@pytest.fixture
async def months(
    tmp_path: Path, fake: FakeSlack, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Harness]:
    """Alice (Paris) led 'Weekly sync' today: Bob (New York) owns 'Draft the plan', due in weeks,
    accepted by direct message; the review is months ahead. The server's scheduler loop is stopped:
    the test runs its jobs at the instants it chooses."""
    monkeypatch.setenv("DECISIONBOT_QUIET_HOURS", "20:00-08:00")
    slack = await harness(tmp_path, fake, clock=clock)
    await slack.client.server.app[SCHEDULER].stop()
    try:
        thread = await slack.started()
        await slack.say(thread, "We ship", "Draft the plan", "<@UB>", JAN10, "done")
        await slack.event(message("UB", "yes", channel="DUB"))
        await wait_for(lambda: "review" in fake.posted()[-1]["text"].lower())
        await slack.say(thread, FEB1)
        await wait_for(lambda: slack.rows("SELECT count(*) FROM reviews") == [(1,)])
        yield slack
    finally:
        await slack.client.close()


async def run_due(slack: Harness, at: datetime) -> list[tuple[str, str]]:
    ran = await slack.client.server.app[SCHEDULER].run_due(at)
    slack.services.notify("slack")
    return [(job.kind, outcome) for job, outcome in ran if job.kind != "digest"]


def review_due(slack: Harness) -> datetime:
    (due,) = slack.rows("SELECT due_at FROM jobs WHERE kind = 'start_flow'")
    return datetime.fromisoformat(due[0].replace("Z", "+00:00"))


async def test_an_owner_who_moved_is_reminded_on_the_clock_of_their_new_zone(
    months: Harness, fake: FakeSlack, clock: Clock
) -> None:
    """Bob moved from New York to Tokyo. The review's reminder comes a day after it asked him, at
    08:01 UTC: 17:01 in Tokyo, 03:01 in New York. Before, the zone cached at the meeting stood
    (no lookup after it) and the reminder waited for New York's morning, Bob's evening."""
    start = review_due(months)  # 09:00 on Alice's clock, in Paris
    clock.now = start
    assert await run_due(months, start) == [("start_flow", "done: run 2")]
    await wait_for(lambda: [p for p in fake.posted() if p["text"].startswith("Review of 'Weekly sync'")])
    fake.users["UB"]["tz"] = "Asia/Tokyo"
    clock.now = start + timedelta(days=1, minutes=1)
    assert await run_due(months, clock.now) == [("remind", "done")]
    assert months.rows("SELECT tz FROM people WHERE id = 'slack:UB'") == [("Asia/Tokyo",)]
    await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUB" and p["text"].startswith("Reminder:")])


async def test_a_review_reaching_an_owner_who_left_tells_the_facilitator(
    months: Harness, fake: FakeSlack, clock: Clock
) -> None:
    """Bob left the company before the review. Before, its question went to his direct message
    (Slack takes it: ``ok``), was reminded there, and nobody heard of it until the escalation three
    days later. Now the review looks Bob up as it starts: the run's conversation is told at once
    that he left, and the ledger keeps the question as not delivered, ``user_disabled``."""
    fake.deactivate("UB")
    clock.now = review_due(months)
    before = len(fake.posted())
    assert await run_due(months, clock.now) == [("start_flow", "done: run 2")]
    told = await wait_for(
        lambda: [p for p in fake.posted()[before:] if p["channel"] == "C1" and "reach Bob" in p["text"]]
    )
    assert told[0]["text"].startswith(
        "<@UA> I could not reach Bob: their Slack account is deactivated (user_disabled)."
    )
    assert not [p for p in fake.posted() if p["channel"] == "DUB" and p["text"].startswith("Review of")]
    failed = months.rows("SELECT kind, last_error FROM messages WHERE run_id = 2 AND failed_at IS NOT NULL")
    assert failed and all("user_disabled" in e for _, e in failed)
    # advice that works in a review (before: "change owner of action 1", an answer this run never had)
    assert told[0]["text"].endswith(
        "They cannot answer anywhere now. What you can do: give their action to someone else ('give A1 @someone':"
        " once they accept, this review asks them instead); or say 'cancel' to end the run."
    )
    fake.add_user("UC", "Carol")
    await months.event(message("UA", "give A1 <@UC>", thread_ts=told[0]["ts"]))
    await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUC" and "take over" in p["text"]])
    await months.event(message("UC", "yes", channel="DUC"))
    await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUC" and p["text"].startswith("Review of")])


async def test_a_reviews_opening_line_does_not_say_an_owner_who_left_is_asked(
    months: Harness, fake: FakeSlack, clock: Clock
) -> None:
    """Bob left the company before the review. Before, its channel read 'Bob is asked directly
    about their actions' just before 'I could not reach Bob'. Now the opening line names only the
    owners who can be asked (none here), and the facilitator is still told Bob cannot be reached."""
    fake.deactivate("UB")
    clock.now = review_due(months)
    before = len(fake.posted())
    assert await run_due(months, clock.now) == [("start_flow", "done: run 2")]
    await wait_for(lambda: [p for p in fake.posted()[before:] if "reach Bob" in p["text"]])
    told = [p["text"] for p in fake.posted()[before:] if p["channel"] == "C1"]
    assert told[0] == "The review of 'Weekly sync' has begun: whether the decision held is asked here."
    assert told[1].startswith("<@UA> I could not reach Bob: their Slack account is deactivated")


async def test_a_review_waits_for_nine_on_the_clock_of_a_facilitator_who_moved_west(
    months: Harness, fake: FakeSlack, clock: Clock
) -> None:
    """Alice moved from Paris to New York before the review. Before, it started at 09:00 Paris, 03:00
    on her clock now. Now it waits for 09:00 in New York, on the date she gave."""
    start = review_due(months)  # 09:00 on FEB1 in Paris: 08:00 UTC
    fake.users["UA"]["tz"] = "America/New_York"
    clock.now = start
    [(kind, outcome)] = await run_due(months, start)
    assert (kind, outcome) == ("start_flow", f"put off: the facilitator's zone changed, until {FEB1}T14:00:00.000Z")
    assert months.rows("SELECT count(*) FROM runs") == [(1,)]
    clock.now = start + timedelta(hours=6)
    assert await run_due(months, clock.now) == [("start_flow", "done: run 2")]


async def test_a_review_whose_facilitator_left_is_led_by_whoever_answers_first(
    months: Harness, fake: FakeSlack, clock: Clock
) -> None:
    """Alice, who led the decision, left the company before its review. Before, the review asked her
    (a mention nobody answers), escalated Bob's silence to her and stalled, 'no answer from Alice'.
    Now the channel is told she cannot be asked, and the first to answer leads it, as a triggered
    run whose facilitator left: Bob, answering his own question, is asked whether it held."""
    fake.deactivate("UA")
    clock.now = review_due(months)
    before = len(fake.posted())
    assert await run_due(months, clock.now) == [("start_flow", "done: run 2")]
    told = await wait_for(lambda: [p for p in fake.posted()[before:] if p["channel"] == "C1"])
    assert told[0]["text"] == ALICE_LEFT
    await months.event(message("UB", "yes", channel="DUB"))  # Bob did it
    [review] = await wait_for(lambda: [p for p in fake.posted() if "Time to review" in p["text"]])
    assert review["text"].startswith("<@UB> Time to review") and review["thread_ts"] == told[0]["ts"]
    assert months.rows("SELECT facilitator_id FROM runs WHERE id = 2") == [("slack:UB",)]
    await months.event(message("UB", "keep", thread_ts=review["thread_ts"]))
    await wait_for(lambda: [p for p in fake.posted() if "When should we review it again?" in p["text"]])
    await months.event(message("UB", "ok", thread_ts=review["thread_ts"]))
    await wait_for(lambda: months.rows("SELECT outcome FROM reviews WHERE run_id = 2") == [("kept",)])
    [(payload,)] = months.rows("SELECT payload FROM jobs WHERE kind = 'start_flow' AND done_at IS NULL")
    assert '"facilitator": {"id": "slack:UB", "name": "Bob"}' in payload  # the next review is his to lead


async def test_a_review_whose_facilitator_left_is_in_the_ledger_as_a_run_under_way_is(
    months: Harness, fake: FakeSlack, clock: Clock
) -> None:
    """The review that starts without Alice keeps it as a run whose facilitator left under way
    does (one path, bot.lead_left): its start, then 'lead_left' by Alice at its first step; the
    first to answer, Bob, 'take's it. The notice is a reply of the run's first turn."""
    fake.deactivate("UA")
    clock.now = review_due(months)
    assert await run_due(months, clock.now) == [("start_flow", "done: run 2")]
    rows = months.rows("SELECT source, target, event, actor_id FROM transitions WHERE run_id = 2 ORDER BY id")
    assert rows == [
        ("", "actions_done", "start", "slack:facilitator"),
        ("actions_done", "actions_done", "lead_left", "slack:UA"),
    ]
    told = months.rows("SELECT step, text FROM messages WHERE run_id = 2 AND kind = 'info'")
    assert told == [("actions_done", ALICE_LEFT)]
    await months.event(message("UB", "yes", channel="DUB"))
    await wait_for(lambda: months.rows("SELECT facilitator_id FROM runs WHERE id = 2") == [("slack:UB",)])
    taken = months.rows("SELECT event, actor_id FROM transitions WHERE run_id = 2 AND event = 'take'")
    assert taken == [("take", "slack:UB")]
    await wait_for(lambda: [p for p in fake.posted() if p["text"].startswith("<@UB> Time to review")])


async def test_a_review_waits_out_a_revoked_token_instead_of_escalating_and_stalling_unseen(
    months: Harness, fake: FakeSlack, clock: Clock, tmp_path: Path
) -> None:
    """The workspace revoked the bot's token after the review asked Bob. Before, its timers went on
    while nothing could be delivered: the reminder, the escalation to Alice and the expiry were
    queued unseen, the run stalled, and after the fix all of it went out at once, the question handed
    to Alice for an owner who never saw his reminder. Now a chase job of a run whose channel is
    failing is put off (every 10 minutes) and its chain with it: an outage is no silence."""
    start = review_due(months)
    clock.now = start
    assert await run_due(months, start) == [("start_flow", "done: run 2")]
    await wait_for(lambda: [p for p in fake.posted() if p["text"].startswith("Review of 'Weekly sync'")])
    # every message the review queued is out before the revocation (under load the outbox may still
    # be sending one: its refusal would mark the channel failing before the reminder is due)
    await wait_for(lambda: months.rows(f"SELECT count(*) FROM messages WHERE {UNSENT}") == [(0,)])
    fake.refuse("chat.postMessage", times=1000, error="token_revoked")
    fake.refuse("users.info", times=1000, error="token_revoked")
    clock.now = start + timedelta(days=1, hours=6)  # 09:00 in New York: Bob's day
    assert await run_due(months, clock.now) == [("remind", "done")]  # its delivery finds the token refused
    await wait_for(lambda: months.channel.failing())
    clock.now = start + timedelta(days=3, minutes=1)
    [(kind, outcome)] = await run_due(months, clock.now)
    assert kind == "escalate" and outcome.startswith("put off: the channel slack is failing, until ")
    assert months.rows("SELECT status FROM runs WHERE id = 2") == [("active",)]
    queued = months.rows(
        "SELECT text FROM messages WHERE run_id = 2 AND direction = 'out' AND text LIKE '%comes to you%'"
    )
    assert queued == []  # nothing handed to Alice behind Bob's back
    clock.now = start + timedelta(days=15, minutes=1)
    assert [k for k, _ in await run_due(months, clock.now)] == ["escalate"]  # still waiting, not expired
    assert months.rows("SELECT status FROM runs WHERE id = 2") == [("active",)]
    await months.client.close()
    fake.refusals.clear()  # a new token is set, and the server restarted
    later = await harness(tmp_path, fake, {"SLACK_BOT_TOKEN": "xoxb-new"}, clock=clock)
    try:
        await later.client.server.app[SCHEDULER].stop()
        await wait_for(lambda: [p for p in fake.posted() if p["text"].startswith("Reminder: Review of")])
        clock.now += timedelta(minutes=11)
        assert [k for k, _ in await run_due(later, clock.now)] == ["escalate"]  # the chain goes on from there
    finally:
        await later.client.close()


async def test_an_owner_who_moved_gets_their_digest_in_their_new_day(
    months: Harness, fake: FakeSlack, clock: Clock
) -> None:
    """Bob moved from New York to Tokyo. The owners' digest at 09:00 UTC is 18:00 in Tokyo, 04:00 in
    New York. Before, it was put off to New York's morning (the zone cached at the meeting); now
    the digest looks its owners up again first, and Bob gets it in his day."""
    fake.users["UB"]["tz"] = "Asia/Tokyo"
    clock.now = review_due(months) - timedelta(days=1) + timedelta(hours=1)  # 09:00 UTC, the day before
    ran = await months.client.server.app[SCHEDULER].run_due(clock.now)
    assert [outcome for job, outcome in ran if job.kind == "digest"] == ["done: 1 owner(s)"]
    assert months.rows("SELECT tz FROM people WHERE id = 'slack:UB'") == [("Asia/Tokyo",)]


async def test_a_failed_look_up_of_someone_known_says_what_is_kept(
    months: Harness, fake: FakeSlack, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """users.info failing when a job looks Bob up again: he keeps the name and zone the ledger has.
    Before, the log said he would go by his user id, dates read in DECISIONBOT_TIMEZONE: untrue."""
    fake.refuse("users.info", times=10, error="fatal_error")  # (a 429 is held back: tests/test_slack_lookups_held.py)
    clock.now = review_due(months)
    assert await run_due(months, clock.now) == [("start_flow", "done: run 2")]
    said = [r.getMessage() for r in caplog.records if "users.info failed for UB" in r.getMessage()]
    assert said == [
        "Slack users.info failed for UB: fatal_error. Until it answers, they keep the name and time zone"
        " Slack gave for them on an earlier lookup."
    ]
    assert months.rows("SELECT name, tz FROM people WHERE id = 'slack:UB'") == [("Bob", "America/New_York")]


async def test_a_review_run_from_cron_leaves_out_a_facilitator_the_ledger_knows_left(
    months: Harness, tmp_path: Path, clock: Clock
) -> None:
    """`decisionbot jobs run-due` from cron, no Slack to ask: the server learnt (Slack's user_change)
    that Alice left; the review started from cron is led by whoever answers first, as in the server.
    Before, it was addressed to her."""
    with months.services.db.conn:  # as Slack's user_change told the server
        months.services.db.conn.execute("UPDATE people SET deactivated = 1 WHERE id = 'slack:UA'")
    at = review_due(months)
    db_path = months.services.db.conn.execute("PRAGMA database_list").fetchone()[2]
    await months.client.close()
    args = ["--db", db_path, "--flows", str(ROOT / "flows"), "jobs", "run-due", "--now", at.isoformat()]
    result = await asyncio.to_thread(CliRunner().invoke, main, args, env={"DECISIONBOT_QUIET_HOURS": ""})
    assert result.exit_code == 0, result.output
    db = open_db(Path(db_path))
    try:
        [(facilitator,)] = db.execute("SELECT facilitator_id FROM runs WHERE id = 2").fetchall()
        assert facilitator != "slack:UA"
        told = db.execute("SELECT text FROM messages WHERE run_id = 2 AND text LIKE 'Alice was named%'").fetchall()
        assert told == [(ALICE_LEFT,)]
    finally:
        db.conn.close()


@pytest.mark.parametrize(
    ("code", "why", "fix"),
    [
        ("is_archived", "the channel is archived", "Unarchive the channel"),
        ("not_in_channel", "the bot is not in the channel", "Invite the bot to that channel (/invite @decisionbot)"),
    ],
)
async def test_a_review_starting_in_a_channel_that_refuses_the_bot_tells_its_facilitator_at_once(
    months: Harness, fake: FakeSlack, clock: Clock, code: str, why: str, fix: str
) -> None:
    """The decision's channel was archived (or the bot removed from it) before the review. Before,
    the review asked Bob by direct message and nothing else: Alice heard of it only at the escalation,
    three days later, when its message to her there was refused. Now the review says in its channel
    that it began, and that refused, Alice is told at once by direct message: the channel, why, the fix."""
    fake.shut_out("C1", code)
    clock.now = review_due(months)
    assert await run_due(months, clock.now) == [("start_flow", "done: run 2")]
    [told] = await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUA"])
    opened = (
        "The review of 'Weekly sync' has begun: Bob is asked directly about their actions;"
        " whether the decision held is asked here."
    )
    assert told["text"] == (
        f"Run #2 ('Weekly sync') cannot post in its conversation, slack:C1: {why} ({code})."
        f' Nobody there has seen: "{opened}". {fix} and the run goes on with its next message;'
        " or end the run with the bot's command 'cancel 2'."
    )
    assert [p for p in fake.posted() if p["channel"] == "DUB" and p["text"].startswith("Review of")]
