"""What people new to the bot say in Teams, in a personal chat and a channel thread: a nod where
nothing waits, a question handed over, a list typed at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests import dates
from tests.teams_support import ALICE, BOB, CAROL, CHANNEL, Harness, at, in_channel, installed, personal, submit


async def test_a_nod_where_nothing_waits_is_taken_as_one(tmp_path: Path) -> None:
    """👍 (or 'ok', 'got it') typed in the personal chat after a run was told "I don't know '👍'",
    then every command; it is a nod, and is answered as one."""
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        for text in ["👍", "👍🏽", "🙏 ", "ok", "Got it!"]:
            n = len(h.fake.posts())
            await h.send(personal(h.url, ALICE, text))
            told = await h.next_post(n)
            assert told.text == "Noted: nothing here waits on your answer. Say 'help' for what I can do.", text
        n = len(h.fake.posts())
        await h.send(personal(h.url, ALICE, "staus 3"))  # a slip of a command is still one
        assert (await h.next_post(n)).text.startswith("I don't know 'staus'. Did you mean 'status 3'?")


def listed(h: Harness, text: str, html: str, root: str | None = None) -> dict[str, Any]:
    """A list typed in the compose box, as Teams sends it: its items bare lines of ``text``, their
    bullets or numbers in the HTML copy it attaches."""
    act = in_channel(h.url, ALICE, text, root=root) if root else personal(h.url, ALICE, text)
    act["attachments"] = [{"contentType": "text/html", "content": html}]
    return act


@pytest.mark.parametrize(
    "typed, copy",
    [
        (
            "Draft the plan\r\nCall the vendor",
            "<div><ul>\n<li>Draft the plan</li>\n<li>Call the vendor</li>\n</ul></div>",
        ),
        (
            "Draft the plan\r\nCall the vendor",
            "<div><ol><li><p>Draft the plan</p></li><li><p>Call the vendor</p></li></ol></div>",
        ),
    ],
)
async def test_a_list_typed_in_teams_is_taken_one_action_at_a_time(tmp_path: Path, typed: str, copy: str) -> None:
    """Bullets or numbering from Teams' compose box arrive as bare lines (the HTML copy keeps the
    list): the two actions became one, 'Draft the plan\\nCall the vendor', with one owner."""
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await h.send(in_channel(h.url, ALICE, "start post_meeting Weekly sync"))
        root = (await h.next_post(0)).answer_id
        await h.send(in_channel(h.url, ALICE, "We ship in March", root=root))
        await h.next_post(1)
        await h.send(
            listed(h, typed, f'<p><span itemtype="http://schema.skype.com/Mention">DecisionBot</span></p>{copy}', root)
        )
        told = await h.next_post(2)
        assert told.text.endswith("That is 2 actions: I'll take them one at a time, 'Draft the plan' first.")
        await h.settle()
        assert h.db("SELECT value FROM answers WHERE field = 'what'") == [('"Draft the plan"',)]


async def test_lines_without_a_list_stay_one_answer(tmp_path: Path) -> None:
    """Two lines typed with Shift+Enter, no list in the HTML copy: one action, as written."""
    async with Harness(tmp_path) as h:
        for n, text in enumerate(["start post_meeting Weekly sync", "We ship in March"]):
            await h.send(personal(h.url, ALICE, text))
            await h.next_post(n)
        await h.send(listed(h, "Draft the plan\r\nwith finance", "<p>Draft the plan<br>with finance</p>"))
        await h.next_post(2)
        assert h.db("SELECT value FROM answers WHERE field = 'what'") == [('"Draft the plan\\nwith finance"',)]


async def bob_owns(h: Harness, action: str) -> tuple[str, Any]:
    """Alice's post_meeting run in a channel with Bob and Carol, up to Bob's card asking him to accept
    ``action``: the run's thread root and that card."""
    await h.send(installed(h.url, "channel", (ALICE, BOB, CAROL)))
    await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} {at(CAROL)} Weekly sync", BOB, CAROL))
    root = (await h.next_post(0)).answer_id
    await h.send(in_channel(h.url, ALICE, "We ship in March", root=root))
    await h.next_post(1)
    await h.send(in_channel(h.url, ALICE, action, root=root))
    owner = await h.next_post(2)
    await h.send(submit(h.url, ALICE, owner, {"answer": "29:1bob"}))
    when = await h.next_post(3)
    await h.send(submit(h.url, ALICE, when, {"answer": dates.JAN15}))
    more = await h.next_post(4)
    await h.send(submit(h.url, ALICE, more, {"say": "done"}))
    await h.settle()
    return root, next(c for c in h.fake.posts() if c.conversation == "a:chat-with-29:1bob" and c.card)


