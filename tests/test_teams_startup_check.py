"""The bot's Teams credentials checked when ``serve`` starts, as Slack's token is (auth.test), with
botbuilder's own MicrosoftAppCredentials and MSAL asking the fake Azure AD of tests/fakes/login.py
(and a managed identity the fake App Service identity endpoint of tests/fakes/imds.py): working
ones give the token the first reply uses; refused ones stop the start with one line naming what to
fix (never the secret); an Azure AD that cannot be reached, fails or is slow is one warning, and
the server serves."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import msal
import pytest
from aiohttp.test_utils import TestServer
from botframework.connector.auth import ManagedIdentityAppCredentials

from bot.channels.teams_tokens import CHECK_TIMEOUT
from bot.errors import ConfigError
from bot.server import SERVICES, create_app
from tests.fakes.bot_connector import FakeConnector
from tests.fakes.imds import Imds
from tests.fakes.login import AAD, FakeLogin
from tests.teams_support import ALICE, ROOT, Harness, personal

APP_ID = "11111111-2222-3333-4444-555555555555"
TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
OLD_SECRET = "old-secret-Q~expired-4711"
NEW_SECRET = "new-secret-Q~rotated-0815"
ENV = {"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": OLD_SECRET}
SINGLE = {**ENV, "MicrosoftAppType": "SingleTenant", "MicrosoftAppTenantId": TENANT_ID}
MSI_ENV = {"MicrosoftAppId": APP_ID, "MicrosoftAppType": "UserAssignedMSI", "MicrosoftAppTenantId": TENANT_ID}
UNCHECKED = "Teams: could not check the bot's credentials with Azure AD at start-up ("


@pytest.fixture
def imds(monkeypatch: pytest.MonkeyPatch) -> Iterator[Imds]:
    """An App Service identity endpoint; botbuilder's class-wide token cache empty before and after."""
    kept = ManagedIdentityAppCredentials.global_token_cache
    ManagedIdentityAppCredentials.global_token_cache = msal.TokenCache()
    endpoint = Imds()
    endpoint.install(monkeypatch)
    yield endpoint
    endpoint.stop()
    ManagedIdentityAppCredentials.global_token_cache = kept


def loud(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The Teams channel's warnings and errors (the signing keys' prefetch aside: its own warning)."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name == "decisionbot.teams" and "signing keys" not in r.getMessage()
    ]


async def say(h: Harness, login: FakeLogin, text: str) -> None:
    resp = await h.post(personal(h.url, ALICE, text), {"Authorization": f"Bearer {login.keys.token(APP_ID, h.url)}"})
    assert resp.status == 201, await resp.text()


async def first_reply(h: Harness, login: FakeLogin) -> str | None:
    """Start a run in Alice's personal chat; the Authorization its first card went out with."""
    await say(h, login, "start post_meeting Weekly sync")
    return (await h.next_post(0)).authorization


# --- working credentials: checked at start, the token kept for the first reply ----------------------


@pytest.mark.parametrize(("env", "tenant"), [(ENV, "botframework.com"), (SINGLE, TENANT_ID)], ids=["multi", "single"])
async def test_working_credentials_are_checked_at_start_and_their_token_serves_the_first_reply(
    tmp_path: Path, login: FakeLogin, caplog: pytest.LogCaptureFixture, env: dict[str, str], tenant: str
) -> None:
    caplog.set_level(logging.INFO)
    async with Harness(tmp_path, dict(env)) as h:
        assert [(t.tenant, t.form.get("client_id")) for t in login.tokens] == [(tenant, APP_ID)]  # before any reply
        assert await first_reply(h, login) == f"Bearer token-1-for-{APP_ID}-from-{tenant}"
        assert len(login.tokens) == 1  # the fake Azure AD was asked once: at start-up
        assert loud(caplog) == []


