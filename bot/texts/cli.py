"""What the server and the CLI print."""

from __future__ import annotations

from typing import Any

from bot.texts._common import command

# --- server ----------------------------------------------------------------------------------


def channel_unavailable(problem: str) -> str:
    return f"A channel is not available: {problem}. Install its extra to use it."


def channel_needs_extra(channel: str, library: str, extra: str, setting: str) -> str:
    return (
        f"The {channel} channel is on ({setting} is set), but {library} is not installed."
        f" Install it with: pip install 'decisionbot[{extra}]', or unset {setting}."
    )


def channels_on(names: list[str], host: str, port: int) -> str:
    on = (
        ", ".join(names)
        if names
        else "none (set SLACK_BOT_TOKEN, MicrosoftAppId, or DECISIONBOT_TEAMS=on for local Teams, to turn them on)"
    )
    return f"decisionbot serving on http://{host}:{port} - channels: {on}"


def quiet_hours_bad(value: str) -> str:
    return f"DECISIONBOT_QUIET_HOURS must be a span of the day such as 20:00-08:00, not '{value}'."


def quiet_days_bad(value: str) -> str:
    return f"DECISIONBOT_QUIET_DAYS must name days of the week such as sat,sun (not all seven), not '{value}'."


def server_stopped(waiting: int) -> str:
    if not waiting:
        return "decisionbot stopped: every reply was delivered."
    return (
        f"decisionbot stopped: {waiting} repl{'y waits' if waiting == 1 else 'ies wait'} in the outbox; another"
        " server on this ledger sends them within a second, else the next start does."
    )


# --- CLI -------------------------------------------------------------------------------------


def cli_stored_at(path: str, run_id: int) -> str:
    return f"Stored in {path} as run #{run_id}. See it again with: {command()} runs show {run_id}"


def cli_input_ended(run_id: int, step: str | None, to: str | None) -> str:
    where = f" at step '{step}', waiting for {to}" if step else ""
    return (
        f"Input ended before run #{run_id} completed{where}. The run stays open; answers so far are stored."
        f" Continue it with: {command()} chat --run {run_id}"
    )


def cli_unknown_flow(flow: str, known: list[str], folder: str) -> str:
    return f"No flow '{flow}' in {folder}. Known flows: {', '.join(known) or 'none'}. Try: {command()} flows list"


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


