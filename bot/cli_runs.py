"""``decisionbot runs ...``: list runs, show one (transcript, answers, decision record), cancel an open one as the operator."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from bot import run_words, texts
from bot.cli import _print_rows, main, output_options
from bot.cli_click import ROW_ID, ROW_ID_MAX
from bot.cli_context import Context
from bot.errors import BotError, FlowError, RunNotFound
from bot.model import Actor, is_placeholder
from bot.render import render_run, terminal_safe
from bot.store import names, transcript

if TYPE_CHECKING:
    from bot.engine.model import Flow

#: Who cancels from the command line: the bot's operator, not a person of the conversation.
OPERATOR = Actor("cli:operator", "operator")

# --- runs --------------------------------------------------------------------------------------


@main.group("runs")
def runs_group() -> None:
    """Look at runs: their status, transcript, answers and decision record.

    \b
    Example:
      decisionbot runs list --status active
    """


@runs_group.command("list")
@click.option("--status", type=click.Choice(["active", "completed", "cancelled", "stalled"]))
@click.option("--flow", help="Only runs of this flow.")
@click.option(
    "--limit", type=click.IntRange(min=1, max=ROW_ID_MAX), default=100, show_default=True, help="At most this many."
)
@output_options
@click.pass_obj
def runs_list(obj: Context, status: str | None, flow: str | None, limit: int, as_json: bool) -> None:
    """List runs, newest first: each one's status, step, whom an open one waits for, what
    started it (trigger: slack slash, slack modal, slack mention, slack dm, an alert hook and its route, a
    metric check, a review on its date, ...) and where it lives now (where: its platform and channel,
    by name when the platform gave one, and where it was moved from).

    \b
    Example:
      decisionbot runs list --status completed --json
    """
    conn = obj.ledger.conn
    obj.check_flow(conn, flow)
    rows = transcript.list_runs(conn, status, flow, limit)  # then a fixed number of queries, however many
    found = names.places(conn, (r["id"] for r in rows))
    flows = _flows_of(obj, {(str(r["flow"]), str(r["version"])) for r in rows})
    said = run_words.waiting_of(conn, {int(r["id"]): flows[(str(r["flow"]), str(r["version"]))] for r in rows})
    for row in rows:
        row.update(_where(found[row["id"]]))
        row["waiting"] = said[int(row["id"])] or row["waiting_for"]
        if row.pop("untaken") and is_placeholder(str(row["facilitator"] or "")):  # an alert's run nobody took yet
            row["facilitator"] = None  # its question for the placeholder is anyone's there, as runs show says
            anyone = texts.run_show_untaken(row["conversation"])
            row["waiting"] = [anyone if w == "facilitator" else w for w in row["waiting_for"]]
            row["waiting_for"] = ["anyone" if w == "facilitator" else w for w in row["waiting_for"]]
    columns = ["id", "flow", "status", "waiting", "channel", "trigger", "where", "title", "started_at"]
    _print_rows(rows, as_json, columns)


def _where(place: names.Place) -> dict[str, Any]:
    """Where a run lives now, for ``runs list``: as shown (``where``), and its parts for ``--json``."""
    here = texts.conversation_shown(place.conversation, place.name)
    moved = None if place.moved_from is None else texts.conversation_shown(place.moved_from, place.moved_from_name)
    return {
        "where": texts.run_where(place.platform, here, moved),
        "platform": place.platform,
        "conversation": place.conversation,
        "conversation_name": place.name,
        "moved": place.moved_from is not None,
        "moved_from": place.moved_from,
        "moved_from_name": place.moved_from_name,
    }


@runs_group.command("show")
@click.argument("run_id", type=ROW_ID)
@output_options
@click.pass_obj
def runs_show(obj: Context, run_id: int, as_json: bool) -> None:
    """Show one run: transcript, answers with their revisions, and the decision record.

    \b
    Example:
      decisionbot runs show 1
    """
    detail = transcript.run_detail(obj.ledger.conn, run_id)
    if detail is None:
        raise RunNotFound(texts.cli_unknown_run(run_id))
    flow = _flow_of(obj, detail["run"])
    detail["run"]["waiting"] = run_words.waiting(obj.ledger.conn, run_id, flow)
    if as_json:
        click.echo(json.dumps(detail, indent=2, default=str))
        return
    click.echo(terminal_safe(render_run(detail, flow=flow)))


def _flow_of(obj: Context, run: dict[str, Any]) -> Flow | None:
    """The flow version a run is on, as the ledger keeps it (None if it is not there or not read)."""
    from bot.store import runs

    return _read(runs.flow_text(obj.ledger.conn, run["flow"], run["version"]))


def _flows_of(obj: Context, keys: set[tuple[str, str]]) -> dict[tuple[str, str], Flow | None]:
    """:func:`_flow_of` each (flow, version) of ``keys``, read from the ledger in one query."""
    from bot.store import runs

    stored = runs.flow_texts(obj.ledger.conn, keys) if keys else {}
    return {key: _read(stored.get(key)) for key in keys}


def _read(stored: tuple[str, str] | None) -> Flow | None:
    """A flow version's text (and path) as the ledger keeps it, read; None if missing or refused."""
    from bot.engine.reader import read_flow_text

    try:
        return read_flow_text(stored[0], stored[1], pinned=True) if stored else None
    except FlowError:
        return None


@runs_group.command("cancel")
@click.argument("run_id", type=ROW_ID)
@click.pass_obj
def runs_cancel(obj: Context, run_id: int) -> None:
    """Cancel an open run (active or stalled), as the bot's operator: its conversation is told,
    its reminders stop, the transcript and answers are kept. A finished run is refused.

    \b
    Example:
      decisionbot runs cancel 3
    """
    from bot.store import runs

    obj.existing_ledger()  # a mistyped --db is not a new, empty ledger
    dispatcher = obj.dispatcher()
    row = runs.load_run(dispatcher.db.conn, run_id)
    if row is None:
        raise RunNotFound(texts.cli_unknown_run(run_id))
    if row.status in ("completed", "cancelled"):
        raise BotError(texts.cli_cancel_closed(run_id, row.status))
    run = {"flow": row.flow_id, "version": row.flow_version}
    waited = run_words.waiting(dispatcher.db.conn, run_id, _flow_of(obj, run)) or row.context.addressees()
    result = dispatcher.cancel(run_id, OPERATOR, operator=True)
    cancelled_now = result is not None and any(t["event"] == "cancel" for t in result.outcome.transitions)
    if not cancelled_now:  # it ended between the two reads (another cancel, its last answer): not this one's
        now = runs.load_run(dispatcher.db.conn, run_id)
        raise BotError(texts.cli_cancel_closed(run_id, now.status if now else "gone"))
    from bot.run_commands import run_title

    title = run_title(dispatcher.db.conn, run_id)
    click.echo(texts.cli_cancelled(run_id, row.flow_id, title, waited, str(row.conversation)))
