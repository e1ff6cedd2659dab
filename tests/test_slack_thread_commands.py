"""Run commands typed plainly in a run's Slack thread (no ``/decision``, no ``@decisionbot``): which
are commands and which are answers. Before, ``move 1 #ops-review`` typed so by the facilitator while
a free-text question waited was taken as that question's answer. Now a plain text is a command only
in a command's exact shape (the word, the run's number, a channel Slack links), and only from
someone who may give it; anyone else's text is the run's. The real server, requests signed as Slack
signs them, slack-sdk against the fake Web API."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, message, unlinked, wait_for
from tests.test_slack_move import in_channel, ops
from tests.test_slack_move import slack_people as slack_people  # the fixture: Alice, Bob, Carol
from tests.test_slack_races import claimable_question


def moved(slack: Harness) -> list[tuple[Any, ...]]:
    return slack.rows("SELECT actor_id FROM transitions WHERE event = 'thread_moved'")


def ephemerals(fake: FakeSlack, user: str) -> list[str]:
    return [c.args["text"] for c in fake.of("chat.postEphemeral") if c.args.get("user") == user]


async def started(slack: Harness) -> tuple[dict[str, Any], dict[str, Any]]:
    """Alice's post_meeting in C1: its root, and its first question (free text) waiting on her."""
    await slack.slash("UA", "start post_meeting Weekly sync")
    root, question = (await slack.posts(2))[:2]
    return root, question


@pytest.mark.parametrize("typed", ["move 1 <#C2|ops-review>", "move 1 <#C2>", "Move #1 <#C2|ops-review>"])
async def test_the_facilitators_plain_move_in_the_thread_moves_the_run(
    slack: Harness, fake: FakeSlack, typed: str
) -> None:
    ops(fake)
    root, question = await started(slack)
    await slack.event(message("UA", typed, thread_ts=root["ts"]))
    new_root, again = (await wait_for(lambda: len(in_channel(fake, "C2")) >= 2 and in_channel(fake, "C2")))[:2]
    assert (again["thread_ts"], again["text"]) == (new_root["ts"], question["text"])
    assert moved(slack) == [("slack:UA",)]
    assert slack.rows("SELECT count(*) FROM answers") == [(0,)]  # not taken as the decision
    told = await wait_for(lambda: ephemerals(fake, "UA"))
    assert told[-1].startswith("Run #1 moves to #ops-review")


@pytest.mark.parametrize(
    ("who", "typed"),
    [
        ("UA", "move the launch to March"),  # a sentence
        ("UA", "move 1 #ops-review"),  # a channel typed as plain text, not picked: no command's shape
        ("UA", "move 1 <#C2|ops-review> please"),
        ("UB", "move 1 <#C2|ops-review>"),  # not the facilitator: not a move of theirs
    ],
)
async def test_other_plain_texts_starting_with_move_stay_the_runs(
    slack: Harness, fake: FakeSlack, who: str, typed: str
) -> None:
    ops(fake)
    root, _ = await started(slack)
    n = len(fake.posted())
    await slack.event(message(who, typed, thread_ts=root["ts"]))
    await wait_for(lambda: len(fake.posted()) > n or fake.of("chat.postEphemeral"))
    assert moved(slack) == []
    if who == "UA":  # her answer to the question waiting on her
        assert slack.rows("SELECT actor_id, step FROM answers") == [("slack:UA", "decision")]
    else:  # noted in the transcript, the question not his
        assert slack.rows("SELECT count(*) FROM answers") == [(0,)]
        assert slack.rows("SELECT count(*) FROM messages WHERE direction = 'in' AND actor_id = 'slack:UB'") == [(1,)]


# --- the old thread's widgets after a move ----------------------------------------------------


def updates(fake: FakeSlack, posted: dict[str, Any]) -> list[dict[str, Any]]:
    where = (posted["channel"], posted["ts"])
    return [c.args for c in fake.of("chat.update") if (c.args["channel"], c.args["ts"]) == where]


