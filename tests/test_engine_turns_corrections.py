"""Conversations of flows/post_meeting.yaml where people skip, cancel, correct an answer or
answer what the question cannot take; and the regressions of answers, back and corrections.
Helpers, and the fixed clock, in tests/test_engine_turns.py."""

from __future__ import annotations

from bot.dispatch import Dispatcher
from bot.model import ConversationKey, Message, Trigger
from tests.test_engine_turns import (
    ALICE,
    BOB,
    CAROL,
    CONV,
    DATE_ERROR,
    DAVE,
    DRAFT,
    NOT_FOR_YOU,
    REVIEW_PROMPT,
    STAMP,
    VENUE,
    accept_prompt,
    action_lines,
    answers,
    make_bot,
    person,
    rows,
    run_row,
    say,
    say_all,
    shown,
    start,
    to_owners,
    transitions,
    turn,
)

# --- 3. skip ---------------------------------------------------------------------------------


def test_skip_on_a_required_step_is_refused_and_changes_nothing(db, bot):
    start(bot)
    before = rows(db, "SELECT state, status, context, waiting_on FROM runs")
    assert say(bot, ALICE, "skip") == [
        ("alice", "error", "This question can't be skipped. Say 'help' to see what is expected.")
    ]
    assert rows(db, "SELECT state, status, context, waiting_on FROM runs") == before
    assert answers(db) == []
    assert transitions(db) == [("", "decision", "start", "console:alice")]
    assert rows(db, "SELECT step, kind, text FROM messages WHERE direction = 'in'") == [("decision", "command", "skip")]
    # the question is still open: the next answer counts
    assert say(bot, ALICE, "We ship in March") == [("alice", "prompt", "Action 1: What is the action?")]


# --- 4. cancel -------------------------------------------------------------------------------


def test_cancel_needs_the_facilitator_and_a_confirmation(db, bot):
    start(bot)
    say(bot, ALICE, "We ship in March")

    assert say(bot, BOB, "cancel") == [("bob", "error", "Only the facilitator (alice) can cancel the run.")]
    confirm = "Cancel this decision run? Nothing will be recorded as decided. (yes/no)"
    assert say(bot, ALICE, "cancel") == [("alice", "prompt", confirm)]
    assert say(bot, ALICE, "no") == [
        ("alice", "info", "OK, not cancelled. Let's carry on."),
        ("alice", "prompt", "Action 1: What is the action?"),
    ]
    assert run_row(db) == ("actions", "active")
    # 'no' was the confirmation, not an answer to the open question
    assert [a[0] for a in answers(db)] == ["decision"]
    assert say(bot, ALICE, "Draft plan") == [("alice", "prompt", "Action 1: Who owns 'Draft plan'?")]

    assert say(bot, ALICE, "cancel") == [("alice", "prompt", confirm)]
    assert say(bot, ALICE, "yes") == [(None, "summary", "Run cancelled by alice. The transcript is kept.")]
    assert rows(db, "SELECT state, status, waiting_on, completed_at FROM runs") == [
        ("cancelled", "cancelled", "", STAMP)
    ]
    assert transitions(db)[-1] == ("actions", "cancelled", "cancel", "console:alice")
    assert rows(db, "SELECT count(*) FROM decisions") == [(0,)]
    assert rows(db, "SELECT count(*) FROM jobs WHERE done_at IS NULL") == [(0,)]

    # the conversation has no open run any more; addressed by id, the run says it is over
    assert turn(bot, ALICE, "hello") is None
    closed = bot.handle(Message(CONV, ALICE, "hello"), run_id=1)
    assert closed is not None
    assert shown(closed.outcome.replies) == [
        (
            "alice",
            "error",
            "Run #1 ('Weekly sync') was cancelled; nothing more to answer. Start a new one to decide again.",
        )
    ]
    assert rows(db, "SELECT kind FROM messages WHERE direction = 'in' ORDER BY id DESC LIMIT 1") == [("closed",)]


# --- 5. corrections --------------------------------------------------------------------------