async def test_a_managed_identity_is_checked_at_start_too(
    tmp_path: Path, login: FakeLogin, imds: Imds, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with Harness(tmp_path, dict(MSI_ENV)) as h:
        assert imds.asked == 1
        assert await first_reply(h, login) == "Bearer mi-token-1"
        assert imds.asked == 1 and loud(caplog) == []


async def test_without_an_app_id_there_is_nothing_to_check(
    tmp_path: Path, login: FakeLogin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with Harness(tmp_path, {"DECISIONBOT_TEAMS": "on"}) as h:  # local development: authentication off
        await h.send(personal(h.url, ALICE, "start post_meeting Weekly sync"))
        assert (await h.next_post(0)).authorization is None
        assert login.tokens == [] and not [m for m in loud(caplog) if "credentials" in m]


# --- refused credentials: serve does not start ----------------------------------------------------


def secret_rotated(login: FakeLogin, imds: Imds) -> None:
    login.secret = NEW_SECRET


def app_unknown(login: FakeLogin, imds: Imds) -> None:
    login.apps = {"99999999-0000-0000-0000-000000000000"}


def tenant_unknown(login: FakeLogin, imds: Imds) -> None:
    login.tenants = {"some-other-tenant"}


def no_such_identity(login: FakeLogin, imds: Imds) -> None:
    imds.refusals = [400] * 10


Breaks = Callable[[FakeLogin, Imds], None]
REFUSED: dict[str, tuple[dict[str, str], Breaks, str]] = {
    # env, what is wrong, how the one line begins (what was refused, then what to fix)
    "secret expired": (
        ENV,
        secret_rotated,
        "Teams: Azure AD refused the bot's credentials at start-up (invalid_client AADSTS7000215: Invalid client"
        " secret provided.",
    ),
    "app unknown": (ENV, app_unknown, "Teams: Azure AD refused the bot's credentials at start-up (unauthorized_client"),
    "tenant unknown": (SINGLE, tenant_unknown, "Teams: Azure AD refused the bot's credentials at start-up (tenant"),
    "identity missing": (
        MSI_ENV,
        no_such_identity,
        "Teams: the managed identity endpoint refused the bot's credentials at start-up (invalid_scope 400,",
    ),
}
FIXES = {
    "secret expired": "set MicrosoftAppPassword to its value (not its ID); then start ",
    "app unknown": "Check MicrosoftAppId, MicrosoftAppPassword against the Azure Bot's configuration; then start ",
    "tenant unknown": "Set it to the tenant of the bot's app registration; then start ",
    "identity missing": "or check MicrosoftAppType, MicrosoftAppId; then start ",
}


@pytest.mark.parametrize("case", list(REFUSED))
async def test_refused_credentials_stop_the_start_naming_what_to_fix(
    tmp_path: Path, login: FakeLogin, imds: Imds, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    env, breaks, begins = REFUSED[case]
    breaks(login, imds)
    connector = FakeConnector()
    await connector.start()
    caplog.set_level(logging.INFO)
    try:
        app = create_app(tmp_path / "x.db", ROOT / "flows", env=dict(env))
        server = TestServer(app)
        with pytest.raises(ConfigError) as refused:
            await server.start_server()
        told = str(refused.value)
        assert told.startswith(begins), told
        assert FIXES[case] in told and told.endswith(" serve again."), told
        assert OLD_SECRET not in caplog.text and OLD_SECRET not in told
        assert server.runner is not None and not server.runner.sites  # nothing listens
        assert app[SERVICES].http.closed and connector.calls == []
        assert loud(caplog) == []  # the one line is the error the start fails with, not a log line besides
    finally:
        await connector.stop()


# --- Azure AD unreachable, failing or slow: one warning, and the server serves ---------------------


@pytest.mark.parametrize("trouble", ["unreachable", "503", "429", "slow"])
async def test_azure_ad_unreachable_failing_or_slow_at_start_is_one_warning_and_the_server_serves(
    tmp_path: Path, login: FakeLogin, caplog: pytest.LogCaptureFixture, trouble: str
) -> None:
    caplog.set_level(logging.INFO)
    if trouble == "unreachable":
        login.unreachable = {AAD}
    elif trouble == "slow":
        login.delay = CHECK_TIMEOUT + 1
    else:
        login.failures = [int(trouble)]
    began = time.monotonic()
    async with Harness(tmp_path, dict(ENV)) as h:
        assert time.monotonic() - began < CHECK_TIMEOUT + 1.5  # the start waited for Azure AD no longer
        (warning,) = loud(caplog)
        assert warning.startswith(UNCHECKED) and warning.endswith(
            "Serving anyway: they are tried at the first reply, and a refusal then is logged naming what to fix."
        )
        assert (f"no answer within {CHECK_TIMEOUT:g} s" in warning) == (trouble == "slow")
        assert OLD_SECRET not in caplog.text
        assert h.client is not None
        health = await (await h.client.get("/healthz")).json()
        assert health["channels"] == ["teams"] and "channels_failing" not in health
        login.unreachable.clear()  # reachable again, answering at once
        login.delay = 0.0
        assert (await first_reply(h, login) or "").startswith("Bearer token-")  # the first reply tries them
        assert len(loud(caplog)) == 1


# --- the CLI: one line, exit 1 -----------------------------------------------------------------------


def test_serve_with_a_refused_secret_exits_1_with_one_line_naming_the_variable(
    tmp_path: Path, login: FakeLogin
) -> None:
    login.secret = NEW_SECRET
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "SLACK_", "DECISIONBOT_"))},
        **ENV,
        "PYTHONPATH": str(ROOT),
    }
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = subprocess.run(
        [
            str(Path(sys.executable).with_name("decisionbot")),
            "--db",
            str(tmp_path / "x.db"),
            "serve",
            "--port",
            str(port),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )  # before: served, and the secret was found refused at the first reply
    assert out.returncode == 1, out
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "Error: Teams: Azure AD refused the bot's credentials at start-up (invalid_client AADSTS7000215:"
    ), out.stderr
    assert "Azure AD refused MicrosoftAppPassword, the bot's client secret" in last
    assert last.endswith(" serve again.") and "set MicrosoftAppPassword to its value (not its ID); then start " in last
    assert "Traceback" not in out.stderr and OLD_SECRET not in out.stderr + out.stdout
    assert "serving on" not in out.stdout
    assert len(login.tokens) == 1
