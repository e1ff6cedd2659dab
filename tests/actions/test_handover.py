"""``give A12 @person [why]``: an action offered to someone else changes hands only when they say
yes (owners confirm what they own). The command as every platform runs it (bot.control), the
handover flow (flows/action_handover.yaml) asking the new owner, its timers, and what the ledger,
the transcript and the analysts' tables make of the outcome, on a real SQLite ledger. The Slack
and Teams paths are in tests/test_handover_chat.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.control import actions_of, comes_first, names_a_run
from bot.dispatch import Dispatcher
from bot.model import Actor, ConversationKey, Message, Trigger
from bot.store import jobs
from tests.actions.support import ALICE, BOB, CAROL, DM, ROOM, decide, dispatcher, rows, say
from tests.clock import Clock

DAVE = Actor("console:dave", "dave")
CHANGES = "SELECT action_id, field, old, new, reason, actor_id FROM action_changes ORDER BY id"
OWNER = "SELECT owner_id, owner_name, accepted_at, confirmed_by FROM actions WHERE id = 1"
TOLD = "SELECT actor_id, private, text FROM messages WHERE direction = 'out' AND kind = 'info' AND id > ? ORDER BY id"


@pytest.fixture
def bot(tmp_path: Path, clock: Clock) -> Iterator[Dispatcher]:
    """The shipped post_meeting and decision_review flows, and the handover flow."""
    yield from dispatcher(tmp_path, clock, "action_handover.yaml")


def last_out(bot: Dispatcher) -> int:
    return int(rows(bot, "SELECT coalesce(max(id), 0) FROM messages")[0][0])


def test_the_new_owner_says_yes_and_the_action_is_theirs(bot: Dispatcher, clock: Clock) -> None:
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03")])
    clock.now += timedelta(hours=2)
    said = say(bot, BOB, "give A1 @carol I am off to the Lisbon office")
    assert said == (
        "Asked carol to take over 'Draft the plan'. It changes hands only when they say yes; I'll tell you their"
        " answer. (Run #2: cancel 2 withdraws it.)"
    )
    assert rows(bot, OWNER)[0][:2] == ("console:bob", "bob")  # nothing changes before her yes
    (asked,) = rows(bot, "SELECT actor_id, private, text FROM messages WHERE run_id = 2 AND kind = 'prompt'")
    assert asked == (
        "console:carol",
        1,
        "bob asks you to take over action 'Draft the plan' (due 2026-12-03) from 'Weekly sync'. Do you accept?",
    )
    before = last_out(bot)
    clock.now += timedelta(hours=1)
    bot.handle(Message(DM, CAROL, "yes"))
    assert rows(bot, OWNER) == [("console:carol", "carol", "2026-12-01T12:00:00.000Z", None)]
    assert rows(bot, CHANGES) == [
        (1, "owner", "console:bob", "console:carol", "I am off to the Lisbon office", "console:bob")
    ]
    assert rows(bot, TOLD, before) == [
        (None, 0, "carol took over bob's action 'Draft the plan' (from 'Weekly sync'): I am off to the Lisbon office"),
        ("console:bob", 1, "carol took over your action 'Draft the plan' (from 'Weekly sync'). It is no longer yours."),
        ("console:carol", 1, "'Draft the plan' (from 'Weekly sync', due 2026-12-03) is yours now. When it is done, tell me: done A1."),
    ]  # fmt: skip
    notice = "SELECT run_id, conversation FROM messages WHERE text LIKE 'carol took over bob''s%'"
    assert rows(bot, notice) == [(1, "console:room")]  # the decision's conversation, in its run's transcript
    typed = "SELECT run_id, conversation, kind FROM messages WHERE text LIKE 'give A1%'"
    assert rows(bot, typed) == [(1, "console:bob-dm", "command")]
    assert rows(bot, "SELECT actor_id, step, value FROM answers WHERE run_id = 2") == [
        ("console:carol", "takes_over", "true")
    ]
    assert rows(bot, "SELECT status FROM runs WHERE id = 2") == [("completed",)]
    # the owner in force everywhere: her actions, his, the analysts' follow-through by owner
    assert "A1 Draft the plan" in say(bot, CAROL, "actions") and say(bot, BOB, "actions") == "You have no open actions."
    assert say(bot, CAROL, "done A1").startswith("Marked done: 'Draft the plan'")
    assert rows(bot, "SELECT owner_id, status FROM analytics_actions") == [("console:carol", "done")]
    assert rows(bot, "SELECT owner_id, actions FROM follow_through_by_owner") == [("console:carol", 1)]
    assert rows(bot, "SELECT count(*) FROM decisions") == [(1,)]  # a handover is no decision


def test_the_facilitator_gives_it_away_and_only_the_new_owner_may_answer(bot: Dispatcher) -> None:
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03")])
    assert say(bot, ALICE, "give a1 carol").startswith("Asked carol to take over")  # a known name, as typed
    assert bot.handle(Message(ROOM, BOB, "yes")) is None  # the old owner cannot accept for her: nothing asks him
    assert bot.handle(Message(ROOM, BOB, "yes"), run_id=2).outcome.inbound_kind == "refused"  # nor by its run
    assert rows(bot, OWNER)[0][0] == "console:bob"
    bot.handle(Message(DM, CAROL, "yes"))
    assert rows(bot, OWNER)[0][0] == "console:carol"
    assert rows(bot, CHANGES) == [(1, "owner", "console:bob", "console:carol", None, "console:alice")]
    assert rows(bot, "SELECT text FROM messages WHERE run_id = 1 AND kind = 'info' ORDER BY id DESC LIMIT 1") == [
        ("carol took over bob's action 'Draft the plan' (from 'Weekly sync'), as alice asked.",)
    ]


def test_a_no_changes_nothing_and_the_asker_is_told(bot: Dispatcher) -> None:
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03")])
    say(bot, ALICE, "give A1 @carol")
    before = last_out(bot)
    bot.handle(Message(DM, CAROL, "no"))
    assert rows(bot, OWNER)[0][:2] == ("console:bob", "bob")
    assert rows(bot, CHANGES) == []
    assert rows(bot, TOLD, before) == [
        ("console:alice", 1, "carol declined to take over 'Draft the plan': it stays bob's.")
    ]
    assert say(bot, ALICE, "give A1 @dave").startswith("Asked dave")  # the next one may be asked


def test_no_answer_reminds_then_expires_changing_nothing_and_the_asker_is_told(bot: Dispatcher, clock: Clock) -> None:
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03")])
    say(bot, BOB, "give A1 @carol")
    clock.now += timedelta(days=1, minutes=1)
    (remind,) = jobs.pending_jobs(bot.db.conn, "remind")
    assert bot.run_job(remind) == "done"
    reminded = "SELECT actor_id, private FROM messages WHERE run_id = 2 AND kind = 'prompt' ORDER BY id"
    assert rows(bot, reminded) == [("console:carol", 1), ("console:carol", 1)]
    before = last_out(bot)
    clock.now += timedelta(days=7)
    (expire,) = jobs.pending_jobs(bot.db.conn, "expire")
    assert bot.run_job(expire) == "done"
    assert rows(bot, "SELECT status FROM runs WHERE id = 2") == [("stalled",)]
    assert rows(bot, "SELECT actor_id, private, text FROM messages WHERE id > ?", before) == [
        (
            "console:bob",
            1,
            "carol has not answered whether they take over 'Draft the plan': it stays bob's. A late yes still hands"
            " it over; to ask someone else, first withdraw this with: cancel 2",
        )
    ]
    assert rows(bot, OWNER)[0][0] == "console:bob" and rows(bot, CHANGES) == []
    assert say(bot, BOB, "give A1 @dave").startswith("carol is already asked to take over 'Draft the plan' (run #2)")
    withdrawn = say(bot, BOB, "cancel 2", ROOM)  # the handover's run, named
    assert withdrawn.startswith("Run #2 (") and withdrawn.endswith(") cancelled by bob. The transcript is kept.")
    assert say(bot, BOB, "give A1 @dave").startswith("Asked dave")


@pytest.mark.parametrize(
    ("who", "text", "says"),
    [
        (BOB, "give A1", "Say which action and who should take it over"),
        (BOB, "give @carol", "Say which action and who should take it over"),
        (BOB, "give A1 @bob", "'Draft the plan' is already bob's."),
        (BOB, "give A1 me", "'Draft the plan' is already bob's."),
        (CAROL, "give A1 @carol", "No action A1 of yours (or of a decision you lead)."),
        (BOB, "give A9 @carol", "No action A9 of yours"),
        (BOB, "give A1 zed", "Who should take it over? I don't know 'zed'."),
        (BOB, "give A1 slack:UC", "slack:UC is not on console, where the decision was made"),
    ],
)
def test_what_cannot_be_given_says_why_and_starts_nothing(bot: Dispatcher, who: Actor, text: str, says: str) -> None:
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03")])
    before = rows(bot, "SELECT count(*) FROM messages")
    assert say(bot, who, text).startswith(says)
    assert rows(bot, "SELECT count(*) FROM runs") == [(1,)]
    assert rows(bot, "SELECT count(*) FROM messages") == before


def test_a_second_handover_of_the_same_action_waits_for_the_first(bot: Dispatcher) -> None:
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03")])
    say(bot, BOB, "give A1 @carol")
    assert say(bot, ALICE, "give A1 @dave") == (
        "carol is already asked to take over 'Draft the plan' (run #2). Wait for the answer, or withdraw it with: cancel 2"
    )
    assert rows(bot, "SELECT count(*) FROM runs") == [(2,)]


def test_an_action_done_while_its_handover_waits_ends_the_handover_and_a_late_yes_changes_nothing(
    bot: Dispatcher,
) -> None:
    """Before, the handover went on asking, and Carol's yes was then told "changed since it was
    offered ... nothing was handed over"; now ``done A1`` ends it at once, saying why."""
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03")])
    say(bot, BOB, "give A1 @carol")
    say(bot, BOB, "done A1")
    assert rows(bot, "SELECT status FROM runs WHERE flow_id = 'action_handover'") == [("cancelled",)]
    moot = "SELECT count(*) FROM messages WHERE text = ?"
    assert rows(bot, moot, "Nothing to take over now: 'Draft the plan' was marked done by bob.") == [(1,)]
    bot.handle(Message(DM, CAROL, "yes"))
    assert rows(bot, OWNER)[0][0] == "console:bob" and rows(bot, CHANGES) == []