def test_correcting_an_owner_during_the_actions_step_asks_the_new_owner(db, bot):
    start(bot)
    say(bot, ALICE, "We ship in March")
    say_all(bot, action_lines(DRAFT, VENUE)[:-1])  # Action 3 is being asked

    assert say(bot, ALICE, "change owner of action 2 to @dave") == [
        ("alice", "info", "Changed the owner of Action 2: carol -> dave."),
        ("alice", "prompt", "Back to: Action 3: What is the action? (say 'done' when there are no more)"),
    ]
    assert answers(db)[-1] == ("actions", 2, "owner", "console:alice", person(DAVE), "correction", 2)
    assert rows(db, "SELECT raw FROM answers WHERE kind = 'correction'") == [("@dave",)]
    assert run_row(db) == ("actions", "active")

    assert say(bot, ALICE, "done") == [
        ("bob", "prompt", accept_prompt("Draft plan", "2026-11-27")),
        ("dave", "prompt", accept_prompt("Book venue", "2026-12-10")),
    ]
    assert say(bot, CAROL, "yes") == [("carol", "error", NOT_FOR_YOU.format("bob, dave"))]
    say(bot, BOB, "yes")
    assert say(bot, DAVE, "yes") == [("alice", "prompt", REVIEW_PROMPT)]
    say(bot, ALICE, "ok")
    assert rows(db, "SELECT item, owner_id, owner_name, accepted_at FROM actions ORDER BY item") == [
        (1, "console:bob", "bob", STAMP),
        (2, "console:dave", "dave", STAMP),
    ]


def test_an_owner_confirms_again_when_their_actions_due_date_changes(db, bot):
    to_owners(bot)  # bob and carol are asked to accept
    say(bot, BOB, "yes")  # accepted as it was: due 2026-11-27
    assert say(bot, ALICE, "change the due date of action 1 to 2026-12-20") == [
        ("alice", "info", "Changed the due date of Action 1: 2026-11-27 -> 2026-12-20."),
        (None, "info", "Action 1 ('Draft plan') changed; its owner will be asked to confirm it again."),
        ("bob", "prompt", accept_prompt("Draft plan", "2026-12-20")),
    ]
    # carol's confirmation was still open: the new terms are what she is asked about
    assert say(bot, ALICE, "change the due date of action 2 to 2026-12-24")[2] == (
        "carol",
        "prompt",
        accept_prompt("Book venue", "2026-12-24"),
    )
    assert say(bot, CAROL, "yes") == []  # the run waits for bob's new yes: his first was for another date
    assert say(bot, BOB, "yes") == [("alice", "prompt", REVIEW_PROMPT)]
    say(bot, ALICE, "ok")
    assert rows(db, "SELECT item, due, accepted_at FROM actions ORDER BY item") == [
        (1, "2026-12-20", STAMP),
        (2, "2026-12-24", STAMP),
    ]


def test_a_correction_to_the_value_already_given_changes_nothing_and_asks_nobody_again(db, bot):
    to_owners(bot)  # bob and carol are asked to accept
    say(bot, BOB, "yes")  # accepted: due 2026-11-27
    before = answers(db)
    # the same date typed another way, the same task, the same owner: nothing to confirm again
    assert say(bot, ALICE, "change the due date of action 1 to 27 November 2026") == [
        ("alice", "info", "Nothing changed: the due date of Action 1 is already 2026-11-27.")
    ]
    assert say(bot, ALICE, "change action 1 to Draft plan") == [
        ("alice", "info", "Nothing changed: the task of Action 1 is already Draft plan.")
    ]
    assert say(bot, ALICE, "change owner of action 1 to @bob")[0] == (
        "alice",
        "info",
        "Nothing changed: the owner of Action 1 is already bob.",
    )
    assert answers(db) == before  # no revision kept for a value that did not change
    # bob's yes stands: carol's is the one the run waits for
    assert say(bot, CAROL, "yes") == [("alice", "prompt", REVIEW_PROMPT)]


def test_correcting_the_decision_changes_the_recorded_decision(db, bot):
    to_owners(bot, DRAFT)
    assert say(bot, ALICE, "change decision to We ship in April") == [
        ("alice", "info", "Changed the decision: We ship in March -> We ship in April.")
    ]
    assert rows(db, "SELECT value, kind, revision FROM answers WHERE step = 'decision' ORDER BY id") == [
        ('"We ship in March"', "answer", 1),
        ('"We ship in April"', "correction", 2),
    ]
    say_all(bot, [(BOB, "yes"), (ALICE, "ok")])
    assert rows(db, "SELECT text FROM decisions") == [("We ship in April",)]


