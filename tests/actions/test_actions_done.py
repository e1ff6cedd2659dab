"""Owners report their actions done from chat (``actions``, ``done N``), not only at the review:
the commands as every platform runs them (bot.control), on a real SQLite ledger; what the ledger,
the digest, the review and the analysts' views make of it. The platforms' own paths (a Slack DM,
a slash command, a Teams personal chat) are in tests/test_actions_done_chat.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.control import is_command, names_a_run
from bot.dispatch import Dispatcher
from bot.model import Message, Trigger
from bot.store import transaction
from bot.triggers.digest import digests
from tests.actions.support import ALICE, BOB, CAROL, ROOM, decide, rows, say
from tests.clock import Clock


def test_an_owner_lists_their_actions_and_reports_one_done(bot: Dispatcher, clock: Clock) -> None:
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-10"), ("Book the venue", BOB, "2026-12-02")])
    clock.now += timedelta(days=2)
    assert say(bot, BOB, "actions") == (
        "bob, your open actions (2, 1 overdue):\n"
        "  A2 Book the venue ('Weekly sync'), due 2026-12-02 - overdue\n"
        "  A1 Draft the plan ('Weekly sync'), due 2026-12-10\n"
        "When one is done, tell me: done A2 (its code). More time: due A2 DATE. Someone else's now? give A2 @person. Stuck? Tell the facilitator."
    )
    assert say(bot, CAROL, "actions") == "You have no open actions."

    assert say(bot, BOB, "done A1") == "Marked done: 'Draft the plan' (from 'Weekly sync')."
    assert rows(bot, "SELECT id, status, done_at, done_confirmed_by FROM actions ORDER BY id") == [
        (1, "done", "2026-12-03T09:00:00.000Z", None),
        (2, "open", None, None),
    ]
    run_id = rows(bot, "SELECT run_id FROM decisions")[0][0]
    last = "SELECT run_id, direction, conversation, actor_id, kind, text FROM messages ORDER BY id DESC LIMIT 2"
    assert rows(bot, last) == [
        (
            run_id,
            "out",
            "console:room",
            None,
            "info",
            "bob reported their action done: 'Draft the plan' (from 'Weekly sync').",
        ),
        (run_id, "in", "console:bob-dm", "console:bob", "command", "done A1"),
    ]  # fmt: skip: in the transcript of the run that made the decision; its conversation is told
    assert say(bot, BOB, "actions").startswith("bob, your open actions (1, 1 overdue):\n  A2 Book the venue")

    clock.now += timedelta(days=1)
    assert say(bot, BOB, "done #a1") == "'Draft the plan' was already marked done (2026-12-03)."
    assert rows(bot, "SELECT done_at FROM actions WHERE id = 1") == [("2026-12-03T09:00:00.000Z",)]


@pytest.mark.parametrize("typed", ["done A1 A2", "done A1, A2", "done a1 and #A2"])
def test_two_actions_in_one_done_mark_neither_and_say_one_at_a_time(bot: Dispatcher, typed: str) -> None:
    """Before, 'done A1 A2' marked A1 alone and said nothing of A2, which its owner believed done."""
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-10"), ("Book the venue", BOB, "2026-12-02")])
    assert say(bot, BOB, typed) == "One action at a time, so none was marked done: say done A1, then done A2."
    assert rows(bot, "SELECT status FROM actions ORDER BY id") == [("open",), ("open",)]
    assert say(bot, BOB, "done A1 the plan is in the wiki") == "Marked done: 'Draft the plan' (from 'Weekly sync')."


def test_the_facilitator_may_report_it_in_the_owners_place_and_nobody_else_may(bot: Dispatcher) -> None:
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-10")])
    before = rows(bot, "SELECT count(*) FROM messages")
    assert say(bot, CAROL, "done A1") == (
        "No action A1 of yours (or of a decision you lead). Say 'actions' to see yours."
    )  # a participant of the meeting, not its owner: as if there were none
    assert (
        say(bot, CAROL, "done A99") == "No action A99 of yours (or of a decision you lead). Say 'actions' to see yours."
    )
    assert rows(bot, "SELECT status FROM actions") == [("open",)]
    assert rows(bot, "SELECT count(*) FROM messages") == before  # nothing written for a refusal

    told = rows(bot, "SELECT count(*) FROM messages WHERE kind = 'info'")
    assert say(bot, ALICE, "done A1", ROOM) == "Marked done in bob's place: 'Draft the plan' (from 'Weekly sync')."
    assert rows(bot, "SELECT status, done_confirmed_by FROM actions") == [("done", "console:alice")]
    notices = rows(bot, "SELECT conversation, text FROM messages WHERE kind = 'info' ORDER BY id")[told[0][0] :]
    assert notices == [("console:room", "alice reported bob's action done: 'Draft the plan' (from 'Weekly sync').")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("done", "Say which action by its code, as 'actions' and the digest show it: done A12."),
        ("done two", "Say which action by its code, as 'actions' and the digest show it: done A12."),
        ("done 1", "Say which action by its code, as 'actions' and the digest show it: done A12."),
        ("done A1" + "0" * 30, "Say which action by its code, as 'actions' and the digest show it: done A12."),
    ],
)
def test_done_without_a_number_says_what_is_expected(bot: Dispatcher, text: str, expected: str) -> None:
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-10")])
    assert say(bot, BOB, text) == expected
    assert rows(bot, "SELECT status FROM actions") == [("open",)]


def test_done_n_is_a_command_wherever_it_is_typed_but_a_bare_done_stays_a_runs_word() -> None:
    assert names_a_run("done A12") and names_a_run("Done #a12")
    assert not names_a_run("done") and not names_a_run("done soon") and not names_a_run("done 1")
    assert is_command("actions") and is_command("done A3")


def test_done_in_a_room_while_a_question_waits_answers_the_run_not_the_command(bot: Dispatcher) -> None:
    """'done' ends the list of actions in post_meeting: a run's answer comes first."""
    bot.start(Trigger(flow="post_meeting", title="Retro", facilitator=ALICE, participants=[BOB]), ROOM)
    bot.handle(Message(ROOM, ALICE, "We keep the format"))
    result = bot.handle(Message(ROOM, ALICE, "done"))
    assert result is not None and result.outcome.status == "active"


