"""Flow-file features a flow author relies on, run through the dispatcher as people would use them:
where the summary goes (post_summary), what items are called (item_label) in corrections and
notices, how a skipped answer reads in templates, and how branches read in diagrams."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.engine.reader import version_of
from bot.model import Trigger
from tests.test_engine_turns import ALICE, BOB, CAROL, CONV, DAVE, make_bot, rows, say, turn

HIRING = """\
id: hiring
title: Hiring decision
roles: {facilitator: trigger.facilitator, participants: trigger.participants}
steps:
  - {id: verdict, ask: "Hire {{ trigger.title }}?", type: choice, options: [hire, reject]}
  - id: tasks
    ask: "Which onboarding tasks?"
    type: repeat
    item_label: Task
    fields:
      - {id: what, ask: "What is the task?", type: text}
      - {id: owner, ask: "Who owns '{{ item.what }}'?", type: person}
      - {id: due, ask: "By when?", type: date}
  - {id: owner_ok, to: each tasks.owner, ask: "You own '{{ item.what }}'. OK?", type: yes_no}
record: {decision: verdict, actions: tasks, accepts: owner_ok}
on_complete:
  - post_summary: SUMMARY
"""


def flows(tmp_path: Path, text: str, name: str) -> Path:
    folder = tmp_path / "flows"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.yaml").write_text(text)
    return folder


def hire_until_owners(bot) -> None:
    bot.start(Trigger(flow="hiring", title="Dana", facilitator=ALICE, participants=[BOB]), CONV)
    for text in ("hire", "Set up accounts", "@carol", "2026-12-10", "done"):
        say(bot, ALICE, text)


@pytest.mark.parametrize(
    ("where", "readers"),
    [
        ("conversation", [None]),
        ("facilitator", ["alice"]),
        ("participants", ["alice", "bob", "carol"]),  # the facilitator, the participants, the owners; once each
    ],
)
def test_the_summary_goes_where_the_flow_says(db, tmp_path, where, readers):
    bot = make_bot(db, flows(tmp_path, HIRING.replace("SUMMARY", where), "hiring"))
    hire_until_owners(bot)
    result = turn(bot, CAROL, "yes")
    assert result is not None
    summaries = [r for r in result.outcome.replies if r.kind == "summary"]
    assert [r.to.name if r.to else None for r in summaries] == readers
    assert all(r.private == (where != "conversation") for r in summaries)
    assert all(r.text.startswith("Decision recorded: Dana") for r in summaries)
    stored = rows(db, "SELECT actor_name, private FROM messages WHERE kind = 'summary' ORDER BY id")
    assert stored == [(name, int(where != "conversation")) for name in readers]


APPROVAL = """\
id: approval
title: Vendor approval
roles: {facilitator: trigger.facilitator}
steps:
  - id: approvers
    type: repeat
    item_label: Approver
    fields: [{id: who, ask: "Who approves?", type: person}, {id: limit, ask: "Up to how much?", type: number}]
  - {id: approve, to: each approvers.who, ask: "Do you approve?", type: yes_no}
"""


def test_a_changed_item_without_a_what_is_named_by_its_number(db, tmp_path):
    """Items without a 'what' field were named ('') in the notices of a changed owner or terms."""
    bot = make_bot(db, flows(tmp_path, APPROVAL, "approval"))
    bot.start(Trigger(flow="approval", title="Globex", facilitator=ALICE), CONV)
    for text in ("@bob", "100", "@carol", "200", "done"):
        say(bot, ALICE, text)
    assert say(bot, ALICE, "change who of approver 2 to @dave")[1] == (
        None,
        "info",
        "Approver 2 has a new owner, who will be asked to confirm it.",
    )
    assert say(bot, ALICE, "change limit of approver 1 to 150")[1] == (
        None,
        "info",
        "Approver 1 changed; its owner will be asked to confirm it again.",
    )


def test_corrections_and_notices_call_items_by_the_flows_label(db, tmp_path):
    bot = make_bot(db, flows(tmp_path, HIRING.replace("SUMMARY", "conversation"), "hiring"))
    hire_until_owners(bot)
    assert say(bot, ALICE, "change owner of task 1 to @dave")[:2] == [
        ("alice", "info", "Changed the owner of Task 1: carol -> dave."),
        (None, "info", "Task 1 ('Set up accounts') has a new owner, who will be asked to confirm it."),
    ]
    assert say(bot, DAVE, "no")[-1] == (
        "alice",
        "prompt",
        "dave declined Task 1 ('Set up accounts'). Who should own it instead?",
    )
    say(bot, ALICE, "@carol")
    assert say(bot, ALICE, "change the due date of task 1 to 2026-12-11")[:2] == [
        ("alice", "info", "Changed the due date of Task 1: 2026-12-10 -> 2026-12-11."),
        (None, "info", "Task 1 ('Set up accounts') changed; its owner will be asked to confirm it again."),
    ]
    assert say(bot, ALICE, "change owner of action 1 to @bob")[0] == (  # 'action' and 'item' name items too
        "alice",
        "info",
        "Changed the owner of Task 1: carol -> bob.",
    )


SKIPPABLE = """\
id: outage
title: Outage review
steps:
  - {id: root_cause, ask: "Root cause, if known?", type: text, optional: true}
  - id: next_step
    ask: "{% if root_cause %}Root cause is '{{ root_cause }}'. {% endif %}What next?"
    type: text
