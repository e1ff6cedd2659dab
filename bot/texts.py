"""Every user-facing string: chat text, CLI messages, log warnings.

Small functions with arguments, so wording is reviewed in one place and can be translated later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# --- answers that do not fit: a short re-prompt, not the whole question again ---------------

_ANSWER_ERRORS: dict[str, str] = {
    "empty": "Please give an answer (or say 'help').",
    "too_long": "That is too long: {max} characters at most.",
    "too_short": "That is too short: at least {min} characters.",
    "choice_unknown": "Please pick one of: {options} (a number or a word).",
    "choice_ambiguous": "That could be {candidates}. Which one?",
    "yes_no": "Please answer yes or no.",
    "number_invalid": "Please give a number, like 42 or 12.5.",
    "number_too_small": "That is below {minimum}. Please give a number of at least {minimum}.",
    "number_too_large": "That is above {maximum}. Please give a number of at most {maximum}.",
    "date_invalid": "I can't read that as a date. Try 'next Friday', 'in 2 weeks', 'end of month' or 2026-12-31.",
    "date_too_early": "That date is too early: it can't be before {bound}.",
    "date_too_late": "That date is too late: it can't be after {bound}.",
    "person_unknown": "I don't know '{name}'. Name a participant ({known}), say 'me', or @mention someone.",
    "person_ambiguous": "'{name}' could be {candidates}. Which one?",
    "min_items": "Please give at least {count} item(s) before saying done.",
}


def answer_error(code: str, params: Mapping[str, Any]) -> str:
    shown = {k: _join(v) if isinstance(v, list | tuple) else v for k, v in params.items()}
    template = _ANSWER_ERRORS.get(code, "That answer doesn't fit. Say 'help' to see what is expected.")
    try:
        return template.format(**shown)
    except KeyError:
        return template


def _join(items: Iterable[Any]) -> str:
    items = [str(i) for i in items]
    return ", ".join(items) if items else "nobody yet"


# --- what a step expects, for 'help' --------------------------------------------------------

_EXPECTS = {
    "text": "a short text",
    "choice": "one of the options, by number or by word",
    "yes_no": "yes or no",
    "person": "a person: 'me', an @mention, or a participant's name",
    "date": "a date: 'tomorrow', 'next Friday', 'in 2 weeks', 'end of month' or 2026-12-31",
    "number": "a number",
    "repeat": "one item at a time; say 'done' when there are no more",
}

COMMANDS_HELP = (
    "You can also say: 'back' (change the previous answer), 'skip' (optional questions), "
    "'cancel' (facilitator), or correct an earlier answer, e.g. 'change owner of action 2 to @bob'."
)


def expected(kind: str) -> str:
    return _EXPECTS.get(kind, kind)


def help_text(kind: str, question: str, extra: str | None, example: str | None, bounds: str) -> str:
    lines = [f"{question}", f"Expected: {expected(kind)}{bounds}."]
    if extra:
        lines.append(extra)
    if example:
        lines.append(f"For example: {example}")
    lines.append(COMMANDS_HELP)
    return "\n".join(lines)


def bounds_text(minimum: Any = None, maximum: Any = None) -> str:
    if minimum is not None and maximum is not None:
        return f" between {minimum} and {maximum}"
    if minimum is not None:
        return f", not before {minimum}" if not isinstance(minimum, int | float) else f", at least {minimum}"
    if maximum is not None:
        return f", not after {maximum}" if not isinstance(maximum, int | float) else f", at most {maximum}"
    return ""


def options_line(labels: list[str]) -> str:
    return "  ".join(f"{i}) {label}" for i, label in enumerate(labels, 1))


# --- prompts ---------------------------------------------------------------------------------


def item_prefix(label: str, number: int) -> str:
    return f"{label} {number}: "


def done_hint() -> str:
    return "(say 'done' when there are no more)"


def currently(value: str) -> str:
    return f"(currently: {value}; say 'ok' to keep it)"


def default_hint(value: str) -> str:
    return f"(default: {value}; say 'ok' to take it)"


def optional_hint() -> str:
    return "(optional: say 'skip' to leave it out)"


def escalated_prompt(owner: str, question: str) -> str:
    return f"{owner} could not answer this one, so it comes to you: {question}"


def escalation_notice(owner: str, facilitator: str) -> str:
    return f"Thanks, {owner}. I've handed this question to {facilitator}."


def reassign_prompt(owner: str, number: int, what: str) -> str:
    return f"{owner} declined action {number} ('{what}'). Who should own it instead?"


def declined_ack(facilitator: str) -> str:
    return f"Noted. I'll ask {facilitator} to reassign it."


# --- commands --------------------------------------------------------------------------------


def not_for_you(addressees: list[str]) -> str:
    if not addressees:
        return "Nothing is waiting for your answer in this run right now."
    return f"This question is for {_join(addressees)}. Your message was noted but not taken as an answer."


def cannot_skip() -> str:
    return "This question can't be skipped. Say 'help' to see what is expected."


def at_first_question() -> str:
    return "This is the first question; there is nothing to go back to."


def only_facilitator(action: str, facilitator: str) -> str:
    return f"Only the facilitator ({facilitator}) can {action}."


def confirm_cancel() -> str:
    return "Cancel this decision run? Nothing will be recorded as decided. (yes/no)"


def cancel_kept() -> str:
    return "OK, not cancelled. Let's carry on."


def cancelled(by: str) -> str:
    return f"Run cancelled by {by}. The transcript is kept."


def cancelled_after_failures(step: str) -> str:
    return f"Run cancelled: no usable answer to '{step}'."


def correction_target_unknown(target: str, known: list[str]) -> str:
    return f"I can't find '{target}' to change. Answers so far: {_join(known)}."


def correction_not_allowed(target: str, by: str) -> str:
    return f"Only the facilitator or {by}, who gave it, can change '{target}'."


def corrected(target: str, old: str, new: str) -> str:
    return f"Changed {target}: {old} -> {new}."


def owner_changed_notice(number: int, what: str) -> str:
    return f"Action {number} ('{what}') has a new owner, who will be asked to confirm it."


def waiting_for_confirmations(names: list[str]) -> str:
    return f"Thanks. The decision is recorded once {_join(names)} confirm(s)."


def run_closed(status: str) -> str:
    return f"This run is {status}; nothing more to answer. Start a new one to decide again."


def resumed() -> str:
    return "Welcome back: this run had stalled, and your answer resumes it."


# --- bot commands (start, list, status, cancel, help) --------------------------------------------


def command_help(flows: list[str]) -> str:
    return (
        "Commands: start FLOW [@people ...] [title] | list | status RUN | cancel RUN | help.\n"
        f"Flows: {_join(flows)}. Example: start post_meeting @bob @carol Weekly sync"
    )


def command_unknown(verb: str, flows: list[str]) -> str:
    return f"I don't know '{verb}'. " + command_help(flows)


def command_start_usage(flows: list[str]) -> str:
    return f"Say which flow to start: start FLOW [@people ...] [title]. Flows: {_join(flows)}."


def command_unknown_flow(flow: str, flows: list[str]) -> str:
    return f"There is no flow '{flow}'. Flows: {_join(flows)}."


def command_needs_run(verb: str) -> str:
    return f"Say which run: {verb} RUN (the number from 'list')."


def run_started(run_id: int, flow: str) -> str:
    return f"Started run {run_id} ({flow})."


def run_list(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No open decision runs here. Start one with: start FLOW [@people ...] [title]"
    lines = ["Open decision runs here:"]
    for r in rows:
        waiting = f", waiting for {_join(r['waiting_on'])}" if r["waiting_on"] else ""
        lines.append(f"  #{r['id']} {r['flow']}: {r['title'] or ''} (at {r['state']}{waiting}, {r['status']})")
    return "\n".join(lines)


def run_status(run_id: int, flow: str, title: str | None, status: str, state: str, waiting: list[str]) -> str:
    who = f"; waiting for {_join(waiting)}" if waiting else ""
    return f"Run #{run_id} {flow} '{title or ''}': {status}, at {state}{who}."


# --- completion ------------------------------------------------------------------------------


def summary(record: Mapping[str, Any]) -> str:
    lines = [f"Decision recorded: {record.get('title')}"]
    if record.get("decision"):
        lines.append(f"Decided: {record['decision']}")
    for i, action in enumerate(record.get("actions") or [], 1):
        state = {True: "accepted", False: "declined", None: "not confirmed yet"}[action.get("accepted")]
        due = action.get("due") or "no due date"
        lines.append(f"  {i}. {action['what']} - {action['owner_name']}, due {due} ({state})")
    if record.get("review_at"):
        lines.append(f"Review on {record['review_at']}.")
    if record.get("outcome"):
        lines.append(f"Review outcome: {record['outcome']}.")
    return "\n".join(lines)


# --- server ----------------------------------------------------------------------------------


def channel_unavailable(problem: str) -> str:
    return f"A channel is not available: {problem}. Install its extra to use it."


def channels_on(names: list[str], host: str, port: int) -> str:
    on = ", ".join(names) if names else "none (set SLACK_* or MicrosoftApp* variables to turn them on)"
    return f"decisionbot serving on http://{host}:{port} - channels: {on}"


# --- CLI -------------------------------------------------------------------------------------


def cli_stored_at(path: str, run_id: int) -> str:
    return f"Stored in {path} as run {run_id}. See it again with: decisionbot runs show {run_id}"


def cli_input_ended(step: str | None, to: str | None) -> str:
    where = f" at step '{step}', waiting for {to}" if step else ""
    return f"Input ended before the run completed{where}. The run stays open; answers so far are stored."


def cli_unknown_flow(flow: str, known: list[str], folder: str) -> str:
    return f"No flow '{flow}' in {folder}. Known flows: {_join(known)}. Try: decisionbot flows list"


def unknown_decision(decision_id: object) -> str:
    return f"No decision {decision_id} in the ledger. Try: decisionbot runs list --status completed"


def cli_unknown_run(run_id: Any) -> str:
    return f"No run {run_id}. Try: decisionbot runs list"


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


def cli_no_graphviz() -> str:
    return "Graphviz ('dot') is not installed; printing Mermaid text instead. Install graphviz for images."


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


# --- slack ---------------------------------------------------------------------------------------


def slack_button_yes() -> str:
    return "Yes"


def slack_button_no() -> str:
    return "No"


def slack_button_skip() -> str:
    return "Skip"


def slack_button_done() -> str:
    return "Done, no more"


def slack_button_default(value: str) -> str:
    return f"Use the default ({value})"


def slack_pick_person() -> str:
    return "Pick a person"


def slack_pick_date() -> str:
    return "Pick a date"


def slack_pick_option() -> str:
    return "Pick one"


def slack_answered(by: str, answer: str) -> str:
    return f"Answered by {by}: {answer}"


def slack_already_answered(by: str, answer: str) -> str:
    return f"This question was already answered by {by}: {answer}."


def slack_prompt_closed() -> str:
    return "This question is no longer open: the conversation has moved on. See the latest question."


def slack_not_your_prompt(to: str) -> str:
    return f"This question is for {to}. You can follow the thread, but only they can answer it."


def slack_run_root(facilitator: str, flow_title: str, title: str) -> str:
    about = f": {title}" if title else ""
    return f"{facilitator} started *{flow_title}*{about}. The questions and answers follow in this thread."


def slack_nothing_waiting() -> str:
    return "Nothing is waiting for your answer here. Try: /decision help"


def slack_not_in_channel() -> str:
    return "I can't post in this channel yet. Invite me first (/invite @decisionbot), then try again."


def slack_post_failed(error: str) -> str:
    return f"Slack refused my message ({error}); nothing was started. Please try again in a moment."


def slack_needs_signing_secret() -> str:
    return (
        "SLACK_SIGNING_SECRET is required when SLACK_BOT_TOKEN is set: it verifies every request from Slack"
        " (or set SLACK_APP_TOKEN to connect over Socket Mode instead)."
    )


def slack_app_token_refused(error: str) -> str:
    return f"Slack refused SLACK_APP_TOKEN at start-up (apps.connections.open: {error}). Check the app-level token."


def slack_auth_failed(error: str) -> str:
    return f"Slack refused SLACK_BOT_TOKEN at start-up (auth.test: {error}). Check the bot token of the app."


def slack_bad_signature(remote: str | None) -> str:
    return f"Slack request from {remote or 'unknown'} refused: bad or stale signature."


def slack_refused_payload(reason: str) -> str:
    return f"Slack payload refused: {reason}."


def slack_no_app_check(error: str) -> str:
    return f"Could not learn this app's id (bots.info: {error}); requests are checked by team only."


def slack_rate_limited(payload: object) -> str:
    return f"Slack stopped sending events for a while (app_rate_limited): {payload}"


def slack_side_call_failed(method: str, error: str) -> str:
    return f"Slack {method} failed: {error}"


# --- teams ---------------------------------------------------------------------------------------


def teams_auth_off() -> str:
    return (
        "Teams: MicrosoftAppId is empty, so authentication is OFF: /api/messages accepts activities"
        " without a token. Use this for local development only (DECISIONBOT_TEAMS=on)."
    )


def teams_auth_on(app_id: str, app_type: str) -> str:
    return f"Teams: every request to /api/messages must carry a Bot Framework token for app {app_id} ({app_type})."


def teams_bad_app_type(value: str) -> str:
    return f"MicrosoftAppType must be MultiTenant, SingleTenant or UserAssignedMSI, not '{value}'."


def teams_needs(variable: str, app_type: str) -> str:
    return f"{variable} is required for a {app_type} Teams bot (MicrosoftAppId is set)."


def teams_bad_request(problem: str) -> str:
    return f"Not a usable activity: {problem}."


def teams_unauthorized(reason: str) -> str:
    return f"Unauthorized: {reason}"


def teams_keys_unavailable(problem: str) -> str:
    return f"Cannot check the token now: the Bot Framework signing keys could not be fetched ({problem})."


def teams_keys_prefetch_failed(problem: str) -> str:
    return f"Teams: could not fetch the Bot Framework signing keys at start-up ({problem}); will retry on the first request."


def teams_unknown_invoke(name: str) -> str:
    return f"This bot does not handle '{name}' invokes."


def teams_card_header(run_id: int) -> str:
    return f"Decision run #{run_id}"


def teams_input_label() -> str:
    return "Your answer"


def teams_button_send() -> str:
    return "Send"


def teams_button_done() -> str:
    return "No more"


def teams_button_skip() -> str:
    return "Skip"


def teams_button_default(default: str) -> str:
    return f"Use the default ({default})"


def teams_yes() -> str:
    return "Yes"


def teams_no() -> str:
    return "No"


def teams_person_hint() -> str:
    return "Pick someone, or type their @mention in a reply."


def teams_answered(by: str, answer: str) -> str:
    return f"{by} answered: {answer}"


def teams_card_closed() -> str:
    return "That card is no longer open. Type your answer instead, or say 'help'."


def teams_invoke_done() -> str:
    return "Got it."


def teams_no_reference(conversation: str) -> str:
    return (
        f"No stored Teams conversation '{conversation}': install the app there, or say something to the bot"
        " there first."
    )


def teams_send_failed(conversation: str, problem: str) -> str:
    return f"Teams: could not answer in {conversation}: {problem}"


def teams_card_update_failed(problem: str) -> str:
    return f"Teams: could not update an answered card: {problem}"


def teams_packaged(path: str, app_id: str) -> str:
    return f"Wrote {path} (bot {app_id}). Upload it in Teams: Apps > Manage your apps > Upload an app."


def teams_bad_app_id(value: str) -> str:
    return (
        f"'{value}' is not a Microsoft App ID (a GUID like 00000000-0000-0000-0000-000000000000)."
        " Pass --app-id or set MicrosoftAppId."
    )


# --- analytics -----------------------------------------------------------------------------------


def analytics_no_ledger(path: str) -> str:
    return f"No ledger at {path}. Try: decisionbot --db {path} demo-data --runs 30 (or point --db at your ledger)"


def analytics_bad_window() -> str:
    return "--since is after --until."


def analytics_written(path: str) -> str:
    return f"Report written to {path}"


def analytics_exported(count: int, name: str, path: str) -> str:
    return f"Exported {count} row(s) of {name} to {path}"


def analytics_unknown_name(name: str, known: list[str]) -> str:
    return f"No table or view named '{name}'. Known: {_join(known)}."


def analytics_empty_query() -> str:
    return "The search query is empty. Try: decisionbot transcripts search budget"


def analytics_no_index() -> str:
    return "This ledger has no full-text index yet. Try: decisionbot db migrate"


def analytics_bad_query(query: str, problem: str) -> str:
    return f"Cannot search for '{query}': {problem}. Without --raw every word is searched as typed."


def analytics_exploring(host: str, port: int, path: str) -> str:
    return f"Datasette on http://{host}:{port}/ (read-only) over {path}; Ctrl-C stops it."


def analytics_no_datasette() -> str:
    return "Datasette is not installed. Try: pip install 'decisionbot[explore]'"


def analytics_wal_pending(path: str) -> str:
    return (
        f"{path} has changes still in its write-ahead log, which --immutable would not see."
        " Open it without --immutable, or copy it after the bot has stopped."
    )


def analytics_demo_not_empty(path: str, runs: int) -> str:
    return f"{path} already holds {runs} run(s); demo-data only fills an empty ledger. Try: decisionbot --db demo.db demo-data"


def analytics_demo_done(path: str, summary: Mapping[str, int]) -> str:
    counts = ", ".join(f"{v} {k}" for k, v in summary.items())
    return f"Demo history written to {path}: {counts}. Next: decisionbot --db {path} report"


# --- triggers and timers ---------------------------------------------------------------------


def reminder(prompt: str) -> str:
    return f"Reminder: {prompt}"


def escalation(waiting: list[tuple[str, str]], backup_for: str | None) -> str:
    listed = "; ".join(f"{name} ('{question}')" for name, question in waiting)
    if backup_for:
        return f"Escalated to you as the backup for {backup_for}'s decision run. Still no answer from: {listed}."
    return f"Still no answer from: {listed}."


def handed_over(facilitator: str) -> str:
    return f"No answer came in time, so I've handed this question to {facilitator}."


def stalled(names: list[str]) -> str:
    return (
        f"This run has stalled: no answer from {_join(names)} in time. "
        "An answer still picks it up where it stopped."
    )


def bad_duration(text: str) -> str:
    return f"'{text}' is not a duration. Use a number and a unit: 30s, 5m, 4h, 1d or 2w."


def bad_channel(spec: str, known: list[str]) -> str:
    return (
        f"'{spec}' is not a channel to post in. Use slack:<channel id>, teams:<conversation id> or console "
        f"(channels: {_join(known)})."
    )


def no_channel() -> str:
    return "no channel to post in: no route matched and DECISIONBOT_DEFAULT_CHANNEL is not set"


def trigger_resolved(title: str, data: Mapping[str, Any]) -> str:
    value = data.get("value")
    now = f" ({data.get('metric') or 'the value'} is now {value})" if value not in (None, "") else ""
    return f"Resolved: {title}{now}."


def latest_reading(reading: Mapping[str, Any]) -> str:
    threshold = f" (threshold {reading['threshold']})" if reading.get("threshold") not in (None, "") else ""
    state = ", resolved since" if reading.get("status") == "resolved" else ""
    metric = reading.get("metric") or "value"
    return f"{metric} {reading['value']}{threshold}, last seen {reading.get('last_seen_at')}{state}"


def invite_title(title: str) -> str:
    return f"Review: {title}"


def invite_description(record: Mapping[str, Any]) -> str:
    return summary(record)


def invite_attached(filename: str) -> str:
    return f"Calendar invitation for the review attached: {filename}"


def untitled_alert() -> str:
    return "Alert"


def payload_missing(name: str) -> str:
    return f"'{name}' is missing"


def payload_type(name: str, kind: str) -> str:
    return f"'{name}' must be {kind}"


def payload_enum(name: str, got: object, allowed: Iterable[str]) -> str:
    return f"'{name}' is {got!r}; expected one of {', '.join(allowed)}"


def payload_version(source: str, got: object, expected: str) -> str:
    return f"{source} webhook version {got!r} is not supported: this hook takes version \"{expected}\""


def payload_schema(where: str, message: str) -> str:
    return f"'{where}': {message}"


def payload_events_shape(limit: int) -> str:
    return f"the body must be one event (a JSON object) or a list of 1 to {limit} events"


def hooks_off() -> str:
    return "Trigger hooks are off: DECISIONBOT_HOOK_TOKEN is not set (timers and checks still run)."


def hooks_on(paths: list[str]) -> str:
    return f"Trigger hooks on: {', '.join(paths)} (bearer token from DECISIONBOT_HOOK_TOKEN)."


def hook_unauthorized() -> str:
    return "Missing or wrong bearer token: send Authorization: Bearer <DECISIONBOT_HOOK_TOKEN>."


def hook_busy() -> str:
    return "The bot is busy; try again shortly."


def hook_too_large(limit: int) -> str:
    return f"The body is larger than {limit} bytes."


def hook_bad_json(problem: str) -> str:
    return f"The body is not JSON: {problem}"


def hook_db_busy(problem: str) -> str:
    return f"A trigger was refused with 503 (it will be retried): the ledger is busy ({problem})."


def trigger_unrouted(title: str, problem: str) -> str:
    return f"Trigger '{title}' was recorded but started no run: {problem}."


def unknown_route(name: str, known: list[str]) -> str:
    return f"there is no route '{name}' (routes: {_join(known)})"


def unknown_flow_routed(flow: str, known: list[str]) -> str:
    return f"there is no flow '{flow}' (flows: {_join(known)})"


def routes_error(path: str, route: str | None, problem: str, fix: str) -> str:
    where = f"{path}, route '{route}'" if route else path
    return f"{where}: {problem}. Fix: {fix}"


def checks_error(path: str, check: str | None, problem: str, fix: str) -> str:
    where = f"{path}, check '{check}'" if check else path
    return f"{where}: {problem}. Fix: {fix}"


def bad_schedule(text: str) -> str:
    return f"'{text}' is neither an interval (5m, 1h, 1d) nor a cron expression (0 9 * * 1-5)"


def check_shape(rows: int, columns: int) -> str:
    return f"the query must return one row with one number; it returned {rows} row(s) of {columns} column(s)"


def check_not_number(value: object) -> str:
    return f"the query returned {value!r}, not a number"


def check_no_database(path: str) -> str:
    return f"no SQLite file at {path}"


def check_query_failed(problem: str) -> str:
    return f"the query failed: {problem}"


def check_needs_sqlalchemy() -> str:
    return "this database URL needs SQLAlchemy: pip install 'decisionbot[sql]' and the database's driver"


def check_summary(metric: str, value: str, direction: str, threshold: str) -> str:
    return f"{metric} is {value}, {direction} the threshold of {threshold}."


def job_unplanned() -> str:
    return "cancelled: no longer in checks.yaml"


def job_unknown_kind(kind: str) -> str:
    return f"failed: unknown job kind '{kind}'"


def job_retry(job_id: int, problem: str) -> str:
    return f"Job {job_id} will be retried after its claim lapses: {problem}"


def job_failed(job_id: int, kind: str, problem: str) -> str:
    return f"Job {job_id} ({kind}) failed and is marked so: {problem}"


def scheduler_error(problem: str) -> str:
    return f"The job loop hit an error and carries on: {problem}"


def owner_digest(name: str, items: list[tuple[str, str, str | None, bool]]) -> str:
    overdue = sum(1 for *_, late in items if late)
    head = f"{name}, your open actions ({len(items)}" + (f", {overdue} overdue" if overdue else "") + "):"
    lines = [head]
    for what, title, due, late in items:
        when = f"due {due}" if due else "no due date"
        lines.append(f"  - {what} ('{title}'), {when}" + (" - overdue" if late else ""))
    lines.append("Say which are done in the review, or tell the facilitator if one is stuck.")
    return "\n".join(lines)


def cli_trigger_refused(problem: str) -> str:
    return f"No run started: {problem}. Try: --channel slack:C0123 (or set DECISIONBOT_DEFAULT_CHANNEL)"


def cli_trigger_started(run_id: int, flow: str, conversation: str) -> str:
    return f"Started run {run_id} ({flow}) in {conversation}. Follow it with: decisionbot runs show {run_id}"


def cli_trigger_repeat(run_id: int | None, event_id: int) -> str:
    return f"Counted as a repeat of event {event_id} (run {run_id} is still open); no new run."


def cli_route_test(row: Mapping[str, Any]) -> str:
    head = f"{row['hook']}: '{row['title']}' ({row['status']}, key {row['dedup_key'] or '-'})"
    if row["problem"]:
        return f"{head}\n  no run: {row['problem']}"
    people = ", ".join(row["participants"]) or "-"
    lines = [
        head,
        f"  route {row['route']}: flow {row['flow']} in {row['conversation']}, "
        f"facilitator {row['facilitator'] or '(the first to answer)'}, participants {people}",
    ]
    first = row.get("first_message")
    if row["outcome"] != "started":
        lines.append(f"  {row['outcome']}: no new run")
    if first:
        shown = "\n    ".join(first["text"].splitlines())
        lines.append(f"  first message to {first['to'] or 'everyone'}:\n    {shown}")
    return "\n".join(lines)


def cli_checks_looping(path: str) -> str:
    return f"Evaluating the checks of {path} on their schedules; Ctrl-C to stop."


def cli_no_checks(path: str) -> str:
    return f"No enabled checks in {path}."


def cli_check_result(row: Mapping[str, Any]) -> str:
    if row["error"]:
        return f"{row['check']}: error: {row['error']}"
    state = "breach" if row["breached"] else "ok"
    return f"{row['check']}: {row['value']:g} ({state}) -> {row['outcome']}"


def cli_jobs_ran(count: int) -> str:
    return f"{count} job(s) run."


def cli_bad_moment(text: str) -> str:
    return f"'{text}' is not an ISO-8601 moment, like 2026-12-24T09:00:00+01:00."


def cli_no_invite(run_id: int) -> str:
    return f"Run {run_id} has no calendar invitation. Add calendar_invite to the flow's on_complete (see docs/triggers.md)."


def cli_invite_written(path: str) -> str:
    return f"Invitation written to {path}."


def teams_app_files_missing(folder: str, missing: list[str]) -> str:
    return f"{folder} lacks {', '.join(missing)}. Point --source at the repository's teams/ folder."


def slack_unreachable(url: str, error: str) -> str:
    return f"Slack's Web API at {url} could not be reached at start-up ({error}). Check SLACK_API_URL and the network."
