"""What the trigger hooks (Alertmanager, Grafana, the generic one) answer and log: refused payloads, their limits."""

from __future__ import annotations

import json
from collections.abc import Iterable

from bot.texts._common import _left_out, _one_line


def payload_missing(name: str) -> str:
    return f"'{name}' is missing"


def payload_type(name: str, kind: str) -> str:
    return f"'{name}' must be {kind}"


def payload_enum(name: str, got: object, allowed: Iterable[str]) -> str:
    return f"'{name}' is {_quoted(got)}; expected one of {', '.join(allowed)}"


#: The alerting webhooks by version: whose it is, what posts it, the hook that takes it.
_ALERTING_VERSIONS = {
    "4": ("Alertmanager", "receiver", "/hooks/alertmanager"),
    "1": ("Grafana", "contact point", "/hooks/grafana"),
}


def payload_version(source: str, got: object, expected: str) -> str:
    """``got``: the other alerting hook's version (a Grafana contact point given Alertmanager's
    URL) is named, with the hook that takes it. A version that is no string (a hand-written
    sender's ``"version": 4``) is told to be the string its sender writes."""
    if not isinstance(got, str):
        wanted = f'\'version\' must be the string "{expected}", as {source} sends it ("version": "{expected}")'
        number = isinstance(got, int | float) and not isinstance(got, bool)
        refused, got = f"{wanted}, not {_json_kind(got)}", str(got) if number else None
    else:
        refused = f'{source} webhook version {_quoted(got)} is not supported: this hook takes version "{expected}"'
    if got == expected or got not in _ALERTING_VERSIONS:
        return refused
    sender, sends, hook = _ALERTING_VERSIONS[got]
    return f'{refused}. Version "{got}" is {sender}\'s webhook: point its {sends} at {hook}'


def _json_kind(value: object) -> str:
    """A JSON value that is no string, as a 400 names it: ``the number 4``, ``null``, ``an object``."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return f"the number {payload_shortened(json.dumps(value), 40)}"
    return "an object" if isinstance(value, dict) else "a list"


def _quoted(value: object, limit: int = 60) -> str:
    """A refused value as a 400 repeats it: its start only, however long it was."""
    shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def payload_grafana_legacy() -> str:
    return (
        "this is legacy Grafana alerting's body (ruleName, evalMatches), which this hook does not take:"
        ' send Grafana-managed alerts through a webhook contact point (version "1")'
    )


def hook_refused(hook: str, status: int, error: str, left_out: int) -> str:
    return f"/hooks/{hook} refused a request: {status} {error}{_left_out(left_out)}"


def payload_title_blank() -> str:
    return "is blank: say what happened, in a few words"


def payload_title_control() -> str:
    return "holds a control character (a NUL, an escape): people read the title, write it as text"


def payload_schema(where: str, message: str) -> str:
    return f"'{where}': {message}"


def payload_too_long(length: int, limit: int) -> str:
    return f"is {length} characters long, {limit} at most"


def dedup_key_unusable() -> str:
    return "must be printable text, not blank: a stable name of the incident, like queue-backlog"


def payload_bad_request_key() -> str:
    return "must be printable text (a UUID, or your job's run id), not blank"


def payload_shortened(message: str, limit: int) -> str:
    """A schema error's message whose quoted value is long: its start, so that the 400 stays short."""
    return message if len(message) <= limit else message[: limit - 1] + "…"


def payload_events_shape(limit: int) -> str:
    return f"the body must be one event (a JSON object) or a list of 1 to {limit} events"


def hooks_off() -> str:
    return "Trigger hooks are off: DECISIONBOT_HOOK_TOKEN is not set or blank (timers and checks still run)."


def hooks_on(paths: list[str]) -> str:
    return f"Trigger hooks on: {', '.join(paths)} (bearer token from DECISIONBOT_HOOK_TOKEN)."


def hook_unauthorized() -> str:
    return (
        "Missing or wrong bearer token: send Authorization: Bearer <DECISIONBOT_HOOK_TOKEN>,"
        " or basic auth with DECISIONBOT_HOOK_TOKEN as its password (any user name)."
    )


def hook_busy() -> str:
    return "The bot is busy; try again shortly."


def hook_too_large(hook: str, limit: int, alerts: int) -> str:
    """A body over the limit; at /hooks/alertmanager, an alert storm Alertmanager sent whole (its
    ``max_alerts`` is 0, all, by default), which it drops on this 4xx."""
    refused = f"The body is larger than {limit} bytes."
    if hook != "alertmanager":
        return refused
    return (
        f"{refused} Alertmanager drops it (it retries no 4xx): set max_alerts: {alerts} in the webhook_configs entry"
        f" of decisionbot's receiver, so that a notification holds {alerts} alerts at most (decisionbot takes no"
        " more of one) and counts the others."
    )


