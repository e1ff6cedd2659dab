"""What trigger hooks, routes and timers say (checks: bot/texts/checks.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import tzinfo
from typing import Any

from bot.texts._common import _join, _one_line, command, moment
from bot.texts.chat import summary

# --- triggers and timers ---------------------------------------------------------------------


def reminder(prompt: str, latest: str | None = None) -> str:
    """``latest``: the metric's latest reading, when it changed since the values the prompt shows."""
    if latest:
        return f"Reminder (values as when it fired; latest: {latest}):\n{prompt}"
    return f"Reminder: {prompt}"


def reminded(text: str) -> str:
    """The question a :func:`reminder` put again (``text`` itself when it is none)."""
    if text.startswith("Reminder (values as when it fired; latest: ") and "\n" in text:
        return text.split("\n", 1)[1]
    return text.removeprefix("Reminder: ")


def escalation(
    waiting: list[tuple[str, str, str | None]], lead: str | None, latest: str | None = None, backup: bool = False
) -> str:
    """``waiting``: who is silent, on what question, since when (a moment as people read it, in
    the reader's zone; None when the ledger does not know); ``latest``: the metric's latest
    reading, when it changed since the values the questions show; ``backup``: told to the run's
    backup, for ``lead``'s run (None: a run nobody has taken yet)."""
    listed = "; ".join(
        f"{name}{f', asked {since}' if since else ''} ('{question}')" for name, question, since in waiting
    )
    shows = "The questions show" if len(waiting) > 1 else "The question shows"
    since = f" {shows} the values as when it fired; latest: {latest}." if latest else ""
    if backup:
        run = f"{lead}'s decision run" if lead else "a decision run nobody has taken yet"
        return f"Escalated to you as the backup for {run}. Still no answer from: {listed}.{since}"
    return f"Still no answer from: {listed}.{since}"


def anyone_in_the_run() -> str:
    """Who a run nobody has taken yet waits on, in an escalation (its placeholder facilitator)."""
    return "anyone in the run's conversation"


def handed_over(facilitator: str, run_id: int, title: str, questions: int) -> str:
    """To an owner, alone: the run is named, as they may be asked in several."""
    what = "this question" if questions == 1 else f"your {questions} questions"
    return f"No answer came in time for run #{run_id} ('{title}'), so I've handed {what} to {facilitator}."


def stalled(names: list[str]) -> str:
    return f"This run has stalled: no answer from {_join(names)} in time. An answer still picks it up where it stopped."


def bad_duration(text: str) -> str:
    return f"'{text}' is not a duration. Use a number and a unit: 30s, 5m, 4h, 1d or 2w (ten years at most)."


def bad_channel(spec: str, known: list[str]) -> str:
    return (
        f"'{spec}' is not a channel to post in. Use slack:<channel id>, teams:<conversation id> or console "
        f"(channels: {_join(known)})"
    )


def slack_channel_by_name(spec: str) -> str:
    return (
        f"'{spec}' names a Slack channel by its name: use its ID, e.g. slack:C0123ABCD (in Slack, the"
        " channel's details show it at the bottom). Slack names the channel by its ID in every answer,"
        " so a run posted by name would not know its own thread"
    )


def slack_channel_not_an_id(spec: str) -> str:
    return (
        f"'{spec}' is not the ID of a Slack channel: a channel's ID starts with C (G for an older private"
        " channel, D for a direct message) and is in capitals, e.g. slack:C0123ABCD (in Slack, the channel's"
        " details show it at the bottom)"
    )


def default_channel_error(problem: str) -> str:
    return f"DECISIONBOT_DEFAULT_CHANNEL: {problem}. Fix: correct the variable, or unset it"


def no_channel() -> str:
    return "no channel to post in: no route matched and DECISIONBOT_DEFAULT_CHANNEL is not set"


