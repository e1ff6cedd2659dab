"""The bot's Teams credentials refused while serving (its client secret expired or rotated, the app
or tenant unknown to Azure AD, a token the Bot Connector will not take), with botbuilder's own
MicrosoftAppCredentials and MSAL asking the fake Azure AD of tests/fakes/login.py, and the fake
Bot Connector: the replies are kept (none given up, however old) until the credentials work
again or the server restarts with working ones; each outage is one log line of ours naming the
variables to fix, and ``/healthz`` says Teams is failing until then. Azure AD's 5xx and network
errors stay plain retries. Each server starts with working credentials (refused ones stop the
start: tests/test_teams_startup_check.py); they break while it serves, and the token it asked at
start-up expires (``token_expired``), so the next call asks Azure AD."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msal
import pytest
from aiohttp import web
from botframework.connector.auth import ManagedIdentityAppCredentials

from bot.server import SENDERS
from tests.fakes.bot_connector import FakeConnector, OpenIdServer
from tests.fakes.imds import Imds
from tests.fakes.login import FakeLogin
from tests.teams_support import ALICE, BOB, Harness, personal, wait_for

APP_ID = "11111111-2222-3333-4444-555555555555"
TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
OLD_SECRET = "old-secret-Q~expired-4711"
NEW_SECRET = "new-secret-Q~rotated-0815"
ENV = {"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": OLD_SECRET}
OUT = "SELECT delivered_at IS NOT NULL, failed_at, last_error FROM messages WHERE direction = 'out' ORDER BY id"


def ours(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "decisionbot.teams" and "credentials" in r.getMessage()]


async def health(h: Harness) -> dict[str, Any]:
    assert h.client is not None
    resp = await h.client.get("/healthz")
    assert resp.status == 200
    return dict(await resp.json())


async def say(h: Harness, login: FakeLogin, text: str) -> None:
    resp = await h.post(personal(h.url, ALICE, text), {"Authorization": f"Bearer {login.keys.token(APP_ID, h.url)}"})
    assert resp.status == 201, await resp.text()


def token_expired(h: Harness) -> None:
    """The token asked at start-up (and MSAL's copy of it) expired: the next call asks Azure AD."""
    h.channel.connector.tokens.forget(fresh=True)


def secret_rotated(login: FakeLogin, h: Harness) -> None:
    login.secret = NEW_SECRET


def app_unknown(login: FakeLogin, h: Harness) -> None:
    login.apps = {"99999999-0000-0000-0000-000000000000"}


def tenant_unknown(login: FakeLogin, h: Harness) -> None:
    login.tenants = {"some-other-tenant"}


def new_secret_set(login: FakeLogin, h: Harness) -> None:
    h.env = {**h.env, "MicrosoftAppPassword": NEW_SECRET}


def app_registered(login: FakeLogin, h: Harness) -> None:
    login.apps = None


def tenant_known(login: FakeLogin, h: Harness) -> None:
    login.tenants = None


Step = Callable[[FakeLogin, Harness], None]
CASES: dict[str, tuple[dict[str, str], Step, Step, str, str]] = {
    # env, what breaks, the operator's fix, the error, the variables named
    "secret expired": (ENV, secret_rotated, new_secret_set, "invalid_client AADSTS7000215", "MicrosoftAppPassword"),
    "app unknown": (
        ENV,
        app_unknown,
        app_registered,
        "unauthorized_client AADSTS700016",
        "MicrosoftAppId, MicrosoftAppPassword",
    ),
    "tenant unknown": (
        {**ENV, "MicrosoftAppType": "SingleTenant", "MicrosoftAppTenantId": TENANT_ID},
        tenant_unknown,
        tenant_known,
        "tenant not found",
        "MicrosoftAppTenantId",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_replies_while_azure_ad_refuses_the_credentials_are_kept_and_go_out_after_a_restart_with_working_ones(
    tmp_path: Path, login: FakeLogin, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    env, breaks, fix, error, variables = CASES[case]
    caplog.set_level(logging.INFO)
    async with Harness(tmp_path, dict(env)) as h:
        breaks(login, h)
        token_expired(h)
        await say(h, login, "start post_meeting Weekly sync")
        await wait_for(lambda: any(row[2] for row in h.db(OUT)))
        await say(h, login, "We ship in March")  # its reply waits behind the first
        await say(h, login, "list")  # a command's answer (a side call) is not asked again and again
        await asyncio.sleep(1.0)
        asked = len(login.tokens)
        await asyncio.sleep(1.0)
        assert len(login.tokens) == asked  # nothing asked of Azure AD meanwhile
        rows = h.db(OUT)
        assert len(rows) == 2 and all(not sent and failed is None for sent, failed, _ in rows)  # kept
        assert rows[0][2].startswith(f"retry: token: {error}") and rows[1][2] is None
        assert h.fake.posts() == []
        (line,) = ours(caplog)  # one line, however many attempts
        assert f"Teams: the bot's credentials are refused while serving ({error}" in line
        assert variables in line and "Replies wait in the outbox, none is given up" in line and "restart" in line
        assert OLD_SECRET not in caplog.text and NEW_SECRET not in caplog.text
        loud = [r for r in caplog.records if r.levelno >= logging.WARNING and r.name != "decisionbot.hooks"]
        assert [r.getMessage() for r in loud] == [line]
        body = await health(h)
        assert body["status"] == "ok" and body["channels"] == ["teams"]
        failing = body["channels_failing"]["teams"]
        assert failing.startswith(f"Teams: Azure AD refuses the bot's credentials ({error}") and variables in failing
        assert OLD_SECRET not in failing
        fix(login, h)
        await h.restart()
        await h.settle()
        assert [(sent, failed) for sent, failed, _ in h.db(OUT)] == [(1, None), (1, None)]
        assert [p.conversation for p in h.fake.posts()] == ["a:chat-with-29:1alice"] * 2
        assert "channels_failing" not in await health(h)


async def test_a_refusal_that_heals_keeps_even_old_replies_and_is_tried_slowly_then_said_to_work_again(
    tmp_path: Path, login: FakeLogin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with Harness(tmp_path, dict(ENV)) as h:
        login.apps = set()  # a new app registration Azure AD has not replicated yet (or one disabled for a while)
        token_expired(h)
        sender = h.client.server.app[SENDERS]["teams"]  # type: ignore[union-attr]
        sender.down_first = 0.5  # (a minute in production, then longer)
        await say(h, login, "start post_meeting Weekly sync")
        await wait_for(lambda: any(row[2] for row in h.db(OUT)))
        h.db("UPDATE messages SET created_at = '2026-01-01T00:00:00+00:00' WHERE direction = 'out'")
        h.services.db.conn.commit()
        await wait_for(lambda: len(login.tokens) >= 2)  # tried again after the wait, not given up for its age
        assert h.db(OUT)[0][:2] == (0, None)
        assert "channels_failing" in await health(h)
        login.apps = None
        await h.settle()
        assert [(sent, failed) for sent, failed, _ in h.db(OUT)] == [(1, None)]
        assert "channels_failing" not in await health(h)
        assert ours(caplog)[1:] == [
            "Teams: the bot's credentials work again: the replies waiting in the outbox go out."
        ]
        assert len(ours(caplog)) == 2


async def test_a_bot_connector_401_again_after_a_new_token_is_that_replys_retry_a_single_one_is_a_stale_token(
    tmp_path: Path, login: FakeLogin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with Harness(tmp_path, dict(ENV)) as h:
        sender = h.client.server.app[SENDERS]["teams"]  # type: ignore[union-attr]
        h.fake.refusals = [(401, None)]  # a token the connector no longer takes: asked anew, sent at once
        await say(h, login, "start post_meeting Weekly sync")
        await h.settle()
        assert [c.authorization for c in h.fake.calls] == [
            f"Bearer token-1-for-{APP_ID}-from-botframework.com",
            f"Bearer token-2-for-{APP_ID}-from-botframework.com",
        ]
        assert ours(caplog) == [] and "channels_failing" not in await health(h)
        h.fake.refusals = [(401, None)] * 1000  # the Azure Bot is registered with another app id now
        await say(h, login, "We ship in March")
        await wait_for(lambda: len(ours(caplog)) == 1)
        await asyncio.sleep(0.2)
        assert len(h.fake.of("send")) == 4  # the reply: once, again with a new token, then it waits its turn
        (line,) = ours(caplog)  # a warning (Azure AD took the credentials), once for that service URL
        assert f"the Bot Connector at {h.url.rstrip('/')} refused the bot's token (HTTP 401) again" in line
        assert "MicrosoftAppId, MicrosoftAppPassword, MicrosoftAppType, MicrosoftAppTenantId" in line
        loud = [r for r in caplog.records if r.levelno >= logging.WARNING and r.name != "decisionbot.hooks"]
        assert [(r.levelno, r.getMessage()) for r in loud] == [(logging.WARNING, line)]
        assert "channels_failing" not in await health(h)  # a reply's refusal, not the channel's
        assert sender.down_tries == 0
        sent, failed, error = h.db(OUT)[1]
        assert (sent, failed) == (0, None) and error.startswith("retry: connector: HTTP 401")
        (since,) = h.db("SELECT retry_since FROM messages WHERE direction = 'out' AND delivered_at IS NULL")[0]
        assert since is not None  # its day of retries counts
        h.fake.refusals.clear()  # the registration put right
        await h.settle()  # tried again after its backoff
        assert [(sent, failed) for sent, failed, _ in h.db(OUT)] == [(1, None), (1, None)]
        assert len(ours(caplog)) == 1


async def test_one_conversation_whose_service_url_refuses_the_token_holds_no_other(
    tmp_path: Path, login: FakeLogin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    other = FakeConnector()  # another service URL, answering 401 to the bot's (good) token
    await other.start()
    other.refusals = [(401, None)] * 10_000
    query = "SELECT conversation, delivered_at IS NOT NULL, failed_at, last_error FROM messages WHERE direction = 'out'"
    try:
        async with Harness(tmp_path, dict(ENV)) as h:
            sender = h.client.server.app[SENDERS]["teams"]  # type: ignore[union-attr]
            bob = personal(other.url, BOB, "start post_meeting Bob's sync")  # Bob first, from the refusing URL
            resp = await h.post(bob, {"Authorization": f"Bearer {login.keys.token(APP_ID, other.url)}"})
            assert resp.status == 201
            await wait_for(lambda: len(ours(caplog)) == 1)
            await say(h, login, "start post_meeting Alice's sync")
            await say(h, login, "list")  # a command's answer (a side call) goes out too
            await wait_for(lambda: len(h.fake.posts()) == 2)
            await wait_for(lambda: all(sent for conv, sent, _, _ in h.db(query) if "alice" in conv))
            bobs = [row for row in h.db(query) if "bob" in row[0]]
            assert bobs and all(not sent and failed is None for _, sent, failed, _ in bobs)  # retried, not given up
            assert bobs[0][3].startswith("retry: connector: HTTP 401")
            assert sender.down_tries == 0 and "channels_failing" not in await health(h)
            (line,) = ours(caplog)  # one warning, no error, no "work again"
            assert line.startswith(f"Teams: the Bot Connector at {other.url.rstrip('/')} refused")
    finally:
        await other.stop()


@pytest.mark.parametrize("trouble", ["Azure AD 503", "network"])
async def test_azure_ad_failing_or_unreachable_is_a_plain_retry(
    tmp_path: Path, login: FakeLogin, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, trouble: str
) -> None:
    caplog.set_level(logging.INFO)
    async with Harness(tmp_path, dict(ENV)) as h:
        if trouble == "network":
            monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # nothing listens there
            monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")
        else:
            login.failures = [503] * 3
        token_expired(h)
        await say(h, login, "start post_meeting Weekly sync")
        await wait_for(lambda: any(row[2] for row in h.db(OUT)))
        (row,) = h.db(OUT)
        assert row[:2] == (0, None) and row[2].startswith("retry: token: ")
        assert ours(caplog) == []
        assert "channels_failing" not in await health(h)
        sender = h.client.server.app[SENDERS]["teams"]  # type: ignore[union-attr]
        assert sender.down_tries == 0  # a retry of that reply, not the channel held


class StaleRefusingConnector(FakeConnector):
    """The Bot Connector refusing one (stale) token, taking any other."""

    async def _record(self, request: web.Request, method: str):  # type: ignore[no-untyped-def]
        call, refused = await super()._record(request, method)
        if refused is None and request.headers.get("Authorization") == "Bearer mi-token-1":
            return call, web.json_response({"error": {"code": "Unauthorized"}}, status=401)
        return call, refused


MSI_ENV = {"MicrosoftAppId": APP_ID, "MicrosoftAppType": "UserAssignedMSI", "MicrosoftAppTenantId": TENANT_ID}


@pytest.fixture
def msi_cache() -> Iterator[None]:
    """botbuilder keeps managed identity tokens class-wide: each test starts with none, and leaves none."""
    kept = ManagedIdentityAppCredentials.global_token_cache
    ManagedIdentityAppCredentials.global_token_cache = msal.TokenCache()
    yield
    ManagedIdentityAppCredentials.global_token_cache = kept


async def test_a_managed_identitys_stale_token_is_asked_anew_after_a_401(
    tmp_path: Path, login: FakeLogin, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, msi_cache: None
) -> None:
    caplog.set_level(logging.INFO)
    imds = Imds()  # botbuilder keeps managed identity tokens class-wide: dropping the client is not enough
    imds.install(monkeypatch)
    h = Harness(tmp_path, dict(MSI_ENV))
    h.fake = StaleRefusingConnector()
    try:
        async with h:
            await say(h, login, "start post_meeting Weekly sync")
            await h.settle()
            assert [c.authorization for c in h.fake.calls] == ["Bearer mi-token-1", "Bearer mi-token-2"]
            assert ours(caplog) == [] and imds.asked == 2
    finally:
        imds.stop()


@pytest.mark.parametrize("status", [400, 500])
async def test_a_managed_identity_the_host_does_not_have_is_refused_credentials_a_500_a_retry(
    tmp_path: Path,
    login: FakeLogin,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    msi_cache: None,
) -> None:
    caplog.set_level(logging.INFO)
    imds = Imds()
    imds.install(monkeypatch)
    try:
        async with Harness(tmp_path, dict(MSI_ENV)) as h:
            imds.refusals = [status] * 1000
            token_expired(h)
            await say(h, login, "start post_meeting Weekly sync")
            await wait_for(lambda: any(row[2] for row in h.db(OUT)))
            ((sent, failed, error),) = h.db(OUT)
            assert (sent, failed) == (0, None)
            failing = (await health(h)).get("channels_failing")
            if status == 500:  # the endpoint failing: a plain retry
                assert error.startswith("retry: token: ") and ours(caplog) == [] and failing is None
                return
            assert error.startswith("retry: token: invalid_scope 400, No managed identity found")
            (line,) = ours(caplog)
            assert "The host has no managed identity with the client id MicrosoftAppId" in line
            assert "MicrosoftAppType, MicrosoftAppId" in line and "MicrosoftAppPassword" not in line
            assert failing["teams"].startswith("Teams: the managed identity endpoint refuses the bot's identity")
            imds.refusals.clear()  # the identity assigned to the host
            await say(h, login, "list")  # a command's answer goes through: the hold ends at once
            await wait_for(lambda: all(sent for sent, _, _ in h.db(OUT)), timeout=5)  # (not after DOWN_FIRST)
    finally:
        imds.stop()


class ThrottlingLogin(FakeLogin):
    throttle = 0  # the next tenant discoveries answered 429 Too Many Requests

    def _answer(self, host: str, method: str, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        if method == "GET" and path.endswith("/v2.0/.well-known/openid-configuration") and self.throttle:
            self.throttle -= 1
            return 429, {"error": "too_many_requests", "error_description": "Throttled"}
        return super()._answer(host, method, path, body)


async def test_a_throttled_tenant_discovery_is_a_retry_not_a_tenant_unknown(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO)
    with OpenIdServer() as keys, ThrottlingLogin(tmp_path, keys) as login:
        for name, value in login.env().items():
            monkeypatch.setenv(name, value)
        async with Harness(
            tmp_path, {**ENV, "MicrosoftAppType": "SingleTenant", "MicrosoftAppTenantId": TENANT_ID}
        ) as h:
            login.throttle = 1
            token_expired(h)
            await say(h, login, "start post_meeting Weekly sync")
            await wait_for(lambda: any(row[2] for row in h.db(OUT)))
            ((sent, failed, error),) = h.db(OUT)
            assert (sent, failed) == (0, None) and error.startswith(
                "retry: token: Unable to get authority configuration"
            )
            assert ours(caplog) == [] and "channels_failing" not in await health(h)
            sender = h.client.server.app[SENDERS]["teams"]  # type: ignore[union-attr]
            assert sender.down_tries == 0  # the reply is retried (in 30 s), the channel not held


async def test_credentials_working_again_in_a_side_call_end_the_outboxs_hold_at_once(
    tmp_path: Path, login: FakeLogin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with Harness(tmp_path, dict(ENV)) as h:  # production DOWN_FIRST: a minute before the next try
        login.apps = set()  # an app registration not replicated yet
        token_expired(h)
        await say(h, login, "start post_meeting Weekly sync")
        await wait_for(lambda: any(row[2] for row in h.db(OUT)))
        await asyncio.sleep(2.0)  # the outbox settled in its hold (a minute)
        login.apps = None  # it heals
        assert h.channel.connector is not None  # a card shown answered, after its turn's commit woke the outbox:
        await h.channel.connector.say(h.url, "a:chat-with-29:1alice", None, {"type": "message", "text": "hi"}, 1)
        await wait_for(lambda: all(sent for sent, _, _ in h.db(OUT)), timeout=5)  # the held reply goes out too
        assert ours(caplog)[1:] == [
            "Teams: the bot's credentials work again: the replies waiting in the outbox go out."
        ]
        assert "channels_failing" not in await health(h)
