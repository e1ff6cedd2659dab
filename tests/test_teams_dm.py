"""Where replies go when an owner answers in their personal chat: a whole run in a channel against
the fake Bot Connector (as in tests/test_teams.py), with the owner writing to the bot in the
personal chat his confirmation was sent to, and once in the run's thread."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from tests.teams_support import ALICE, BOB, CHANNEL, Harness, at, in_channel, installed, personal, submit


async def test_an_owner_writing_in_his_personal_chat_is_answered_there_not_in_the_channel(tmp_path: Path) -> None:
    due = (date.today() + timedelta(days=30)).isoformat()
    secret = "Fix the payroll export"
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        first = await h.next_post(0)
        root = first.answer_id
        thread = f"{CHANNEL};messageid={root}"
        await h.send(in_channel(h.url, ALICE, "We move the launch to March", root=root))
        await h.next_post(1)
        await h.send(in_channel(h.url, ALICE, secret, root=root))
        owner = await h.next_post(2)
        await h.send(submit(h.url, ALICE, owner, {"answer": "29:1bob"}))
        when = await h.next_post(3)
        await h.send(submit(h.url, ALICE, when, {"answer": due}))
        more = await h.next_post(4)
        await h.send(submit(h.url, ALICE, more, {"say": "done"}))
        confirm = await h.next_post(5)
        bob_chat = "a:chat-with-29:1bob"
        assert confirm.conversation == bob_chat and confirm.card is not None
        public = len(h.fake.posts())

        # Bob writes in his personal chat: an invalid answer, help, a correction he may not make
        await h.send(personal(h.url, BOB, "maybe"))
        retry = await h.next_post(6)
        assert (retry.conversation, retry.text) == (
            bob_chat,
            "Please answer yes or no. To take it with another due date, say yes with the date: 'yes, by next Friday'.",
        )
        assert "entities" not in retry.activity  # no @mention in a personal chat
        await h.send(personal(h.url, BOB, "help"))
        helped = await h.next_post(7)
        assert helped.conversation == bob_chat
        assert helped.text.startswith(f"Alice Example assigned you an action from 'Weekly sync': '{secret}'")
        await h.send(personal(h.url, BOB, "change decision to nothing"))
        refused = await h.next_post(8)
        assert refused.conversation == bob_chat and "can change the decision" in refused.text
        reasked = await h.next_post(9)  # his question, still waiting, shown again with its card
        assert reasked.conversation == bob_chat and reasked.card is not None
        assert f"Back to: Alice Example assigned you an action from 'Weekly sync': '{secret}'" in str(reasked.card)

        # 'help' in the run's thread, while his question waits in private: answered in the thread,
        # where he asked (it went to his personal chat), and it is about that open question
        await h.send(in_channel(h.url, BOB, "help", root=root))
        again = await h.next_post(10)
        assert again.conversation == thread
        assert again.text.startswith(
            f"<at>Bob Builder</at> Alice Example assigned you an action from 'Weekly sync': '{secret}'"
        )

        # the facilitator, in the thread, is answered in the thread
        await h.send(in_channel(h.url, ALICE, "change owner of action 7 to me", root=root))
        hers = await h.next_post(11)
        assert hers.conversation == thread and hers.text.startswith("<at>Alice Example</at> ")

        await h.send(submit(h.url, BOB, reasked, {"answer": "yes"}))
        review = await h.next_post(12)
        assert review.conversation == thread
        await h.send(submit(h.url, ALICE, review, {"say": "ok"}))
        summary = await h.next_post(13)
        assert summary.conversation == thread and summary.text.startswith("Decision recorded: Weekly sync")
        await h.settle()

        # nothing of Bob's private question was posted in the channel while he was asked it, but
        # the help he asked for there
        in_channel_meanwhile = [c for c in h.fake.posts()[public:12] if c.conversation != bob_chat]
        assert [c.text for c in in_channel_meanwhile] == [again.text, hers.text]
        assert [
            c.text
            for c in h.fake.posts()
            if c.conversation == thread and "assigned you an action" in (c.text or str(c.card))
        ] == [again.text]
        assert h.db("SELECT status FROM runs") == [("completed",)]
