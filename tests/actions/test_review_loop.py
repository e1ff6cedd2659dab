"""The review loop over days and weeks, with the shipped flows on a real SQLite ledger and the
scheduler's own jobs fired by a clock the tests move: a review whose owner never answers (he left
the company), when an action counts as reported done at a review, and a review held by hand
before its date. post_meeting's review defaults to 4 weeks: decided on 2026-12-01, the review job
is due 2026-12-29 at 09:00 in Berlin (08:00 UTC); decision_review reminds after 1 day and
escalates after 3."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.dispatch import Dispatcher
from bot.errors import BotError
from bot.model import ConversationKey, Message, Trigger
from bot.scheduler import Scheduler
from tests.actions.support import ALICE, BOB, CAROL, ROOM, ROOT, decide, dispatcher
from tests.clock import Clock
from tests.dates import JAN15

REVIEW_DAY = datetime(2026, 12, 29, 8, 0, tzinfo=UTC)


def run_due(bot: Dispatcher) -> list[tuple[str, str]]:
    return [(job.kind, outcome) for job, outcome in asyncio.run(Scheduler(bot).run_due())]


def told(bot: Dispatcher, who: str, after: int) -> list[str]:
    rows = bot.db.conn.execute(
        "SELECT text FROM messages WHERE direction = 'out' AND actor_name = ? AND id > ? ORDER BY id", (who, after)
    )
    return [text for (text,) in rows]


def last_message(bot: Dispatcher) -> int:
    return int(bot.db.conn.execute("SELECT max(id) FROM messages").fetchone()[0])


def reviewed(bot: Dispatcher, clock: Clock) -> None:
    """Bob's and carol's decision, its review started by the job on its day."""
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-10"), ("Book the venue", CAROL, "2026-12-11")])
    clock.now = REVIEW_DAY
    assert run_due(bot) == [("start_flow", "done: run 2")]


def test_a_review_an_owner_never_answers_comes_to_the_facilitator_who_holds_it(bot: Dispatcher, clock: Clock) -> None:
    """Bob has left: his review question is reminded, then handed to alice with the escalation
    (before, it stayed his and the review could only stall); her yes is the done, confirmed by her."""
    reviewed(bot, clock)
    bot.handle(Message(ROOM, CAROL, "yes"))
    seen = last_message(bot)
    clock.now = REVIEW_DAY + timedelta(days=3)
    assert run_due(bot) == [("remind", "done: escalate")]
    assert told(bot, "alice", seen)[-1] == (
        "bob could not answer this one, so it comes to you: did bob do the action 'Draft the plan' (due 2026-12-10)?"
    )
    for text in ("yes", "keep", "ok"):
        bot.handle(Message(ROOM, ALICE, text))
    rows = bot.db.conn.execute("SELECT what, status, done_confirmed_by FROM actions ORDER BY id").fetchall()
    assert rows == [("Draft the plan", "done", "console:alice"), ("Book the venue", "done", None)]
    assert bot.db.conn.execute("SELECT outcome, held_at FROM reviews WHERE run_id = 2").fetchall() == [
        ("kept", "2027-01-01T08:00:00.000Z")
    ]


def test_an_action_counts_as_done_when_its_owner_said_so_at_the_review(bot: Dispatcher, clock: Clock) -> None:
    """Carol says yes on the review's first morning; alice holds the review two days later: carol's
    action was reported done when she said it (before, when the review ended)."""
    reviewed(bot, clock)
    clock.now = REVIEW_DAY + timedelta(hours=1)
    bot.handle(Message(ROOM, CAROL, "yes"))
    clock.now = REVIEW_DAY + timedelta(hours=3)
    bot.handle(Message(ROOM, BOB, "yes"))
    clock.now = REVIEW_DAY + timedelta(days=2)
    for text in ("keep", "ok"):
        bot.handle(Message(ROOM, ALICE, text))
    rows = bot.db.conn.execute("SELECT owner_name, done_at FROM actions ORDER BY id").fetchall()
    assert rows == [("bob", "2026-12-29T11:00:00.000Z"), ("carol", "2026-12-29T09:00:00.000Z")]
    assert bot.db.conn.execute("SELECT held_at FROM reviews WHERE run_id = 2").fetchone() == (
        "2026-12-31T08:00:00.000Z",
    )


def test_a_review_held_by_hand_before_its_date_replaces_the_scheduled_one(bot: Dispatcher, clock: Clock) -> None:
    """Alice reviews the decision a week early and keeps it until 2027-02-01: the job of
    2026-12-29 starts no second review (before, it did, and took the February review's row)."""
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-10")])
    clock.now = REVIEW_DAY - timedelta(days=7)
    bot.start(Trigger(flow="decision_review", data={"decision_id": 1}, facilitator=ALICE), ROOM)
    for who, text in ((BOB, "yes"), (ALICE, "keep"), (ALICE, "2027-02-01")):
        bot.handle(Message(ROOM, who, text))
    clock.now = REVIEW_DAY
    assert run_due(bot) == []
    clock.now = datetime(2027, 2, 1, 8, 0, tzinfo=UTC)
    assert run_due(bot) == [("start_flow", "done: run 3")]
    reviews = bot.db.conn.execute("SELECT due_at, run_id, outcome FROM reviews ORDER BY id").fetchall()
    assert reviews == [("2026-12-29", 2, "kept"), ("2027-02-01", 3, None)]
    assert bot.db.conn.execute("SELECT count(*) FROM runs WHERE flow_id = 'decision_review'").fetchone() == (2,)


def test_a_review_triggered_from_the_command_line_is_led_by_the_decisions_facilitator(tmp_path: Path) -> None:
    """``decisionbot trigger decision_review --data decision_id=1`` names no facilitator: the
    decision's leads the review (before, the first owner to answer took her place and was asked
    whether the decision held)."""
    db = tmp_path / "t.db"
    cli(db, "chat", "post_meeting", "-f", "alice", "-p", "bob", "--jsonl", lines=MEETING)
    started = cli(db, "trigger", "decision_review", "--channel", "console", "--data", "decision_id=1")
    assert "bot -> bob: Review of 'Post-meeting decision check'" in started
    out = cli(db, "chat", "--run", "2", "--jsonl", lines=[{"as": "bob", "text": "yes"}], code=1)
    asked = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert (asked[-1]["to"], asked[-1]["step"]) == ("console:alice", "outcome")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT facilitator_id FROM runs WHERE id = 2").fetchone() == ("console:alice",)


def test_a_review_triggered_without_a_channel_goes_to_the_decisions_conversation(tmp_path: Path, clock: Clock) -> None:
    """``trigger decision_review --data decision_id=N`` without ``--channel`` starts where the
    scheduled review would: the decision's conversation, out of the meeting's Slack thread (before,
    it was refused for want of a channel unless a route or DECISIONBOT_DEFAULT_CHANNEL gave one);
    ``--channel`` still wins, and a decision not in the ledger is named."""
    db = tmp_path / "ledger.db"
    bot = next(dispatcher(tmp_path, clock))
    meeting = ConversationKey("slack", "C0ROOM", "1764579600.000100")
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-10")], where=meeting)
    bot.db.conn.close()
    started = cli(db, "trigger", "decision_review", "--data", "decision_id=1")
    assert "Started run #2 (decision_review) in slack:C0ROOM." in started
    cli(db, "runs", "cancel", "2")  # one review of a decision at a time
    cli(db, "trigger", "decision_review", "--channel", "console:elsewhere", "--data", "decision_id=1")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT id, conversation FROM runs ORDER BY id").fetchall() == [
            (1, "slack:C0ROOM/1764579600.000100"),
            (2, "slack:C0ROOM"),
            (3, "console:elsewhere"),
        ]
    refused = cli(db, "trigger", "decision_review", "--data", "decision_id=7", code=1)
    assert "No decision 7 in the ledger: " in refused


