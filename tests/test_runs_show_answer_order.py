"""``decisionbot runs show N`` lists a run's answers in the order they were given (their time,
then the order stored), as an analyst reads a transcript; ``--json`` the same. They were sorted by
step id: post_meeting's actions came before the decision they follow, and a correction of the
decision made at the end stood beside the decision's first answer, as if made at once."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main
from tests.dates import FEB1, JAN10

ROOT = Path(__file__).resolve().parents[1]

TYPED = [
    ("alice", "We ship in March"),
    ("alice", "Draft the plan"),
    ("alice", "@bob"),
    ("alice", JAN10),
    ("alice", "done"),
    ("bob", "yes"),
    ("alice", "change decision to We ship in April"),
    ("alice", FEB1),
]


def _cli(tmp_path: Path, *args: str, input: str | None = None) -> str:
    base = ["--db", str(tmp_path / "cli.db"), "--flows", str(ROOT / "flows")]
    result = CliRunner().invoke(main, [*base, *args], input=input, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_runs_show_lists_the_answers_in_the_order_they_were_given(tmp_path: Path) -> None:
    lines = "".join(json.dumps({"as": who, "text": text}) + "\n" for who, text in TYPED)
    _cli(tmp_path, "chat", "post_meeting", "-f", "alice", "-p", "bob", "--jsonl", input=lines)
    answers = json.loads(_cli(tmp_path, "runs", "show", "1", "--json"))["answers"]
    assert [(a["step"], a["field"], a["value"]) for a in answers] == [
        ("decision", None, "We ship in March"),
        ("actions", "what", "Draft the plan"),
        ("actions", "owner", {"id": "console:bob", "name": "bob"}),
        ("actions", "due", JAN10),
        ("owner_accepts", None, True),
        ("decision", None, "We ship in April"),
        ("review_at", None, FEB1),
    ]
    shown = _cli(tmp_path, "runs", "show", "1").split("Answers (every revision):\n", 1)[1].splitlines()
    assert [line.split(":", 1)[0].strip() for line in shown[:7]] == [
        "the decision, r1 answer",
        "the task of Action 1, r1 answer",
        "the owner of Action 1, r1 answer",
        "the due date of Action 1, r1 answer",
        "the owners' answers to take their actions (Action 1), r1 answer",
        "the decision, r2 correction",
        "the review date, r1 answer",
    ]
