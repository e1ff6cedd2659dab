"""The copies ``decisionbot db backup --into DIR --keep N`` names in DIR, and the oldest of them
beyond the newest N removed once the new one is written and checked.

A copy is named for the UTC second it was taken, ``decisions-20261130T021500Z.db`` (a second
copy in the same second ``decisions-20261130T021500Z-2.db``), so its name sorts it: the rotation
reads the time from the name, never from the file's mtime (which a ``cp`` or a restore changes).
Only regular files of exactly that pattern, with a real UTC time, are its own: anything else in
the folder (a ``decisions-2026-11-30.db`` of the older ``date +%F`` cron line, a ``before-upgrade``
copy, the ledger itself, a link) is never counted or removed."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

#: How many copies ``--into`` keeps when ``--keep`` is not given: two weeks of a nightly cron.
DEFAULT_KEEP = 14

#: A new folder's mode (less the umask): its owner writes, its group (analysts) reads.
FOLDER_MODE = 0o750

_STAMP = "%Y%m%dT%H%M%SZ"
_NAME = re.compile(r"decisions-(\d{8}T\d{6}Z)(?:-([2-9]|[1-9]\d+))?\.db")


def name_for(folder: Path, now: datetime) -> Path:
    """``DIR/decisions-20261130T021500Z.db`` for ``now`` (``...Z-2.db`` and on if taken)."""
    stamp = now.astimezone(UTC).strftime(_STAMP)
    path, n = folder / f"decisions-{stamp}.db", 1
    while path.exists() or path.is_symlink():
        n += 1
        path = folder / f"decisions-{stamp}-{n}.db"
    return path


def make_folder(folder: Path) -> None:
    """``folder`` and any missing parent made ``FOLDER_MODE`` (less the umask); an ``OSError``
    when one cannot be."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    for path in reversed(missing):
        path.mkdir(mode=FOLDER_MODE, exist_ok=True)


def prune(folder: Path, keep: int, written: Path, ledger: Path) -> tuple[list[Path], list[Path], list[str]]:
    """Remove the copies named here beyond the newest ``keep`` (``written``, the copy just made,
    always kept; ``ledger`` never touched): the copies kept, newest first, those removed, and
    the problems of those that could not be."""
    others = [p for p in _ours(folder) if p.name != written.name and not _same_file(p, ledger)]
    kept = [written, *others[: keep - 1]]
    removed: list[Path] = []
    problems: list[str] = []
    for path in others[keep - 1 :]:
        try:
            path.unlink(missing_ok=True)  # (another rotation got there first: gone all the same)
        except OSError as exc:
            problems.append(f"{path}: {exc.strerror or exc}")
        else:
            removed.append(path)
    return kept, removed, problems


def newest_near(ledger: Path) -> Path | None:
    """The newest copy of this naming in the ``backups`` folder beside the ledger (the README's cron
    line: ``data/backups`` beside ``data/decisions.db``), else in the ledger's own folder; None if none."""
    for folder in (ledger.parent / "backups", ledger.parent):
        try:
            found = _ours(folder)
        except OSError:  # no such folder, or not readable here
            continue
        if found:
            return found[0]
    return None


def _ours(folder: Path) -> list[Path]:
    """The copies of this naming in ``folder``, newest first."""
    found: list[tuple[datetime, int, Path]] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            match = _NAME.fullmatch(entry.name)
            if match is None or not entry.is_file(follow_symlinks=False):
                continue
            try:
                taken = datetime.strptime(match[1], _STAMP)
            except ValueError:  # decisions-20261399T...: not a time this naming writes
                continue
            found.append((taken, int(match[2] or 1), Path(entry.path)))
    found.sort(key=lambda item: item[:2], reverse=True)
    return [path for _, _, path in found]


def _same_file(path: Path, ledger: Path) -> bool:
    try:
        return os.path.samefile(path, ledger)
    except OSError:
        return False
