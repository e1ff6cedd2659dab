"""The ``decisionbot`` command: noun then verb, thin over the core.

Each command parses its options, calls the core and prints. Domain errors (``BotError``) are
turned into a message with the next step by its group (``bot/cli_click.py``), once; nothing below
this module exits.
"""

from __future__ import annotations

import importlib
import json
import os
from typing import Any

import click
from click.core import ParameterSource

from bot import config, log_lines, texts
from bot.cli_click import Group, LedgerPath, _setting_option
from bot.cli_context import Context, _say_on_stderr
from bot.cli_listen import LOG_LEVELS, PORT, bind, listening, loopback, released
from bot.errors import BotError
from bot.render import terminal_safe
from bot.texts import _common
from bot.triggers import PERSON_ID_MAX, bad_person, names_nobody


def output_options(fn: Any) -> Any:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(fn)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@_setting_option("db", "--db", type=LedgerPath())
@_setting_option("flows", "--flows")
@click.version_option(package_name="decisionbot")
@click.pass_context
def main(ctx: click.Context, db: str, flows: str) -> None:
    """decisionbot: decisions from alerts and meetings, walked through in chat and kept in SQLite.

    --db and --flows go before the command (decisionbot --db /srv/bot/decisions.db runs list);
    each command's own options after it (decisionbot serve --port 3978). A relative path is read
    in the folder the command runs in.

    \b
    Example:
      decisionbot chat post_meeting --data title="Weekly sync"
    """
    ctx.obj = Context(db, flows)
    ctx.call_on_close(ctx.obj.close)
    config.say_misnamed(os.environ, _say_on_stderr)  # the option each was meant for stays at its default
    typed: list[str] = []  # pasted, a hint runs on this ledger and these flows too
    logged = ctx.invoked_subcommand in SERVERS  # a hint in a server's log is pasted in another folder, env
    for name, value in (("db", db), ("flows", flows)):
        if logged:  # blank: the default, as the server reads it; a link's own path, not a release's it points to
            typed += [f"--{name}", os.path.abspath(value.strip() or str(config.BY_NAME[name].default))]
        elif ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE:
            typed += [f"--{name}", value]
    _common.typed_options[:] = typed


#: The commands whose hints go to a log (``slack retry ...`` for an event given up): they name the
#: ledger and the flows by their whole paths, which a systemd unit gives by environment or default.
SERVERS = ("serve", "rasa-actions")


def _data(items: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(texts.cli_bad_data(item), param_hint="--data")
        out[key.strip()] = value
    return out


#: The options that name one person (the others take a comma-separated list); the terminal's
#: ``/as NAME`` and a JSON line's ``"as"`` too.
ONE_PERSON_OPTIONS = ("--facilitator", "--as", "/as", '"as"')


def refuse_bad_people(*options: tuple[str, str | None]) -> None:
    """Each ``(option, value)`` naming people refused (``BotError``, naming the option) when a
    value is no platform's id of a person: before the ledger is opened, so nothing is written."""
    for option, given in options:
        if option in ONE_PERSON_OPTIONS and given is not None and (not given.strip() or "," in given):
            raise BotError(
                texts.cli_not_one_person(option, given)
            )  # '-f ""', '-f U1,U2': a run led by nobody, or by "U1,U2"
        if given and (bad := bad_person(given)) is not None:
            raise BotError(texts.bad_person(option, bad, PERSON_ID_MAX, names_nobody(bad)))


# --- serve -------------------------------------------------------------------------------------


@main.command()
@_setting_option("host", "--host")
@_setting_option("port", "--port", type=PORT)
@_setting_option("log_level", "--log-level", type=click.Choice(LOG_LEVELS, case_sensitive=False))
@click.pass_obj
def serve(obj: Context, host: str, port: int, log_level: str) -> None:
    """Serve the chat channels and trigger hooks over HTTP, with /healthz.

    Channels turn on from the environment (Slack: SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET, or
    with SLACK_APP_TOKEN for Socket Mode; Teams: MicrosoftAppId / MicrosoftAppPassword, or
    DECISIONBOT_TEAMS=on for local development without authentication, on a loopback --host
    only); a channel whose secrets are incomplete, or refused at start-up (Slack's token, the
    Teams bot's credentials by Azure AD), stops the start with the name of the variable to fix.
    The trigger hooks are served with DECISIONBOT_HOOK_TOKEN set, /metrics with
    DECISIONBOT_METRICS_TOKEN.

    It writes the ledger --db (made if missing) and runs the flows of --flows, both given before
    'serve' (decisionbot --db /srv/bot/decisions.db serve). A refused start leaves no new, untouched ledger behind;
    nor does one stopped (SIGTERM, Ctrl+C) before it serves, which exits 128 + the signal (143 for SIGTERM).

    Secrets are never logged, at any level.

    \b
    Example:
      SLACK_BOT_TOKEN=xoxb-... SLACK_SIGNING_SECRET=... decisionbot serve --port 3978
    """
    from bot.channels.teams_switch import SWITCH, asked_by
    from bot.serve_start import nothing_left_if_refused, refuse_misconfigured, stopped_before_serving
    from bot.server import channel_names, close_ledger, create_app, ledger_path, run

    if asked_by(os.environ) == SWITCH and not loopback(host):  # Teams without authentication
        raise BotError(texts.teams_open_without_auth(host))
    log_lines.configure(log_level)  # what a client sent never starts a line of the log
    refuse_misconfigured(config.environment(os.environ))  # before the port and the ledger
    flows = obj.require_flows()
    with listening(host, port):  # a port that cannot be listened on: before the ledger is made
        sockets = bind(host, port)
    with released(sockets), nothing_left_if_refused(ledger_path(obj.db_path)) as start, stopped_before_serving(start):
        app = create_app(obj.db_path, flows, settle_heap=True)
        start.close_ledger = lambda: close_ledger(app)

        def announce(_banner: str) -> None:  # once the channels have started and the port is listened on
            start.serving = True
            click.echo(texts.channels_on(channel_names(app), host, port))

        with listening(host, port):  # listening on the bound port (a channel's start-up errors pass through)
            run(app, sockets, announce, start.stop)


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
    "bot.cli_slack",
    "bot.cli_db",
)

for _module in COMMAND_MODULES:
    importlib.import_module(_module)
