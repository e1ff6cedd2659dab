"""``actions`` and ``done N`` where owners type them: a Slack direct message, the slash command and
a mention (the real server and slack_sdk against the fake Web API, requests signed for real), and
a Teams personal chat (real botbuilder against the fake Bot Connector). The decision they report
on is made by the server's own dispatcher, as a finished meeting would have left it."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.model import Actor, ConversationKey, Message, Trigger
from tests.dates import FEB1, JUN1
from tests.fakes.slack_api import BOT_USER, FakeSlack
from tests.slack_support import ALICE_AND_BOB, Harness, SlackPeople, event_body, message, sign, wait_for
from tests.teams_support import ALICE as TEAMS_ALICE
from tests.teams_support import BOB as TEAMS_BOB
from tests.teams_support import CHANNEL, in_channel, installed, personal
from tests.teams_support import Harness as TeamsHarness

UNSENT = "SELECT count(*) FROM messages WHERE direction = 'out' AND delivered_at IS NULL AND failed_at IS NULL"
DUE = (date.today() + timedelta(days=30)).isoformat()


def decide(dispatcher: Any, channel: str, room: str, facilitator: Actor, owner: Actor) -> None:
    """A post_meeting run in ``room``, completed with one action of ``owner``'s, accepted."""
    conv = ConversationKey(channel, room)
    people = {"@owner": owner}
    dispatcher.start(Trigger(flow="post_meeting", title="Weekly sync", facilitator=facilitator), conv)
    for text in ("We ship in March", "Draft the plan", "@owner", DUE, "done"):
        dispatcher.handle(Message(conv, facilitator, text, mentions=people))
    dispatcher.handle(Message(conv, owner, "yes"))
    dispatcher.handle(Message(conv, facilitator, "ok"))
    assert dispatcher.db.conn.execute("SELECT id, status FROM actions").fetchall() == [(1, "open")]


@pytest.fixture
def slack_people() -> SlackPeople:
    return {**ALICE_AND_BOB, "UC": ("Carol", "UTC")}


async def test_a_slack_owner_reports_it_done_in_a_direct_message_once_though_slack_retries(
    slack: Harness, fake: FakeSlack
) -> None:
    decide(slack.services.dispatcher, "slack", "C1", Actor("slack:UA", "Alice"), Actor("slack:UB", "Bob"))
    slack.services.notify("slack")
    await wait_for(lambda: slack.rows(UNSENT) == [(0,)])  # the meeting's own messages are out
    before = len(fake.posted())
    body = event_body(message("UB", "done A1", channel="DUB"), event_id="EvDone1")
    assert (await slack.post(body)).status == 200
    said = await wait_for(lambda: [p for p in fake.posted()[before:] if p["channel"] == "DUB"])
    assert [p["text"] for p in said] == ["Marked done: 'Draft the plan' (from 'Weekly sync')."]
    told = await wait_for(lambda: [p for p in fake.posted()[before:] if p["channel"] == "C1"])
    assert [p["text"] for p in told] == ["Bob reported their action done: 'Draft the plan' (from 'Weekly sync')."]
    assert slack.rows("SELECT status, done_confirmed_by FROM actions") == [("done", None)]

    retry = sign(body)
    assert (await slack.post(body, headers={**retry, "X-Slack-Retry-Num": "1"})).status == 200
    assert slack.rows("SELECT count(*) FROM messages WHERE kind = 'command' AND text = 'done A1'") == [(1,)]
    await slack.event(message("UB", "actions", channel="DUB"))  # nothing waits on him: a command
    listed = await wait_for(lambda: [p for p in fake.posted()[before:] if p["channel"] == "DUB"][1:])
    assert [p["text"] for p in listed] == ["You have no open actions."]  # the retry said nothing twice
    assert len([p for p in fake.posted()[before:] if p["channel"] == "C1"]) == 1


