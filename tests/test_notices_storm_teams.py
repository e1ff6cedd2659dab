"""An alert storm in a Teams channel that refuses the bot (the Bot Connector answering 403 to each
run's first post), every run led by one facilitator: she is told once in her personal chat, not
once a run; another reason (a 404: the channel gone) is told again. Each run's reply stays given up
with its error in the ledger. Real botbuilder against the fake Bot Connector; the runs start as a
route's alerts start them (``Dispatcher.start``, a trigger naming its facilitator)."""

from __future__ import annotations

from pathlib import Path

from bot.channels.teams_activities import key_for
from bot.model import Actor, Trigger
from tests.teams_support import ALICE, BOB, CHANNEL, Harness, installed, personal, wait_for

CHAT = f"a:chat-with-{ALICE['id']}"
FAILED = "SELECT run_id, last_error FROM messages WHERE failed_at IS NOT NULL AND kind != 'notice' ORDER BY id"
PENDING = "SELECT 1 FROM messages WHERE direction = 'out' AND delivered_at IS NULL AND failed_at IS NULL"


async def alerts(h: Harness, *titles: str) -> None:
    """A run for each alert of ``titles`` in the channel, Alice its facilitator (as a route names her)."""
    for title in titles:
        trigger = Trigger(
            flow="post_meeting", source="alertmanager", title=title, facilitator=Actor("teams:29:1alice", "Alice")
        )
        h.services.dispatcher.start(trigger, key_for(CHANNEL))
        h.services.notify("teams")


def told(h: Harness) -> list[str]:
    """What Alice was told in her personal chat that a run's conversation refuses the bot (its
    reason and fix), leaving out the one-line questions of the runs after the first."""
    return [c.text for c in h.fake.posts() if c.conversation == CHAT and ") cannot post in its conversation" in c.text]


def asked(h: Harness) -> list[str]:
    """The runs whose question for Alice reached her in a line, the conversation's fix told already."""
    lines = [c.text for c in h.fake.posts() if c.conversation == CHAT and "still cannot post" in c.text]
    return [line.split(" (", 1)[0] for line in lines]


async def settled(h: Harness, failed: int) -> list[tuple]:
    await wait_for(lambda: len(h.db(FAILED)) == failed and not h.db(PENDING))
    return h.db(FAILED)


async def test_a_storm_of_403s_tells_the_facilitator_once_and_a_404_again(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await h.send(personal(h.url, ALICE, "help"))  # her personal chat with the bot
        await h.next_post(0)
        h.fake.refuse("create", 403, 403, 403)  # each run's thread refused: the bot removed from the team
        await alerts(h, "Disk full on db-1", "Disk full on db-2", "Disk full on db-3")
        failed = await settled(h, 3)
        assert len(told(h)) == 1, told(h)
        assert told(h)[0].startswith("Run #1 ('Disk full on db-1') cannot post in its conversation")
        assert asked(h) == ["Run #2", "Run #3"]  # each run's question for her, in a line
        assert [run for run, _ in failed] == [1, 2, 3]
        assert all("403" in error for _, error in failed), failed
        h.fake.refuse("create", 404, 403)  # another reason (told), then the first one again (not)
        await alerts(h, "Disk full on db-4", "Disk full on db-5")
        await settled(h, 5)
        assert len(told(h)) == 2, told(h)
        assert "(HTTP 404)" in told(h)[1] and told(h)[1].startswith("Run #4 ")
        assert asked(h) == ["Run #2", "Run #3", "Run #5"]
