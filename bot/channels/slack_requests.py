"""What reaches the Slack channel: ``POST /slack/events`` (its signature checked, a request whose
headers cannot hold one refused before its body is read) and Socket Mode envelopes (acknowledged
once committed, never before; none taken by a stopping server); each checked against the team and
app of the bot token. An event is kept and its turn run after the acknowledgement
(:mod:`bot.channels.slack_inbox`); a command or a click is handed to the inbound turns. A slash command or a click
whose turn is not committed within Slack's 3 s is answered then, saying so, and its outcome told at
its response_url (:mod:`bot.channels.slack_late`): its request, or envelope, acknowledges nothing
as stored."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from typing import Any

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot import inbound_json, texts
from bot.channels import Services
from bot.channels import slack_blocks as blocks
from bot.channels import slack_events as events
from bot.channels.slack_events import Answer, Malformed
from bot.channels.slack_inbound import LOCK_WAIT, Inbound
from bot.channels.slack_inbox import Inbox
from bot.channels.slack_limits import Backlog
from bot.refusals import RefusalLog
from bot.store import group, group_requests, write_lock

log = logging.getLogger("decisionbot.slack")


class SlackRequests:
    """The Slack channel's inbound half, over HTTP and Socket Mode (``SlackChannel`` sets these)."""

    services: Services
    verifier: SignatureVerifier | None
    forged: RefusalLog
    stopping: bool
    handling: set[asyncio.Task[Any]]
    inbound: Inbound | None
    inbox: Inbox | None  # events kept, acknowledged, then turned
    backlog: Backlog
    team_id: str | None
    app_id: str | None
    enterprise_id: str | None  # the bot token's Enterprise Grid organisation, if any
    org_wide: bool  # installed org-wide in that organisation (auth.test's is_enterprise_install)

    async def on_http(self, request: web.Request) -> web.Response:
        """A request whose headers cannot hold a signature (missing, stale) is refused before its
        body is read; the others once the body's signature is checked."""
        assert self.verifier is not None
        body, signed = b"", events.signed_headers(request.headers, self.verifier.clock.now())
        if signed:
            try:
                body = await inbound_json.read_body(request)
            except inbound_json.BodyUnread as exc:  # too slow (408), or cut off (400)
                return web.json_response({"error": str(exc)}, status=exc.status)
        if not signed or not events.verify(self.verifier, body, request.headers):
            self.forged.tell("signature", texts.slack_bad_signature, request.remote)
            return web.json_response({"error": texts.slack_invalid_signature()}, status=401)
        try:
            envelope = events.parse(body, request.content_type)
        except Malformed as exc:
            log.warning(texts.slack_refused_payload(exc.reason))
            return web.json_response({"error": exc.reason}, status=400)
        if self.app_id and envelope.app_id and envelope.app_id != self.app_id:  # signed, so by that app's secret
            self.forged.tell("app", texts.slack_secret_of_another_app, events.shown(envelope.app_id), self.app_id)
            return web.json_response({"error": f"unknown app {events.shown(envelope.app_id)}"}, status=400)
        return (await self.process(envelope)).response()

    async def on_socket(self, client: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        if self.stopping:
            log.info(texts.slack_socket_envelope_left(request.envelope_id))
            return  # not acknowledged: Slack sends it again (to another connection, or after the restart)
        task = asyncio.current_task()
        assert task is not None
        self.handling.add(task)
        try:
            await self._socket_turn(client, request)
        finally:
            self.handling.discard(task)

    async def _socket_turn(self, client: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        """The turn of one envelope, acknowledged once it is committed (never before: a lost
        commit leaves it unacknowledged, and Slack sends it again)."""
        written = group_requests.track()
        try:
            answer = await self.process(events.from_socket(request.type, request.payload))
        except Malformed as exc:
            log.warning(texts.slack_refused_payload(exc.reason))
            answer = Answer(400)
        except write_lock.LedgerBusy as exc:  # nothing of it kept, and not acknowledged: Slack sends it again
            group.abandon(written, exc)
            group.busy(self.services.db.conn)  # /healthz says so, as for an HTTP request answered 503
            log.warning(texts.slack_envelope_ledger_busy(request.envelope_id, str(exc)))
            return
        except BaseException as exc:  # nothing of it kept, and not acknowledged: Slack sends it again
            group.abandon(written, exc)
            raise
        try:
            await group.committed(written, self.services.db.conn)
        except sqlite3.Error:
            return  # not acknowledged: Slack sends it again
        answers = ("slash_commands", "interactive")  # (a form's errors are its acknowledgement's payload)
        payload = answer.body if request.type in answers and answer.status == 200 else None
        try:
            await client.send_socket_mode_response(SocketModeResponse(request.envelope_id, payload))
        except (ConnectionError, aiohttp.ClientError) as exc:  # the connection went while the turn was done
            log.warning(texts.slack_socket_ack_lost(request.envelope_id, f"{type(exc).__name__}: {exc}"))

    async def process(self, envelope: events.Envelope) -> Answer:
        if envelope.kind == "url_verification":
            return Answer(body={"challenge": envelope.payload["challenge"]})
        if envelope.kind == "ssl_check":
            return Answer()
        refused = self._origin_refused(envelope)
        if refused is not None:
            return refused
        assert self.inbound is not None
        arrived = asyncio.get_running_loop().time()
        write_lock.wait_for_lock_until(LOCK_WAIT)
        if envelope.kind == "action":  # (commands and forms answer in their response, within Slack's 3 s;
            await self.backlog.room()  # an event is kept at once, its turn waits for room: slack_inbox)
        try:
            if envelope.kind == "event":
                assert self.inbox is not None
                await self.inbox.keep(envelope.payload)  # its turn runs once it is committed, after Slack's 200
            elif envelope.kind == "action":
                await self.inbound.on_action(envelope.payload, arrived)
            elif envelope.kind == "command":
                return await self.inbound.on_command(envelope.payload)
            elif envelope.kind == "interactive":  # the form that starts a decision (slack_modal_start)
                return await self.inbound.on_interactive(envelope.payload)
            elif envelope.kind == "rate_limited":
                log.warning(texts.slack_rate_limited(envelope.payload.get("minute_rate_limited")))
        except Malformed as exc:
            log.warning(texts.slack_refused_payload(exc.reason))
            return Answer(400, {"error": exc.reason})
        except write_lock.LedgerBusy as exc:
            if envelope.kind != "command":
                raise  # answered 503 (not acknowledged over Socket Mode): Slack sends an event again (a click
                # with a response_url is not: slack_late tells its person)
            group.busy(self.services.db.conn)  # /healthz says so, as for a request answered 503
            log.warning(texts.slack_command_ledger_busy(str(exc)))  # Slack never sends a command again: say so
            return Answer(body=blocks.ephemeral(texts.slack_ledger_busy()))
        return Answer()

    def _origin_refused(self, envelope: events.Envelope) -> Answer | None:
        """A payload of another installation than the bot token's: 400, and the log says why. An
        org-wide installation takes every workspace of its Enterprise Grid organisation (its
        payloads name the organisation); one in a workspace takes that workspace's. A workspace
        or organisation the app is installed in besides is one line a minute each, saying what to
        do; anything else (no team at all, another app) a warning."""
        if self.org_wide:
            served = self.enterprise_id or self.team_id
            org = envelope.enterprise_id
            if served and served not in (org, envelope.team_id):
                org = events.shown(org) if org else None
                problem = f"unknown organization {org or '(none)'}"
                if org:  # the app installed there too
                    self.forged.tell(("org", org), texts.slack_other_organization, org, served)
                else:
                    log.warning(texts.slack_refused_payload(problem))
                return Answer(400, {"error": problem})
        elif self.team_id and envelope.team_id != self.team_id:
            team = events.shown(envelope.team_id) if envelope.team_id else None
            problem = f"unknown team {team or '(none)'}"
            if not team:
                log.warning(texts.slack_refused_payload(problem))
            elif self.enterprise_id and envelope.enterprise_id == self.enterprise_id:  # a sibling workspace
                self.forged.tell(
                    ("team", team), texts.slack_workspace_of_the_org, team, self.team_id, self.enterprise_id
                )
            else:  # the app installed there too
                self.forged.tell(("team", team), texts.slack_other_workspace, team, self.team_id)
            return Answer(400, {"error": problem})
        if self.app_id and envelope.app_id != self.app_id:
            problem = f"unknown app {events.shown(envelope.app_id) if envelope.app_id else '(none)'}"
            log.warning(texts.slack_refused_payload(problem))
            return Answer(400, {"error": problem})
        return None
