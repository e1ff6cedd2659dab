"""What a run's old thread shows and answers after ``/decision move RUN #channel``: ``status N``
typed there, a click on an old copy of a question answered since in the new thread, and a run moved
straight back before it left. The real server, requests signed as Slack signs them, slack-sdk
against the fake Web API, a real SQLite ledger."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, message, unlinked, wait_for
from tests.test_slack_move import in_channel, ops
from tests.test_slack_move import slack_people as slack_people  # the fixture: Alice, Bob, Carol
from tests.test_slack_move_behind import moved_to_ops
from tests.test_slack_move_twice import moving_to_ops
from tests.test_slack_thread_commands import ephemerals, owner_question_moved, started, updates, widgets


def link_to(root: dict[str, Any]) -> str:
    return f"https://fake.slack.com/archives/{root['channel']}/p{root['ts'].replace('.', '')}"


async def owner_question_moving(slack: Harness, fake: FakeSlack) -> dict[str, Any]:
    """Alice's owner question (a people picker) waits in #general's thread; she moves the run to
    #ops-review with Slack slow: the move's root is on its way. The question's post in #general."""
    root, _ = await started(slack)
    await slack.say(root["ts"], "We ship in March", "Draft the plan")
    old = (await slack.posts(4))[3]
    fake.slow_down("chat.postMessage", 0.5)
    await slack.slash("UA", "move 1 <#C2|ops-review>")
    await wait_for(lambda: len(fake.of("chat.postMessage")) > 4)  # (the root on its way)
    return old


async def test_status_typed_in_the_old_thread_tells_where_the_run_went_on(slack: Harness, fake: FakeSlack) -> None:
    """Before: 'No run #1 here' to Bob, who had never spoken in the run (nor been asked anything).
    Now: the run's status, and where it went on, with a link to its new thread; Alice, who leads
    it, is told the same."""
    thread, root = await moved_to_ops(slack, fake)
    for user in ("UB", "UA"):
        await slack.event(message(user, "status 1", thread_ts=thread))
        told = (await wait_for(lambda user=user: ephemerals(fake, user)))[-1]
        waits = "waiting for you" if user == "UA" else "waiting for Alice"  # Alice, whom it waits for: you
        assert unlinked(told).startswith("Run #1") and waits in told, told
        assert told.endswith(f"It goes on in a new thread in <#C2>: <{link_to(root)}|answer there>."), told
    assert slack.rows("SELECT count(*) FROM messages WHERE direction = 'in' AND kind = 'refused'") == [(0,)]
    await slack.slash("UA", "cancel 1")
    await wait_for(lambda: slack.rows("SELECT status FROM runs") == [("cancelled",)])
    await slack.event(message("UC", "status 1", thread_ts=thread))  # ended: its record, nothing to go on to
    told = (await wait_for(lambda: ephemerals(fake, "UC")))[-1]
    assert unlinked(told).startswith("Run #1") and "cancelled" in told and "goes on" not in told, told


async def test_a_click_on_the_old_copy_after_the_new_one_was_answered_says_it_was_answered(
    slack: Harness, fake: FakeSlack
) -> None:
    """The old copy's redraw did not land (Slack refused it); Alice answers the new copy (Bob), then
    Carol picks herself on the old one. Before: 'answer it there', pointing to a question answered
    already. Now: answered already, by whom and what, as a click on the answered copy is told."""
    fake.refuse("chat.update", times=5)
    old, new = await owner_question_moved(slack, fake)
    await slack.click("UA", new, {"type": "users_select", "selected_user": "UB"})
    await wait_for(lambda: slack.rows("SELECT status FROM slack_prompts WHERE ts = ?", new["ts"]) == [("answered",)])
    await slack.click("UA", old, {"type": "users_select", "selected_user": "UC"})
    told = await wait_for(lambda: [t for t in ephemerals(fake, "UA") if "answered" in t])
    assert told == ["This question was already answered by <@UA>: <@UB>."]
    assert slack.rows("SELECT count(*) FROM answers WHERE step = 'actions'") == [(2,)]  # the plan and Bob