record:
  decision: "{{ next_step }}{% if root_cause %} (cause: {{ root_cause }}){% endif %}"
"""


def test_a_skipped_answer_is_empty_in_templates_as_a_branch_not_taken_is(db, tmp_path):
    bot = make_bot(db, flows(tmp_path, SKIPPABLE, "outage"))
    bot.start(Trigger(flow="outage", title="T", facilitator=ALICE), CONV)
    assert say(bot, ALICE, "skip") == [("alice", "prompt", "What next?")]
    say(bot, ALICE, "Add a canary")
    assert rows(db, "SELECT text FROM decisions") == [("Add a canary",)]


def test_diagrams_name_each_branch_by_its_condition():
    flows_dir = Path(__file__).parents[2] / "flows"
    result = CliRunner().invoke(main, ["--flows", str(flows_dir), "flows", "diagram", "metric_breach"])
    assert result.exit_code == 0, result.output
    assert "response --> ignore_reason : Next [response == 'ignore']" in result.output
    assert "[check]" not in result.output


def pin_runs_to(db, flow_id: str, text: str) -> None:
    """Pin every run to a version of ``flow_id`` stored by an earlier release (checked by its rules)."""
    with db.conn:
        db.conn.execute(
            "INSERT INTO flow_versions (flow_id, version, title, path, text, first_loaded_at)"
            " VALUES (?, ?, ?, ?, ?, '2026-01-01T00:00:00.000Z')",
            (flow_id, version_of(text), flow_id.title(), f"flows/{flow_id}.yaml", text),
        )
        db.conn.execute("UPDATE runs SET flow_version = ?", (version_of(text),))


def pinned_bot(db, tmp_path, flow_id: str, current: str, old: str):
    """The bot of a new process, with a run of ``flow_id`` started on ``current`` (the folder's
    text) and pinned to ``old``: the pinned version is read back from the ledger."""
    folder = flows(tmp_path, current, flow_id)
    make_bot(db, folder).start(Trigger(flow=flow_id, title="T", facilitator=ALICE), CONV)
    pin_runs_to(db, flow_id, old)
    return make_bot(db, folder)


GATE = """\
id: gate
title: Gate
steps:
  - id: go
    ask: "Go ahead?"
    type: yes_no
    next:
      - {when: "go == True", goto: why}
      - LAST
  - {id: why, ask: "Why?", type: text}
"""


def test_a_run_finishes_on_its_version_even_when_todays_checks_would_refuse_that_text(db, tmp_path):
    """A version is checked when it is current; a check added later must not strand its runs."""
    old = GATE.replace("LAST", '{when: "go == False", goto: completed}')  # refused today: a last branch with a 'when'
    bot = pinned_bot(db, tmp_path, "gate", GATE.replace("LAST", "goto: completed"), old)
    assert say(bot, ALICE, "yes") == [("alice", "prompt", "Why?")]
    say(bot, ALICE, "Because")
    assert rows(db, "SELECT status FROM runs") == [("completed",)]


PICK = """\
id: pick
title: Pick
steps:
  - id: choice
    ask: "Which way?"
    type: choice
    options: [ship, wait, drop]
    next:
      - {when: "choice == 'ship'", goto: completed}
      - LAST
"""


def test_an_answer_no_branch_of_a_pinned_version_takes_is_refused_and_the_run_goes_on(db, tmp_path):
    old = PICK.replace("LAST", "{when: \"choice == 'wait'\", goto: completed}")
    bot = pinned_bot(db, tmp_path, "pick", PICK.replace("LAST", "goto: completed"), old)
    replies = say(bot, ALICE, "drop")  # before: TransitionNotAllowed, the turn rolled back, no reply
    assert replies == [
        (
            "alice",
            "error",
            "'drop' leads nowhere in the version of the flow this run follows, so it was not taken."
            " Give another answer, or the facilitator can say 'cancel'.",
        )
    ]
    assert rows(db, "SELECT count(*) FROM answers") == [(0,)]
    assert rows(db, "SELECT state, status FROM runs") == [("choice", "active")]
    assert rows(db, "SELECT kind, text FROM messages WHERE direction = 'in'") == [("invalid", "drop")]
    say(bot, ALICE, "wait")
    assert rows(db, "SELECT status FROM runs") == [("completed",)]


AGREE = """\
id: agree
title: Agree
steps:
  - {id: decision, ask: "Decided?", type: text}
  - {id: agreed, ask: "Agreed?", type: yes_no}
