"""What ``decisionbot serve`` settles before it makes or opens the ledger, and what a refused start
leaves behind: nothing.

The environment is checked first (each channel it turns on has its secrets, the settings parse,
the default channel is one), then the port is bound (``bot.cli_listen.bind``), and only then is the
ledger opened. What can only be known with the ledger open (a routes or checks file naming flows, a
platform refusing the credentials as the channels start) may still refuse the start: a ledger this
start created is then removed, with the folders it made for it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from bot import channels, config
from bot.channels import REGISTRY
from bot.triggers.router import default_channel

#: Beside a ledger: SQLite's write-ahead log and its index (WAL mode).
LEDGER_FILES = ("", "-wal", "-shm")


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


@contextlib.contextmanager
def nothing_left_if_refused(path: str) -> Iterator[Start]:
    """Around a start on the ledger at ``path``: refused (any exception) before ``serving`` is set,
    the ledger is closed (its ``-wal`` and ``-shm`` go with the last connection), and removed if this
    start created it, with the folders made for it, left empty; a ledger that was there is kept."""
    start = Start()
    ledger = Path(path)
    created = path != ":memory:" and not ledger.exists()
    made = [folder for folder in (ledger.parent, *ledger.parent.parents) if not folder.exists()]
    try:
        yield start
    except BaseException:
        if not start.serving:
            with contextlib.suppress(Exception):
                start.close_ledger()
            if created:
                _remove(ledger, made)
        raise


def _remove(ledger: Path, folders: list[Path]) -> None:
    """The ledger a refused start created, and the folders it made (deepest first), if empty."""
    for suffix in LEDGER_FILES:
        with contextlib.suppress(FileNotFoundError):
            Path(f"{ledger}{suffix}").unlink()
    for folder in folders:
        with contextlib.suppress(OSError):  # not empty: something else was put there meanwhile
            folder.rmdir()
