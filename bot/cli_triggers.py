"""Commands for triggers and timers: ``trigger``, ``routes test``, ``checks run``, ``jobs run-due``,
``jobs list`` and ``runs invite``."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot import config, ics, outbox, texts
from bot.cli import _data, _print_rows, main, output_options, refuse_bad_people
from bot.cli_click import ROW_ID, ROW_ID_MAX
from bot.cli_context import Context
from bot.cli_output import open_output
from bot.cli_runs import runs_group
from bot.cli_trigger_input import refuse_unusable
from bot.errors import BotError, NoDecisionToReview, RunNotFound
from bot.model import Trigger
from bot.render import terminal_safe

if TYPE_CHECKING:
    from bot.dispatch import Dispatcher
    from bot.triggers.router import Router
from bot.store import dicts, open_db, runs, utc_now
from bot.store.people import stored_kinds, stored_names
from bot.triggers import PayloadError, alertmanager, generic, grafana, naming

# --- trigger -----------------------------------------------------------------------------------


@main.command("trigger")
@click.argument("flow")
@click.option(
    "--channel",
    "-c",
    help="slack:C0123, teams:<conversation> or console (default: the routes'; with --data decision_id=N, the decision's).",
)
@click.option("--facilitator", "-f", help="Who leads the run: a platform user id (U0123) or channel:id.")
@click.option("--participants", "-p", default="", help="Comma-separated ids of the other people.")
@click.option("--owners", default="", help="Comma-separated ids of the people who own the outcome.")
@click.option("--title", "-t", default="", help="What the run is about (default: the flow's title).")
@click.option("--dedup-key", help="Triggers with the same key share one run while it is open.")
@click.option("--data", "-d", multiple=True, metavar="KEY=VALUE", help="A trigger field prompts can use (repeatable).")
@click.pass_obj
def trigger_cmd(
    obj: Context,
    flow: str,
    channel: str | None,
    facilitator: str | None,
    participants: str,
    owners: str,
    title: str,
    dedup_key: str | None,
    data: tuple[str, ...],
) -> None:
    """Start FLOW in a chat channel, as a facilitator or a script would.

    The first prompt is queued in the outbox; `decisionbot serve` delivers it (for the console
    channel it is printed here). With --dedup-key, a trigger while the key's run is open is
    counted on it as a repeat; once that run completes or is cancelled, the key starts a new run.

    \b
    Example:
      decisionbot trigger post_meeting --channel slack:C0123 -f U0ALICE -p U0BOB,U0CAROL --data title="Weekly sync"
    """
    refuse_bad_people(("--facilitator", facilitator), ("--participants", participants), ("--owners", owners))
    fields: dict[str, Any] = dict(_data(data))
    refuse_unusable(title, fields, dedup_key)
    dispatcher = obj.dispatcher(flow=flow)
    if dispatcher.catalog.get(flow).reviews_a_decision and not fields.get("decision_id"):  # before any channel
        raise BotError(texts.cli_review_needs_decision(flow))
    channel = _decisions_conversation(dispatcher, fields.get("decision_id"), channel)
    hints = {"flow": flow, "channel": channel, "facilitator": facilitator, "participants": participants}
    fields["decision"] = {k: v for k, v in {**hints, "owners": owners}.items() if v}
    trig = Trigger(flow=flow, source="cli", kind="manual", title=title or fields.pop("title", ""), data=fields)
    trig.dedup_key = f"cli:{dedup_key}" if dedup_key else None
    dispatcher.catalog.get(flow)  # an unknown flow names the known ones (not a channel to try)
    admission = _router(obj, dispatcher).route(trig)
    if admission.problem:
        raise BotError(texts.cli_trigger_refused(admission.problem, admission.no_channel))
    naming.rename(trig, stored_names(obj.db.conn, naming.named_by_id(trig)))  # as the server learnt them
    naming.leave_out(admission, stored_kinds(obj.db.conn, naming.named(trig)))  # bot users, people who left
    try:
        [result] = dispatcher.admit([admission])
    except NoDecisionToReview:
        raise BotError(texts.cli_review_needs_decision(flow)) from None
    if result.outcome == "repeat":
        click.echo(texts.cli_trigger_repeat(result.run_id, result.event_id))
        return
    assert trig.conversation is not None and result.run_id is not None
    for actor_id, kind in admission.left_out:  # the people named who nobody can ask: on stderr
        click.echo(
            texts.cli_warning(texts.trigger_person_left_out(admission.route or "default", actor_id, kind)), err=True
        )
    click.echo(texts.cli_trigger_started(result.run_id, trig.flow, str(trig.conversation)))
    if trig.conversation.channel == "console":
        _print_console_prompts(obj, result.run_id, result.outbox)


def _print_console_prompts(obj: Context, run_id: int, queued_ids: Collection[int]) -> None:
    """A console run's first prompts printed here, and marked sent (no server delivers them)."""
    queued = [q for q in outbox.pending(obj.db, "console", run_id=run_id) if q.id in queued_ids]
    for item in queued:
        who = f" -> {item.reply.to.name}" if item.reply.to else ""
        click.echo(terminal_safe(f"bot{who}: {item.reply.text}"))  # an alert's words cannot drive the terminal
    outbox.mark_sent(obj.db, [q.id for q in queued], utc_now())


