"""The aiohttp server: mounts the configured channels and hooks, ``/healthz``, and runs the
background work (one outbox sender per channel, WAL housekeeping, and what the mounted parts
start).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, ClientTimeout, TCPConnector, web

from bot import channels, config, texts
from bot.channels import REGISTRY, Channel, Services
from bot.dispatch import Dispatcher, FlowCatalog
from bot.engine import answers
from bot.outbox import Sender
from bot.store import open_db, utc_now

log = logging.getLogger("decisionbot")

SERVICES: web.AppKey[Services] = web.AppKey("services", Services)
CHANNELS = web.AppKey("channels", dict[str, Channel])
SENDERS = web.AppKey("senders", dict[str, Sender])

#: Modules with a ``mount(app, services)`` function that adds routes and background work (the
#: trigger hooks, the job scheduler). Listed here, imported at start-up, like the channels.
MOUNTS: tuple[str, ...] = ("bot.triggers.hooks",)


def create_app(
    db_path: str | Path | None = None,
    flows_dir: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> web.Application:
    """Build the app. Configuration comes from ``env`` (default: the process environment); a
    configured channel with a missing secret raises ConfigError naming the variable."""
    env = dict(os.environ if env is None else env)
    db = open_db(db_path or config.get("db") or "data/decisions.db", synchronous=config.synchronous())
    catalog = FlowCatalog(Path(flows_dir or config.get("flows") or "flows"), db)
    dispatcher = Dispatcher(db, catalog, config.timezone(), clock=clock)
    app = web.Application(client_max_size=1024 * 1024)
    senders: dict[str, Sender] = {}

    def notify(channel: str) -> None:
        sender = senders.get(channel)
        if sender is not None:
            sender.notify()

    services = Services(db=db, dispatcher=dispatcher, http=None, notify=notify, env=env)  # type: ignore[arg-type]
    for problem in channels.load_builtin():
        log.warning(texts.channel_unavailable(problem))
    active = {name: cls(services) for name, cls in REGISTRY.items() if cls.configured(env)}
    for channel in active.values():
        app.router.add_routes(channel.routes())
        senders[channel.name] = Sender(db, channel, clock)
    for module in MOUNTS:
        importlib.import_module(module).mount(app, services)
    app[SERVICES] = services
    app[CHANNELS] = active
    app[SENDERS] = senders
    app.router.add_get("/healthz", _healthz)
    app.cleanup_ctx.append(_lifecycle)
    return app


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    services = app[SERVICES]
    # dateparser loads its data on first use (~0.3 s): pay it at start-up, not inside a turn
    await asyncio.get_running_loop().run_in_executor(None, answers.warm_up)
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
    for name, sender in app[SENDERS].items():
        tasks.append(asyncio.create_task(sender.run(), name=f"outbox-{name}"))
    tasks.append(asyncio.create_task(_housekeeping(services.dispatcher), name="housekeeping"))
    yield
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    for channel in app[CHANNELS].values():
        await channel.stop()
    await services.http.close()
    services.db.close()


async def _housekeeping(dispatcher: Dispatcher) -> None:
    """WAL checkpoints between turns, once a second when there were any."""
    while True:
        await asyncio.sleep(1.0)
        dispatcher.maintain(every=1)


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "channels": channel_names(request.app)})


def channel_names(app: web.Application) -> list[str]:
    active: dict[str, Channel] = app[CHANNELS]
    return sorted(active)
