"""The ``decisionbot`` command: noun then verb, thin over the core.

Each command parses its options, calls the core and prints. Domain errors (``BotError``) are
turned into a message with the next step here, once; nothing below this module exits.
"""

from __future__ import annotations

import errno
import importlib
import inspect
import ipaddress
import json
import os
import socket
import sqlite3
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from bot import config, log_lines, texts
from bot.errors import BotError, ConfigError, FlowNotFound
from bot.render import terminal_safe
from bot.texts import _common

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from datetime import datetime

    from sqlite_utils import Database

    from bot.dispatch import Dispatcher
    from bot.flow_catalog import FlowCatalog
from bot import store
from bot.store import migrations, open_db, transcript, utc_now


def _say_on_stderr(line: str) -> None:
    """A note beside the command's output (``--jsonl`` and ``--json`` keep standard output clean)."""
    click.echo(line, err=True)


class Context:
    def __init__(self, db_path: str, flows_dir: str):
        self.db_path = db_path
        self.flows_dir = Path(flows_dir)
        self._db = None
        self._ledger: Database | None = None

    @property
    def db(self):
        if self._db is None:
            self._db = open_db(self.db_path, synchronous=config.synchronous(), say=_say_on_stderr)
        return self._db

    def existing_ledger(self, for_analysts: bool = False) -> str:
        """The ledger's path, once it is known to exist: a command that only reads never creates
        one (a mistyped --db would otherwise answer from a new, empty ledger). The hint is the
        operator's (the ledger ``serve`` writes), or for the analysts' commands, ``demo-data``."""
        if not Path(self.db_path).is_file():
            if for_analysts:
                raise BotError(texts.analytics_no_ledger(self.db_path))
            raise BotError(texts.cli_no_ledger(self.db_path, config.BY_NAME["db"].env))
        return self.db_path

    @property
    def ledger(self) -> Database:
        """The ledger, for a command that only reads (``runs list|show|invite``, ``jobs list``): read
        as it is, never migrated (a newer decisionbot would upgrade the server's ledger under it)."""
        if self._ledger is None:
            from bot.analytics.report import connect  # read-only; refuses an out-of-date ledger

            self._ledger = store.Database(connect(self.existing_ledger()))
        return self._ledger

    def require_flows(self) -> Path:
        """The flows folder, for a command that runs flows: it must exist and hold a flow file
        (a mistyped --flows would otherwise serve, or validate, nothing)."""
        from bot.engine.reader import flow_files  # the engine loads only for commands that need it

        if not self.flows_dir.is_dir() or not flow_files(self.flows_dir):
            env = config.BY_NAME["flows"].env
            raise ConfigError(texts.cli_no_flows(str(self.flows_dir), self.flows_dir.is_dir(), env))
        return self.flows_dir

    def check_flow(self, conn: sqlite3.Connection, flow: str | None) -> None:
        """Refuse a ``--flow`` filter that names no flow of the folder or the ledger: an empty
        answer would read as 'nothing yet' rather than as the typo it is."""
        if flow is None:
            return
        from bot.engine.reader import flow_files  # the engine loads only for commands that need it

        known = {path.stem for path in flow_files(self.flows_dir)} | transcript.flow_ids(conn)
        if flow not in known:
            raise FlowNotFound(texts.cli_unknown_flow_filter(flow, sorted(known), str(self.flows_dir)))

    def catalog(self, db: Database | None = None, flow: str | None = None) -> FlowCatalog:
        """The flows of the folder (on the ledger, or ``db``); a refused flow file is said on
        standard error, once, and the other flows run (``flow``, the one the command is about, is
        not warned of: getting it says why it is refused)."""
        from bot.flow_catalog import FlowCatalog  # the engine loads only for commands that need it

        folder = self.require_flows()  # before the ledger is opened (or made)
        catalog = FlowCatalog(folder, self.db if db is None else db)
        for refusal in catalog.refusals(but=flow):
            click.echo(texts.cli_warning(refusal), err=True)
        return catalog

    def dispatcher(self, clock: Callable[[], datetime] | None = None, flow: str | None = None) -> Dispatcher:
        from bot.dispatch import Dispatcher  # the engine loads only for commands that need it
        from bot.store.people import stored_zone

        catalog = self.catalog(flow=flow)
        db, tz = self.db, config.timezone()
        return Dispatcher(  # people's own zones, as their platforms reported them, as the server uses
            db,
            catalog,
            tz,
            clock=clock or utc_now,
            tz_for=lambda actor: stored_zone(db.conn, actor) or tz,
            quiet=config.quiet_hours(),
        )