def test_a_dropped_or_done_action_cannot_be_given(bot: Dispatcher) -> None:
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03"), ("Book the venue", CAROL, "2026-12-05")])
    say(bot, ALICE, "drop A1")
    say(bot, CAROL, "done A2")
    assert say(bot, ALICE, "give A1 @dave") == "'Draft the plan' was dropped: there is nothing more to do about it."
    assert say(bot, ALICE, "give A2 @dave").startswith("'Book the venue' was already marked done")


def test_give_with_its_action_is_a_command_wherever_typed_only_for_the_speakers_actions(bot: Dispatcher) -> None:
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03")])
    assert names_a_run("give A1 @carol") and not names_a_run("give A1") and not names_a_run("give it to carol")
    carols, bobs = actions_of(bot, CAROL.id), actions_of(bot, BOB.id)
    assert not comes_first("Give A1 paper to the printer", {"post_meeting"}, carols)
    assert comes_first("give A1 @carol", {"post_meeting"}, bobs)


def test_the_handover_flow_is_not_started_by_hand(bot: Dispatcher) -> None:
    assert say(bot, ALICE, "start action_handover").startswith(
        "Nothing started: an action is handed over with give A12"
    )
    assert rows(bot, "SELECT count(*) FROM runs") == [(0,)]


def test_a_handover_is_no_trigger_in_the_trigger_quality_of_all_events(bot: Dispatcher) -> None:
    """The handover run's event (kind 'handover') never writes a decision, as it should not: the
    '(all)' row, which leaves reviews out, counted it as a trigger that led to no decision."""
    from bot.analytics.engagement import trigger_quality
    from bot.analytics.measures import Params

    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03")])
    say(bot, BOB, "give A1 @carol")
    bot.handle(Message(DM, CAROL, "yes"))
    every = [r for r in trigger_quality(bot.db.conn, Params()) if r["source"] == "(all)"]
    assert [(r["events"], r["decided"], r["share_decided"]) for r in every] == [(1, 1, 1.0)]
    view = "SELECT events, decided FROM trigger_quality WHERE source = '(all)'"
    assert rows(bot, view) == [(1, 1)]


