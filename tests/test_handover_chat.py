"""``give A12 @person [why]`` where people type it: Slack's slash command, a mention and a direct
message (the real server and slack_sdk against the fake Web API, requests signed for real), and a
Teams personal chat (real botbuilder against the fake Bot Connector). The new owner is asked by
direct message with the platform's yes/no widgets; the decision's conversation, the old owner and
the asker hear the outcome. The ledger's side is in tests/actions/test_handover.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.model import Actor, ConversationKey, Trigger
from tests.actions.support import decide as decide_items
from tests.dates import FEB1, JAN10
from tests.fakes.slack_api import BOT_USER, FakeSlack
from tests.slack_support import ALICE_AND_BOB, Harness, SlackPeople, message, wait_for
from tests.teams_support import ALICE as TEAMS_ALICE
from tests.teams_support import BOB as TEAMS_BOB
from tests.teams_support import CAROL as TEAMS_CAROL
from tests.teams_support import CHANNEL, TENANT, activity, at, in_channel, installed, mention, personal
from tests.teams_support import Harness as TeamsHarness
from tests.test_actions_done_chat import DUE, decide

UNSENT = "SELECT count(*) FROM messages WHERE direction = 'out' AND delivered_at IS NULL AND failed_at IS NULL"


@pytest.fixture
def slack_people() -> SlackPeople:
    return {**ALICE_AND_BOB, "UC": ("Carol", "UTC")}


async def decided(slack: Harness) -> int:
    """Alice's decision in C1, Bob owning A1; the number of messages posted by then."""
    decide(slack.services.dispatcher, "slack", "C1", Actor("slack:UA", "Alice"), Actor("slack:UB", "Bob"))
    slack.services.notify("slack")
    await wait_for(lambda: slack.rows(UNSENT) == [(0,)])
    return len(slack.fake.posted())


async def test_slack_give_by_slash_command_carol_clicks_yes_and_everyone_is_told(
    slack: Harness, fake: FakeSlack
) -> None:
    before = await decided(slack)
    answer = await slack.slash("UB", "give A1 <@UC> I move to the Lisbon office")
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith(
        "Asked Carol to take over 'Draft the plan'. It changes hands only when they say yes"
    )
    asked = (await wait_for(lambda: [p for p in fake.posted()[before:] if p["channel"] == "DUC"]))[0]
    assert asked["text"] == (
        f"Bob asks you to take over action 'Draft the plan' (due {DUE}) from 'Weekly sync'. Do you accept?"
    )
    assert [e["value"] for b in asked["blocks"] if b["type"] == "actions" for e in b["elements"]] == ["yes", "no"]
    assert slack.rows("SELECT owner_id FROM actions") == [("slack:UB",)]

    assert (await slack.click("UC", asked, {"type": "button", "value": "yes"})).status == 200
    await wait_for(lambda: slack.rows("SELECT owner_id, owner_name FROM actions") == [("slack:UC", "Carol")])
    await wait_for(lambda: slack.rows(UNSENT) == [(0,)])
    said = {(p["channel"], p["text"]) for p in fake.posted()[before:] if p["ts"] != asked["ts"]}
    assert said == {
        ("C1", "Carol took over Bob's action 'Draft the plan' (from 'Weekly sync'): I move to the Lisbon office"),
        ("DUB", "Carol took over your action 'Draft the plan' (from 'Weekly sync'). It is no longer yours."),
        ("DUC", f"'Draft the plan' (from 'Weekly sync', due {DUE}) is yours now. When it is done, tell me: done A1."),
    }
    assert slack.rows("SELECT field, old, new, reason, actor_id FROM action_changes") == [
        ("owner", "slack:UB", "slack:UC", "I move to the Lisbon office", "slack:UB")
    ]
    update = await wait_for(lambda: [u for u in fake.of("chat.update") if u.args["ts"] == asked["ts"]])
    assert update[0].args["blocks"][1]["elements"][0]["text"] == "Answered by <@UC>: Yes"
    listed = await slack.slash("UC", "actions")
    assert listed["text"].startswith("Carol, your open actions (1):\n  A1 Draft the plan")