def _decisions_conversation(dispatcher: Dispatcher, decision_id: str | None, channel: str | None) -> str | None:
    """Where a review started by hand (``--data decision_id=N``) goes without ``--channel``: the
    decision's own conversation, as the scheduled review's (no thread of the meeting's). A
    decision id that names none is refused with ``--channel`` too (``decision_id=zz`` was a
    traceback there)."""
    if decision_id is None:
        return channel
    found = decision_id.isascii() and decision_id.isdigit() and len(decision_id) <= 18
    origin = runs.decision_origin(dispatcher.db.conn, int(decision_id)) if found else None
    if origin is None:
        raise BotError(texts.unknown_decision(decision_id))
    where = origin[0]
    return channel or f"{where.channel}:{where.conversation}"


def _router(obj: Context, dispatcher: Dispatcher) -> Router:
    from bot.triggers.router import Router

    catalog = dispatcher.catalog
    return Router(
        obj.flows_dir, os.environ, lambda: set(catalog.current), lambda: catalog.refused, catalog.review_flows
    )


# --- routes ------------------------------------------------------------------------------------


@main.group("routes")
def routes_group() -> None:
    """Check where triggers go (flows/routes.yaml).

    \b
    Example:
      decisionbot routes test data/samples/alertmanager_firing.json
    """


PARSERS = {"alertmanager": alertmanager.parse, "grafana": grafana.parse, "events": generic.parse}


def detect(payload: Any) -> str:
    if isinstance(payload, dict) and payload.get("version") == "4":
        return "alertmanager"
    if isinstance(payload, dict) and payload.get("version") == "1" and "alerts" in payload:
        return "grafana"
    if isinstance(payload, dict) and {"ruleName", "evalMatches"} & set(payload):  # legacy alerting's
        return "grafana"
    return "events"


