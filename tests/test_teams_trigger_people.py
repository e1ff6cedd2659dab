"""The people a trigger names by their Teams ids are named in the run as Teams named them to the
bot (the people it has heard from); one it has never heard from keeps the id as the name."""

from __future__ import annotations

import json
from pathlib import Path

from bot.model import Actor
from bot.store.people import stored_names
from tests.teams_support import ALICE, BOB, CHANNEL, Harness, in_channel, installed

TOKEN = "hook-token"


async def test_a_triggers_teams_people_are_named_as_the_bot_heard_them(tmp_path: Path) -> None:
    env = {"DECISIONBOT_TEAMS": "on", "DECISIONBOT_HOOK_TOKEN": TOKEN}
    async with Harness(tmp_path, env=env) as h:
        await h.send(installed(h.url, "channel", (ALICE,)))
        event = {
            "title": "Disk full",
            "flow": "post_meeting",
            "channel": f"teams:{CHANNEL}",
            "facilitator": "29:1alice",
            "participants": ["29:1nobody"],
        }
        assert h.client is not None
        resp = await h.client.post("/hooks/events", json=event, headers={"Authorization": f"Bearer {TOKEN}"})
        assert resp.status == 200, await resp.text()
        assert (await resp.json())["started"] == [1]
        [(context,)] = h.db("SELECT context FROM runs")
        roles, trigger = json.loads(context)["roles"], json.loads(context)["trigger"]
        assert roles["facilitator"] == {"id": "teams:29:1alice", "name": "Alice Example"}
        assert trigger["facilitator"] == "Alice Example"
        assert roles["participants"] == [{"id": "teams:29:1nobody", "name": "29:1nobody"}]


async def test_people_a_trigger_names_by_their_azure_ad_object_ids_are_the_teams_people_who_answer(
    tmp_path: Path,
) -> None:
    """An alert naming its Teams people by their Azure AD object ids (what an admin sees in Entra;
    nobody sees a 29: id) was named right but kept the object id: Alice's answer in the run's
    thread, from her Teams id, was told 'This question is for Alice Example' (in a personal chat
    opened for it), and the run waited on nobody. They are now the Teams people the bot heard
    from, by their Teams ids, whether the server or ``decisionbot trigger`` starts the run."""
    env = {"DECISIONBOT_TEAMS": "on", "DECISIONBOT_HOOK_TOKEN": TOKEN}
    async with Harness(tmp_path, env=env) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        event = {
            "title": "Disk full",
            "flow": "post_meeting",
            "channel": f"teams:{CHANNEL}",
            "facilitator": ALICE["aadObjectId"],
            "participants": [BOB["aadObjectId"]],
        }
        assert h.client is not None
        resp = await h.client.post("/hooks/events", json=event, headers={"Authorization": f"Bearer {TOKEN}"})
        assert resp.status == 200, await resp.text()
        first = await h.next_post(0)
        assert first.card is not None and first.card["msteams"]["entities"][0]["mentioned"]["id"] == ALICE["id"]
        [(context,)] = h.db("SELECT context FROM runs")
        roles = json.loads(context)["roles"]
        assert roles["facilitator"] == {"id": "teams:29:1alice", "name": "Alice Example"}
        assert roles["participants"] == [{"id": "teams:29:1bob", "name": "Bob Builder"}]
        await h.send(in_channel(h.url, ALICE, "We move the launch to March", root=first.answer_id))
        what = await h.next_post(1)
        assert what.card is not None and what.card["body"][1]["text"].endswith("Action 1: What is the action?")
        assert h.db("SELECT actor_id, value FROM answers") == [("teams:29:1alice", '"We move the launch to March"')]

        with_ids = [Actor(f"teams:{ALICE['aadObjectId']}", ALICE["aadObjectId"]), Actor("teams:29:1nobody", "x")]
        assert stored_names(h.services.db.conn, with_ids) == {
            f"teams:{ALICE['aadObjectId']}": Actor("teams:29:1alice", "Alice Example")
        }