def _example_as_epilog(kwargs: dict[str, Any]) -> None:
    """A docstring's closing 'Example:' block becomes the epilog, so --help prints it after the
    options (the docstring keeps it next to the code it shows)."""
    text = inspect.cleandoc(kwargs.get("help") or "")
    at = text.find("\b\nExample")
    if at >= 0 and not kwargs.get("epilog"):
        kwargs["help"], kwargs["epilog"] = text[:at].rstrip(), text[at:]


class Command(click.Command):
    """A command whose help ends with its example, after the options."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _example_as_epilog(kwargs)
        super().__init__(*args, **kwargs)


class CommandGroup(click.Group):
    """A group of commands (runs, flows, ...) whose help ends with its example, as its commands' do."""

    command_class = Command
    group_class: type[click.Group] | type[type] | None = type  # its subgroups are CommandGroups too

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _example_as_epilog(kwargs)
        super().__init__(*args, **kwargs)


class Group(CommandGroup):
    """Translates BotError into a one-line message and exit status 1; so is an error of the
    system (a file or a port) nothing below translated, naming the file when it has one; so is a
    ledger another process keeps locked past the busy timeout, or one this user may only read,
    naming the ledger."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return self._invoke(ctx)
        except sqlite3.OperationalError as exc:
            obj = ctx.find_object(Context)
            path = obj.db_path if obj is not None else str(config.get("db"))
            if store.is_read_only(exc):  # a ledger this user may only read, for a command that writes
                raise click.ClickException(texts.ledger_read_only(path, None, config.BY_NAME["db"].env)) from exc
            if not store.is_busy(exc):
                raise
            raise click.ClickException(texts.cli_ledger_busy(path, store.BUSY_TIMEOUT_MS / 1000)) from exc

    def _invoke(self, ctx: click.Context) -> Any:
        ended = False
        try:
            result = super().invoke(ctx)
            ended = True
        except BotError as exc:
            raise click.ClickException(str(exc)) from exc
        except OSError as exc:
            if exc.errno == errno.EPIPE:  # output piped into `head`: click ends quietly
                raise
            raise click.ClickException(texts.cli_system_error(exc.strerror or str(exc), exc.filename)) from exc
        finally:  # what the command wrote, even one that stopped half-way, is searchable at once
            _common.typed_options.clear()  # this command's: not a later one's in the same process
            obj = ctx.find_object(Context)
            if obj is not None and obj._db is not None:
                with nullcontext() if ended else suppress(sqlite3.Error):  # never hide the command's own error
                    migrations.catch_up(obj._db)
        return result

    group_class = CommandGroup  # its groups do not translate errors again: this one does


class SettingOption(click.Option):
    """An option backed by a setting: a bad value that came from its environment variable names
    the variable, not an option the operator never typed."""

    def get_error_hint(self, ctx: click.Context | None) -> str:
        if ctx is not None and ctx.get_parameter_source(self.name or "") is ParameterSource.ENVIRONMENT:
            return texts.cli_env_hint(str(self.envvar))
        return super().get_error_hint(ctx)


def _setting_option(name: str, flag: str, **kwargs: Any) -> Any:
    s = config.BY_NAME[name]
    return click.option(
        flag,
        cls=SettingOption,
        envvar=s.env,
        default=s.default,
        show_default=True,
        help=f"{s.help} [env {s.env}]",
        **kwargs,
    )


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class PortType(click.types.IntParamType):
    """A TCP port, 1 to 65535 (bind() would fail with a traceback on anything else)."""

    name = "port"  # "'abc' is not a valid port."

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        port = int(super().convert(value, param, ctx))
        if not 1 <= port <= 65535:
            self.fail(texts.cli_bad_port(port), param, ctx)
        return port

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:  # click 8.1 and 8.2
        return "INTEGER"


PORT = PortType()


#: What binding a port fails with: taken, an address not this machine's, a port only root may use.
LISTEN_ERRORS = (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES)


def listen_error(host: str, port: int, exc: OSError) -> OSError | BotError:
    """A port that cannot be listened on, as one line; any other OSError (a channel's start-up
    failing to reach its platform) as it is, for the CLI's general translation."""
    if not (isinstance(exc, socket.gaierror) or exc.errno in LISTEN_ERRORS):
        return exc
    problem = os.strerror(exc.errno) if exc.errno and exc.errno > 0 else str(exc)
    if isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
        blame = "host"
    else:
        blame = "denied" if exc.errno == errno.EACCES else "busy"
    return BotError(texts.cli_cannot_listen(host, port, problem, blame))