def hook_bad_json(problem: str) -> str:
    return f"The body is not JSON: {problem}"


def hook_db_busy(problem: str) -> str:
    return f"A trigger was refused with 503 (it will be retried): the ledger is busy ({problem})."


def hook_truncated(hook: str, left_out: int, group: str, most: int) -> str:
    return (
        f"The {hook} notification of group {_one_line(group)} left {left_out} alert(s) out (its max_alerts):"
        " they start no run of their own (a route with dedup: group counts them in its run). Fix: raise max_alerts"
        f" in the webhook's configuration (up to {most}, all decisionbot takes of one notification), or add labels to"
        " the Alertmanager route's group_by so that each notification holds fewer alerts."
    )


def hook_shed(hook: str, extra: int, kept: int, group: str) -> str:
    cap = (
        f", and max_alerts: {kept} in the webhook's configuration (a notification over the body limit is refused"
        " with 413, which Alertmanager drops)"
        if hook == "alertmanager"
        else ""
    )
    return (
        f"The {hook} notification of group {_one_line(group)} held {kept + extra} alerts: the first {kept} are"
        f" taken, {extra} left out (they start no run of their own; a route with dedup: group counts them in its"
        f" run). An alert storm: set the route's group_by so that each notification holds fewer{cap}."
    )


def grafana_test_received(route: str | None, channel: str, flow: str, problem: str | None = None) -> str:
    """The log line of Grafana's contact-point test; ``problem``: the route's channel did not take
    the test's line."""
    but = f", but {problem}" if problem else ""
    return (
        f"Grafana contact-point test received (route {route or 'default'}): its alerts start {flow} in"
        f" {channel}{but}. No run started for the test."
    )


def grafana_test_posted(route: str | None, flow: str) -> str:
    """Posted in the route's channel by Grafana's contact-point test."""
    return (
        f"Grafana contact-point test received (route {route or 'default'}): its alerts start {flow} here."
        " No run started for the test."
    )


def grafana_test_refused(channel: str, plain: str, remedy: str | None) -> str:
    fix = remedy or "Add the bot to that channel"
    return f"{channel} refused the test's message: {plain}. {fix}, or its alerts' questions will not be seen there"


def grafana_test_not_posted(channel: str, reason: str) -> str:
    return (
        f"the test's message could not be posted in {channel} now ({_one_line(reason)}); its alerts' questions"
        " would wait in the outbox until it takes them"
    )


def grafana_test_unrouted(route: str | None, problem: str) -> str:
    return (
        f"Grafana contact-point test received (route {route or 'default'}), but its alerts would start no run:"
        f" {_one_line(problem)}. Fix: add a route or set DECISIONBOT_DEFAULT_CHANNEL."
    )


def payload_kind_reserved(where: str, kind: str) -> str:
    return (
        f"{where} '{kind}' is a kind decisionbot gives its own events (a decision's review coming due, an"
        " action's handover); give yours another, like 'event', 'metric' or 'model'"
    )


def cli_data_reserved(key: str) -> str:
    return (
        f"{key} is a name decisionbot reads itself; rename it (the run's people and channel are -f,"
        " -p, --owners and --channel; a review's decision is --data decision_id=N)"
    )


def payload_reserved(where: str) -> str:
    return (
        f"{where} is a name decisionbot uses itself; rename it (a decision's hints go in the top-level"
        " fields: facilitator, participants, channel, flow)"
    )


def query_not_logged() -> str:
    """What stands for a request's query string in the access log (a token may be in it)."""
    return "(query string not logged)"


def bad_person(where: str, given: str, most: int, nobody: bool = False) -> str:
    """A person's id (a trigger's facilitator, participants, owners, backup) no platform gives:
    a character no id holds, or longer than ``most``."""
    if len(given) > most:
        return (
            f"'{where}' names an id of {len(given)} characters, which is not a person's id: an id is {most}"
            " characters at most (an e-mail address, the longest, 254). Give a Slack user id (U0123, W0123),"
            " a Teams id (29:1abc, or an Azure AD object id), a Rasa sender id, a console name (alice) or"
            " channel:id (slack:U0123)"
        )
    shown = given.encode("unicode_escape").decode("ascii")[:80]  # a line break or ESC shown, not done
    if nobody:
        return (
            f"'{where}' names '{shown}', which is nobody: an id is more than blanks, '@' or 'channel:'. Give a"
            " Slack user id (U0123, W0123), a Teams id (29:1abc, or an Azure AD object id), a Rasa sender id, a"
            " console name (alice) or channel:id (slack:U0123), or leave it out"
        )
    return (
        f"'{where}' names '{shown}', which is not a person's id: an id has no control characters (line"
        " breaks, ESC) and none of < > | & `. Give a Slack user id (U0123, W0123), a Teams id (29:1abc, or"
        " an Azure AD object id), a Rasa sender id, a console name (alice) or channel:id (slack:U0123)"
    )


