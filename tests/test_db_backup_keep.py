"""``decisionbot db backup --into DIR --keep N``: dated copies in a folder, the oldest of its own
beyond the newest N removed once the new one is checked; real SQLite files and the real CLI
(click's runner). Earlier runs are the copies an earlier night's backup named: made by the CLI
under the names it gives, their times chosen by the test (no sleeping)."""

from __future__ import annotations

import os
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from bot.store import backup_keep

ROOT = Path(__file__).resolve().parents[1]
TRIGGER = ["trigger", "post_meeting", "--channel", "console", "-f", "alice", "--data", "title=Weekly"]
NEW_NAME = re.compile(r"decisions-\d{8}T\d{6}Z(-\d+)?\.db")


def run(db: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--db", str(db), "--flows", str(ROOT / "flows"), *args])


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    db = tmp_path / "data" / "decisions.db"
    for _ in range(2):
        assert run(db, *TRIGGER).exit_code == 0
    return db


def nights(ledger: Path, folder: Path, *days: int) -> list[str]:
    """Copies as the nightly --into run of each day of November 2026 named them (oldest first)."""
    names = [f"decisions-202611{day:02d}T021500Z.db" for day in days]
    for name in names:
        assert run(ledger, "db", "backup", str(folder / name)).exit_code == 0
    return names


def runs_in(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM runs").fetchone()[0])
    finally:
        conn.close()


def test_each_run_keeps_the_newest_n_and_removes_only_the_oldest(ledger: Path, tmp_path: Path) -> None:
    folder = tmp_path / "data" / "backups"
    older = nights(ledger, folder, 3, 1, 2, 4)  # written out of order: the name's time decides
    made: list[str] = []
    for _ in range(3):
        result = run(ledger, "db", "backup", "--into", str(folder), "--keep", "3")
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        new = Path(lines[0].split(" to ", 1)[1].split(":", 1)[0])
        assert lines[0] == f"Backed up {ledger} to {new}: 2 runs, {new.stat().st_size / 1e6:.1f} MB, checked."
        assert new.parent == folder and NEW_NAME.fullmatch(new.name) and runs_in(new) == 2
        made.append(new.name)
        newest = [*reversed(made), *reversed(sorted(older))][:3]
        assert lines[1] == f"Kept 3 copies in {folder} (--keep 3), newest first: {', '.join(newest)}."
        assert sorted(p.name for p in folder.iterdir()) == sorted(newest)
        removed = [line.removeprefix("Removed ").removesuffix(".") for line in lines[2:]]
        assert removed and all(not Path(p).exists() for p in removed)
    assert set(older) & {p.name for p in folder.iterdir()} == set()


def test_copies_of_one_second_are_numbered_and_kept_in_the_order_taken(tmp_path: Path) -> None:
    """Two runs in one second (cron and a hand run): -2, -3 ... sort after the first, -10 after -9."""
    moment = datetime(2026, 11, 30, 2, 15, 0, 400000, tzinfo=UTC)
    names = []
    for _ in range(11):
        path = backup_keep.name_for(tmp_path, moment)
        sqlite3.connect(path).close()
        names.append(path.name)
    assert names[:3] == [
        "decisions-20261130T021500Z.db",
        "decisions-20261130T021500Z-2.db",
        "decisions-20261130T021500Z-3.db",
    ]
    kept, removed, problems = backup_keep.prune(tmp_path, 2, tmp_path / names[-1], tmp_path / "decisions.db")
    assert [p.name for p in kept] == ["decisions-20261130T021500Z-11.db", "decisions-20261130T021500Z-10.db"]
    assert sorted(p.name for p in removed) == sorted(names[:9]) and problems == []


def test_nothing_else_in_the_folder_is_counted_or_removed(ledger: Path, tmp_path: Path) -> None:
    folder = ledger.parent  # the ledger's own folder, data/
    (folder / "notes.txt").write_text("mine")
    foreign = [
        "decisions-2026-11-29.db",  # the older `date +%F` cron line's
        "decisions.before-upgrade-20261101T000000Z.db",  # an upgrade's way back
        "decisions-20261399T021500Z.db",  # no such month: not a name --into gives
        "decisions-20261101T021500Z.db-wal",
        "decisions-20261101T021500Z-1.db",
        "old-decisions-20261101T021500Z.db",
        "decisions-20261101T021500Z.sqlite",
        "notes.txt",
    ]
    for name in foreign[:-1]:
        assert run(ledger, "db", "backup", str(folder / name)).exit_code == 0
    (folder / "decisions-20261102T021500Z.db").mkdir()  # a folder of that name
    (folder / "decisions-20261103T021500Z.db").symlink_to(folder / foreign[0])  # a link of that name
    ours = nights(ledger, folder, 1)
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and p.name not in ours}
    result = run(ledger, "db", "backup", "--into", str(folder), "--keep", "1")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[2:] == [f"Removed {folder / ours[0]}."]
    new = Path(result.output.split(" to ", 1)[1].split(":", 1)[0])
    after = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and p != new}
    assert after == before and set(foreign) <= set(before) and "decisions.db" in before
    assert (folder / "decisions-20261102T021500Z.db").is_dir()
    assert (folder / "decisions-20261103T021500Z.db").is_symlink()


