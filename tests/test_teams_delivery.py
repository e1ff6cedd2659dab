"""Teams replies delivered through the fake Bot Connector: a triggered run's posts after a restart,
429s and refusals retried in order or given up, a command's answer and a card update refused for
now made again. Helpers in tests/teams_support.py and tests/test_teams.py."""

from __future__ import annotations

from pathlib import Path

from bot.channels.teams_activities import key_for
from bot.model import Actor, Trigger
from tests.teams_support import ALICE, BOB, CHANNEL, Harness, in_channel, installed, personal, wait_for
from tests.test_teams import card_text


async def test_a_triggered_run_posts_into_a_channel_after_a_restart(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE,)))
        await h.restart()  # the reference comes back from SQLite, not from memory
        assert h.channel.store._refs == {}
        trigger = Trigger(
            flow="post_meeting",
            source="alertmanager",
            title="Disk full",
            facilitator=Actor("teams:29:1alice", "Alice Example"),
        )
        h.services.dispatcher.start(trigger, key_for(CHANNEL))
        h.services.notify("teams")
        first = await h.next_post(0)
        assert first.method == "create" and first.body["channelData"]["channel"] == {"id": CHANNEL}
        assert first.body["bot"]["id"] == "28:11111111-2222-3333-4444-555555555555"
        assert card_text(first.card) == "<at>Alice Example</at> What was decided in Disk full?"
        # the thread's replies find the run
        await h.send(in_channel(h.url, ALICE, "Add a disk", root=first.answer_id))
        second = await h.next_post(1)
        assert second.conversation == f"{CHANNEL};messageid={first.answer_id}"
        assert h.db("SELECT raw FROM answers") == [("Add a disk",)]
        # a facilitator given by bare id (decisionbot trigger -f 29:1alice) is mentioned by her name
        bare = Trigger(flow="post_meeting", title="Disk full again", facilitator=Actor("teams:29:1alice", "29:1alice"))
        h.services.dispatcher.start(bare, key_for(CHANNEL))
        h.services.notify("teams")
        third = await h.next_post(2)
        assert card_text(third.card) == "<at>Alice Example</at> What was decided in Disk full again?"
        assert third.card["msteams"]["entities"][0]["text"] == "<at>Alice Example</at>"


async def test_a_429_is_retried_no_sooner_than_its_retry_after(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        h.fake.refusals = [(429, "3")]  # longer than the outbox's first backoff (0.5 to 1.25 s)
        await h.send(personal(h.url, ALICE, "start post_meeting Weekly sync"))
        card = await h.next_post(1)  # the refused try, then the card
        refused, retried = h.fake.calls
        assert retried is card and (refused.method, refused.conversation) == (card.method, card.conversation)
        assert card.at - refused.at >= 2.95, card.at - refused.at
        await h.settle()  # the card reached the fake; its delivery is marked just after
        assert h.db("SELECT attempts, last_error LIKE 'retry: HTTP 429%' FROM messages WHERE direction = 'out'") == [
            (2, 1)
        ]


async def test_refused_deliveries_are_retried_in_order_or_given_up(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        h.fake.refusals = [(429, "0"), (503, None)]
        await h.send(personal(h.url, ALICE, "start post_meeting Weekly sync"))
        first = await h.next_post(2)  # two refused tries, then the card
        assert [c.method for c in h.fake.calls] == ["send", "send", "send"]
        assert card_text(first.card) == "What was decided in Weekly sync?"
        await h.settle()
        assert h.db(
            "SELECT attempts, last_error LIKE 'retry: HTTP 503%', platform_id FROM messages WHERE direction = 'out'"
        ) == [(3, 1, first.answer_id)]
        # a conversation the bot was never in: refused for good, and nothing else is held up
        h.fake.refusals = [(403, None)]
        await h.send(personal(h.url, BOB, "start post_meeting Other"))
        await wait_for(lambda: len(h.fake.calls) >= 4)
        await h.settle()
        assert h.db("SELECT attempts, substr(last_error, 1, 21) FROM messages WHERE failed_at IS NOT NULL") == [
            (1, "failed: HTTP 403 POST")
        ]
        # its facilitator is told directly (here the same personal chat, which takes this one)
        assert h.db("SELECT actor_id, private, delivered_at IS NOT NULL FROM messages WHERE kind = 'notice'") == [
            ("teams:29:1bob", 1, 1)
        ]
        h.services.dispatcher.start(Trigger(flow="post_meeting", title="x"), key_for("19:never-seen@thread.v2"))
        h.services.notify("teams")
        await h.settle()
        errors = h.db("SELECT last_error FROM messages WHERE conversation = 'teams:19:never-seen@thread.v2'")
        assert errors == [
            (
                "failed: No stored Teams conversation '19:never-seen@thread.v2': install the app there, or say something to the bot there first.",
            )
        ]


async def test_an_answer_to_a_command_refused_for_now_is_sent_again(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        h.fake.refusals = [(429, "0"), (503, "0")]
        await h.send(personal(h.url, ALICE, "list"))  # answered off the request, once it is stored
        await wait_for(lambda: len(h.fake.calls) == 3)  # refused twice, then taken
        assert [c.method for c in h.fake.calls] == ["reply", "reply", "reply"]
        assert h.fake.calls[2].text.startswith("No open decision runs here")


async def test_a_card_update_refused_for_now_is_made_again(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(personal(h.url, ALICE, "start post_meeting Weekly sync"))
        first = await h.next_post(0)
        await h.settle()
        h.fake.refusals_of["update"] = [(429, "0"), (503, "0")]  # the answered card's update, twice
        await h.send(personal(h.url, ALICE, "We ship in March"))
        await h.next_post(1)
        await wait_for(lambda: len(h.fake.of("update")) == 3)  # refused twice, then taken
        update = h.fake.of("update")[-1]
        assert update.activity_id == first.answer_id
        assert update.card["body"][-1]["text"] == "Alice Example answered: We ship in March"


async def test_a_run_started_in_a_conversation_the_bot_never_saw_tells_its_facilitator_why(tmp_path: Path) -> None:
    """``trigger -c teams:19:typo ...``: the conversation was never told to the bot, so Teams was
    never asked; before, the facilitator's notice guessed "Teams refused the conversation (refused)"."""
    async with Harness(tmp_path) as h:
        await h.send(personal(h.url, ALICE, "list"))  # the bot knows alice's personal chat
        await wait_for(lambda: len(h.fake.calls) == 1)
        alice = Actor("teams:29:1alice", "29:1alice")
        started = Trigger(flow="post_meeting", title="Disk full", facilitator=alice)
        h.services.dispatcher.start(started, key_for("19:typo@thread.v2"))
        h.services.notify("teams")
        await wait_for(lambda: len(h.fake.calls) == 2)
        notice = h.fake.calls[1].text
        assert notice.startswith(
            "Run #1 ('Disk full') cannot post in its conversation, teams:19:typo@thread.v2: the bot has never been"
            " in that conversation, so Teams gives it no address there."
        ), notice
        assert (
            "Install the app in that team or chat (or check the conversation's id the run was started with)" in notice
        )
        assert "Teams refused the conversation" not in notice
