"""What every ``decisionbot`` command works on: the ledger (made and migrated, or only read as it
is), the flows folder and its catalog, and a dispatcher over them; notes beside a command's output
on standard error."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot import config, store, texts
from bot.errors import BotError, ConfigError, FlowNotFound
from bot.store import open_db, transcript, utc_now

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from sqlite_utils import Database

    from bot.dispatch import Dispatcher
    from bot.flow_catalog import FlowCatalog


def _say_on_stderr(line: str) -> None:
    """A note beside the command's output (``--jsonl`` and ``--json`` keep standard output clean)."""
    click.echo(line, err=True)


class Context:
    def __init__(self, db_path: str, flows_dir: str):
        self.db_path = db_path
        self.flows_dir = Path(flows_dir)
        self._db = None
        self._ledger: Database | None = None

    def close(self) -> None:
        """The ledger's connections closed as the command ends (the last one checkpoints its -wal):
        a command run in-process (click's runner, a test) leaves no handle on the ledger behind."""
        for opened in (self._db, self._ledger):
            if opened is not None:
                opened.conn.close()
        self._db = self._ledger = None

    @property
    def db(self):
        if self._db is None:
            self._db = open_db(self.db_path, synchronous=config.synchronous(), say=_say_on_stderr)
        return self._db

    def existing_ledger(self, for_analysts: bool = False) -> str:
        """The ledger's path, once it is known to exist: a command that only reads never creates
        one (a mistyped --db would otherwise answer from a new, empty ledger). The hint is the
        operator's (the ledger ``serve`` writes), or for the analysts' commands, ``demo-data``."""
        if Path(self.db_path).is_dir():  # (not "no ledger": demo-data, the analysts' hint, cannot make one there)
            raise BotError(texts.ledger_is_folder(self.db_path, config.BY_NAME["db"].env))
        if not Path(self.db_path).is_file():
            if for_analysts:
                raise BotError(texts.analytics_no_ledger(self.db_path))
            raise BotError(texts.cli_no_ledger(self.db_path, config.BY_NAME["db"].env))
        return self.db_path

    @property
    def ledger(self) -> Database:
        """The ledger, for a command that only reads (``runs list|show|invite``, ``jobs list``): read
        as it is, never migrated (a newer decisionbot would upgrade the server's ledger under it)."""
        if self._ledger is None:
            from bot.analytics.report import connect  # read-only; refuses an out-of-date ledger

            self._ledger = store.Database(connect(self.existing_ledger()))
        return self._ledger

    def require_flows(self) -> Path:
        """The flows folder, for a command that runs flows: it must exist and hold a flow file
        (a mistyped --flows would otherwise serve, or validate, nothing)."""
        from bot.engine.reader import flow_files  # the engine loads only for commands that need it

        if not self.flows_dir.is_dir() or not flow_files(self.flows_dir):
            env = config.BY_NAME["flows"].env
            raise ConfigError(
                texts.cli_no_flows(str(self.flows_dir), self.flows_dir.is_dir(), env, self.flows_dir.is_file())
            )
        return self.flows_dir

    def check_flow(self, conn: sqlite3.Connection, flow: str | None) -> None:
        """Refuse a ``--flow`` filter that names no flow of the folder or the ledger: an empty
        answer would read as 'nothing yet' rather than as the typo it is."""
        if flow is None:
            return
        from bot.engine.reader import flow_files  # the engine loads only for commands that need it

        known = {path.stem for path in flow_files(self.flows_dir)} | transcript.flow_ids(conn)
        if flow not in known:
            raise FlowNotFound(texts.cli_unknown_flow_filter(flow, sorted(known), str(self.flows_dir)))

    def catalog(self, db: Database | None = None, flow: str | None = None) -> FlowCatalog:
        """The flows of the folder (on the ledger, or ``db``); a refused flow file is said on
        standard error, once, and the other flows run (``flow``, the one the command is about, is
        not warned of: getting it says why it is refused)."""
        from bot.flow_catalog import FlowCatalog  # the engine loads only for commands that need it

        folder = self.require_flows()  # before the ledger is opened (or made)
        catalog = FlowCatalog(folder, self.db if db is None else db)
        for refusal in catalog.refusals(but=flow):
            click.echo(texts.cli_warning(refusal), err=True)
        return catalog

    def folder_flows(self, flow: str | None = None) -> FlowCatalog:
        """The flows of the folder alone, for a command that reads flow files and no ledger
        (``flows list|show|diagram``): no ledger is opened, made or migrated for it."""
        from bot.flow_catalog import FlowCatalog

        catalog = FlowCatalog(self.require_flows(), None)
        for refusal in catalog.refusals(but=flow):
            click.echo(texts.cli_warning(refusal), err=True)
        return catalog

    def dispatcher(self, clock: Callable[[], datetime] | None = None, flow: str | None = None) -> Dispatcher:
        from bot.dispatch import Dispatcher  # the engine loads only for commands that need it
        from bot.store.people import stored_zone

        catalog = self.catalog(flow=flow)
        db, tz = self.db, config.timezone()
        return Dispatcher(  # people's own zones, as their platforms reported them, as the server uses
            db,
            catalog,
            tz,
            clock=clock or utc_now,
            tz_for=lambda actor: stored_zone(db.conn, actor) or tz,
            quiet=config.quiet_hours(),
        )