async def test_a_long_action_given_to_another_is_named_short(tmp_path: Path) -> None:
    """An action pasted at length (a plan, 60,000 characters) given to Carol: the channel's notice
    and Bob's note on his stale card quoted all of it, each posted as two messages (94 KB + 26 KB,
    near Teams' 100 KB an activity): a note saying a question closed. They name it by its start."""
    plan = ("Migrate the billing exports to the new warehouse, ünïcödé 日本語; " * 1000)[:60000]
    async with Harness(tmp_path) as h:
        root, bobs = await bob_owns(h, plan)
        seen = len(h.fake.posts())
        await h.send(in_channel(h.url, ALICE, f"change owner of action 1 to {at(CAROL)}", CAROL, root=root))
        await h.settle()
        await h.send(submit(h.url, BOB, bobs, {"answer": "yes"}))
        await h.settle()
        notes = [c for c in h.fake.posts()[seen:] if c.card is None]
        said = [c.text for c in notes]
        assert any("has a new owner" in t for t in said) and any(t.startswith("That question closed") for t in said)
        assert all(len(t) < 1000 for t in said), [len(t) for t in said]
        assert "Action 1 ('Migrate the billing exports to the new warehouse" in said[-1]


async def test_the_owner_an_action_was_taken_from_sees_his_card_closed_and_why(tmp_path: Path) -> None:
    """Alice gives Bob's action to Carol: Bob's card in his personal chat kept asking 'Do you accept
    it?' with its buttons (Slack redraws its question), and he learnt why only by clicking it. It
    is redrawn at once, saying who has it now, with no buttons."""
    async with Harness(tmp_path) as h:
        root, bobs = await bob_owns(h, "Draft the plan")
        await h.send(in_channel(h.url, ALICE, f"change owner of action 1 to {at(CAROL)}", CAROL, root=root))
        await h.settle()
        redrawn = [
            c for c in h.fake.of("update") if c.answer_id == bobs.answer_id or c.conversation == bobs.conversation
        ]
        assert redrawn, "Bob's card was not redrawn"
        card = redrawn[-1].card
        assert card is not None and card["actions"] == []
        assert "That question closed: Alice Example gave Action 1 ('Draft the plan') to Carol Chen." in str(card)
        seen = len(h.fake.posts())
        await h.send(submit(h.url, BOB, bobs, {"answer": "yes"}))  # a late click still says why
        late = await h.next_post(seen)
        assert late.conversation == "a:chat-with-29:1bob"
        assert late.text.startswith(
            "That question closed: Alice Example gave Action 1 ('Draft the plan') to Carol Chen."
        )


async def test_an_answer_in_the_personal_chat_to_the_threads_question_says_where_the_next_is(tmp_path: Path) -> None:
    """Alice answers the channel thread's question in her personal chat with the bot: it was taken,
    but the next question went to the thread and her chat showed nothing (she could not tell it
    was taken). It now says so there, once a run."""
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        root = (await h.next_post(0)).answer_id
        mine = "a:chat-with-29:1alice"
        for n, text in enumerate(["We ship in March", "Draft the plan"]):
            seen = len(h.fake.posts())
            await h.send(personal(h.url, ALICE, text))
            await h.settle()
            said = h.fake.posts()[seen:]
            assert [c.conversation.endswith(root) for c in said if c.card] == [True]  # the next question: in the thread
            told = [c.text for c in said if c.conversation == mine]
            assert told == (
                ["Taken for run #1 ('Weekly sync'). Its next question is in the run's thread."] if n == 0 else []
            )
        assert h.db("SELECT value FROM answers WHERE field = 'what'") == [('"Draft the plan"',)]


async def test_a_member_who_left_is_no_longer_offered_by_the_person_picker(tmp_path: Path) -> None:
    """Teams' membersRemoved (teamMemberRemoved) left them in teams_members: the owner picker still
    offered Carol, who could no longer answer there."""
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB, CAROL)))
        store = h.channel.store
        assert [a.name for a in store.members(CHANNEL)] == ["Alice Example", "Bob Builder", "Carol Chen"]
        left = installed(h.url, "channel", (ALICE,))
        left.pop("membersAdded")
        left["membersRemoved"] = [dict(CAROL)]
        left["channelData"]["eventType"] = "teamMemberRemoved"
        await h.send(left)
        assert [a.name for a in store.members(CHANNEL)] == ["Alice Example", "Bob Builder"]
        assert h.db("SELECT user_id FROM teams_members ORDER BY user_id") == [(ALICE["id"],), (BOB["id"],)]