def test_corrections_by_others_and_of_unknown_answers_are_refused(db, bot):
    start(bot)
    say(bot, ALICE, "We ship in March")
    say(bot, ALICE, "Draft plan")

    replies = say(bot, BOB, "change decision to We never ship")
    assert [(to, kind) for to, kind, _ in replies] == [("bob", "error")]
    assert replies[0][2] == "Only the facilitator, alice, who gave it, can change the decision."

    assert say(bot, ALICE, "change nonsense to 3") == [
        ("alice", "error", "I can't find 'nonsense' to change. Answers so far: the decision, the actions."),
        ("alice", "prompt", "Back to: Action 1: Who owns 'Draft plan'?"),  # what is asked now
    ]
    assert rows(db, "SELECT count(*) FROM answers WHERE kind = 'correction'") == [(0,)]
    assert rows(db, "SELECT actor_id, kind FROM messages WHERE direction = 'in' AND text LIKE 'change %'") == [
        ("console:bob", "command"),
        ("console:alice", "command"),
    ]
    # nothing moved: the owner question of action 1 is still open
    assert say(bot, ALICE, "@bob") == [("alice", "prompt", "Action 1: By when should 'Draft plan' be done?")]


def test_a_new_owner_named_after_the_owners_step_still_has_to_confirm(db, bot):
    to_owners(bot)
    say_all(bot, [(BOB, "yes"), (CAROL, "yes")])
    assert say(bot, ALICE, "change owner of action 2 to @dave") == [
        ("alice", "info", "Changed the owner of Action 2: carol -> dave."),
        (None, "info", "Action 2 ('Book venue') has a new owner, who will be asked to confirm it."),
        ("dave", "prompt", accept_prompt("Book venue", "2026-12-10")),
        ("alice", "prompt", "Back to: " + REVIEW_PROMPT),  # what alice was answering, put before her again
    ]
    # the review date is the last step, but the run waits for dave before recording anything
    assert "summary" not in [kind for _, kind, _ in say(bot, ALICE, "ok")]
    assert run_row(db) == ("completed", "active")
    assert rows(db, "SELECT waiting_on FROM runs") == [(" console:dave ",)]
    assert rows(db, "SELECT count(*) FROM decisions") == [(0,)]
    assert [kind for _, kind, _ in say(bot, DAVE, "yes")] == ["summary"]
    assert run_row(db) == ("completed", "completed")
    assert rows(db, "SELECT item, owner_id, accepted_at FROM actions ORDER BY item") == [
        (1, "console:bob", STAMP),
        (2, "console:dave", STAMP),
    ]


def test_refused_correction_names_the_answerer_by_name(db, bot):
    start(bot)
    say(bot, ALICE, "We ship in March")
    assert say(bot, BOB, "change decision to We never ship") == [
        ("bob", "error", "Only the facilitator, alice, who gave it, can change the decision.")
    ]


# --- 6. invalid answers ----------------------------------------------------------------------


def test_a_bad_date_gets_the_short_reprompt(db, bot):
    start(bot)
    say_all(bot, [(ALICE, "We ship in March"), (ALICE, "Draft plan"), (ALICE, "@bob")])
    assert say(bot, ALICE, "nonsense date") == [("alice", "error", DATE_ERROR)]
    assert rows(db, "SELECT step, kind FROM messages WHERE direction = 'in' ORDER BY id DESC LIMIT 1") == [
        ("actions", "invalid")
    ]
    assert rows(db, "SELECT count(*) FROM answers WHERE field = 'due'") == [(0,)]
    more = "Action 2: What is the action? (say 'done' when there are no more)"
    assert say(bot, ALICE, "next friday") == [("alice", "prompt", more)]


