"""Teams requests the channel must take in stride: invokes answered, malformed requests refused
clearly, dates in the client's time zone, a file alone, one activity id in two conversations,
retries of activities recorded before conversation-keyed ids. Helpers in tests/teams_support.py
and tests/test_teams.py."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.store import transaction
from tests.teams_support import ALICE, BOB, BOT, Harness, at, in_channel, mention, personal, submit


async def test_invokes_are_answered_not_failed(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(personal(h.url, ALICE, "start post_meeting Weekly sync"))
        card = await h.next_post(0)
        execute = submit(h.url, ALICE, card, {})
        execute.update(type="invoke", name="adaptiveCard/action")
        execute["value"] = {
            "action": {
                "type": "Action.Execute",
                "verb": "answer",
                "data": {**card.card["actions"][0]["data"], "answer": "We ship"},
            },
            "trigger": "manual",
        }
        resp = await h.post(execute)
        assert resp.status == 200
        assert await resp.json() == {
            "statusCode": 200,
            "type": "application/vnd.microsoft.activity.message",
            "value": "Got it.",
        }
        await h.next_post(1)
        assert h.db("SELECT raw FROM answers") == [("We ship",)]
        again = dict(execute, id="again-1")  # the same card pressed again: no longer open
        resp = await h.post(again)
        assert (await resp.json())["value"] == "Not taken: see my reply."  # not 'Got it.' beside the refusal
        refusal = await h.next_post(2)
        assert "no longer open" in refusal.text and h.db("SELECT raw FROM answers") == [("We ship",)]
        other = dict(execute, id="other-1", name="composeExtension/query")
        resp = await h.post(other)
        assert (
            resp.status == 501
            and (await resp.json())["error"] == "This bot does not handle 'composeExtension/query' invokes."
        )


async def test_malformed_requests_get_a_clear_error_and_store_nothing(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        assert h.client is not None
        resp = await h.client.post("/api/messages", data=b"hello", headers={"Content-Type": "text/plain"})
        assert (
            resp.status == 415
            and (await resp.json())["error"] == "Not a usable activity: Content-Type must be application/json."
        )
        resp = await h.client.post("/api/messages", data=b"{nope", headers={"Content-Type": "application/json"})
        assert resp.status == 400 and (await resp.json())["error"].startswith(
            "Not a usable activity: the body is not JSON"
        )
        resp = await h.post({"text": "no type"})
        assert (
            resp.status == 400
            and (await resp.json())["error"] == "Not a usable activity: it is not an object with a type."
        )
        no_conversation = personal(h.url, ALICE, "start post_meeting")
        del no_conversation["conversation"]
        resp = await h.post(no_conversation)
        assert (
            resp.status == 400 and (await resp.json())["error"] == "Not a usable activity: conversation.id is missing."
        )
        assert h.db("SELECT count(*) FROM teams_conversations") == [(0,)]
        assert h.db("SELECT count(*) FROM runs") == [(0,)]


async def test_dates_are_read_in_the_time_zone_the_teams_client_reports(tmp_path: Path) -> None:
    zone = "Pacific/Kiritimati"  # UTC+14: its today is not UTC's for 14 hours a day
    async with Harness(tmp_path) as h:
        for n, text in enumerate(["start post_meeting Weekly sync", "We ship", "Draft the plan", "me", "today"]):
            body = personal(h.url, ALICE, text)
            body["localTimezone"] = zone
            await h.send(body)
            await h.next_post(n)
        await h.settle()
        today = datetime.now(ZoneInfo(zone)).date().isoformat()
        assert h.db("SELECT value FROM answers WHERE field = 'due'") == [(json.dumps(today),)]
        assert h.db("SELECT tz FROM teams_users WHERE user_id = '29:1alice'") == [(zone,)]


async def test_a_file_or_picture_alone_answers_nothing(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(personal(h.url, ALICE, "start post_meeting Weekly sync"))
        await h.next_post(0)
        picture = personal(h.url, ALICE, "")
        picture["attachments"] = [{"contentType": "image/png", "contentUrl": "https://example.com/screenshot.png"}]
        await h.send(picture)
        said = await h.next_post(1)
        assert "a file or picture alone answers nothing" in (said.text or "")
        assert h.db("SELECT count(*) FROM answers") == [(0,)]
        assert h.db("SELECT state FROM runs") == [("decision",)]


async def test_the_same_activity_id_in_two_conversations_is_two_deliveries(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        a = personal(h.url, ALICE, "start post_meeting Weekly sync")
        b = personal(h.url, BOB, "start post_meeting Other sync")
        b["id"] = a["id"]  # two chats, the same millisecond
        await h.send(a)
        await h.send(b)
        await h.next_post(1)
        assert h.db("SELECT count(*) FROM runs") == [(2,)]
        await h.send(b)  # a real repeat is still dropped
        await h.settle()
        assert h.db("SELECT count(*) FROM runs") == [(2,)]


async def test_a_retry_of_an_activity_recorded_before_the_conversation_keyed_ids_is_still_dropped(
    tmp_path: Path,
) -> None:
    async with Harness(tmp_path) as h:
        start = personal(h.url, ALICE, "start post_meeting Weekly sync")
        with transaction(h.services.db) as conn:  # what a ledger of the previous version holds: the bare id
            conn.execute(
                "INSERT INTO deliveries (platform, delivery_id, received_at) VALUES ('teams', ?, '2026-11-27')",
                (start["id"],),
            )
        await h.send(start)
        await h.settle()
        assert h.db("SELECT count(*) FROM runs") == [(0,)] and h.fake.calls == []
        await h.send({**start, "id": start["id"] + "-new"})  # the same words, a new activity: taken
        await h.settle()
        assert h.db("SELECT count(*) FROM runs") == [(1,)] and len(h.fake.posts()) == 1


async def test_the_bots_mention_alone_is_answered_as_help_not_as_a_picture(tmp_path: Path) -> None:
    """``@DecisionBot`` alone (someone asking what it does) was told 'a file or picture alone
    answers nothing'; as on Slack, it now gets what 'help' gets there: the commands, or with a
    question waiting, that question's help. Teams adds an HTML copy of any message with a mention
    (an ``text/html`` attachment): that is no file."""
    async with Harness(tmp_path) as h:
        bare = in_channel(h.url, ALICE, "")
        bare["attachments"] = [{"contentType": "text/html", "content": "<div><at>DecisionBot</at></div>"}]
        await h.send(bare)
        said = await h.next_post(0)
        assert said.text.startswith("Commands: start FLOW") and "file or picture" not in said.text
        await h.send(personal(h.url, ALICE, "start post_meeting Weekly sync"))
        await h.next_post(1)
        alone = personal(h.url, ALICE, at(BOT))
        alone["entities"] = [mention(BOT)]
        await h.send(alone)
        told = await h.next_post(2)
        assert "What was decided in Weekly sync?" in told.text and "file or picture" not in told.text
        assert h.db("SELECT count(*) FROM answers") == [(0,)]
        assert h.db("SELECT state FROM runs") == [("decision",)]


PICK = """\
id: pick
title: Pick
roles: {facilitator: trigger.facilitator, participants: trigger.participants}
steps:
  - {id: colour, ask: "Which colour?", type: choice, options: [Red, Green, Blue]}