@contextmanager
def listening(host: str, port: int) -> Iterator[None]:
    """Around what binds ``host:port``: a port that cannot be listened on is a one-line error;
    any other OSError goes on to the CLI's general translation."""
    try:
        yield
    except OSError as exc:
        refused = listen_error(host, port, exc)
        if refused is exc:
            raise
        raise refused from exc


def loopback(host: str) -> bool:
    """Only this machine can reach the address: localhost or a loopback IP."""
    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
    config.say_misnamed(os.environ, _say_on_stderr)  # the option each was meant for stays at its default
    typed: list[str] = []  # pasted, a hint runs on this ledger and these flows too
    for name, value in (("db", db), ("flows", flows)):
        if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE:
            typed += [f"--{name}", value]
    _common.typed_options[:] = typed


def _data(items: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(texts.cli_bad_data(item), param_hint="--data")
        out[key.strip()] = value
    return out


# --- serve -------------------------------------------------------------------------------------


@main.command()
@_setting_option("host", "--host")
@_setting_option("port", "--port", type=PORT)
@_setting_option("log_level", "--log-level", type=click.Choice(LOG_LEVELS, case_sensitive=False))
@click.pass_obj
def serve(obj: Context, host: str, port: int, log_level: str) -> None:
    """Serve the chat channels and trigger hooks over HTTP, with /healthz.

    Channels turn on from the environment (Slack: SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET, or
    SLACK_APP_TOKEN for Socket Mode; Teams: MicrosoftAppId / MicrosoftAppPassword, or
    DECISIONBOT_TEAMS=on for local development without authentication, on a loopback --host
    only); a channel whose secrets are incomplete, or refused at start-up (Slack's token, the
    Teams bot's credentials by Azure AD), stops the start with the name of the variable to fix.

    Secrets are never logged, at any level.

    \b
    Example:
      SLACK_BOT_TOKEN=xoxb-... SLACK_SIGNING_SECRET=... decisionbot serve --port 3978
    """
    from bot.channels.teams_switch import SWITCH, asked_by
    from bot.server import channel_names, create_app, run

    if asked_by(os.environ) == SWITCH and not loopback(host):  # Teams without authentication
        raise BotError(texts.teams_open_without_auth(host))
    log_lines.configure(log_level)  # what a client sent never starts a line of the log
    app = create_app(obj.db_path, obj.require_flows(), settle_heap=True)

    def announce(_banner: str) -> None:  # once the channels have started and the port is listened on
        click.echo(texts.channels_on(channel_names(app), host, port))

    with listening(host, port):  # binding the port (a channel's start-up errors pass through)
        run(app, host, port, announce)


# --- output ------------------------------------------------------------------------------------


def _print_rows(rows: list[dict[str, Any]], as_json: bool, columns: list[str] | None = None) -> None:
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    if not rows:
        click.echo("(none)")
        return
    columns = columns or list(rows[0])
    shown = [{c: _cell(row.get(c)) for c in columns} for row in rows]
    widths = {c: min(40, max(len(c), *(len(r[c]) for r in shown))) for c in columns}
    last = columns[-1]  # the last column is not cut: nothing follows it (a search's snippet, a title)
    click.echo("  ".join(c.ljust(widths[c]) for c in columns).rstrip())
    for row in shown:
        cells = [row[c] if c == last else row[c][: widths[c]].ljust(widths[c]) for c in columns]
        click.echo("  ".join(cells).rstrip())


def _cell(value: Any) -> str:
    """A value on one line of a table: line breaks become spaces, a list (whom a run waits for)
    its items comma-separated, control characters their escapes (``terminal_safe``)."""
    if isinstance(value, list):
        value = ", ".join(map(str, value))
    return terminal_safe(" ".join(str(value or "").splitlines()))


#: Modules that add commands to ``main`` (each defines its own ``@main.command`` / groups);
#: imported last so they can import ``main`` from here.
COMMAND_MODULES: tuple[str, ...] = (
    "bot.cli_runs",
    "bot.cli_chat",
    "bot.cli_flows",
    "bot.cli_rasa",
    "bot.cli_analytics",
    "bot.cli_triggers",
    "bot.cli_validate",
    "bot.cli_teams",
    "bot.cli_db",
)

for _module in COMMAND_MODULES:
    importlib.import_module(_module)
