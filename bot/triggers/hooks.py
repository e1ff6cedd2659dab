"""The trigger hooks on ``decisionbot serve``: ``POST /hooks/alertmanager``, ``/hooks/grafana``
and ``/hooks/events``, and the job scheduler that keeps runs moving.

Each hook wants ``Authorization: Bearer $DECISIONBOT_HOOK_TOKEN``, or basic auth with it as the
password (401 without; its surrounding whitespace is stripped; unset or blank, no hooks). A
malformed body gets 400 naming the problem, a body over the limit 413, a busy bot 503
(Alertmanager retries 5xx and drops 4xx); on every error nothing is stored. A good body is
routed, the people it names by id are named by their channels (``naming``: 1.5 s at most), and it
is admitted in one transaction: new runs start, repeats and resolutions join the open run of their
dedup key. Grafana's contact-point test (:func:`tested`) starts nothing: 200 ``{"test": true}``.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import json
import logging
import sqlite3
from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot import inbound_json, texts
from bot.admission import Admission, Admitted
from bot.channels import Channel, DeliveryFailed, RetryLater, Services
from bot.errors import ConfigError, NoDecisionToReview
from bot.model import Trigger
from bot.refusals import RefusalLog
from bot.scheduler import Scheduler
from bot.store import group
from bot.triggers import PayloadError, alertmanager, generic, grafana, naming, route_channels, validate
from bot.triggers.hook_outcomes import summary, took
from bot.triggers.router import Router

log = logging.getLogger("decisionbot.hooks")

PARSERS: dict[str, Callable[[Any], list[Trigger]]] = {
    "alertmanager": alertmanager.parse,
    "grafana": grafana.parse,
    "events": generic.parse,
}


@dataclass
class HookState:
    token: str
    router: Router
    services: Services
    max_body: int = 8 * 1024 * 1024
    max_inflight: int = 64
    inflight: int = 0
    learners: Mapping[str, naming.Learner] = field(default_factory=dict)  # the served channels'
    channels: Mapping[str, Channel] = field(default_factory=dict)  # the served channels (Grafana's test posts)
    refusals: RefusalLog = field(default_factory=lambda: RefusalLog(log))

    def refused(self, hook: str, status: int, error: str) -> None:
        """A request the hook refused (400, 401, 413), logged with its reason: the sender's
        operator sees only the status. At most one line a minute per hook and status (a sender
        retrying, or someone probing, cannot flood the log); that line counts the ones left out."""
        self.refusals.tell((hook, status), texts.hook_refused, hook, status, error)


HOOKS = web.AppKey("hooks", HookState)
SCHEDULER = web.AppKey("scheduler", Scheduler)
ROUTE_CHECK = web.AppKey("route_check", asyncio.Task[None])
Routed = tuple[list[Trigger], list[Admission]]  # a body's triggers, and where they go


def mount(app: web.Application, services: Services) -> None:
    """The scheduler always; the hooks when DECISIONBOT_HOOK_TOKEN is set (its surrounding
    whitespace stripped: no header can carry a token read with its file's newline; a token of
    whitespace alone is unset). A broken routes file, checks file or DECISIONBOT_DEFAULT_CHANNEL
    stops the start either way (checks route too)."""
    scheduler = Scheduler(services.dispatcher, services.env, notify=services.notify)
    scheduler.checks.config()  # a broken checks file stops the start, naming the check and the fix
    router = scheduler.checks.router
    router.routes()  # a broken routes file stops the start, naming the route and the fix
    app[SCHEDULER] = scheduler
    app.on_startup.append(_start_scheduler)
    app.on_shutdown.append(_stop_scheduler)
    token = (services.env.get("DECISIONBOT_HOOK_TOKEN") or "").strip()  # a file's or secret's "\n" goes
    if not token:
        log.warning(texts.hooks_off())
        return
    app[HOOKS] = HookState(token, router, services)
    for name in PARSERS:
        app.router.add_post(f"/hooks/{name}", _handler(name))
    app.router.add_put("/hooks/grafana", _handler("grafana"))  # its contact point's "HTTP Method: PUT"
    log.info(texts.hooks_on(sorted(f"/hooks/{n}" for n in PARSERS)))


def _handler(name: str) -> Callable[[web.Request], Any]:
    async def handle(request: web.Request) -> web.Response:
        response = await receive(request, name)
        if response.status in (400, 401, 413):
            error = json.loads(response.text or "{}").get("error", "")
            request.app[HOOKS].refused(name, response.status, error)
        return response

    return handle


async def receive(request: web.Request, name: str) -> web.Response:
    state = request.app[HOOKS]
    if not authorized(request.headers.get("Authorization", ""), state.token):
        return problem(401, texts.hook_unauthorized())
    if state.inflight >= state.max_inflight:
        return problem(503, texts.hook_busy(), retry_after=2)
    state.inflight += 1
    try:
        try:
            body = await inbound_json.body_within(read_limited(request, state.max_body))
        except inbound_json.BodyUnread as exc:  # too slow (408), or cut off (400)
            return problem(exc.status, str(exc))
        if body is None:
            return problem(413, texts.hook_too_large(name, state.max_body, MAX_ALERTS))
        routed = route(state, name, body, request.headers.get("Idempotency-Key"))
        if isinstance(routed, web.Response):
            return routed
        if isinstance(routed, Tested):
            return await tested(state, routed)
        unnamed = await naming.learn(routed[1], state.learners)  # the people named by id, named (WAIT s at most)
        try:  # another process's write lock waited for off the loop (its busy wait would stop it)
            await group.writable(state.services.db.conn)
        except sqlite3.OperationalError as exc:
            log.warning(texts.hook_db_busy(str(exc)))
            return problem(503, texts.hook_busy(), retry_after=5)
        return admit(state, *routed, unnamed, hook=name)
    finally:
        state.inflight -= 1


@dataclass
class Tested:
    """Grafana's contact-point test, routed: answered without a run."""

    received: int
    admission: Admission