def test_the_digest_and_the_review_leave_out_an_action_reported_done(bot: Dispatcher, clock: Clock) -> None:
    decision, _ = decide(
        bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-10"), ("Book the venue", CAROL, "2026-12-11")]
    )
    say(bot, BOB, "done A1")
    with transaction(bot.db) as conn:
        sent = digests(conn, clock.now, bot.tz_for)
    assert [(r.to.name if r.to else None, "Draft the plan" in r.text) for r in sent] == [("carol", False)]

    clock.now += timedelta(days=20)
    started = bot.start(Trigger(flow="decision_review", data={"decision_id": decision}, facilitator=ALICE), ROOM)
    asked = [r.text for r in started.outcome.replies]
    assert any("'Book the venue'" in t for t in asked) and not any("'Draft the plan'" in t for t in asked)
    bot.handle(Message(ROOM, CAROL, "yes"))
    bot.handle(Message(ROOM, ALICE, "keep"))
    bot.handle(Message(ROOM, ALICE, "ok"))
    assert rows(bot, "SELECT id, status, substr(done_at, 1, 10), done_confirmed_by FROM actions ORDER BY id") == [
        (1, "done", "2026-12-01", None),  # when bob said so, not the review's day
        (2, "done", "2026-12-21", None),
    ]


def test_an_action_dropped_at_its_review_cannot_be_reported_done(bot: Dispatcher) -> None:
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-10")])
    bot.db.conn.execute("UPDATE actions SET status = 'dropped'")
    assert say(bot, BOB, "done A1") == "'Draft the plan' was dropped: there is nothing more to do about it."
    assert rows(bot, "SELECT status, done_at FROM actions") == [("dropped", None)]


def test_the_analysts_see_it_done_on_time_by_its_owner(bot: Dispatcher, clock: Clock) -> None:
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-10"), ("Book the venue", BOB, "2026-12-02")])
    say(bot, BOB, "done A1")
    clock.now += timedelta(days=5)
    say(bot, BOB, "done A2")
    view = rows(bot, "SELECT action_id, status, on_time, days_late FROM action_status ORDER BY action_id")
    assert view == [(1, "done", 1, None), (2, "done", 0, 4)]


def test_already_done_names_the_day_of_the_askers_calendar(bot: Dispatcher, clock: Clock) -> None:
    """It was the UTC date cut from the timestamp: Bob in Honolulu, told of a 09:00Z done, read the
    day after his own."""
    from zoneinfo import ZoneInfo

    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-10")])
    clock.now += timedelta(days=2)  # 2026-12-03 09:00Z: still the 2nd in Honolulu, 23:00
    assert say(bot, BOB, "done A1").startswith("Marked done")
    bot.tz_for = lambda actor: ZoneInfo("Pacific/Honolulu") if actor == BOB else ZoneInfo("Europe/Berlin")
    assert say(bot, BOB, "done A1") == "'Draft the plan' was already marked done (2026-12-02)."
    assert say(bot, ALICE, "done A1") == "'Draft the plan' was already marked done (2026-12-03)."