def test_three_bad_answers_by_an_owner_escalate_to_the_facilitator(db, bot):
    to_owners(bot)
    assert say(bot, BOB, "maybe") == [
        (
            "bob",
            "error",
            "Please answer yes or no. To take it with another due date, say yes with the date: 'yes, by next Friday'.",
        )
    ]
    assert say(bot, BOB, "maybe") == [
        (
            "bob",
            "error",
            "Please answer yes or no. To take it with another due date, say yes with the date: 'yes, by next Friday'.",
        )
    ]
    # worded for alice: the owner's own question ("alice assigned you ...") would say she owns it
    handed = "does bob take the action 'Draft plan' (due 2026-11-27)?"
    escalated = "bob could not answer this one, so it comes to you: " + handed
    assert say(bot, BOB, "maybe") == [
        ("bob", "info", "Thanks, bob. I've handed this question to alice."),
        ("alice", "prompt", escalated),
    ]
    assert rows(db, "SELECT waiting_on FROM runs") == [(" console:alice console:carol ",)]
    # the escalated prompt is posted in the conversation, not privately
    assert rows(db, "SELECT private FROM messages WHERE direction = 'out' ORDER BY id DESC LIMIT 1") == [(0,)]
    late = (  # before: "This question is for alice, carol.", as if bob had never been asked
        "That question closed: I handed it to alice when no answer came that I could take, and alice"
        " answers it now. Nothing waits on you in this run now; tell alice what you wanted to say."
    )
    assert say(bot, BOB, "yes") == [("bob", "error", late)]

    assert say(bot, ALICE, "yes") == []
    assert say(bot, CAROL, "yes") == [("alice", "prompt", REVIEW_PROMPT)]
    assert rows(db, "SELECT item, actor_id, value FROM answers WHERE step = 'owner_accepts' ORDER BY id") == [
        (1, "console:alice", "true"),
        (2, "console:carol", "true"),
    ]
    assert rows(db, "SELECT kind FROM messages WHERE direction = 'in' AND actor_id = 'console:bob'") == [
        ("invalid",),
        ("invalid",),
        ("invalid",),
        ("refused",),
    ]


def test_a_condition_on_a_skipped_step_is_false_not_a_stuck_run(db, tmp_path):
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "impact.yaml").write_text(
        """id: impact
title: Impact
steps:
  - id: impact
    ask: "How many users are affected?"
    type: number
    optional: true
    next:
      - {when: "impact > 100", goto: escalate}
      - goto: completed
  - {id: escalate, ask: "Who escalates?", type: person}
"""
    )
    bot = make_bot(db, folder)
    bot.start(Trigger(flow="impact", title="T", facilitator=ALICE), CONV)
    say(bot, ALICE, "skip")  # before: TypeError (None > 100), the turn rolled back, the step could not be skipped
    assert rows(db, "SELECT status FROM runs") == [("completed",)]


def test_an_option_named_like_a_keep_word_is_the_option(db, bot):
    to_owners(bot, DRAFT)
    say_all(bot, [(BOB, "yes"), (ALICE, "ok")])
    room = ConversationKey("console", "review-room")
    review = bot.start(Trigger(flow="decision_review", data={"decision_id": 1}), room)
    say(bot, BOB, "yes", room)
    say(bot, ALICE, "change", room)  # -> What is the new decision?
    say(bot, ALICE, "back", room)  # -> the outcome again, currently 'change'
    replies = say(bot, ALICE, "keep", room)  # the option 'Keep it', not "keep the current 'change'"
    outcome = rows(
        db, "SELECT value, kind FROM answers WHERE run_id = ? AND step = 'outcome' ORDER BY id", review.run_id
    )
    assert outcome[-1] == ('"keep"', "answer")
    assert "When should we review it again?" in replies[0][2]


def test_a_yes_no_default_is_taken_with_default_as_ok_means_yes(db, tmp_path):
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "notes.yaml").write_text(
        'id: notes\ntitle: Notes\nsteps:\n  - {id: publish, ask: "Publish the notes?", type: yes_no, default: no}\n'
    )
    bot = make_bot(db, folder)
    started = bot.start(Trigger(flow="notes", title="T", facilitator=ALICE), CONV)
    assert started.outcome.replies[0].text == "Publish the notes?\n(default: no; say 'default' to take it)"
    say(bot, ALICE, "default")
    assert rows(db, "SELECT value, kind FROM answers WHERE step = 'publish'") == [("false", "default")]


