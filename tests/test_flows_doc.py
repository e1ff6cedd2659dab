"""docs/flows.md, the flow author's walk-through, says what the product does: its example flow
passes `flows validate`, runs in `chat` to its record, and its labels name the answers as the page
says; each mistake its table lists is refused with the words the table quotes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main

DOC = (Path(__file__).resolve().parents[1] / "docs" / "flows.md").read_text(encoding="utf-8")
EXAMPLE = re.search(r"```yaml\n(.*?)```", DOC, re.S).group(1)  # type: ignore[union-attr]


def cli(tmp_path: Path, *args: str, input: str | None = None):
    base = ["--db", str(tmp_path / "doc.db"), "--flows", str(tmp_path / "flows")]
    return CliRunner().invoke(main, [*base, *args], input=input, catch_exceptions=False)


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "budget_approval.yaml").write_text(EXAMPLE, encoding="utf-8")
    return folder


def test_the_example_validates_and_runs_as_the_page_says(tmp_path: Path, flows: Path) -> None:
    assert cli(tmp_path, "flows", "validate").exit_code == 0
    shown = cli(tmp_path, "flows", "show", "budget_approval").output
    assert "named 'the budget'" in shown
    lines = [
        {"text": "Acme"},
        {"text": "12000"},
        {"text": "change the budget to 15000"},
        {"text": "change the price to 1"},
        {"text": "@bob"},
        {"as": "bob", "text": "yes"},
        {"as": "alice", "text": "in 2 weeks"},
    ]
    run = cli(
        tmp_path,
        "chat",
        "budget_approval",
        "-f",
        "alice",
        "-p",
        "bob,carol",
        "--jsonl",
        input="".join(json.dumps(x) + "\n" for x in lines),
    )
    assert run.exit_code == 0, run.output
    said = [json.loads(line).get("text", "") for line in run.stdout.splitlines()]
    assert "Changed the budget: 12000 -> 15000." in said
    assert "I can't find 'price' to change. Answers so far: the vendor, the budget." in said
    assert json.loads(run.stdout.splitlines()[-1])["event"] == "completed"


#: (what the table's first cell shows, the text it is put in the example as, a line the table quotes)
MISTAKES = [
    ('ask: "Which vendor?"', 'ask: "Which vendor?', "the quote opened at line "),
    ("    not_before: today\n", "    not_befor: today\n", "did you mean 'not_before'?"),
    (
        "  - id: reason",
        "  - idd: reason",
        "step '#5': the step at line 29 is missing a required key: 'id', and has 'idd'",
    ),
    ("  - id: reason", "  - id: amount", "the step id 'amount' is used twice. Fix: give every step its own id"),
    ("      - goto: reason", "      - reason", "write each branch of a list with goto: '- goto: reason'"),
    ("    to: approver", "    to: aprover", "did you mean 'approver'?"),
    ("    not_before: today\n", "    not_before: next blursday\n", "Fix: write a day as an answer would name it"),
    ("expire_after: 1w", "expire_after: 2 dayz", "'2 dayz' is not a duration"),
    (
        "escalate_after: 1d",
        "escalate_after: 2h",
        "'timers.escalate_after: 2h' is not later than 'timers.remind_after: 2h'",
    ),
    (
        "    label: start date\n",
        "    label: budget\n",
        "the label 'budget' of the step is also the label of step 'amount'",
    ),
]


@pytest.mark.parametrize(("old", "new", "quoted"), MISTAKES, ids=[m[2][:30] for m in MISTAKES])
def test_each_mistake_of_the_table_says_what_the_table_quotes(tmp_path: Path, flows: Path, old, new, quoted) -> None:
    assert quoted in DOC.replace(
        "1d' is not later than 'timers.remind_after: 1d", "2h' is not later than 'timers.remind_after: 2h"
    )
    assert old in EXAMPLE
    (flows / "budget_approval.yaml").write_text(EXAMPLE.replace(old, new, 1), encoding="utf-8")
    result = cli(tmp_path, "flows", "validate")
    assert result.exit_code == 1 and quoted in result.stderr, result.stderr
