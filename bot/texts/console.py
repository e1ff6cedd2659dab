"""What the bot says in the terminal's chat (``decisionbot chat``): resuming a run, leaving it, the
console's own help and commands."""

from __future__ import annotations

from typing import Any

from bot.texts._common import command
from bot.texts.chat import run_lines


def cli_resume_elsewhere(run_id: int, conversation: str) -> str:
    return f"Run #{run_id} lives in {conversation}, not in the terminal: answer it there. See it with: {command()} runs show {run_id}"


def cli_resume_ended(run_id: int, status: str) -> str:
    return f"Run #{run_id} is {status}; nothing to answer. See it with: {command()} runs show {run_id}"


def cli_resumed(run_id: int, flow: str, waiting: str | None) -> str:
    on = f"; waiting for {waiting}" if waiting else ""
    return f"(run #{run_id}, {flow}{on})"


def cli_chat_intro() -> str:
    return (
        "(type your answers; '/as NAME' answers as someone else when the bot asks them;"
        " '/quit' or Ctrl-C leaves: the run stays open with the answers so far)"
    )


def cli_left_run(run_id: int) -> str:
    return (
        f"Left run #{run_id}; it stays open with the answers so far. Continue it with: {command()} chat --run {run_id}"
    )


def cli_console_command(command: str) -> str:
    return (
        f"(no terminal command {command}: '/as NAME' switches who is speaking, '/quit' leaves the run open;"
        " in the run, say 'help' without the slash)"
    )


def cli_chat_flow_or_run() -> str:
    return (
        "Name a FLOW to start, --run N to continue an open run, or neither for a session of commands"
        " (not FLOW and --run both; --data, -f, -p only with FLOW; --as only with neither)."
    )


#: The chat commands the terminal takes (where no question takes the line as its answer).
_CONSOLE_COMMANDS = "actions, done A1, due A1 DATE, drop A1 [why], give A1 NAME [why], status N, list, cancel N, help"


def cli_chat_after_run(run_id: int, came_to: str) -> str:
    """``came_to``: what the run came to, as ``status N`` says it (``texts.ended_how``)."""
    return (
        f"(run #{run_id} {came_to}; you can still type commands: {_CONSOLE_COMMANDS};"
        " '/as NAME' switches who is speaking, '/quit' or Ctrl-D leaves)"
    )


def console_nothing_waiting(run_id: int | None, status: str) -> str:
    return (
        f"Nothing waits for your answer here: run #{run_id} is {status}."
        f" Type a command ({_CONSOLE_COMMANDS}), or /quit to leave."
    )


def console_other_run(run_id: int) -> str:
    """After ``bot``, on a line of another run than the terminal's (``bot (run #1): ...``)."""
    return f" (run #{run_id})"


def console_question_moved_on(run_id: int, shown_here: bool) -> str:
    """A line not taken: the question it would answer is not the one this terminal showed
    (``shown_here``: changed since, answered or put again elsewhere; else never shown here)."""
    why = (
        "the question changed since this terminal showed it (answered or put again elsewhere)"
        if shown_here
        else f"run #{run_id} asks you something this terminal has not shown you yet"
    )
    return f"Your line was not taken: {why}. Here it is as it stands now; answer it if it is yours:"


def console_help() -> str:
    return (
        "Commands: actions | done ACTION | due ACTION DATE | drop ACTION [why] | give ACTION NAME [why]"
        " | status RUN | list | cancel RUN | help. ACTION is an action's code from 'actions' (A12), RUN a run's"
        f" number. '/as NAME' switches who is speaking, '/quit' leaves. Another flow: {command()} chat FLOW"
    )


def console_open_runs(rows: list[dict[str, Any]]) -> str:
    """``list`` in the terminal: the open runs of every terminal session, and how to go on with one."""
    if not rows:
        return f"No open decision runs in the terminal. Start one with: {command()} chat FLOW"
    continued = f"Continue one with: {command()} chat --run N"
    return "\n".join(["Open decision runs in the terminal:", *run_lines(rows), continued])


def console_nothing_waiting_no_run() -> str:
    return (
        f"Nothing waits for your answer here: this session has no run. Type a command ({_CONSOLE_COMMANDS}),"
        f" or /quit to leave. Start a run with: {command()} chat FLOW"
    )


def cli_chat_commands_only(speaker: str) -> str:
    return (
        f"(no run in this session: type commands as {speaker}: {_CONSOLE_COMMANDS};"
        " '/as NAME' switches who is speaking, '/quit' or Ctrl-D leaves)"
    )


def cli_chat_several_waiting(speaker: str) -> str:
    return f"(questions of several runs wait on {speaker}: answer one with its run's number first, '#3 yes')"


def console_start_elsewhere() -> str:
    return (
        f"Nothing started: the terminal holds one run. Start another flow with: {command()} chat FLOW -f NAME -p NAMES"
    )