def test_a_pending_handover_takes_nothing_said_in_the_decisions_conversation_but_its_answer(bot: Dispatcher) -> None:
    """The handover run lives in the decision's conversation (here the room; a Rasa sender's, a
    Teams personal chat): it was the newest run there, so alice's answer to the retro she runs
    from there was refused as 'This question is for carol'."""
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03")])
    retro = bot.start(Trigger(flow="post_meeting", title="Retro", facilitator=ALICE), ConversationKey("console", "x"))
    say(bot, BOB, "give A1 @carol")
    taken = bot.handle(Message(ROOM, ALICE, "We keep the retro"))
    assert taken is not None and (taken.run_id, taken.outcome.inbound_kind) == (retro.run_id, "answer")
    answered = bot.handle(Message(ROOM, CAROL, "yes"))  # said in the room, to the question sent to her alone
    assert answered is not None and answered.outcome.inbound_kind == "answer"
    assert rows(bot, OWNER)[0][0] == "console:carol"


def test_a_give_refused_for_want_of_the_flow_leaves_no_trace_in_the_transcript(tmp_path: Path, clock: Clock) -> None:
    """Without flows/action_handover.yaml in the folder, 'give' is refused: before, the decision's
    transcript still kept 'give A1 @carol' as a command, as though Carol had been asked."""
    it = dispatcher(tmp_path, clock)
    plain = next(it)
    decide(plain, "Weekly sync", [("Draft the plan", BOB, "2026-12-03")])
    assert say(plain, BOB, "give A1 @carol").startswith("I can't ask anyone to take it over")
    assert rows(plain, "SELECT count(*) FROM messages WHERE text LIKE 'give A1%'") == [(0,)]
    assert rows(plain, "SELECT count(*) FROM runs") == [(1,)]
    next(it, None)
