"""The bot's Teams credentials refused while serving (its client secret expired or rotated, the app
or tenant unknown to Azure AD, a token the Bot Connector will not take), with botbuilder's own
MicrosoftAppCredentials and MSAL asking the fake Azure AD of tests/fakes/login.py, and the fake
Bot Connector: the replies are kept (none given up, however old) until the credentials work
again or the server restarts with working ones; each outage is one log line of ours naming the
variables to fix, and ``/healthz`` says Teams is failing until then. Azure AD's 5xx and network
errors stay plain retries."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.server import SENDERS
from tests.fakes.bot_connector import OpenIdServer
from tests.fakes.login import FakeLogin
from tests.teams_support import ALICE, Harness, personal, wait_for

APP_ID = "11111111-2222-3333-4444-555555555555"
TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
OLD_SECRET = "old-secret-Q~expired-4711"
NEW_SECRET = "new-secret-Q~rotated-0815"
ENV = {"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": OLD_SECRET}
OUT = "SELECT delivered_at IS NOT NULL, failed_at, last_error FROM messages WHERE direction = 'out' ORDER BY id"


@pytest.fixture
def login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLogin]:
    """Microsoft's login services, faked behind the HTTPS proxy MSAL's ``requests`` go through."""
    with OpenIdServer() as keys, FakeLogin(tmp_path, keys) as fake:
        for name, value in fake.env().items():
            monkeypatch.setenv(name, value)
        yield fake


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
    login.apps = set()  # a new app registration Azure AD has not replicated yet (or one disabled for a while)
    async with Harness(tmp_path, dict(ENV)) as h:
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


async def test_a_bot_connector_401_again_after_a_new_token_holds_the_channel_a_single_one_is_a_stale_token(
    tmp_path: Path, login: FakeLogin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with Harness(tmp_path, dict(ENV)) as h:
        sender = h.client.server.app[SENDERS]["teams"]  # type: ignore[union-attr]
        sender.down_first = 0.5
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
        assert len(h.fake.of("send")) == 4  # the reply: once, again with a new token, then the channel waits
        (line,) = ours(caplog)
        assert "The Bot Connector refused the bot's token (HTTP 401) again right after a new one" in line
        assert "MicrosoftAppId, MicrosoftAppPassword, MicrosoftAppType, MicrosoftAppTenantId" in line
        failing = (await health(h))["channels_failing"]["teams"]
        assert failing.startswith("Teams: the Bot Connector refuses the bot's token (HTTP 401 ")
        assert h.db(OUT)[1] == (0, None, h.db(OUT)[1][2]) and h.db(OUT)[1][2].startswith("retry: connector: HTTP 401")
        h.fake.refusals.clear()  # the registration put right
        await h.settle()  # tried again after the wait
        assert [(sent, failed) for sent, failed, _ in h.db(OUT)] == [(1, None), (1, None)]
        assert len(h.fake.of("send")) == 5
        assert "channels_failing" not in await health(h)
        assert ours(caplog)[1:] == [
            "Teams: the bot's credentials work again: the replies waiting in the outbox go out."
        ]


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
        await say(h, login, "start post_meeting Weekly sync")
        await wait_for(lambda: any(row[2] for row in h.db(OUT)))
        (row,) = h.db(OUT)
        assert row[:2] == (0, None) and row[2].startswith("retry: token: ")
        assert ours(caplog) == []
        assert "channels_failing" not in await health(h)
        sender = h.client.server.app[SENDERS]["teams"]  # type: ignore[union-attr]
        assert sender.down_tries == 0  # a retry of that reply, not the channel held
