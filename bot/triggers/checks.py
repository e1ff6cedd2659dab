"""SQL metric checks (``flows/checks.yaml``): a query returning one number, compared with a
threshold on a schedule; a breach is a trigger like an alert (same routes, same dedup: one open
run per check), and the first evaluation back within bounds resolves it
(with ``clear_after: N``, the N-th in a row: a flapping metric stays one open breach).

Every evaluation is recorded in ``check_evaluations``, breach or not, with the error when the
query failed. SQLite files are built in; any other database is reached by a SQLAlchemy URL
(``pip install 'decisionbot[sql]'`` and the database's driver).
"""

from __future__ import annotations

import asyncio
import logging
import math
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bot import texts, yaml_text
from bot.admission import Admitted
from bot.dispatch import Dispatcher
from bot.errors import ConfigError
from bot.model import Trigger
from bot.store import group, iso, jobs, transaction
from bot.store.jobs import Job
from bot.triggers import naming, next_slot
from bot.triggers.checks_file import Check, ChecksFile, job_payload, load, refusal
from bot.triggers.router import Router, Stamp, file_stamp

QUERY_SECONDS = 30.0

log = logging.getLogger("decisionbot.checks")


class CheckFailed(Exception):
    """The query could not give one number; ``str()`` says why."""


# --- evaluating --------------------------------------------------------------------------------


def evaluate(check: Check) -> float:
    """Run the query (blocking: call it in a thread) and return its one number."""
    path = sqlite_path(check.database)
    rows = _sqlalchemy_rows(check.database, check.sql) if path is None else _sqlite_rows(path, check.sql)
    if len(rows) != 1 or len(rows[0]) != 1:
        raise CheckFailed(texts.check_shape(len(rows), len(rows[0]) if rows else 0))
    value = rows[0][0]
    if isinstance(value, bool) or value is None:
        raise CheckFailed(texts.check_not_number(value))
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise CheckFailed(texts.check_not_number(value)) from exc
    if not math.isfinite(number):  # 'nan', 'inf' or 1e999: nothing to compare with a threshold
        raise CheckFailed(texts.check_not_number(value))
    return number


def sqlite_path(database: str) -> str | None:
    """The file a check's ``database`` names when it is SQLite: a plain path, or a URL of any
    SQLite dialect (``sqlite://``, ``sqlite+pysqlite://``, ``sqlite+aiosqlite://``, ...), which is
    opened read-only here, never through SQLAlchemy; None for another database's URL."""
    scheme, sep, rest = database.partition("://")
    if not sep:
        return database
    if scheme.split("+", 1)[0].lower() != "sqlite":
        return None
    # sqlite:///relative.db, sqlite:////absolute.db; a query (?mode=...) is SQLAlchemy's, not the name's
    return rest.removeprefix("/").split("?", 1)[0]


def _sqlite_rows(path: str, sql: str) -> list[tuple[Any, ...]]:
    try:  # a name too long (for the system, or over SQLite's 512 bytes), not UTF-8, a NUL byte
        if not Path(path).is_file():
            raise CheckFailed(texts.check_no_database(path))
        conn = sqlite3.connect(f"file:{quote(str(Path(path).resolve()))}?mode=ro", uri=True)
    except (OSError, ValueError, sqlite3.Error) as exc:
        raise CheckFailed(texts.check_cannot_open(path, str(exc))) from exc
    conn.set_authorizer(_reads_only)  # mode=ro alone still lets VACUUM INTO and ATTACH create files
    deadline = time.monotonic() + QUERY_SECONDS
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    try:
        return conn.execute(sql).fetchmany(2)
    except sqlite3.Error as exc:
        if time.monotonic() > deadline and str(exc) == "interrupted":  # stopped by the deadline above
            raise CheckFailed(texts.check_query_stopped(QUERY_SECONDS)) from exc
        raise CheckFailed(texts.check_query_failed(str(exc))) from exc
    finally:
        conn.close()


#: What a check's query may not do on a SQLite source opened read-only: attach a file (``ATTACH``,
#: and ``VACUUM INTO``, which attaches its target), the one way left to create or write one.
#: Table-valued functions, FTS5 and R*Tree reads stay allowed.
_FILE_ACTIONS = frozenset({sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH})


