"""The Home tab kept current: drawn again after a change of what it shows, wherever it was made (a
command typed in a DM, a click, an answer that gives someone an action or asks them something),
for the people who opened it, once per change (coalesced), one publish at a time per person, the
later state winning; never holding up a reply. The actions of a decision someone leads, owned by
others, and a Done on a stale tab. The real server and slack_sdk against the fake Web API,
requests signed for real."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from bot import texts
from bot.channels import slack_home
from bot.store.actions import ActionRow
from tests.dates import JAN15, JAN20
from tests.fakes.block_kit import view_refused
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, SlackPeople, decided, message, wait_for
from tests.test_slack_home import clicked, day, done_button, home_click, opened, shown


@pytest.fixture
def slack_people() -> SlackPeople:
    return {"UA": ("Alice", "UTC"), "UB": ("Bob", "UTC"), "UC": ("Carol", "UTC")}


def published(fake: FakeSlack, user: str) -> list[Any]:
    """The views.publish calls for ``user`` so far (taken or not)."""
    return [c for c in fake.of("views.publish") if c.args.get("user_id") == user]


async def settled(fake: FakeSlack, user: str, quiet: float = 0.4) -> int:
    """How many publishes ``user`` had once none came for ``quiet`` seconds."""
    count = -1
    while count != len(published(fake, user)):
        count = len(published(fake, user))
        await asyncio.sleep(quiet)
    return count


def codes(view: dict[str, Any]) -> list[str]:
    """The actions a view lists, by code, in order."""
    return [t.split()[0].strip("*") for t in shown(view) if t.startswith("*A")]


async def test_a_tab_open_is_drawn_again_after_a_done_typed_in_a_dm(slack: Harness, fake: FakeSlack) -> None:
    """Bob keeps his Home tab open and types 'done A1' in his DM: the tab is drawn again without
    A1 (before: it kept its Done button until he opened it again), once."""
    await decided(slack)
    assert codes(await opened(slack, "UB")) == ["A1"]
    before = await settled(fake, "UB")
    await slack.event(message("UB", "done A1", channel="DUB"))
    await wait_for(lambda: "A1" not in codes(fake.home("UB") or {"blocks": []}) and fake.home("UB"))
    assert shown(fake.home("UB") or {}) == [texts.home_empty()]
    assert await settled(fake, "UB") == before + 1


async def test_a_due_date_typed_moves_on_the_tab(slack: Harness, fake: FakeSlack) -> None:
    await decided(slack)
    await opened(slack, "UB")
    await slack.event(message("UB", f"due A1 {JAN20}", channel="DUB"))
    text = await wait_for(lambda: [t for t in shown(fake.home("UB") or {"blocks": []}) if f"due {day(JAN20)}" in t])
    assert text[0].startswith("*A1* Draft the plan")
    picker = next(b for b in (fake.home("UB") or {})["blocks"] if b.get("block_id") == "home_due:A1")["elements"][0]
    assert picker["initial_date"] == JAN20


async def test_a_question_and_a_new_action_come_to_an_open_tab(slack: Harness, fake: FakeSlack) -> None:
    """Bob's tab is open, empty; Alice's meeting names him owner: his tab shows the question
    waiting on him, and once he accepts and the run ends, his new action; Alice's (she leads the
    run) follows it too. Carol never opened hers: nothing is published for her."""
    assert shown(await opened(slack, "UB")) == [texts.home_empty()]
    await opened(slack, "UA")
    await slack.slash("UA", "start post_meeting Retro")  # run 1, to wait on Bob to accept 'Book the room'
    root = await wait_for(lambda: [p for p in fake.posted() if "Retro" in p["text"] and "thread_ts" not in p])
    for text in ("Keep it short", "Book the room", "<@UB>", JAN20, "done"):
        await slack.event(message("UA", text, thread_ts=root[0]["ts"]))
    bob = await wait_for(lambda: [t for t in shown(fake.home("UB") or {"blocks": []}) if t.startswith("*#1 Retro*")])
    assert "accept 'Book the room'" in bob[0]
    await wait_for(lambda: [t for t in shown(fake.home("UA") or {"blocks": []}) if t.startswith("*#1 Retro*")])
    await slack.event(message("UB", "yes", channel="DUB"))
    await wait_for(lambda: slack.rows("SELECT 1 FROM runs WHERE state = 'review_at'"))
    await slack.event(message("UA", "ok", thread_ts=root[0]["ts"]))
    await wait_for(lambda: codes(fake.home("UB") or {"blocks": []}) == ["A1"])
    assert not [t for t in shown(fake.home("UB") or {}) if t.startswith("*#1")]  # no longer waiting on him
    alice = await wait_for(lambda: [t for t in shown(fake.home("UA") or {"blocks": []}) if t.startswith("*A1*")])
    assert alice[0].startswith("*A1* Book the room - Bob")  # an action of a decision she leads
    assert published(fake, "UC") == []


async def test_changes_of_one_turn_are_one_publish_per_person(slack: Harness, fake: FakeSlack) -> None:
    """Alice's last answer ends the run: the run, its decision, Bob's action, the review's job,
    in one turn, which touches Bob's tab and hers several times: each is published once."""
    from tests.slack_support import bob_asked_to_accept

    thread = await bob_asked_to_accept(slack)
    await wait_for(lambda: slack.rows("SELECT 1 FROM runs WHERE state = 'owner_accepts'"))
    await slack.event(message("UB", "yes", channel="DUB"))
    await wait_for(lambda: slack.rows("SELECT 1 FROM runs WHERE state = 'review_at'"))
    await opened(slack, "UB")
    await opened(slack, "UA")
    before = {u: await settled(fake, u) for u in ("UA", "UB")}
    assert codes(fake.home("UB") or {}) == []
    await slack.event(message("UA", "ok", thread_ts=thread))  # the run completes: A1 is written
    await wait_for(lambda: codes(fake.home("UB") or {"blocks": []}) == ["A1"])
    assert {u: await settled(fake, u) for u in ("UA", "UB")} == {u: n + 1 for u, n in before.items()}