def trigger_resolved(title: str, data: Mapping[str, Any], current: bool) -> str:
    """``current``: whether the resolution's value is the value now (a check's, a sender's own);
    Alertmanager's resolved alerts carry the annotations of their last firing evaluation."""
    value = data.get("value")
    now = f" ({data.get('metric') or 'the value'} is now {value})" if current and value not in (None, "") else ""
    return f"Resolved: {title}{now}."


def trigger_refired(title: str, data: Mapping[str, Any]) -> str:
    value = data.get("value")
    now = f" ({data.get('metric') or 'the value'} is {value})" if value not in (None, "") else ""
    return f"Firing again: {title}{now}."


def latest_reading(reading: Mapping[str, Any], tz: tzinfo) -> str:
    """``reading``: an event's latest values and ``last_seen_at`` (UTC, ISO 8601), shown in ``tz``
    (the reader's time zone)."""
    threshold = f" (threshold {reading['threshold']})" if reading.get("threshold") not in (None, "") else ""
    state = ", resolved since" if reading.get("status") == "resolved" else ""
    metric = reading.get("metric") or "value"
    return f"{metric} {reading['value']}{threshold}, last seen {moment(reading.get('last_seen_at'), tz)}{state}"


def invite_title(title: str) -> str:
    return f"Review: {title}"


def invite_description(record: Mapping[str, Any]) -> str:
    return summary(record)


def invite_attached(filename: str) -> str:
    return f"Calendar invitation for the review attached: {filename}"


def untitled_alert() -> str:
    return "Alert"


def alert_group_title(first: str, more: int) -> str:
    """An Alertmanager group of alerts under one run: its first alert's title and how many more."""
    return f"{first} (+{more} more)"


def alert_told_apart(title: str, labels: Mapping[str, str]) -> str:
    """An alert's title with the labels that tell it from the others of its notification."""
    return f"{title} [{', '.join(f'{k}={v}' for k, v in labels.items())}]"


def alert_group_list(alerts: Sequence[Mapping[str, Any]], count: int, budget: int, left_out: int) -> str:
    """The alerts of a group's run, one line each (``alerts``: the first of the ``count`` sent), as
    many as ``budget`` characters hold; the others counted, and the ``left_out`` ones the sender's
    max_alerts cut."""
    lines = [f"The {count + left_out} alerts of this group:"]
    for a in alerts:
        told = ", ".join(f"{k}={v}" for k, v in a["labels"].items())
        threshold = f" (threshold {a['threshold']})" if a["threshold"] else ""
        reading = f": {a['metric'] or 'value'} {a['value']}{threshold}" if a["value"] else ""
        line = f"- {a['title']}{f' [{told}]' if told else ''}{reading}"
        if len(lines) > 1 and sum(len(x) + 1 for x in lines) + len(line) > budget:
            break
        lines.append(line)
    if count > len(lines) - 1:
        lines.append(f"- and {count - (len(lines) - 1)} more")
    if left_out:
        lines.append(f"- and {left_out} more left out by max_alerts")
    return "\n".join(lines)


def people_not_named(ids: Sequence[str], seconds: float) -> str:
    return (
        f"A run started with people named by their ids: {_join(list(ids))} (their platform did not name them:"
        f" not known to it, or no answer within {seconds:g} s). Their names are taken when they speak in the"
        " run; times are in DECISIONBOT_TIMEZONE until their platform says their zone."
    )


_NOT_A_PERSON = {
    "app": "is an app's bot user, not a person",
    "deactivated": "has a deactivated account",
    "unreached": "is an Azure AD object id of someone who has never written to the bot in Teams",
    "elsewhere": "is a person of another chat platform than the run's channel (they cannot answer there)",
}


def trigger_person_left_out(route: str, actor_id: str, kind: str) -> str:
    return (
        f"A trigger of route {route!r} names {actor_id}, who {_NOT_A_PERSON.get(kind, kind)}: left out of its run,"
        " as nobody can ask them. Name a person there instead."
    )


