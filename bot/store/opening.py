"""Opening the ledger: the file made private, WAL, the schema brought up to date, another
application's file or a newer version's ledger refused before anything is written; the
read-only connections analysts' queries use; and the WAL's checkpoint, run off the turn's path.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from sqlite_utils import Database

from bot import config, log_lines, texts
from bot.errors import ConfigError, LedgerDamaged
from bot.store import backup_keep, damage, migrations, upgrade_copy
from bot.store.write_lock import is_busy

_DB_ENV = config.BY_NAME["db"].env
_service_log = logging.getLogger(log_lines.SERVICE)  # an upgrade is said at every log level
#: How long a connection waits for the write lock another process holds before SQLite gives up
#: with "database is locked" (``sqlite3.OperationalError``, SQLITE_BUSY).
BUSY_TIMEOUT_MS = 30_000

#: How large the WAL may grow. Under steady writes a passive checkpoint never finds the WAL all
#: copied with no write begun, so SQLite never starts it over by itself: a server answering 300
#: Slack turns a second without pause grew it by 40 MB a second (a turn commits about thirty pages
#: of tables and indexes), past a gigabyte in a minute, and the file kept its largest size for
#: good. Past this a checkpoint starts it over (see :func:`checkpoint`), and SQLite cuts the file
#: back to this when it does (``journal_size_limit``). A high mark, not a routine: starting over
#: holds the write lock for 3-30 ms, and cutting a file back takes the next write a while (at
#: 256 MB, under that load, the p99 acknowledgement at 500 turns/s went from 5-15 ms to 17-40 ms).
WAL_BOUND_BYTES = 1024 * 1024 * 1024

#: How long starting the WAL over waits for other connections' writes and reads to end (in a
#: worker thread in the server, so the loop goes on; busy after that: the next checkpoint tries).
WAL_RESTART_WAIT_MS = 100


#: The tables the first core migration creates: a file that has one without that migration's
#: record was made by something else.
CORE_TABLES = frozenset(re.findall(r"CREATE TABLE (\w+)", "\n".join(migrations.INITIAL)))


def open_db(
    path: str | Path,
    *,
    migrate: bool = True,
    synchronous: str = "NORMAL",
    say: Callable[[str], None] = _service_log.info,
    wal_bound: int = WAL_BOUND_BYTES,  # what its WAL is cut back to, and started over past (checkpoint)
) -> Database:
    """Open (creating if needed) the ledger at ``path`` and bring its schema up to date; ``say``
    is told what an upgrade applied to a ledger an older version made (a new one: nothing).

    A path that cannot hold a ledger (a folder, a file that is not SQLite, another application's
    database, a ledger a newer version brought up to date) is refused with a ``ConfigError``
    naming it, before anything is written to it; a damaged ledger too, with the way back (a
    restore). A ledger this call creates and cannot finish (its disk full) is removed again, with
    the folders made for it: :func:`open_upgraded`."""
    db, applied, copy = open_upgraded(path, migrate=migrate, synchronous=synchronous, wal_bound=wal_bound)
    if copy is not None:
        say(texts.ledger_migrated(str(path), applied, str(copy)))
    return db


def open_upgraded(
    path: str | Path, *, migrate: bool = True, synchronous: str = "NORMAL", wal_bound: int = WAL_BOUND_BYTES
) -> tuple[Database, dict[str, list[str]], Path | None]:
    """:func:`open_db`, with what :func:`upgrade` applied and the copy it took (``db migrate`` says
    both). Anything failing on the way closes the connection, and removes a ledger this call
    created (with its ``-wal``, ``-shm`` and the folders made for it: a half-made ledger would be
    taken for an older version's at the next start); a full disk (or one refusing writes) is a ``ConfigError`` saying so."""
    made = _to_make(path)
    conn: sqlite3.Connection | None = None
    try:
        conn = _connect(str(path))
        _wal(conn)
        conn.execute(f"PRAGMA synchronous={synchronous}")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_MS)}")
        # WAL checkpoints are run off the turn's hot path (see checkpoint()); left to SQLite they
        # land inside a random commit and put 3-5 ms on the p99 of turns.
        conn.execute("PRAGMA wal_autocheckpoint=0")
        conn.execute(f"PRAGMA journal_size_limit={int(wal_bound)}")
        db = Database(conn)
        applied, copy = upgrade(db, path) if migrate else ({}, None)
    except BaseException as exc:
        if conn is not None:
            conn.close()
        if made is not None:
            damage.remove_made(*made)
        if isinstance(exc, sqlite3.Error) and damage.is_write_failure(exc):
            folder = next(str(f) for f in Path(path).resolve().parents if f.exists())  # (one made was removed)
            full = damage.is_disk_full(exc)
            raise ConfigError(
                texts.ledger_not_written(str(path), folder, made is not None, str(exc), full, _DB_ENV)
            ) from exc
        raise
    return db, applied, copy


