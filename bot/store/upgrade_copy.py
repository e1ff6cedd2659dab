"""The copy of the ledger an upgrade takes before it changes anything: the way back.

A newer decisionbot brings an older ledger up to date, and an older one then refuses it (the
migrations it does not have), so going back to the version before needs the ledger as it was.
An operator told to take a ``db backup`` first may not have; so the process that applies the
migrations copies the ledger, as it was, beside it first (``decisions.before-upgrade-<UTC
time>.db``, where the unit may write), inside the write lock it migrates under, and names the
copy. A copy that cannot be made (the disk full) stops the upgrade: nothing is changed.

The copy is SQLite's online backup (one consistent snapshot, the WAL's commits included), checked
(``PRAGMA quick_check``), one self-contained file (no ``-wal``), with the ledger's own permissions,
written under a temporary name and renamed: ``decisionbot db backup`` makes its copies so too."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from bot import texts
from bot.errors import BotError, ConfigError


def copy_into(
    source: sqlite3.Connection, path: Path, failed: Callable[[str], str] = texts.cli_backup_failed
) -> tuple[int, int]:
    """Back ``source`` up into the file at ``path``; its runs and size in bytes once checked.
    A copy that fails or fails SQLite's check is a ``BotError``: ``failed`` says a failure (SQLite's
    words given), as the command that copies names itself (a backup, a restore)."""
    copy = sqlite3.connect(path, isolation_level=None)
    try:
        source.backup(copy)  # in one step: a single read snapshot, never restarted by a writer
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        problems = [row[0] for row in copy.execute("PRAGMA quick_check")]
        if problems != ["ok"]:
            raise BotError(texts.cli_backup_damaged(problems[:5]))
        runs = int(copy.execute("SELECT count(*) FROM runs").fetchone()[0])
    except sqlite3.Error as exc:
        raise BotError(failed(str(exc))) from exc
    finally:
        copy.close()
    return runs, path.stat().st_size


def name_for(ledger: Path, now: datetime) -> Path:
    """``data/decisions.db`` -> ``data/decisions.before-upgrade-20261130T012000Z.db`` (another
    name if that one is taken)."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    suffix = ledger.suffix or ".db"
    path = ledger.with_name(f"{ledger.stem}.before-upgrade-{stamp}{suffix}")
    n = 1
    while path.exists():
        n += 1
        path = ledger.with_name(f"{ledger.stem}.before-upgrade-{stamp}-{n}{suffix}")
    return path


def take(ledger: str | Path) -> Path:
    """Copy ``ledger`` as it is now beside it; the copy's path. Called with the write lock held
    (no commit can come between the copy and the migrations); read through a connection of its
    own (WAL: a reader is not held up by the lock). A ``ConfigError`` when it cannot be made."""
    ledger = Path(ledger)
    path = name_for(ledger, datetime.now(UTC))
    partial = path.with_name(path.name + ".partial")
    mode = os.stat(ledger).st_mode & 0o777
    source = sqlite3.connect(f"file:{quote(str(ledger.resolve()))}?mode=ro", uri=True, isolation_level=None)
    try:
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode))
        os.chmod(partial, mode)  # the ledger's own, whatever the umask: it holds what owners answered in private
        copy_into(source, partial)
        os.replace(partial, path)
    except (OSError, sqlite3.Error, BotError) as exc:
        with contextlib.suppress(OSError):
            partial.unlink()
        cause = exc.__cause__ if isinstance(exc, BotError) and exc.__cause__ is not None else exc  # SQLite's words
        problem = f"{exc.strerror}: {exc.filename}" if isinstance(exc, OSError) and exc.filename else str(cause)
        raise ConfigError(texts.ledger_upgrade_copy_failed(str(ledger), str(path), problem)) from exc
    finally:
        source.close()
    return path
