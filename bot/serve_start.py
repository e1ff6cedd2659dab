"""What ``decisionbot serve`` settles before it makes or opens the ledger, and what a refused start
leaves behind: nothing.

The environment is checked first (each channel it turns on has its secrets, the settings parse,
the default channel is one), then the port is bound (``bot.cli_listen.bind``), and only then is the
ledger opened. What can only be known with the ledger open (a routes or checks file naming flows, a
platform refusing the credentials as the channels start) may still refuse the start: a ledger this
start created is then removed, with the folders it made for it, unless it is no longer as a new
ledger is: another process (a second ``serve``, cron's ``jobs run-due``, an operator's ``db
migrate``) may open the ledger while this start waits on its platform, and what it holds or wrote
is kept. A start stopped by a signal before it serves (:func:`stopped_before_serving`) leaves
nothing behind by the same rule, and says so.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import FrameType
from urllib.parse import quote

import click
from aiohttp.web_runner import GracefulExit

from bot import channels, config, log_lines, texts
from bot.channels import REGISTRY
from bot.store import open_db
from bot.triggers.router import default_channel

#: Beside a ledger: SQLite's write-ahead log and its index (WAL mode).
LEDGER_FILES = ("", "-wal", "-shm")

#: The signals that stop a server (a service manager's SIGTERM, Ctrl+C's SIGINT), at any time.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def hang_up(_signum: int | None = None, _frame: FrameType | None = None) -> None:
    """SIGHUP (``kill -HUP``, a reload out of habit; the terminal it was started in closed): logged
    and ignored. Its default ended the server at once, without a word, its replies in flight, and
    systemd's ``Restart=on-failure`` took that for a clean stop."""
    logging.getLogger(log_lines.SERVICE).info(texts.hang_up_ignored())


def refuse_misconfigured(env: Mapping[str, str]) -> None:
    """Raise ConfigError, naming the variable, for what the environment gets wrong: a channel it
    turns on without that channel's library or a secret, a setting that does not parse, a default
    channel that is no channel. Nothing is made or opened for it."""
    channels.load_builtin(env)  # a channel asked for whose extra is not installed
    for cls in REGISTRY.values():
        if cls.configured(env):  # (DECISIONBOT_TEAMS of another value than on or off: refused here)
            cls.check_secrets(env)
    config.timezone()
    config.quiet_hours()
    config.synchronous()
    default_channel(env)


class Start:
    """One start of the server: whether it serves yet, and what closes the ledger it opened."""

    def __init__(self) -> None:
        self.serving = False
        self.close_ledger: Callable[[], None] = lambda: None
        #: The signal that stopped it (:data:`STOP_SIGNALS`), if one did.
        self.stopped_by: int | None = None

    def stop(self, signum: int, _frame: FrameType | None = None) -> None:
        """A stop signal: noted, then aiohttp's graceful exit (a server serving stops as ever; a
        start not serving yet ends in :func:`stopped_before_serving`)."""
        self.stopped_by = signum
        raise GracefulExit


@contextlib.contextmanager
def stopped_before_serving(start: Start) -> Iterator[None]:
    """Around a start, within :func:`nothing_left_if_refused`: a stop signal before ``serving`` is
    set (Slack slow to answer auth.test, the ledger being opened) stops the start as a refusal does
    (its new, untouched ledger removed), with a line saying so, and exits 128 + the signal (143 for
    SIGTERM), as a process ended by it would. The event loop's handlers (``bot.server.run``) call
    ``start.stop`` too; these cover the start before the loop runs."""
    previous = {signum: signal.signal(signum, start.stop) for signum in STOP_SIGNALS}
    previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, hang_up)
    try:
        yield
    except GracefulExit:
        if start.stopped_by is None:
            raise
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if start.stopped_by is not None and not start.serving:
        code = 128 + start.stopped_by
        logging.getLogger(log_lines.SERVICE).info(texts.start_stopped(signal.Signals(start.stopped_by).name, code))
        raise click.exceptions.Exit(code)


@contextlib.contextmanager
def nothing_left_if_refused(path: str) -> Iterator[Start]:
    """Around a start on the ledger at ``path``: refused (any exception) before ``serving`` is set,
    the ledger is closed (its ``-wal`` and ``-shm`` go with the last connection), and removed if this
    start created it and it is still as new (:func:`untouched`), with the folders made for it, left
    empty; a ledger that was there is kept."""
    start = Start()
    ledger = Path(path).resolve()  # a link's target, as SQLite opens it: the link itself is kept
    created = path != ":memory:" and not ledger.exists()
    made = [folder for folder in (ledger.parent, *ledger.parent.parents) if not folder.exists()]
    try:
        yield start
    except BaseException:
        if not start.serving:
            with contextlib.suppress(Exception):
                start.close_ledger()
            if created and untouched(ledger):
                _remove(ledger, made)
        raise


def untouched(ledger: Path) -> bool:
    """No other connection holds the ledger (SQLite removes its ``-wal`` and ``-shm`` as the last
    one closes), and it holds what a new ledger holds, table by table: nothing another process (or
    a channel's first turn) wrote to it. Asked again after looking, so that a process that opened
    it meanwhile keeps it."""
    if _held(ledger) or not ledger.is_file():
        return False
    try:
        with contextlib.closing(sqlite3.connect(f"file:{quote(str(ledger))}?mode=rw", uri=True)) as conn:
            rows = _rows(conn)
    except sqlite3.Error:
        return False
    new = open_db(":memory:")
    try:
        return rows == _rows(new.conn) and not _held(ledger)
    finally:
        new.close()


def _held(ledger: Path) -> bool:
    return any(Path(f"{ledger}{suffix}").exists() for suffix in LEDGER_FILES[1:])


def _rows(conn: sqlite3.Connection) -> dict[str, int]:
    """Each table's rows (virtual tables' by their shadow tables), by name."""
    names = [
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name"
        )
    ]
    return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}


def _remove(ledger: Path, folders: list[Path]) -> None:
    """The ledger a refused start created, and the folders it made (deepest first), if empty. Its
    ``-wal`` and ``-shm`` went with the last connection (:func:`untouched`): any there now are a
    process's that opened it since, and theirs."""
    with contextlib.suppress(FileNotFoundError):
        ledger.unlink()
    for folder in folders:
        with contextlib.suppress(OSError):  # not empty: something else was put there meanwhile
            folder.rmdir()
