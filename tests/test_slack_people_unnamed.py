"""People Slack did not name: ``users.info`` refused (``user_not_found``) or failing (500) when
someone mentions them. The run goes on with their user id as their name (tests/
test_slack_people_refused.py), and what the bot posts shows them as live mentions, which Slack
renders by their names: never a bare ``U0BOB12345``. The real server, signed requests, the real
slack-sdk against the fake Web API. (From the acceptance review of branch slackpeople.)"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.dates import JAN15
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, message, wait_for

BOB = "U0BOB12345"  # as Slack's ids are: the fake does not know him


# cut: the connection dropped, twice (slack-sdk tries once more): aiohttp's ServerDisconnectedError is
# no OSError, and escaped the lookup into the turn (the event a 500, retried by Slack).
@pytest.mark.parametrize("refusal", [{"error": "user_not_found"}, {"status": 500}, {"cut": True}])
async def test_a_person_slack_did_not_name_is_a_live_mention_in_what_the_bot_posts(
    slack: Harness, fake: FakeSlack, refusal: dict[str, Any]
) -> None:
    fake.refuse("users.info", after=1, times=10, **refusal)  # Alice is named; Bob's lookups fail
    await slack.slash("UA", "start post_meeting Weekly sync")
    thread = str((await slack.posts(2))[0]["ts"])
    for text in (f"<@{BOB}> leads the launch", "Draft the plan", f"<@{BOB}>", JAN15, "done"):
        n = len(fake.posted())
        assert (await slack.event(message("UA", text, thread_ts=thread))).status == 200
        await wait_for(lambda n=n: len(fake.posted()) > n)
    await wait_for(lambda: [p for p in fake.posted() if p["channel"] == f"D{BOB}"])
    assert (await slack.event(message(BOB, "yes", channel=f"D{BOB}"))).status == 200
    await wait_for(lambda: "When should we review" in fake.posted()[-1]["text"])
    await slack.event(message("UA", "ok", thread_ts=thread))
    [summary] = await wait_for(lambda: [p for p in fake.posted() if p["text"].startswith("Decision recorded")])
    assert summary["text"].splitlines()[:3] == [
        "Decision recorded: Weekly sync",
        f"Decided: <@{BOB}> leads the launch",
        f"  1. Draft the plan - <@{BOB}>, due {JAN15} (accepted)",
    ]
    bare = [p["text"] for p in fake.posted() if re.search(rf"(?<!<@){BOB}", p["text"])]
    assert bare == []
    assert slack.rows("SELECT text FROM decisions") == [(f"@{BOB} leads the launch",)]  # the ledger: as typed


async def decided_by_alice_with_bob(slack: Harness, fake: FakeSlack, decision: str) -> str:
    """A post_meeting run to its end: ``decision``, one action Bob owns; the summary's text."""
    await slack.slash("UA", "start post_meeting Weekly sync")
    thread = str((await slack.posts(2))[0]["ts"])
    for text in (decision, "Draft the plan", "<@UB>", JAN15, "done"):
        n = len(fake.posted())
        await slack.event(message("UA", text, thread_ts=thread))
        await wait_for(lambda n=n: len(fake.posted()) > n)
    await slack.event(message("UB", "yes", channel="DUB"))
    await wait_for(lambda: "When should we review" in fake.posted()[-1]["text"])
    await slack.event(message("UA", "ok", thread_ts=thread))
    [summary] = await wait_for(lambda: [p for p in fake.posted() if p["text"].startswith("Decision recorded")])
    return str(summary["text"])


async def test_a_word_that_only_looks_like_an_id_stays_text(slack: Harness, fake: FakeSlack) -> None:
    """Ticket W123 and UTC are words, as typed: only a person the run names by their id is a mention."""
    summary = await decided_by_alice_with_bob(slack, fake, "Close W12345678 by 10:00 UTC")
    assert summary.splitlines()[1:3] == [
        "Decided: Close W12345678 by 10:00 UTC",
        f"  1. Draft the plan - Bob, due {JAN15} (accepted)",
    ]


async def test_words_not_shaped_like_a_slack_id_read_no_run(slack: Harness, fake: FakeSlack) -> None:
    """UTC, UK, WIP are no Slack ids (those have a digit and 9 to 12 characters): posting a reply
    that says them reads nothing more from the ledger (the run's people are read only for a word
    that could be one)."""
    reads: list[str] = []
    slack.services.db.conn.set_trace_callback(
        lambda sql: reads.append(sql) if "SELECT context FROM runs" in sql else None
    )
    summary = await decided_by_alice_with_bob(slack, fake, "Ship the UK WIP by 10:00 UTC")
    assert summary.splitlines()[1] == "Decided: Ship the UK WIP by 10:00 UTC"
    assert reads == []
