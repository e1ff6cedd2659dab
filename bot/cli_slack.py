"""``decisionbot slack ...``: the Slack events kept in the ledger (``slack_inbox``: acknowledged,
their turn to run, under way or waiting for its next try) and, for those the bot gave up (their
turn failed ``TRIES`` times), setting them to be tried again by the running server."""

from __future__ import annotations

from typing import Any

import click

from bot import texts
from bot.cli import _print_rows, main, output_options
from bot.cli_context import Context
from bot.store import slack_inbox, transaction

#: The table's columns (``--json`` has ``given_up`` and ``retry_at`` too); the last, not cut, says why.
COLUMNS = ["id", "event_id", "received_at", "tries", "type", "channel", "user", "failed"]


@main.group("slack")
def slack_group() -> None:
    """The Slack events kept in the ledger, and those the bot gave up run again.

    \b
    Example:
      decisionbot slack events --given-up
    """


@slack_group.command("events")
@click.option("--given-up", is_flag=True, help="Only the events given up (their turn failed 5 times).")
@output_options
@click.pass_obj
def slack_events(obj: Context, given_up: bool, as_json: bool) -> None:
    """List the Slack events kept in the ledger, oldest first: each one's id, Slack's event_id,
    when it was kept, its failed tries, the event's type, channel and user, and why its last try
    failed. An event given up (tries 5) is no longer run: run it again with 'slack retry'. Only
    reads the ledger.

    \b
    Example:
      decisionbot slack events --given-up --json
    """
    rows = [_shown(row) for row in slack_inbox.rows(obj.ledger.conn, given_up_only=given_up)]
    _print_rows(rows, as_json, COLUMNS)


def _shown(row: slack_inbox.Row) -> dict[str, Any]:
    event = row.payload.get("event")
    event = event if isinstance(event, dict) else {}
    kind, subtype = _text(event.get("type")), _text(event.get("subtype"))
    return {
        "id": row.id,
        "event_id": row.event_id,
        "received_at": row.received_at,
        "tries": row.tries,
        "given_up": row.given_up,
        "type": f"{kind}/{subtype}" if subtype else kind,
        "channel": _text(event.get("channel")),
        "user": _text(event.get("user")) or _of(event, "message", "previous_message"),
        "failed": row.failed,
        "retry_at": row.retry_at,
    }


def _text(value: Any) -> str:
    """A field of the event as Slack sends it: a string, or an object named by its ``id`` (a
    renamed channel, a changed user)."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else ""


def _of(event: dict[str, Any], *keys: str) -> str:
    """The user of the message an edit or a deletion is about."""
    for key in keys:
        message = event.get(key)
        if isinstance(message, dict) and (user := _text(message.get("user"))):
            return user
    return ""


@slack_group.command("retry")
@click.argument("names", nargs=-1, metavar="[ID]...")
@click.option("--all", "every", is_flag=True, help="Every event given up.")
@click.pass_obj
def slack_retry(obj: Context, names: tuple[str, ...], every: bool) -> None:
    """Run again Slack events the bot gave up, once their cause is fixed: each named by its id or
    its event_id (as 'slack events' lists them), or --all. Their tries go back to 0, so the
    running server turns them within a second (or the next one, at its start), with 5 tries again;
    why they failed is kept until then. An event not given up is left as it is; an unknown one
    changes nothing (exit 2). Waits for the server's write lock like every command that writes.

    \b
    Example:
      decisionbot slack retry 12 Ev0AB1CD2EF3
    """
    if bool(names) == every:
        raise click.UsageError(texts.cli_slack_retry_what(both=every))
    obj.existing_ledger()  # a mistyped --db is not a new, empty ledger
    asked = list(dict.fromkeys(names))
    notes: list[str] = []
    with transaction(obj.db) as conn:  # all or nothing: none changed if one is unknown
        if every:
            chosen = slack_inbox.given_up_ids(conn)
        else:
            found = slack_inbox.named(conn, asked)
            if missing := [name for name in asked if name not in found]:
                raise click.BadParameter(texts.cli_slack_unknown_events(missing), param_hint="ID")
            chosen = [found[name].id for name in asked if found[name].given_up]
            notes = [
                texts.cli_slack_not_given_up(found[name].id, found[name].event_id, found[name].tries, slack_inbox.TRIES)
                for name in asked
                if not found[name].given_up
            ]
        retried = slack_inbox.retry(conn, chosen) if chosen else []
    for note in notes:
        click.echo(note)
    if retried:
        click.echo(texts.cli_slack_retried(retried))
    elif every:
        click.echo(texts.cli_slack_none_given_up())
