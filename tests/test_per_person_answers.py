"""A step asked of each participant (``to: participants``: a hiring panel's votes) read by a later
prompt or by the record. Before, the prompt showed a Python mapping ("Votes: {'0': 'Hire', '1':
'Not sure'}") and a decision template reading it loaded, to put that mapping in the summary and
the ledger, though one reading a ``to: each`` step was refused at load. Now the prompt shows each
person's answer by name, and the record reading it is refused as the ``to: each`` one is."""

from __future__ import annotations

from bot.dispatch import Dispatcher
from bot.model import Actor, ConversationKey, Message, Trigger
from tests.engine.test_reader import refused, write
from tests.test_engine_turns import make_bot

ALICE = Actor("console:alice", "alice")
BOB = Actor("console:bob", "bob")
CAROL = Actor("console:carol", "carol")
CONV = ConversationKey("console", "t1")
FLOW = """\
id: hiring
title: Hiring decision
roles:
  facilitator: trigger.facilitator
  participants: trigger.participants
steps:
  - id: votes
    to: participants
    ask: "Hire {{ trigger.candidate }}?"
    type: choice
    options: [{value: hire, label: Hire}, {value: no_hire, label: No hire}, {value: unsure, label: Not sure}]
  - id: decision
    ask: "Votes: {{ votes }}. Your decision?"
    type: choice
    options: [offer, reject]
record:
  decision: decision
"""


def say(bot: Dispatcher, who: Actor, text: str) -> list[tuple[str, str]]:
    result = bot.handle(Message(CONV, who, text))
    assert result is not None
    return [(r.to.name if r.to else "", r.text) for r in result.outcome.replies]


def test_a_later_prompt_shows_each_persons_answer_by_name(db, tmp_path):
    (tmp_path / "hiring.yaml").write_text(FLOW, encoding="utf-8")
    bot = make_bot(db, tmp_path)
    trigger = Trigger(
        flow="hiring", title="Dana", facilitator=ALICE, participants=[BOB, CAROL], data={"candidate": "Dana"}
    )
    bot.start(trigger, CONV)
    say(bot, BOB, "hire")
    replies = say(bot, CAROL, "not sure")
    assert any(
        to == "alice" and text.startswith("Votes: bob: Hire, carol: Not sure. Your decision?") for to, text in replies
    ), replies


def test_a_decision_template_reading_each_persons_answers_is_refused(tmp_path):
    text = FLOW.replace("  decision: decision\n", '  decision: "{{ decision }} ({{ votes }})"\n')
    refused(
        write(tmp_path, text, "hiring"), None, "the template of record.decision reads 'votes', which answers once per"
    )


REPEAT = """\
id: listing
title: Listing
steps:
  - id: actions
    type: repeat
    fields:
      - {id: what, ask: "What?", type: text}
      - {id: owner, ask: "Who owns '{{ item.what }}'?", type: person}
      - {id: due, ask: "By when?", type: date, optional: true}
  - id: summary
    ask: "Listed: {{ actions }}. Decision? ({{ actions | length }} items; first {{ actions[0].what }})"
    type: text
record:
  decision: summary
  actions: actions
"""


def test_a_later_prompt_shows_a_repeats_items_as_people_read_them(db, tmp_path):
    """Before, the prompt showed a Python list: "Listed: [{'what': 'draft plan', 'owner': ...}]"."""
    (tmp_path / "listing.yaml").write_text(REPEAT, encoding="utf-8")
    bot = make_bot(db, tmp_path)
    bot.start(Trigger(flow="listing", title="Sync", facilitator=ALICE, participants=[BOB, CAROL]), CONV)
    for text in ("draft plan", "@bob", "2026-12-04", "review", "@carol", "skip"):
        say(bot, ALICE, text)
    replies = say(bot, ALICE, "done")
    assert (
        "alice",
        "Listed: draft plan, bob, 2026-12-04; review, carol. Decision? (2 items; first draft plan)",
    ) in replies, replies


def test_the_lead_goes_back_while_the_run_waits_on_others(db, tmp_path):
    """bob was told only alice can go back a step; alice, typing 'back', was told the question is
    for bob and carol: nobody could."""
    text = FLOW.replace("steps:\n", 'steps:\n  - {id: role, ask: "Which role?", type: text}\n', 1)
    (tmp_path / "hiring.yaml").write_text(text, encoding="utf-8")
    bot = make_bot(db, tmp_path)
    trigger = Trigger(
        flow="hiring", title="Dana", facilitator=ALICE, participants=[BOB, CAROL], data={"candidate": "Dana"}
    )
    bot.start(trigger, CONV)
    asked = say(bot, ALICE, "Backend engineer")
    assert ("bob", "Hire Dana?") in [(to, t.split("\n")[0]) for to, t in asked], asked
    assert any("Only the facilitator (alice) can go back a step" in t for _, t in say(bot, BOB, "back"))
    replies = say(bot, ALICE, "back")
    assert any(to == "alice" and t.startswith("Which role?") for to, t in replies), replies
    assert not any("This question is for" in t for _, t in replies), replies
    late = say(bot, BOB, "hire")  # the vote went with the step gone back over
    assert not any(t.startswith("Votes:") for _, t in late), late


NUMBERS = """\
id: budget
title: Budget
steps:
  - {id: amount, ask: "How much?", type: number}
  - id: check
    ask: "{% if amount > 100 %}A big one: {{ amount * 2 }}{% elif amount %}{{ amount * 1.2 }}{% else %}None{% endif %}. Agreed?"
    type: yes_no
record:
  decision: "Budget {{ amount * 1.2 }} incl. VAT"
"""


def test_a_number_reaches_templates_as_a_number(db, tmp_path):
    """It reached them as text: '{{ amount * 1.2 }}' failed on every run (the decision lost), and
    '{{ amount * 2 }}' printed 1500015000; '{% if amount > 100 %}' compared text."""
    (tmp_path / "budget.yaml").write_text(NUMBERS, encoding="utf-8")
    bot = make_bot(db, tmp_path)
    bot.start(Trigger(flow="budget", title="Q1", facilitator=ALICE), CONV)
    assert ("alice", "A big one: 30000. Agreed?") in [(to, t.split("\n")[0]) for to, t in say(bot, ALICE, "15000")]
    say(bot, ALICE, "yes")  # the end: no summary posted (no on_complete)
    assert db.execute("SELECT text FROM decisions").fetchall() == [("Budget 18000 incl. VAT",)]  # not 18000.0


def test_an_answered_zero_is_true_in_a_template_and_a_fraction_prints_as_written(db, tmp_path):
    """0 answered read as not answered in '{% if amount %}'; 19.99 * 1.2 printed 23.987999999999996."""
    (tmp_path / "budget.yaml").write_text(NUMBERS, encoding="utf-8")
    bot = make_bot(db, tmp_path)
    for n, (said, shown) in enumerate((("0", "0. Agreed?"), ("19.99", "23.988. Agreed?"))):
        conversation = ConversationKey("console", f"z{n}")
        bot.start(Trigger(flow="budget", title="Q1", facilitator=ALICE), conversation)
        result = bot.handle(Message(conversation, ALICE, said))
        assert result is not None
        assert shown in [r.text.split("\n")[0] for r in result.outcome.replies], result.outcome.replies
