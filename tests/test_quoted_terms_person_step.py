"""A question asked of the one person an earlier step named (``to: approver``) that quotes other
answers ("Do you approve {{ vendor }} for {{ amount }} EUR?"). Before, the facilitator could change
the amount while the approver's question was open, and the approver's yes to the old wording
(12000) was taken for the new amount; or change the vendor after the approver said yes, and the
record read "Initech ... approved" though only Acme was. Now an open question is asked again with
the new terms, and a change of terms already answered is refused with the way to ask again, as
fanned-out questions' terms were already asked again."""

from __future__ import annotations

from bot.dispatch import Dispatcher
from bot.model import Actor, ConversationKey, Message, Trigger
from tests.test_engine_turns import make_bot

ALICE = Actor("console:alice", "alice")
BOB = Actor("console:bob", "bob")
CONV = ConversationKey("console", "t1")
FLOW = """\
id: spend
title: Spend approval
steps:
  - {id: vendor, ask: "Which vendor?", type: text}
  - {id: amount, label: budget, ask: "How much, in EUR?", type: number}
  - {id: approver, ask: "Who approves this spend?", type: person}
  - id: approved
    to: approver
    ask: "Do you approve {{ vendor }} for {{ amount }} EUR?"
    type: yes_no
  - {id: start_date, ask: "When does it start?", type: date}
record:
  decision: "{{ vendor }} for {{ amount }} EUR: {{ approved }}"
"""


def say(bot: Dispatcher, who: Actor, text: str) -> list[tuple[str, str]]:
    result = bot.handle(Message(CONV, who, text))
    assert result is not None
    return [(r.to.name if r.to else "", r.text) for r in result.outcome.replies]


def spend_bot(db, tmp_path) -> Dispatcher:
    (tmp_path / "spend.yaml").write_text(FLOW, encoding="utf-8")
    bot = make_bot(db, tmp_path)
    bot.start(Trigger(flow="spend", title="Laptops", facilitator=ALICE, participants=[BOB]), CONV)
    for text in ("Acme", "12000", "@bob"):
        say(bot, ALICE, text)
    return bot


def test_an_open_question_quoting_a_changed_answer_is_asked_again_with_it(db, tmp_path):
    bot = spend_bot(db, tmp_path)
    replies = say(bot, ALICE, "change the budget to 15000")
    assert ("alice", "Changed the budget: 12000 -> 15000.") in replies
    assert ("", "The budget changed, so bob will be asked again: an earlier answer was for other terms.") in replies
    assert ("bob", "Do you approve Acme for 15000 EUR?") in replies
    say(bot, BOB, "yes")
    say(bot, ALICE, "tomorrow")
    assert db.execute("SELECT text FROM decisions").fetchone()[0] == "Acme for 15000 EUR: yes"


def test_a_change_of_terms_already_answered_is_refused(db, tmp_path):
    bot = spend_bot(db, tmp_path)
    say(bot, BOB, "yes")
    replies = say(bot, ALICE, "change the vendor to Initech")
    assert replies[0] == (
        "alice",
        "bob answered 'Do you approve Acme for 12000 EUR?', which quotes the answer to 'Which vendor?': a"
        " correction would leave their answer standing for other terms. Say 'back' until that question is"
        " asked again.",
    )
    assert db.execute("SELECT count(*) FROM answers WHERE step = 'vendor'").fetchone()[0] == 1  # nothing changed
    say(bot, ALICE, "tomorrow")
    assert db.execute("SELECT text FROM decisions").fetchone()[0] == "Acme for 12000 EUR: yes"


def test_back_to_that_question_lets_the_terms_change_and_asks_it_in_them(db, tmp_path):
    bot = spend_bot(db, tmp_path)
    say(bot, BOB, "yes")
    # back goes over the approver's answer to the naming, as the README says
    assert say(bot, ALICE, "back") == [("alice", "Who approves this spend?\n(currently: bob; say 'ok' to keep it)")]
    assert ("alice", "Changed the answer to 'Which vendor?': Acme -> Initech.") in say(
        bot, ALICE, "change the vendor to Initech"
    )
    assert any(
        to == "bob" and text.startswith("Do you approve Initech for 12000 EUR?") for to, text in say(bot, ALICE, "ok")
    )
    say(bot, BOB, "no")
    say(bot, ALICE, "tomorrow")
    assert db.execute("SELECT text FROM decisions").fetchone()[0] == "Initech for 12000 EUR: no"
