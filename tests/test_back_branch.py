"""'back' over a branch: the answers of the branch left are no longer read. Before, a prompt
showed the answer of the branch the run left ('because too noisy' after 'act'), and a condition
took a branch on it (the sign-off asked of an 'act'), though the record already left it out."""

from __future__ import annotations

from bot.dispatch import Dispatcher
from bot.model import Actor, ConversationKey, Message, Trigger
from tests.test_engine_turns import make_bot

ALICE = Actor("console:alice", "alice")
CONV = ConversationKey("console", "t1")
FLOW = """\
id: branchy
title: Act or ignore
steps:
  - id: pick
    ask: "Act or ignore?"
    type: choice
    options: [act, ignore]
    next:
      - {when: "pick == 'ignore'", goto: why}
      - goto: plan
  - id: why
    ask: "Why ignore?"
    type: text
    next: confirm
  - id: plan
    ask: "What is the plan?"
    type: text
  - id: confirm
    ask: "Confirm: {{ pick }}{% if why %}, because {{ why }}{% endif %}{% if plan %}, plan: {{ plan }}{% endif %}?"
    type: yes_no
    next:
      - {when: "why", goto: sign_off}
      - goto: completed
  - id: sign_off
    ask: "Ignoring needs a sign-off. Who signs it off?"
    type: text
record:
  decision: "{{ pick }} {{ why }} {{ plan }}"
"""


def say(bot: Dispatcher, text: str) -> list[str]:
    result = bot.handle(Message(CONV, ALICE, text))
    assert result is not None
    return [r.text for r in result.outcome.replies]


def branchy_bot(db, tmp_path) -> Dispatcher:
    """The dispatcher of tests/test_engine_turns.py on the flow above, its run started."""
    (tmp_path / "branchy.yaml").write_text(FLOW, encoding="utf-8")
    bot = make_bot(db, tmp_path)
    bot.start(Trigger(flow="branchy", title="Noise", facilitator=ALICE, participants=[]), CONV)
    return bot


def test_back_over_a_branch_leaves_its_answers_out_of_prompts_and_conditions(db, tmp_path):
    bot = branchy_bot(db, tmp_path)
    for text in ("ignore", "too noisy"):
        say(bot, text)
    assert say(bot, "back")[0].startswith("Why ignore?")
    assert say(bot, "back")[0].startswith("Act or ignore?")
    say(bot, "act")
    assert say(bot, "roll back") == ["Confirm: act, plan: roll back?"]
    say(bot, "yes")  # no sign-off: the run took no 'why'
    state, status = db.execute("SELECT state, status FROM runs").fetchone()
    assert (state, status) == ("completed", "completed")
    assert db.execute("SELECT text FROM decisions").fetchone()[0] == "act  roll back"


def test_a_correction_of_a_branch_left_by_back_is_refused(db, tmp_path):
    """Before, 'change why to loud' after leaving 'why' was accepted ('Changed why: too noisy ->
    loud.') though nothing the run reads took it."""
    bot = branchy_bot(db, tmp_path)
    for text in ("ignore", "too noisy", "back", "back", "act"):
        say(bot, text)
    assert say(bot, "change why to loud") == [
        "The answer to 'Why ignore?' is not on this run's route now (left with 'back'): take that branch again to change it.",
        "Back to: What is the plan?",  # the question waiting, shown again
    ]
    revisions = db.execute("SELECT count(*) FROM answers WHERE step = 'why'").fetchone()[0]
    assert revisions == 1  # the first answer only: no correction recorded
    assert (
        say(bot, "change decision to x")[0]
        == "I can't find 'decision' to change. Answers so far: the answer to 'Act or ignore?'."
    )


def test_taking_a_branch_left_by_back_again_shows_the_answer_ok_keeps(db, tmp_path):
    """Before, 'Why ignore?' came without its 'currently' hint, though 'ok' kept 'too noisy'."""
    bot = branchy_bot(db, tmp_path)
    for text in ("ignore", "too noisy", "back", "back", "act", "back"):
        say(bot, text)
    assert say(bot, "ignore") == ["Why ignore?\n(currently: too noisy; say 'ok' to keep it)"]
    assert say(bot, "ok") == ["Confirm: ignore, because too noisy?"]


def test_an_answer_named_as_a_refusal_names_it_is_found_and_a_branch_it_chose_stands(db, tmp_path):
    """A refusal lists an answer with no label by its question ("the answer to 'Act or ignore?'");
    typed back that way, it names that answer. Before, the 'to' inside it cut the name short
    ("I can't find 'answer' to change"), so the names a refusal offered were themselves refused.
    The answer a branch read once the run went its way stays as it is: a change would leave the
    run on the other branch (before, it was taken and the record said 'ignore' with a plan)."""
    bot = branchy_bot(db, tmp_path)
    for text in ("act", "roll back"):
        say(bot, text)
    assert say(bot, "change the answer to 'What is the plan?' to roll forward") == [
        "Changed the plan: roll back -> roll forward.",  # (its name in every message)
        "Back to: Confirm: act, plan: roll forward?",
    ]
    assert say(bot, "change the answer to \u2018act or ignore\u2019 to ignore") == [
        "The answer to 'Act or ignore?' can't change now: the run has already gone the way it chose."
        " To answer it anew, the facilitator says 'back' until it is asked again.",
        "Back to: Confirm: act, plan: roll forward?",
    ]
    say(bot, "yes")
    assert db.execute("SELECT text FROM decisions").fetchone()[0] == "act  roll forward"