MEETING = [
    {"text": "We ship in March"},
    {"text": "Draft the plan"},
    {"text": "@bob"},
    {"text": JAN15},
    {"text": "done"},
    {"as": "bob", "text": "yes"},
    {"as": "alice", "text": "ok"},
]


def cli(db: Path, *args: str, lines: list[dict[str, str]] | None = None, code: int = 0) -> str:
    result = CliRunner().invoke(
        main,
        ["--db", str(db), "--flows", str(ROOT / "flows"), *args],
        input="".join(json.dumps(line) + "\n" for line in lines or []),
        catch_exceptions=False,
    )
    assert result.exit_code == code, result.output
    return result.output


def test_a_held_review_says_what_was_decided_of_each_action_and_moves_the_decisions_review_date(
    bot: Dispatcher, clock: Clock
) -> None:
    """The review's summary began "Decision recorded" whatever it decided and said nothing of the
    actions; a kept decision's ``review_at`` kept the old date (the next one was only in reviews)."""
    reviewed(bot, clock)
    bot.handle(Message(ROOM, CAROL, "yes"))
    bot.handle(Message(ROOM, BOB, "no"))
    bot.handle(Message(ROOM, ALICE, "keep"))
    last = bot.handle(Message(ROOM, ALICE, "2027-02-01"))
    assert last is not None
    [summary] = [r.text for r in last.outcome.replies if r.kind == "summary"]
    assert summary == (
        "Review recorded: Weekly sync - kept\n"
        "  - Draft the plan - bob: not done\n"
        "  - Book the venue - carol: done\n"
        "Next review on 2027-02-01."
    )
    assert bot.db.conn.execute("SELECT review_at FROM decisions").fetchall() == [("2027-02-01",)]