async def test_a_run_moved_straight_back_leaves_no_pointer_to_where_it_never_went(
    slack: Harness, fake: FakeSlack
) -> None:
    """Alice's owner question (a people picker) waits in #general's thread; she moves the run to
    #ops-review with Slack slow, then straight back before its new root is out. Before: the old
    copy kept its redraw 'asked again there' in #ops-review, where the run never went. Now it says
    the question is asked again below in this thread, where it is answered."""
    ops(fake)
    old = await owner_question_moving(slack, fake)
    assert (await slack.slash("UA", "move 1 <#C1|general>"))["text"].startswith("Run #1 goes on in its thread")
    again = (await wait_for(lambda: [p for p in in_channel(fake, "C1")[4:] if p["text"] == old["text"]], 15))[0]
    fake.slow_down("chat.postMessage", 0.0)
    await asyncio.sleep(0.5)  # (any redraw on its way)
    last = updates(fake, old)[-1]
    assert widgets(last["blocks"]) == []
    assert (
        last["blocks"][-1]["elements"][0]["text"]
        == "Run #1 goes on in this thread: this question is asked again below."
    )
    assert again["thread_ts"] == old["thread_ts"] and widgets(again["blocks"]) == ["users_select"]
    await slack.click("UA", again, {"type": "users_select", "selected_user": "UB"})
    await wait_for(lambda: slack.rows("SELECT count(*) FROM answers WHERE step = 'actions'") == [(2,)])


async def test_the_new_threads_link_is_asked_of_slack_once_however_many_write_in_the_old_one(
    slack: Harness, fake: FakeSlack
) -> None:
    """Before, every message typed in the old thread (and every command's answer there) asked Slack
    for the new thread's link again (``chat.getPermalink``); now once per thread."""
    thread, root = await moved_to_ops(slack, fake)
    for user, text in (("UA", "We ship in March"), ("UB", "I think March is too late"), ("UC", "status 1")):
        await slack.event(message(user, text, thread_ts=thread))
        told = (await wait_for(lambda user=user: ephemerals(fake, user)))[-1]
        assert f"<{link_to(root)}|answer there>" in told
    assert [c.args["message_ts"] for c in fake.of("chat.getPermalink")] == [root["ts"]]


async def test_a_move_of_a_run_whose_last_moves_root_is_on_its_way_reads_that_root_twice(
    slack: Harness, fake: FakeSlack
) -> None:
    """Before, moving a run whose last move's root was not out read that move three times, each read
    followed by one of its root (six statements); now one statement each time, once before Slack
    describes the channels and once under the write lock (a turn may have posted it meanwhile)."""
    fake.describe("C3", "third")
    await moving_to_ops(slack, fake)
    asked: list[str] = []
    slack.services.db.conn.set_trace_callback(asked.append)
    try:
        assert (await slack.slash("UA", "move 1 <#C3|third>"))["text"].startswith("Run #1 moves to #third")
    finally:
        slack.services.db.conn.set_trace_callback(None)
    moves = [q for q in asked if "FROM slack_moves" in q and not q.lstrip().startswith("INSERT")]
    assert len(moves) == 2 and all("JOIN messages" in q for q in moves), moves


async def test_a_question_moved_twice_before_the_first_root_was_out_points_to_the_last_channel(
    slack: Harness, fake: FakeSlack
) -> None:
    """Alice's owner question (a people picker) waits in #general's thread; she moves the run to
    #ops-review with Slack slow, then on to #third before that root is out. Before: the old copy
    kept 'asked again there' in #ops-review, where the run never showed. Now it names #third, then
    links its thread once its root is out."""
    ops(fake)
    fake.describe("C3", "third")
    old = await owner_question_moving(slack, fake)
    assert (await slack.slash("UA", "move 1 <#C3|third>"))["text"].startswith("Run #1 moves to #third")
    third = (await wait_for(lambda: in_channel(fake, "C3"), 15))[0]
    fake.slow_down("chat.postMessage", 0.0)
    pointer = f"Run #1 goes on in a new thread in <#C3>: this question is asked again there, to be <{link_to(third)}|answered there>."
    await wait_for(lambda: updates(fake, old)[-1]["blocks"][-1]["elements"][0]["text"] == pointer, 15)
    assert all("<#C2>" not in u["blocks"][-1]["elements"][0]["text"] for u in updates(fake, old)[1:])


async def test_status_typed_in_the_thread_a_run_moved_straight_back_to_says_no_new_thread(
    slack: Harness, fake: FakeSlack
) -> None:
    """Slack slow: Alice moves the run to #ops-review, then straight back before its root is out; it
    goes on in its old thread. Before: 'status 1' typed there told Bob it went on 'in a new thread
    in #general', linking the very thread he typed in. Now: its status alone, as in any run's thread."""
    thread, _ = await moving_to_ops(slack, fake)
    assert (await slack.slash("UA", "move 1 <#C1|general>"))["text"].startswith("Run #1 goes on in its thread")
    fake.slow_down("chat.postMessage", 0.0)
    await wait_for(lambda: slack.rows("SELECT channel, thread_ts FROM slack_threads") == [("C1", thread["ts"])])
    await slack.event(message("UB", "status 1", channel="C1", thread_ts=thread["ts"]))
    told = (await wait_for(lambda: ephemerals(fake, "UB")))[-1]
    assert unlinked(told).startswith("Run #1") and "waiting for Alice" in told, told
    assert "goes on" not in told and "new thread" not in told, told
