"""The file of every ``-o`` option: written all or nothing, never onto the ledger."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import IO, Any

import click

from bot import texts
from bot.errors import BotError


class Output:
    """The file of an ``-o`` option, written all or nothing: ``with Output(path) as out:`` writes
    a temporary file in the same folder, renamed over ``path`` only when the block ends without
    an error (a failed command leaves an existing file as it was); through a link, the file it
    points to is replaced. ``/dev/stdout``, ``/proc/self/fd/1``, a device or a pipe is written
    directly, never replaced."""

    def __init__(self, path: Path, binary: bool = False, mode: int | None = None):
        self.path = path
        self.binary = binary
        self.mode = mode  # the new file's permissions (a copy of the ledger: the ledger's own)
        self.temp: Path | None = None
        self.target = path
        self.stream: IO[Any] | None = None

    def __enter__(self) -> IO[Any]:
        try:
            if _is_stream(self.path):  # appended to: `-o /dev/stdout >> app.log` keeps the log
                self.stream = self._open(self.path, "a")
                return self.stream
            target = self.target = Path(os.path.realpath(self.path))  # a link's file is replaced, the link stays
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            self.temp = Path(name)
            self.stream = self._open(fd, "w")
        except OSError as exc:
            raise BotError(texts.cli_cannot_write(str(self.path), exc.strerror or str(exc))) from exc
        return self.stream

    def _open(self, file: Path | int, mode: str) -> IO[Any]:
        return open(file, mode + "b") if self.binary else open(file, mode, encoding="utf-8", newline="")

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        assert self.stream is not None
        try:
            self.stream.close()
            if self.temp is None:
                return
            if kind is not None:
                self.temp.unlink(missing_ok=True)
                return
            _set_mode(self.temp, self.target, self.mode)
            os.replace(self.temp, self.target)
        except OSError as exc:
            if self.temp is not None:
                self.temp.unlink(missing_ok=True)
            if kind is None:
                raise BotError(texts.cli_cannot_write(str(self.path), exc.strerror or str(exc))) from exc


#: A process's own streams: /dev/stdout, /dev/fd/1, /proc/self/fd/1 (and /proc/<pid>/fd/1).
_FD_LINK = re.compile(r"^/(?:dev/(?:std(?:in|out|err)|fd/\d+)|proc/[^/]+/fd/\d+)$")


def _is_stream(path: Path) -> bool:
    """A path to write where it points now, never to replace: one reached through a process's
    stream (the file behind a redirected stdout would be swapped away under the shell), or a
    device, pipe or folder (a folder then fails to open, in one line)."""
    hop = os.path.abspath(path)
    for _ in range(40):  # the links followed one by one: /dev/stdout -> /proc/self/fd/1 -> ...
        if _FD_LINK.match(hop):
            return True
        if not os.path.islink(hop):
            break
        hop = os.path.abspath(os.path.join(os.path.dirname(hop), os.readlink(hop)))
    real = Path(os.path.realpath(path))
    return real.exists() and not real.is_file()


def _set_mode(temp: Path, target: Path, mode: int | None) -> None:
    """``mode``, else the mode ``open()`` would have left: the replaced file's, or the default
    less the umask (``mkstemp`` makes files only their owner can read)."""
    if mode is None and target.exists():
        mode = target.stat().st_mode & 0o7777
    elif mode is None:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(temp, mode)


def open_output(path: Path, binary: bool = False, mode: int | None = None) -> Output:
    """The file of an ``-o`` option (see ``Output``), its folder made first (every ``-o`` does,
    ``teams package`` too). A path that cannot be written is a one-line error, and so is the
    ledger itself (or its -wal, -shm or -journal file): no command overwrites it."""
    ctx = click.get_current_context(silent=True)
    ledger = getattr(ctx.find_root().obj, "db_path", None) if ctx else None  # the CLI's --db
    if ledger is not None and _is_ledger(path, Path(ledger)):
        raise BotError(texts.cli_output_is_ledger(str(path), ledger))
    return Output(path, binary, mode)


def _is_ledger(path: Path, ledger: Path) -> bool:
    real = Path(os.path.realpath(ledger))  # SQLite names its -wal after the file, not a link to it
    for suffix in ("", "-wal", "-shm", "-journal"):
        part = real.with_name(real.name + suffix)
        if os.path.realpath(path) == os.path.realpath(part):
            return True
        try:
            if path.exists() and part.exists() and path.samefile(part):  # a hard link
                return True
        except OSError:
            continue
    return False
