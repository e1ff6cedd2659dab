"""A flow's own short names for its answers (``label: budget``): the corrections, their refusals
and the run's end say "the budget", and "change the budget to ..." finds it. Before, a flow author
could not name an answer: it was "the answer to 'How much, in EUR?'" (or, its question quoting
others, its id's words), and the list of answers a refusal gave named none people could type."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.dispatch import Dispatcher
from bot.model import Actor, ConversationKey, Message, Trigger
from tests.engine.test_reader import refused, write
from tests.test_engine_turns import make_bot

ALICE = Actor("console:alice", "alice")
CONV = ConversationKey("console", "t1")
FLOW = """\
id: spend
title: Spend approval
steps:
  - id: vendor
    ask: "Which vendor?"
    type: text
  - id: amount
    label: budget
    ask: "How much, in EUR, for {{ vendor }}?"
    type: number
    min: 1
  - id: go_ahead
    label: go-ahead
    ask: "Go ahead with {{ vendor }} for {{ amount }} EUR?"
    type: yes_no
    next:
      - {when: "go_ahead", goto: lines}
      - goto: cancelled
  - id: lines
    type: repeat
    item_label: Line
    fields:
      - {id: what, label: purchase, ask: "What is bought?", type: text}
      - {id: cost, label: line cost, ask: "How much is '{{ item.what }}'?", type: number}
record:
  decision: "{{ vendor }} for {{ amount }} EUR"
"""


def say(bot: Dispatcher, text: str) -> list[str]:
    result = bot.handle(Message(CONV, ALICE, text))
    assert result is not None
    return [r.text for r in result.outcome.replies]


def spend_bot(db, tmp_path) -> Dispatcher:
    (tmp_path / "spend.yaml").write_text(FLOW, encoding="utf-8")
    bot = make_bot(db, tmp_path)
    bot.start(Trigger(flow="spend", title="Laptops", facilitator=ALICE, participants=[]), CONV)
    return bot


def test_a_labelled_answer_is_named_and_found_by_its_label(db, tmp_path):
    bot = spend_bot(db, tmp_path)
    say(bot, "Acme")
    say(bot, "12000")
    assert say(bot, "change the budget to 15000") == [
        "Changed the budget: 12000 -> 15000.",
        "Back to: Go ahead with Acme for 15000 EUR?",
    ]
    assert say(bot, "change the price to 1")[0] == (
        "I can't find 'price' to change. Answers so far: the answer to 'Which vendor?', the budget."
    )
    assert say(bot, "change amount to 14000")[0] == "Changed the budget: 15000 -> 14000."  # its id still works
    said = [r[0] for r in db.execute("SELECT value FROM answers WHERE step = 'amount' ORDER BY revision")]
    assert said == ["12000", "15000", "14000"]


def test_an_item_field_is_named_by_its_label(db, tmp_path):
    bot = spend_bot(db, tmp_path)
    for text in ("Acme", "12000", "yes", "Laptops", "9000"):
        say(bot, text)
    assert say(bot, "change the line cost of line 1 to 9500")[0] == "Changed the line cost of Line 1: 9000 -> 9500."
    assert say(bot, "change the purchase of line 1 to Docks")[0] == "Changed the purchase of Line 1: Laptops -> Docks."


def test_the_run_ended_by_a_branch_names_the_label(db, tmp_path):
    bot = spend_bot(db, tmp_path)
    for text in ("Acme", "12000"):
        say(bot, text)
    assert say(bot, "no")[-1] == (
        "Run ended without a decision: the flow stops here, after the go-ahead. The transcript is kept."
    )


@pytest.mark.parametrize(
    ("label", "problem"),
    [
        ("'How much?'", "the label 'How much?' of the step is a question"),
        ("'{{ vendor }}'", "the label '{{ vendor }}' of the step is a template"),
        ("vendor", "the label 'vendor' of the step is the id of step 'vendor'"),
        ("a budget named at such length that no message could carry it", "is longer than 40 characters"),
        ("'  '", "the label '  ' of the step has no words"),
        # messages say a label after 'the': "Changed the The Budget: 10 -> 20"
        ("The Budget", "the label 'The Budget' of the step starts with 'the', which messages say before it"),
    ],
)
def test_a_label_people_could_not_use_is_refused(tmp_path, label, problem):
    err = refused(write(tmp_path, FLOW.replace("label: budget", f"label: {label}"), "spend"), "amount", problem)
    assert "a short name" in err.fix


def test_a_label_written_on_two_answers_is_refused(tmp_path):
    text = FLOW.replace("label: go-ahead", "label: budget")
    err = refused(
        write(tmp_path, text, "spend"), "go_ahead", "the label 'budget' of the step is also the label of step 'amount'"
    )
    assert "a short name" in err.fix


def test_flows_show_gives_the_label(tmp_path):
    (tmp_path / "spend.yaml").write_text(FLOW, encoding="utf-8")
    args = ["--db", str(tmp_path / "x.db"), "--flows", str(tmp_path), "flows", "show", "spend"]
    shown = CliRunner().invoke(main, args, catch_exceptions=False).output
    assert "  2. amount [number; 1..; named 'the budget'] to facilitator: How much" in shown
    assert "       - cost [number; named 'the line cost']: How much is" in shown


def test_a_label_that_is_the_name_another_answer_goes_by_is_refused(tmp_path):
    # 'review_at' is "the review date" in every message: a label 'review date' on another step
    # made "change the review date" find either
    text = FLOW.replace("label: budget", "label: review date").replace(
        "record:", "  - {id: review_at, ask: 'When do we look again?', type: date}\nrecord:"
    )
    err = refused(
        write(tmp_path, text, "spend"),
        "amount",
        "the label 'review date' of the step is what step 'review_at' is called",
    )
    assert "a short name" in err.fix
