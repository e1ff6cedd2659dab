"""A ledger SQLite cannot read: a damaged SQLite file (a bad disk block, a copy taken mid-write, a
truncated file) told apart from a file that is not SQLite at all by its first 16 bytes, and
whether a process holds it, asked of the file's locks (SQLite itself cannot be asked of a file it
cannot read), and the files a first start made removed again when it could not finish.

SQLite (unix) locks byte ranges of the database file with ``fcntl``: a connection reading holds a
read lock on the shared range, and every connection to a ledger in WAL mode keeps it while it is
open. Asking for a write lock on those bytes without waiting tells whether another process holds
them, whatever the file holds."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from pathlib import Path

#: The first 16 bytes of every SQLite database file.
HEADER = b"SQLite format 3\x00"

#: SQLite's lock bytes (``os_unix.c``): PENDING, RESERVED, then the 510 bytes of the shared range.
_PENDING_BYTE = 0x40000000
_LOCK_RANGES = ((_PENDING_BYTE, 1), (_PENDING_BYTE + 1, 1), (_PENDING_BYTE + 2, 510))

#: Beside a ledger: SQLite's write-ahead log and its index (WAL mode).
BESIDE = ("-wal", "-shm")


def is_sqlite(path: str | Path) -> bool:
    """Whether the file starts as every SQLite database does (a ledger damaged further on still
    does; a text file, or a file garbled from its start, does not)."""
    try:
        with open(path, "rb") as file:
            return file.read(len(HEADER)) == HEADER
    except OSError:
        return False


def is_damage(exc: sqlite3.Error) -> bool:
    """Whether SQLite could not read the file as a database: damaged (``SQLITE_CORRUPT``: "database
    disk image is malformed") or not a database at all (``SQLITE_NOTADB``)."""
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    return code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def is_disk_full(exc: sqlite3.Error) -> bool:
    """SQLite's "database or disk is full" (``SQLITE_FULL``)."""
    return getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_FULL or "disk is full" in str(exc)


def is_write_failure(exc: sqlite3.Error) -> bool:
    """The disk refused SQLite's writes: full (``SQLITE_FULL``), or a write that failed (``SQLITE_IOERR``:
    a file grown past its size limit or a quota, a failing disk)."""
    return is_disk_full(exc) or getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_IOERR


def locked(path: str | Path) -> bool:
    """Whether another process holds one of SQLite's locks on the file (a connection has it open
    and has read it: a server, ``explore``); False for a file that is not there."""
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False
    try:
        for start, length in _LOCK_RANGES:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, length, start, os.SEEK_SET)
            except OSError:
                return True
            fcntl.lockf(fd, fcntl.LOCK_UN, length, start, os.SEEK_SET)
        return False
    finally:
        os.close(fd)  # (this process's own locks on the file go with it: it holds no connection to it)


def move_with_beside(path: Path, to: Path) -> None:
    """``path`` renamed ``to``, with its ``-wal`` and ``-shm`` (read with it: what a crash left in
    the WAL of a ledger SQLite cannot read is kept with it)."""
    os.replace(path, to)
    for suffix in BESIDE:
        with contextlib.suppress(FileNotFoundError):
            os.replace(f"{path}{suffix}", f"{to}{suffix}")


def remove_made(path: Path, folders: list[Path]) -> None:
    """A ledger a start created and could not finish, its ``-wal`` and ``-shm``, and the folders
    made for it (deepest first), each if still empty; kept if another process has it open. What
    cannot be removed is left: never an error hiding the one that stopped the start."""
    if locked(path):
        return
    for suffix in ("", *BESIDE):
        with contextlib.suppress(OSError):  # not there (or never made: a file where its folder was)
            os.unlink(f"{path}{suffix}")
    for folder in folders:
        with contextlib.suppress(OSError):  # not empty: something else was put there meanwhile
            folder.rmdir()