async def test_slack_give_by_mention_declined_by_typing_no_in_a_direct_message(slack: Harness, fake: FakeSlack) -> None:
    before = await decided(slack)
    await slack.event(message("UA", f"<@{BOT_USER}> give A1 <@UC>", type="app_mention"))  # the facilitator
    told = await wait_for(lambda: fake.of("chat.postEphemeral"))
    assert (told[0].args["user"], told[0].args["text"][:33]) == ("UA", "Asked Carol to take over 'Draft t")
    await wait_for(lambda: [p for p in fake.posted()[before:] if p["channel"] == "DUC"])
    await slack.event(message("UC", "no", channel="DUC"))
    declined = await wait_for(lambda: [p for p in fake.posted()[before:] if p["channel"] == "DUA"])
    assert declined[0]["text"] == "Carol declined to take over 'Draft the plan': it stays Bob's."
    assert slack.rows("SELECT owner_id FROM actions") == [("slack:UB",)]
    assert slack.rows("SELECT count(*) FROM action_changes") == [(0,)]
    assert not [p for p in fake.posted()[before:] if p["channel"] == "C1"]  # the decision's thread: nothing changed


async def test_slack_give_refuses_the_bot_by_slash_command_and_a_second_handover_in_a_direct_message(
    slack: Harness, fake: FakeSlack
) -> None:
    before = await decided(slack)
    refused = await slack.slash("UB", f"give A1 <@{BOT_USER}>")
    assert refused["text"] == (
        "@decisionbot names me, the bot: only a person can own an action. Name one person: give A12 @carol."
    )
    await slack.event(message("UB", "give A1 <@UC>", channel="DUB"))
    await slack.event(message("UB", "give A1 <@UA>", channel="DUB"))
    said = await wait_for(
        lambda: (found := [p for p in fake.posted()[before:] if p["channel"] == "DUB"]) and len(found) >= 2 and found
    )
    texts = [p["text"] for p in said]
    assert texts[0].startswith("Asked Carol to take over 'Draft the plan'")
    assert texts[1] == (
        "Carol is already asked to take over 'Draft the plan' (run #2). Wait for the answer, or withdraw it with: cancel 2"
    )
    assert slack.rows("SELECT count(*) FROM runs WHERE flow_id = 'action_handover'") == [(1,)]


async def test_slack_give_to_the_bot_in_a_direct_message_or_a_top_level_mention_names_the_bot(
    slack: Harness, fake: FakeSlack
) -> None:
    """Before, the bot's mention was taken out of the text as the way it is addressed, leaving
    'give A1': the usage hint, as if no one had been named."""
    before = await decided(slack)
    await slack.event(message("UB", f"give A1 <@{BOT_USER}>", channel="DUB"))
    await slack.event(message("UB", f"<@{BOT_USER}> give A1 <@{BOT_USER}>", channel="DUB"))
    await slack.event(message("UB", f"give A1 <@{BOT_USER}>", type="app_mention"))
    refusal = "@decisionbot names me, the bot: only a person can own an action. Name one person: give A12 @carol."
    said = await wait_for(
        lambda: len(found := [p for p in fake.posted()[before:] if p["channel"] == "DUB"]) >= 2 and found
    )
    assert [p["text"] for p in said] == [refusal, refusal]
    told = await wait_for(lambda: fake.of("chat.postEphemeral"))
    assert told[0].args["text"] == refusal
    assert slack.rows("SELECT count(*) FROM runs WHERE flow_id = 'action_handover'") == [(0,)]


