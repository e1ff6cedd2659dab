"""A person renamed in Slack (their display name changed) or deactivated while the bot runs: Slack
sends ``user_change`` (the app subscribes to it, slack/manifest.yaml), and the next mention of
them is by the new name, and a deactivated one is refused, at once, without waiting for the cache
to age (a day, ``people.MAX_AGE``, for an app that does not get the event). The real server,
signed requests, the fake Web API. (From the acceptance review of branch slackpeople.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from bot.store.people import People, Person
from tests.clock import Clock
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, harness, message, wait_for


def user_change(fake: FakeSlack, user_id: str) -> dict[str, Any]:
    """Slack's ``user_change`` event: the whole user object as ``users.info`` now answers it."""
    return {"type": "user_change", "user": fake.users[user_id], "cache_ts": 1800000000, "event_ts": "1800000000.1"}


async def owner_named(slack: Harness, fake: FakeSlack, owner: str) -> list[str]:
    """A post_meeting run named ``owner`` (a mention) as its first action's owner; its transcript."""
    roots = len([p for p in fake.posted() if not p.get("thread_ts")])
    await slack.slash("UA", "start post_meeting Weekly sync")
    [*_, root] = await wait_for(lambda: [p for p in fake.posted() if not p.get("thread_ts")][roots:])
    thread = root["ts"]
    await wait_for(lambda: any(p.get("thread_ts") == thread for p in fake.posted()))
    for text in ("We ship in March", "Draft the plan", owner):
        n = len(fake.posted())
        await slack.event(message("UA", text, thread_ts=thread))
        await wait_for(lambda n=n: len(fake.posted()) > n)
    return [r[0] for r in slack.rows("SELECT text FROM messages WHERE direction = 'in' ORDER BY id")]


async def test_a_display_name_changed_in_slack_is_used_from_the_next_mention(slack: Harness, fake: FakeSlack) -> None:
    said = await owner_named(slack, fake, "<@UB>")
    assert said[-1] == "@Bob"
    fake.rename("UB", "Robert")
    resp = await slack.event(user_change(fake, "UB"))
    assert resp.status == 200
    said = await owner_named(slack, fake, "<@UB>")
    assert said[-1] == "@Robert"
    assert slack.rows("SELECT name FROM people WHERE id = 'slack:UB'") == [("Robert",)]
    assert [c.args["user"] for c in fake.of("users.info")].count("UB") == 1  # the event told it: no lookup


async def test_a_change_of_someone_the_bot_never_met_is_not_kept(slack: Harness, fake: FakeSlack) -> None:
    """Slack sends ``user_change`` for every member of the workspace, at each status or profile
    edit: the ledger keeps only the people the bot has met (a stranger is looked up when named)."""
    await owner_named(slack, fake, "<@UB>")
    fake.add_user("UZ", "Zoe")
    fake.rename("UB", "Robert")
    for user in ("UZ", "UB"):
        assert (await slack.event(user_change(fake, user))).status == 200
    await wait_for(lambda: slack.rows("SELECT name FROM people WHERE id = 'slack:UB'") == [("Robert",)])
    assert slack.rows("SELECT id FROM people WHERE id = 'slack:UZ'") == []
    assert slack.channel.people.known("slack:UZ") is None


async def test_a_person_deactivated_while_the_bot_runs_is_refused_at_once(slack: Harness, fake: FakeSlack) -> None:
    await owner_named(slack, fake, "<@UB>")
    fake.deactivate("UB")
    await slack.event(user_change(fake, "UB"))
    await owner_named(slack, fake, "<@UB>")
    assert fake.posted()[-1]["text"].startswith("<@UA> Bob's account is deactivated")


async def test_names_are_looked_up_again_after_a_day_without_the_event(db: Database) -> None:
    """An app whose manifest lacks the event: a name cached a day ago is asked of Slack again."""
    clock = Clock(datetime(2026, 11, 29, 9, 0, tzinfo=UTC))
    asked: list[str] = []

    async def fetch(actor_id: str) -> Person:
        asked.append(actor_id)
        return Person(actor_id, "Bob" if len(asked) == 1 else "Robert")

    cache = People(db, fetch, clock=clock)
    assert (await cache.get("slack:UB")).name == "Bob"  # type: ignore[union-attr]
    clock.now += timedelta(hours=23)
    assert (await cache.get("slack:UB")).name == "Bob"  # type: ignore[union-attr]
    clock.now += timedelta(hours=2)
    assert (await cache.get("slack:UB")).name == "Robert"  # type: ignore[union-attr]
    assert asked == ["slack:UB", "slack:UB"]


async def test_a_reminder_to_an_owner_deactivated_since_is_not_posted_to_nobody(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """Bob was asked by direct message, then left: Slack takes a post in that direct message all the
    same (python-slack-sdk#1156), so the reminder would reach nobody. Known by user_change, he is not
    written to: the reminder is given up (user_disabled) and Alice is told in the thread."""
    clock = Clock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    slack = await harness(tmp_path, fake, clock=clock)
    try:
        await owner_named(slack, fake, "<@UB>")
        thread = fake.posted()[-1]["thread_ts"]
        for text in ("2030-01-15", "done"):
            n = len(fake.posted())
            await slack.event(message("UA", text, thread_ts=thread))
            await wait_for(lambda n=n: len(fake.posted()) > n)
        await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUB"])
        fake.deactivate("UB")
        await slack.event(user_change(fake, "UB"))
        clock.now += timedelta(hours=4, minutes=1)
        [told] = await wait_for(lambda: [p for p in fake.posted() if "could not reach" in p["text"]])
        assert told["thread_ts"] == thread
        assert "their Slack account is deactivated (user_disabled)" in told["text"]
        assert "They cannot answer anywhere now." in told["text"]
        assert len([p for p in fake.posted() if p["channel"] == "DUB"]) == 1  # the question; no reminder
    finally:
        await slack.client.close()
