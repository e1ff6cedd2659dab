"""What the server and the CLI print."""

from __future__ import annotations

import shlex
from typing import Any

from bot.texts._common import _join, command
from bot.texts.ledger import migrations_by_set

# --- server ----------------------------------------------------------------------------------


def channel_unavailable(channel: str, library: str, extra: str) -> str:
    """A built-in channel this installation cannot serve (nothing asks for it: else the start stops)."""
    install = f": pip install 'decisionbot[{extra}]' to serve it" if extra else ""
    return f"The {channel} channel is not available here ({library} is not installed){install}."


def channel_needs_extra(channel: str, library: str, extra: str, setting: str) -> str:
    return (
        f"The {channel} channel is on ({setting} is set), but {library} is not installed."
        f" Install it with: pip install 'decisionbot[{extra}]', or unset {setting}."
    )


def channels_on(names: list[str], host: str, port: int) -> str:
    on = (
        ", ".join(names)
        if names
        else (
            "none (to turn one on, set Slack's SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET, or with SLACK_APP_TOKEN"
            " for Socket Mode; Teams' MicrosoftAppId with MicrosoftAppPassword, or DECISIONBOT_TEAMS=on for local"
            f" development; then start again: {command()} serve --help)"
        )
    )
    return f"decisionbot serving on http://{host}:{port} - channels: {on}"


def quiet_hours_bad(value: str) -> str:
    return f"DECISIONBOT_QUIET_HOURS must be a span of the day such as 20:00-08:00, not '{value}'."


def quiet_days_bad(value: str) -> str:
    return f"DECISIONBOT_QUIET_DAYS must name days of the week such as sat,sun (not all seven), not '{value}'."


def server_stopped(waiting: int) -> str:
    if not waiting:
        return "decisionbot stopped: no reply waits in the outbox."
    return (
        f"decisionbot stopped: {waiting} repl{'y waits' if waiting == 1 else 'ies wait'} in the outbox; another"
        " server on this ledger sends them within a second, else the next start does."
    )


def cli_not_one_person(option: str, given: str) -> str:
    shown = given.encode("unicode_escape").decode("ascii")[:80]
    if not given.strip():
        return f"{option} names nobody ('{shown}'): give one person's name or id, or leave {option} out."
    return f"{option} names one person, not a list ('{shown}'): the others are participants (-p NAME,NAME)."


def hang_up_ignored() -> str:
    return (
        "SIGHUP ignored: there is nothing to reload (flow files, routes.yaml and checks.yaml are read"
        " again when they change) and a closed terminal does not stop the server; stop it with SIGTERM."
    )


def start_stopped(signal_name: str, code: int) -> str:
    return (
        f"decisionbot's start was stopped by {signal_name} before it served (exit {code}): a ledger this"
        " start created and nothing wrote to is removed; one that was there is kept."
    )


# --- CLI -------------------------------------------------------------------------------------


def cli_stored_at(path: str, run_id: int) -> str:
    return f"Stored in {path} as run #{run_id}. See it again with: {command()} runs show {run_id}"


def cli_input_ended(run_id: int, waiting: list[str]) -> str:
    """``waiting``: what the run waits for, in words, as ``status N`` says it ("bob to accept 'Draft the plan'")."""
    where = f"; it waits for {_join(waiting)}" if waiting else ""
    return (
        f"Input ended before run #{run_id} completed{where}. The run stays open; answers so far are stored."
        f" Continue it with: {command()} chat --run {run_id}"
    )


def cli_unknown_flow(flow: str, known: list[str], folder: str, meant: str | None = None) -> str:
    """``meant``: the flow ``flow`` is a slip from, if one is."""
    guess = f" Did you mean '{meant}'?" if meant else ""
    return (
        f"No flow '{flow}' in {folder}.{guess} Known flows: {', '.join(known) or 'none'}. Try: {command()} flows list"
    )


def cli_no_start_command() -> str:
    """``decisionbot start ...``, as a facilitator used to ``/decision start`` types it."""
    return (
        f"No such command 'start'. To start a flow in this terminal: {command()} chat FLOW -f NAME -p NAME,NAME"
        f" [--data title=TITLE]; in a chat channel: {command()} trigger FLOW --channel slack:C123 -f ID -p ID,ID"
        " [--title TITLE]."
    )


def cli_unknown_flow_filter(flow: str, known: list[str], folder: str) -> str:
    names = ", ".join(known) or "none"
    return f"No flow '{flow}' in {folder} or in the ledger. Known flows: {names}."


def unknown_decision(decision_id: object) -> str:
    return (
        f"No decision {decision_id} in the ledger: decisions are numbered apart from runs"
        f" ('runs show RUN' names a run's decision). Try: {command()} export decisions"
    )