def _to_make(path: str | Path) -> tuple[Path, list[Path]] | None:
    """The ledger a call on ``path`` creates and the folders it makes for it (deepest first); None
    for a ledger already there (or in memory)."""
    if str(path) == ":memory:":
        return None
    ledger = Path(path).resolve()  # a link's target, as SQLite opens it
    if ledger.exists():
        return None
    return ledger, [folder for folder in (ledger.parent, *ledger.parent.parents) if not folder.exists()]


def upgrade(db: Database, path: str | Path) -> tuple[dict[str, list[str]], Path | None]:
    """Apply the pending migrations to the ledger at ``path`` (their names, by set:
    ``migrations.apply_by_set``); one an older version
    made is first copied as it was, beside it (:mod:`bot.store.upgrade_copy`: the way back), and
    that copy's path returned; a new ledger is not copied, nor one up to date."""
    copies: list[Path] = []
    older = str(path) != ":memory:" and bool(migrations.migrations.applied(db))  # a ledger, not a new file
    applied = migrations.apply_by_set(db, before=(lambda: copies.append(upgrade_copy.take(path))) if older else None)
    return applied, (copies[0] if copies else None)


def in_use(db: Database, path: str, new: bool) -> str:
    """Which ledger a server writes (``serve``, ``rasa-actions``), with its open runs; one
    ``new``, created now (started in another folder than the runs in flight, or with another
    --db), says so."""
    (open_runs,) = db.conn.execute("SELECT count(*) FROM runs WHERE status IN ('active', 'stalled')").fetchone()
    return texts.ledger_in_use(str(Path(path).resolve()), open_runs, new, _DB_ENV)


def _wal(conn: sqlite3.Connection, tries: int = 100) -> None:
    """WAL mode. A new file is switched to it under a lock of its own, and SQLite does not wait
    for that lock (no busy handler): another process creating the same ledger at that moment
    (the restarted server and cron's ``jobs run-due``) is waited for here, five seconds at most."""
    for attempt in range(tries):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == tries - 1:
                raise
            time.sleep(0.05)


def _connect(path: str) -> sqlite3.Connection:
    if path == ":memory:":
        return sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
    if Path(path).is_dir():
        raise ConfigError(texts.ledger_is_folder(path, _DB_ENV))
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        _create_private(path)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
    except (FileExistsError, NotADirectoryError) as exc:  # a file where its folder should be
        raise ConfigError(texts.ledger_cannot_open(path, f"{exc.filename} is not a folder", _DB_ENV)) from exc
    except (OSError, sqlite3.OperationalError) as exc:
        problem = f"{exc.strerror}: {exc.filename}" if isinstance(exc, OSError) and exc.filename else str(exc)
        raise ConfigError(texts.ledger_cannot_open(path, problem, _DB_ENV)) from exc
    try:
        _refuse_foreign(conn, path)
        _refuse_newer(conn, path)
    except sqlite3.OperationalError as exc:  # SQLite, but not readable now (locked, no permission)
        conn.close()
        raise ConfigError(texts.ledger_cannot_open(path, str(exc), _DB_ENV)) from exc
    except sqlite3.DatabaseError as exc:  # not SQLite at all ("file is not a database"), or damaged
        conn.close()
        raise unreadable(path, exc) from exc
    except ConfigError:
        conn.close()
        raise
    return conn


#: A new ledger's mode (less the umask): it holds what people answered in private, so its owner
#: reads and writes it, its group (analysts) reads it, and no other user of the machine does.
#: SQLite's own default is 0644; its -wal and -shm files take the ledger's mode.
LEDGER_MODE = 0o640


