"""The aiohttp server: mounts the configured channels and hooks, ``/healthz``, and runs the
background work (one outbox sender per channel, WAL housekeeping, and what the mounted parts
start).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import itertools
import logging
import os
import resource
import signal
import socket
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, ClientTimeout, TCPConnector, web

from bot import channels, config, heap, log_lines, outbox_rows, refusals, texts
from bot.channels import REGISTRY, Channel, Services
from bot.dispatch import Dispatcher
from bot.engine import dates
from bot.flow_catalog import FlowCatalog, reload_flows
from bot.outbox import Sender
from bot.outbox_lease import OutboxLease
from bot.store import checkpoint, in_use, migrations, open_db, refuse_read_only, runs, transaction, utc_now, write_lock
from bot.store.group import GroupCommit, abandon, committed
from bot.store.group_requests import track
from bot.store.slack_inbox import given_up_health
from bot.store.write_lock import LedgerBusy

log = logging.getLogger("decisionbot")
service_log = logging.getLogger(log_lines.SERVICE)  # at every log level: the ledger, the stop

#: Seconds between two looks for Teams cards to forget (``runs.forget_cards``: one scan of the table),
#: and the most forgotten in one transaction (a full batch: the next at the next housekeeping).
CARDS_EVERY = 600.0
CARDS_BATCH = 1000

SERVICES: web.AppKey[Services] = web.AppKey("services", Services)
CHANNELS = web.AppKey("channels", dict[str, Channel])
SENDERS = web.AppKey("senders", dict[str, Sender])
GROUP = web.AppKey("group", GroupCommit)
DB_PATH = web.AppKey("db_path", str)
SETTLE_HEAP = web.AppKey("settle_heap", bool)

#: Modules with a ``mount(app, services)`` function that adds routes and background work (the
#: trigger hooks, the job scheduler). Listed here, imported at start-up, like the channels.
MOUNTS: tuple[str, ...] = ("bot.triggers.hooks", "bot.metrics")


def _ledger_said(path: str, new: bool) -> Callable[[web.Application], Any]:
    """Which ledger the server writes, with its open runs, said once the channels have started (a
    start refused before says nothing of a ledger it then leaves as it was, or removes: see
    ``bot.serve_start``): one created now (``serve`` started in another folder than the one the runs
    in flight are in, or with another --db) says so."""

    async def say(app: web.Application) -> None:
        if path != ":memory:":
            service_log.info(in_use(app[SERVICES].db, path, new))

    return say


def _dispatcher(path: str, flows_dir: str | Path | None, clock: Callable[[], datetime]) -> Dispatcher:
    """The ledger at ``path`` opened and the flows folder loaded (each file refused named), under a dispatcher."""
    refuse_read_only(path)  # not a server whose every turn fails
    zone, quiet = config.timezone(), config.quiet_hours()  # refused before the ledger is made
    db = open_db(path, synchronous=config.synchronous())
    try:  # no flow file loads: the start is refused, the ledger closed for serve to remove it
        catalog = FlowCatalog(Path(flows_dir or config.get("flows") or "flows"), db)
    except BaseException:
        db.conn.close()
        raise
    for refusal in catalog.refusals():  # the others run; this one is named at every start
        log.error(refusal)
    for twin in catalog.twin_warnings():  # 'post_meeting.yml' beside the flow file: not read
        log.warning(twin)
    return Dispatcher(db, catalog, zone, clock=clock, quiet=quiet)


def ledger_path(db_path: str | Path | None = None) -> str:
    """The ledger a server on ``db_path`` writes: that, else the setting (``DECISIONBOT_DB``)."""
    return str(db_path or config.get("db") or "data/decisions.db")


def close_ledger(app: web.Application) -> None:
    """Close the ledger ``create_app`` opened, for a start refused before it served."""
    app[SERVICES].db.close()


def create_app(
    db_path: str | Path | None = None,
    flows_dir: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    clock: Callable[[], datetime] = utc_now,
    settle_heap: bool = False,
) -> web.Application:
    """Build the app. Configuration comes from ``env`` (default: the process environment); a
    configured channel with a missing secret raises ConfigError naming the variable.
    ``settle_heap``: once started, the objects the start made are left out of garbage collection
    (:func:`bot.heap.settle`; ``decisionbot serve`` does it, the tests' many apps do not)."""
    env = config.environment(os.environ if env is None else env)  # secrets without their whitespace
    path = ledger_path(db_path)
    new = path != ":memory:" and not Path(path).exists()
    dispatcher = _dispatcher(path, flows_dir, clock)
    db = dispatcher.db
    group = GroupCommit.install(db.conn)
    app = web.Application(client_max_size=1024 * 1024, middlewares=[_committed_first(group)])
    refusals.quiet_client_faults()  # bad HTTP, a body cut off: a line a minute, not a traceback each
    senders: dict[str, Sender] = {}
    idle: set[str] = set()  # channels told about once: replies for them wait in the outbox

    def notify(channel: str) -> None:
        sender = senders.get(channel)
        if sender is not None:
            sender.notify()
        elif channel not in active and channel not in idle:
            idle.add(channel)
            log.warning(texts.channel_off_replies_wait(channel))

    services = Services(db=db, dispatcher=dispatcher, http=None, notify=notify, env=env)  # type: ignore[arg-type]
    for unavailable, library, extra in channels.load_builtin(env):
        log.warning(texts.channel_unavailable(unavailable, library, extra))
    for cls in REGISTRY.values():
        if warning := cls.half_configured(env):
            log.warning(warning)
    active = {name: cls(services) for name, cls in REGISTRY.items() if cls.configured(env)}
    for queued in outbox_rows.channels_waiting(db.conn):  # queued before this start, for a channel it lacks
        notify(queued)
    for channel in active.values():
        app.router.add_routes(channel.routes())
        senders[channel.name] = Sender(db, channel, clock)
    try:
        for module in MOUNTS:  # the hooks' routes.yaml, the checks' checks.yaml: a broken one refuses the start
            importlib.import_module(module).mount(app, services)
    except BaseException:  # closed, so that the refused start removes the ledger it made (nothing_left_if_refused)
        db.close()
        raise
    app[SERVICES] = services
    app[CHANNELS] = active
    app[SENDERS] = senders
    app[GROUP] = group
    app[DB_PATH] = path
    app[SETTLE_HEAP] = settle_heap
    app.router.add_get("/healthz", _healthz)
    app.cleanup_ctx.append(_lifecycle)
    app.on_startup.append(_ledger_said(path, new))  # after the channels' start (the cleanup contexts)
    if settle_heap:
        app.on_startup.append(heap.settle)  # after the channels' start (the cleanup contexts)
    return app


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    services = app[SERVICES]
    # dateparser loads its data on first use (~0.3 s): pay it at start-up, not inside a turn
    await asyncio.get_running_loop().run_in_executor(None, dates.warm_up)
    services.http = ClientSession(
        connector=TCPConnector(limit=200, limit_per_host=100), timeout=ClientTimeout(total=30)
    )
    tasks: list[asyncio.Task[Any]] = []
    try:
        for channel in app[CHANNELS].values():
            await channel.start()
    except BaseException:
        await services.http.close()
        raise
    lease = OutboxLease(services.db, sorted(app[SENDERS].keys()))  # one process at a time sends a channel's replies
    try:
        await lease.renew()  # before the first send; another process's lease is waited out by housekeeping
    except sqlite3.Error as exc:
        log.warning(texts.outbox_lease_failed(str(exc)))
    for name, sender in app[SENDERS].items():
        sender.lease = lease
        tasks.append(asyncio.create_task(sender.run(), name=f"outbox-{name}"))
    housekeeping = _housekeeping(services, app[GROUP], app[DB_PATH], lease, app[SETTLE_HEAP], app[CHANNELS])
    tasks.append(asyncio.create_task(housekeeping, name="housekeeping"))
    yield
    lease.stopping = True  # no new send from here; a send in flight finishes and is marked before release
    loop = asyncio.get_running_loop()
    deadline = loop.time() + channels.STOP_GRACE  # the replies being sent finish, not sent again by the next
    # a send Slack or Teams took, waiting for another process's write lock to record that (its
    # thread, its mark), is waited for up to the busy timeout more: cut off, it is sent again
    locked_deadline = deadline + app[GROUP].busy_timeout_ms / 1000
    while any(s.in_flight for s in app[SENDERS].values()) and (
        loop.time() < deadline or (write_lock.waiting() and loop.time() < locked_deadline)
    ):
        await asyncio.sleep(0.02)
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    for channel in app[CHANNELS].values():
        await channel.stop()
    await services.http.close()
    with contextlib.suppress(Exception):  # not released: it expires within seconds all the same
        await lease.release()
    with contextlib.suppress(Exception):
        await app[GROUP].settled()
    app[GROUP].uninstall()
    service_log.info(texts.server_stopped(outbox_rows.waiting(services.db.conn, list(app[CHANNELS].keys()))))
    services.db.close()


async def _housekeeping(
    services: Services,
    group: GroupCommit,
    path: str,
    lease: OutboxLease,
    settled: bool = False,
    active: Mapping[str, Channel] | None = None,
) -> None:
    """Off the turns' hot path: the areas' upkeep (new messages into the full-text index, in
    batches) four times a second; once a second the outbox leases are renewed (or taken over from
    a process that stopped: its senders are woken), the flows folder is loaded again if its flow
    files changed (``reload_flows``; in a ``settled`` server, what it replaced is then collected
    though frozen: ``heap.resettle``), and when there were turns or leases, delivery ids older
    than a week are forgotten (``runs.forget_deliveries``), with, every CARDS_EVERY seconds (at
    once again while batches come full), the Teams cards of runs ended over 30 days ago
    (``runs.forget_cards``), and the WAL is checkpointed. The checkpoint copies pages on its own
    connection in a worker thread (SQLite does that I/O without the GIL), so turns go on meanwhile.
    Once a second too, each channel's own upkeep (``Channel.housekeep``: Slack's channels named in
    the background)."""
    dispatcher = services.dispatcher
    copier = open_db(path, migrate=False) if path != ":memory:" else None
    copying: asyncio.Future[None] | None = None
    reload_failed: str | None = None
    loop, cards_at = asyncio.get_running_loop(), 0.0  # when the old Teams cards are next looked for
    try:
        for tick in itertools.count(1):
            await asyncio.sleep(0.25)
            renewed = not tick % 4 and bool(lease.channels)
            if renewed:  # first, on its own: whatever else fails, replies keep going out
                try:
                    for channel in await lease.renew():
                        services.notify(channel)
                except Exception as exc:  # the leases lapse unless a later renewal works
                    log.warning(texts.outbox_lease_failed(f"{type(exc).__name__}: {exc}"))
            if not tick % 4:  # a flow file fixed, changed, added or removed: the new runs see it
                reloads = dispatcher.catalog.reloads
                reload_failed = await reload_flows(dispatcher.catalog, reload_failed)
                if settled and dispatcher.catalog.reloads != reloads and gc.get_freeze_count():
                    heap.resettle()
                _channels_upkeep(active or {})
            try:
                await group.settled()
                if migrations.upkeep_due(services.db):  # the write lock only for work to do
                    await group.writable()  # another process's write lock waited for off the loop
                    migrations.upkeep(services.db)
                if tick % 4:
                    continue
                if not (dispatcher.turns_since_checkpoint or renewed):
                    continue
                dispatcher.turns_since_checkpoint = 0
                await group.writable()
                with transaction(services.db) as conn:  # delivery ids past any platform's retries
                    runs.forget_deliveries(conn, dispatcher.clock())
                    if loop.time() >= cards_at:  # Teams cards of runs ended long ago: a batch at a time
                        full = runs.forget_cards(conn, dispatcher.clock(), CARDS_BATCH) == CARDS_BATCH
                        cards_at = loop.time() + (0.0 if full else CARDS_EVERY)
                if copier is None:
                    checkpoint(services.db)
                else:
                    copying = asyncio.ensure_future(asyncio.to_thread(checkpoint, copier))
                    await asyncio.shield(copying)
            except Exception as exc:  # logged; housekeeping goes on (checkpoints are not automatic)
                log.warning(texts.housekeeping_failed(f"{type(exc).__name__}: {exc}"))
    finally:
        if copying is not None and not copying.done():
            await asyncio.wait([copying])  # the thread still uses the connection
        if copier is not None:
            copier.close()


def _channels_upkeep(active: Mapping[str, Channel]) -> None:
    """Each channel's own upkeep (quick: what waits on the platform goes on in tasks of its own);
    one failing is logged, the others' and the housekeeping go on."""
    for channel in active.values():
        try:
            channel.housekeep()
        except Exception as exc:
            log.warning(texts.housekeeping_failed(f"{channel.name}: {type(exc).__name__}: {exc}"))


def _committed_first(group: GroupCommit) -> Callable[..., Any]:
    """Every response waits for the commit of what its request wrote (see bot.store.group):
    nothing is acknowledged that is not stored. A failed commit answers 503, to be retried. A
    handler that fails (aiohttp answers 500) leaves nothing: the group holding what it wrote is
    rolled back (``abandon``), so a retry (Slack's events, Alertmanager's notifications; see the
    README for who retries what) is carried out, not dropped as a repeat. A handler that waited
    too long for another process's write lock (``LedgerBusy``: see ``GroupCommit.writable``) is
    answered 503 the same way, with nothing of it kept."""

    @web.middleware
    async def committed_first(request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        written = track()
        try:
            response = await handler(request)
        except LedgerBusy as exc:  # another process held the write lock past the request's wait
            abandon(written, exc)
            group.health.busy()  # /healthz and /metrics say failing for a minute (they said ok)
            log.warning(texts.request_waited_for_lock(request.path, str(exc)))
            return web.json_response({"error": texts.store_unavailable()}, status=503, headers={"Retry-After": "1"})
        except BaseException as exc:
            abandon(written, exc)
            raise
        try:
            await committed(written, group.conn)
        except sqlite3.Error:
            return web.json_response({"error": texts.store_unavailable()}, status=503, headers={"Retry-After": "1"})
        return response

    return committed_first


async def _healthz(request: web.Request) -> web.Response:
    body: dict[str, Any] = {"status": "ok", "channels": channel_names(request.app)}
    failing = channels_failing(request.app)
    if failing:  # on, but not working (a token refused, the platform down): the other channels serve
        body["channels_failing"] = failing
    if refused := request.app[SERVICES].dispatcher.catalog.refused_within():  # the others run (x.yaml, not a path)
        body["flows_refused"] = refused
    if routes := request.app[SERVICES].extra.get("routes_refused"):  # their channels refuse the bot
        body["routes_refused"] = routes
    if given_up := given_up_health(request.app[SERVICES].db.conn):  # kept, not run: the operator's to retry
        body["slack_events_given_up"] = given_up
    health = request.app[GROUP].health  # nothing can be stored (a full disk, another's lock): down, whatever it serves
    if (failed := health.failed) or health.locked_out():
        body.update(
            status="failing", ledger_failing=texts.ledger_failing(failed) if failed else texts.ledger_locked_out()
        )
        return web.json_response(body, status=503)
    return web.json_response(body)


def channels_failing(app: web.Application) -> dict[str, str]:
    """The channels that are on but do not work now (a token refused, no reply delivered for a
    minute), each with why: ``/healthz``'s ``channels_failing`` and ``/metrics``."""
    senders = app[SENDERS]
    return {
        name: why
        for name, channel in app[CHANNELS].items()
        if (why := channel.failing() or (senders[name].outage() if name in senders else None))
    }


def channel_names(app: web.Application) -> list[str]:
    return sorted(app[CHANNELS].keys())


def open_files_for_clients() -> int:
    """The soft open-files limit raised to the hard one, and returned. Every client connection
    holds a file descriptor, one trickling its headers (slowloris) until aiohttp's keep-alive
    timeout closes it (75 s); at the soft limit systemd gives a service by default (1024; the hard
    one is 524288) a thousand such connections left the server unable to accept anyone (its
    requests timed out, asyncio logged "Too many open files" thousands of times a second)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
        with contextlib.suppress(ValueError, OSError):  # a sandbox refusing it keeps the soft limit
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def run(
    app: web.Application, sockets: list[socket.socket], announce: Callable[[str], None], stop: Callable[[int], None]
) -> None:
    """Serve ``app`` until stopped (``decisionbot serve``) on ``sockets``, bound before the ledger
    was opened (``bot.cli_listen.bind``), with room for many client connections. SIGTERM and SIGINT
    call ``stop`` (``bot.serve_start.Start.stop``), whether the channels are starting or serving; SIGHUP
    is logged and ignored."""
    from bot.access_log import AccessLog
    from bot.serve_start import STOP_SIGNALS, hang_up

    open_files_for_clients()
    loop = asyncio.new_event_loop()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, stop, signum)
    loop.add_signal_handler(signal.SIGHUP, hang_up)
    web.run_app(app, sock=sockets, print=announce, access_log_class=AccessLog, handle_signals=False, loop=loop)
