"""What the Rasa channel says."""

from __future__ import annotations

from typing import Any

from bot.texts._common import _join

# --- rasa ---------------------------------------------------------------------------------------


def rasa_bad_call(problem: str) -> str:
    return f"Bad action call: {problem.rstrip('.')}."


def rasa_button_yes() -> str:
    return "Yes"


def rasa_button_no() -> str:
    return "No"


def rasa_start_needs_flow(flows: list[str]) -> str:
    return f"Which flow should I start? Set the slot decision_flow to one of: {_join(flows)}."


def rasa_bad_participant(entry: str) -> str:
    return f"'{entry}' is not a sender id (ids have no spaces). List participants as ids, e.g. bob, carol."


def rasa_nothing_waiting() -> str:
    return "Nothing is waiting for your answer. Ask for your open decisions, or start one."


def rasa_no_open_runs() -> str:
    return "You have no open decision runs."


def rasa_open_runs(lines: list[str]) -> str:
    return "Your open decision runs:\n" + "\n".join(f"  {line}" for line in lines)


def rasa_no_actions() -> str:
    return "You have no open action items."


def rasa_actions(rows: list[dict[str, Any]]) -> str:
    lines = ["Your open action items:"]
    for i, r in enumerate(rows, 1):
        due = f"due {r['due']}" if r["due"] else "no due date"
        lines.append(f"  {i}. {r['what']} - {due} (decision #{r['decision_id']}: {r['title']})")
    return "\n".join(lines)


def rasa_not_installed() -> str:
    return "rasa-sdk is not installed. Install it with: pip install 'decisionbot[rasa]'"


def rasa_listening(host: str, port: int, db: str, flows: str) -> str:
    return f"decisionbot Rasa actions on http://{host}:{port}/webhook (ledger {db}, flows {flows})"
