"""A choice as people picked it: prompts, hints and the summary quote its label; ``.value`` and
comparisons (in templates and in ``when``) read the value kept in the ledger."""

from __future__ import annotations

from pathlib import Path

from bot.model import Trigger
from tests.test_engine_turns import ALICE, BOB, CONV, make_bot, rows, say

INCIDENT = """\
id: incident
title: Incident
steps:
  - id: severity
    ask: "How bad is it?"
    type: choice
    options: [{value: sev1, label: "SEV1 - down"}, {value: sev2, label: "SEV2 - degraded"}]
  - id: plan
    ask: "{{ severity }} ({{ severity.value }}){% if severity == 'sev2' %}, no paging{% endif %}. The plan?"
    type: text
    next:
      - {when: "severity == 'sev1'", goto: page}
      - goto: completed
  - {id: page, ask: "Who do we page for {{ answers.severity }}?", type: text}
record:
  decision: "{{ severity }}: {{ plan }}"
on_complete:
  - post_summary: conversation
"""

TASKS = """\
id: tasks
title: Tasks
steps:
  - id: items
    type: repeat
    fields:
      - {id: what, ask: "What?", type: text}
      - {id: owner, ask: "Who?", type: person}
      - id: kind
        ask: "Which kind is '{{ item.what }}'?"
        type: choice
        options: [{value: fix, label: Bug fix}, {value: doc, label: Documentation}]
  - {id: ok, to: each items.owner, ask: "You own '{{ item.what }}', a {{ item.kind }}. OK?", type: yes_no}
  - id: verdict
    ask: "Verdict?"
    type: choice
    options: [{value: go, label: Go ahead}, {value: stop, label: Stop here}]
    default: go
record: {decision: verdict}
on_complete:
  - post_summary: conversation
"""


def bot_for(db, tmp_path: Path, flow_id: str, text: str):
    folder = tmp_path / "flows"
    folder.mkdir(exist_ok=True)
    (folder / f"{flow_id}.yaml").write_text(text)
    bot = make_bot(db, folder)
    bot.start(Trigger(flow=flow_id, title="T", facilitator=ALICE, participants=[BOB]), CONV)
    return bot


def test_a_choice_reads_as_its_label_and_compares_as_its_value(db, tmp_path):
    bot = bot_for(db, tmp_path, "incident", INCIDENT)
    # before: "sev2 (sev2), no paging. The plan?" and "Decided: sev2: roll back"
    assert say(bot, ALICE, "2") == [("alice", "prompt", "SEV2 - degraded (sev2), no paging. The plan?")]
    assert say(bot, ALICE, "back")[-1] == (
        "alice",
        "prompt",
        "How bad is it?\n1) SEV1 - down  2) SEV2 - degraded\n(currently: SEV2 - degraded; say 'ok' to keep it)",
    )
    assert say(bot, ALICE, "1") == [("alice", "prompt", "SEV1 - down (sev1). The plan?")]
    assert say(bot, ALICE, "roll back") == [("alice", "prompt", "Who do we page for SEV1 - down?")]  # when: by value
    summary = say(bot, ALICE, "oncall")[-1]
    assert summary == (None, "summary", "Decision recorded: T\nDecided: SEV1 - down: roll back")
    assert rows(db, "SELECT text FROM decisions") == [("SEV1 - down: roll back",)]
    assert rows(db, "SELECT value FROM answers WHERE step = 'severity' ORDER BY id") == [('"sev2"',), ('"sev1"',)]


def test_a_choice_field_a_default_and_a_decision_step_read_as_labels(db, tmp_path):
    bot = bot_for(db, tmp_path, "tasks", TASKS)
    for text in ("Patch the parser", "@bob"):
        say(bot, ALICE, text)
    assert say(bot, ALICE, "1")[-1][2].startswith("Item 2: What?")
    replies = say(bot, ALICE, "done")
    assert ("bob", "prompt", "You own 'Patch the parser', a Bug fix. OK?") in replies
    assert say(bot, BOB, "yes")[-1] == (
        "alice",
        "prompt",
        "Verdict?\n1) Go ahead  2) Stop here\n(default: Go ahead; say 'ok' to take it)",  # before: default: go
    )
    assert say(bot, ALICE, "ok")[-1] == (None, "summary", "Decision recorded: T\nDecided: Go ahead")
    assert rows(db, "SELECT text FROM decisions") == [("Go ahead",)]


def test_a_corrected_choice_is_reported_by_its_labels(db, tmp_path):
    bot = bot_for(db, tmp_path, "incident", INCIDENT)
    say(bot, ALICE, "2")
    # before: "Changed severity: sev2 -> sev1."
    assert say(bot, ALICE, "change severity to 1")[0] == (
        "alice",
        "info",
        "Changed the answer to 'How bad is it?': SEV2 - degraded -> SEV1 - down.",
    )
    assert rows(db, "SELECT value, kind FROM answers WHERE step = 'severity' ORDER BY id") == [
        ('"sev2"', "answer"),
        ('"sev1"', "correction"),
    ]


def test_a_flow_of_its_own_recording_an_outcome_sums_it_up_by_its_label(db, tmp_path):
    """``record.outcome`` outside a review: the summary's line named the option's value ('go')."""
    text = TASKS.replace("record: {decision: verdict}", "record: {decision: verdict, outcome: verdict}")
    bot = bot_for(db, tmp_path, "tasks", text)
    for said in ("Patch the parser", "@bob", "1", "done"):
        say(bot, ALICE, said)
    say(bot, BOB, "yes")
    summary = say(bot, ALICE, "2")[-1]
    assert summary[:2] == (None, "summary") and summary[2].endswith("\nReview outcome: Stop here.")
    assert rows(db, "SELECT value FROM answers WHERE step = 'verdict'") == [('"stop"',)]