def test_an_answer_worded_like_a_correction_of_nothing_said_is_an_answer(db, bot):
    start(bot)
    assert say(bot, ALICE, "Change the supplier to Acme") == [("alice", "prompt", "Action 1: What is the action?")]
    assert say(bot, ALICE, "Update the decision log to show the new date") == [
        ("alice", "prompt", "Action 1: Who owns 'Update the decision log to show the new date'?")
    ]
    assert rows(db, "SELECT step, value FROM answers ORDER BY id") == [
        ("decision", '"Change the supplier to Acme"'),
        ("actions", '"Update the decision log to show the new date"'),
    ]
    # a correction that names an answer is still one
    assert say(bot, ALICE, "change decision to We ship in April")[0] == (
        "alice",
        "info",
        "Changed the decision: Change the supplier to Acme -> We ship in April.",
    )


def test_going_back_over_the_owners_step_asks_a_new_owner_and_leaves_no_second_question(db, bot):
    to_owners(bot, DRAFT)
    assert say(bot, BOB, "yes") == [("alice", "prompt", REVIEW_PROMPT)]
    say(bot, ALICE, "change the due date of action 1 to 2026-12-11")  # bob is asked again ...
    say_all(bot, [(ALICE, "back"), (ALICE, "back"), (ALICE, "carol"), (ALICE, "2026-12-10")])  # ... then not the owner
    assert say(bot, ALICE, "done") == [("carol", "prompt", accept_prompt("Draft plan", "2026-12-10"))]
    assert say(bot, BOB, "yes")[0][1] == "error"  # nothing is asked of bob any more
    assert say(bot, CAROL, "yes") == [("alice", "prompt", REVIEW_PROMPT)]
    say(bot, ALICE, "ok")
    assert rows(db, "SELECT owner_name, due, accepted_at FROM actions") == [("carol", "2026-12-10", STAMP)]


def test_an_answer_on_a_branch_left_with_back_is_not_in_the_record(db, bot):
    bot.start(Trigger(flow="metric_breach", title="Conversion dropped", facilitator=ALICE, participants=[BOB]), CONV)
    say_all(bot, [(ALICE, "me"), (ALICE, "act"), (ALICE, "Roll back the release")])
    say_all(bot, [(ALICE, "back"), (ALICE, "back"), (ALICE, "ignore"), (ALICE, "False alarm")])
    assert run_row(db) == ("completed", "completed")
    assert rows(db, "SELECT text FROM decisions") == [("Ignore it: False alarm",)]


def breach_to_review(bot: Dispatcher) -> None:
    """metric_breach: alice takes it, acts, one action of bob's he accepts; the review date is asked."""
    bot.start(Trigger(flow="metric_breach", title="Conversion dropped", facilitator=ALICE, participants=[BOB]), CONV)
    say_all(bot, [(ALICE, "me"), (ALICE, "act"), (ALICE, "Roll back"), (ALICE, "Revert the deploy")])
    say_all(bot, [(ALICE, "@bob"), (ALICE, "2026-12-10"), (ALICE, "done"), (BOB, "yes")])


def test_back_from_the_review_date_goes_back_over_the_owners_yes_to_the_actions(db, bot):
    """The way back follows the route the run took (actions, the owners' yes, the review date).
    Before, it hopped to a predecessor of the review date on another branch (the plan) and from
    there back and forth between two steps that lead to each other, without end, its memory growing
    until the machine had none left: a chat, or the server's loop, hung."""
    breach_to_review(bot)
    assert say(bot, ALICE, "back")[-1] == (
        "alice",
        "prompt",
        "Action 1: By when should 'Revert the deploy' be done?\n(currently: 2026-12-10; say 'ok' to keep it)",
    )
    say_all(bot, [(ALICE, "ok"), (ALICE, "done")])
    assert say(bot, BOB, "yes")[0][0] == "alice"  # bob confirms again: the review date is asked anew
    say(bot, ALICE, "ok")
    assert run_row(db) == ("completed", "completed")


def test_a_correction_never_sends_the_run_down_a_branch_it_did_not_take(db, bot):
    """'change response to ignore' once the run acted on 'act' (its branch read it): refused, the
    record as decided. Before, it was taken and the record said "Ignore it" with an action and a
    review, a decision no branch of the flow makes."""
    breach_to_review(bot)
    before = answers(db)
    assert say(bot, ALICE, "change response to ignore")[0] == (
        "alice",
        "error",
        "The answer to 'What do we do about it?' can't change now: the run has already gone the way it chose."
        " To answer it anew, the facilitator says 'back' until it is asked again.",
    )
    assert answers(db) == before
    say(bot, ALICE, "ok")
    assert rows(db, "SELECT text FROM decisions") == [("Act now: Roll back",)]