async def test_slack_slash_command_and_mention_list_and_mark_and_refuse_a_stranger(
    slack: Harness, fake: FakeSlack
) -> None:
    decide(slack.services.dispatcher, "slack", "C1", Actor("slack:UA", "Alice"), Actor("slack:UB", "Bob"))
    listed = await slack.slash("UB", "actions")
    assert listed["response_type"] == "ephemeral"
    assert listed["text"].startswith("Bob, your open actions (1):\n  A1 Draft the plan ('Weekly sync'), due ")

    refused = await slack.slash("UC", "done A1")
    assert refused["text"] == "No action A1 of yours (or of a decision you lead). Say 'actions' to see yours."
    assert slack.rows("SELECT status FROM actions") == [("open",)]

    await slack.event(message("UA", f"<@{BOT_USER}> done A1", type="app_mention"))  # the facilitator
    answer = await wait_for(lambda: fake.of("chat.postEphemeral"))
    assert (answer[0].args["user"], answer[0].args["text"]) == (
        "UA",
        "Marked done in Bob's place: 'Draft the plan' (from 'Weekly sync').",
    )
    assert slack.rows("SELECT status, done_confirmed_by FROM actions") == [("done", "slack:UA")]
    assert (await slack.slash("UA", "help"))["text"].startswith(
        "Commands: start FLOW [@people ...] [title] | list | status RUN | cancel RUN | actions | done ACTION | due ACTION"
    )


async def decided_in_the_channel(h: TeamsHarness) -> None:
    """The bot installed in the team's channel; a meeting there decided, Bob owning action A1."""
    alice = Actor(f"teams:{TEAMS_ALICE['id']}", TEAMS_ALICE["name"])
    bob = Actor(f"teams:{TEAMS_BOB['id']}", TEAMS_BOB["name"])
    await h.send(installed(h.url, "channel", (TEAMS_ALICE, TEAMS_BOB)))
    decide(h.services.dispatcher, "teams", CHANNEL, alice, bob)
    await h.settle()


async def test_a_teams_owner_lists_and_reports_it_done_in_his_personal_chat(tmp_path: Path) -> None:
    async with TeamsHarness(tmp_path) as h:
        await decided_in_the_channel(h)
        chat = f"a:chat-with-{TEAMS_BOB['id']}"
        sent = len(h.fake.posts())
        await h.send(personal(h.url, TEAMS_BOB, "actions"))
        listed = await h.next_post(sent)
        assert listed.conversation == chat
        assert listed.text.startswith(f"{TEAMS_BOB['name']}, your open actions (1):")
        await h.send(personal(h.url, TEAMS_BOB, "done A1"))
        await h.next_post(sent + 2)
        said = {c.conversation.split(";")[0]: c.text for c in h.fake.posts()[sent + 1 :]}
        assert said == {
            chat: "Marked done: 'Draft the plan' (from 'Weekly sync').",
            CHANNEL: f"{TEAMS_BOB['name']} reported their action done: 'Draft the plan' (from 'Weekly sync').",
        }
        assert h.db("SELECT status, done_confirmed_by FROM actions") == [("done", None)]


async def test_a_teams_done_said_in_another_post_of_the_channel_is_told_in_the_runs_reply_chain(
    tmp_path: Path,
) -> None:
    """The meeting ran in its reply chain of the channel; Bob mentions the bot with 'done A1' in a
    new post of that channel: his post is answered, and the run's reply chain is told (it was not:
    the channel counted as where it was said)."""
    async with TeamsHarness(tmp_path) as h:
        await decided_in_the_channel(h)
        thread = {c.conversation for c in h.fake.posts() if c.conversation and ";messageid=" in c.conversation}
        assert len(thread) == 1, thread
        sent = len(h.fake.posts())
        await h.send(in_channel(h.url, TEAMS_BOB, "done A1"))
        await h.next_post(sent)
        await h.settle()
        assert h.db("SELECT status FROM actions") == [("done",)]
        told = [c.text for c in h.fake.posts()[sent:] if c.conversation in thread]
        assert told == [f"{TEAMS_BOB['name']} reported their action done: 'Draft the plan' (from 'Weekly sync')."]