def trigger_facilitator_unreachable(name: str, kind: str, instead: str | None) -> str:
    why = {
        "app": f"{name} is an app's bot user, not a person",
        "unreached": "the bot has never heard from them in Teams (an Azure AD object id it cannot write to)",
        "elsewhere": "they are on another chat platform than this channel",
    }.get(kind, "their account is deactivated")
    then = f"{instead}, the backup, leads this run instead." if instead else "Whoever answers first here leads it."
    yet = " yet" if kind == "unreached" else ""
    return f"{name} was named to lead this run but cannot be asked{yet}: {why}. {then}"


def trigger_people_unreached(names: list[str]) -> str:
    """In a Teams run's thread as it starts: the people its trigger named by an Azure AD object id
    the bot has never heard from (it has no Teams id to write to), and what to do."""
    return (
        f"I can't reach {_join(names)} yet: ask them to write to the bot once, in a personal chat with it or by"
        " @mentioning it here; from then on runs reach them. To give them a question of this run,"
        " @mention them in your answer here."
    )


def people_lookup_failed(channel: str, error: str) -> str:
    return f"Looking up a trigger's people on {channel} failed: {_one_line(error)}"


def unknown_route(name: str, known: list[str]) -> str:
    return f"there is no route '{name}' ({f'routes: {_join(known)}' if known else 'routes.yaml has none'})"


def refused_flow_routed(flow: str, problem: str) -> str:
    return f"the flow '{flow}' is refused until its file is fixed ({problem})"


def unknown_flow_routed(flow: str, known: list[str]) -> str:
    return f"there is no flow '{flow}' (flows: {_join(known)})"


def flow_not_triggered(flow: str, reviews: bool) -> tuple[str, str]:
    """The problem and the fix of a route (or a check) naming a flow no trigger can start: a review,
    which needs the decision it reviews (no alert names one: each would be refused, and
    Alertmanager drops a refused notification without retrying), or the handover."""
    if reviews:
        return (
            f"its flow '{flow}' reviews a recorded decision, which no alert names: every trigger it takes"
            " would be refused, and lost (Alertmanager does not resend a refused notification)",
            f"name another flow (metric_breach, the default); {flow} starts by itself on each decision's review date",
        )
    return (
        f"its flow '{flow}' is started only by 'give A12 @person' in chat: no trigger can start it",
        "name another flow (metric_breach, the default)",
    )


def review_not_triggered(flow: str) -> str:
    """An alert whose ``decision_flow`` label names a review flow: recorded, not refused (a 400
    would lose the whole notification, its other alerts too)."""
    return f"the flow '{flow}' reviews a recorded decision, which an alert does not name: it starts on that decision's review date"


def routes_error(path: str, route: str | None, problem: str, fix: str) -> str:
    where = f"{path}, route '{route}'" if route else path
    return f"{where}: {problem}. Fix: {fix}"


def name_not_text(value: object) -> tuple[str, str]:
    """The problem and the fix of a name YAML did not read as text (``name: yes``, ``name: 1``)."""
    if value is None or isinstance(value, bool):
        read = "null" if value is None else str(value).lower()
    elif isinstance(value, int | float):
        read = f"the number {value}"
    else:
        read = "a " + {"dict": "mapping"}.get(type(value).__name__, type(value).__name__)
    return (
        f"the name is read as {read}, not as text",
        "put the name in quotes (name: 'yes'): YAML reads a bare yes, no, on, off, null, a number or a date"
        " as something else",
    )


def schedule_never(text: str) -> str:
    return (
        f"the cron expression '{text}' matches no date there is (a day of the month its months never"
        " have, like 30 February), so it would never run"
    )


def bad_schedule(text: str) -> str:
    return f"'{text}' is neither an interval (5m, 1h, 1d) nor a cron expression (0 9 * * 1-5)"


