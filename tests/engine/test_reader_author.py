"""A flow author's slips, found writing flows from the docs (an approval with a branch, a
post-mortem with timers): each refused at load naming the real mistake, its step and its fix,
not a consequence of it elsewhere in the file."""

from __future__ import annotations

from tests.engine.test_reader import refused, with_steps, write

APPROVAL = """\
  - {id: vendor, ask: "Which vendor?", type: text}
  - {id: budget, ask: "How much, in EUR?", type: number, min: 1}
  - id: approved
    ask: "Do you approve {{ vendor }} for {{ budget }} EUR?"
    type: yes_no
    next:
      - {when: "approved", goto: start_date}
      - goto: reason
  - {id: reason, ask: "Why was it refused?", type: text, next: completed}
  - {id: start_date, ask: "When does it start?", type: date, not_before: today}
"""


def test_a_step_id_written_again_is_named_not_the_branch_it_took_away(tmp_path) -> None:
    # the last step pasted from the budget step and its id left as it was: the branch to
    # 'start_date' was refused first ("branches to unknown step"), pointing at a step not at fault
    text = with_steps(APPROVAL.replace("{id: start_date,", "{id: budget,"))
    err = refused(write(tmp_path, text), "budget", "the step id 'budget' is used twice")
    assert err.fix == "give every step its own id"
