"""The people a trigger names by their Teams ids are named in the run as Teams named them to the
bot (the people it has heard from); one it has never heard from keeps the id as the name."""

from __future__ import annotations

import json
from pathlib import Path

from bot.model import Actor
from bot.store.people import stored_names
from tests.teams_support import ALICE, BOB, CAROL, CHANNEL, Harness, in_channel, installed

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


async def test_people_named_by_an_azure_ad_object_id_the_bot_never_heard_from_are_left_out_and_said(
    tmp_path: Path,
) -> None:
    """An alert naming Carol by her Azure AD object id, before she ever wrote to the bot: she kept
    the id as her name, the run's first question (hers, as its facilitator) was posted for
    '00000000-...' whom Teams could not notify, and nobody could answer it: Alice's answer was
    'This question is for 00000000-...'. Nobody was told why. Now the run starts with whoever
    answers first leading it (as for a deactivated account), a participant so named is left out,
    and the run's thread says whom the bot cannot reach yet and what to do."""
    env = {"DECISIONBOT_TEAMS": "on", "DECISIONBOT_HOOK_TOKEN": TOKEN}
    async with Harness(tmp_path, env=env) as h:
        await h.send(installed(h.url, "channel", (ALICE,)))
        carol, dana = CAROL["aadObjectId"], "00000000-0000-0000-0000-0000000000d4"
        event = {"title": "Disk full", "flow": "post_meeting", "channel": f"teams:{CHANNEL}", "facilitator": carol,
                 "participants": [dana, ALICE["aadObjectId"]]}  # fmt: skip
        assert h.client is not None
        resp = await h.client.post("/hooks/events", json=event, headers={"Authorization": f"Bearer {TOKEN}"})
        assert resp.status == 200, await resp.text()
        await h.next_post(1)
        await h.settle()
        told = [c.text for c in h.fake.posts() if not c.card]
        assert told == [
            f"{carol} was named to lead this run but cannot be asked yet: the bot has never heard from them in"
            " Teams (an Azure AD object id it cannot write to). Whoever answers first here leads it."
            f" I can't reach {carol}, {dana} yet: ask them to write to the bot once, in a personal chat with it or"
            " by @mentioning it here; from then on runs reach them. To give them a question of this run,"
            " @mention them in your answer here."
        ]
        [(context,)] = h.db("SELECT context FROM runs")
        roles = json.loads(context)["roles"]
        assert roles["participants"] == [{"id": "teams:29:1alice", "name": "Alice Example"}]
        root = h.fake.posts()[0].answer_id
        await h.send(in_channel(h.url, ALICE, "We move the launch to March", root=root))
        await h.next_post(2)
        assert h.db("SELECT actor_id FROM answers") == [("teams:29:1alice",)]
        [(left_out,)] = h.db("SELECT left_out FROM events")
        assert json.loads(left_out) == [
            {"id": f"teams:{carol}", "kind": "unreached"},
            {"id": f"teams:{dana}", "kind": "unreached"},
        ]


async def test_a_member_of_the_runs_conversation_named_by_her_object_id_is_looked_up_and_reached(
    tmp_path: Path,
) -> None:
    """Carol never wrote to the bot, but is a member of the team the alert posts in: the Bot
    Connector knows her by her object id there (GET .../members/{id}). The run reaches her by
    her Teams id, named, instead of leaving her out; her answer in the thread is hers."""
    env = {"DECISIONBOT_TEAMS": "on", "DECISIONBOT_HOOK_TOKEN": TOKEN}
    async with Harness(tmp_path, env=env) as h:
        await h.send(installed(h.url, "channel", (ALICE,)))
        h.fake.members[CAROL["aadObjectId"]] = {**CAROL, "userPrincipalName": "carol@example.com"}
        event = {"title": "Disk full", "flow": "post_meeting", "channel": f"teams:{CHANNEL}",
                 "facilitator": CAROL["aadObjectId"], "participants": [ALICE["aadObjectId"]]}  # fmt: skip
        assert h.client is not None
        resp = await h.client.post("/hooks/events", json=event, headers={"Authorization": f"Bearer {TOKEN}"})
        assert resp.status == 200, await resp.text()
        first = await h.next_post(0)
        assert [c.conversation for c in h.fake.of("member")] == [CHANNEL]
        [(context,)] = h.db("SELECT context FROM runs")
        assert json.loads(context)["roles"]["facilitator"] == {"id": "teams:29:1carol", "name": "Carol Chen"}
        assert first.card is not None and first.card["msteams"]["entities"][0]["mentioned"]["id"] == CAROL["id"]
        await h.send(in_channel(h.url, CAROL, "We move the launch to March", root=first.answer_id))
        await h.next_post(1)
        assert h.db("SELECT actor_id FROM answers") == [("teams:29:1carol",)]
        assert h.db("SELECT left_out FROM events") == [(None,)]