record: {decision: "{{ colour }}"}
"""


async def test_an_invoke_whose_answer_does_not_fit_is_noted_not_taken_and_so_is_its_retry(tmp_path: Path) -> None:
    """A card's Action.Execute with a value that is no option was answered "Got it." on the card
    while the bot's reply said "Please pick one of: ..."; its retry (the same activity) too."""
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "pick.yaml").write_text(PICK)
    async with Harness(tmp_path, flows=flows) as h:
        await h.send(personal(h.url, ALICE, "start pick"))
        card = await h.next_post(0)
        execute = submit(h.url, ALICE, card, {})
        execute.update(type="invoke", name="adaptiveCard/action", id="purple-1")
        data = {**card.card["actions"][0]["data"], "answer": "purple"}
        execute["value"] = {"action": {"type": "Action.Execute", "verb": "answer", "data": data}, "trigger": "manual"}
        for _ in range(2):  # Teams' retry of the same invoke: the same note
            resp = await h.post(execute)
            assert (await resp.json())["value"] == "Not taken: see my reply."
        reprompt = await h.next_post(1)
        assert "Please pick one of: Red, Green, Blue" in reprompt.text
        assert h.db("SELECT count(*) FROM answers") == [(0,)]
        data["answer"] = "red"
        execute.update(id="red-1")
        resp = await h.post(execute)
        assert (await resp.json())["value"] == "Got it."
        assert h.db("SELECT raw FROM answers") == [("red",)]
