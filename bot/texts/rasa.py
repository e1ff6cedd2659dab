"""What the Rasa channel says."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.texts._common import _left_out, _one_line, command
from bot.texts.chat import _flows, run_lines

# --- rasa ---------------------------------------------------------------------------------------


def rasa_bad_call(problem: str) -> str:
    return f"Bad action call: {problem.rstrip('.')}."


def rasa_inflated_too_large(limit: int) -> str:
    return f"the deflated body inflates to more than {limit} bytes"


def rasa_not_json(problem: str | None) -> str:
    """Why an action call's body was not read (``problem``: what the parser said, if anything)."""
    return f"the body is not JSON: {problem}" if problem else "the body is not JSON"


def rasa_button_yes() -> str:
    return "Yes"


def rasa_button_no() -> str:
    return "No"


def rasa_start_needs_flow(flows: list[str]) -> str:
    """To a sender whose start names no flow (the assistant's NLU found none to put in the slot
    ``decision_flow``): what they can say, which ``action_decision_answer`` takes."""
    return f"Which flow should I start? Say start FLOW [@people ...] [title]. Flows: {_flows(flows)}."


def rasa_bad_participant(entry: str) -> str:
    return f"'{entry}' is not a sender id (ids have no spaces). List participants as ids, e.g. bob, carol."


def rasa_bad_participant_value(entry: object) -> str:
    """An entry of ``decision_participants`` that is no id: null, true, a number with a point, a list."""
    shown = json.dumps(entry, default=repr)[:40]  # as Rasa's JSON wrote it: null, true, 1.5
    return f"{shown} in decision_participants is not a sender id. List participants as ids, e.g. bob, carol."


def rasa_participant_not_an_id(entry: str, most: int) -> str:
    """A participant longer than any platform's id, or with a control character (as a trigger's:
    ``bad_person``): said without repeating it whole."""
    if len(entry) > most:
        return f"A participant of {len(entry)} characters is not a sender id ({most} at most). List participants as ids, e.g. bob, carol."
    shown = entry.encode("unicode_escape").decode("ascii")[:80]
    return (
        f"'{shown}' is not a sender id (it has a control character or one of < > | & `). List participants"
        " as ids, e.g. bob, carol."
    )


def rasa_sender_not_an_id(sender: str, most: int) -> str:
    """A tracker's sender id no channel gives: longer than any platform's id, or with a control character."""
    if len(sender) > most:
        return f"tracker.sender_id of {len(sender)} characters is not a sender id ({most} at most)"
    shown = sender.encode("unicode_escape").decode("ascii")[:80]
    return f"tracker.sender_id '{shown}' is not a sender id (it has a control character or one of < > | & `)"


def rasa_participants_not_a_list(value: object) -> str:
    """``decision_participants`` of another type: an object, a number, true..."""
    one = ': one person is [{"id": "bob"}]' if isinstance(value, Mapping) else ""
    return (
        'decision_participants must be a list of sender ids or of {"id", "name"} objects, or a'
        f" comma-separated string of ids, not {_json_kind(value)}{one}"
    )


def _json_kind(value: object) -> str:
    """What a JSON value is, as a sentence names it: "an object", "a number", "true"."""
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, bool):
        return "true" if value else "false"
    return "a number" if isinstance(value, int | float) else f"a {type(value).__name__}"


def rasa_participant_without_id() -> str:
    return "an entry of decision_participants has no 'id'"


def rasa_question_asked_again() -> str:
    """Kept on a question given up unsent because a later one (its reminder) asks it again."""
    return "withdrawn: asked again (a reminder) before its person called; the later one was shown"


def rasa_question_withdrawn() -> str:
    """Kept on a question given up unsent (``messages.last_error``), for analysts."""
    return "withdrawn: no longer asked of its person when they next called (the run ended or moved on)"


def rasa_nothing_waiting() -> str:
    return "Nothing is waiting for your answer. Ask for your open decisions, or start one."


def rasa_no_open_runs() -> str:
    return "You have no open decision runs."


def rasa_open_runs(lines: list[str]) -> str:
    return "Your open decision runs:\n" + "\n".join(f"  {line}" for line in lines)


def rasa_run_list(rows: list[dict[str, Any]]) -> str:
    """``list`` through Rasa: the open runs the sender takes part in (their conversation holds only
    the runs they started)."""
    if not rows:
        return f"{rasa_no_open_runs()} Start one with: start FLOW [@people ...] [title]"
    return "\n".join(["Your open decision runs:", *run_lines(rows)])


def rasa_not_installed() -> str:
    return "rasa-sdk is not installed. Install it with: pip install 'decisionbot[rasa]'"


def rasa_listening(host: str, port: int, db: str, flows: str) -> str:
    return f"decisionbot Rasa actions on http://{host}:{port}/webhook (ledger {db}, flows {flows})"


def rasa_bad_token() -> str:
    return (
        "Missing or wrong token. Set action_endpoint's token in Rasa's endpoints.yml"
        " to the value of DECISIONBOT_RASA_TOKEN."
    )


def rasa_call_refused(remote: str | None, status: int, error: str, left_out: int) -> str:
    """The log line of an action call refused (bot/refusals.py: one a minute per status)."""
    return f"Rasa action call from {remote or 'unknown'} refused: {status} {_one_line(error)}{_left_out(left_out)}"


def rasa_token_unchecked() -> str:
    return (
        "DECISIONBOT_RASA_TOKEN is set but this server does not check it (python -m rasa_sdk)."
        f" Serve the actions with: {command()} rasa-actions"
    )


def rasa_open_without_token(host: str) -> str:
    return (
        f"Refusing to listen on {host} without a token: anyone who can reach it could speak as any Rasa sender."
        " Set DECISIONBOT_RASA_TOKEN (and action_endpoint's token in Rasa's endpoints.yml), or use --host 127.0.0.1."
    )


def rasa_housekeeping_failed() -> str:
    return "Rasa action: housekeeping after the call failed (the call itself was stored and answered)"


def rasa_cut() -> str:
    """What stands where the middle of a question too long for one Rasa response was left out."""
    return " … "


def rasa_decision_not_led(decision_id: object) -> str:
    """``decision_data`` naming a decision the sender did not lead (or none: the same words, so
    that nothing is told of others' decisions)."""
    return (
        "Nothing started: only a decision's facilitator may start a run about it (its review before its"
        f" date), and you led no decision #{_one_line(str(decision_id))[:40]}."
    )


def rasa_data_not_an_object(value: object) -> str:
    """Slot ``decision_data`` holding something other than an object (a string, a list)."""
    return (
        f'Nothing started: decision_data must be an object, like {{"decision_id": 12}}, not'
        f" {_one_line(repr(value))[:40]}."
    )


def rasa_decision_id_not_a_number(value: object) -> str:
    """``decision_data``'s ``decision_id`` that is no decision's number (``true``, ``1.5``, ``"x"``)."""
    return f"Nothing started: decision_id must be a decision's number, like 12, not {_one_line(repr(value))[:40]}."


def rasa_no_such_call(method: str, path: str) -> str:
    return f"No {method} {_one_line(path)[:100]} here: Rasa calls POST /webhook (GET /health for a probe)."
