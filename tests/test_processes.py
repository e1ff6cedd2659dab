"""Several processes on one ledger: opening a ledger that needs migrating at the same moment, and
the server's event loop while a batch of due jobs runs."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from sqlite_utils import Database

from bot.dispatch import Dispatcher
from bot.flow_catalog import FlowCatalog
from bot.model import ConversationKey, Trigger
from bot.scheduler import Scheduler
from bot.store import migrations, open_db
from bot.store.group import GroupCommit
from tests.clock import Clock
from tests.flows_support import shipped_flows
from tests.triggers.conftest import ALICE, BOB, NOW, PARIS

CLI = Path(sys.executable).with_name("decisionbot")


def schema(path: Path) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchall()
        return sorted((t, n, s or "") for t, n, s in rows)
    finally:
        conn.close()


def records(path: Path) -> list[tuple[str, str, int]]:
    conn = sqlite3.connect(path)
    try:
        sql = "SELECT migration_set, name, count(*) FROM _sqlite_migrations GROUP BY 1, 2 ORDER BY 1, 2"
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def every_migration() -> list[tuple[str, str, int]]:
    return sorted((s.name, m.name, 1) for s in migrations.all_sets() for m in s._migrations)


def old_ledger(path: Path) -> None:
    """A ledger from an early install: the first core migration only, every other one pending."""
    db = Database(sqlite3.connect(path, isolation_level=None))
    migrations.migrations.apply(db, stop_before="m002_outbox_gives_up_by_time")
    db.conn.close()


def open_together(path: Path, processes: int) -> list[BaseException]:
    """Open ``path`` (migrating it) from several threads, each with its own connection, at once."""
    start = threading.Barrier(processes)
    errors: list[BaseException] = []

    def one() -> None:
        start.wait()
        try:
            open_db(path).conn.close()
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(processes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_processes_migrating_one_ledger_at_once_each_apply_a_migration_once(tmp_path: Path) -> None:
    fresh = tmp_path / "reference.db"
    open_db(fresh).conn.close()
    for trial in range(6):  # the race is likely, not certain, in any one trial
        new, old = tmp_path / f"new{trial}.db", tmp_path / f"old{trial}.db"
        old_ledger(old)
        for path in (new, old):
            assert open_together(path, 6) == [], (trial, path.name)
            assert schema(path) == schema(fresh), (trial, path.name)
            assert records(path) == every_migration(), (trial, path.name)


def test_cron_and_an_operator_upgrading_one_ledger_at_once_both_succeed(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old_ledger(path)
    env = {**os.environ, "DECISIONBOT_FLOWS": str(shipped_flows(tmp_path / "flows"))}
    commands = [["jobs", "run-due"], ["jobs", "run-due"], ["db", "migrate"], ["db", "migrate"]]
    started = [
        subprocess.Popen([str(CLI), "--db", str(path), *c], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for c in commands
    ]
    for command, process in zip(commands, started, strict=True):
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, (command, out.decode(), err.decode())
        assert b"Traceback" not in err
    fresh = tmp_path / "reference.db"
    open_db(fresh).conn.close()
    assert schema(path) == schema(fresh)
    assert records(path) == every_migration()


async def test_the_servers_scheduler_lets_requests_in_between_due_jobs(tmp_path: Path) -> None:
    flows = shipped_flows(tmp_path / "flows")
    clock = Clock(NOW)
    db = open_db(tmp_path / "s.db")
    bot = Dispatcher(db, FlowCatalog(flows, db), PARIS, clock=clock)
    for n in range(40):  # 40 runs: a reminder each, all due in 4 hours
        trigger = Trigger(flow="post_meeting", title=f"Sync {n}", facilitator=ALICE, participants=[BOB])
        bot.start(trigger, ConversationKey("console", f"room{n}"))
    clock.at(hours=4)
    group = GroupCommit.install(db.conn)  # as in the server: turns share a commit per loop pass
    ticks = 0

    async def other_requests() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0)
            ticks += 1

    ticker = asyncio.create_task(other_requests())
    await asyncio.sleep(0)
    try:
        commits, ticks = group.commits, 0
        ran = await Scheduler(bot, {}).run_due()
        await group.settled()
        assert [outcome for _, outcome in ran] == ["done"] * 40
        assert ticks >= 40  # the loop ran between every two jobs ...
        assert group.commits - commits >= 40  # ... and each job was committed on its own
    finally:
        ticker.cancel()
        group.uninstall()
        db.conn.close()
