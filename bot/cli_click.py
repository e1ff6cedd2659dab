"""The ``decisionbot`` command's click classes: help that ends with its example (click's epilog), the
top group that translates errors (``BotError``, a system error, a busy or read-only ledger) into one
line and exit status 1, and options backed by a setting, whose bad value from the environment names
its variable."""

from __future__ import annotations

import errno
import inspect
import sqlite3
from contextlib import nullcontext, suppress
from typing import Any

import click
from click.core import ParameterSource

from bot import config, store, texts
from bot.cli_context import Context
from bot.errors import BotError
from bot.store import damage, migrations
from bot.texts import _common


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
    naming the ledger, or one damaged, naming the way back (a restore)."""

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        """A command; ``start``, which the chat knows, names the two that start a flow here."""
        if args and args[0] == "start" and "start" not in self.commands:
            ctx.fail(texts.cli_no_start_command())
        return super().resolve_command(ctx, args)

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
            raise click.ClickException(texts.cli_ledger_busy(path, store.opening.BUSY_TIMEOUT_MS / 1000)) from exc
        except sqlite3.DatabaseError as exc:  # a page of the ledger SQLite cannot read, met as a command reads it
            obj = ctx.find_object(Context)
            path = obj.db_path if obj is not None else str(config.get("db"))
            if not damage.is_damage(exc) or not damage.is_sqlite(path):
                raise
            raise click.ClickException(str(store.opening.unreadable(path, exc))) from exc

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
    """An option backed by a setting: its environment variable is read as every setting is
    (``config.get``: whitespace around it is not part of it, blank is its default), and a bad
    value that came from it names the variable, not an option the operator never typed."""

    def resolve_envvar_value(self, ctx: click.Context) -> str | None:
        value = super().resolve_envvar_value(ctx)
        return None if value is None else (value.strip() or None)

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


#: The largest id SQLite keeps (a 64-bit integer): a run id or --limit above it was a traceback
#: (OverflowError: Python int too large to convert to SQLite INTEGER).
ROW_ID_MAX = 2**63 - 1
#: A run's id as an argument or option.
ROW_ID = click.IntRange(max=ROW_ID_MAX)


class LedgerPath(click.ParamType):
    """``--db`` (``DECISIONBOT_DB``): a file's path. SQLite reads ``:memory:`` as a database lost
    when the process stops and ``file:...`` as a URI: ``serve`` wrote runs to one and named
    another (or nothing) as its ledger, backups and the operator's commands saw an empty file."""

    name = "path"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and (value == ":memory:" or value.startswith("file:")):
            self.fail(texts.cli_db_not_a_file(value), param, ctx)
        return value


class Day(click.ParamType):
    """A day written YYYY-MM-DD (``--since``, ``--until``), as a ``datetime`` at its midnight. One that
    does not exist (2026-02-30) is said so: click's own type said it did not match '%Y-%m-%d', which it does."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from datetime import datetime

        if isinstance(value, datetime):
            return value
        try:
            return datetime.strptime(str(value), "%Y-%m-%d")
        except ValueError as exc:
            self.fail(texts.cli_bad_day(str(value), str(exc)), param, ctx)
