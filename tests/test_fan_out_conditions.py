"""A branch on a question asked of several people. Before, with ``complete_when: any`` (the first
answer ends the step, a no as well as a yes), ``when: "approval"`` read the answers by person (a
mapping, true once anyone answered), so bob's no took the sign-off branch ("Signed off. When do we
ship?"); and a condition on a step that waits for everyone (or one asked of each participant) was
true for any answer. Now a ``complete_when: any`` step's condition reads the answer that ended it,
and a condition on a step with an answer per person is refused at load, saying how to branch."""

from __future__ import annotations

import pytest

from bot.dispatch import Dispatcher
from bot.model import Actor, ConversationKey, Message, Trigger
from tests.engine.test_reader import refused, write
from tests.test_engine_turns import make_bot

ALICE = Actor("console:alice", "alice")
BOB = Actor("console:bob", "bob")
CONV = ConversationKey("console", "t1")
FLOW = """\
id: signoff
title: Sign-off
roles:
  facilitator: trigger.facilitator
  participants: trigger.participants
steps:
  - id: approvers
    type: repeat
    item_label: Approver
    fields:
      - {id: who, ask: "Who can sign off?", type: person}
  - id: approval
    to: each approvers.who
    ask: "Do you sign off {{ trigger.title }}?"
    type: yes_no
    complete_when: any
    next:
      - {when: "approval", goto: go}
      - goto: stop
  - {id: go, ask: "Signed off by {{ approval }}. When do we ship?", type: date, next: completed}
  - {id: stop, ask: "Refused by {{ approval }}. Why?", type: text}
record:
  decision: stop
"""


def say(bot: Dispatcher, who: Actor, text: str) -> list[tuple[str, str]]:
    result = bot.handle(Message(CONV, who, text))
    assert result is not None
    return [(r.to.name if r.to else "", r.text) for r in result.outcome.replies]


@pytest.mark.parametrize(
    ("said", "asked"), [("no", "Refused by bob: no. Why?"), ("yes", "Signed off by bob: yes. When do we ship?")]
)
def test_the_first_answer_of_a_complete_when_any_step_takes_its_branch(db, tmp_path, said, asked):
    (tmp_path / "signoff.yaml").write_text(FLOW, encoding="utf-8")
    bot = make_bot(db, tmp_path)
    bot.start(Trigger(flow="signoff", title="Launch", facilitator=ALICE, participants=[BOB]), CONV)
    for text in ("@bob", "@alice", "done"):
        say(bot, ALICE, text)
    replies = say(bot, BOB, said)
    assert any(to == "alice" and text.startswith(asked) for to, text in replies), replies


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("    complete_when: any\n", ""),  # waits for everyone: a yes and a no, which branch?
        ('    to: each approvers.who\n    ask: "Do you', '    to: participants\n    ask: "Do you'),
    ],
)
def test_a_condition_on_an_answer_per_person_is_refused(tmp_path, old, new):
    text = FLOW.replace(old, new, 1)
    if "to: participants" in text:
        text = text.replace("    complete_when: any\n", "", 1)
    err = refused(
        write(tmp_path, text, "signoff"),
        "approval",
        "the condition \"approval\" reads 'approval', which has an answer per person",
    )
    assert "complete_when: any" in err.fix