def cli_cancelled(run_id: int, flow: str, step: str, conversation: str) -> str:
    return (
        f"Cancelled run #{run_id} ({flow}) at step '{step}'; the transcript is kept."
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


def cli_migrated(path: str, applied: list[str]) -> str:
    if not applied:
        return f"{path}: schema up to date."
    return f"{path}: applied {', '.join(applied)}."


def cli_backed_up(ledger: str, copy: str, runs: int, size: int) -> str:
    return f"Backed up {ledger} to {copy}: {runs} runs, {size / 1e6:.1f} MB, checked."


def cli_backup_not_a_file(path: str) -> str:
    return f"{path}: a backup goes to a file (SQLite writes it page by page), not a pipe or a device."


def cli_backup_damaged(problems: list[str]) -> str:
    return "The copy failed SQLite's check, so nothing was written: " + "; ".join(problems)


def cli_backup_failed(problem: str) -> str:
    return f"The backup failed, so nothing was written: {problem}"


def cli_no_graphviz(fmt: str) -> str:
    return (
        f"Graphviz ('dot') is not installed, so there is no {fmt} image; nothing was written."
        " Install graphviz, or use --format mermaid (or dot) for text."
    )


def cli_graphviz_failed(problem: str) -> str:
    return f"Graphviz could not draw the flow; nothing was written: {' '.join(problem.split())}"


def cli_cannot_write(path: str, problem: str) -> str:
    return f"Cannot write {path}: {problem}. Try another -o path."


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


#: Why a step id is reserved, by its kind in bot/engine/reserved.py.
_RESERVED_BECAUSE = {
    "end": "runs end in a state of that name",
    "event": "the engine moves every run on with an event of that name",
    "template": "prompts and templates have a variable of that name",
    "argument": "the engine and python-statemachine pass an argument of that name with the answers,"
    " so a run could not move on from it or a condition could not read it",
    "machine": "it is a name of python-statemachine's state machine (a method, attribute or setting),"
    " which a step of that name would replace",
    "constant": "conditions or prompts read it as a constant (true, false, none), not as the step's answer",
    "keyword": "it is a Python keyword, which a branch condition cannot name",
}


def step_id_reserved(step_id: str, kind: str) -> str:
    """A flow file's step id the engine cannot use (``kind``: why, from bot/engine/reserved.py)."""
    return f"the step id '{step_id}' is a reserved name: {_RESERVED_BECAUSE[kind]}"


def field_id_reserved(field_id: str) -> str:
    return (
        f"the field id '{field_id}' is a reserved name: a prompt's item.{field_id} would read a method, not the answer"
    )


def field_id_reserved_fix(field_id: str) -> str:
    return f"rename it, e.g. '{field_id}_text', wherever the flow names it (fields, prompts, record)"


def step_id_reserved_fix(step_id: str) -> str:
    return f"rename it, e.g. '{step_id}_step', wherever the flow names it (id, goto, when, prompts, record)"


def flow_refused(error: object) -> str:
    """A flow file that is refused while the others run (``error``: its FlowError, file, step and fix)."""
    return f"Flow refused, the other flows run without it: {error}"


def flows_all_refused(errors: list[str]) -> str:
    return "No flow file loads; nothing to run:\n" + "\n".join(f"  {e}" for e in errors)


def cli_flows_refused(errors: list[str], total: int) -> str:
    good = total - len(errors)
    valid = f"; the other {good} valid" if good else ""
    return f"{len(errors)} of {total} flow files refused{valid}:\n" + "\n".join(f"  {e}" for e in errors)


def flows_folder_empty() -> str:
    return "the folder holds no flow file (*.yaml)"


def flows_folder_empty_fix() -> str:
    return "name a flows folder or flow files"


def cli_no_flows(folder: str, exists: bool, env: str) -> str:
    why = "holds no flow file (*.yaml)" if exists else "does not exist"
    return f"The flows folder {folder} {why}. Point --flows (env {env}) at the folder of your flow files."


def flows_reloaded(folder: str, changed: dict[str, list[str]]) -> str:
    """One line per reload of a running server's flows folder; ``changed``: added, fixed, updated,
    removed, refused, each with its flow ids."""
    what = "; ".join(f"{how} {', '.join(names)}" for how, names in changed.items() if names)
    return f"Flows reloaded from {folder}: {what}. Runs in flight go on with the version they started on."


def flows_reload_refused(error: object) -> str:
    return f"Flow refused on reload, new runs of it wait for the fix (the other flows run): {error}"


def flows_all_refused_kept(folder: str, kept: list[str], errors: list[str]) -> str:
    """A running server's flows folder where no flow file loads any more: the last good flows run."""
    why = "\n".join(f"  {e}" for e in errors) if errors else "  it holds no flow file (*.yaml)"
    return (
        f"No flow file in {folder} loads any more; the server keeps running the last good versions"
        f" of {', '.join(kept)} until one does. Fix the folder ({command()} flows validate):\n{why}"
    )


def flows_reload_failed(folder: str, problem: str) -> str:
    return f"Could not look at the flows folder {folder} (trying again in a second): {problem}"


# --- the ledger file ---------------------------------------------------------------------------


def ledger_not_sqlite(path: str, problem: str, env: str) -> str:
    return (
        f"{path} is not a decisionbot ledger ({problem}). Point --db (env {env}) at your ledger,"
        " or at a new file to start one."
    )


def cli_no_ledger(path: str, env: str) -> str:
    return f"No ledger at {path}. Point --db (env {env}) at the ledger your server writes ({command(options=False)} --db PATH serve)"


def ledger_is_folder(path: str, env: str) -> str:
    return f"The ledger {path} is a folder, not a file. Point --db (env {env}) at a file, e.g. {path}/decisions.db"


def ledger_read_only_storage(path: str) -> str:
    return (
        f"Cannot read the ledger {path} where it is: its folder is read-only here (read-only storage, or no"
        " permission to write it), and a ledger in WAL mode is read with a shared-memory file (-shm) beside it,"
        " there only while a decisionbot process has it open. Read it while the server runs, copy it to a folder"
        f" you can write, or, for a copy nobody writes to any more, open it with: {command()} explore --immutable."
    )


def ledger_cannot_open(path: str, problem: str, env: str) -> str:
    return f"Cannot open the ledger {path}: {problem}. Point --db (env {env}) at a file in a folder you can write."


def ledger_read_only(path: str, file: str | None, env: str) -> str:
    """A ledger SQLite could open only for reading: every turn written to it would fail."""
    which = f" ({file} is read-only for this user)" if file else ""
    return (
        f"The ledger {path} cannot be written{which}. Give the user decisionbot runs as write access to it,"
        f" to its folder and to the -wal and -shm files beside it, or point --db (env {env}) at a ledger it can"
        " write."
    )


def ledger_foreign(path: str, tables: list[str], env: str) -> str:
    return (
        f"{path} is not a decisionbot ledger: it already has table(s) decisionbot's migrations did not create"
        f" ({', '.join(tables)}); nothing was changed. Point --db (env {env}) at your ledger, or at a new file."
    )


def store_unavailable() -> str:
    return "The ledger could not store this request; nothing was kept. Try again shortly."


def request_waited_for_lock(path: str, problem: str) -> str:
    return f"{path}: answered 503 (to be sent again), nothing stored: {problem}"


def person_not_saved(person: str, problem: str) -> str:
    return f"{person}'s name and time zone are kept in memory only (fetched again after a restart): {problem}"


def ledger_busy(seconds: float) -> str:
    return f"database is locked: another process held the ledger's write lock for over {seconds:g} s"


def group_commit_failed(problem: str) -> str:
    return f"A commit failed and the turns written with it were rolled back (answered 503, to be retried): {problem}"


def request_failed_group_lost(kind: str, problem: str) -> str:
    return (
        f"A request failed ({kind}: {problem}) after writing into the open group commit: the group was rolled"
        " back so that nothing of it is kept (the other turns in it are answered 503, to be retried)"
    )


def kept_write_lost(what: str, problem: str) -> str:
    return f"A background write ({what}) of a lost group commit could not be written again, and is lost: {problem}"


def kept_write_lost_too_often(times: int) -> str:
    return f"its group was lost {times} times in a row"


def kept_writes_lost(count: int, problem: str) -> str:
    return f"{count} background writes of a lost group commit could not be written again, and are lost: {problem}"


def housekeeping_failed(problem: str) -> str:
    return f"Housekeeping (full-text index, WAL checkpoint) failed this time and will try again: {problem}"


def delivery_given_up(channel: str, message_id: int, run_id: int, kind: str, error: str) -> str:
    return (
        f"{channel}: reply {message_id} ({kind}) of run #{run_id} given up, not delivered: {error}. The"
        f" conversation's next reply goes on; the reply stays in the ledger: {command()} runs show {run_id}"
    )


def delivery_crashed(channel: str, message_id: int) -> str:
    return f"{channel}: delivering reply {message_id} failed unexpectedly; it will be retried"


def delivery_loop_failed(channel: str) -> str:
    return f"{channel}: the outbox could not be read or written; trying again shortly"


def delivery_unmarked(channel: str, message_id: int) -> str:
    return f"{channel}: reply {message_id} was delivered but could not be marked so; marking it again shortly"


def outbox_lease_taken(channel: str) -> str:
    return f"{channel}: this process delivers the outbox (it holds the channel's lease on the ledger)"


def outbox_lease_elsewhere(channel: str) -> str:
    return (
        f"{channel}: another decisionbot process on this ledger holds the outbox (or one that stopped without"
        " giving it up); replies written here wait, and this process takes over within 6 seconds of it stopping"
    )


def outbox_lease_failed(problem: str) -> str:
    return f"The outbox leases could not be taken or renewed this time; trying again in a second: {problem}"