@routes_group.command("test")
@click.argument("payload_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--hook", type=click.Choice(sorted(PARSERS)), help="Which hook the payload is for (default: guessed).")
@output_options
@click.pass_obj
def routes_test(obj: Context, payload_file: Path, hook: str | None, as_json: bool) -> None:
    """Show which route each trigger in PAYLOAD_FILE takes and the first message it would send.

    Nothing is stored: the runs start in a scratch ledger in memory.

    \b
    Example:
      decisionbot routes test data/samples/grafana_firing.json
    """
    from bot import inbound_json
    from bot.dispatch import Dispatcher

    try:  # read as the hooks read a body: the same refusals (NaN, 1e400, a lone surrogate, too deep)
        payload = inbound_json.loads(payload_file.read_bytes())
    except ValueError as exc:
        raise BotError(f"{payload_file}: {texts.hook_bad_json(str(exc))}") from exc
    hook = hook or detect(payload)
    try:
        triggers = PARSERS[hook](payload)
    except PayloadError as exc:
        raise BotError(f"{payload_file}: {exc}") from exc
    scratch = open_db(":memory:")
    dispatcher = Dispatcher(scratch, obj.catalog(scratch), config.timezone())
    router = _router(obj, dispatcher)
    rows = []
    for admission in router.route_all(triggers):
        if hook == "grafana" and grafana.is_test(payload):  # the hook starts no run for it
            rows.append(_route_row(hook, admission.trigger, admission.route, admission.problem, "test", None))
            continue
        [result] = dispatcher.admit([admission])
        first = scratch.conn.execute(
            "SELECT actor_name, text FROM messages WHERE run_id = ? AND direction = 'out' ORDER BY id LIMIT 1",
            (result.run_id,),
        ).fetchone()
        outcome = "resolved" if result.outcome == "unseen" else result.outcome  # (a dry run has seen nothing fire)
        rows.append(_route_row(hook, admission.trigger, admission.route, admission.problem, outcome, first))
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:  # said, with exit status 0 (as a trigger that no route takes)
        click.echo(texts.cli_route_test_empty(str(payload_file), hook))
    for row in rows:
        click.echo(texts.cli_route_test(row))


def _route_row(
    hook: str, trig: Trigger, route: str | None, problem: str | None, outcome: str, first: Any
) -> dict[str, Any]:
    return {
        "hook": hook,
        "title": trig.title,
        "status": trig.status,
        "dedup_key": trig.dedup_key,
        "route": route,
        "flow": trig.flow or None,
        "conversation": str(trig.conversation) if trig.conversation else None,
        "facilitator": trig.facilitator.id if trig.facilitator else None,
        "participants": [p.id for p in trig.participants],
        "outcome": outcome,
        "problem": problem,
        "first_message": {"to": first[0], "text": first[1]} if first else None,
    }


# --- checks ------------------------------------------------------------------------------------


@main.group("checks")
def checks_group() -> None:
    """SQL metric checks (flows/checks.yaml).

    \b
    Example:
      decisionbot checks run --once
    """


@checks_group.command("run")
@click.option("--once", is_flag=True, help="Evaluate every enabled check now, once, and exit.")
@output_options
@click.pass_obj
def checks_run(obj: Context, once: bool, as_json: bool) -> None:
    """Evaluate the checks: on their schedules (until stopped), or all of them now with --once.

    Every evaluation is recorded; a breach starts (or joins) a run through the routes. With
    --once, a check whose query gave no value makes the exit status 1.

    \b
    Example:
      decisionbot checks run --once --json
    """
    from bot.scheduler import CLI_PAUSE, Scheduler

    scheduler = Scheduler(obj.dispatcher(), os.environ, pause=CLI_PAUSE)
    if not once:
        click.echo(texts.cli_checks_looping(str(scheduler.checks.path)), err=True)
        asyncio.run(scheduler.forever(lambda: [], kinds=("check",)))
        return
    checks = [c for c in scheduler.checks.config().checks if c.enabled]

    async def all_now() -> list[Any]:
        return [await scheduler.checks.run(c) for c in checks]

    results = asyncio.run(all_now())
    rows = [vars(r) for r in results]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    elif not rows:
        click.echo(texts.cli_no_checks(str(scheduler.checks.path)))
    for row in [] if as_json else rows:
        click.echo(texts.cli_check_result(row))
    failed = [r.check for r in results if r.error and r.value is None]
    unrouted = [r.check for r in results if r.error and r.value is not None]  # routes.yaml broken meanwhile
    said = [texts.cli_checks_failed(failed, str(scheduler.checks.path))] if failed else []
    said += [texts.cli_checks_unrouted(unrouted)] if unrouted else []
    if said:  # for cron and scripts: exit status 1 (each evaluation is recorded all the same)
        raise BotError("; ".join(said))


