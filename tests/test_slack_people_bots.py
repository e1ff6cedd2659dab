"""Other apps' bot users (``users.info`` says ``is_bot: true``: Jira's, Google Calendar's) and
Slackbot (``USLACKBOT``, which ``users.info`` does not call a bot) named where a person is to
answer or own something: refused with a re-prompt, as a deactivated person is, since their
direct message cannot be opened (``cannot_dm_bot``) and a run left waiting on them waits for
ever. The real server, signed requests, the real slack-sdk against the fake Web API, on a real
SQLite ledger. (From the acceptance review of branch slack-botusers.)"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store import iso, utc_now
from tests.dates import JAN15
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, harness, message, wait_for

JIRA_IS_A_BOT = (
    "<@UA> Jira is a bot (an app), not a person: it cannot be asked or own anything. Name a person:"
    " a participant (Alice), 'me', or an @mention."
)


@pytest.fixture
async def fake(fake: FakeSlack) -> AsyncIterator[FakeSlack]:
    fake.add_bot("UJIRA", "Jira")
    fake.add_user("USLACKBOT", "Slackbot")  # users.info: is_bot false, for Slackbot too
    yield fake


async def test_a_bot_user_named_as_an_owner_is_refused_and_a_person_can_be_named(
    slack: Harness, fake: FakeSlack
) -> None:
    """Before, Jira was taken as the owner: its direct message failed (cannot_dm_bot), Alice was
    told, and the run waited on Jira's answer, which never comes."""
    thread = await slack.started()
    await slack.say(thread, "We ship in March", "Draft the plan", "<@UJIRA>")
    assert fake.posted()[-1]["text"] == JIRA_IS_A_BOT
    assert fake.posted()[-1]["thread_ts"] == thread
    assert slack.rows("SELECT count(*) FROM answers WHERE field = 'owner'") == [(0,)]
    assert slack.rows("SELECT is_bot FROM people WHERE id = 'slack:UJIRA'") == [(1,)]  # kept across a restart
    await slack.say(thread, "<@UB>", JAN15, "done")
    await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUB"])
    assert [c.args["users"] for c in fake.of("conversations.open")] == ["UB"]  # Jira was never asked


async def test_slackbot_named_as_an_owner_is_refused(slack: Harness, fake: FakeSlack) -> None:
    thread = await slack.started()
    await slack.say(thread, "We ship in March", "Draft the plan", "<@USLACKBOT>")
    assert fake.posted()[-1]["text"] == JIRA_IS_A_BOT.replace("Jira", "Slackbot")
    assert slack.rows("SELECT count(*) FROM answers WHERE field = 'owner'") == [(0,)]


async def test_a_bot_user_picked_in_the_people_picker_is_refused(slack: Harness, fake: FakeSlack) -> None:
    thread = await slack.started()
    await slack.say(thread, "We ship in March", "Draft the plan")
    question = fake.posted()[-1]
    assert (await slack.click("UA", question, {"type": "users_select", "selected_user": "UJIRA"})).status == 200
    told = await wait_for(lambda: [p for p in fake.posted() if "is a bot" in p["text"]])
    assert told[0]["text"] == JIRA_IS_A_BOT
    assert slack.rows("SELECT count(*) FROM answers WHERE field = 'owner'") == [(0,)]
    assert fake.of("conversations.open") == []


async def test_a_run_is_not_started_with_a_bot_user_as_a_participant(slack: Harness, fake: FakeSlack) -> None:
    answer = await slack.slash("UA", "start post_meeting <@UB> <@UJIRA> Weekly sync")
    assert answer["text"] == (
        "Nothing started: @Jira is not a person (another bot: only people can take part). Name the people one"
        " by one with @person: start FLOW @bob @carol [title], or start FLOW @bob, @carol [title]."
    )
    assert slack.rows("SELECT count(*) FROM runs") == [(0,)]


async def test_an_action_is_not_given_to_a_bot_user(slack: Harness, fake: FakeSlack) -> None:
    thread = await slack.started()
    await slack.say(thread, "We ship in March", "Draft the plan", "<@UB>", JAN15, "done")
    await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUB"])
    await slack.event(message("UB", "yes", channel="DUB"))
    await wait_for(lambda: "When should we review" in fake.posted()[-1]["text"])
    await slack.say(thread, "ok")
    answer = await slack.slash("UB", "give A1 <@UJIRA|jira> it tracks it")
    assert (
        answer["text"] == "@Jira names another bot: only a person can own an action. Name one person: give A12 @carol."
    )
    assert slack.rows("SELECT owner_id FROM actions") == [("slack:UB",)]
    assert slack.rows("SELECT count(*) FROM runs") == [(1,)]


async def test_a_bot_user_cached_as_a_person_before_the_upgrade_is_refused_after_it(
    old_ledger: Path, fake: FakeSlack
) -> None:
    """A ledger of a version before ``is_bot`` (tests/fixtures/ledger-956d256.db.gz) that had
    just fetched Jira, as a person: brought up to date, Jira is fetched again when next named, and
    refused, not taken as a person for the day the cache keeps a name."""
    with sqlite3.connect(old_ledger) as conn:
        conn.execute("INSERT INTO people VALUES ('slack:UJIRA', 'Jira', 'UTC', ?)", (iso(utc_now()),))
    conn.close()
    slack = await harness(old_ledger.parent, fake, db_name=old_ledger.name)
    try:
        assert slack.rows("SELECT name, is_bot FROM people WHERE id = 'slack:UJIRA'") == [("Jira", 0)]
        thread = await slack.started()
        await slack.say(thread, "We ship in March", "Draft the plan", "<@UJIRA>")
        assert fake.posted()[-1]["text"] == JIRA_IS_A_BOT
        assert [c.args["user"] for c in fake.of("users.info")].count("UJIRA") == 1
    finally:
        await slack.client.close()


@pytest.mark.parametrize(
    ("owner", "told"),
    [
        ("<@UJIRA> will do it", JIRA_IS_A_BOT),
        ("<@UJIRA|jira> owns it", JIRA_IS_A_BOT),
        ("<@UD> will do it", "<@UA> Dan's account is deactivated: they cannot be asked or own anything now."),
    ],
)
async def test_a_mention_with_words_after_it_is_refused_the_same(
    slack: Harness, fake: FakeSlack, owner: str, told: str
) -> None:
    """'<@UJIRA> will do it': before, the mention found in the words was taken as the owner (a bot
    user, a person who left), though the mention alone was refused."""
    fake.add_user("UD", "Dan")
    fake.deactivate("UD")
    thread = await slack.started()
    await slack.say(thread, "We ship in March", "Draft the plan", owner)
    assert fake.posted()[-1]["text"].startswith(told)
    assert slack.rows("SELECT count(*) FROM answers WHERE field = 'owner'") == [(0,)]
