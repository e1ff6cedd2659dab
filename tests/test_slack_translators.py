"""The pure parts of the Slack channel: signature checks, payload classification, typed
messages, widgets both ways, pacing, and the people cache."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import Clock, SignatureVerifier

from bot.channels import slack_blocks as blocks
from bot.channels import slack_events as events
from bot.channels import slack_messages as messages
from bot.channels.slack_limits import Backlog, Pacer
from bot.channels.slack_send import slack_user
from bot.model import Actor, ConversationKey, Reply
from bot.store import open_db
from bot.store.people import People, Person

# Slack's documented test vector (docs.slack.dev/authentication/verifying-requests-from-slack)
VECTOR_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
VECTOR_TS = "1531420618"
VECTOR_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar"
    b"&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com"
    b"%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
VECTOR_SIG = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


class At(Clock):
    def __init__(self, now: float):
        self.at = now

    def now(self) -> float:
        return self.at


def test_signature_check_with_slacks_test_vector_and_its_five_minute_window() -> None:
    headers = {"X-Slack-Request-Timestamp": VECTOR_TS, "X-Slack-Signature": VECTOR_SIG}
    assert events.verify(SignatureVerifier(VECTOR_SECRET, At(1531420618 + 300)), VECTOR_BODY, headers)
    assert not events.verify(SignatureVerifier(VECTOR_SECRET, At(1531420618 + 301)), VECTOR_BODY, headers)
    assert not events.verify(SignatureVerifier("another", At(1531420618)), VECTOR_BODY, headers)
    assert not events.verify(SignatureVerifier(VECTOR_SECRET, At(1531420618)), VECTOR_BODY + b"x", headers)
    bad_ts = {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": VECTOR_SIG}
    assert not events.verify(SignatureVerifier(VECTOR_SECRET, At(1531420618)), VECTOR_BODY, bad_ts)


def test_the_test_vector_is_a_slash_command() -> None:
    envelope = events.parse(VECTOR_BODY, "application/x-www-form-urlencoded")
    assert (envelope.kind, envelope.team_id) == ("command", "T1DC2JH3J")
    assert messages.slash(envelope.payload) == messages.Slash(
        "U2CERLKJA",
        "G8PSS9T3V",
        "",
        "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
        "foobar",
        "https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN",
    )
    assert "hooks.slack.com" not in repr(messages.slash(envelope.payload))  # a capability: never in a log line


def test_payloads_are_classified_or_refused_with_a_reason() -> None:
    event = {
        "type": "event_callback",
        "team_id": "T1",
        "api_app_id": "A1",
        "event_id": "Ev1",
        "event": {"type": "message"},
    }
    assert events.parse(json.dumps(event).encode(), "application/json") == events.Envelope("event", event, "T1", "A1")
    action = {"type": "block_actions", "api_app_id": "A1", "team": {"id": "T1"}, "user": {"id": "U1"}}
    parsed = events.parse(urlencode({"payload": json.dumps(action)}).encode(), "application/x-www-form-urlencoded")
    assert (parsed.kind, parsed.team_id, parsed.app_id) == ("action", "T1", "A1")
    view = {"type": "view_submission", "user": {"id": "U1", "team_id": "T2"}}
    assert events.from_interactive(view).kind == "interactive" and events.from_interactive(view).team_id == "T2"
    assert events.parse(b"ssl_check=1&token=x", "application/x-www-form-urlencoded").kind == "ssl_check"
    refusals = {
        b"[1, 2]": "body is not a JSON object",
        b'{"type": "url_verification"}': "url_verification without a challenge",
        b"payload=%7Bnope": "payload is not valid JSON",
        b"command=%2Fdecision&user_id=U1&channel_id=C1": "slash command without trigger_id",
    }
    for body, reason in refusals.items():
        with pytest.raises(events.Malformed) as caught:
            events.parse(body, "application/json" if body[:1] in b"[{" else "application/x-www-form-urlencoded")
        assert caught.value.reason == reason
    with pytest.raises(events.Malformed, match="unknown envelope type 'hello'"):
        events.from_socket("hello", {})


def test_only_messages_people_typed_are_taken() -> None:
    base = {"type": "message", "user": "U1", "text": "hi <@UBOT>", "channel": "C1", "ts": "2.0", "thread_ts": "1.0"}
    said = messages.said(base, "UBOT")
    assert said == messages.Said("message", "C1", "U1", "hi <@UBOT>", "2.0", "1.0", dm=False, mentions_bot=True)
    assert said is not None and said.platform_id == "msg:C1:2.0"
    assert messages.said({**base, "thread_ts": "2.0"}, "UBOT").thread_ts is None  # a thread's root is not a reply
    assert messages.said({**base, "channel": "D1", "channel_type": "im"}, "UBOT").dm
    assert messages.said({**base, "subtype": "thread_broadcast"}, "UBOT") is not None
    for ignored in ({"bot_id": "B1"}, {"subtype": "message_changed"}, {"subtype": "channel_join"}, {"user": "UBOT"}):
        assert messages.said({**base, **ignored}, "UBOT") is None
    assert messages.said({"type": "reaction_added", "user": "U1"}, "UBOT") is None


def test_mentions_become_people() -> None:
    text = "<@UBOT> start post_meeting <@U2|bob> <@W3> Weekly"
    assert messages.mention_ids(text) == ["UBOT", "U2", "W3"]
    assert messages.without_mention(text, "UBOT") == "start post_meeting <@U2|bob> <@W3> Weekly"
    people = {"U2": Actor("slack:U2", "Bob")}
    assert messages.mentions(text, people) == {
        "<@UBOT>": Actor("slack:UBOT", "UBOT"),
        "<@U2|bob>": Actor("slack:U2", "Bob"),
        "<@W3>": Actor("slack:W3", "W3"),
    }


def test_every_widget_stands_for_what_someone_would_type() -> None:
    assert events.action_answer({"type": "button", "value": "yes"}) == "yes"
    assert events.action_answer({"type": "static_select", "selected_option": {"value": "watch"}}) == "watch"
    assert events.action_answer({"type": "static_select", "selected_option": None}) is None
    assert events.action_answer({"type": "users_select", "selected_user": "U2"}) == "<@U2>"
    assert events.action_answer({"type": "datepicker", "selected_date": "2030-01-31"}) == "2030-01-31"
    assert events.action_answer({"type": "timepicker", "selected_time": "10:00"}) is None


def prompt(expects: dict, text: str = "Question?") -> Reply:
    return Reply(7, ConversationKey("slack", "C1", "1.0"), text, to=Actor("slack:U1", "Al"), expects=expects)


def test_widgets_for_each_answer_type() -> None:
    def kinds(expects: dict, text: str = "Question?") -> list[tuple[str, str | None]]:
        return [(e["type"], e.get("value")) for e in blocks.widgets(expects, text)]

    three = [{"value": v, "label": v.title()} for v in ("act", "watch", "ignore")]
    assert kinds({"type": "choice", "options": three}) == [("button", "act"), ("button", "watch"), ("button", "ignore")]
    six = [{"value": str(i), "label": f"Option {i}"} for i in range(6)]
    assert kinds({"type": "choice", "options": six}) == [("static_select", None)]
    assert kinds({"type": "yes_no"}) == [("button", "yes"), ("button", "no")]
    assert kinds({"type": "person", "optional": True}) == [("users_select", None), ("button", "skip")]
    assert kinds({"type": "date", "default": "in 4 weeks"}) == [("datepicker", None), ("button", "default")]
    assert kinds({"type": "text"}) == []
    assert kinds({"type": "text", "done_words": ["done"]}, "Action 1: What?") == []
    assert kinds({"type": "text", "done_words": ["done"]}, "Action 2: What? (say 'done' when there are no more)") == [
        ("button", "done")
    ]


def test_a_prompt_message_and_its_answered_redraw() -> None:
    posted = blocks.message(prompt({"type": "yes_no"}, "Ship <b> & go?"), 42, to_user="U1")
    assert posted["text"] == "<@U1> Ship &lt;b&gt; &amp; go?"
    assert posted["blocks"][0] == {"type": "section", "text": {"type": "mrkdwn", "text": posted["text"]}}
    assert posted["blocks"][1]["block_id"] == "decisionbot:7:42"
    assert blocks.parse_block_id("decisionbot:7:42") == (7, 42)
    assert blocks.parse_block_id("someone-else:7:42") is None
    assert blocks.message(prompt({"type": "text"}), 1) == {"text": "Question?"}
    done = blocks.answered("Ship?", "U2", "<@U3>")
    assert done["blocks"][1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "Answered by <@U2>: <@U3>"}],
    }
    assert blocks.answered("Ship?", "U2", "a <script>")["text"] == "Ship?\nAnswered by <@U2>: a &lt;script&gt;"


def test_only_slack_users_are_mentioned_or_messaged() -> None:
    assert slack_user(Actor("slack:U0123AB", "Al")) == "U0123AB"
    assert slack_user(Actor("slack:W0123AB", "Enterprise Al")) == "W0123AB"
    assert slack_user(Actor("slack:facilitator", "facilitator")) is None  # a triggered run's placeholder
    assert slack_user(Actor("teams:29:1abc", "Al")) is None
    assert slack_user(None) is None


def test_pacing_allows_a_burst_then_one_a_second_per_channel() -> None:
    now = [100.0]
    pacer = Pacer(interval=1.0, burst=3, clock=lambda: now[0])
    assert [pacer.wait("C1", i) for i in range(4)] == [0.0, 0.0, 0.0, 0.0]
    assert pacer.wait("C1", 5) == pytest.approx(1.0)
    assert pacer.wait("C2", 6) == 0.0  # another channel has its own pace
    assert pacer.wait("C1", 5) == pytest.approx(1.0)  # the same message keeps its reserved slot
    now[0] += 1.0
    assert pacer.wait("C1", 5) == 0.0
    pacer.hold("C2", 30.0)
    assert pacer.wait("C2", 7) == pytest.approx(30.0)


async def test_people_are_fetched_once_even_when_asked_at_the_same_time(tmp_path: Path) -> None:
    db = open_db(tmp_path / "p.db")
    fetched: list[str] = []

    async def fetch(actor_id: str) -> Person | None:
        fetched.append(actor_id)
        await asyncio.sleep(0.01)
        return None if actor_id == "slack:UX" else Person(actor_id, actor_id[-1].upper() + "name", "Asia/Tokyo")

    people = People(db, fetch)
    found = await asyncio.gather(people.ensure(["slack:UA", "slack:UB"]), people.ensure(["slack:UA", "slack:UX"]))
    assert sorted(fetched) == ["slack:UA", "slack:UB", "slack:UX"]
    assert found[0]["slack:UA"] == Person("slack:UA", "Aname", "Asia/Tokyo") and "slack:UX" not in found[1]
    assert str(people.zone("slack:UB")) == "Asia/Tokyo" and people.zone("slack:UX") is None
    await people.ensure(["slack:UX"])  # a failed fetch is not retried at once
    again = People(db, fetch)  # after a restart: from the table
    assert (await again.ensure(["slack:UB"]))["slack:UB"].name == "Bname" and len(fetched) == 3


async def test_the_backlog_holds_new_turns_back_while_replies_are_unsent() -> None:
    backlog = Backlog(limit=4, patience=0.2)
    backlog.add(3)
    began = asyncio.get_running_loop().time()
    await backlog.room()  # under the limit: no wait
    backlog.add(1)
    waiting = asyncio.ensure_future(backlog.room())
    await asyncio.sleep(0.05)
    assert not waiting.done()
    backlog.done()
    backlog.done()  # down to half the limit: room again
    await asyncio.wait_for(waiting, 0.1)
    backlog.add(10)
    await backlog.room()  # never longer than its patience: Slack wants its answer within 3 s
    assert 0.2 <= asyncio.get_running_loop().time() - began < 1.0


def test_the_manifest_asks_for_what_the_channel_uses() -> None:
    import yaml

    manifest = yaml.safe_load((Path(__file__).resolve().parents[1] / "slack" / "manifest.yaml").read_text())
    settings, features = manifest["settings"], manifest["features"]
    urls = [settings["event_subscriptions"]["request_url"], settings["interactivity"]["request_url"]]
    urls += [c["url"] for c in features["slash_commands"]]
    assert all(url.endswith("/slack/events") for url in urls)  # one URL for everything
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_mention",
        "message.channels",
        "message.groups",
        "message.im",
        "user_change",  # a person renamed or deactivated (tests/test_slack_people_renamed.py)
        "app_home_opened",  # the Home tab drawn (tests/test_slack_home.py)
        "channel_left",  # the bot removed from a run's channel (tests/test_slack_lifecycle.py)
        "group_left",
        "channel_archive",  # a run's channel archived
        "group_archive",
        "member_joined_channel",  # the bot invited back: asks again
        "channel_unarchive",
        "group_unarchive",
        "app_uninstalled",  # the bot token gone: said at once
        "tokens_revoked",
    }
    assert features["app_home"]["home_tab_enabled"] is True
    command = features["slash_commands"][0]
    assert command["command"] == "/decision" and command["should_escape"] is True
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {
        "chat:write",
        "commands",
        "im:write",
        "users:read",
        "app_mentions:read",
        "im:history",
        "files:write",
        "channels:read",  # channel_left, channel_archive
        "groups:read",  # group_left, group_archive
    } <= scopes


def test_the_slash_commands_hint_names_every_command_help_lists() -> None:
    """Before, Slack's hint under /decision left out ``give``: people typing the command were
    never shown they could hand an action over."""
    import yaml

    from bot import texts

    manifest = yaml.safe_load((Path(__file__).resolve().parents[1] / "slack" / "manifest.yaml").read_text())
    hint = manifest["features"]["slash_commands"][0]["usage_hint"]
    listed = texts.command_help([]).split("\n")[0].removeprefix("Commands: ").rstrip(".")
    verbs = [command.split()[0] for command in listed.split(" | ")]
    assert verbs == [command.split()[0] for command in hint.split(" | ")]