def one_person_in_file(key: str) -> tuple[str, str]:
    """(problem, fix) for a route or a check naming a list where one person goes (facilitator, backup)."""
    return f"{key} names a list, and a run has one {key}", f"write one person's id, like {key}: U0123"


def bad_person_in_file(key: str, given: str, most: int, nobody: bool = False) -> tuple[str, str]:
    """(problem, fix) for a route or a check of routes.yaml, checks.yaml naming no person's id."""
    if len(given) > most:
        return (
            f"{key} names an id of {len(given)} characters, which is not a person's id ({most} characters at most)",
            "write a Slack user id (U0123), a Teams id (29:1abc or an Azure AD object id), a Rasa sender id,"
            " a console name or channel:id (slack:U0123)",
        )
    shown = given.encode("unicode_escape").decode("ascii")[:80]
    if nobody:
        return (
            f"{key} names '{shown}', which is nobody (blanks, '@' or 'channel:' alone)",
            f"write a person's id, like {key}: U0123, or remove {key}",
        )
    return (
        f"{key} names '{shown}', which is not a person's id (it has a control character or one of < > | & `)",
        "write a Slack user id (U0123), a Teams id (29:1abc or an Azure AD object id), a Rasa sender id,"
        " a console name or channel:id (slack:U0123)",
    )


def hook_many_runs(hook: str, runs: int, conversation: str, route: str | None, routes_file: str) -> str:
    """One notification started ``runs`` runs (one per alert) in one conversation: a thread each."""
    where = f"route {route}" if route else "the default route"
    fix = (
        f"set 'dedup: group' on route {route} in {routes_file}"
        if route
        else f"add a route for them with 'dedup: group' to {routes_file}"
    )
    return (
        f"/hooks/{hook}: one notification started {runs} runs in {conversation} ({where}), one per alert, each with"
        f" its own thread, reminders and escalations. For one run per alert group, {fix} (docs/triggers.md,"
        " Deduplication)."
    )


def _run_ids(ids: list[int], most: int = 5) -> str:
    shown = ", ".join(f"#{i}" for i in ids[:most])
    return shown + (f" and {len(ids) - most} more" if len(ids) > most else "")


def hook_took(hook: str, received: int, parts: list[str]) -> str:
    """The INFO line of one notification a hook took: what became of its triggers."""
    what = "event(s)" if hook == "events" else "alert(s)"  # the generic hook's are events, not alerts
    return f"/hooks/{hook}: {received} {what}: {'; '.join(parts) or 'nothing to do'}."


def hook_took_started(runs: list[tuple[int, str]], where: str, route: str | None) -> str:
    ids = [run_id for run_id, _ in runs]
    title = _one_line(runs[0][1], 120)
    more = f" (+{len(runs) - 1} more)" if len(runs) > 1 else ""
    return (
        f"{'run' if len(ids) == 1 else 'runs'} {_run_ids(ids)} started in {where}"
        f" ({f'route {route}' if route else 'the default route'}): '{title}'{more}"
    )


def hook_took_repeats(runs: list[int]) -> str:
    return f"{len(runs)} repeat(s), of {'run' if len(set(runs)) == 1 else 'runs'} {_run_ids(sorted(set(runs)))}"


def hook_took_resolved(runs: list[int]) -> str:
    return f"{len(runs)} resolved, told in {'run' if len(runs) == 1 else 'runs'} {_run_ids(runs)}"


def hook_took_unseen(count: int, hook: str) -> str:
    """Resolutions of keys this ledger never saw fire: for the generic hook a mistyped ``dedup_key``
    or ``Idempotency-Key`` most likely; for an alert manager, an alert that fired before this ledger."""
    why = (
        "check the sender's dedup_key or Idempotency-Key"
        if hook == "events"
        else "its alert fired before this ledger saw it"
    )
    return f"{count} resolution(s) of no incident seen firing (kept; nothing was resolved: {why})"


def hook_took_recorded(runs: list[int | None]) -> str:
    ids = sorted({r for r in runs if r is not None})
    of = f" (run {_run_ids(ids)})" if len(ids) == 1 else f" (runs {_run_ids(ids)})" if ids else " (no run)"
    return f"{len(runs)} resolved, already recorded{of}"


def hook_took_stale(events: list[tuple[int, int | None]]) -> str:
    """Resolutions of an older incident (an earlier ``startsAt``) than their event's: ignored."""
    shown = ", ".join(f"event {e}" + (f" (run #{r})" if r is not None else "") for e, r in events[:5])
    more = f" and {len(events) - 5} more" if len(events) > 5 else ""
    return (
        f"{len(events)} stale resolution(s) ignored, of an older incident (earlier startsAt) than the one"
        f" firing now: {shown}{more}"
    )


def hook_took_unrouted(count: int) -> str:
    return f"{count} unrouted (see the warning)"