async def test_quick_clicks_publish_one_at_a_time_and_the_last_state_wins(slack: Harness, fake: FakeSlack) -> None:
    """Bob owns three actions and clicks Done on each, quickly, while Slack takes a while to
    answer views.publish: his tab is never published twice at once, the clicks coalesce, and the
    tab left on screen is the last state (no action left), with the last click's answer."""
    await decided(slack)
    slack.services.db.conn.executescript(
        "INSERT INTO actions (decision_id, item, what, owner_id, owner_name, due, accepted_at)"
        " SELECT decision_id, item + n, 'Task ' || n, owner_id, owner_name, due, accepted_at"
        " FROM actions, (SELECT 1 AS n UNION ALL SELECT 2) WHERE id = 1;"
    )
    assert codes(await opened(slack, "UB")) == ["A1", "A2", "A3"]
    fake.slow_down("views.publish", 1.0)
    before = len(published(fake, "UB"))
    for code in ("A1", "A2", "A3"):
        assert (await slack.post(home_click("UB", done_button(code)), form=True)).status == 200
    await wait_for(lambda: slack.rows("SELECT count(*) FROM actions WHERE status = 'done'") == [(3,)])
    await settled(fake, "UB", quiet=1.5)
    calls = published(fake, "UB")[before:]
    assert 1 <= len(calls) < 3  # coalesced: fewer publishes than clicks
    arrivals = [c.at for c in calls]
    assert all(b - a >= 0.99 for a, b in zip(arrivals, arrivals[1:], strict=False))  # one at a time
    last = fake.home("UB") or {}
    assert shown(last)[0] == texts.action_marked_done("Task 2", "Weekly sync", None)
    assert codes(last) == [] and texts.home_empty() in shown(last)


async def test_a_publish_that_hangs_holds_up_no_reply(slack: Harness, fake: FakeSlack) -> None:
    """Slack does not answer views.publish: 'done A1' typed in a DM is stored and answered all the
    same, at once (the publish runs off the turn, after its commit)."""
    await decided(slack)
    await opened(slack, "UB")
    fake.hang("views.publish")
    posts = len(fake.posted())
    resp = await slack.event(message("UB", "done A1", channel="DUB"))
    assert resp.status == 200
    assert slack.rows("SELECT status FROM actions") == [("done",)]
    said = await wait_for(lambda: [p for p in fake.posted()[posts:] if p["channel"] == "DUB"], timeout=3)
    assert said[0]["text"] == texts.action_marked_done("Draft the plan", "Weekly sync", None)


