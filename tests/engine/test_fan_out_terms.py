"""A question fanned out to a list of people (``to: each approvers.who``), as a vendor approval
uses it, through the dispatcher against a real SQLite ledger: a correction of what the question
quotes asks those who answered again, a late answer after ``complete_when: any`` closed the step
is told why, and whoever corrected something is put back to the question they were answering."""

from __future__ import annotations

from pathlib import Path

from bot.model import Trigger
from tests.test_engine_turns import ALICE, BOB, CAROL, CONV, make_bot, rows, say

VENDOR = """\
id: vendor
title: Vendor approval
roles: {facilitator: trigger.facilitator, participants: trigger.participants}
steps:
  - {id: vendor, ask: "Which vendor?", type: text}
  - {id: amount, ask: "How much?", type: number}
  - id: approvers
    type: repeat
    item_label: Approver
    min_items: 1
    fields:
      - {id: who, ask: "Who approves?", type: person}
  - id: approve
    to: each approvers.who
    ask: "Do you approve {{ vendor }} for {{ amount }}?"
    type: yes_no
    complete_when: WHEN
  - {id: notes, ask: "Any notes?", type: text}
record: {decision: "{{ vendor }} for {{ amount }}"}
"""


def vendor_bot(db, tmp_path: Path, when: str):
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "vendor.yaml").write_text(VENDOR.replace("WHEN", when))
    bot = make_bot(db, folder)
    bot.start(Trigger(flow="vendor", title="Acme", facilitator=ALICE, participants=[BOB, CAROL]), CONV)
    for text in ("Acme", "5000", "@bob", "@carol", "done"):
        say(bot, ALICE, text)
    return bot


def approvals(db) -> list[tuple]:
    return rows(db, "SELECT item, actor_id, value, revision FROM answers WHERE step = 'approve' ORDER BY id")


def test_a_changed_amount_asks_the_approvers_again(db, tmp_path):
    bot = vendor_bot(db, tmp_path, "all")
    say(bot, BOB, "yes")  # a yes for 5000
    assert say(bot, ALICE, "change amount to 4000") == [
        ("alice", "info", "Changed the answer to 'How much?': 5000 -> 4000."),
        (
            None,
            "info",
            "The answer to 'How much?' changed, so bob, carol will be asked again: an earlier answer was for other terms.",
        ),
        ("carol", "prompt", "Do you approve Acme for 4000?"),
        ("bob", "prompt", "Do you approve Acme for 4000?"),
    ]
    assert say(bot, CAROL, "yes") == []  # bob's yes was for 5000: the step waits for his new one
    assert rows(db, "SELECT state FROM runs") == [("approve",)]
    assert say(bot, BOB, "yes") == [("alice", "prompt", "Any notes?")]
    say(bot, ALICE, "none")
    assert approvals(db) == [
        (1, "console:bob", "true", 1),
        (2, "console:carol", "true", 1),
        (1, "console:bob", "true", 2),
    ]
    assert rows(db, "SELECT text FROM decisions") == [("Acme for 4000",)]


def test_a_changed_amount_after_any_closed_the_step_asks_who_answered_again(db, tmp_path):
    bot = vendor_bot(db, tmp_path, "any")
    assert say(bot, CAROL, "yes") == [("alice", "prompt", "Any notes?")]
    replies = say(bot, ALICE, "change amount to 4000")
    assert replies[1:3] == [
        (
            None,
            "info",
            "The answer to 'How much?' changed, so carol will be asked again: an earlier answer was for other terms.",
        ),
        ("carol", "prompt", "Do you approve Acme for 4000?"),
    ]
    say(bot, ALICE, "none")  # the last step: the run waits for carol's yes to the new amount
    assert rows(db, "SELECT status FROM runs") == [("active",)]
    assert rows(db, "SELECT count(*) FROM decisions") == [(0,)]
    say(bot, CAROL, "yes")
    assert rows(db, "SELECT status FROM runs") == [("completed",)]
    assert rows(db, "SELECT text FROM decisions") == [("Acme for 4000",)]


def test_a_late_answer_after_another_closed_the_step_is_told_why(db, tmp_path):
    bot = vendor_bot(db, tmp_path, "any")
    say(bot, CAROL, "no")
    assert say(bot, BOB, "yes") == [
        ("bob", "error", "That question closed: carol answered first (no). Nothing waits on you in this run now.")
    ]
    assert approvals(db) == [(2, "console:carol", "false", 1)]


def test_the_question_is_put_back_after_a_correction(db, tmp_path):
    bot = vendor_bot(db, tmp_path, "any")
    say(bot, CAROL, "yes")
    assert say(bot, ALICE, "change vendor to Acme Ltd")[-1] == ("alice", "prompt", "Back to: Any notes?")


def test_a_late_answer_is_told_the_closing_choice_by_its_label(db, tmp_path):
    """A choice that closed the step is named as people chose it, not by its stored value."""
    folder = tmp_path / "flows"
    folder.mkdir()
    choice = '    type: choice\n    options: [{value: ok, label: "Approved as quoted"}, {value: rework, label: "Send it back"}]\n'
    (folder / "vendor.yaml").write_text(VENDOR.replace("WHEN", "any").replace("    type: yes_no\n", choice, 1))
    bot = make_bot(db, folder)
    bot.start(Trigger(flow="vendor", title="Acme", facilitator=ALICE, participants=[BOB, CAROL]), CONV)
    for text in ("Acme", "5000", "@bob", "@carol", "done"):
        say(bot, ALICE, text)
    say(bot, CAROL, "rework")
    assert say(bot, BOB, "ok") == [
        (
            "bob",
            "error",
            "That question closed: carol answered first (Send it back). Nothing waits on you in this run now.",
        )
    ]