record:
  RECORD
"""


def test_a_pinned_version_whose_record_todays_checks_refuse_still_completes(db, tmp_path):
    """Valid when its runs started (88ee75e): accepts naming a step asked once, a template name unknown."""
    old = AGREE.replace("RECORD", 'decision: "{{ decision }}{{ note }}"\n  accepts: agreed')
    bot = pinned_bot(db, tmp_path, "agree", AGREE.replace("RECORD", "decision: decision"), old)
    # before: FlowError 'record.accepts names ...' on every turn and job, for good
    say(bot, ALICE, "Ship it")
    say(bot, ALICE, "yes")
    assert rows(db, "SELECT status FROM runs") == [("completed",)]
    assert rows(db, "SELECT text FROM decisions") == [("Ship it",)]


PLAN = """\
id: plan
title: Plan
steps:
  - id: actions
    ask: "Actions?"
    type: repeat
    item_label: Action
    fields:
      - {id: what, ask: "What?", type: text}
      - {id: owner, ask: "Who?", type: person}
  - id: risks
    ask: "Risks?"
    type: repeat
    item_label: Risk
    fields:
      - {id: what, ask: "Which risk?", type: text}
      - {id: owner, ask: "Who watches it?", type: person}
  - id: go
    ask: "Go on?"
    type: yes_no
    next:
      - {when: "go", goto: completed}
      - goto: cancelled
"""


def test_a_correction_names_the_item_of_the_step_its_label_names(db, tmp_path):
    bot = make_bot(db, flows(tmp_path, PLAN, "plan"))
    bot.start(Trigger(flow="plan", title="T", facilitator=ALICE, participants=[BOB, CAROL]), CONV)
    for text in ("Ship", "@bob", "done", "Churn", "@carol", "done"):
        say(bot, ALICE, text)
    assert say(bot, ALICE, "change owner of risk 1 to @dave")[0] == (
        "alice",
        "info",
        "Changed the owner of Risk 1: carol -> dave.",
    )
    assert say(bot, ALICE, "change owner of action 1 to @dave")[0] == (
        "alice",
        "info",
        "Changed the owner of Action 1: bob -> dave.",
    )


def test_a_branch_to_cancelled_ends_the_run_without_a_decision(db, tmp_path):
    bot = make_bot(db, flows(tmp_path, PLAN, "plan"))
    bot.start(Trigger(flow="plan", title="T", facilitator=ALICE), CONV)
    for text in ("done", "done"):
        say(bot, ALICE, text)
    assert say(bot, ALICE, "no") == [
        (
            None,
            "summary",
            "Run ended without a decision: the flow stops here, after the answer to 'Go on?'. The transcript is kept.",
        )
    ]
    assert rows(db, "SELECT state, status FROM runs") == [("cancelled", "cancelled")]
    assert rows(db, "SELECT count(*) FROM decisions") == [(0,)]


def test_a_pinned_version_whose_invitation_cannot_be_written_still_completes(db, tmp_path):
    good = 'id: notes\ntitle: Notes\nsteps:\n  - {id: decision, ask: "Decided?", type: text}\n'
    old = good + "on_complete:\n  - post_summary: conversation\n  - calendar_invite: {at: decision}\n"
    bot = pinned_bot(db, tmp_path, "notes", good, old)  # from before calendar_invite.at was checked: a text step
    replies = say(bot, ALICE, "hello")  # before: ValueError, the turn rolled back for good
    assert [kind for _, kind, _ in replies] == ["summary"]
    assert rows(db, "SELECT status FROM runs") == [("completed",)]


def test_a_run_started_without_a_facilitator_names_the_placeholder_until_someone_claims_it(db):
    from bot.model import placeholder_facilitator

    bot = make_bot(db)
    bot.start(Trigger(flow="post_meeting", title="Weekly"), CONV)  # as `decisionbot chat post_meeting` without -f
    first = placeholder_facilitator("console")
    for text in ("We ship", "Plan", "@bob", "2099-01-15"):
        say(bot, first, text)
    assert say(bot, first, "done")[-1] == (
        "bob",
        "prompt",
        "facilitator assigned you an action from 'Weekly': 'Plan', due 2099-01-15. Do you accept it?",
    )  # before: " assigned you ..." with no name
