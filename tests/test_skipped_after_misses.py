"""An optional question with ``on_fail: skip`` left out after its misses. Before, the last miss
got no reply at all: the next question came (or the run ended, its record without the answer)
and nobody was told their words were not taken. Now they are told, naming the answer left out."""

from __future__ import annotations

from bot.dispatch import Dispatcher
from bot.model import Actor, ConversationKey, Message, Trigger
from tests.test_engine_turns import make_bot

ALICE = Actor("console:alice", "alice")
CONV = ConversationKey("console", "t1")
FLOW = """\
id: spend
title: Spend
steps:
  - {id: amount, ask: "How much?", type: number}
  - {id: needed_by, label: delivery date, ask: "Needed by?", type: date, optional: true, on_fail: skip, max_failures: 2}
  - {id: note, ask: "Anything else?", type: text}
record:
  decision: "{{ amount }} by {{ needed_by }}"
"""


def say(bot: Dispatcher, text: str) -> list[str]:
    result = bot.handle(Message(CONV, ALICE, text))
    assert result is not None
    return [r.text for r in result.outcome.replies]


def test_the_misses_that_skip_an_optional_question_are_told_so(db, tmp_path):
    (tmp_path / "spend.yaml").write_text(FLOW, encoding="utf-8")
    bot = make_bot(db, tmp_path)
    bot.start(Trigger(flow="spend", title="Laptops", facilitator=ALICE, participants=[]), CONV)
    say(bot, "500")
    assert say(bot, "blah")[0].startswith("I can't read that as a date.")
    assert say(bot, "blah") == [
        "I couldn't read that either, so the delivery date is left out (it is optional).",
        "Anything else?",
    ]
    kinds = [r[0] for r in db.execute("SELECT kind FROM answers WHERE step = 'needed_by'")]
    assert kinds == ["skip"]