async def test_teams_give_in_a_personal_chat_and_the_new_owner_accepts_in_hers(tmp_path: Path) -> None:
    async with TeamsHarness(tmp_path) as h:
        alice = Actor(f"teams:{TEAMS_ALICE['id']}", TEAMS_ALICE["name"])
        bob = Actor(f"teams:{TEAMS_BOB['id']}", TEAMS_BOB["name"])
        await h.send(installed(h.url, "channel", (TEAMS_ALICE, TEAMS_BOB, TEAMS_CAROL)))
        decide(h.services.dispatcher, "teams", CHANNEL, alice, bob)
        await h.settle()
        sent = len(h.fake.posts())
        bobs = {"id": f"a:chat-with-{TEAMS_BOB['id']}", "conversationType": "personal", "tenantId": TENANT}
        await h.send(activity(h.url, TEAMS_BOB, bobs, f"give A1 {at(TEAMS_CAROL)}", [mention(TEAMS_CAROL)]))
        await h.settle()
        carols = f"a:chat-with-{TEAMS_CAROL['id']}"
        asked = [c for c in h.fake.posts()[sent:] if c.conversation == carols]
        assert asked and "asks you to take over action 'Draft the plan'" in str(asked[0].activity)
        await h.send(personal(h.url, TEAMS_CAROL, "yes"))
        await h.settle()
        assert h.db("SELECT owner_id FROM actions") == [(f"teams:{TEAMS_CAROL['id']}",)]
        told = {c.conversation.split(";")[0]: c.text for c in h.fake.posts()[sent:] if c.text}
        assert told[CHANNEL].startswith(
            f"{TEAMS_CAROL['name']} took over {TEAMS_BOB['name']}'s action 'Draft the plan'"
        )
        assert told[f"a:chat-with-{TEAMS_BOB['id']}"].startswith(f"{TEAMS_CAROL['name']} took over your action")


async def test_teams_a_person_mentioned_in_someones_personal_chat_is_still_told_in_their_own(tmp_path: Path) -> None:
    """Bob mentions Carol in his personal chat with the bot (as 'give A1 @Carol' does): the ledger
    took his chat for hers, and what the bot later told Carol alone (her 'actions', her handover
    question) went into Bob's chat."""
    async with TeamsHarness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (TEAMS_ALICE, TEAMS_BOB, TEAMS_CAROL)))
        bobs = {"id": f"a:chat-with-{TEAMS_BOB['id']}", "conversationType": "personal", "tenantId": TENANT}
        await h.send(activity(h.url, TEAMS_BOB, bobs, f"list {at(TEAMS_CAROL)}", [mention(TEAMS_CAROL)]))
        await h.settle()
        sent = len(h.fake.posts())
        await h.send(in_channel(h.url, TEAMS_CAROL, "actions"))
        await h.settle()
        alone = [c for c in h.fake.posts()[sent:] if c.text == "You have no open actions."]
        assert [c.conversation for c in alone] == [f"a:chat-with-{TEAMS_CAROL['id']}"]


async def test_slack_give_typed_in_the_decisions_thread_is_told_in_that_thread(slack: Harness, fake: FakeSlack) -> None:
    """A meeting held in its thread (``/decision start``); Bob types the command in that thread,
    Carol answers in her direct messages: the thread hears it, and nothing is taken as the
    finished run's answer."""
    await slack.slash("UA", "start post_meeting Weekly sync")
    thread = (await slack.posts(2))[0]["ts"]
    for n, text in enumerate(["We ship", "Draft the plan", "<@UB>", JAN10, "done"]):
        await slack.event(message("UA", text, thread_ts=thread))
        await slack.posts(3 + n)
    await slack.event(message("UB", "yes", channel="DUB"))
    await slack.event(message("UA", FEB1, thread_ts=thread))
    await wait_for(lambda: slack.rows("SELECT count(*) FROM actions") == [(1,)])
    await slack.event(message("UB", "give A1 <@UC> new team", thread_ts=thread))
    told = await wait_for(lambda: fake.of("chat.postEphemeral"))
    assert told[-1].args["text"].startswith("Asked Carol to take over 'Draft the plan'")
    await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUC"])
    await slack.event(message("UC", "yes", channel="DUC"))
    notice = await wait_for(lambda: [p for p in fake.posted() if p["text"].startswith("Carol took over")])
    assert (notice[0]["channel"], notice[0]["thread_ts"]) == ("C1", thread)
    assert slack.rows("SELECT owner_id FROM actions") == [("slack:UC",)]