def cli_unknown_run(run_id: Any) -> str:
    return f"No run #{run_id}. Try: {command()} runs list"


def cli_cancel_closed(run_id: int, status: str) -> str:
    return f"Run #{run_id} is already {status}; nothing to cancel. See it with: {command()} runs show {run_id}"


def cli_cancelled(run_id: int, flow: str, title: str, waited: list[str], conversation: str) -> str:
    """``waited``: what the run waited for when it was cancelled, in words (as ``status N`` says it)."""
    was = f", which waited for {', '.join(waited)}" if waited else ""
    return (
        f"Cancelled run #{run_id} ({flow}) '{title}'{was}; the transcript is kept."
        f" The conversation ({conversation}) is told when its channel delivers."
    )


def cli_bad_data(item: str) -> str:
    return f"--data takes key=value, got '{item}'."


def cli_bad_jsonl(line_no: int, problem: str) -> str:
    return f'Input line {line_no}: {problem}. Each line must be a JSON object like {{"as": "alice", "text": "yes"}}.'


def cli_switched(name: str) -> str:
    return f"(now answering as {name})"


def cli_flows_valid(count: int) -> str:
    return f"{count} flow file(s) valid."


def cli_migrated(path: str, applied: dict[str, list[str]]) -> str:
    """``db migrate``'s line: the migrations applied, by set (``texts.ledger.migrations_by_set``)."""
    if not applied:
        return f"{path}: schema up to date."
    return f"{path}: applied, by set of migrations: {migrations_by_set(applied)}."


def cli_backed_up(ledger: str, copy: str, runs: int, size: int) -> str:
    return f"Backed up {ledger} to {copy}: {runs} run{'' if runs == 1 else 's'}, {size / 1e6:.1f} MB, checked."


def cli_backup_over_another_file(path: str) -> str:
    return (
        f"{path} is there and is not a decisionbot ledger: a backup replaces only an earlier copy."
        " Nothing was written. Name a new file, or remove that one first."
    )


def cli_backup_over_another_ledger(path: str, held: int) -> str:
    return (
        f"{path} is another decisionbot ledger ({held} runs), not a copy of this one: are --db and FILE the other"
        " way round? Nothing was written. Name a new file, or remove that one first."
    )


def cli_backup_over_a_larger_ledger(path: str, held: int, copied: int) -> str:
    return (
        f"{path} is a ledger of {held} runs, more than the {copied} of the ledger being copied: are --db and FILE"
        " the other way round? Nothing was written. Name a new file, or remove that one first."
    )


def cli_backup_over_a_ledger_in_use(path: str) -> str:
    return (
        f"{path} is a ledger a process has open (a running server, rasa-actions, a report): are --db and FILE"
        " the other way round? A server would go on writing to the ledger this replaced, and lose it."
        " Nothing was written. Name a new file, or stop that process first."
    )


def cli_backup_not_a_file(path: str) -> str:
    return f"{path}: a backup goes to a file (SQLite writes it page by page), not a pipe or a device."


def cli_backup_damaged(problems: list[str]) -> str:
    return "The copy failed SQLite's check, so nothing was written: " + "; ".join(problems)


def cli_backup_failed(problem: str) -> str:
    return f"The backup failed, so nothing was written: {problem}"


def cli_backup_file_and_into(file: str, folder: str) -> str:
    return (
        f"Give either FILE ({file}) or --into DIR ({folder}), not both:"
        " --into names the copy itself (DIR/decisions-<UTC time>.db)."
    )


def cli_backup_no_target() -> str:
    return "Say where the copy goes: a FILE, or --into DIR [--keep N] for dated copies of which the newest N are kept."


def cli_backup_keep_without_into(file: str) -> str:
    return (
        f"--keep counts the copies --into makes in its folder; a FILE ({file}) is written as it is."
        " Use --into DIR --keep N instead."
    )


def cli_backup_keep_too_few(keep: int) -> str:
    return f"{keep}: keep at least 1 copy (the one just written), e.g. --keep 14."


def cli_backup_into_empty() -> str:
    return "is empty (an unset variable?): name the folder for the copies, e.g. --into /var/backups/decisionbot."


def cli_backup_into_not_a_folder(folder: str) -> str:
    return f"{folder} is a file, not a folder: give --into a folder (made if missing), or FILE without --into."


def cli_backup_folder_failed(folder: str, problem: str) -> str:
    return f"Cannot make the folder {folder}: {problem}; nothing was written. Try another --into folder."


def cli_backups_not_listed(folder: str, problem: str) -> str:
    return f"The copy is written, but {folder} could not be read to remove older copies: {problem}."


