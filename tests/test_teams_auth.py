"""Authentication on (recipe B of the protocol notes): OpenID metadata and a signing key served
on 127.0.0.1, tokens signed with that key, checked by botbuilder's
ConfigurationBotFrameworkAuthentication. Outbound calls carry the token botbuilder's own
credentials (MSAL) fetch from a fake of Microsoft's login service (tests/fakes/login.py)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.channels import REGISTRY
from bot.channels.teams import TeamsChannel
from bot.errors import ConfigError
from bot.server import create_app
from tests.edge_support import answer_to_headers_alone
from tests.fakes.bot_connector import OpenIdServer
from tests.fakes.login import FakeLogin
from tests.teams_support import ALICE, ROOT, Harness, LocalKeysTeams, personal

APP_ID = "11111111-2222-3333-4444-555555555555"
TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
SECRET = "not-a-real-secret"


ENV = {"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": SECRET}


def nothing_stored(h: Harness) -> bool:
    counts = [h.db(f"SELECT count(*) FROM {table}")[0][0] for table in ("teams_conversations", "deliveries", "runs")]
    return counts == [0, 0, 0]


async def test_a_good_token_is_accepted_and_replies_carry_the_bots_token(
    tmp_path: Path, openid: OpenIdServer, login: FakeLogin
) -> None:
    async with Harness(tmp_path, ENV) as h:
        assert openid.fetches == 2  # metadata and keys, fetched at start-up, off the event loop
        body = personal(h.url, ALICE, "start post_meeting Weekly sync")
        resp = await h.post(body, {"Authorization": f"Bearer {openid.token(APP_ID, h.url)}"})
        assert resp.status == 201
        card = await h.next_post(0)
        # with its metadata URL changed botbuilder takes the "parameterized" path: tenant common
        assert card.authorization == f"Bearer token-1-for-{APP_ID}-from-common"
        assert h.db("SELECT conversation_id FROM teams_conversations") == [("a:chat-with-29:1alice",)]


async def test_wrong_or_missing_tokens_are_refused_and_nothing_is_stored(tmp_path: Path, openid: OpenIdServer) -> None:
    async with Harness(tmp_path, ENV) as h:
        body = personal(h.url, ALICE, "start post_meeting Weekly sync")
        cases = {
            "missing": {},
            "wrong audience": {"Authorization": f"Bearer {openid.token('someone-else', h.url)}"},
            "wrong service url": {"Authorization": f"Bearer {openid.token(APP_ID, 'https://elsewhere.example/')}"},
            "wrong issuer": {"Authorization": f"Bearer {openid.token(APP_ID, h.url, issuer='https://evil.example')}"},
            "not a JWT": {"Authorization": "Bearer garbage"},
        }
        forged = OpenIdServer()  # same kid, another key
        cases["forged signature"] = {"Authorization": f"Bearer {forged.token(APP_ID, h.url)}"}
        forged.httpd.server_close()
        for name, headers in cases.items():
            resp = await h.post(body, headers)
            assert resp.status == 401, name
            assert (await resp.json())["error"].startswith("Unauthorized: "), name
        assert nothing_stored(h)
        assert h.fake.calls == []


async def test_a_token_signed_with_a_key_not_published_is_refused_saying_so(
    tmp_path: Path, openid: OpenIdServer, caplog: pytest.LogCaptureFixture
) -> None:
    """botbuilder read the None its lookup gave as a key: refused as ``AttributeError: 'NoneType'
    object has no attribute 'endorsements'``, which told an operator nothing."""
    async with Harness(tmp_path, ENV) as h:
        other = OpenIdServer(kid="rotated-k9")
        token = other.token(APP_ID, h.url)
        other.httpd.server_close()
        with caplog.at_level(logging.INFO, logger="decisionbot.teams"):
            resp = await h.post(
                personal(h.url, ALICE, "start post_meeting Weekly sync"), {"Authorization": f"Bearer {token}"}
            )
        assert resp.status == 401 and (await resp.json())["error"] == "Unauthorized: PermissionError"
        assert "signing key 'rotated-k9' is not among the Bot Framework's keys" in caplog.text
        assert "AttributeError" not in caplog.text and nothing_stored(h)


def test_a_configured_app_id_needs_its_secret_and_a_known_app_type(tmp_path: Path) -> None:
    def build(env: dict[str, str]) -> None:
        create_app(tmp_path / "c.db", ROOT / "flows", env=env)

    with pytest.raises(ConfigError, match="^MicrosoftAppPassword is required for a MultiTenant Teams bot"):
        build({"MicrosoftAppId": APP_ID})
    with pytest.raises(ConfigError, match="^MicrosoftAppTenantId is required for a SingleTenant Teams bot"):
        build({**ENV, "MicrosoftAppType": "SingleTenant"})
    with pytest.raises(ConfigError, match="^MicrosoftAppType must be MultiTenant, SingleTenant or UserAssignedMSI"):
        build({**ENV, "MicrosoftAppType": "Personal"})
    assert not TeamsChannel.configured({}) and not TeamsChannel.configured({"DECISIONBOT_TEAMS": "off"})
    assert TeamsChannel.configured({"DECISIONBOT_TEAMS": "on"}) and TeamsChannel.configured({"MicrosoftAppId": APP_ID})


def test_the_server_says_when_authentication_is_off(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="decisionbot.teams"):
        create_app(tmp_path / "a.db", ROOT / "flows", env={"DECISIONBOT_TEAMS": "on"})
    assert [r.getMessage() for r in caplog.records if r.name == "decisionbot.teams"] == [
        "Teams: MicrosoftAppId is empty, so authentication is OFF: /api/messages accepts activities without a token."
        " Use this for local development only (DECISIONBOT_TEAMS=on)."
    ]


async def test_when_the_signing_keys_cannot_be_fetched_a_token_is_not_taken_on_trust(
    tmp_path: Path, login: FakeLogin
) -> None:
    original = REGISTRY["teams"]
    with OpenIdServer() as server:
        signer = server
    LocalKeysTeams.openid_url = signer.metadata_url  # that server is gone now
    REGISTRY["teams"] = LocalKeysTeams
    try:
        async with Harness(tmp_path, ENV) as h:
            body = personal(h.url, ALICE, "start post_meeting Weekly sync")
            resp = await h.post(body, {"Authorization": f"Bearer {signer.token(APP_ID, h.url)}"})
            assert resp.status == 503
            assert (await resp.json())["error"].startswith("Cannot check the token now: the Bot Framework signing keys")
            assert nothing_stored(h)
    finally:
        REGISTRY["teams"] = original


@pytest.mark.parametrize("channel_id", ["webchat", "directline", None])
async def test_an_activity_of_another_bot_framework_channel_is_refused_and_nothing_is_stored(
    tmp_path: Path, login: FakeLogin, channel_id: str | None
) -> None:
    """An Azure Bot has Web Chat on by default (Direct Line too, once added): the Bot Framework
    signs their activities as it signs Teams', but there the client says who it is. An activity
    naming Alice's Teams id from Web Chat was taken as Alice (her runs started, answered, her
    actions reported done)."""
    original = REGISTRY["teams"]
    with OpenIdServer(endorsements=("msteams", "webchat", "directline")) as server:
        LocalKeysTeams.openid_url = server.metadata_url
        REGISTRY["teams"] = LocalKeysTeams
        try:
            async with Harness(tmp_path, ENV) as h:
                body = personal(h.url, ALICE, "start post_meeting Weekly sync", chat="dl-conversation-1")
                body["channelId"] = channel_id
                resp = await h.post(body, {"Authorization": f"Bearer {server.token(APP_ID, h.url)}"})
                assert resp.status == 400
                assert (await resp.json())["error"] == (
                    f"Not a usable activity: channelId is {channel_id!r}: this bot serves Microsoft Teams"
                    " ('msteams') only."
                )
                assert nothing_stored(h)
                assert h.fake.calls == []
                teams = personal(h.url, ALICE, "start post_meeting Weekly sync")
                ok = await h.post(teams, {"Authorization": f"Bearer {server.token(APP_ID, h.url)}"})
                assert ok.status == 201 and h.db("SELECT count(*) FROM runs") == [(1,)]
        finally:
            REGISTRY["teams"] = original


@pytest.mark.parametrize(
    ("app_type", "tenant", "login_tenant"),
    [("MultiTenant", None, "botframework.com"), ("SingleTenant", TENANT_ID, TENANT_ID)],
)
async def test_each_app_type_starts_as_deployed_and_replies_with_a_token_from_its_tenant(
    tmp_path: Path, login: FakeLogin, app_type: str, tenant: str | None, login_tenant: str
) -> None:
    """The channel exactly as deployed (no test subclass): botbuilder's own credential factory
    and OpenID metadata URLs, Microsoft's hosts answered by the fake login behind the proxy."""
    env = {**ENV, "MicrosoftAppType": app_type, **({"MicrosoftAppTenantId": tenant} if tenant else {})}
    async with Harness(tmp_path, env) as h:
        assert type(h.channel) is TeamsChannel
        assert login.key_fetches == 2  # login.botframework.com's metadata and keys, at start-up
        body = personal(h.url, ALICE, "start post_meeting Weekly sync")
        refused = await h.post(body, {"Authorization": f"Bearer {login.keys.token('someone-else', h.url)}"})
        assert refused.status == 401
        resp = await h.post(body, {"Authorization": f"Bearer {login.keys.token(APP_ID, h.url)}"})
        assert resp.status == 201
        card = await h.next_post(0)
        assert card.authorization == f"Bearer token-1-for-{APP_ID}-from-{login_tenant}"
        asked = [(t.tenant, t.form.get("client_id"), t.form.get("client_secret")) for t in login.tokens]
        assert asked == [(login_tenant, APP_ID, SECRET)]
        assert login.tokens[0].form.get("scope") == "https://api.botframework.com/.default"


async def test_a_request_without_a_bearer_token_is_refused_before_its_body_is_read(
    tmp_path: Path, openid: OpenIdServer, caplog: pytest.LogCaptureFixture
) -> None:
    async with Harness(tmp_path, ENV) as h:
        assert h.client is not None
        host, port = str(h.client.host), int(h.client.port or 0)
        json_type = {"Content-Type": "application/json"}
        for headers in ({}, {"Authorization": "Basic YWxpY2U6c2VjcmV0"}, {"Authorization": "Bearer not a token"}):
            with caplog.at_level(logging.INFO, logger="decisionbot.teams"):
                status, took = await answer_to_headers_alone(host, port, "/api/messages", {**json_type, **headers})
            assert (status, took < 2) == (401, True), headers
        assert any("teams: refused a request: NoBearerToken" in r.getMessage() for r in caplog.records)
        assert nothing_stored(h) and h.fake.calls == []
