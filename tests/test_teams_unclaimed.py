"""An alert's run that names no facilitator asks its first question of whoever speaks first. Before,
Teams posted it @mentioning the placeholder that stands for nobody: the card read
``<at>facilitator</at> What was decided in Disk full?`` with a mention entity of the id
``facilitator`` (no Teams user), where Slack mentions nobody. Now it mentions no one; the first
person to answer takes the run. The real server and botbuilder against the fake Bot Connector."""

from __future__ import annotations

from pathlib import Path

from bot.channels.teams_activities import key_for
from bot.model import Trigger
from tests.teams_support import ALICE, BOB, CHANNEL, Harness, installed, submit


async def test_the_first_question_of_an_alert_nobody_has_taken_mentions_nobody(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        alert = Trigger(flow="post_meeting", title="Disk full", data={"claimable": True})  # as admission starts it
        h.services.dispatcher.start(alert, key_for(CHANNEL))
        h.services.notify("teams")
        card = await h.next_post(0)
        assert card.card is not None
        assert card.card["body"][1]["text"] == "What was decided in Disk full?"
        assert "msteams" not in card.card and "<at>" not in str(card.activity)
        await h.settle()
        await h.send(submit(h.url, ALICE, card, {"answer": "We add a disk"}))  # Alice takes the run
        nxt = await h.next_post(1)
        assert nxt.card is not None and nxt.card["body"][1]["text"].startswith("<at>Alice Example</at> ")
        assert h.db("SELECT facilitator_id FROM runs") == [("teams:29:1alice",)]
