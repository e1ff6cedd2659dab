"""The Teams path over HTTP: activities through ``POST /api/messages``, replies to a fake Bot Connector.

K conversations (a Teams channel each, with a facilitator and an action owner) run post_meeting
over and over, as people would: start by @mentioning the bot in the channel, answer in the thread
the bot opens (text, an @mention, a date, 'done'), the owner accepts in a personal chat, the
facilitator takes the default review date. Eight turns a run, each one activity shaped as Teams
sends it (authentication off, recipe A); every turn is committed before its 201. Before answering
in the thread a conversation waits for the bot's first message there (it must know the thread).

Three processes besides this one: the fake Bot Connector (tests/fakes/bot_connector.py), the
server under test, and the load generator (each conversation waits for the acknowledgement of its
previous turn before sending the next). Figures per target:
- at R turns/s offered (each conversation on its own schedule): p50/p99 of the acknowledgement
  latency and of the time until the turn's reply reaches the fake connector, both counted from
  when the turn was due (a turn held back behind its conversation's previous acknowledgement
  counts that wait; how many left late is printed);
- at saturation (closed loop): acknowledged turns/s, and the same latencies.
Targets: ``bot`` (decisionbot serve, Teams channel on) and ``floor`` (a bare aiohttp handler:
parse the activity, insert one row and commit, answer 201, post one reply to the fake connector
with a raw aiohttp call). Medians over rounds; ratio bot/floor.

    python bench/bench_teams.py [--conversations 100] [--rate 500] [--seconds 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiohttp import ClientSession, web  # noqa: E402

from bench.http_harness import Bench, Conversation, Floor, main, run_bot, run_load, timed_post  # noqa: E402
from tests.dates import JAN15  # noqa: E402

BOT = {"id": "28:bench-bot", "name": "Bench"}
TENANT = "bench-tenant"
_ids = itertools.count(1_800_000_000_000)


# --- the servers under test ----------------------------------------------------------------------


def serve_bot(args: argparse.Namespace) -> None:
    run_bot(args.port, args.db, {"DECISIONBOT_TEAMS": "on"})


def serve_floor(args: argparse.Namespace) -> None:
    floor = Floor(args.db, "activities", "activity_id")

    async def handler(request: web.Request) -> web.Response:
        body = await request.read()
        activity = json.loads(body)
        floor.record(activity["id"], body)
        conv = activity["conversation"]["id"]
        url = (
            f"{activity['serviceUrl'].rstrip('/')}/v3/conversations/{quote(conv, safe='')}/activities/{activity['id']}"
        )
        reply = {"type": "message", "from": activity["recipient"], "conversation": {"id": conv}, "text": "ok"}
        floor.reply(url, reply)
        return web.Response(status=201)

    floor.run(args.port, "/api/messages", handler)


# --- the load generator --------------------------------------------------------------------------


def activity(
    service_url: str, sender: dict[str, str], conv: dict[str, Any], text: str, people: list[dict[str, str]]
) -> dict[str, Any]:
    tags = [BOT, *people]
    entities = [{"type": "mention", "mentioned": p, "text": f"<at>{p['name']}</at>"} for p in tags]
    personal = conv["conversationType"] == "personal"
    return {
        "type": "message",
        "id": str(next(_ids)),
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": sender,
        "recipient": BOT,
        "conversation": conv,
        "text": text if personal else f"<at>{BOT['name']}</at> {text}",
        "textFormat": "plain",
        "entities": [] if personal else entities,
        "channelData": {
            "tenant": {"id": TENANT},
            **({} if personal else {"channel": {"id": conv["id"].split(";")[0]}}),
        },
    }


class TeamsConversation(Conversation[str]):
    """Conversation k: channel 19:bench-k, facilitator 29:f<k>, owner 29:o<k> (personal chat
    a:chat-with-29:o<k>, the id the fake connector gives the chat the bot creates)."""

    def __init__(self, k: int, target: str, service_url: str):
        super().__init__(k, target)
        self.service_url = service_url
        self.channel = f"19:bench-{k}@thread.tacv2"
        self.facilitator = {"id": f"29:f{k}", "name": f"Facilitator {k}"}
        self.owner = {"id": f"29:o{k}", "name": f"Owner {k}"}
        self.thread: str | None = None

    def next_activity(self) -> tuple[dict[str, Any], str | None]:
        """The turn's activity, and the conversation its reply goes to (None: the new thread)."""
        i, chat = self.turn, f"a:chat-with-{self.owner['id']}"
        dm_turn = 5 if self.target == "bot" else 6  # the bot DMs the owner after 'done'; the floor answers the DM
        key = chat if i == dm_turn else self.thread
        if i == 0:
            post = str(next(_ids))
            conv = {"id": f"{self.channel};messageid={post}", "conversationType": "channel", "isGroup": True}
            text = f"start post_meeting <at>{self.owner['name']}</at> Bench {self.k}-{self.run}"
            return activity(self.service_url, self.facilitator, conv, text, [self.owner]), None
        if i == 6:
            conv = {"id": chat, "conversationType": "personal"}
            return activity(self.service_url, self.owner, conv, "yes", []), key
        texts = [
            "",
            "We decide to ship",
            f"Draft plan {self.k}",
            f"<at>{self.owner['name']}</at>",
            JAN15,
            "done",
        ]
        texts.extend(["", "ok"])
        conv = {"id": self.thread, "conversationType": "channel", "isGroup": True}
        people = [self.owner] if i == 3 else []
        return activity(self.service_url, self.facilitator, conv, texts[i], people), key


async def send(session: ClientSession, url: str, api: str, conv: TeamsConversation, measured: bool) -> None:
    body, key = conv.next_activity()
    sent, acked = await timed_post(session, url, conv, 201, json=body)
    if conv.turn == 0:  # answers go in the thread the first reply opens
        old = (conv.thread or "").partition(";messageid=")[2]
        async with session.get(f"{api}/_thread", params={"channel": conv.channel, "not": old}) as resp:
            root = (await resp.json())["root"]
        if root is None:
            raise RuntimeError(f"no thread opened in {conv.channel}")
        conv.thread = key = f"{conv.channel};messageid={root}"
    conv.sent.append((key or "", sent, acked, measured))
    conv.advance()


def reply_key(call: dict[str, Any]) -> str | None:
    """A message the bot posted: the conversation it went to."""
    return call["conversation"] if call["posted"] else None


async def load(args: argparse.Namespace) -> dict[str, Any]:
    url, api = f"http://127.0.0.1:{args.port}/api/messages", f"http://127.0.0.1:{args.api_port}"

    async def turn(session: ClientSession, conv: TeamsConversation, measured: bool) -> None:
        await send(session, url, api, conv, measured)

    convs = [TeamsConversation(k, args.target, api + "/") for k in range(args.conversations)]
    return await run_load(args, convs, turn, reply_key, connections=2 * args.conversations + 10, debug_missing=True)


BENCH = Bench(
    path="Teams",
    script=__file__,
    fake_module="tests.fakes.bot_connector",
    serve={"bot": serve_bot, "floor": serve_floor},
    load=load,
    quiet_fake=True,
    measure_cpu=True,
)


if __name__ == "__main__":
    main(BENCH, __doc__)
