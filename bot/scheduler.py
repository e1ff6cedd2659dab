"""The durable job loop: claims due jobs from the ``jobs`` table and runs them.

A job is claimed atomically (``UPDATE ... SET claimed_at ... WHERE claimed_at IS NULL``, with
``RETURNING``), so the server and a ``decisionbot jobs run-due`` from cron never run the same
one; a claim older than the lease belongs to a process that died and is taken over. Kinds:
``remind``, ``escalate``, ``expire`` and ``start_flow`` are turns of runs (the Dispatcher);
``digest`` sends each owner their open actions; ``check`` evaluates a SQL metric check. The
recurring ones (checks, the digest) are planned from ``flows/checks.yaml``. Everything lives in
SQLite, so timers survive restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from bot import chase, texts
from bot.dispatch import Dispatcher
from bot.errors import FlowNotFound
from bot.model import Actor
from bot.store import group, is_busy, jobs, transaction
from bot.store.jobs import Job
from bot.store.people import stored_kinds
from bot.triggers import checks, digest, naming, next_slot

log = logging.getLogger("decisionbot.scheduler")

RUN_KINDS = ("remind", "escalate", "expire", "start_flow")
#: Seconds ``decisionbot jobs run-due`` waits between two jobs, holding no lock. Each job is its
#: own transaction; back to back, a server waiting for the write lock (SQLite's busy handler polls
#: it) would rarely find it free and its event loop would stall until the whole backlog was done.
CLI_PAUSE = 0.005


class Scheduler:
    def __init__(
        self,
        dispatcher: Dispatcher,
        env: Mapping[str, str] | None = None,
        notify: Callable[[str], None] | None = None,
        poll: float = 1.0,
        lease: timedelta = timedelta(minutes=5),
        batch: int = 100,
        pause: float = 0.0,
    ):
        self.dispatcher = dispatcher
        self.notify = notify
        self.poll = poll
        self.lease = lease
        self.batch = batch
        self.pause = pause  # between jobs: 0 in the server (yield to the loop), CLI_PAUSE in the CLI
        self.checks = checks.CheckRunner(dispatcher, env or {})
        self.task: asyncio.Task[None] | None = None
        #: Why a channel served fails now (a token refused while serving), by name; None while it
        #: works. The server's channels' ``failing``: a chase of a run there waits (bot.chase).
        self.failing: Callable[[str], str | None] = lambda channel: None

    # --- planning the recurring jobs -----------------------------------------------------------

    def plan(self, now: datetime | None = None) -> None:
        """One pending job per enabled check and for the digest, as ``checks.yaml`` says."""
        now = now or self.dispatcher.clock()
        config = self.checks.config()
        with transaction(self.dispatcher.db) as conn:
            wanted = {c.name: c for c in config.checks if c.enabled}
            kept: set[str] = set()
            for job in jobs.pending_jobs(conn, "check"):  # one per check, on the schedule checks.yaml says now
                check = wanted.get(str(job.payload.get("check")))
                if check is None or check.name in kept or job.payload != checks.job_payload(check):
                    jobs.finish_job(conn, job.id, texts.job_unplanned(), now)
                else:
                    kept.add(check.name)
                    soonest = next_slot(check.schedule, now, now, self.dispatcher.tz)  # the schedule's next from now
                    if datetime.fromisoformat(job.due_at) > soonest:  # planned on a clock since put back
                        jobs.bring_forward(conn, job.id, now)
            for check in wanted.values():
                if check.name not in kept:
                    jobs.add_job(conn, None, "check", now, checks.job_payload(check), now)
            pending = [j for j in jobs.pending_jobs(conn, "digest") if "to" not in j.payload]  # not one put off
            for job in pending:
                if job.payload.get("schedule") != config.digest:
                    jobs.finish_job(conn, job.id, texts.job_unplanned(), now)
                else:  # an owner's own 09:00 may come before it now (a new owner, a zone changed)
                    digest.replan(conn, self.dispatcher, job, now)
            if config.digest and not any(j.payload.get("schedule") == config.digest for j in pending):
                first = digest.next_due(conn, self.dispatcher, config.digest, now)
                jobs.add_job(conn, None, "digest", first, {"schedule": config.digest}, now)

    # --- running what is due -------------------------------------------------------------------

    async def run_due(self, now: datetime | None = None, kinds: tuple[str, ...] = ()) -> list[tuple[Job, str]]:
        """Claim and run every job due at ``now`` (default: the dispatcher's clock).

        After each job it sleeps ``pause`` seconds: in the server that yields to the event loop,
        so requests are answered during a burst of due jobs and each job commits on its own
        (a group commit per job, not one for the batch); from the CLI it leaves the write lock free
        for a moment."""
        now = now or self.dispatcher.clock()
        ran: list[tuple[Job, str]] = []
        while True:
            if not jobs.any_due(self.dispatcher.db.conn, now, now - self.lease, kinds):
                return ran  # the write lock only for a claim to make
            await group.writable(self.dispatcher.db.conn)  # no-op outside the server (the CLI, cron)
            with transaction(self.dispatcher.db) as conn:
                claimed = jobs.claim_due(conn, now, self.batch, now - self.lease, kinds)
            if not claimed:
                return ran
            for job in claimed:
                ran.append((job, await self._run(job)))
                await asyncio.sleep(self.pause)

    async def _run(self, job: Job) -> str:
        try:
            if job.kind in RUN_KINDS:
                channel, everyone = chase.before_firing(self.dispatcher.db.conn, job)  # one read of its run
                down = self.failing(channel) if channel else None
                nobody = await self._look_up(job, everyone) if down is None else {}  # before the write lock: it awaits
                await group.writable(self.dispatcher.db.conn)
                return self.dispatcher.run_job(job, nobody, down)
            if job.kind == "digest":  # their zones: each gets it in their own day
                await self._look_up(job, chase.people_of(self.dispatcher.db.conn, job))
            await group.writable(self.dispatcher.db.conn)
            if job.kind == "digest":
                return digest.run_job(self.dispatcher, job)
            if job.kind == "check":
                return await self.checks.run_job(job)
            return self._fail(job, texts.job_unknown_kind(job.kind))
        except sqlite3.OperationalError as exc:  # locked: the claim lapses and the job runs later
            log.warning(texts.job_retry(job.id, str(exc)))
            return "retry"
        except FlowNotFound as exc:  # its flow file refused, or gone (a deploy): the job waits for it, not lost
            log.warning(texts.job_waits_for_flow(job.id, str(exc)))
            return "retry"
        except Exception as exc:  # a job that cannot run is marked failed, not retried forever
            log.exception(texts.job_failed(job.id, job.kind, str(exc)))
            return self._fail(job, f"failed: {exc}")

    async def _look_up(self, job: Job, everyone: list[Actor]) -> dict[str, str]:
        """Ask the channels served again about ``everyone`` ``job`` may reach, those last looked
        up over a day ago (Slack's ``users.info``), for ``naming.WAIT`` seconds at most: a review
        or a reminder weeks after the meeting reaches someone who left (known so, and told to the
        facilitator, not sent into a chat nobody reads) or moved (their new zone's hours). Returns
        those nobody can ask, by id (``deactivated``, ``app``): as their platform says, or, for a
        channel not served here (``jobs run-due`` from cron), as the ledger keeps it."""
        learners = self.checks.learners
        people = [p for p in everyone if p.channel in learners]
        by_channel: dict[str, list[Actor]] = {}
        for person in people:
            by_channel.setdefault(person.channel, []).append(person)
        asked = {asyncio.ensure_future(learners[name].learn(found)): name for name, found in by_channel.items()}
        if asked:
            done, late = await asyncio.wait(list(asked), timeout=naming.WAIT)
            for task in late:
                task.cancel()
            for task in done:
                if (error := task.exception()) is not None:
                    why = f"{type(error).__name__}: {error}"
                    log.warning(texts.job_people_lookup_failed(job.id, job.kind, asked[task], why))
        nobody = stored_kinds(self.dispatcher.db.conn, [p for p in everyone if p.channel not in learners])
        return {k: v for k, v in nobody.items() if v != "unreached"} | {
            p.id: kind for p in people if (kind := learners[p.channel].not_a_person(p.id))
        }

    def _fail(self, job: Job, outcome: str) -> str:
        with transaction(self.dispatcher.db) as conn:
            jobs.finish_job(conn, job.id, outcome, self.dispatcher.clock())
        return outcome

    # --- in the server -------------------------------------------------------------------------

    def start(self, channels: Callable[[], list[str]]) -> None:
        self.task = asyncio.create_task(self.forever(channels), name="scheduler")

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    async def forever(self, channels: Callable[[], list[str]], kinds: tuple[str, ...] = ()) -> None:
        """Run due jobs every ``poll`` seconds; re-plan from checks.yaml every minute; wake the
        outbox senders (replies may also come from other processes: the CLI, cron)."""
        planned_at: float | None = None
        loop = asyncio.get_running_loop()
        while True:
            try:
                if planned_at is None or loop.time() - planned_at > 60:
                    planned_at = loop.time()
                    await group.writable(self.dispatcher.db.conn)  # the loop serves requests meanwhile
                    self.plan()
                await self.run_due(kinds=kinds)
            except Exception as exc:  # keep the loop alive: the next round may work
                if isinstance(exc, sqlite3.OperationalError) and is_busy(exc):  # another process's lock, all along
                    log.warning(texts.scheduler_error(str(exc)))
                else:
                    log.exception(texts.scheduler_error(str(exc)))
            if self.notify is not None:
                for channel in channels():
                    self.notify(channel)
            await asyncio.sleep(self.poll)


def describe(ran: list[tuple[Job, str]]) -> list[dict[str, Any]]:
    return [{"job": j.id, "kind": j.kind, "run": j.run_id, "due_at": j.due_at, "outcome": o} for j, o in ran]