def test_an_answer_to_a_question_asked_of_someone_else_is_theirs_to_change(db, bot):
    """bob's yes when asked whether he takes the alert is his word: the facilitator cannot turn it
    into a no for him (before, she could: the run went on as if he had taken it, and the record
    said he had not). His own change is refused too, for the run already went the way it chose."""
    bot.start(Trigger(flow="metric_breach", title="Conversion dropped", facilitator=ALICE, participants=[BOB]), CONV)
    say_all(bot, [(ALICE, "@bob"), (BOB, "yes")])
    before = answers(db)
    assert say(bot, ALICE, "change takes_it to no")[0] == (
        "alice",
        "error",
        "Only bob can change the answer to 'Do you take it?': the question was theirs to answer.",
    )
    assert say(bot, BOB, "change takes_it to no")[0][1:] == (
        "error",
        "The answer to 'Do you take it?' can't change now: the run has already gone the way it chose."
        " To answer it anew, the facilitator says 'back' until it is asked again.",
    )
    assert answers(db) == before


def test_a_refused_back_leaves_the_owners_answers_in_the_record(db, bot):
    to_owners(bot, DRAFT)
    say_all(bot, [(BOB, "yes"), (ALICE, "ok")])
    room = ConversationKey("console", "review-room")
    bot.start(Trigger(flow="decision_review", data={"decision_id": 1}), room)
    say(bot, BOB, "yes", room)  # bob: my action was done
    assert say(bot, ALICE, "back", room)[0][1] == "error"  # the outcome is alice's first question
    say(bot, ALICE, "keep", room)
    say(bot, ALICE, "ok", room)
    assert rows(db, "SELECT status FROM runs WHERE id = 2") == [("completed",)]
    assert rows(db, "SELECT status FROM actions") == [("done",)]


def test_a_correction_of_an_item_number_not_listed_says_which_numbers_there_are(db, bot):
    """ "change owner of action 3" with one action listed said "I can't find 'owner' to change.
    Answers so far: decision, actions.": the owner was there, the number was wrong."""
    to_owners(bot, DRAFT)
    assert say(bot, ALICE, "change owner of action 3 to carol")[0] == (
        "alice",
        "error",
        "There is no Action 3: only Action 1 is listed.",
    )
    assert rows(db, "SELECT count(*) FROM answers WHERE kind = 'correction'") == [(0,)]


def test_a_correction_of_an_item_number_beyond_several_names_their_range(db, bot):
    to_owners(bot, DRAFT, VENUE)
    assert say(bot, ALICE, "change the due date of action 4 to friday")[0] == (
        "alice",
        "error",
        "There is no Action 4: Action 1 to Action 2 are listed.",
    )
    assert rows(db, "SELECT count(*) FROM answers WHERE kind = 'correction'") == [(0,)]


def test_a_correction_of_the_decision_in_a_flow_without_that_step_says_what_can_change(db, bot):
    bot.start(Trigger(flow="metric_breach", title="Conversion dropped", facilitator=ALICE, participants=[BOB]), CONV)
    say_all(bot, [(ALICE, "me"), (ALICE, "act"), (ALICE, "Roll back the release")])  # -> Action 1: What is the action?
    replies = say(bot, ALICE, "change decision to Roll back and freeze deploys")
    assert replies[0][1] == "error" and replies[0][2].startswith("I can't find 'decision' to change.")
    assert rows(db, "SELECT count(*) FROM answers WHERE step = 'actions'") == [(0,)]


def test_corrections_name_an_answer_as_people_read_it_never_by_its_field_id(db, bot):
    """Before: 'Changed what of Action 1', 'Changed due of Action 1', 'can change 'decision''."""
    to_owners(bot)
    assert say(bot, ALICE, "change the task of action 1 to Draft the launch plan")[0] == (
        "alice",
        "info",
        "Changed the task of Action 1: Draft plan -> Draft the launch plan.",
    )
    assert say(bot, BOB, "change the due date of action 2 to 2026-12-24")[0] == (
        "bob",
        "error",
        "Only the facilitator, alice, who gave it, can change the due date of Action 2.",
    )
    assert say(bot, ALICE, "change budget to 5")[0][2] == (
        "I can't find 'budget' to change. Answers so far: the decision, the actions."
    )
