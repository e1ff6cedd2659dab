"""After their decision, actions change: ``due A12 DATE`` moves one's due date, ``drop A12 [why]``
drops one (its owner left, the plan changed). The commands as every platform runs them
(bot.control), on a real SQLite ledger; what the ledger, the digest, ``actions`` and the
analysts' tables make of them. The Slack path is in test_actions_done_chat.py."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.control import actions_of, comes_first, names_a_run
from bot.dispatch import Dispatcher
from bot.model import Actor, Message, Trigger
from bot.store.jobs import claim_due
from bot.triggers.digest import digests
from tests.actions.support import ALICE, BOB, CAROL, ROOM, decide, rows, say
from tests.clock import Clock

CHANGES = "SELECT action_id, field, old, new, reason, actor_id FROM action_changes ORDER BY id"


def test_an_owner_moves_the_due_date_and_everything_after_goes_by_it(bot: Dispatcher, clock: Clock) -> None:
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03")])
    clock.now += timedelta(days=3)  # 2026-12-04: overdue
    assert "overdue" in say(bot, BOB, "actions")
    assert say(bot, BOB, "due A1 2026-12-18") == "'Draft the plan' is now due on 2026-12-18 (was 2026-12-03)."
    assert rows(bot, "SELECT due, status FROM actions") == [("2026-12-18", "open")]
    assert rows(bot, CHANGES) == [(1, "due", "2026-12-03", "2026-12-18", None, "console:bob")]
    last = "SELECT direction, conversation, kind, text FROM messages ORDER BY id DESC LIMIT 2"
    assert rows(bot, last) == [
        (
            "out",
            "console:room",
            "info",
            "bob moved the due date of their action 'Draft the plan' (from 'Weekly sync') to 2026-12-18 (was 2026-12-03).",
        ),
        ("in", "console:bob-dm", "command", "due A1 2026-12-18"),
    ]  # fmt: skip: in the transcript of the run that made the decision; its conversation is told
    assert "overdue" not in say(bot, BOB, "actions")
    [digest] = digests(bot.db.conn, clock.now, lambda _: ZoneInfo("Europe/Berlin"))
    assert "due 2026-12-18" in digest.text and "overdue" not in digest.text
    # analysts' follow-through goes by the date in force; the first one stays in action_changes
    assert rows(bot, "SELECT julianday(due) + 1.5 = deadline_jd FROM actions JOIN analytics_actions ON action_id = id")
    assert rows(bot, "SELECT count(*) FROM analytics_actions WHERE deadline_jd = julianday('2026-12-18') + 1.5") == [
        (1,)
    ]


def test_a_due_date_said_in_words_is_read_on_the_callers_calendar(bot: Dispatcher, clock: Clock) -> None:
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03")])  # Tuesday 2026-12-01, 09:00 UTC
    assert say(bot, BOB, "due A1 in 2 weeks") == "'Draft the plan' is now due on 2026-12-15 (was 2026-12-03)."
    assert say(bot, ALICE, "due a1 end of month").startswith("'Draft the plan' is now due on 2026-12-31")
    assert rows(bot, CHANGES)[-1] == (1, "due", "2026-12-15", "2026-12-31", None, "console:alice")  # the facilitator
    assert rows(bot, "SELECT text FROM messages ORDER BY id DESC LIMIT 1")[0][0].startswith(
        "alice moved the due date of bob's action 'Draft the plan'"
    )


@pytest.mark.parametrize(
    ("who", "text", "says"),
    [
        (BOB, "due A1", "Say which action and its new due date: due A12 next friday"),
        (BOB, "due next friday", "Say which action and its new due date"),
        (BOB, "due A1 whenever", "I can't read 'whenever' as a date. Try: due A1 next friday"),
        # a time of day, or "asap": said as a date question says it (before: "Say which action ...", named)
        (BOB, "due A1 noon", "'noon' is a time of day; a due date is a day. Say which: due A1 tomorrow"),
        (BOB, "due A1 15:06", "'15:06' is a time of day; a due date is a day."),
        (BOB, "due A1 asap", "'asap' needs a day here: say the soonest it can be, due A1 today, tomorrow or friday."),
        (BOB, "due A1 2026-11-30", "2026-11-30 has passed (today is 2026-12-01). Give a date from today on."),
        (BOB, "due A1 2026-12-03", "'Draft the plan' is already due on 2026-12-03."),
        (BOB, "due A1 9999-12-31", "That is more than 100 years away. Give a date up to 2126-12-01."),
        (CAROL, "due A1 2026-12-20", "No action A1 of yours (or of a decision you lead)."),
        (BOB, "due A9 2026-12-20", "No action A9 of yours"),
        (CAROL, "drop A1", "No action A1 of yours"),
        (BOB, "drop", "Say which action by its code, as 'actions' shows it, and why if you like: drop A12"),
        (BOB, "drop 1", "Say which action by its code"),
    ],
)
def test_what_cannot_change_an_action_says_why_and_writes_nothing(
    bot: Dispatcher, who: Actor, text: str, says: str
) -> None:
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03")])
    before = rows(bot, "SELECT count(*) FROM messages")
    assert say(bot, who, text).startswith(says)
    assert rows(bot, "SELECT due, status FROM actions") == [("2026-12-03", "open")]
    assert rows(bot, CHANGES) == []
    assert rows(bot, "SELECT count(*) FROM messages") == before


def test_the_facilitator_drops_an_action_whose_owner_left(bot: Dispatcher, clock: Clock) -> None:
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03"), ("Book the venue", CAROL, "2026-12-05")])
    clock.now += timedelta(days=10)
    assert say(bot, ALICE, "drop A1 bob left the company") == (
        "Dropped: 'Draft the plan' (from 'Weekly sync'). It is no longer listed or chased."
    )
    assert rows(bot, "SELECT id, status, done_at FROM actions ORDER BY id") == [(1, "dropped", None), (2, "open", None)]
    assert rows(bot, CHANGES) == [(1, "status", "open", "dropped", "bob left the company", "console:alice")]
    assert rows(bot, "SELECT text FROM messages WHERE kind = 'info' ORDER BY id DESC LIMIT 1") == [
        ("alice dropped bob's action 'Draft the plan' (from 'Weekly sync'): bob left the company",)
    ]
    assert say(bot, BOB, "actions") == "You have no open actions."
    assert [r.to for r in digests(bot.db.conn, clock.now, lambda _: ZoneInfo("UTC"))] == [CAROL]
    assert say(bot, BOB, "done A1") == "'Draft the plan' was dropped: there is nothing more to do about it."
    assert say(bot, ALICE, "due A1 2027-01-10") == "'Draft the plan' was dropped: there is nothing more to do about it."
    assert rows(bot, "SELECT status FROM analytics_actions WHERE action_id = 1") == [("dropped",)]
    assert say(bot, CAROL, "drop A2").startswith("Dropped: 'Book the venue'")  # an owner may, without a reason
    assert rows(bot, CHANGES)[-1] == (2, "status", "open", "dropped", None, "console:carol")


def test_due_and_drop_with_their_action_are_commands_wherever_typed() -> None:
    """Typed in a run's thread or while a question waits, they are never taken as its answer; the
    bare words are (the review's keep / change / drop)."""
    assert names_a_run("due A3 next friday") and names_a_run("drop A3") and names_a_run("drop #a3 the vendor left")
    assert not names_a_run("drop") and not names_a_run("due A3") and not names_a_run("due by friday")


def test_a_sentence_that_starts_like_due_or_drop_is_a_command_only_for_the_speakers_actions(
    bot: Dispatcher,
) -> None:
    """ "Drop A1 paper, print on Letter" typed as an answer was taken as a drop command ("No action
    A1 of yours") and never recorded: it is a command only when the action is the speaker's (they
    own it or lead its decision)."""
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03")])
    carols, bobs, alices = (actions_of(bot, p.id) for p in (CAROL, BOB, ALICE))
    assert not names_a_run("Drop A1 paper, print on Letter", carols)
    assert not comes_first("due A1 review moved to Q3", {"post_meeting"}, carols)
    assert names_a_run("drop A1 the plan changed", bobs) and names_a_run("due A1 next friday", alices)
    assert not names_a_run("drop A9", bobs)  # no such action: words, not a command


def test_an_action_dropped_while_its_review_is_under_way_stays_dropped(bot: Dispatcher, clock: Clock) -> None:
    """Bob said yes at the review, then alice dropped his action (the plan changed) before she
    held the review: it ends dropped, as action_changes says (before, the review's end marked it done)."""
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03"), ("Book the venue", CAROL, "2026-12-05")])
    clock.now += timedelta(days=7)
    bot.start(Trigger(flow="decision_review", data={"decision_id": 1}, facilitator=ALICE), ROOM)
    bot.handle(Message(ROOM, BOB, "yes"))
    assert say(bot, ALICE, "drop A1 the plan changed").startswith("Dropped: 'Draft the plan'")
    for who, text in ((CAROL, "yes"), (ALICE, "keep"), (ALICE, "ok")):
        bot.handle(Message(ROOM, who, text))
    assert rows(bot, "SELECT id, status, done_at IS NULL FROM actions ORDER BY id") == [
        (1, "dropped", 1),
        (2, "done", 0),
    ]
    assert rows(bot, "SELECT status FROM analytics_actions ORDER BY action_id") == [("dropped",), ("done",)]


def test_the_review_summary_says_an_action_dropped_while_it_was_under_way_is_dropped(
    bot: Dispatcher, clock: Clock
) -> None:
    """Bob said yes at the review, then alice dropped his action: the review's summary says it was
    dropped, as the ledger has it (it said 'Draft the plan - bob: done')."""
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03"), ("Book the venue", CAROL, "2026-12-05")])
    clock.now += timedelta(days=7)
    bot.start(Trigger(flow="decision_review", data={"decision_id": 1}, facilitator=ALICE), ROOM)
    bot.handle(Message(ROOM, BOB, "yes"))
    say(bot, ALICE, "drop A1 the plan changed")
    for who, text in ((CAROL, "yes"), (ALICE, "keep"), (ALICE, "ok")):
        bot.handle(Message(ROOM, who, text))
    (summary,) = rows(bot, "SELECT text FROM messages WHERE kind = 'summary' AND run_id = 2")
    assert "  - Draft the plan - bob: dropped" in summary[0] and "  - Book the venue - carol: done" in summary[0]


def test_a_changed_reviews_summary_says_an_action_reported_done_meanwhile_is_done_not_still_open(
    bot: Dispatcher, clock: Clock
) -> None:
    """Bob reported his action done (``done A1``) while its review was under way, then answered its
    question no, and the decision changed: the summary said "Draft the plan - bob: not done" and
    "Still open, and reviewed with the new decision: A1 ...", though the ledger keeps it done and
    ``drop A1`` is refused. Now it says done, reported with done A1, and carries only what is open."""
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03"), ("Book the venue", CAROL, "2026-12-05")])
    clock.now += timedelta(days=7)
    bot.start(Trigger(flow="decision_review", data={"decision_id": 1}, facilitator=ALICE), ROOM)
    assert say(bot, BOB, "done A1").startswith("Marked done")
    for who, text in ((BOB, "no"), (CAROL, "no"), (ALICE, "change"), (ALICE, "Ship in Q2"), (ALICE, "ok")):
        bot.handle(Message(ROOM, who, text))
    (summary,) = rows(bot, "SELECT text FROM messages WHERE kind = 'summary' AND run_id = 2")
    assert "  - Draft the plan - bob: done (reported with done A1)" in summary[0]
    assert "  - Book the venue - carol: not done" in summary[0]
    assert "Still open, and reviewed with the new decision: A2 Book the venue (carol)." in summary[0]
    assert "A1 Draft the plan" not in summary[0]
    assert rows(bot, "SELECT id, status FROM actions ORDER BY id") == [(1, "done"), (2, "open")]


def test_a_review_under_way_asks_again_with_the_due_date_moved_since_it_began(bot: Dispatcher, clock: Clock) -> None:
    """The review asked bob about his action due 2026-12-03; he moved it to 2026-12-18 (``due A1``):
    'help' and the reminder ask with 2026-12-18 (they named 2026-12-03, as the review began)."""
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03")])
    clock.now += timedelta(days=7)
    started = bot.start(Trigger(flow="decision_review", data={"decision_id": 1}, facilitator=ALICE), ROOM)
    assert "(due 2026-12-03)" in started.outcome.replies[0].text
    say(bot, BOB, "due A1 2026-12-18")
    helped = bot.handle(Message(ROOM, BOB, "help"))
    assert helped is not None
    assert helped.outcome.replies[0].text.splitlines()[0] == (
        "Review of 'Weekly sync': was your action 'Draft the plan' (due 2026-12-18) done?"
    )
    clock.now += timedelta(days=1, minutes=1)
    [reminder] = claim_due(bot.db.conn, clock.now, 10, clock.now, ("remind",))
    assert bot.run_job(reminder) == "done"
    (reminded,) = rows(bot, "SELECT text FROM messages WHERE direction = 'out' ORDER BY id DESC LIMIT 1")
    assert "(due 2026-12-18)" in reminded[0] and "2026-12-03" not in reminded[0]
