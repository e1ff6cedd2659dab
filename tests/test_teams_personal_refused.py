"""An owner's personal chat that Teams will not create (``POST /v3/conversations`` refused 403:
the app is not installed for them, or blocked) is recorded in the ledger as a personal chat that
refuses a post is (``teams_users.personal_refused``), and the facilitator is told, once, as for
the other refusals. The real server and botbuilder against the fake Bot Connector."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from tests.teams_support import ALICE, BOB, CHANNEL, Harness, at, in_channel, installed, personal, submit

ENV = {"DECISIONBOT_TEAMS": "on", "DECISIONBOT_DEFAULT_CHANNEL": f"teams:{CHANNEL}"}
REFUSED = "SELECT personal_refused FROM teams_users WHERE user_id = '29:1bob'"


async def bob_asked_while_teams_refuses_his_chat(h: Harness) -> str:
    """Alice's post_meeting in the channel up to Bob's confirmation, the creation of Bob's personal
    chat (he never wrote to the bot) refused 403; the run's thread root."""
    due = (date.today() + timedelta(days=30)).isoformat()
    await h.send(installed(h.url, "channel", (ALICE, BOB)))
    await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
    root = str((await h.next_post(0)).answer_id)  # the thread: created already
    await h.send(in_channel(h.url, ALICE, "We move the launch to March", root=root))
    await h.next_post(1)
    await h.send(in_channel(h.url, ALICE, "Fix the payroll export", root=root))
    owner = await h.next_post(2)
    await h.send(submit(h.url, ALICE, owner, {"answer": "29:1bob"}))
    when = await h.next_post(3)
    await h.send(submit(h.url, ALICE, when, {"answer": due}))
    more = await h.next_post(4)
    h.fake.refuse("create", 403)  # his personal chat: the app not installed for him
    await h.send(submit(h.url, ALICE, more, {"say": "done"}))
    await h.settle()
    return root


async def test_a_personal_chat_teams_will_not_create_is_recorded_and_told(tmp_path: Path) -> None:
    async with Harness(tmp_path, env=dict(ENV)) as h:
        root = await bob_asked_while_teams_refuses_his_chat(h)
        assert h.db("SELECT personal_conversation_id FROM teams_users WHERE user_id = '29:1bob'") == [(None,)]
        assert h.db(REFUSED) == [("403",)]  # before: nothing recorded (None)
        notices = h.db("SELECT conversation, actor_id, text FROM messages WHERE kind = 'notice'")
        assert len(notices) == 1, notices
        conversation, to, text = notices[0]
        assert conversation.startswith(f"teams:{CHANNEL}") and to == "teams:29:1alice"
        assert "Bob Builder" in text and "not installed for them" in text and "HTTP 403" in text
        told = [p for p in h.fake.posts() if p.text.startswith(at(ALICE) + " I could not reach Bob Builder")]
        assert len(told) == 1 and told[0].conversation == f"{CHANNEL};messageid={root}"

        await h.send(personal(h.url, BOB, "help"))  # the app installed since: he writes to the bot
        await h.settle()
        assert h.db(REFUSED) == [(None,)]
