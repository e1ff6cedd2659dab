"""Putting a backup copy back in the ledger's place (``decisionbot db restore COPY``), never under a
process that has the ledger open.

A server that has the ledger open keeps writing to the file it opened: a copy put in its place by
hand (``cp``, ``mv``) is not seen, and what the server stores from then on goes to the replaced file,
lost at its next start; a ``-wal`` left beside the new file would be read on top of it. So the
restore refuses while any connection has the ledger open (every connection to a ledger in WAL mode
holds a shared lock on its file: the exclusive lock a probe asks for without waiting is refused),
folds a ``-wal`` a crash left into the ledger it puts aside (the probe, the last connection,
checkpoints it as it closes), checks the copy (a decisionbot ledger, SQLite's ``quick_check``), writes it
beside the ledger under a temporary name with the ledger's permissions, keeps the ledger it
replaces as ``decisions.before-restore-<UTC time>.db`` (nothing is lost), and renames the copy into
place.

A ledger SQLite cannot read (damaged: the reason to restore) is no reason to refuse: whether a
process holds it is then asked of its file locks (:mod:`bot.store.damage`), and it is put aside
with its ``-wal`` and ``-shm`` as they are, for whatever can still be read from it."""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from sqlite_utils import Database

from bot import config, texts
from bot.errors import BotError, ConfigError, LedgerDamaged
from bot.store import damage, migrations, upgrade_copy
from bot.store.opening import is_busy, open_readonly

#: A new ledger's permissions (less the umask), for a restore where there was none.
NEW_MODE = 0o640


def held(ledger: Path) -> bool:
    """Whether a connection (of any process) has ``ledger`` open (:func:`probe`)."""
    return probe(ledger)[0]


def probe(ledger: Path) -> tuple[bool, str | None]:
    """Whether a connection (of any process) has ``ledger`` open, and what SQLite says of a ledger
    it cannot read (None: it reads it). Asked without waiting, with SQLite's exclusive locking mode,
    which needs the file's exclusive lock to read it in WAL mode; of a file it cannot read, asked of
    the file's locks. Not held, the probe is the last connection and checkpoints a leftover ``-wal``
    as it closes."""
    if not ledger.exists():
        return False, None
    conn = sqlite3.connect(f"file:{quote(str(ledger.resolve()))}?mode=rw", uri=True, timeout=0, isolation_level=None)
    try:
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return False, None
    except sqlite3.DatabaseError as exc:
        if is_busy(exc):
            return True, None
        if not damage.is_damage(exc):
            raise
        problem = str(exc)
    finally:
        conn.close()  # first: closing a file descriptor of the file drops this process's locks on it
    return damage.locked(ledger), problem


def restore(copy: Path, ledger: Path) -> tuple[int, Path | None, str | None]:
    """``copy`` checked and put at ``ledger``'s path; its runs, where the ledger it replaced is
    kept (None: there was none), and what SQLite said of that ledger if it could not read it
    (damaged). A ``BotError`` (nothing changed) while the ledger is open, for a copy that is not a
    sound decisionbot ledger, or that is the ledger itself."""
    if ledger.is_dir():  # (not a traceback: "unable to open database file")
        raise BotError(texts.ledger_is_folder(str(ledger), config.BY_NAME["db"].env))
    if ledger.exists() and copy.resolve() == ledger.resolve():
        raise BotError(texts.cli_restore_same_file(str(copy)))
    damaged = _refuse_if_held(ledger)
    try:
        source = open_readonly(copy).conn  # not SQLite, another application's database: refused here
    except LedgerDamaged as exc:  # its words name a restore as the way out: COPY is a backup to restore
        raise BotError(texts.cli_restore_copy_damaged(str(copy), exc.problem)) from None
    except ConfigError as exc:  # its words name --db, but the file at fault is COPY
        raise BotError(texts.cli_restore_not_a_ledger(str(copy), str(exc))) from None
    if not Database(source)["runs"].exists():  # an empty file (SQLite's too): "The backup failed" was said
        source.close()
        raise BotError(texts.cli_restore_not_a_ledger(str(copy), texts.restore_no_runs(str(copy))))
    if unknown := migrations.unknown(Database(source)):  # this version would refuse to run on it
        source.close()
        raise BotError(texts.cli_restore_newer(str(copy), unknown))
    ledger.parent.mkdir(parents=True, exist_ok=True)  # a new machine: the ledger's folder, as serve makes it
    partial = ledger.with_name(ledger.name + ".restoring")
    mode = os.stat(ledger).st_mode & 0o777 if ledger.exists() else NEW_MODE
    try:
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode))
        os.chmod(partial, mode)  # the ledger's own: it holds what owners answered in private
        failed = functools.partial(texts.cli_restore_failed, folder=str(ledger.parent))  # a full disk, say
        runs, _size = upgrade_copy.copy_into(source, partial, failed)  # checked: a bad copy raises, nothing changed
        _refuse_if_held(ledger)  # a process that opened the ledger meanwhile keeps it
        aside = _put_aside(ledger)
        os.replace(partial, ledger)
    finally:
        source.close()
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return runs, aside, damaged


def _refuse_if_held(ledger: Path) -> str | None:
    """Refused while a process has the ledger open; what SQLite says of it if it cannot read it."""
    in_use, damaged = probe(ledger)
    if in_use:
        raise BotError(texts.cli_restore_in_use(str(ledger)))
    return damaged


def _put_aside(ledger: Path) -> Path | None:
    """The ledger renamed ``decisions.before-restore-<UTC time>.db`` beside it, with a ``-wal`` and
    ``-shm`` left beside it (one SQLite could not read: they go with it); None: none there."""
    if not ledger.exists():
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = ledger.with_name(f"{ledger.stem}.before-restore-{stamp}{ledger.suffix or '.db'}")
    n = 1
    while aside.exists():
        n += 1
        aside = ledger.with_name(f"{ledger.stem}.before-restore-{stamp}-{n}{ledger.suffix or '.db'}")
    damage.move_with_beside(ledger, aside)
    return aside
