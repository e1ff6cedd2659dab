"""The analysts' commands: report, transcripts search, export, explore, demo-data.

Everything but ``demo-data`` opens the ledger read-only (``mode=ro`` and ``PRAGMA query_only``):
an analyst's command cannot change the ledger.
"""

from __future__ import annotations

import socket
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

import click
from click.core import ParameterSource

from bot import texts
from bot.analytics import export as exporting
from bot.analytics import report as reporting
from bot.analytics import search as searching
from bot.analytics.measures import Params
from bot.cli import _print_rows, main, output_options
from bot.cli_click import Day
from bot.cli_context import Context
from bot.cli_listen import PORT, listening, loopback
from bot.cli_output import open_output
from bot.errors import BotError
from bot.render import terminal_safe
from bot.store import open_readonly

_DATE = Day()


class Instant(click.ParamType):
    """An instant in ISO 8601, as UTC: with its offset (``+02:00``, ``Z``), or without one (UTC)."""

    name = "time"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            moment = value
        else:
            try:
                moment = datetime.fromisoformat(str(value).strip())
            except ValueError:
                self.fail(texts.analytics_bad_instant(str(value)), param, ctx)
        try:
            return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        except OverflowError:  # 9999-12-31T23:00-12:00, 0001-01-01T00:00+05:00: beyond the years there are
            self.fail(texts.analytics_instant_out_of_range(str(value)), param, ctx)


_INSTANT = Instant()


def ledger(obj: Context) -> str:
    """The ledger's path, once it is known to exist (an analyst's command never creates one)."""
    return obj.existing_ledger(for_analysts=True)


def readonly(obj: Context) -> Any:
    """The ledger, opened so that nothing can be written through this connection."""
    return open_readonly(ledger(obj))


@main.command()
@click.option("--since", type=_DATE, metavar="DATE", help="Runs triggered on or after this day (UTC), YYYY-MM-DD.")
@click.option("--until", type=_DATE, metavar="DATE", help="Runs triggered on or before this day (UTC), YYYY-MM-DD.")
@click.option("--flow", help="Only runs of this flow.")
@click.option(
    "--format", "fmt", type=click.Choice(reporting.FORMATS), default="table", show_default=True, help="Output format."
)
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write to this file instead of standard output.")
@click.option(
    "--as-of",
    "as_of",
    type=_INSTANT,
    metavar="TIME",
    help="Judge due dates and idle runs at this instant, ISO 8601: YYYY-MM-DD[THH:MM[:SS]] in UTC, or with its"
    " offset, 2026-03-31T09:00:00+02:00 or ...Z (default: now).",
)
@click.option(
    "--grace-days", type=click.IntRange(0, 365), default=2, show_default=True, help="Days a review may be late."
)
@click.option(
    "--idle-days",
    type=click.IntRange(0, 3650),
    default=7,
    show_default=True,
    help="Days before an active run counts as dropped.",
)
@click.pass_obj
def report(
    obj: Context,
    since: datetime | None,
    until: datetime | None,
    flow: str | None,
    fmt: str,
    output: Path | None,
    as_of: datetime | None,
    grace_days: int,
    idle_days: int,
) -> None:
    """Report every measure of the decision process: latency, follow-through, reviews,
    drop-off, revisions, participation, answer times, stall waits and trigger quality
    (docs/analytics.md defines each).

    The HTML format is one self-contained file with charts; it needs no network to open.

    \b
    Example:
      decisionbot report --since 2026-09-01 --format html -o report.html
    """
    if since and until and since > until:
        raise click.BadParameter(texts.analytics_bad_window(), param_hint="--since/--until")
    params = Params(
        since=_day(since),
        until=_day(until),
        flow=flow,
        as_of=as_of or datetime.now(UTC),
        grace_days=grace_days,
        idle_days=idle_days,
    )
    target = open_output(output) if output else None  # refuses the ledger itself before any work
    conn = reporting.connect(ledger(obj))
    try:
        obj.check_flow(conn, flow)
        text = reporting.render(reporting.build(conn, params), fmt)
    finally:
        conn.close()
    if target:
        with target as out:
            out.write(text)
        click.echo(texts.analytics_written(str(output)), err=True)
    else:
        click.echo(terminal_safe(text), nl=False)


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


@main.group("transcripts")
def transcripts_group() -> None:
    """Search what was said in every run (a full-text index of the messages).

    \b
    Example:
      decisionbot transcripts search "launch march"
    """


