"""``done A12`` where Slack users type it: in a run's thread (a command before any answer, as on
Teams), and a direct message whose write fails (carried out once on Slack's retry); the real
server and slack_sdk against the fake Web API, requests signed for real."""

from __future__ import annotations

import asyncio

from tests.dates import FEB1, JAN15
from tests.fakes.slack_api import BOT_USER, FakeSlack
from tests.slack_support import Harness, decided, event_body, message, sign, wait_for

FAIL_COMMAND = (
    "CREATE TRIGGER boom BEFORE INSERT ON messages WHEN new.kind = 'command'"
    " BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
)


UNSENT = "SELECT count(*) FROM messages WHERE direction = 'out' AND delivered_at IS NULL"


async def test_done_mentioned_in_the_meetings_thread_is_a_command(slack: Harness, fake: FakeSlack) -> None:
    """Bob reads the summary in the meeting's thread and tells the bot there: a command (as on
    Teams), answered once, by what the thread is told; before, the finished run said it had nothing
    more to answer (and then he was answered twice: privately, and with the thread)."""
    thread = await decided(slack)
    await wait_for(lambda: slack.rows(UNSENT) == [(0,)])
    before = len(fake.posted())
    resp = await slack.event(message("UB", f"<@{BOT_USER}> done A1", thread_ts=thread, type="app_mention"))
    assert resp.status == 200
    told = await wait_for(lambda: [p["text"] for p in fake.posted()[before:] if p.get("thread_ts") == thread])
    await asyncio.sleep(0.3)
    assert (slack.rows("SELECT status FROM actions"), told) == (
        [("done",)],
        ["Bob reported their action done: 'Draft the plan' (from 'Weekly sync')."],
    )
    assert fake.of("chat.postEphemeral") == [] and len(fake.posted()) == before + 1


async def test_done_in_a_run_thread_while_a_text_question_waits_is_a_command_not_the_answer(
    slack: Harness, fake: FakeSlack
) -> None:
    """Alice, facilitator of an earlier decision, starts another meeting; while its first question
    waits she says 'done A1' (for Bob, in his place) in the new run's thread: a command, not what
    was decided in the new meeting (as it used to be taken)."""
    await decided(slack)
    await slack.slash("UA", "start post_meeting Retro")
    root = await wait_for(lambda: [p for p in fake.posted() if "Retro" in p["text"] and "thread_ts" not in p])
    await slack.event(message("UA", f"<@{BOT_USER}> done A1", thread_ts=root[0]["ts"], type="app_mention"))
    await asyncio.sleep(0.3)
    taken = slack.rows("SELECT run_id, step, raw FROM answers WHERE raw = 'done A1'")
    assert (taken, slack.rows("SELECT status FROM actions WHERE id = 1")) == ([], [("done",)])


async def test_a_dm_done_whose_write_fails_is_carried_out_once_the_fault_is_gone(
    slack: Harness, fake: FakeSlack
) -> None:
    await decided(slack)
    conn = slack.services.db.conn
    conn.execute(FAIL_COMMAND)
    body = event_body(message("UB", "done A1", channel="DUB"), event_id="EvDoneFail")
    assert (await slack.post(body)).status == 200  # kept; its turn fails after the acknowledgement
    assert slack.rows("SELECT status FROM actions") == [("open",)]
    assert slack.rows("SELECT count(*) FROM deliveries WHERE delivery_id = 'EvDoneFail'") == [(0,)]
    assert slack.rows("SELECT tries FROM slack_inbox") == [(1,)]
    conn.execute("DROP TRIGGER boom")
    await wait_for(lambda: slack.rows("SELECT status FROM actions") == [("done",)], timeout=5)  # run again
    await slack.turned()
    retry = {**sign(body), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}
    assert (await slack.post(body, headers=retry)).status == 200
    assert slack.rows("SELECT count(*) FROM messages WHERE kind = 'command'") == [(1,)]
    said = await wait_for(lambda: [p for p in fake.posted() if p["text"].startswith("Marked done")])
    await asyncio.sleep(0.3)
    assert len([p for p in fake.posted() if p["text"].startswith("Marked done")]) == len(said) == 1


async def test_a_teams_done_whose_write_fails_is_carried_out_when_sent_again(tmp_path) -> None:  # noqa: ANN001
    from bot.model import Actor, ConversationKey, Message, Trigger
    from tests.teams_support import ALICE, BOB, personal
    from tests.teams_support import Harness as TeamsHarness

    async with TeamsHarness(tmp_path) as h:
        alice, bob = Actor(f"teams:{ALICE['id']}", ALICE["name"]), Actor(f"teams:{BOB['id']}", BOB["name"])
        conv, d = ConversationKey("teams", "19:room@thread.tacv2"), h.services.dispatcher
        d.start(Trigger(flow="post_meeting", title="Weekly sync", facilitator=alice), conv)
        for text in ("We ship in March", "Draft the plan", "@owner", "2099-01-15", "done"):
            d.handle(Message(conv, alice, text, mentions={"@owner": bob}))
        d.handle(Message(conv, bob, "yes"))
        d.handle(Message(conv, alice, "ok"))
        sent = len(h.fake.posts())
        h.services.db.conn.execute(FAIL_COMMAND)
        act = personal(h.url, BOB, "done A1")
        assert (await h.post(act)).status == 500
        assert h.db("SELECT status FROM actions") == [("open",)]
        h.services.db.conn.execute("DROP TRIGGER boom")
        await h.send(act)
        await h.send(act)
        assert h.db("SELECT status FROM actions") == [("done",)]
        assert h.db("SELECT count(*) FROM messages WHERE kind = 'command'") == [(1,)]
        await h.next_post(sent)
        await h.settle()
        assert [p.text for p in h.fake.posts()[sent:]] == ["Marked done: 'Draft the plan' (from 'Weekly sync')."]


async def test_done_replied_in_the_finished_meetings_thread_is_carried_out_and_told_there(
    slack: Harness, fake: FakeSlack
) -> None:
    """Bob replies 'done A1' (no mention), then 'due A1 ...' in the meeting's thread, where the
    summary is: each is carried out and the thread is told for all to see, once (before, a reply in
    a finished run's thread was ignored; then he was also answered privately, the same news twice)."""
    thread = await decided(slack)
    await wait_for(lambda: slack.rows(UNSENT) == [(0,)])
    before = len(fake.posted())
    assert (await slack.event(message("UB", f"due A1 {FEB1}", thread_ts=thread))).status == 200
    assert (await slack.event(message("UB", "done A1", thread_ts=thread))).status == 200
    await wait_for(lambda: slack.rows("SELECT status FROM actions") == [("done",)] and slack.rows(UNSENT) == [(0,)])
    await asyncio.sleep(0.3)
    told = [p["text"] for p in fake.posted()[before:] if p.get("thread_ts") == thread]
    assert told == [
        f"Bob moved the due date of their action 'Draft the plan' (from 'Weekly sync') to {FEB1} (was {JAN15}).",
        "Bob reported their action done: 'Draft the plan' (from 'Weekly sync').",
    ]
    assert fake.of("chat.postEphemeral") == [] and len(fake.posted()) == before + 2
    assert slack.rows("SELECT status, due FROM actions") == [("done", FEB1)]
