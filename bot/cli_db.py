"""``decisionbot db``: the ledger itself: bring its schema up to date, and back it up while the
server runs."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import click

from bot import texts
from bot.cli import main
from bot.cli_context import Context
from bot.cli_output import open_output
from bot.errors import BotError, ConfigError
from bot.store import backup_keep, damage, is_busy, migrations, open_readonly, restore, upgrade_copy, utc_now
from bot.store.opening import open_upgraded, unreadable


@main.group("db")
def db_group() -> None:
    """Manage the SQLite ledger.

    \b
    Example:
      decisionbot db migrate
      decisionbot db backup --into data/backups --keep 14
      decisionbot db restore data/backups/decisions-20261130T021500Z.db
    """


@db_group.command("migrate")
@click.pass_obj
def db_migrate(obj: Context) -> None:
    """Create the ledger or bring its schema up to date, and index new messages (safe to repeat).

    \b
    Example:
      decisionbot --db data/decisions.db db migrate
    """
    db, applied, copy = open_upgraded(obj.db_path)  # a ledger it made and could not finish: removed again
    migrations.catch_up(db)
    if copy is not None:
        click.echo(texts.ledger_copied(obj.db_path, str(copy)))
    click.echo(texts.cli_migrated(obj.db_path, applied))


@db_group.command("backup")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--into",
    "folder",
    metavar="DIR",
    type=click.Path(),
    callback=lambda _ctx, _param, value: _folder(value),
    help="Write DIR/decisions-<UTC time>.db (DIR made 0750 if missing) and keep only the newest --keep of those.",
)
@click.option(
    "--keep",
    type=int,
    metavar="N",
    help=f"With --into: how many of its copies to keep, the new one included (default {backup_keep.DEFAULT_KEEP}).",
)
@click.pass_obj
def db_backup(obj: Context, file: Path | None, folder: Path | None, keep: int | None) -> None:
    """Copy the ledger to FILE, or to a new file in DIR keeping the newest N there, safe while
    `decisionbot serve` runs and writes to it.

    SQLite's online backup takes one consistent snapshot (every committed turn, the WAL's
    included) without stopping the server. The copy is checked (PRAGMA quick_check) and made a
    single file before it replaces FILE: all or nothing, never over the ledger itself, with the
    ledger's own permissions. A FILE there already is replaced only when it is an earlier copy of
    this ledger: not another file or ledger, nor its own with more runs (--db and FILE swapped). To restore: stop the server, then `decisionbot db restore COPY`.

    With --into DIR, the copy is DIR/decisions-<UTC time>.db; once it is written and checked,
    the oldest copies so named in DIR beyond the newest N are removed (nothing else in DIR is
    touched; a copy that fails its check removes nothing).

    \b
    Example:
      decisionbot --db data/decisions.db db backup --into data/backups --keep 14
      decisionbot --db data/decisions.db db backup /mnt/offsite/decisions.db
    """
    _refuse_bad_backup_options(file, folder, keep)
    ledger = obj.existing_ledger()
    if folder is None:
        assert file is not None
        runs, size = _copy_ledger(ledger, file)
        click.echo(texts.cli_backed_up(obj.db_path, str(file), runs, size))
        return
    _backup_into(ledger, folder, backup_keep.DEFAULT_KEEP if keep is None else keep)


@db_group.command("restore")
@click.argument("copy", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def db_restore(obj: Context, copy: Path) -> None:
    """Put the backup COPY in the ledger's place, once the server is stopped.

    Refused, changing nothing, while any process has the ledger open (a running server would go
    on writing to the ledger put aside), and for a COPY that is not a sound decisionbot ledger.
    The ledger it replaces is kept beside it, as decisions.before-restore-<UTC time>.db (a -wal a
    crash left folded into it); the copy gets the ledger's permissions. A damaged ledger (SQLite
    cannot read it) is replaced all the same, kept so with its -wal and -shm as they were.

    \b
    Example:
      systemctl stop decisionbot
      decisionbot --db data/decisions.db db restore data/backups/decisions-20261130T021500Z.db
      systemctl start decisionbot
    """
    runs, aside, damaged = restore.restore(copy, Path(obj.db_path))
    kept = None if aside is None else str(aside)
    beside = tuple(suffix for suffix in damage.BESIDE if Path(f"{aside}{suffix}").exists()) if aside else ()
    click.echo(texts.cli_restored(obj.db_path, str(copy), runs, kept, damaged, beside))


def _folder(given: str | None) -> Path | None:
    """``--into DIR``; ``--into ""`` (``--into "$BACKUPS"`` with BACKUPS unset, in a cron line)
    refused: it was the folder the command ran in, where copies were written and pruned."""
    if given is not None and not given.strip():
        raise click.BadParameter(texts.cli_backup_into_empty(), param_hint="--into")
    return None if given is None else Path(given)


def _refuse_bad_backup_options(file: Path | None, folder: Path | None, keep: int | None) -> None:
    """Usage errors, before anything is read or written."""
    if file is not None and folder is not None:
        raise click.UsageError(texts.cli_backup_file_and_into(str(file), str(folder)))
    if file is None and folder is None:
        raise click.UsageError(texts.cli_backup_no_target())
    if keep is not None and folder is None:
        raise click.UsageError(texts.cli_backup_keep_without_into(str(file)))
    if keep is not None and keep < 1:
        raise click.BadParameter(texts.cli_backup_keep_too_few(keep), param_hint="--keep")
    if folder is not None and folder.exists() and not folder.is_dir():
        raise click.BadParameter(texts.cli_backup_into_not_a_folder(str(folder)), param_hint="--into")


def _copy_ledger(ledger: str, file: Path) -> tuple[int, int]:
    """The ledger copied to ``file``, checked, all or nothing: its runs and size in bytes."""
    source = open_readonly(ledger).conn
    try:  # the copy is as private as the ledger (a ledger only its owner reads: so is the copy)
        output = open_output(file, binary=True, mode=os.stat(ledger).st_mode & 0o777)
        with output:
            if output.temp is None:  # a pipe or a device: SQLite writes files
                raise BotError(texts.cli_backup_not_a_file(str(file)))
            _refuse_to_replace(file, source)
            try:
                return upgrade_copy.copy_into(source, output.temp)
            except BotError as exc:  # a page of the ledger SQLite cannot read: the way back is a restore
                cause = exc.__cause__
                if isinstance(cause, sqlite3.DatabaseError) and damage.is_damage(cause):
                    raise unreadable(ledger, cause) from exc
                raise
    finally:
        source.close()


def _refuse_to_replace(file: Path, source: sqlite3.Connection) -> None:
    """A ``BotError`` (nothing written) when ``file`` is there and is not an earlier copy to replace:
    not a decisionbot ledger (notes, another application's database), another ledger (not made
    when this one was: its first migration's time differs), one a process has open (a server's), or
    this one's holding more runs than the ledger copied (``--db`` and FILE swapped: an old copy would
    go over the ledger). An empty
    file, a pipe or a device, or an earlier copy, is replaced as before."""
    if not file.is_file() or file.stat().st_size == 0:
        return
    try:
        there = open_readonly(file).conn  # its -wal read too: a live ledger holds its latest runs there
    except (ConfigError, sqlite3.DatabaseError) as exc:
        if isinstance(exc, sqlite3.DatabaseError) and is_busy(exc):  # a ledger, locked: said so at the edge
            raise
        raise BotError(texts.cli_backup_over_another_file(str(file))) from None
    try:
        held, born = _runs_and_birth(there)
    finally:
        there.close()
    copied, birth = _runs_and_birth(source)
    if born is not None and born != birth:
        raise BotError(texts.cli_backup_over_another_ledger(str(file), held))
    if restore.held(file):  # the ledger a server writes, named as FILE: it would write on into the file unlinked
        raise BotError(texts.cli_backup_over_a_ledger_in_use(str(file)))
    if held > copied:
        raise BotError(texts.cli_backup_over_a_larger_ledger(str(file), held, copied))


def _runs_and_birth(conn: sqlite3.Connection) -> tuple[int, str | None]:
    """A ledger's runs, and when it was made (its first migration's time: every copy of it keeps
    it); 0 and None for one without them yet."""
    try:
        runs = int(conn.execute("SELECT count(*) FROM runs").fetchone()[0])
        born = conn.execute(
            "SELECT applied_at FROM _sqlite_migrations WHERE migration_set = ? AND name = 'm001_initial'",
            (migrations.migrations.name,),
        ).fetchone()
    except sqlite3.DatabaseError:
        return 0, None
    return runs, None if born is None else str(born[0])


def _backup_into(ledger: str, folder: Path, keep: int) -> None:
    """A new copy in ``folder``, then its copies beyond the newest ``keep`` removed."""
    try:
        backup_keep.make_folder(folder)
    except OSError as exc:
        raise BotError(texts.cli_backup_folder_failed(str(folder), exc.strerror or str(exc))) from exc
    file = backup_keep.name_for(folder, utc_now())
    runs, size = _copy_ledger(ledger, file)  # a copy that fails raises here: nothing is removed
    click.echo(texts.cli_backed_up(ledger, str(file), runs, size))
    try:
        kept, removed, problems = backup_keep.prune(folder, keep, file, Path(ledger))
    except OSError as exc:
        raise BotError(texts.cli_backups_not_listed(str(folder), exc.strerror or str(exc))) from exc
    click.echo(texts.cli_backups_kept(str(folder), [p.name for p in kept], keep))
    for path in removed:
        click.echo(texts.cli_backup_removed(str(path)))
    if problems:
        raise BotError(texts.cli_backups_not_removed(problems))
