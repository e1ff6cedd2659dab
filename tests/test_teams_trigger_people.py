"""The people a trigger names by their Teams ids are named in the run as Teams named them to the
bot (the people it has heard from); one it has never heard from keeps the id as the name."""

from __future__ import annotations

import json
from pathlib import Path

from tests.teams_support import ALICE, CHANNEL, Harness, installed

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