def test_the_ledger_is_never_removed_even_when_named_as_a_copy(ledger: Path, tmp_path: Path) -> None:
    """A restored copy serving under its dated name, backed up into its own folder."""
    folder = tmp_path / "restored"
    folder.mkdir()
    served = folder / "decisions-20261101T021500Z.db"
    assert run(ledger, "db", "backup", str(served)).exit_code == 0
    nights(served, folder, 2)
    result = run(served, "db", "backup", "--into", str(folder), "--keep", "1")
    assert result.exit_code == 0, result.output
    assert served.is_file() and runs_in(served) == 2
    assert not (folder / "decisions-20261102T021500Z.db").exists()
    assert len(list(folder.iterdir())) == 2  # the ledger and the new copy


def damage_an_index(ledger: Path) -> None:
    """A page of an index the ledger is opened without: the copy is made, then fails its check."""
    conn = sqlite3.connect(ledger, isolation_level=None)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'messages_run'").fetchone()
    (page_size,) = conn.execute("PRAGMA page_size").fetchone()
    conn.close()
    with ledger.open("r+b") as file:
        file.seek((root - 1) * page_size + 8)
        file.write(b"\xff" * 64)


def test_a_copy_that_fails_its_check_removes_nothing(ledger: Path, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    old = nights(ledger, folder, 1, 2, 3)
    damage_an_index(ledger)
    result = run(ledger, "db", "backup", "--into", str(folder), "--keep", "1")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "The copy failed SQLite's check, so nothing was written" in result.output
    assert "Removed" not in result.output
    assert sorted(p.name for p in folder.iterdir()) == old and all(runs_in(folder / name) == 2 for name in old)


def test_a_new_folder_is_0750_and_a_copy_has_the_ledgers_permissions(ledger: Path, tmp_path: Path) -> None:
    ledger.chmod(0o600)
    folder = tmp_path / "srv" / "backups"
    umask = os.umask(0o022)  # the usual login umask: the folder is 0750 all the same
    try:
        result = run(ledger, "db", "backup", "--into", str(folder))
    finally:
        os.umask(umask)
    assert result.exit_code == 0, result.output
    assert [oct(p.stat().st_mode & 0o777) for p in (folder.parent, folder)] == [oct(0o750)] * 2
    (copy,) = folder.iterdir()
    assert oct(copy.stat().st_mode & 0o777) == oct(0o600)
    assert "(--keep 14)" in result.output  # the default


def test_an_existing_folder_keeps_its_mode(ledger: Path, tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o755)
    assert run(ledger, "db", "backup", "--into", str(folder)).exit_code == 0
    assert oct(folder.stat().st_mode & 0o777) == oct(0o755)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["out.db", "--into", "{dir}"], "Give either FILE (out.db) or --into DIR"),
        (["out.db", "--keep", "3"], "Use --into DIR --keep N instead."),
        (["--keep", "3"], "Say where the copy goes: a FILE, or --into DIR [--keep N]"),
        ([], "Say where the copy goes"),
        (["--into", "{dir}", "--keep", "0"], "0: keep at least 1 copy (the one just written), e.g. --keep 14."),
        (["--into", "{dir}", "--keep", "-2"], "-2: keep at least 1 copy"),
        (["--into", "{file}"], "is a file, not a folder: give --into a folder"),
    ],
)
def test_options_that_do_not_fit_are_usage_errors_naming_the_fix(
    ledger: Path, tmp_path: Path, args: list[str], said: str
) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    argv = [a.format(dir=tmp_path / "backups", file=a_file) for a in args]
    result = CliRunner().invoke(main, ["--db", str(ledger), "db", "backup", *argv])
    assert result.exit_code == 2, result.output
    assert said in " ".join(result.output.split())
    assert not (tmp_path / "backups").exists() and not Path("out.db").exists()
    assert a_file.read_text() == "not a folder"


def test_a_copy_that_cannot_be_written_says_so_without_naming_an_option_db_backup_lacks(
    ledger: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    result = run(ledger, "db", "backup", str(blocker / "copy.db"))
    assert result.exit_code == 1
    assert f"Cannot write {blocker / 'copy.db'}" in result.output
    assert "-o path" not in result.output  # db backup has no -o option
    assert result.output.rstrip().endswith("Choose another path.")


def test_a_ledger_of_one_run_is_said_as_one_run(tmp_path: Path) -> None:
    db = tmp_path / "data" / "decisions.db"
    assert run(db, *TRIGGER).exit_code == 0
    result = run(db, "db", "backup", "--into", str(tmp_path / "backups"))
    assert result.exit_code == 0 and ": 1 run, " in result.output.splitlines()[0]
