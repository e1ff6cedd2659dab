"""``decisionbot db``: the ledger itself: bring its schema up to date, and back it up while the
server runs."""

from __future__ import annotations

import os
from pathlib import Path

import click

from bot import texts
from bot.cli import main
from bot.cli_context import Context
from bot.cli_output import open_output
from bot.errors import BotError
from bot.store import migrations, open_db, open_readonly, upgrade, upgrade_copy


@main.group("db")
def db_group() -> None:
    """Manage the SQLite ledger.

    \b
    Example:
      decisionbot db migrate
      decisionbot db backup backups/decisions-$(date +%F).db
    """


@db_group.command("migrate")
@click.pass_obj
def db_migrate(obj: Context) -> None:
    """Create the ledger or bring its schema up to date, and index new messages (safe to repeat).

    \b
    Example:
      decisionbot --db data/decisions.db db migrate
    """
    db = open_db(obj.db_path, migrate=False)
    applied, copy = upgrade(db, obj.db_path)
    migrations.catch_up(db)
    if copy is not None:
        click.echo(texts.ledger_copied(obj.db_path, str(copy)))
    click.echo(texts.cli_migrated(obj.db_path, applied))


@db_group.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def db_backup(obj: Context, file: Path) -> None:
    """Copy the ledger to FILE, safe while `decisionbot serve` runs and writes to it.

    SQLite's online backup takes one consistent snapshot (every committed turn, the WAL's
    included) without stopping the server. The copy is checked (PRAGMA quick_check) and made a
    single file before it replaces FILE: all or nothing, never over the ledger itself, with the
    ledger's own permissions. To restore: stop the server, move the ledger's -wal and -shm files
    aside (SQLite would read a leftover -wal on top of the copy), put the copy in the ledger's
    place, start the server.

    \b
    Example:
      decisionbot --db data/decisions.db db backup backups/decisions-$(date +%F).db
    """
    ledger = obj.existing_ledger()
    source = open_readonly(ledger).conn
    try:  # the copy is as private as the ledger (a ledger only its owner reads: so is the copy)
        output = open_output(file, binary=True, mode=os.stat(ledger).st_mode & 0o777)
        with output:
            if output.temp is None:  # a pipe or a device: SQLite writes files
                raise BotError(texts.cli_backup_not_a_file(str(file)))
            runs, size = upgrade_copy.copy_into(source, output.temp)
    finally:
        source.close()
    click.echo(texts.cli_backed_up(obj.db_path, str(file), runs, size))
