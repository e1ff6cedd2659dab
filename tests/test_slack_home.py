"""The bot's Home tab in Slack: opened (``app_home_opened``), it shows a person's open actions, the
questions waiting on them and the runs they lead; its buttons do what the DM commands do, with the
same ledger rows. The real server and slack_sdk against the fake Web API (which refuses a Home view
Slack would refuse), requests signed for real."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest

from bot import texts
from bot.channels import slack_home
from bot.store.actions import ActionRow
from tests.dates import JAN15, JAN20
from tests.fakes.block_kit import view_refused
from tests.fakes.slack_api import APP, TEAM, FakeSlack
from tests.slack_support import SOCKET, Harness, SlackPeople, decided, event_body, harness, message, sign, wait_for

_ids = itertools.count(1)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@pytest.fixture
def slack_people() -> SlackPeople:
    return {"UA": ("Alice", "UTC"), "UB": ("Bob", "UTC"), "UC": ("Carol", "UTC")}


def home_opened(user: str, tab: str = "home") -> dict[str, Any]:
    """Slack's ``app_home_opened`` event (https://docs.slack.dev/reference/events/app_home_opened)."""
    stamp = f"1800000002.{next(_ids):06d}"
    return {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": tab, "event_ts": stamp}


def home_click(user: str, action: dict[str, Any], view: dict[str, Any] | None = None) -> bytes:
    """A block_actions payload from the Home tab: ``container`` ``{"type": "view", "view_id": ...}``
    and the view it was clicked in, no channel, no message (protocols.md 1.3; the shape of
    @slack/bolt's ``BlockAction`` in ``src/types/actions/block-action.ts``)."""
    view = view or {"id": f"VH{user}", "type": "home", "blocks": []}
    payload = {
        "type": "block_actions",
        "api_app_id": APP,
        "team": {"id": TEAM, "domain": "fake"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM},
        "trigger_id": f"trig-{next(_ids)}",
        "container": {"type": "view", "view_id": view["id"]},
        "view": {**view, "state": {"values": {}}, "hash": "h", "app_id": APP, "team_id": TEAM},
        "actions": [{"action_ts": f"1800000003.{next(_ids):06d}", **action}],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def done_button(code: str) -> dict[str, Any]:
    text = {"type": "plain_text", "text": "Done"}
    return {"type": "button", "action_id": "home_done", "block_id": f"home_action:{code}", "value": code, "text": text}


def due_picked(code: str, day: str) -> dict[str, Any]:
    return {"type": "datepicker", "action_id": "home_due", "block_id": f"home_due:{code}", "selected_date": day}


def taken_for(fake: FakeSlack, user: str) -> list[Any]:
    """The views.publish calls for ``user`` Slack has answered."""
    return [c for c in fake.of("views.publish") if c.result and c.args.get("user_id") == user]


async def opened(slack: Harness, user: str) -> dict[str, Any]:
    """``user`` opens the Home tab: the view published for them next."""
    before = len(taken_for(slack.fake, user))
    assert (await slack.event(home_opened(user))).status == 200
    await wait_for(lambda: len(taken_for(slack.fake, user)) > before)
    view = slack.fake.home(user)
    assert view is not None
    return view


async def clicked(slack: Harness, user: str, action: dict[str, Any]) -> dict[str, Any]:
    """``user`` uses a widget of their Home tab: the view drawn again after it."""
    before = len(taken_for(slack.fake, user))
    resp = await slack.post(home_click(user, action), form=True)
    assert resp.status == 200
    await wait_for(lambda: len(taken_for(slack.fake, user)) > before)
    view = slack.fake.home(user)
    assert view is not None
    return view


def shown(view: dict[str, Any]) -> list[str]:
    """The view's texts, block by block, as people read them."""
    found = []
    for block in view["blocks"]:
        if "text" in block:
            found.append(block["text"]["text"])
        found += [e["text"] for e in block.get("elements") or [] if e.get("type") == "mrkdwn"]
    return found


async def asking_bob(slack: Harness) -> None:
    """A second meeting ('Retro', run 2) by Alice, waiting on Bob to accept 'Book the room'."""
    await slack.slash("UA", "start post_meeting Retro")
    root = await wait_for(lambda: [p for p in slack.fake.posted() if "Retro" in p["text"] and "thread_ts" not in p])
    for text in ("Keep it short", "Book the room", "<@UB>", JAN20, "done"):
        await slack.event(message("UA", text, thread_ts=root[0]["ts"]))
    await wait_for(lambda: slack.rows("SELECT 1 FROM runs WHERE id = 2 AND state = 'owner_accepts'"))


def day(iso: str) -> str:
    return f"{WEEKDAYS[date.fromisoformat(iso).weekday()]} {iso}"


async def test_home_shows_actions_questions_and_runs_led(slack: Harness, fake: FakeSlack) -> None:
    await decided(slack)
    await asking_bob(slack)
    bob = await opened(slack, "UB")
    assert [b["text"]["text"] for b in bob["blocks"] if b["type"] == "header"] == ["Your actions", "Waiting on you"]
    said = shown(bob)
    assert f"*A1* Draft the plan\n_Weekly sync_ (run #1), due {day(JAN15)}" in said
    waiting = next(t for t in said if t.startswith("*#2 Retro*"))
    assert "accept 'Book the room'" in waiting and "`#2 your answer`" in waiting
    assert "in our DM" in waiting and "<#C1>" not in waiting  # an owner is asked by direct message
    done = next(b for b in bob["blocks"] if b.get("accessory"))["accessory"]
    assert (done["type"], done["value"]) == ("button", "A1")
    picker = next(b for b in bob["blocks"] if b.get("block_id") == "home_due:A1")["elements"][0]
    assert (picker["type"], picker["initial_date"]) == ("datepicker", JAN15)

    await slack.slash("UA", "start post_meeting Plan")  # run 3, asking Alice in its thread in C1
    await wait_for(lambda: slack.rows("SELECT 1 FROM runs WHERE id = 3 AND waiting_on LIKE '% slack:UA %'"))
    alice = await opened(slack, "UA")
    headers = [b["text"]["text"] for b in alice["blocks"] if b["type"] == "header"]
    assert headers == ["Waiting on you", "Actions of decisions you lead", "Runs you lead"]  # (Bob's A1 of run 1)
    asked = next(t for t in shown(alice) if t.startswith("*#3 Plan*:"))
    assert 'answer "What was decided in Plan?"' in asked and "Answer in its thread in <#C1>" in asked
    status = (await slack.slash("UA", "status 2"))["text"]
    waits_for = status.split("waiting for ", 1)[1].rstrip(".")  # the words `status 2` says it waits for
    assert f"*#2 Retro* (post_meeting): waiting for {waits_for}" in shown(alice)
    assert all(not view_refused({"user_id": u, "view": v}) for u, v in (("UB", bob), ("UA", alice)))


async def test_an_overdue_action_is_marked(slack: Harness) -> None:
    await decided(slack)
    slack.services.db.conn.execute("UPDATE actions SET due = '2020-01-06'")  # a Monday long past
    text = next(t for t in shown(await opened(slack, "UB")) if t.startswith("*A1*"))
    assert text.endswith("due Mon 2020-01-06 - *overdue*")


UNSENT = "SELECT count(*) FROM messages WHERE direction = 'out' AND delivered_at IS NULL"
COMPARED = {
    "actions": "SELECT id, status, done_confirmed_by, due FROM actions ORDER BY id",
    "action_changes": "SELECT action_id, field, old, new, reason, actor_id, actor_name FROM action_changes ORDER BY id",
    "messages": "SELECT run_id, direction, channel, conversation, actor_id, actor_name, kind, text, private"
    " FROM messages WHERE id > ? ORDER BY id",
}


async def recorded(slack: Harness, since: int) -> dict[str, list[tuple[Any, ...]]]:
    await wait_for(lambda: slack.rows(UNSENT) == [(0,)])
    return {name: slack.rows(sql, since) if "?" in sql else slack.rows(sql) for name, sql in sorted(COMPARED.items())}


@pytest.mark.parametrize(
    ("typed", "action"),
    [("done A1", done_button("A1")), (f"due A1 {JAN20}", due_picked("A1", JAN20))],
    ids=["done", "due"],
)
async def test_a_home_button_records_what_the_command_typed_in_a_dm_does(
    tmp_path: Path, fake: FakeSlack, slack_people: SlackPeople, typed: str, action: dict[str, Any]
) -> None:
    """The same decision in two ledgers: Bob types the command in his DM in one, uses the Home tab
    in the other; the actions, their changes, the transcript and the notice are the same rows."""
    other = await FakeSlack().start()  # each server its own Slack: the same messages, the same ts
    for user, (name, tz) in slack_people.items():
        other.add_user(user, name, tz=tz)
    typing, clicking = await harness(tmp_path, fake, db_name="dm.db"), await harness(tmp_path, other, db_name="home.db")
    try:
        found = []
        for h in (typing, clicking):
            await decided(h)
            await wait_for(lambda h=h: h.rows(UNSENT) == [(0,)])
            since = h.rows("SELECT max(id) FROM messages")[0][0]
            if h is typing:
                await h.event(message("UB", typed, channel="DUB"))
            else:
                view = await clicked(h, "UB", action)
            found.append(await recorded(h, since))
        assert found[0] == found[1]
        assert found[1]["messages"][0][3:8] == ("slack:DUB", "slack:UB", "Bob", "command", typed)
        assert found[1]["messages"][1][1] == "out"  # the decision's thread told, as of the typed command
        answer = texts.action_marked_done("Draft the plan", "Weekly sync", None)
        answer = answer if typed.startswith("done") else texts.action_due_set("Draft the plan", JAN15, JAN20)
        assert shown(view)[0] == answer  # the answer on top of the Home tab drawn again
    finally:
        await typing.client.close()
        await clicking.client.close()
        await other.stop()


async def test_someone_elses_action_cannot_be_done_from_a_forged_payload(slack: Harness) -> None:
    """Carol's Home tab has no A1 (Bob's); a payload naming it anyway is refused as 'done A1' typed
    by her is: nothing changes, nobody is told, and her Home tab says so."""
    await decided(slack)
    await wait_for(lambda: slack.rows(UNSENT) == [(0,)])
    posted = len(slack.fake.posted())
    view = await clicked(slack, "UC", done_button("A1"))
    assert slack.rows("SELECT status, done_at FROM actions") == [("open", None)]
    assert slack.rows("SELECT count(*) FROM messages WHERE kind = 'command'") == [(0,)]
    assert shown(view)[0] == texts.action_unknown(1)
    await asyncio.sleep(0.2)
    assert len(slack.fake.posted()) == posted


async def test_a_click_is_carried_out_once_when_slack_sends_it_again(slack: Harness) -> None:
    await decided(slack)
    body = home_click("UB", done_button("A1"))
    assert (await slack.post(body, form=True)).status == 200
    retry = {**sign(body), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert (await slack.post(body, headers=retry, form=True)).status == 200
    assert slack.rows("SELECT count(*) FROM messages WHERE kind = 'command'") == [(1,)]


async def test_an_unsigned_home_click_is_refused(slack: Harness) -> None:
    await decided(slack)
    body = home_click("UB", done_button("A1"))
    forged = {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=" + "0" * 64}
    assert (await slack.post(body, headers=forged, form=True)).status == 401
    assert slack.rows("SELECT status FROM actions") == [("open",)]


async def test_an_empty_home_says_what_to_do(slack: Harness) -> None:
    view = await opened(slack, "UC")
    assert shown(view) == [texts.home_empty()]
    assert "/decision start" in texts.home_empty() and "the button above" in texts.home_empty()
    assert view["blocks"][0]["elements"][0]["action_id"] == "home_start"  # the form (tests/test_slack_modal.py)


async def test_the_messages_tab_opened_publishes_nothing(slack: Harness) -> None:
    assert (await slack.event(home_opened("UB", tab="messages"))).status == 200
    await asyncio.sleep(0.2)
    assert slack.fake.of("views.publish") == []


def action_row(number: int) -> ActionRow:
    return ActionRow(number, f"Task {number}", JAN15, "open", None, "Sync", 1, "slack:C1/1.2", "slack:UB", "Bob", "x")


def test_over_100_blocks_are_cut_each_part_saying_how_many_more() -> None:
    """150 actions (2 blocks each), beside a few questions and runs: the view keeps 100 blocks at most (an action is two), the
    actions cut with "and N more", the short parts whole; the uncut view Slack would refuse."""
    from bot.engine.state import RunState
    from bot.model import ConversationKey
    from bot.store.runs import RunRow

    state = RunState.loads(
        json.dumps({"trigger": {"title": "Retro"}, "roles": {"facilitator": {"id": "slack:UA", "name": "Alice"}}})
    )
    runs = [RunRow(1, "post_meeting", "v", ConversationKey("slack", "C1", "1.2"), "s", "active", state, None)]
    data = slack_home.HomeData([action_row(n) for n in range(1, 151)], "2020-01-01", [(runs[0], ["answer"], "C1")], [])
    view = slack_home.view(data)
    assert 99 <= len(view["blocks"]) <= 100 and view_refused({"user_id": "UB", "view": view}) is None
    said = shown(view)
    kept = sum(1 for t in said if t.startswith("*A"))
    assert texts.home_more_actions(150 - kept) in said and kept > 40
    assert any(t.startswith("*#1 Retro*") for t in said)
    uncut = {**view, "blocks": [b for a in data.actions for b in slack_home._action(a, data.today)]}
    assert view_refused({"user_id": "UB", "view": uncut}) == "invalid_arguments"


def test_the_fake_refuses_a_home_view_slack_would_refuse() -> None:
    header = {"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}
    modal = {"type": "modal", "blocks": []}
    bad_date = {"type": "actions", "elements": [{"type": "datepicker", "action_id": "d", "initial_date": "2027-02-30"}]}
    for view in (modal, {"type": "home", "blocks": [header]}, {"type": "home", "blocks": [bad_date]}):
        assert view_refused({"user_id": "UB", "view": view}) == "invalid_arguments"
    assert (
        view_refused(
            {
                "user_id": "UB",
                "view": {"type": "home", "blocks": [{**header, "text": {"type": "plain_text", "text": "ok"}}]},
            }
        )
        is None
    )


async def test_a_home_slack_rate_limits_is_published_after_the_wait(slack: Harness, fake: FakeSlack) -> None:
    await decided(slack)
    fake.refuse("views.publish", status=429, retry_after="0")
    view = await wait_for_publish(slack, "UB")
    assert [c.result["ok"] for c in fake.of("views.publish")] == [False, True]
    assert any(t.startswith("*A1*") for t in shown(view))


async def wait_for_publish(slack: Harness, user: str) -> dict[str, Any]:
    assert (await slack.event(home_opened(user))).status == 200
    return await wait_for(lambda: slack.fake.home(user))


async def test_a_home_slack_refuses_is_logged_and_the_turns_go_on(
    slack: Harness, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    await decided(slack)
    fake.refuse("views.publish", error="not_enabled")  # the Home tab off in the app's settings
    with caplog.at_level(logging.WARNING, logger="decisionbot.slack"):
        assert (await slack.event(home_opened("UB"))).status == 200
        await wait_for(lambda: "views.publish" in caplog.text and "not_enabled" in caplog.text)
    await asyncio.sleep(0.2)
    assert len(fake.of("views.publish")) == 1  # refused for good: not tried again
    await slack.event(message("UB", "done A1", channel="DUB"))
    assert slack.rows("SELECT status FROM actions") == [("done",)]


async def test_the_home_tab_over_socket_mode(tmp_path: Path, fake: FakeSlack) -> None:
    """Over Socket Mode the Home tab's event and its click come as envelopes; each is acknowledged
    once committed, and the click is carried out as over HTTP."""
    slack = await harness(tmp_path, fake, env=SOCKET)
    try:
        await fake.wait_connected()
        opening = json.loads(event_body(home_opened("UC")))
        await fake.send_envelope({"envelope_id": "env-home", "type": "events_api", "payload": opening})
        assert shown(await wait_for(lambda: fake.home("UC"))) == [texts.home_empty()]
        click = json.loads(parse_qs(home_click("UC", done_button("A7")).decode())["payload"][0])
        await fake.send_envelope({"envelope_id": "env-click", "type": "interactive", "payload": click})
        await wait_for(lambda: len(fake.acks) == 2 and len(fake.of("views.publish")) == 2)
        assert fake.acks == [{"envelope_id": "env-home"}, {"envelope_id": "env-click"}]
        await wait_for(lambda: shown(fake.home("UC") or {"blocks": []})[:1] == [texts.action_unknown(7)])
    finally:
        await slack.client.close()


async def test_a_home_of_many_actions_is_cut_and_slack_takes_it(slack: Harness, fake: FakeSlack) -> None:
    """Bob owns 80 open actions (the decision's one, and 79 more of the same decision, written as
    a repeat step with 80 items would): his Home tab keeps within 100 blocks, says how many more
    and where to see them, and Slack (the fake's Block Kit check) takes it; a Done still works."""
    await decided(slack)
    slack.services.db.conn.executescript(
        "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < 80)"
        " INSERT INTO actions (decision_id, item, what, owner_id, owner_name, due, accepted_at)"
        " SELECT decision_id, i - 1, 'Task ' || i, owner_id, owner_name, due, accepted_at FROM actions, n WHERE id = 1;"
    )
    view = await opened(slack, "UB")
    said = shown(view)
    kept = [t for t in said if t.startswith("*A")]
    assert len(view["blocks"]) <= 100 and texts.home_more_actions(80 - len(kept)) in said
    assert [c.result["ok"] for c in fake.of("views.publish")] == [True]
    after = await clicked(slack, "UB", done_button("A80"))
    assert slack.rows("SELECT status FROM actions WHERE id = 80") == [("done",)]
    kept_after = [t for t in shown(after) if t.startswith("*A")]  # (the answer on top takes a block)
    assert "*A80*" not in " ".join(shown(after)) and texts.home_more_actions(79 - len(kept_after)) in shown(after)
