"""Activities shaped as Teams sends them, and a harness: the real server (create_app) with the
Teams channel on, talking to the fake Bot Connector of tests/fakes/bot_connector.py."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.teams import TeamsChannel
from bot.server import CHANNELS, SERVICES, create_app
from tests.fakes.bot_connector import ISSUER, Call, FakeConnector

ROOT = Path(__file__).resolve().parents[1]
BOT = {"id": "28:11111111-2222-3333-4444-555555555555", "name": "DecisionBot"}
TENANT = "72f988bf-0000-0000-0000-000000000001"
TEAM = "19:team-a@thread.tacv2"
CHANNEL = "19:general-a@thread.tacv2"
ALICE = {"id": "29:1alice", "name": "Alice Example", "aadObjectId": "00000000-0000-0000-0000-0000000000a1"}
BOB = {"id": "29:1bob", "name": "Bob Builder", "aadObjectId": "00000000-0000-0000-0000-0000000000b2"}
CAROL = {"id": "29:1carol", "name": "Carol Chen", "aadObjectId": "00000000-0000-0000-0000-0000000000c3"}
_ids = itertools.count(1_700_000_000_001)


def at(person: Mapping[str, Any]) -> str:
    return f"<at>{person['name']}</at>"


def mention(person: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "mention", "mentioned": {"id": person["id"], "name": person["name"]}, "text": at(person)}


def channel_conversation(root: str) -> dict[str, Any]:
    return {
        "id": f"{CHANNEL};messageid={root}",
        "conversationType": "channel",
        "isGroup": True,
        "tenantId": TENANT,
    }


def channel_data(kind: str) -> dict[str, Any]:
    if kind == "channel":
        return {
            "teamsChannelId": CHANNEL,
            "teamsTeamId": TEAM,
            "channel": {"id": CHANNEL},
            "team": {"id": TEAM},
            "tenant": {"id": TENANT},
        }
    return {"tenant": {"id": TENANT}}


def activity(
    service_url: str,
    sender: Mapping[str, Any],
    conversation: dict[str, Any],
    text: str = "",
    entities: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    kind = conversation.get("conversationType", "personal")
    out = {
        "type": "message",
        "id": str(next(_ids)),
        "timestamp": "2026-11-28T10:00:00.000Z",
        "localTimestamp": "2026-11-28T11:00:00.000+01:00",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": dict(sender),
        "recipient": dict(BOT),
        "conversation": conversation,
        "text": text,
        "textFormat": "plain",
        "locale": "en-US",
        "entities": entities or [],
        "channelData": channel_data(kind),
    }
    out.update(extra)
    return out


def in_channel(
    service_url: str, sender: Mapping[str, Any], text: str, *people: Mapping[str, Any], root: str | None = None
) -> dict[str, Any]:
    """A channel message that @mentions the bot: a new post, or a reply in thread ``root``."""
    message_id = str(next(_ids))
    act = activity(
        service_url,
        sender,
        channel_conversation(root or message_id),
        f"{at(BOT)} {text}",
        [mention(BOT), *(mention(p) for p in people)],
    )
    act["id"] = message_id
    return act


def personal(service_url: str, sender: Mapping[str, Any], text: str, chat: str | None = None) -> dict[str, Any]:
    conv = {"id": chat or f"a:chat-with-{sender['id']}", "conversationType": "personal", "tenantId": TENANT}
    return activity(service_url, sender, conv, text)


def submit(service_url: str, sender: Mapping[str, Any], card_call: Call, value: dict[str, Any]) -> dict[str, Any]:
    """What Teams sends for an Action.Submit on the card a call posted: the action's data merged
    with the inputs, ``replyToId`` the card's id, no text."""
    card = card_call.card
    assert card is not None, "that call posted no card"
    data = dict(card["actions"][0]["data"])
    data.update(value)
    conv_id = card_call.conversation or ""
    # a channel's thread, a personal chat (a:...), else a group or meeting chat (19:...@thread.v2)
    kind = "channel" if ";messageid=" in conv_id else "personal" if conv_id.startswith("a:") else "groupChat"
    conv: dict[str, Any] = {"id": conv_id, "conversationType": kind, "tenantId": TENANT}
    if kind != "personal":
        conv["isGroup"] = True
    act = activity(service_url, sender, conv, "", None, value=data, replyToId=card_call.answer_id)
    act["channelData"]["source"] = {"name": "message"}
    act.pop("text")
    return act