async def test_a_teams_change_typed_in_the_decisions_own_reply_chain_is_told_there_once(tmp_path: Path) -> None:
    """Bob replies 'due A1 ...', then 'done A1', in the reply chain where the meeting decided: each is
    carried out and said there once, for all to see (before, his answer and the notice to the
    decision's conversation came one after the other, the same news twice)."""
    async with TeamsHarness(tmp_path) as h:
        await decided_in_the_channel(h)
        [thread] = {c.conversation for c in h.fake.posts() if c.conversation and ";messageid=" in c.conversation}
        sent = len(h.fake.posts())
        for text in (f"due A1 {JUN1}", "done A1"):
            await h.send(in_channel(h.url, TEAMS_BOB, text, root=thread.split(";messageid=")[1]))
            await h.next_post(sent)
            await h.settle()
        name = TEAMS_BOB["name"]
        assert [(c.conversation, c.text) for c in h.fake.posts()[sent:]] == [
            (thread, f"{name} moved the due date of their action 'Draft the plan' (from 'Weekly sync') to {JUN1}"
             f" (was {DUE})."),
            (thread, f"{name} reported their action done: 'Draft the plan' (from 'Weekly sync')."),
        ]  # fmt: skip
        assert h.db("SELECT status, due FROM actions") == [("done", JUN1)]


async def test_slack_moves_a_due_date_by_slash_command_and_drops_by_dm_while_a_question_waits(
    slack: Harness, fake: FakeSlack
) -> None:
    """``/decision due A1 DATE`` answers its caller alone; ``drop A1 why`` in a DM is a command even
    while a run's question waits on its writer (never taken as that answer)."""
    decide(slack.services.dispatcher, "slack", "C1", Actor("slack:UA", "Alice"), Actor("slack:UB", "Bob"))
    moved = await slack.slash("UB", f"due A1 {FEB1}")
    assert moved["response_type"] == "ephemeral"
    assert moved["text"] == f"'Draft the plan' is now due on {FEB1} (was {DUE})."
    notice = "Bob moved the due date of their action 'Draft the plan'"
    told = await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "C1" and p["text"].startswith(notice)])
    assert len(told) == 1  # waited for by its words: an earlier post in C1 may come first under load
    await slack.slash("UA", "start post_meeting Retro")  # a question now waits on Alice
    await wait_for(lambda: any("What was decided in Retro?" in p["text"] for p in fake.posted()))
    answers = slack.rows("SELECT count(*) FROM messages WHERE kind = 'answer'")
    await slack.event(message("UA", "drop A1 Bob moved to another team", channel="DUA"))
    await wait_for(lambda: slack.rows("SELECT status FROM actions") == [("dropped",)])
    assert slack.rows("SELECT reason, actor_id FROM action_changes WHERE field = 'status'") == [
        ("Bob moved to another team", "slack:UA")
    ]
    assert slack.rows("SELECT count(*) FROM messages WHERE kind = 'answer'") == answers  # not the Retro's answer


async def test_an_answer_in_a_thread_that_starts_like_drop_is_still_an_answer(slack: Harness, fake: FakeSlack) -> None:
    """Carol's answer "Drop A1 paper, print on Letter" named Bob's action A1: it was taken as a drop
    command ("No action A1 of yours") and the question kept waiting."""
    decide(slack.services.dispatcher, "slack", "C1", Actor("slack:UA", "Alice"), Actor("slack:UB", "Bob"))
    await slack.slash("UC", "start post_meeting Print run")
    thread = (await wait_for(lambda: [p for p in fake.posted() if "Print run" in p["text"]]))[0]["ts"]
    await slack.event(message("UC", "Drop A1 paper, print on Letter", thread_ts=thread))
    answered = "SELECT raw FROM answers WHERE step = 'decision' ORDER BY id DESC LIMIT 1"
    await wait_for(lambda: slack.rows(answered) == [("Drop A1 paper, print on Letter",)])
    assert slack.rows("SELECT status FROM actions") == [("open",)]
