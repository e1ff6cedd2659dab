"""'back' over a branch: the answers of the branch left are no longer read. Before, a prompt
showed the answer of the branch the run left ('because too noisy' after 'act'), and a condition
took a branch on it (the sign-off asked of an 'act'), though the record already left it out."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.dispatch import Dispatcher
from bot.flow_catalog import FlowCatalog
from bot.model import Actor, ConversationKey, Message, Trigger

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


def test_back_over_a_branch_leaves_its_answers_out_of_prompts_and_conditions(db, tmp_path):
    (tmp_path / "branchy.yaml").write_text(FLOW, encoding="utf-8")
    clock = lambda: datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # noqa: E731
    bot = Dispatcher(db, FlowCatalog(tmp_path, db), ZoneInfo("Europe/Paris"), clock=clock)
    bot.start(Trigger(flow="branchy", title="Noise", facilitator=ALICE, participants=[]), CONV)
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