def widgets(blocks: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


async def owner_question_moved(
    slack: Harness, fake: FakeSlack, by_dm: bool = False
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Alice's run at its owner question (a people picker) in C1, moved by her to C2 (by slash
    command, or typed in her direct message): the old question, and its copy asked again in the
    new thread."""
    ops(fake)
    root, _ = await started(slack)
    await slack.say(root["ts"], "We ship in March", "Draft the plan")
    old = (await slack.posts(4))[3]
    assert widgets(old["blocks"]) == ["users_select"]
    if by_dm:
        await slack.event(message("UA", "move 1 <#C2|ops-review>", channel="DUA"))
    else:
        await slack.slash("UA", "move 1 <#C2|ops-review>")
    new = (await wait_for(lambda: len(in_channel(fake, "C2")) >= 2 and in_channel(fake, "C2")))[1]
    assert new["text"] == old["text"] and widgets(new["blocks"]) == ["users_select"]
    return old, new


async def test_the_old_threads_questions_lose_their_widgets_and_point_to_the_new_thread(
    slack: Harness, fake: FakeSlack
) -> None:
    """Redrawn as the run moves, naming the new channel; again once the new thread's root is out,
    linking that thread (before: the channel alone, for good)."""
    old, _ = await owner_question_moved(slack, fake)
    root = in_channel(fake, "C2")[0]
    link = f"https://fake.slack.com/archives/C2/p{root['ts'].replace('.', '')}"
    moved, linked = await wait_for(lambda: len(updates(fake, old)) >= 2 and updates(fake, old))
    assert widgets(moved["blocks"]) == widgets(linked["blocks"]) == []
    assert moved["blocks"][0]["text"]["text"] == linked["blocks"][0]["text"]["text"] == old["text"]
    assert moved["blocks"][-1]["elements"][0]["text"] == (
        "Run #1 goes on in a new thread in <#C2>: this question is asked again there, to be answered there."
    )
    assert linked["blocks"][-1]["elements"][0]["text"] == (
        f"Run #1 goes on in a new thread in <#C2>: this question is asked again there, to be <{link}|answered there>."
    )


async def test_the_old_threads_questions_lose_their_widgets_when_slack_does_not_describe_its_channel_in_time(
    slack: Harness, fake: FakeSlack
) -> None:
    """A move typed by direct message gives Slack 1.5 s to describe the channels; #general's
    description comes too late. Nothing says the bot cannot post there: no note is left (its name
    unknown), but its question still loses its widgets (before: kept live, where nothing is read)."""
    fake.slow_down("conversations.info", 3.0, channel="C1")
    old, _ = await owner_question_moved(slack, fake, by_dm=True)
    update = (await wait_for(lambda: updates(fake, old)))[0]
    assert widgets(update["blocks"]) == [] and "asked again there" in update["blocks"][-1]["elements"][0]["text"]
    assert [p for p in in_channel(fake, "C1") if "goes on in a new thread" in p["text"]] == []
    assert slack.rows("SELECT conversation FROM runs") == [("slack:C2",)]


async def test_a_click_on_the_old_copy_is_refused_with_a_link_to_the_new_thread(
    slack: Harness, fake: FakeSlack
) -> None:
    """The redraw did not land (Slack refused it) and Alice picks Bob in the old thread: nothing is
    taken there (the run reads its answers in the new thread alone, as the note says); she is told
    where, with a link to the new thread; the new copy stays open and is answered there."""
    fake.refuse("chat.update", times=5)
    old, new = await owner_question_moved(slack, fake)
    root = in_channel(fake, "C2")[0]
    await slack.click("UA", old, {"type": "users_select", "selected_user": "UB"})
    told = await wait_for(lambda: ephemerals(fake, "UA")[-1:] if "moved" in ephemerals(fake, "UA")[-1] else None)
    link = f"https://fake.slack.com/archives/C2/p{root['ts'].replace('.', '')}"
    assert told == [f"This question moved with run #1 to a new thread in <#C2>: <{link}|answer it there>."]
    assert slack.rows("SELECT count(*) FROM answers WHERE step = 'actions'") == [(1,)]  # 'Draft the plan' alone
    assert slack.rows("SELECT status FROM slack_prompts WHERE ts = ?", new["ts"]) == [("open",)]
    assert slack.rows(
        "SELECT json_extract(payload, '$.widget') FROM messages WHERE direction = 'in' AND kind = 'refused'"
    ) == [("closed",)]
    await slack.click("UA", new, {"type": "users_select", "selected_user": "UB"})
    await wait_for(lambda: slack.rows("SELECT count(*) FROM answers WHERE step = 'actions'") == [(2,)])
    assert slack.rows("SELECT status FROM slack_prompts WHERE ts = ?", new["ts"]) == [("answered",)]


# --- the other run commands typed plainly in a run's thread ------------------------------------


async def decided(slack: Harness) -> str:
    """Alice's post_meeting in C1 completed, with Bob's action A1 (accepted); its thread's ts."""
    await slack.slash("UA", "start post_meeting Weekly sync")
    thread = str((await slack.posts(2))[0]["ts"])
    await slack.say(thread, "We ship in March", "Draft the plan", "<@UB>", "2030-01-15", "done")
    await slack.event(message("UB", "yes", channel="DUB"))
    await slack.event(message("UA", "ok", thread_ts=thread))
    await wait_for(lambda: slack.rows("SELECT status FROM runs") == [("completed",)])
    return thread


async def test_status_is_a_command_from_anyone_in_the_thread(slack: Harness, fake: FakeSlack) -> None:
    root, _ = await started(slack)
    await slack.event(message("UB", "status 1", thread_ts=root["ts"]))
    told = await wait_for(lambda: ephemerals(fake, "UB"))
    assert unlinked(told[-1]).startswith("Run #1") and "waiting for Alice" in told[-1]
    assert slack.rows("SELECT count(*) FROM messages WHERE direction = 'in' AND actor_id = 'slack:UB'") == [(0,)]


async def test_cancel_is_a_command_from_the_facilitator_alone(slack: Harness, fake: FakeSlack) -> None:
    """Bob's 'cancel 1' is his words in the thread, as any other (before: the command's refusal,
    as if he might have given it); Alice's cancels the run, not the answer to her question."""
    root, _ = await started(slack)
    await slack.event(message("UB", "cancel 1", thread_ts=root["ts"]))
    await wait_for(lambda: slack.rows("SELECT 1 FROM messages WHERE direction = 'in' AND actor_id = 'slack:UB'"))
    assert slack.rows("SELECT text FROM messages WHERE direction = 'in' AND actor_id = 'slack:UB'") == [("cancel 1",)]
    assert slack.rows("SELECT status FROM runs") == [("active",)]
    await slack.event(message("UA", "cancel 1", thread_ts=root["ts"]))
    await wait_for(lambda: slack.rows("SELECT status FROM runs") == [("cancelled",)])
    assert slack.rows("SELECT count(*) FROM answers") == [(0,)]


async def test_an_actions_commands_are_its_owners_and_its_leaders_alone(slack: Harness, fake: FakeSlack) -> None:
    """In Alice's second run's thread, where her free-text question waits: 'done A1' from Carol (not
    Bob's action's owner, not its decision's facilitator) is her words; from Alice (who leads its
    decision), the command, not her answer."""
    await decided(slack)
    await slack.slash("UA", "start post_meeting Follow-up")
    root = await wait_for(
        lambda: [p for p in in_channel(fake, "C1") if "Follow-up" in p["text"] and not p.get("thread_ts")]
    )
    await slack.event(message("UC", "done A1", thread_ts=root[0]["ts"]))
    await wait_for(lambda: slack.rows("SELECT 1 FROM messages WHERE direction = 'in' AND actor_id = 'slack:UC'"))
    assert slack.rows("SELECT status FROM actions") == [("open",)]
    await slack.event(message("UA", "done A1", thread_ts=root[0]["ts"]))
    await wait_for(lambda: slack.rows("SELECT status FROM actions") == [("done",)])
    assert slack.rows("SELECT count(*) FROM answers WHERE run_id = 2") == [(0,)]


async def test_in_an_ended_runs_thread_an_actions_commands_from_anyone_are_refused_saying_why(
    slack: Harness, fake: FakeSlack
) -> None:
    """The run has completed: its thread takes no answer, so 'due A1 ...', 'drop A1', 'give A1 @me'
    and 'done A1' from Carol (neither the action's owner nor its decision's facilitator) are her
    commands, each refused to her alone, saying why. Before, only 'done' was: the other three got
    no answer at all, and she could believe the date moved."""
    thread = await decided(slack)
    typed = ["due A1 2030-02-01", "drop A1 not needed", "give A1 <@UC>", "done A1"]
    for n, text in enumerate(typed, start=1):
        await slack.event(message("UC", text, thread_ts=thread))
        await wait_for(lambda n=n: len(ephemerals(fake, "UC")) == n, timeout=3)
    told = ephemerals(fake, "UC")
    assert all("A1" in said and ("owner" in said or "yours" in said) for said in told), told
    assert slack.rows("SELECT status, due, owner_id FROM actions") == [("open", "2030-01-15", "slack:UB")]
    assert slack.rows("SELECT count(*) FROM action_changes") == [(0,)]


async def test_a_plain_move_in_an_unclaimed_runs_thread_is_refused_not_its_first_answer(
    slack: Harness, fake: FakeSlack
) -> None:
    """A run an alert started naming no facilitator: the first to answer takes the role. A plain
    'move 1 #ops-review' there is the command (refused: nobody leads the run yet), not the answer
    that would make its writer the facilitator with 'move 1 ...' as the acknowledgement."""
    ops(fake)
    question = await claimable_question(slack)
    await slack.event(message("UA", "move 1 <#C2|ops-review>", channel="C0123", thread_ts=question["ts"]))
    told = await wait_for(lambda: ephemerals(fake, "UA"))
    assert told[-1] == (  # (before: "Only the facilitator (facilitator) ...", the stand-in's name)
        "Nobody has claimed this run yet: only whoever claims it by answering its question can move the run."
    )
    assert slack.rows("SELECT count(*) FROM answers") == [(0,)]
    assert slack.rows("SELECT facilitator_id FROM runs") == [("slack:facilitator",)]
    assert moved(slack) == []