def _create_private(path: str) -> None:
    """Create the ledger's file, empty (SQLite makes it a database), with :data:`LEDGER_MODE`;
    a file already there keeps its mode."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, LEDGER_MODE))


def _refuse_foreign(conn: sqlite3.Connection, path: str) -> None:
    """Refuse a file another application made: one that has tables, but not the record of our
    first migration. Decided before anything is written to it. (Before 2026-12-02 one whose tables
    none of ours clashed with was migrated: a mistyped --db added decisionbot's sixty tables to
    another program's database, which the commands that only read refused.)"""
    tables = _foreign_tables(conn)
    if tables:
        raise ConfigError(texts.ledger_foreign(path, sorted(tables), _DB_ENV))


def _refuse_newer(conn: sqlite3.Connection, path: str) -> None:
    """Refuse a ledger a newer version brought up to date (a downgrade): this version would write
    rows that version's code and views do not expect. Decided before anything is written to it."""
    unknown = migrations.unknown(Database(conn))
    if unknown:
        raise ConfigError(texts.ledger_newer(path, unknown, _DB_ENV))


def _foreign_tables(conn: sqlite3.Connection) -> set[str]:
    """The tables of a file something else made (tables, but no record of our first
    migration); empty for a new file or a ledger."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables - {"_sqlite_migrations"}:
        return set()
    if "_sqlite_migrations" in tables:
        sql = "SELECT 1 FROM _sqlite_migrations WHERE migration_set = ? AND name = 'm001_initial'"
        if conn.execute(sql, (migrations.migrations.name,)).fetchone():
            return set()
    return tables


def refuse_read_only(path: str | Path) -> None:
    """Refuse, with a ``ConfigError`` naming it, a ledger this process may not write (the file, or
    the ``-wal``/``-shm`` beside it: read-only for this user, or on read-only storage): SQLite would
    open it for reading only, and every write to it would fail, long after the start said all was
    well. For the processes that write turns (``serve``, ``rasa-actions``)."""
    if str(path) == ":memory:":
        return
    for file in (str(path), f"{path}-wal", f"{path}-shm"):
        if os.path.exists(file) and not os.access(file, os.W_OK):
            raise ConfigError(texts.ledger_read_only(str(path), file, _DB_ENV))


def is_read_only(exc: sqlite3.Error) -> bool:
    """Whether SQLite refused a write to a ledger it could open only for reading (SQLITE_READONLY)."""
    return getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_READONLY


def open_readonly(path: str | Path, immutable: bool = False) -> Database:
    """A connection that cannot write: for analysts' queries and exports. A file that is not
    SQLite is refused here (``ConfigError``), not at the first query. ``immutable``: a copy
    nobody writes to any more, read as it is (no lock, no ``-shm``), so it may sit on read-only
    storage; without it, a ledger there (WAL mode: its readers share a ``-shm`` file beside it)
    is refused with that said."""
    uri = f"file:{quote(str(Path(path).resolve()))}?{'immutable=1' if immutable else 'mode=ro'}"  # '#', '?': the name's
    timeout = BUSY_TIMEOUT_MS / 1000  # a writer of a ledger in rollback mode (a backup copy) locks out readers
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False, timeout=timeout)
    conn.execute("PRAGMA query_only=ON")
    try:
        foreign = _foreign_tables(conn)
    except sqlite3.DatabaseError as exc:
        conn.close()
        if is_busy(exc):  # a ledger, locked: said as such at the edge, not as "not a ledger"
            raise
        if _on_read_only_storage(Path(path)) and _cannot_make_shm(exc):
            raise ConfigError(texts.ledger_read_only_storage(str(path))) from exc
        raise unreadable(str(path), exc) from exc
    if foreign:  # another application's file: not read as ours
        conn.close()
        raise ConfigError(texts.ledger_foreign(str(path), sorted(foreign)[:8], _DB_ENV))
    return Database(conn)


def unreadable(path: str, exc: sqlite3.DatabaseError) -> ConfigError:
    """The error for a file SQLite cannot read as a database: a damaged ledger (it starts as every
    SQLite file does: the way back is a restore, the newest backup found named), or not SQLite at
    all (a text file: not a ledger)."""
    if not damage.is_sqlite(path):
        return ConfigError(texts.ledger_not_sqlite(path, str(exc), _DB_ENV))
    backup = backup_keep.newest_near(Path(path))
    return LedgerDamaged(path, str(exc), texts.ledger_damaged(path, str(exc), None if backup is None else str(backup)))


def _cannot_make_shm(exc: sqlite3.DatabaseError) -> bool:
    """SQLite's answer when a WAL ledger's ``-shm`` cannot be made beside it: it cannot open it
    (read-only storage), or the folder is read-only to this user (``SQLITE_READONLY_DIRECTORY``)."""
    return getattr(exc, "sqlite_errorcode", 0) & 0xFF in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY)


def _on_read_only_storage(path: Path) -> bool:
    """Whether the folder of ``path`` cannot be written: a read-only file system, or no permission."""
    folder = path.resolve().parent
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY) or not os.access(folder, os.W_OK)
    except OSError:
        return False


def checkpoint(db: Database) -> None:
    """Copy the WAL back into the database file without waiting for readers (not while a
    transaction of this connection is open: then at the next call). A WAL grown past its bound
    (:func:`open_db`'s ``wal_bound``) is then started over (``RESTART``, waiting a moment for the
    write lock and readers; what was left to copy is copied first, so nothing written is lost)."""
    conn = db.conn
    if conn.in_transaction:
        return
    _busy, frames, _copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    bound = conn.execute("PRAGMA journal_size_limit").fetchone()[0]  # -1: not set (not open_db's)
    if frames * conn.execute("PRAGMA page_size").fetchone()[0] <= (WAL_BOUND_BYTES if bound < 0 else bound):
        return
    conn.execute(f"PRAGMA busy_timeout={WAL_RESTART_WAIT_MS}")
    try:
        conn.execute("PRAGMA wal_checkpoint(RESTART)")
    finally:
        conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_MS)}")
