"""Direct messages at scale: one question to many people, each asked by direct message. Slack
opens about 50 direct messages a minute (``conversations.open``, Tier 3, after a burst); the bot
keeps to that pace itself instead of meeting a 429 a person, and keeps each direct message it
opened in the ledger (``slack_dms``), so that a restarted server writes to it without opening it
again. A direct message Slack later refuses is forgotten (opened again next time). The real server
and slack-sdk against the fake Web API rate-limited as Slack is."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from bot import texts
from bot.channels import RetryLater
from bot.channels.slack_dms import DirectMessages
from bot.channels.slack_limits import DM_OPENS, dm_opens
from bot.store import migrations, open_db
from tests.dates import JAN15
from tests.fakes.slack_api import FakeSlack
from tests.flows_support import shipped_flows
from tests.slack_support import ASK_ALL, Harness, bob_asked_to_accept, harness, message, wait_for
from tests.test_slack_home import clicked, done_button, shown

PEOPLE = [f"UP{i:02d}" for i in range(15)]


async def everyone_named(slack: Harness) -> str:
    """Olga's ask_all in C0ALL with the fifteen PEOPLE named, one at a time; the run's thread."""
    fake = slack.fake
    await slack.slash("UOPS", "start ask_all the new on-call rota", channel="C0ALL")
    [asked] = await wait_for(lambda: [p for p in fake.posted() if p["text"].endswith("Who?")])
    thread = str(asked["thread_ts"])
    for person in PEOPLE:
        n = len(fake.posted())
        await slack.event(message("UOPS", f"<@{person}>", channel="C0ALL", thread_ts=thread))
        await wait_for(lambda n=n: len(fake.posted()) > n)
    return thread


def asked_by_dm(fake: FakeSlack) -> dict[str, float]:
    """When each direct message got its question (channel -> arrival)."""
    return {
        str(c.args["channel"]): c.at
        for c in fake.of("chat.postMessage")
        if c.result.get("ok") and str(c.args["channel"]).startswith("D") and "Do you agree" in str(c.args["text"])
    }


async def test_one_question_to_many_people_opens_their_direct_messages_at_slacks_pace(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """Fifteen people asked at once: ten direct messages opened at once (Slack's burst), then one
    every 1.2 s (50 a minute), so Slack refuses none; the last is asked as soon as before, and a
    quiet channel's reply meanwhile waits for none of it. Before: every direct message beyond the
    burst met a 429 (5 of 15) and waited out its Retry-After."""
    flows = shipped_flows(tmp_path / "flows")
    (flows / "ask_all.yaml").write_text(ASK_ALL)
    slack = await harness(tmp_path, fake, flows=flows)
    try:
        thread = await everyone_named(slack)
        slack.channel.poster.dms.opens = dm_opens()  # the server's own pacing, as in production
        fake.rate_limit("conversations.open", per_minute=50, burst=10)  # Slack's Tier 3
        began = time.monotonic()
        await slack.event(message("UOPS", "done", channel="C0ALL", thread_ts=thread))
        await wait_for(lambda: len(fake.of("conversations.open")) >= 12)  # the burst is over: the rest paced
        said = time.monotonic()
        await slack.event(message("UQ", "<@UBOT> status", channel="CQUIET", type="app_mention"))
        await wait_for(lambda: [c for c in fake.calls if c.args.get("channel") == "CQUIET" and c.result.get("ok")])
        assert time.monotonic() - said < 1.0  # the quiet channel waits for no direct message
        asked = await wait_for(lambda: len(found := asked_by_dm(fake)) == len(PEOPLE) and found, timeout=20)
        assert sorted(asked) == sorted(f"D{p}" for p in PEOPLE)
        assert [c for c in fake.limited if c.method == "conversations.open"] == []  # none refused
        assert max(asked.values()) - began < (len(PEOPLE) - 10) * 1.2 + 2.0  # as soon as Slack allows
        opened = sorted(c.at for c in fake.of("conversations.open"))
        assert opened[-1] - opened[0] >= (len(PEOPLE) - 10 - 1) * 1.2 - 0.1  # paced, not all at once
        assert len([p for p in fake.posted() if p["channel"].startswith("D")]) == len(PEOPLE)  # each asked once
    finally:
        await slack.client.close()


async def test_a_restarted_server_writes_to_the_direct_messages_it_opened_before(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """Before: the direct messages opened were kept in memory, and a restarted server opened each
    again (``conversations.open``), a burst of them after a restart with many owners."""
    first = await harness(tmp_path, fake)
    await bob_asked_to_accept(first)
    await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUB"])
    assert first.rows("SELECT user_id, channel FROM slack_dms") == [("UB", "DUB")]
    await first.client.close()

    second = await harness(tmp_path, fake)
    try:
        await second.slash("UA", "start post_meeting Monthly sync", channel="C2")
        [root] = await wait_for(lambda: [p for p in fake.posted() if p["text"].endswith("Monthly sync?")])
        thread = str(root.get("thread_ts") or root["ts"])
        for text in ("We move to Paris", "Book the venue", "<@UB>", JAN15, "done"):
            await second.event(message("UA", text, channel="C2", thread_ts=thread))
        asked = await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUB" and "venue" in p["text"]])
        assert len(asked) == 1
        assert [c.args["users"] for c in fake.of("conversations.open")] == ["UB"]  # opened once, before the restart
    finally:
        await second.client.close()


async def test_a_direct_message_slack_refuses_is_forgotten_and_opened_again(slack: Harness, fake: FakeSlack) -> None:
    """Bob's direct message, kept, is refused later (``channel_not_found``): the reply is given up,
    as before; the direct message is no longer kept, so the next reply to Bob opens it again (as a
    restart did when they were kept in memory) instead of writing to one Slack refuses, restart
    after restart."""
    await bob_asked_to_accept(slack)
    await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUB"])
    assert slack.rows("SELECT user_id, channel FROM slack_dms") == [("UB", "DUB")]
    fake.shut_out("DUB", "channel_not_found")
    await slack.event(message("UB", "maybe", channel="DUB"))
    failed = "SELECT text, last_error FROM messages WHERE failed_at IS NOT NULL"
    assert await wait_for(lambda: slack.rows(failed)) == [
        (
            "Please answer yes or no. To take it with another due date, say yes with the date: 'yes, by next Friday'.",
            "failed: channel_not_found",
        )
    ]
    assert slack.rows("SELECT user_id, channel FROM slack_dms") == []

    fake.let_in("DUB")
    await slack.event(message("UB", "maybe", channel="DUB"))
    await wait_for(
        lambda: [
            p
            for p in fake.posted()
            if p["text"]
            == "Please answer yes or no. To take it with another due date, say yes with the date: 'yes, by next Friday'."
        ]
    )
    assert [c.args["users"] for c in fake.of("conversations.open")] == ["UB", "UB"]  # opened again
    assert slack.rows("SELECT user_id, channel FROM slack_dms") == [("UB", "DUB")]


async def test_a_home_click_waits_for_its_direct_message_to_open_a_second_at_most(
    slack: Harness, fake: FakeSlack
) -> None:
    """A Home tab click is carried out in its clicker's direct message. Twenty replies waiting to
    open theirs (a question to many people): Bob's click would wait beyond the second, so Slack is
    not asked (it would refuse) and the Home tab says to try again; with its turn a moment away,
    the click waits for it and is carried out."""
    dms = slack.channel.poster.dms
    dms.opens = dm_opens()  # the server's own pacing, as in production
    for ticket in range(1, 21):  # twenty outbox replies, each holding its slot
        dms.opens.wait(DM_OPENS, ticket)
    view = await clicked(slack, "UB", done_button("A1"))
    assert shown(view)[0] == texts.home_try_again()
    assert fake.of("conversations.open") == []

    dms.opens = dm_opens()
    for ticket in range(1, 10):  # Slack's burst taken but for one
        dms.opens.wait(DM_OPENS, ticket)
    began = time.monotonic()
    view = await clicked(slack, "UB", done_button("A1"))
    assert shown(view)[0] != texts.home_try_again()  # carried out ('done A1' typed in Bob's DM: no such action)
    [opened] = fake.of("conversations.open")
    assert opened.args == {"users": "UB"} and opened.at - began >= 0.2  # in its turn


def test_a_ledger_of_an_earlier_version_gets_the_table_once(old_ledger: Path) -> None:
    """The ledger commit 956d256 wrote (direct messages kept in memory then) is brought up to date
    with ``slack_dms``, empty: its runs' direct messages are opened once, when next written to;
    opening it again applies nothing more."""
    db = open_db(old_ledger)
    assert db.conn.execute("SELECT count(*) FROM slack_dms").fetchone() == (0,)
    sql = "SELECT count(*) FROM _sqlite_migrations WHERE migration_set = 'decisionbot-slack' AND name = ?"
    assert db.conn.execute(sql, ("m002_direct_messages",)).fetchone() == (1,)
    db.conn.close()
    again = open_db(old_ledger)
    try:
        assert migrations.apply(again) == []
    finally:
        again.conn.close()


async def opened_as_the_outbox_does(dms: DirectMessages, user: str, ticket: int) -> str:
    """``user``'s direct message for the outbox's message ``ticket``: held back (RetryLater) until
    its slot, or Slack's Retry-After, as the outbox holds a reply back, then asked again."""
    while True:
        try:
            return await dms.channel(user, ticket)
        except RetryLater as exc:
            await asyncio.sleep(exc.seconds)


async def test_a_429_of_conversations_open_moves_the_slots_reserved_within_its_retry_after(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """Fifteen people asked in fifteen runs at once (the outbox sends them side by side): nine
    direct messages open at once, the others get slots 1.2 s apart. Slack answers one of the first
    429, Retry-After 3 s (another app on the token). The opens whose slots fell within those 3 s
    now wait past them, in their order; every direct message is opened. Before: they kept their
    slots and called Slack while it said to wait, into more 429s."""
    db = open_db(tmp_path / "decisions.db")
    async with aiohttp.ClientSession() as session:
        client = AsyncWebClient(token="xoxb-test", base_url=fake.url, session=session)
        dms = DirectMessages(db, client, lambda: datetime.now(UTC))
        fake.refuse("conversations.open", status=429, retry_after="3")
        found = await asyncio.gather(*(opened_as_the_outbox_does(dms, p, n) for n, p in enumerate(PEOPLE, 1)))
    db.conn.close()
    assert found == [f"D{p}" for p in PEOPLE]
    opens = fake.of("conversations.open")
    [refused] = [c for c in opens if c.result.get("error") == "ratelimited"]
    during = [round(c.at - refused.at, 2) for c in opens if 0.1 < c.at - refused.at < 2.95]
    assert during == []  # Slack asked nothing while it said to wait (the burst was in flight with the 429)
    assert len(opens) == len(PEOPLE) + 1  # the refused one made again, once