# --- jobs --------------------------------------------------------------------------------------


@main.group("jobs")
def jobs_group() -> None:
    """Durable timers: reminders, escalations, expiries, reviews, digests and checks.

    \b
    Example:
      decisionbot jobs run-due
    """


@jobs_group.command("run-due")
@click.option("--now", "now_text", metavar="ISO-8601", help="Run as if it were this moment (default: now).")
@output_options
@click.pass_obj
def jobs_run_due(obj: Context, now_text: str | None, as_json: bool) -> None:
    """Run every job that is due (for cron, or to try timers out); the server does it on its own.

    \b
    Example:
      decisionbot jobs run-due --now 2026-12-24T09:00:00+01:00
    """
    from bot.scheduler import CLI_PAUSE, Scheduler, describe

    now = _moment(now_text) if now_text is not None else utc_now()  # --now "": an unset variable, refused
    dispatcher = obj.dispatcher(clock=lambda: now)
    scheduler = Scheduler(dispatcher, os.environ, pause=CLI_PAUSE)  # a server on the file gets turns in
    scheduler.plan(now)
    ran = describe(asyncio.run(scheduler.run_due(now)))
    if as_json:
        click.echo(json.dumps(ran, indent=2))
        return
    click.echo(texts.cli_jobs_ran(len(ran)))
    if ran:
        _print_rows(ran, False)


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=config.timezone())
        moment.astimezone(UTC)  # an offset that takes it past the calendar's ends
    except (ValueError, OverflowError) as exc:
        raise click.BadParameter(texts.cli_bad_moment(text), param_hint="--now") from exc
    if not MOMENTS[0] <= moment.year <= MOMENTS[1]:  # its timers' sums (a lease, a day on) would overflow
        raise click.BadParameter(texts.cli_moment_out_of_range(text, *MOMENTS), param_hint="--now")
    return moment


#: The years a --now may name: timers count days and months on from it, past year 9999 there are none.
MOMENTS = (1970, 9000)


@jobs_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Done jobs too (default: pending only).")
@click.option(
    "--limit", type=click.IntRange(min=1, max=ROW_ID_MAX), default=100, show_default=True, help="At most this many."
)
@output_options
@click.pass_obj
def jobs_list(obj: Context, show_all: bool, limit: int, as_json: bool) -> None:
    """List jobs, soonest first.

    \b
    Example:
      decisionbot jobs list --all --json
    """
    where = "" if show_all else "WHERE done_at IS NULL"
    cur = obj.ledger.conn.execute(
        f"SELECT id, kind, run_id, due_at, payload, claimed_at, done_at, outcome FROM jobs {where}"
        " ORDER BY due_at, id LIMIT ?",
        (limit,),
    )
    _print_rows(dicts(cur), as_json)


# --- runs invite -------------------------------------------------------------------------------


@runs_group.command("invite")
@click.argument("run_id", type=ROW_ID)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write the .ics to this file.")
@click.pass_obj
def runs_invite(obj: Context, run_id: int, output: Path | None) -> None:
    """Print (or save) the review meeting invitation (.ics) a completed run attached to its summary.

    \b
    Example:
      decisionbot runs invite 1 -o review.ics
    """
    conn = obj.ledger.conn
    found = [a for a in ics.attachments_of(conn, run_id) if a["filename"].endswith(".ics")]
    if not found and conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
        raise RunNotFound(texts.cli_unknown_run(run_id))  # as runs show and runs cancel say it
    if not found:
        raise RunNotFound(texts.cli_no_invite(run_id))
    if output:
        with open_output(output) as out:
            out.write(found[-1]["content"])
        click.echo(texts.cli_invite_written(str(output)))
    else:
        click.echo(found[-1]["content"].replace("\r\n", "\n"), nl=False)