def installed(service_url: str, kind: str = "channel", members: tuple[Mapping[str, Any], ...] = ()) -> dict[str, Any]:
    """The conversationUpdate Teams sends when the app is added to a team (or a chat)."""
    conv = (
        {"id": CHANNEL, "conversationType": "channel", "isGroup": True, "tenantId": TENANT}
        if kind == "channel"
        else {"id": f"a:chat-with-{members[0]['id']}", "conversationType": "personal", "tenantId": TENANT}
    )
    act = activity(service_url, members[0] if members else ALICE, conv, "", None, type="conversationUpdate")
    act.pop("text")
    act["membersAdded"] = [dict(BOT), *(dict(m) for m in members)]
    if kind == "channel":
        act["channelData"]["eventType"] = "teamMemberAdded"
    return act


class LocalKeysTeams(TeamsChannel):
    """The real channel, told to take its signing keys from a local OpenID server."""

    openid_url = ""

    def auth_config(self):  # type: ignore[no-untyped-def]
        config = super().auth_config()
        config.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = self.openid_url
        config.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = ISSUER
        return config


class Harness:
    """The real server with the Teams channel on, and the fake connector it talks to."""

    def __init__(
        self, tmp: Path, env: dict[str, str] | None = None, db_name: str = "teams.db", flows: Path | None = None
    ):
        self.tmp = tmp
        self.env = env if env is not None else {"DECISIONBOT_TEAMS": "on"}
        self.db_name = db_name
        self.flows = flows or ROOT / "flows"
        self.fake = FakeConnector()
        self.client: TestClient | None = None

    async def __aenter__(self) -> Harness:
        await self.fake.start()
        await self.start_server()
        return self

    async def start_server(self) -> None:
        app = create_app(self.tmp / self.db_name, self.flows, env=self.env)
        self.client = TestClient(TestServer(app))
        await self.client.start_server()

    async def restart(self) -> None:
        assert self.client is not None
        await self.client.close()
        await self.start_server()

    async def __aexit__(self, *exc: object) -> None:
        if self.client is not None:
            await self.client.close()
        await self.fake.stop()

    @property
    def url(self) -> str:
        return self.fake.url

    @property
    def services(self) -> Any:
        assert self.client is not None
        return self.client.server.app[SERVICES]

    @property
    def channel(self) -> Any:
        assert self.client is not None
        return self.client.server.app[CHANNELS]["teams"]

    def db(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        return list(self.services.db.execute(sql, args).fetchall())

    async def post(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> ClientResponse:
        assert self.client is not None
        return await self.client.post("/api/messages", json=body, headers=headers or {})

    async def send(self, body: dict[str, Any]) -> None:
        resp = await self.post(body)
        assert resp.status == 201, (resp.status, await resp.text())

    async def next_post(self, after: int) -> Call:
        """Wait for the bot's next posted activity after the first ``after``; return it."""
        await wait_for(lambda: len(self.fake.posts()) > after)
        return self.fake.posts()[after]

    async def settle(self) -> None:
        """Let the outbox drain and spawned card updates finish."""
        await wait_for(
            lambda: (
                not self.db(
                    "SELECT 1 FROM messages WHERE direction = 'out' AND delivered_at IS NULL AND failed_at IS NULL"
                )
            )
        )
        tasks = list(self.channel.tasks)
        if tasks:
            await asyncio.wait(tasks, timeout=5)


async def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.01)


async def up_to_bobs_confirm(h: Harness, send: Callable[[dict[str, Any]], Any], due: str) -> tuple[str | None, Call]:
    """Alice starts post_meeting in a channel with Bob and gives him one action due ``due``: the
    run's root (its thread) and the confirmation posted in Bob's personal chat. ``send`` posts an
    activity as Teams does (signed, where the test turns authentication on)."""
    await send(installed(h.url, "channel", (ALICE, BOB)))
    await send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
    root = (await h.next_post(0)).answer_id
    await send(in_channel(h.url, ALICE, "We move the launch to March", root=root))
    await h.next_post(1)
    await send(in_channel(h.url, ALICE, "Draft the plan", root=root))
    await send(submit(h.url, ALICE, await h.next_post(2), {"answer": BOB["id"]}))
    await send(submit(h.url, ALICE, await h.next_post(3), {"answer": due}))
    await send(submit(h.url, ALICE, await h.next_post(4), {"say": "done"}))
    return root, await h.next_post(5)
