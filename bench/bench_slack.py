"""The Slack path over HTTP: signed events through ``POST /slack/events``, replies to a fake Web API.

K conversations (a channel each, with a facilitator and an action owner) run post_meeting over
and over, as people would: start by mentioning the bot, answer in the thread (text, an @mention,
a date, 'done'), the owner accepts by direct message, the facilitator takes the default review
date. Eight turns a run, each one signed request; every event is kept (committed) before its
200, and its turn runs after (``slack_inbox``), so the owner's 'yes' waits until the question it
answers was posted to their DM, as a person's would (the fake's ``/_posted``).

Three processes besides this one: the fake Web API (tests/fakes/slack_api.py), the server under
test, and the load generator (each conversation waits for the acknowledgement of its previous
turn before sending the next). Figures per target:
- at R turns/s offered (each conversation on its own schedule): p50/p99 of the acknowledgement
  latency and of the time until the turn's reply reaches the fake API, both counted from when the
  turn was due, so that a turn held back behind its conversation's previous acknowledgement counts
  that wait (how many left late is printed);
- at saturation (closed loop): acknowledged turns/s, and the same latencies.
Targets: ``bot`` (decisionbot serve, Slack channel on, pacing per channel off: the load sends
~5 messages/s into each channel, beyond Slack's own limit, and the floor does not pace either; nor
are the owners' 100 direct messages opened at Slack's 50 a minute: the fake API limits neither)
and ``floor`` (a bare aiohttp handler: verify the signature, insert one row and commit, answer
200, post one reply with a raw aiohttp call); and, with ``--targets floor,stack,bot``, ``stack``
(bench/stack_floor.py: the least any bot on this project's fixed parts does for a turn, python-
statemachine, a turn-sized SQLite transaction and slack-sdk's AsyncWebClient, and nothing more).
Medians over rounds; each target's ratio to the floor, of turns acknowledged and of replies that
reached the fake API within the saturation window.

    python bench/bench_slack.py [--conversations 100] [--rate 500] [--seconds 8] [--rounds 3]
                                [--targets floor,stack,bot]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiohttp import ClientSession, web  # noqa: E402

from bench.http_harness import Bench, Conversation, Floor, main, run_bot, run_load, slack_env, slack_unpaced, timed_post  # noqa: E402
from tests.dates import JAN15  # noqa: E402

SECRET = "bench-signing-secret"
TEAM, APP, BOT_USER = "T111", "A111", "UBOT"

Key = tuple[str, str | None]  # the channel and thread a turn's reply goes to
# Each load process numbers its threads, messages and event ids from its own start time, so that load
# processes run one after another against one server (a soak) send new events, not retries.
BASE = int(time.time()) % 100_000 * 1000


# --- the servers under test ----------------------------------------------------------------------


def serve_bot(args: argparse.Namespace) -> None:
    run_bot(args.port, args.db, slack_env(SECRET, args.api_port), lambda app: app.cleanup_ctx.append(slack_unpaced))


def serve_floor(args: argparse.Namespace) -> None:
    from slack_sdk.signature import SignatureVerifier

    verifier = SignatureVerifier(SECRET)
    floor = Floor(args.db, "events", "event_id")
    url = f"http://127.0.0.1:{args.api_port}/api/chat.postMessage"

    async def handler(request: web.Request) -> web.Response:
        body = await request.read()
        if not verifier.is_valid(
            body, request.headers.get("X-Slack-Request-Timestamp"), request.headers.get("X-Slack-Signature")
        ):
            return web.json_response({"error": "invalid signature"}, status=401)
        data = json.loads(body)
        floor.record(data["event_id"], body)
        event = data["event"]
        thread = event.get("thread_ts") or (None if event["channel"].startswith("D") else event["ts"])
        reply = {"channel": event["channel"], "text": "ok", **({"thread_ts": thread} if thread else {})}
        floor.reply(url, reply, headers={"Authorization": "Bearer x"})
        return web.Response(status=200)

    floor.run(args.port, "/slack/events", handler)


def serve_stack(args: argparse.Namespace) -> None:
    from bench.stack_floor import serve_stack

    serve_stack(args, SECRET)


# --- the load generator --------------------------------------------------------------------------


class SlackConversation(Conversation[Key]):
    """Conversation k: channel C<k>, facilitator UF<k>, owner UO<k> (direct messages in DUO<k>)."""

    api = ""  # the fake Web API's address (its /_posted: the owner answers once asked)

    def thread(self) -> str:
        return f"{1800000000 + BASE + self.run}.{self.k:06d}"

    def event(self) -> tuple[dict[str, Any], tuple[str, str | None]]:
        k, i, thread = self.k, self.turn, self.thread()
        channel, owner = f"C{k}", f"UO{k}"
        ts = f"{1900000000 + (BASE + self.run) * 10 + i}.{k:06d}"
        texts = ["", "We decide to ship", f"Draft plan {k}", f"<@{owner}>", JAN15, "done", "yes", "ok"]
        if i == 0:
            text = f"<@{BOT_USER}> start post_meeting <@{owner}> Bench {k}-{self.run}"
            event = {"type": "app_mention", "user": f"UF{k}", "text": text, "channel": channel, "ts": thread}
        elif i == 6:
            event = {
                "type": "message",
                "channel_type": "im",
                "user": owner,
                "text": "yes",
                "channel": f"D{owner}",
                "ts": ts,
            }
        else:
            event = {"type": "message", "channel_type": "channel", "user": f"UF{k}", "text": texts[i],
                     "channel": channel, "ts": ts, "thread_ts": thread}  # fmt: skip
        dm_turn = 5 if self.target == "bot" else 6  # the bot DMs the owner after 'done'; the floor answers the DM
        key = (f"D{owner}", None) if i == dm_turn else (channel, thread)
        return event, key


async def send(session: ClientSession, url: str, conv: SlackConversation, measured: bool, counter: list[int]) -> None:
    from slack_sdk.signature import SignatureVerifier

    if conv.api and conv.target == "bot" and conv.turn == 6 and conv.sent:  # the owner answers what the bot DMs
        async with session.get(
            f"{conv.api}/_posted", params={"channel": f"DUO{conv.k}", "after": str(conv.sent[-1][1])}
        ):
            pass  # them after 'done' once it is there (the bot acknowledges 'done' before its turn runs)
        if conv.due is not None:  # an owner cannot answer before the question: due once it is there
            conv.due = max(conv.due, time.monotonic())
    event, key = conv.event()
    counter[0] += 1
    body = json.dumps({"token": "x", "team_id": TEAM, "api_app_id": APP, "type": "event_callback", "event": event,
                       "event_id": f"Ev{BASE}-{conv.k}-{counter[0]}", "event_time": int(time.time())}).encode()  # fmt: skip
    ts = str(int(time.time()))
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": ts,
               "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)}  # fmt: skip
    sent, acked = await timed_post(session, url, conv, 200, data=body, headers=headers)
    conv.sent.append((key, sent, acked, measured))
    conv.advance()


def reply_key(call: dict[str, Any]) -> Key | None:
    """A chat.postMessage call: the channel and thread it posts to."""
    if call["method"] != "chat.postMessage":
        return None
    return call["args"]["channel"], call["args"].get("thread_ts")


async def load(args: argparse.Namespace) -> dict[str, Any]:
    url = f"http://127.0.0.1:{args.port}/slack/events"
    counter = [0]

    async def turn(session: ClientSession, conv: SlackConversation, measured: bool) -> None:
        await send(session, url, conv, measured, counter)

    convs = [SlackConversation(k, args.target) for k in range(args.conversations)]
    for conv in convs:
        conv.api = f"http://127.0.0.1:{args.api_port}"
    return await run_load(args, convs, turn, reply_key, connections=args.conversations + 10, debug_missing=True)


BENCH = Bench(
    path="Slack",
    script=__file__,
    fake_module="tests.fakes.slack_api",
    serve={"bot": serve_bot, "floor": serve_floor, "stack": serve_stack},
    load=load,
    measure_cpu=True,
)


if __name__ == "__main__":
    main(BENCH, __doc__)