def job_review_held(run_id: int) -> str:
    """A scheduled review's job when the decision was reviewed first (by hand, before its date)."""
    return f"cancelled: the review was held by run {run_id}"


def review_already_under_way(decision_id: int, run_id: int) -> str:
    """A review started by hand while another of the decision is under way."""
    return (
        f"A review of decision {decision_id} is under way (run #{run_id}): answer it, or cancel it before starting"
        f" another ('cancel {run_id}' in chat, by its facilitator; `decisionbot runs cancel {run_id}` as the bot's"
        " operator)."
    )


def review_date_stalled(decision_id: int, run_id: int, waits: list[str]) -> str:
    """To a stalled review's conversation when the decision's review date comes (no second review starts)."""
    who = f" It waits for {', '.join(waits)}: an answer picks it up again." if waits else ""
    return f"The review date of decision {decision_id} has come; its review (run #{run_id}) stalled.{who}"


def job_review_under_way(decision_id: int, run_id: int) -> str:
    """A review's job when a review of the decision, started by hand before its date, is still going."""
    return f"skipped: a review of decision {decision_id} is under way (run {run_id})"


def job_unknown_kind(kind: str) -> str:
    return f"failed: unknown job kind '{kind}'"


def job_waits_for_flow(job_id: int, problem: str) -> str:
    return f"Job {job_id} waits for its flow to be fixed (it is retried every few minutes): {problem}"


def job_retry(job_id: int, problem: str) -> str:
    return f"Job {job_id} will be retried after its claim lapses: {problem}"


def job_failed(job_id: int, kind: str, problem: str) -> str:
    return f"Job {job_id} ({kind}) failed and is marked so: {problem}"


def scheduler_error(problem: str) -> str:
    return f"The job loop hit an error and carries on: {problem}"


def cli_trigger_refused(problem: str, no_channel: bool) -> str:
    """``no_channel``: the problem is where to post, which --channel answers."""
    hint = " Try: --channel slack:C0123 (or set DECISIONBOT_DEFAULT_CHANNEL)" if no_channel else ""
    return f"No run started: {problem}.{hint}"


def cli_trigger_started(run_id: int, flow: str, conversation: str) -> str:
    return f"Started run #{run_id} ({flow}) in {conversation}. Follow it with: {command()} runs show {run_id}"


def cli_trigger_repeat(run_id: int | None, event_id: int) -> str:
    return (
        f"Counted as a repeat of event {event_id} (run #{run_id} is still open); no new run. "
        f"Once run #{run_id} completes or is cancelled, the same key starts a new one."
    )


def cli_route_test_empty(path: str, hook: str) -> str:
    return f"{path}: the {hook} payload has no alerts: nothing to route."


def cli_route_test(row: Mapping[str, Any]) -> str:
    head = f"{row['hook']}: '{row['title']}' ({row['status']}, key {row['dedup_key'] or '-'})"
    if row["outcome"] == "test":
        said = f"names the problem: {row['problem']}" if row["problem"] else f"says so in {row['conversation']}"
        return f'{head}\n  Grafana\'s contact-point test: no run; the hook answers {{"test": true}} and {said}'
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


def cli_jobs_ran(count: int) -> str:
    return f"{count} job(s) run."


def cli_bad_moment(text: str) -> str:
    return f"'{text}' is not an ISO-8601 moment, like 2026-12-24T09:00:00+01:00."


def cli_moment_out_of_range(text: str, first: int, last: int) -> str:
    return f"'{text}' is outside the years {first} to {last} that timers can count from."


def cli_no_invite(run_id: int) -> str:
    return f"Run #{run_id} has no calendar invitation. Add calendar_invite to the flow's on_complete (see docs/triggers.md)."


def cli_invite_written(path: str) -> str:
    return f"Invitation written to {path}."


def teams_app_files_missing(folder: str, missing: list[str]) -> str:
    return f"{folder} lacks {', '.join(missing)}. Point --source at the repository's teams/ folder."
