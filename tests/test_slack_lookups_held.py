"""A trigger naming more people than Slack's ``users.info`` takes at once (Tier 4: about 100 a
minute, after a burst): the lookups Slack refuses for now (429) are made again once its
``Retry-After`` has passed, in the background, and the people named (cache, ``people`` table, the
open run) as if they had answered at once; the log says so once, not once a person. The real
server and slack-sdk against the fake Web API rate-limited as Slack is (100 a minute, after a
burst of 3 in the first test, so that it is short; of 20 as in ``slack_tiers`` in the second)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest

from bot.channels.slack_lookups import HeldLookups
from bot.store.people import Person
from tests.fakes.slack_api import FakeSlack
from tests.flows_support import shipped_flows
from tests.slack_support import Harness, SlackPeople, harness, wait_for

TOKEN = "hook-token"
NAMED = {f"UN{i:02d}": (f"Person {i}", "Asia/Tokyo") for i in range(8)}


@pytest.fixture
def slack_people() -> SlackPeople:
    return {"UOPS": ("Olga", "UTC"), **NAMED}


@pytest.fixture
async def slack(tmp_path: Path, fake: FakeSlack):
    env = {"DECISIONBOT_HOOK_TOKEN": TOKEN}
    h = await harness(tmp_path, fake, env=env, flows=shipped_flows(tmp_path / "flows"))
    yield h
    await h.client.close()


async def alert_naming_everyone(slack: Harness, people: tuple[str, ...] = tuple(NAMED)) -> float:
    """The generic hook's alert naming Olga and ``people`` (the eight) as participants: seconds it took."""
    event = {"title": "Checkout down", "channel": "slack:C0ALL", "facilitator": "UOPS", "participants": list(people)}
    began = time.monotonic()
    resp = await slack.client.post("/hooks/events", json=event, headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status == 200, await resp.text()
    return time.monotonic() - began


def participants(slack: Harness) -> dict[str, str]:
    [(context,)] = slack.rows("SELECT context FROM runs")
    return {p["id"]: p["name"] for p in json.loads(context)["roles"]["participants"]}


async def test_people_slack_would_not_look_up_for_now_are_named_once_retry_after_has_passed(
    slack: Harness, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """Before: the six refused went by their user ids until they spoke (in the run, the Home tab,
    ``runs show``; dates in the server's zone), each with a warning in the log."""
    fake.rate_limit("users.info", per_minute=100, burst=3)
    caplog.set_level(logging.INFO)
    assert await alert_naming_everyone(slack) < 2.5  # the run starts at once, as before
    await slack.posts(1)
    assert len(fake.limited) >= 5  # Slack refused most of them for now
    assert any(name == user[6:] for user, name in participants(slack).items())  # started with ids
    everyone = {f"slack:{u}": name for u, (name, _) in NAMED.items()}
    named = await wait_for(lambda: participants(slack) == everyone and participants(slack), timeout=20)
    assert named == everyone  # the open run names them: its later prompts, reminders, runs show
    stored = slack.rows("SELECT id, name, tz FROM people WHERE id LIKE 'slack:UN%' ORDER BY id")
    assert stored == [(f"slack:{u}", name, tz) for u, (name, tz) in sorted(NAMED.items())]
    said = [r.getMessage() for r in caplog.records]
    assert not [s for s in said if "users.info failed" in s]  # no warning a person
    held = [s for s in said if "lookups held back" in s]
    refused = {c.args["user"] for c in fake.limited if c.at < fake.limited[0].at + 0.5}  # by the alert's burst
    assert len(held) == 1 and f"Slack's rate limit (users.info, about 100 a minute): {len(refused)} waiting" in held[0]


async def test_lookups_held_back_are_made_again_at_slacks_pace_not_into_more_429s(
    slack: Harness, fake: FakeSlack
) -> None:
    """40 people named at once: once a 429 said to wait, the bot asks Slack about nobody else
    before Retry-After has passed, and then at about Tier 4's pace, so each of the refused is
    looked up once more, not into a 429 a time. Before: every lookup beyond Slack's burst of 20
    was refused (21 of 41), and those people looked up again only when they next spoke."""
    many = [f"UM{i:02d}" for i in range(40)]
    for i, user in enumerate(many):
        fake.add_user(user, f"Member {i}", tz="Europe/Paris")
    fake.slack_tiers()
    await alert_naming_everyone(slack, tuple(many))
    await wait_for(lambda: len(slack.rows("SELECT id FROM people WHERE id LIKE 'slack:UM%'")) == 40, timeout=40)
    calls = fake.of("users.info")
    refused = [c for c in calls if c.result.get("ok") is False]
    assert {c.args["user"] for c in calls if c.result.get("ok")} >= set(many)
    assert 0 < len(refused) <= 11, len(refused)  # the lookups in flight when Slack first said 429
    first_429 = min(c.at for c in refused)
    later = [c for c in refused if c.at > first_429 + 0.5]  # while the held-back ones are made again
    assert len(later) <= 1, [(c.args["user"], round(c.at - first_429, 2)) for c in refused]


async def test_a_start_whose_lookup_slack_refuses_for_now_names_its_facilitator_after_retry_after(
    slack: Harness, fake: FakeSlack
) -> None:
    """``/decision start`` by Olga, whose lookup Slack's rate limit refuses for now (a burst of
    starts): the run starts at once, by her id, and is hers by name once Retry-After (2 s) has
    passed, without her speaking again. Before: by her id until she next spoke, a minute later at
    the earliest."""
    fake.refuse("users.info", status=429, retry_after="2")
    began = time.monotonic()
    answer = await slack.slash("UOPS", "start post_meeting Sync 1")
    assert time.monotonic() - began < 2.0 and answer["text"].startswith("Started run"), answer["text"]

    def facilitator() -> dict[str, str]:
        [(context,)] = slack.rows("SELECT context FROM runs")
        return dict(json.loads(context)["roles"]["facilitator"])

    assert facilitator() == {"id": "slack:UOPS", "name": "UOPS"}
    assert await wait_for(lambda: facilitator()["name"] == "Olga", timeout=10)
    [first, again] = fake.of("users.info")
    assert again.at - first.at >= 2.0  # not before Slack said
    assert slack.rows("SELECT name, tz FROM people WHERE id = 'slack:UOPS'") == [("Olga", "UTC")]


async def test_lookups_slack_is_slow_to_answer_beyond_ten_at_once_are_made_in_the_background(
    slack: Harness, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack takes 0.7 s a lookup: ten are made at once, and the five more an alert names, which
    could not be made within its second, are looked up in the background and named in the run:
    the lookups a turn makes never wait behind a burst's."""
    many = [f"UM{i:02d}" for i in range(14)]
    for i, user in enumerate(many):
        fake.add_user(user, f"Member {i}", tz="Europe/Paris")
    fake.slow_down("users.info", 0.7)
    caplog.set_level(logging.WARNING)
    assert await alert_naming_everyone(slack, tuple(many)) < 2.5
    everyone = {f"slack:{u}": f"Member {i}" for i, u in enumerate(many)}
    assert await wait_for(lambda: participants(slack) == everyone, timeout=20)
    assert len(fake.of("users.info")) <= 15 + 5  # the five cut short at the alert's 1 s, made once more
    assert "users.info failed" not in caplog.text


async def test_lookups_slack_does_not_answer_in_time_are_said_once_and_made_again_once_it_answers(
    slack: Harness, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack takes 1.5 s a lookup, beyond the second one is given (Slack having a bad day, not a
    429): the five people an alert names (and Olga, its facilitator) go by their ids, the log says so once, and Slack is asked
    nothing more for a while, then one lookup at a time, each wait longer while it stays slow;
    once it answers in time again, all five are named. Before: a warning a person ("users.info
    failed for UN00: TimeoutError"), and they went by their ids until each next spoke."""
    five = tuple(NAMED)[:5]
    fake.slow_down("users.info", 1.5)
    caplog.set_level(logging.INFO)
    began = time.monotonic()
    assert await alert_naming_everyone(slack, five) < 2.5  # the run starts at once, as before
    await slack.posts(1)
    await wait_for(lambda: time.monotonic() - began > 5.0, timeout=6)
    assert len(fake.of("users.info")) <= 7  # the six, then one made again: no lookup after another
    fake.slow_down("users.info", 0.0)  # Slack answers in time again
    everyone = {f"slack:{u}": NAMED[u][0] for u in five}
    assert await wait_for(lambda: participants(slack) == everyone, timeout=20)
    said = [r.getMessage() for r in caplog.records]
    assert not [s for s in said if "users.info failed" in s]  # no warning a person
    slow = [s for s in said if "Slack being slow to answer" in s]
    assert len(slow) == 1 and "(users.info, no answer within 1 s): 6 waiting" in slow[0], slow
    assert len(fake.of("users.info")) <= 6 + 2 + 6  # the six, those made again while slow, then once each


async def test_a_lookup_made_again_that_fails_unexpectedly_loses_none_of_the_people_found(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Four people held back by a 429 are looked up again; the third lookup fails with an error
    nobody foresaw: it is logged, the fourth is looked up all the same, and the people found before
    it are handed on. Before: the drain stopped there, the two found before it were dropped (never
    named), and the fourth waited for the next 429 to be looked up."""
    held_back = [f"slack:UD{i}" for i in range(4)]

    async def fetch(actor_id: str) -> Person | None:
        if actor_id == held_back[2]:
            raise KeyError("profile")  # a defect, not a refusal
        return Person(actor_id, f"Person {actor_id[-1]}")

    found: list[str] = []
    drains: list[asyncio.Future[None]] = []

    def spawn(work: Coroutine[Any, Any, None]) -> None:
        drains.append(asyncio.ensure_future(work))

    lookups = HeldLookups(fetch, lambda people: found.extend(p.id for p in people), spawn)
    caplog.set_level(logging.ERROR)
    for actor_id in held_back:
        lookups.hold(actor_id, 0.1)
    await asyncio.wait_for(drains[0], timeout=10)
    assert found == [held_back[0], held_back[1], held_back[3]]
    assert not lookups.waiting and not lookups.draining
    [crashed] = [r for r in caplog.records if r.exc_info]
    assert "looking slack:UD2 up again failed unexpectedly" in crashed.getMessage()