def _reads_only(action: int, *_: object) -> int:
    return sqlite3.SQLITE_DENY if action in _FILE_ACTIONS else sqlite3.SQLITE_OK


def _sqlalchemy_rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    try:
        import sqlalchemy
    except ModuleNotFoundError as exc:
        raise CheckFailed(texts.check_needs_sqlalchemy()) from exc
    try:
        engine = sqlalchemy.create_engine(url)
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sqlalchemy.text(sql)).fetchmany(2)]
    except Exception as exc:  # the driver's own errors: missing module, refused connection, bad SQL
        raise CheckFailed(texts.check_query_failed(str(exc).splitlines()[0])) from exc


def trigger_for(check: Check, value: float, status: str) -> Trigger:
    shown, threshold = texts.metric_number(value), texts.metric_number(check.threshold)
    data: dict[str, Any] = {
        "metric": check.metric,
        "value": shown,
        "threshold": threshold,
        "direction": check.direction,
        "summary": texts.check_summary(check.metric, shown, check.direction, threshold),
        "check": check.name,
        "decision": dict(check.hints),
    }
    if check.link:
        data["link"] = check.link
    return Trigger(flow="", source="check", kind="metric", title=check.title, data=data, status=status,
                   dedup_key=f"check:{check.name}")  # fmt: skip


@dataclass
class Evaluation:
    check: str
    value: float | None
    breached: bool
    error: str | None
    outcome: str  # started, repeat, resolved, unrouted, ok, held (clear_after), error
    problem: str | None = None  # why a breach started no run (unrouted)


