"""What a chat command answered to its writer alone leaves in the ledger, on Teams as on Slack.

The rule (docs/analytics.md, ``messages``): a command carried out outside a run's turn (``list``,
``status N``, ``actions`` ...) is answered to whoever typed it off the outbox, and neither the
command nor that answer is a ``messages`` row, on any platform: Slack's ``/decision actions``
answered within its 3 s, ``@decisionbot actions`` answered by ``chat.postEphemeral``, ``actions``
in the bot's direct message; on Teams ``actions`` asked in a channel, answered in the person's
personal chat (``tell_alone``) with a pointer where they asked. What a command does to an action is
kept: ``done A1`` typed in the channel is a row ``in``/``command`` of the run that made the
decision, and the notice to the decision's thread an ``out``/``info`` row. Only Slack's outcomes
told late at a response_url are kept as private replies (tests/test_slack_late_answers.py).

Teams: the real server and botbuilder against the fake Bot Connector, authentication on (tokens
signed by a local OpenID server, as in tests/test_teams_auth.py), a real SQLite file. Slack: the
real server and slack-sdk against the fake Web API, requests signed."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tests.fakes.bot_connector import OpenIdServer
from tests.fakes.login import FakeLogin
from tests.fakes.slack_api import BOT_USER, FakeSlack
from tests.slack_support import Harness as SlackHarness
from tests.slack_support import committed, committed_rows, decided, message
from tests.slack_support import wait_for as slack_wait_for
from tests.teams_support import ALICE, BOB, CHANNEL, Harness, in_channel, personal, up_to_bobs_confirm

APP_ID = "11111111-2222-3333-4444-555555555555"
ENV = {"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "not-a-real-secret"}
BOB_CHAT = "a:chat-with-29:1bob"
ROWS = "SELECT id, run_id, direction, kind, conversation, private, actor_id, text FROM messages ORDER BY id"


async def test_teams_actions_told_alone_leave_no_row_as_on_slack_and_done_is_kept(
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
        assert confirm.conversation == BOB_CHAT  # his acceptance
        await send(personal(h.url, BOB, "yes"))
        await h.next_post(6)
        await send(in_channel(h.url, ALICE, "ok", root=root))  # the review date: decided
        await h.next_post(7)
        await h.settle()
        assert h.db("SELECT status FROM runs") == [("completed",)]
        before = rows()

        for where in (None, root):  # a new post in the channel, then a reply in the run's thread
            sent = len(h.fake.posts())
            asked = in_channel(h.url, BOB, "actions", root=where)
            await send(asked)
            await h.next_post(sent + 1)
            await h.settle()
            told = [(c.conversation, c.text) for c in h.fake.posts()[sent:]]
            assert told[0][0] == BOB_CHAT and told[0][1].startswith("Bob Builder, your open actions (1):")
            assert "Draft the plan" in told[0][1]
            assert told[1][0] == f"{CHANNEL};messageid={where or asked['id']}"  # the pointer, where he asked
            assert rows() == before  # neither his 'actions' nor his list: as Slack's (below)

        sent = len(h.fake.posts())
        await send(in_channel(h.url, BOB, "done A1"))
        await h.next_post(sent + 1)
        await h.settle()
        added = [r[1:7] for r in rows()[len(before) :]]
        assert added == [
            (1, "in", "command", f"teams:{CHANNEL}", 0, "teams:29:1bob"),  # 'done A1', in the decision's run
            (1, "out", "info", f"teams:{CHANNEL}", 0, None),  # the notice to its thread
        ], added
        assert rows()[-2][7] == "done A1"


async def test_slack_actions_answered_privately_leave_no_row(slack: SlackHarness, fake: FakeSlack) -> None:
    await decided(slack)
    await slack.turned()
    before = committed_rows(slack, ROWS)
    answer = await slack.slash("UB", "actions")  # within Slack's 3 s: the response itself
    assert answer["response_type"] == "ephemeral" and "Draft the plan" in answer["text"]
    ephemeral = len(fake.of("chat.postEphemeral"))
    await slack.event(message("UB", f"<@{BOT_USER}> actions", type="app_mention"))
    await slack_wait_for(lambda: len(fake.of("chat.postEphemeral")) > ephemeral)
    await slack.event(message("UB", "actions", channel="DUB"))
    await slack_wait_for(lambda: any("your open actions" in p["text"] for p in fake.posted() if p["channel"] == "DUB"))
    assert "Draft the plan" in fake.of("chat.postEphemeral")[-1].args["text"]
    assert committed_rows(slack, ROWS) == before
