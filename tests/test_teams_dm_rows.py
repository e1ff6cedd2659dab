"""What an owner's personal chat leaves in the ledger: each `messages` row names the conversation
where it was said or sent. A run lives in a channel's thread; Bob's confirmation goes to his
personal chat with the bot (`a:chat-with-29:1bob`), where he answers "maybe" (re-prompted there)
and then declines with a reason ("Noted." there; his reason to Alice's personal chat). The rows of
what the bot delivered to a personal chat name that chat (`teams:a:chat-with-...`, as Bob's own
answers' rows do), each for its person alone (`private` 1), as on Slack (tests/test_slack_dm_rows.py).
Before, they named the run's channel (`teams:19:general-a@thread.tacv2`), where nobody saw them,
and the re-prompt's said it was for everyone there (`private` 0).

The real server and botbuilder against the fake Bot Connector, authentication on (tokens signed by
a local OpenID server, as in tests/test_teams_auth.py), a real SQLite file."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tests.fakes.bot_connector import OpenIdServer
from tests.fakes.login import FakeLogin
from tests.slack_support import committed
from tests.teams_support import ALICE, BOB, CHANNEL, Harness, personal, up_to_bobs_confirm, wait_for

APP_ID = "11111111-2222-3333-4444-555555555555"
ENV = {"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "not-a-real-secret"}
BOB_CHAT = "a:chat-with-29:1bob"
ALICE_CHAT = "a:chat-with-29:1alice"
REASON = "No, I'm out that week"
ROWS = (
    "SELECT direction, kind, step, conversation, private, actor_id, text FROM messages"
    " WHERE step = 'owner_accepts' ORDER BY id"
)


def shown(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [
        (direction, kind, conversation, private, actor) for direction, kind, _, conversation, private, actor, _ in rows
    ]


async def test_teams_what_is_said_in_personal_chats_is_stored_there(
    tmp_path: Path, openid: OpenIdServer, login: FakeLogin
) -> None:
    due = (date.today() + timedelta(days=30)).isoformat()
    async with Harness(tmp_path, ENV) as h:

        async def send(body: dict[str, Any]) -> None:  # signed, as Teams sends it
            resp = await h.post(body, {"Authorization": f"Bearer {openid.token(APP_ID, h.url)}"})
            assert resp.status == 201, (resp.status, await resp.text())

        def rows() -> list[tuple[Any, ...]]:  # as another connection sees them: what was committed
            return committed(tmp_path / h.db_name, ROWS)

        root, confirm = await up_to_bobs_confirm(h, send, due)
        assert confirm.conversation == BOB_CHAT and confirm.card is not None

        await send(personal(h.url, BOB, "maybe"))
        retry = await h.next_post(6)
        assert retry.conversation == BOB_CHAT and retry.text.startswith("Please answer yes or no.")
        await send(personal(h.url, BOB, REASON))
        await h.next_post(9)
        await h.settle()
        sent = [(c.conversation, c.text) for c in h.fake.posts()[7:]]
        assert sent[0] == (BOB_CHAT, "Noted. I'll ask Alice Example to reassign it.")
        assert sent[1][0] == f"{CHANNEL};messageid={root}" and "with a reason told to you alone" in str(
            h.fake.posts()[8]
        )
        assert sent[2][0] == ALICE_CHAT and REASON in sent[2][1]

        bob, alice = f"teams:{BOB_CHAT}", f"teams:{ALICE_CHAT}"
        expected = [
            ("out", "prompt", bob, 1, "teams:29:1bob"),  # his question (before: the channel's)
            ("in", "invalid", bob, 0, "teams:29:1bob"),  # his "maybe", where he typed it
            ("out", "error", bob, 1, "teams:29:1bob"),  # the re-prompt (before: the channel's, private 0)
            ("in", "answer", bob, 0, "teams:29:1bob"),  # "No, I'm out that week"
            ("out", "info", bob, 1, "teams:29:1bob"),  # "Noted. ..." (before: the channel's)
            ("out", "prompt", f"teams:{CHANNEL}", 0, "teams:29:1alice"),  # who owns it instead: the thread's
            ("out", "info", alice, 1, "teams:29:1alice"),  # Bob's reason, for Alice alone (before: the channel's)
        ]
        with contextlib.suppress(AssertionError):  # the rows of the last replies kept once delivered
            await wait_for(lambda: shown(rows()) == expected)
        assert shown(rows()) == expected
        assert rows()[2][6].startswith("Please answer yes or no.") and REASON in rows()[6][6]
        assert h.db("SELECT conversation FROM runs") == [(f"teams:{CHANNEL}",)]  # the run lives on in its channel


async def test_teams_the_replies_of_a_run_living_in_a_personal_chat_are_for_its_person_alone(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(personal(h.url, ALICE, "start post_meeting Weekly sync"))
        await h.next_post(0)
        await h.send(personal(h.url, ALICE, "We ship in March"))
        await h.next_post(1)
        alice = f"teams:a:chat-with-{ALICE['id']}"
        sql = "SELECT direction, kind, conversation, private FROM messages WHERE delivered_at IS NOT NULL OR direction = 'in' ORDER BY id"
        expected = [
            ("in", "start", alice, 0),
            ("out", "prompt", alice, 1),  # for Alice alone, as every reply to a personal chat (before: 0)
            ("in", "answer", alice, 0),
            ("out", "prompt", alice, 1),
        ]
        with contextlib.suppress(AssertionError):  # the last reply's row kept once delivered
            await wait_for(lambda: committed(tmp_path / h.db_name, sql) == expected)
        assert committed(tmp_path / h.db_name, sql) == expected
        assert h.db("SELECT conversation FROM runs") == [(alice,)]