async def test_slack_a_review_under_way_asks_carol_once_she_took_over_and_bobs_old_buttons_are_closed(
    slack: Harness, fake: FakeSlack
) -> None:
    """Bob owns two actions under review, asked about A1 first; he gives A1 to Carol, who clicks
    yes: the review asks her about A1 and him about A2; his click on the old A1 question is stale."""
    bot, where, bob = slack.services.dispatcher, ConversationKey("slack", "C1"), Actor("slack:UB", "Bob")
    decision, _ = decide_items(bot, "Weekly sync", [("Draft the plan", bob, DUE), ("Book the venue", bob, DUE)], where)
    bot.start(
        Trigger(flow="decision_review", data={"decision_id": decision}, facilitator=Actor("slack:UA", "Alice")), where
    )
    slack.services.notify("slack")
    await wait_for(lambda: slack.rows(UNSENT) == [(0,)])
    (first,) = [p for p in fake.posted() if p["channel"] == "DUB" and p["text"].startswith("Review of")]
    before = len(fake.posted())
    await slack.slash("UB", "give A1 <@UC>")
    offer = (await wait_for(lambda: [p for p in fake.posted()[before:] if p["channel"] == "DUC"]))[0]
    await slack.click("UC", offer, {"type": "button", "value": "yes"})
    review = "Review of 'Weekly sync': was your action '{}' (due " + DUE + ") done?"
    asked = await wait_for(
        lambda: (
            (found := [(p["channel"], p["text"]) for p in fake.posted()[before:] if p["text"].startswith("Review")])
            and len(found) == 2
            and found
        )
    )
    assert sorted(asked) == [("DUB", review.format("Book the venue")), ("DUC", review.format("Draft the plan"))]
    assert (await slack.click("UB", first, {"type": "button", "value": "yes"})).status == 200
    stale = await wait_for(lambda: fake.of("chat.postEphemeral"))
    assert stale[-1].args["text"].startswith("This question is no longer open")
    assert slack.rows("SELECT count(*) FROM answers WHERE run_id = 2") == [(0,)]


async def test_slack_an_action_dropped_while_its_handover_waits_ends_the_handover(
    slack: Harness, fake: FakeSlack
) -> None:
    """``give A1 @carol``, then ``drop A1``: before, the handover kept asking Carol (its Yes/No
    live, the old due date), and her yes only then said that nothing was handed over."""
    before = await decided(slack)
    await slack.slash("UB", "give A1 <@UC>")
    asked = (await wait_for(lambda: [p for p in fake.posted()[before:] if p["channel"] == "DUC"]))[0]
    handover = "SELECT status FROM runs WHERE flow_id = 'action_handover'"
    assert slack.rows(handover) == [("active",)]
    dropped = await slack.slash("UA", "drop A1 plan changed")
    assert dropped["text"].startswith("Dropped: 'Draft the plan'"), dropped["text"]
    assert slack.rows(handover) == [("cancelled",)]
    said = await wait_for(lambda: [p["text"] for p in fake.posted()[before:] if "Nothing to take over" in p["text"]])
    assert said == ["Nothing to take over now: 'Draft the plan' was dropped by Alice."]
    await slack.click("UC", asked, {"type": "button", "value": "yes"})  # too late: nothing moves
    await wait_for(lambda: slack.rows(UNSENT) == [(0,)])
    assert slack.rows("SELECT owner_id, status FROM actions") == [("slack:UB", "dropped")]
    [closed] = [u.args for u in fake.of("chat.update") if u.args["ts"] == asked["ts"]]
    assert closed["text"].endswith("This question is closed: the run has ended.")  # no button left to press