@transcripts_group.command("search")
@click.argument("query")
@click.option("--flow", help="Only messages of runs of this flow.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--raw", is_flag=True, help='Use FTS5 query syntax (OR, NOT, prefix*, "phrases") as typed.')
@output_options
@click.pass_obj
def transcripts_search(obj: Context, query: str, flow: str | None, limit: int, raw: bool, as_json: bool) -> None:
    """Find messages containing every word of QUERY (stemmed: 'ship' finds 'shipping'), best first.

    \b
    Example:
      decisionbot transcripts search budget --flow post_meeting --json
    """
    conn = readonly(obj).conn
    obj.check_flow(conn, flow)
    rows = searching.search(conn, query, flow=flow, limit=limit, raw=raw)
    _print_rows(rows, as_json, ["run_id", "created_at", "direction", "who", "step", "snippet"])
    behind = searching.unindexed(conn)
    if behind:
        click.echo(texts.analytics_index_behind(behind, obj.db_path), err=True)


@main.command("export")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write to this file instead of standard output.")
@click.pass_obj
def export_command(obj: Context, name: str, fmt: str, output: Path | None) -> None:
    """Export one table or view of the ledger (NAME must be one of them) as CSV or JSON.

    \b
    Example:
      decisionbot export action_status --format csv -o actions.csv
    """
    conn = readonly(obj).conn
    reporting.require_migrated(conn, ledger(obj))
    if not output:
        exporting.export(conn, name, fmt, on_terminal(sys.stdout))
        return
    with open_output(output) as stream:  # all or nothing: a refused NAME leaves the file as it was
        count = exporting.export(conn, name, fmt, on_terminal(stream))  # -o /dev/tty: a terminal too
    click.echo(texts.analytics_exported(count, name, str(output)), err=True)


class _Escaped:
    """A terminal's text stream whose writes show control characters as their escapes."""

    def __init__(self, stream: IO[str]):
        self.stream = stream

    def write(self, text: str) -> int:
        return self.stream.write(terminal_safe(text))


def on_terminal(stream: IO[str]) -> exporting.Writable:
    """``stream``, escaped (render.terminal_safe) when it is a terminal: what people typed (a
    message's ESC [2J, OSC 52) must not drive it; a file or a pipe gets every character as stored."""
    return _Escaped(stream) if stream.isatty() else stream


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=PORT, default=8001, show_default=True)
@click.option(
    "--immutable",
    is_flag=True,
    help="Open as immutable: only for a copy nobody writes to any more (one on read-only storage too).",
)
@click.option(
    "--public",
    is_flag=True,
    help="Let another --host than a loopback address serve it: every answer, private ones too, without a login.",
)
@click.pass_obj
def explore(obj: Context, host: str, port: int, immutable: bool, public: bool) -> None:
    """Browse the ledger in Datasette, read-only, with every table and view described and
    canned queries for the standard measures (needs the 'explore' extra).

    \b
    Example:
      pip install -e '.[explore]' && decisionbot explore --port 8001
    """
    from bot.analytics import explore as exploring

    if not public and not loopback(host):  # Datasette has no login: the network would read it all
        raise BotError(texts.analytics_explore_public(host))
    ledger(obj)
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:  # uvicorn would log it, exit 3
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with listening(host, port):
            probe.bind((host, port))
    app = exploring.build(obj.db_path, immutable).app()  # a ledger it cannot serve is refused before "Datasette on"
    click.echo(texts.analytics_exploring(host, port, obj.db_path), err=True)
    exploring.serve(app, host, port)


@main.command("demo-data")
@click.option("--runs", type=click.IntRange(1, 100_000), default=60, show_default=True, help="How many triggered runs.")
@click.option(
    "--seed", type=int, default=1, show_default=True, help="The same seed on the same (UTC) day makes the same history."
)
@click.pass_obj
def demo_data(obj: Context, runs: int, seed: int) -> None:
    """Fill an empty ledger with a realistic synthetic history, made by driving the real engine
    with scripted answers and a moving clock over the last 13 weeks: several flows, sources,
    channels and people in several time zones; late and dropped actions; held and missed
    reviews; corrections; abandoned and cancelled runs.

    \b
    Example:
      decisionbot --db demo.db demo-data --runs 30 && decisionbot --db demo.db report
    """
    from bot.analytics import demo

    flows = obj.require_flows()  # before the ledger is made
    given = click.get_current_context().find_root().get_parameter_source("flows") is ParameterSource.COMMANDLINE
    summary = demo.fill(obj.db, flows, runs=runs, seed=seed, flows_given=str(flows) if given else None)
    click.echo(texts.analytics_demo_done(obj.db_path, summary))