def test_a_review_summary_tells_the_owners_reason_as_a_decline_does(bot: Dispatcher, clock: Clock) -> None:
    """Bob's "no, blocked by legal" was stored but the summary said only "not done"; now the
    summary, posted in the review's thread, quotes an owner's words beyond yes or no."""
    reviewed(bot, clock)
    bot.handle(Message(ROOM, CAROL, "Yes, booked it last week"))
    bot.handle(Message(ROOM, BOB, "no, blocked by legal"))
    bot.handle(Message(ROOM, ALICE, "keep"))
    last = bot.handle(Message(ROOM, ALICE, "2027-02-01"))
    assert last is not None
    [summary] = [r.text for r in last.outcome.replies if r.kind == "summary"]
    assert summary == (
        "Review recorded: Weekly sync - kept\n"
        '  - Draft the plan - bob: not done: "no, blocked by legal"\n'
        '  - Book the venue - carol: done: "Yes, booked it last week"\n'
        "Next review on 2027-02-01."
    )
    raw = bot.db.conn.execute("SELECT raw FROM answers WHERE step = 'actions_done' ORDER BY item").fetchall()
    assert raw == [("no, blocked by legal",), ("Yes, booked it last week",)]


def test_a_review_held_by_hand_still_under_way_on_the_review_date_is_not_started_twice(
    bot: Dispatcher, clock: Clock
) -> None:
    """Alice starts the review two days early; bob answers only after the review date. The job of
    that date starts no second review (before, it did: bob was asked twice, and the later review
    took the next review's row), and the review held by hand is the one recorded."""
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-10")])
    clock.now = REVIEW_DAY - timedelta(days=2)
    bot.start(Trigger(flow="decision_review", data={"decision_id": 1}, facilitator=ALICE), ROOM)
    clock.now = REVIEW_DAY
    assert ("start_flow", "skipped: a review of decision 1 is under way (run 2)") in run_due(bot)
    assert bot.db.conn.execute("SELECT count(*) FROM runs WHERE flow_id = 'decision_review'").fetchone() == (1,)
    clock.now = REVIEW_DAY + timedelta(hours=2)
    for who, text in ((BOB, "yes"), (ALICE, "keep"), (ALICE, "2027-02-01")):
        bot.handle(Message(ROOM, who, text))
    reviews = bot.db.conn.execute("SELECT due_at, run_id, outcome FROM reviews ORDER BY id").fetchall()
    assert reviews == [("2026-12-29", 2, "kept"), ("2027-02-01", None, None)]
    assert bot.db.conn.execute("SELECT status FROM runs WHERE id = 2").fetchone() == ("completed",)


def test_a_review_held_by_hand_that_stalled_before_the_review_date_is_not_started_twice(
    bot: Dispatcher, clock: Clock
) -> None:
    """Alice starts the review three weeks early and nobody answers: it escalates, expires and
    stalls. A stalled run is open (a late answer resumes it), yet on the review date the job
    started a second review beside it, both asking bob. Now the date's job skips it."""
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-10")])
    clock.now = REVIEW_DAY - timedelta(days=21)
    bot.start(Trigger(flow="decision_review", data={"decision_id": 1}, facilitator=ALICE), ROOM)
    while clock.now < REVIEW_DAY - timedelta(days=1):
        clock.now += timedelta(days=1)
        run_due(bot)
    assert bot.db.conn.execute("SELECT status FROM runs WHERE id = 2").fetchone() == ("stalled",)
    clock.now = REVIEW_DAY
    assert ("start_flow", "skipped: a review of decision 1 is under way (run 2)") in run_due(bot)
    assert bot.db.conn.execute("SELECT count(*) FROM runs WHERE flow_id = 'decision_review'").fetchone() == (1,)
    told = "SELECT text FROM messages WHERE run_id = 2 ORDER BY id DESC LIMIT 1"
    assert bot.db.conn.execute(told).fetchone() == (
        "The review date of decision 1 has come; its review (run #2) stalled. It waits for alice: an answer"
        " picks it up again.",
    )  # the date does not pass in silence
    with pytest.raises(BotError, match=r"A review of decision 1 is under way \(run #2\)"):
        bot.start(Trigger(flow="decision_review", data={"decision_id": 1}, facilitator=ALICE), ROOM)
