"""Conversations of flows/post_meeting.yaml with several action owners, and with people a
question is not for. Helpers, and the fixed clock, in tests/test_engine_turns.py."""

from __future__ import annotations

from tests.test_engine_turns import (
    ALICE,
    BOB,
    CAROL,
    DRAFT,
    NOT_FOR_YOU,
    REVIEW_PROMPT,
    STAMP,
    VENUE,
    accept_prompt,
    action_lines,
    answers,
    person,
    rows,
    run_row,
    say,
    say_all,
    start,
    to_owners,
)

# --- 7. several owners -----------------------------------------------------------------------

MINUTES = ("Send minutes", "bob", "in 2 weeks")  # due 2026-12-10


def test_owners_answer_in_any_order_one_question_each_at_a_time(db, bot):
    to_owners(bot, DRAFT, VENUE, MINUTES)
    # bob's second action waits until he has answered the first
    outbox = rows(db, "SELECT actor_name, text FROM messages WHERE direction = 'out' AND step = 'owner_accepts'")
    assert outbox == [
        ("bob", accept_prompt("Draft plan", "2026-11-27")),
        ("carol", accept_prompt("Book venue", "2026-12-10")),
    ]
    assert rows(db, "SELECT waiting_on FROM runs") == [(" console:bob console:carol ",)]

    assert say(bot, BOB, "yes") == [("bob", "prompt", accept_prompt("Send minutes", "2026-12-10"))]
    assert run_row(db) == ("owner_accepts", "active")
    assert say(bot, CAROL, "yes") == []
    assert run_row(db) == ("owner_accepts", "active")
    assert rows(db, "SELECT waiting_on FROM runs") == [(" console:bob ",)]
    assert say(bot, BOB, "yes") == [("alice", "prompt", REVIEW_PROMPT)]
    assert run_row(db) == ("review_at", "active")
    assert rows(db, "SELECT item, actor_id, value FROM answers WHERE step = 'owner_accepts' ORDER BY id") == [
        (1, "console:bob", "true"),
        (2, "console:carol", "true"),
        (3, "console:bob", "true"),
    ]


def test_a_declined_action_is_reassigned_by_the_facilitator(db, bot):
    to_owners(bot)
    assert say(bot, CAROL, "yes") == []
    assert say(bot, BOB, "no") == [
        ("bob", "info", "Noted. I'll ask alice to reassign it."),
        ("alice", "prompt", "bob declined Action 1 ('Draft plan'). Who should own it instead?"),
    ]
    assert run_row(db) == ("owner_accepts", "active")
    assert say(bot, ALICE, "carol") == [("carol", "prompt", accept_prompt("Draft plan", "2026-11-27"))]
    assert say(bot, CAROL, "yes") == [("alice", "prompt", REVIEW_PROMPT)]
    assert answers(db)[-4:] == [
        ("owner_accepts", 2, None, "console:carol", "true", "answer", 1),
        ("owner_accepts", 1, None, "console:bob", "false", "answer", 1),
        ("actions", 1, "owner", "console:alice", person(CAROL), "correction", 2),
        ("owner_accepts", 1, None, "console:carol", "true", "answer", 2),
    ]
    say(bot, ALICE, "ok")
    assert rows(db, "SELECT item, owner_id, accepted_at FROM actions ORDER BY item") == [
        (1, "console:carol", STAMP),
        (2, "console:carol", STAMP),
    ]


def test_the_facilitator_asked_to_reassign_reads_why_the_owner_declined(db, bot):
    """An owner's reason ("No, I'm out that week") was stored but never shown: the facilitator
    had to guess whom to pick instead. A bare no (a button, "nope") adds nothing. Said in private,
    it is told to the facilitator alone (``private``), not quoted in the question the run's other
    people read (on Slack its thread: tests/test_slack_dm_rows.py)."""
    to_owners(bot, DRAFT, VENUE)
    assert say(bot, BOB, "No, I'm out that week") == [
        ("bob", "info", "Noted. I'll ask alice to reassign it."),
        (
            "alice",
            "prompt",
            "bob declined Action 1 ('Draft plan'), with a reason told to you alone. Who should own it instead?",
        ),
        (
            "alice",
            "info",
            "bob's reason for declining Action 1 ('Draft plan') of 'Weekly sync', for you alone:"
            ' "No, I\'m out that week"',
        ),
    ]
    told = "SELECT actor_name, private FROM messages WHERE direction = 'out' AND text LIKE '%out that week%'"
    assert rows(db, told) == [("alice", 1)]
    assert say(bot, CAROL, "nope") == [
        ("carol", "info", "Noted. I'll ask alice to reassign it.")
    ]  # alice's first waits
    replies = say(bot, ALICE, "carol")  # carol now owns action 1, and alice reads carol's no
    assert ("alice", "prompt", "carol declined Action 2 ('Book venue'). Who should own it instead?") in replies


def test_the_facilitator_who_declines_their_own_action_is_not_told_of_themselves(db, bot):
    """Alice, who leads the run, declined the action she had taken on: she read "Noted. I'll ask
    alice to reassign it." and then "alice declined Action 1 ...", as if about someone else."""
    to_owners(bot, ("Draft plan", "me", "next friday"), VENUE)
    assert say(bot, CAROL, "yes") == []
    assert say(bot, ALICE, "No, I'm away that week") == [
        ("alice", "info", "Noted. You lead this run, so I'll ask you who should own it instead."),
        (
            "alice",
            "prompt",
            "You declined Action 1 ('Draft plan'). Who should own it instead?",  # her own words: not told back
        ),
    ]
    assert say(bot, ALICE, "carol") == [("carol", "prompt", accept_prompt("Draft plan", "2026-11-27"))]


# --- 8. people the question is not for -------------------------------------------------------


def test_a_message_from_someone_not_asked_is_refused_and_recorded(db, bot):
    start(bot)
    assert say(bot, CAROL, "We ship in April") == [("carol", "error", NOT_FOR_YOU.format("alice"))]
    assert rows(db, "SELECT actor_id, actor_name, step, kind, text FROM messages WHERE direction = 'in'") == [
        ("console:carol", "carol", "decision", "refused", "We ship in April")
    ]
    assert rows(
        db, "SELECT actor_id, kind, private FROM messages WHERE direction = 'out' ORDER BY id DESC LIMIT 1"
    ) == [("console:carol", "error", 1)]
    assert answers(db) == []
    assert run_row(db) == ("decision", "active")


def test_help_from_someone_the_run_asks_nothing_says_what_it_waits_for(db, bot):
    """A participant (or an owner whose turn is later) typing 'help' in the run's conversation was
    told 'This question is for alice. Your message was noted but not taken as an answer.'; the
    facilitator, while the owners answer, is told what they may still do."""
    start(bot)
    say(bot, ALICE, "We ship in March")
    nothing = (
        "Run #1 ('Weekly sync') asks you nothing right now. It waits for {}. When it asks you something,"
        " 'help' explains the question."
    )
    assert say(bot, CAROL, "help") == [
        ("carol", "info", nothing.format('alice to answer "Action 1: What is the action?"'))
    ]
    assert say(bot, CAROL, "We ship in April") == [("carol", "error", NOT_FOR_YOU.format("alice"))]  # as before
    say_all(bot, action_lines(("Draft the plan", "@bob", "2030-01-15")))
    assert say(bot, ALICE, "help") == [
        (
            "alice",
            "info",
            nothing.format("bob to accept 'Draft the plan'")
            + " Meanwhile you can say 'cancel' (end the run) or correct an earlier answer,"
            " e.g. 'change owner of action 2 to @bob'.",
        )
    ]