class CheckRunner:
    """Evaluates checks and records them; breaches go through the routes like any trigger."""

    def __init__(self, dispatcher: Dispatcher, env: dict[str, str] | Any):
        self.dispatcher = dispatcher
        catalog = dispatcher.catalog
        self.path = catalog.folder / "checks.yaml"
        self.router = Router(
            catalog.folder, env, lambda: set(catalog.current), lambda: catalog.refused, catalog.review_flows
        )
        self._loaded: tuple[tuple[Stamp, Stamp], ChecksFile] | None = None  # (checks.yaml's, routes.yaml's)
        self.learners: Mapping[str, naming.Learner] = {}  # the server's channels, to name a breach's people

    def config(self) -> ChecksFile:
        """checks.yaml as it is now, read again when it changes. A file broken while the process
        runs keeps the last good checks running (as flow files do), with one warning per change;
        broken from the first read (the start), it raises ``ConfigError`` naming check and fix."""
        if not yaml_text.present(self.path):
            return ChecksFile()
        stamp = self.stamp()
        if self._loaded is None or self._loaded[0] != stamp:
            try:
                self._loaded = (stamp, self._routed(load(self.path)))
            except ConfigError as exc:
                if self._loaded is None:
                    raise
                log.warning(texts.checks_broken_kept(str(exc), self._loaded[0][0] == stamp[0]))
                self._loaded = (stamp, self._loaded[1])
        return self._loaded[1]

    def stamp(self) -> tuple[Stamp, Stamp]:
        """What tells checks.yaml or routes.yaml changed since: their stamps (:func:`file_stamp`)."""
        return file_stamp(self.path), file_stamp(self.router.path)

    def _routed(self, loaded: ChecksFile) -> ChecksFile:
        """``loaded``, once every check can be routed (:func:`refusal`); else ConfigError naming
        the file, the check and the routes (or the fix)."""
        named = any(c.hints.get("route") for c in loaded.checks)
        known = [r.name for r in self.router.routes()] if named else []
        reviews = self.router.review_flows()
        for check in loaded.checks:
            if error := refusal(check, self.path, self.router.path, known, reviews):
                raise error
        return loaded

    async def run(self, check: Check, job: Job | None = None) -> Evaluation:
        """Evaluate ``check`` now and record it (and, for a job, schedule the next)."""
        try:  # a driver's own query may not stop in time: the scheduler does not wait longer
            value: float | None = await asyncio.wait_for(asyncio.to_thread(evaluate, check), QUERY_SECONDS + 1)
            error = None
        except CheckFailed as exc:
            value, error = None, str(exc)
        except TimeoutError:
            value, error = None, texts.check_timed_out(QUERY_SECONDS)
        breached = value is not None and check.breached(value)
        still_open, within = _open_breach(self.dispatcher, check.name)
        clears = value is not None and not breached and still_open and within + 1 >= check.clear_after
        items = []
        if value is not None and (breached or clears):
            try:  # routes.yaml broken since start-up: the evaluation is recorded with the reason
                items.append(self.router.route(trigger_for(check, value, "firing" if breached else "resolved")))
            except ConfigError as exc:
                error = str(exc)

        def record(conn: sqlite3.Connection, results: list[Admitted]) -> None:
            now = self.dispatcher.clock()
            event_id = results[0].event_id if results else None
            conn.execute(
                "INSERT INTO check_evaluations (check_name, at, value, threshold, direction, breached, error, event_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (check.name, iso(now), value, check.threshold, check.direction, int(breached), error, event_id),
            )
            if job is not None and jobs.finish_job(conn, job.id, "error" if error else "done", now):
                planned = datetime.fromisoformat(job.due_at)  # only the process that finished it plans on
                due = next_slot(check.schedule, planned, now, self.dispatcher.tz)
                jobs.add_job(conn, None, "check", due, job_payload(check), now)

        unnamed = await naming.learn(items, self.learners)  # the people named by id, named (in the server)
        await group.writable(self.dispatcher.db.conn)  # no-op outside the server
        results = self.dispatcher.admit(items, record)
        naming.tell_unnamed(items, [r.outcome for r in results], unnamed)
        held = value is not None and not breached and still_open and not clears  # clear_after: not yet
        outcome = results[0].outcome if results else ("error" if error else "held" if held else "ok")
        problem = (items[0].problem or texts.no_channel()) if outcome == "unrouted" else None
        if problem:  # nobody is told of this breach: the log says why, as for an alert
            log.warning(self._unrouted(check, items[0].trigger, problem))
        return Evaluation(check.name, value, breached, error, outcome, problem)

    def _unrouted(self, check: Check, trigger: Trigger, problem: str) -> str:
        value = str(trigger.data.get("value", ""))
        return texts.check_unrouted(check.name, value, problem, str(self.path), str(self.router.path))

    async def run_job(self, job: Job) -> str:
        current = jobs.load_job(self.dispatcher.db.conn, job.id)
        if current is None or current.done_at is not None:  # run by another process after our claim went stale
            return "gone"
        check = next((c for c in self.config().checks if c.name == job.payload.get("check")), None)
        if check is None or not check.enabled:
            with transaction(self.dispatcher.db) as conn:
                jobs.finish_job(conn, job.id, texts.job_unplanned(), self.dispatcher.clock())
            return texts.job_unplanned()
        evaluation = await self.run(check, job)
        if evaluation.error and evaluation.value is not None:  # routes.yaml broken: its fix, not the query's
            log.warning(texts.check_routes_failed_log(check.name, evaluation.value, evaluation.error))
        elif evaluation.error:  # the server's (and cron's) only word on it: checks run --once prints it
            log.warning(texts.check_failed_log(check.name, evaluation.error, str(self.path)))
        return evaluation.outcome


def _open_breach(dispatcher: Dispatcher, name: str) -> tuple[bool, int]:
    """Whether the check's last breach is still open (no evaluation since fed its resolution),
    and how many evaluations within bounds came since it. Evaluations that gave no value, or
    whose trigger could not be routed (a broken routes.yaml), count for nothing."""
    conn, valid = dispatcher.db.conn, "check_name = ? AND value IS NOT NULL AND error IS NULL"
    last_breach = f"SELECT max(id) FROM check_evaluations WHERE {valid} AND breached = 1"
    (breach,) = conn.execute(last_breach, (name,)).fetchone()
    if breach is None:
        return False, 0
    within, resolved = conn.execute(
        f"SELECT count(*), count(event_id) FROM check_evaluations WHERE {valid} AND id > ?", (name, breach)
    ).fetchone()
    return not resolved, within