def route(state: HookState, name: str, body: bytes, request_key: str | None) -> Routed | Tested | web.Response:
    """Parse and route one body: its triggers and where they go, or the answer to give at once
    (refusing it, or to Grafana's contact-point test). ``request_key``: its ``Idempotency-Key``."""
    try:
        payload = inbound_json.loads(body)
    except ValueError as exc:  # not JSON, NaN, a lone surrogate, nested too deeply
        return problem(400, texts.hook_bad_json(str(exc)))
    left_out = alertmanager.left_out(payload) if isinstance(payload, dict) else 0
    if left_out:  # max_alerts cut the group
        log.warning(texts.hook_truncated(name, left_out, str(payload.get("groupKey") or ""), MAX_ALERTS))
    if name in ("alertmanager", "grafana") and isinstance(payload, dict):
        shed(payload, name)
    try:
        triggers = PARSERS[name](payload)
        generic.key_by_request(triggers, request_key if name == "events" else None)
        admissions = state.router.route_all(triggers)
    except PayloadError as exc:
        return problem(400, str(exc))
    except ConfigError as exc:
        log.error("%s", exc)
        return problem(500, str(exc))
    if name == "grafana" and grafana.is_test(payload):
        return Tested(len(triggers), admissions[0])
    return triggers, admissions


#: The alerts of one notification taken: an alert storm beyond it (Alertmanager's ``max_alerts``
#: is 0, all, by default) would hold the server for seconds (20,000 alerts: ~5 s), and no team
#: holds a thousand decisions at once. Those left out count as ``max_alerts`` ones do.
MAX_ALERTS = 1000


def shed(payload: dict[str, Any], hook: str) -> None:
    """Keep the first MAX_ALERTS alerts of a notification; count the rest in ``truncatedAlerts``."""
    alerts = payload.get("alerts")
    if not isinstance(alerts, list) or len(alerts) <= MAX_ALERTS:
        return
    extra = len(alerts) - MAX_ALERTS
    payload["alerts"] = alerts[:MAX_ALERTS]
    payload["truncatedAlerts"] = alertmanager.left_out(payload) + extra
    log.warning(texts.hook_shed(hook, extra, MAX_ALERTS, str(payload.get("groupKey") or "")))


#: Seconds Grafana's test waits for its line to be posted in the route's channel.
TEST_POST_WAIT = 5.0


async def tested(state: HookState, test: Tested) -> web.Response:
    """Grafana's contact-point test: no run and nothing stored (a run would remind and escalate
    for an alert that never fired); where the route's alerts go is answered and logged, and said
    in that channel when it posts so (Slack), which checks the bot may post there."""
    admission = test.admission
    conversation, flow = admission.trigger.conversation, admission.trigger.flow
    answer: dict[str, Any] = {"test": True, "received": test.received, "route": admission.route}
    if conversation is None or admission.problem:
        answer["problem"] = why = admission.problem or texts.no_channel()
        log.warning(texts.grafana_test_unrouted(admission.route, why))
        return web.json_response(answer)
    answer.update(channel=str(conversation), flow=flow)
    channel = state.channels.get(conversation.channel)
    problem = None
    try:
        text = texts.grafana_test_posted(admission.route, flow)
        if channel is not None and await asyncio.wait_for(channel.post_test(conversation, text), TEST_POST_WAIT):
            answer["posted"] = True
    except DeliveryFailed as exc:
        problem = texts.grafana_test_refused(str(conversation), exc.plain or str(exc), exc.remedy)
    except (RetryLater, TimeoutError) as exc:
        problem = texts.grafana_test_not_posted(str(conversation), str(exc) or "no answer in time")
    if problem is None:
        log.info(texts.grafana_test_received(admission.route, str(conversation), flow))
    else:
        answer.update(posted=False, problem=problem)
        log.warning(texts.grafana_test_received(admission.route, str(conversation), flow, problem))
    return web.json_response(answer)