async def test_a_refused_publish_is_one_log_line(
    slack: Harness, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    await decided(slack)
    await opened(slack, "UB")
    fake.refuse("views.publish", error="not_enabled")
    with caplog.at_level(logging.WARNING, logger="decisionbot.slack"):
        await slack.event(message("UB", "done A1", channel="DUB"))
        await wait_for(lambda: "not_enabled" in caplog.text)
        await asyncio.sleep(0.3)
    assert len([r for r in caplog.records if "views.publish" in r.getMessage()]) == 1
    assert slack.rows("SELECT status FROM actions") == [("done",)]


async def test_a_leader_sees_the_actions_of_her_decision_and_may_mark_one_done(slack: Harness, fake: FakeSlack) -> None:
    """Alice leads 'Weekly sync'; Bob owns A1. Her tab lists it under its own part, with Bob's
    name and a Done button that asks first (`done A1` typed by her marks it done in Bob's place,
    as `actions` tells her); the click does what that typed command does."""
    await decided(slack)
    alice = await opened(slack, "UA")
    assert [b["text"]["text"] for b in alice["blocks"] if b["type"] == "header"] == [texts.home_actions_you_lead()]
    block = next(b for b in alice["blocks"] if b.get("block_id") == "home_led_action:A1")
    assert block["text"]["text"] == f"*A1* Draft the plan - Bob\n_Weekly sync_ (run #1), due {day(JAN15)}"
    button = block["accessory"]
    assert (button["action_id"], button["value"]) == ("home_done", "A1")
    assert button["confirm"]["text"]["text"] == texts.home_done_for_owner("Draft the plan", "Bob")
    assert not [b for b in alice["blocks"] if b.get("block_id", "").startswith("home_due")]  # Bob's to move
    assert view_refused({"user_id": "UA", "view": alice}) is None
    before = await settled(fake, "UA")
    after = await clicked(slack, "UA", done_button("A1"))
    assert shown(after)[0] == texts.action_marked_done("Draft the plan", "Weekly sync", "Bob")
    assert await settled(fake, "UA") == before + 1  # the click and the change it made: one publish
    assert slack.rows("SELECT status, done_confirmed_by FROM actions") == [("done", "slack:UA")]
    assert texts.home_actions_you_lead() not in shown(after)


async def test_a_done_on_a_stale_tab_says_why_nothing_changed(slack: Harness, fake: FakeSlack) -> None:
    """Two of Bob's tabs (a phone and a desktop): one still shows A1 after the other marked it done,
    or after he gave it to Carol. Its Done says so, changes nothing and draws the tab anew."""
    await decided(slack)
    await slack.event(message("UB", "done A1", channel="DUB"))
    done_at = slack.rows("SELECT substr(done_at, 1, 10) FROM actions")[0][0]
    view = await clicked(slack, "UB", done_button("A1"))
    assert shown(view)[0] == texts.action_already_done("Draft the plan", done_at)
    assert slack.rows("SELECT count(*) FROM messages WHERE kind = 'command'") == [(1,)]  # the typed one


async def test_a_done_on_an_action_given_away_says_whose_it_is(slack: Harness, fake: FakeSlack) -> None:
    await decided(slack)
    await slack.event(message("UB", "give A1 <@UC>", channel="DUB"))
    await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUC" and "take over" in p["text"]])
    await slack.event(message("UC", "yes", channel="DUC"))
    await wait_for(lambda: slack.rows("SELECT owner_id FROM actions") == [("slack:UC",)])
    view = await clicked(slack, "UB", done_button("A1"))
    assert shown(view)[0] == texts.action_handed_over("Draft the plan", "Carol")
    assert slack.rows("SELECT status FROM actions") == [("open",)]
    assert "A1" not in codes(view)
    posts = len(fake.posted())
    await slack.event(message("UB", "done A1", channel="DUB"))  # typed: the same answer
    said = await wait_for(lambda: [p for p in fake.posted()[posts:] if p["channel"] == "DUB"])
    assert said[0]["text"] == texts.action_handed_over("Draft the plan", "Carol")


def action_row(number: int, owner: str = "slack:UB", name: str = "Bob") -> ActionRow:
    return ActionRow(number, f"Task {number}", JAN15, "open", None, "Sync", 1, "slack:C1/1.2", owner, name, "slack:UA")


def test_the_actions_led_keep_within_100_blocks() -> None:
    """60 actions of her own (two blocks each) and 80 she leads (one each): the view keeps 100
    blocks, each part cut with its "and N more", and Slack (the fake's check) takes it."""
    own = [action_row(n, "slack:UA", "Alice") for n in range(1, 61)]
    led = [action_row(n) for n in range(61, 141)]
    view = slack_home.view(slack_home.HomeData(own, "2020-01-01", [], [], led))
    said = shown(view)
    assert len(view["blocks"]) <= 100 and view_refused({"user_id": "UA", "view": view}) is None
    mine = sum(1 for t in said if t.startswith("*A") and " - Bob" not in t)
    theirs = sum(1 for t in said if t.startswith("*A") and " - Bob" in t)
    assert texts.home_more_actions(60 - mine) in said and texts.home_more_actions_led(80 - theirs) in said
    assert mine > 10 and theirs > 10
