"""A trigger naming more people than Slack's ``users.info`` takes at once (Tier 4: about 100 a
minute, after a burst): the lookups Slack refuses for now (429) are made again once its
``Retry-After`` has passed, in the background, and the people named (cache, ``people`` table, the
open run) as if they had answered at once; the log says so once, not once a person. The real
server and slack-sdk against the fake Web API rate-limited as Slack is (100 a minute, after a
burst of 3 in the first test, so that it is short; of 20 as in ``slack_tiers`` in the second)."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

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
