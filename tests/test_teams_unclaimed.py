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


async def test_the_one_who_clicks_second_is_told_by_name_that_the_card_is_closed(tmp_path: Path) -> None:
    """Alice and Bob answer the first card at once: Alice's answer takes the run, and Bob, in the
    run's thread where everyone reads it, is told with an @mention that the card no longer takes
    answers. Before, the thread read 'That card is no longer open ...' addressed to nobody (and
    Bob, not mentioned, was not notified), as every refused card submit in a thread or a group chat was."""
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        alert = Trigger(flow="post_meeting", title="Disk full", data={"claimable": True})
        h.services.dispatcher.start(alert, key_for(CHANNEL))
        h.services.notify("teams")
        card = await h.next_post(0)
        await h.settle()
        first = await h.post(submit(h.url, ALICE, card, {"answer": "We add a disk"}))
        second = await h.post(submit(h.url, BOB, card, {"answer": "We buy a bigger one"}))
        assert (first.status, second.status) == (201, 201)
        await h.settle()
        told = [c for c in h.fake.calls if c.method == "reply"]
        assert [(c.conversation, c.text) for c in told] == [
            (
                card.conversation,
                "<at>Bob Builder</at> That card is no longer open. Type your answer instead, or say 'help'.",
            )
        ]
        assert told[0].activity["entities"][0]["mentioned"]["id"] == "29:1bob"
        assert h.db("SELECT actor_id, raw FROM answers") == [("teams:29:1alice", "We add a disk")]