def cli_backups_kept(folder: str, kept: list[str], keep: int) -> str:
    return f"Kept {len(kept)} cop{'y' if len(kept) == 1 else 'ies'} in {folder} (--keep {keep}), newest first: {', '.join(kept)}."


def cli_backup_removed(path: str) -> str:
    return f"Removed {path}."


def cli_backups_not_removed(problems: list[str]) -> str:
    return "The copy is written, but older copies could not be removed: " + "; ".join(problems)


def cli_no_graphviz(fmt: str) -> str:
    return (
        f"Graphviz ('dot') is not installed, so there is no {fmt} image; nothing was written."
        " Install graphviz, or use --format mermaid (or dot) for text."
    )


def cli_graphviz_failed(problem: str) -> str:
    return f"Graphviz could not draw the flow; nothing was written: {' '.join(problem.split())}"


def cli_cannot_write(path: str, problem: str) -> str:
    return f"Cannot write {path}: {problem}. Choose another path."


def cli_output_is_ledger(path: str, ledger: str) -> str:
    return f"Refusing to write {path}: it is the ledger {ledger} (or its journal); nothing was written. Write to another path."


def cli_system_error(problem: str, path: str | None) -> str:
    where = f": {path}" if path else ""
    return f"{problem}{where}. Nothing more was done; check the path or setting named and try again."


def cli_ledger_busy(path: str, waited_s: float) -> str:
    return (
        f"The ledger {path} is locked: another process is writing to it and did not finish within"
        f" {waited_s:g} s. Try again in a moment."
    )


def cli_db_not_a_file(value: str) -> str:
    what = "a database in memory, lost when the process stops" if value == ":memory:" else "a URI"
    return f"'{value}' is SQLite's name for {what}, not a ledger file. Give the ledger's path, e.g. data/decisions.db."


def cli_env_hint(env: str) -> str:
    """Who gave a bad value that came from the environment (not an option typed on the command line)."""
    return f"environment variable {env}"


def cli_bad_port(port: int) -> str:
    return f"{port} is not a port: use 1 to 65535."


def cli_cannot_listen(host: str, port: int, problem: str, blame: str) -> str:
    """``blame``: 'busy' (a port in use), 'denied' (a privileged port) or 'host' (no such address here)."""
    fix = {
        "busy": "Try another --port, or stop what is listening there.",
        "denied": "Try a --port above 1023, or run with the rights to bind that port.",
        "host": "Check --host: an address of this machine, e.g. 127.0.0.1, or 0.0.0.0 for all of them.",
    }[blame]
    return f"Cannot listen on {host}:{port}: {problem}. {fix}"


def cli_warning(text: str) -> str:
    return f"Warning: {text}"


def conversation_shown(conversation: str, name: str | None) -> str:
    """A conversation (``slack:C0OPS``) as ``runs list`` names it: a Slack channel by its name
    (``#ops``), another named one by its name (a Teams channel's ``Team / Channel``), a Slack direct
    message as such, else its id without the platform (never named: ``C0OPS``)."""
    platform, _, ident = conversation.partition(":")
    if name:
        return f"#{name}" if platform == "slack" else name
    if platform == "slack" and ident.startswith("D"):
        return "a direct message"
    return ident or conversation


def run_where(platform: str, here: str, moved_from: str | None) -> str:
    """Where a run lives, as ``runs list`` shows it: ``slack #ops``, ``teams Platform / Incidents``,
    ``console``; one moved says from where: ``slack #ops (moved from #general)``."""
    where = platform if platform in ("console", "rasa") else f"{platform} {here}"
    return f"{where} (moved from {moved_from})" if moved_from else where


def flow_file_twin(twin: str, flow: str) -> str:
    return f"the file is not read as a flow: flow files end in .yaml, and {twin} is the flow '{flow}'"


def flow_file_twin_fix(name: str, twin: str) -> str:
    return f"put what you changed in {twin}, then remove {name}"


def flows_validate_not_a_flow(stem: str) -> str:
    return f"it is the {stem} file, not a flow (the flows folder does not read it as one)"


def flows_validate_not_a_flow_fix(stem: str, folder: str) -> str:
    return f"check it with: {command(options=False)} --flows {shlex.quote(folder)} {stem} validate"


def cli_bad_day(value: str, problem: str) -> str:
    """``--since``/``--until`` of no day: not YYYY-MM-DD, or a day the calendar lacks (2026-02-30)."""
    if problem.startswith("day is out of range") or problem.startswith("month must be"):
        return f"'{value}' is no day of the calendar ({problem})."
    return f"'{value}' is not a day written YYYY-MM-DD, like 2026-12-24."