def admit(
    state: HookState,
    triggers: list[Trigger],
    admissions: list[Admission],
    unnamed: Set[str] = frozenset(),
    *,
    hook: str,
) -> web.Response:
    """Admit one routed body: all of it, or (on an error) nothing. ``unnamed``: the people
    :func:`naming.learn` could not name (logged for the runs started with them)."""
    try:
        results = state.services.dispatcher.admit(admissions)
    except sqlite3.OperationalError as exc:  # the ledger is locked by a long writer: try later
        log.warning(texts.hook_db_busy(str(exc)))
        return problem(503, texts.hook_busy(), retry_after=5)
    except NoDecisionToReview as exc:  # a review flow named by a hook (logged as refused): nothing kept
        return problem(400, str(exc))
    for channel in {r.channel for r in results if r.outbox and r.channel}:
        state.services.notify(channel)
    naming.tell_unnamed(admissions, [r.outcome for r in results], unnamed)
    warn_many_runs(state, hook, admissions, results)
    log.info(texts.hook_took(hook, len(triggers), took(admissions, results, hook)))
    unrouted: dict[tuple[str, str], list[tuple[Trigger, int]]] = {}  # one line per reason, not per alert
    for admission, result in zip(admissions, results, strict=True):
        if result.outcome == "unrouted":
            trig, why = admission.trigger, admission.problem or texts.no_channel()
            fix = validate.unrouted_fix(state.router, admission)
            unrouted.setdefault((why, fix), []).append((trig, result.event_id))
    for (why, fix), alike in unrouted.items():
        trig, event_id = alike[0]
        log.warning(texts.trigger_unrouted(trig.title, trig.source, event_id, why, fix, len(alike) - 1))
    return web.json_response(summary(len(triggers), admissions, results))


#: Runs one notification may start in one conversation, one per alert, before the SRE is told of
#: ``dedup: group`` (a rack down: dozens of threads in the channel, each reminding on its own).
MANY_RUNS = 10


def warn_many_runs(state: HookState, hook: str, admissions: list[Admission], results: list[Admitted]) -> None:
    """A warning for each conversation where this notification (to ``/hooks/<hook>``) started more
    than MANY_RUNS runs."""
    started: dict[tuple[str, str | None], int] = {}
    for admission, result in zip(admissions, results, strict=True):
        trigger = admission.trigger
        if result.outcome == "started" and not trigger.grouped and trigger.conversation is not None:
            where = (str(trigger.conversation), admission.route)
            started[where] = started.get(where, 0) + 1
    for (conversation, route), count in started.items():
        if count > MANY_RUNS:
            log.warning(texts.hook_many_runs(hook, count, conversation, route, str(state.router.path)))


def authorized(header: str, token: str) -> bool:
    """Whether the header carries the token: ``Bearer <token>``, or basic auth with it as the
    password (Grafana's contact point, Alertmanager's ``basic_auth``). Bytes that are not UTF-8
    (surrogates: aiohttp decodes with surrogateescape) are compared as the bytes they were."""
    scheme, _, given = header.partition(" ")
    try:
        sent, wanted = given.strip().encode("utf-8", "surrogateescape"), token.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate no bytes stand for: not our token
        return False
    found = basic_password(sent) if scheme.lower() == "basic" else sent if scheme.lower() == "bearer" else None
    return found is not None and hmac.compare_digest(found, wanted)


def basic_password(credentials: bytes) -> bytes | None:
    """The password of basic auth's ``base64(user:password)``; None when it is not that."""
    try:
        _user, colon, password = base64.b64decode(credentials, validate=True).partition(b":")
    except ValueError:  # not base64
        return None
    return password if colon else None


async def read_limited(request: web.Request, limit: int) -> bytes | None:
    """The body, or None when it is over ``limit`` bytes (checked before reading, when it says)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    data = bytearray()
    async for chunk in request.content.iter_chunked(256 * 1024):
        data += chunk
        if len(data) > limit:
            return None
    return bytes(data)


def problem(status: int, message: str, retry_after: int | None = None) -> web.Response:
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return web.json_response({"error": message}, status=status, headers=headers)


async def _start_scheduler(app: web.Application) -> None:
    from bot.server import CHANNELS, SERVICES

    active: dict[str, Any] = app[CHANNELS]
    learners = naming.learners(active)  # a trigger's people named by the channels served
    app[SCHEDULER].checks.learners = learners
    app[SCHEDULER].failing = lambda name: active[name].failing() if name in active else None
    if HOOKS in app:
        app[HOOKS].learners = learners
        app[HOOKS].channels = active
    app[SCHEDULER].start(lambda: list(active))
    runner = app[SCHEDULER].checks
    services = app[SERVICES]

    def refused(found: dict[str, str]) -> None:
        services.extra["routes_refused"] = found

    known = route_channels.Known(refused)
    services.takes_posts = known.takes_posts  # the channels tell when a channel takes the bot's posts again
    services.refuses_posts = known.refuses_posts  # ... or refuses them (the bot removed, archived)
    watched = route_channels.watch(runner, active, known)
    app[ROUTE_CHECK] = asyncio.create_task(watched, name="route-channels")


async def _stop_scheduler(app: web.Application) -> None:
    if ROUTE_CHECK in app:
        app[ROUTE_CHECK].cancel()
    await app[SCHEDULER].stop()
