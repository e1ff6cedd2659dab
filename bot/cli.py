"""The ``decisionbot`` command: noun then verb, thin over the core.

Each command parses its options, calls the core and prints. Domain errors (``BotError``) are
turned into a message with the next step here, once; nothing below this module exits.
"""

from __future__ import annotations

import importlib
import json
import logging
import sqlite3
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from bot import config, texts
from bot.errors import BotError, FlowNotFound, RunNotFound

if TYPE_CHECKING:
    from sqlite_utils import Database

    from bot.dispatch import Dispatcher
from bot.render import render_run
from bot.store import migrations, open_db, transcript


class Context:
    def __init__(self, db_path: str, flows_dir: str):
        self.db_path = db_path
        self.flows_dir = Path(flows_dir)
        self._db = None

    @property
    def db(self):
        if self._db is None:
            self._db = open_db(self.db_path, synchronous=config.synchronous())
        return self._db

    def existing_ledger(self) -> str:
        """The ledger's path, once it is known to exist: a command that only reads never creates
        one (a mistyped --db would otherwise answer from a new, empty ledger)."""
        if not Path(self.db_path).is_file():
            raise BotError(texts.analytics_no_ledger(self.db_path))
        return self.db_path

    @property
    def ledger(self) -> Database:
        """The ledger, for a command that only reads: it must exist (see ``existing_ledger``)."""
        self.existing_ledger()
        return self.db

    def check_flow(self, conn: sqlite3.Connection, flow: str | None) -> None:
        """Refuse a ``--flow`` filter that names no flow of the folder or the ledger: an empty
        answer would read as 'nothing yet' rather than as the typo it is."""
        if flow is None:
            return
        from bot.engine.reader import flow_files  # the engine loads only for commands that need it

        known = {path.stem for path in flow_files(self.flows_dir)} | transcript.flow_ids(conn)
        if flow not in known:
            raise FlowNotFound(texts.cli_unknown_flow_filter(flow, sorted(known), str(self.flows_dir)))

    def dispatcher(self) -> Dispatcher:
        from bot.dispatch import Dispatcher, FlowCatalog  # the engine loads only for commands that need it

        return Dispatcher(self.db, FlowCatalog(self.flows_dir, self.db), config.timezone())


class Group(click.Group):
    """Translates BotError into a one-line message and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            result = super().invoke(ctx)
        except BotError as exc:
            raise click.ClickException(str(exc)) from exc
        obj = ctx.find_object(Context)
        if obj is not None and obj._db is not None:  # the command wrote: index its messages now
            migrations.catch_up(obj._db)
        return result


def _setting_option(name: str, flag: str) -> Any:
    s = config.BY_NAME[name]
    return click.option(flag, envvar=s.env, default=s.default, show_default=True, help=f"{s.help} [env {s.env}]")


def output_options(fn: Any) -> Any:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(fn)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@_setting_option("db", "--db")
@_setting_option("flows", "--flows")
@click.version_option(package_name="decisionbot")
@click.pass_context
def main(ctx: click.Context, db: str, flows: str) -> None:
    """decisionbot: decisions from alerts and meetings, walked through in chat and kept in SQLite.

    \b
    Example:
      decisionbot chat post_meeting --data title="Weekly sync"
    """
    ctx.obj = Context(db, flows)


def _data(items: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(texts.cli_bad_data(item), param_hint="--data")
        out[key.strip()] = value
    return out


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
@click.option("--limit", default=100, show_default=True)
@output_options
@click.pass_obj
def runs_list(obj: Context, status: str | None, flow: str | None, limit: int, as_json: bool) -> None:
    """List runs, newest first.

    \b
    Example:
      decisionbot runs list --status completed --json
    """
    conn = obj.ledger.conn
    obj.check_flow(conn, flow)
    rows = transcript.list_runs(conn, status, flow, limit)
    _print_rows(rows, as_json, ["id", "flow", "status", "state", "channel", "title", "started_at"])


@runs_group.command("show")
@click.argument("run_id", type=int)
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
    if as_json:
        click.echo(json.dumps(detail, indent=2, default=str))
        return
    click.echo(render_run(detail))


# --- serve -------------------------------------------------------------------------------------


@main.command()
@_setting_option("host", "--host")
@click.option(
    "--port",
    envvar=config.BY_NAME["port"].env,
    default=int(config.BY_NAME["port"].default or 3978),
    show_default=True,
    help=f"{config.BY_NAME['port'].help} [env {config.BY_NAME['port'].env}]",
)
@click.pass_obj
def serve(obj: Context, host: str, port: int) -> None:
    """Serve the chat channels and trigger hooks over HTTP, with /healthz.

    Channels turn on from the environment (Slack: SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET, or
    SLACK_APP_TOKEN for Socket Mode; Teams: MicrosoftAppId / MicrosoftAppPassword, or
    DECISIONBOT_TEAMS=on for local development without authentication); a channel
    whose secrets are incomplete stops the start with the name of the missing variable.

    \b
    Example:
      SLACK_BOT_TOKEN=xoxb-... SLACK_SIGNING_SECRET=... decisionbot serve --port 3978
    """
    from aiohttp import web

    from bot.server import channel_names, create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(obj.db_path, obj.flows_dir)

    async def announce(app: web.Application) -> None:  # once the channels have started (Slack's auth.test ...)
        click.echo(texts.channels_on(channel_names(app), host, port))

    app.on_startup.append(announce)
    web.run_app(app, host=host, port=port, print=None)


# --- db ----------------------------------------------------------------------------------------


@main.group("db")
def db_group() -> None:
    """Manage the SQLite ledger.

    \b
    Example:
      decisionbot db migrate
    """


@db_group.command("migrate")
@click.pass_obj
def db_migrate(obj: Context) -> None:
    """Create the ledger or bring its schema up to date, and index new messages (safe to repeat).

    \b
    Example:
      decisionbot --db data/decisions.db db migrate
    """
    db = open_db(obj.db_path, migrate=False)
    applied = migrations.apply(db)
    migrations.catch_up(db)
    click.echo(texts.cli_migrated(obj.db_path, applied))


# --- output ------------------------------------------------------------------------------------


def open_output(path: Path, binary: bool = False) -> IO[Any]:
    """Open the file of an ``-o`` option for writing, making its folder first (every ``-o`` does,
    ``teams package`` too); a path that cannot be written is a one-line error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.open("wb") if binary else path.open("w", encoding="utf-8", newline="")
    except OSError as exc:
        raise BotError(texts.cli_cannot_write(str(path), exc.strerror or str(exc))) from exc


def _print_rows(rows: list[dict[str, Any]], as_json: bool, columns: list[str] | None = None) -> None:
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    if not rows:
        click.echo("(none)")
        return
    columns = columns or list(rows[0])
    widths = {c: min(40, max(len(c), *(len(str(r.get(c) or "")) for r in rows))) for c in columns}
    click.echo("  ".join(c.ljust(widths[c]) for c in columns))
    for row in rows:
        click.echo("  ".join(str(row.get(c) or "")[: widths[c]].ljust(widths[c]) for c in columns))


#: Modules that add commands to ``main`` (each defines its own ``@main.command`` / groups);
#: imported last so they can import ``main`` from here.
COMMAND_MODULES: tuple[str, ...] = (
    "bot.cli_chat",
    "bot.cli_flows",
    "bot.cli_rasa",
    "bot.cli_analytics",
    "bot.cli_triggers",
    "bot.cli_teams",
)

for _module in COMMAND_MODULES:
    importlib.import_module(_module)
