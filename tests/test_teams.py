"""The Teams channel end to end against the fake Bot Connector: activities shaped as Teams sends
them (channelId msteams, tenant in channelData, mentions in entities), posted to the real
server's /api/messages with authentication off (recipe A); replies read from what the fake
connector was sent."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

from bot.channels.teams_activities import key_for
from bot.model import Trigger
from tests.teams_support import (
    ALICE,
    BOB,
    CAROL,
    CHANNEL,
    ROOT,
    TENANT,
    Harness,
    at,
    in_channel,
    installed,
    personal,
    submit,
    wait_for,
)


def card_text(card: dict) -> str:
    return card["body"][1]["text"]


async def test_a_post_meeting_run_in_a_channel_with_the_owner_confirming_in_a_personal_chat(tmp_path: Path) -> None:
    due = (date.today() + timedelta(days=30)).isoformat()
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        assert h.db("SELECT conversation_id, conversation_type, tenant_id, bot_id FROM teams_conversations") == [
            (CHANNEL, "channel", TENANT, "28:11111111-2222-3333-4444-555555555555")
        ]

        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        first = await h.next_post(0)
        # the run's first message opens a new thread in the channel
        assert first.method == "create" and first.body is not None
        assert first.body["isGroup"] is True and first.body["channelData"]["channel"] == {"id": CHANNEL}
        assert first.body["channelData"]["tenant"] == {"id": TENANT}
        assert first.card is not None
        assert card_text(first.card) == "<at>Alice Example</at> What was decided in Weekly sync?"
        assert first.card["body"][0]["text"] == "Decision run #1"
        assert first.card["msteams"]["entities"][0]["mentioned"] == {"id": "29:1alice", "name": "Alice Example"}
        assert first.card["body"][2]["type"] == "Input.Text"
        root = first.answer_id
        assert h.db("SELECT run_id, conversation_id, root_id FROM teams_threads") == [(1, CHANNEL, root)]

        # a typed answer in the thread (with the bot's mention, as Teams delivers it)
        await h.send(in_channel(h.url, ALICE, "We move the launch to March", root=root))
        what = await h.next_post(1)
        assert what.method == "send" and what.conversation == f"{CHANNEL};messageid={root}"
        assert card_text(what.card) == "<at>Alice Example</at> Action 1: What is the action?"
        await h.send(in_channel(h.url, ALICE, "Draft the revised plan", root=root))
        owner = await h.next_post(2)
        picker = owner.card["body"][2]
        assert picker["type"] == "Input.ChoiceSet"
        assert picker["choices.data"] == {"type": "Data.Query", "dataset": "graph.microsoft.com/users"}
        assert {c["value"] for c in picker["choices"]} == {"29:1alice", "29:1bob"}

        # the people picker's value is Bob's id; the card is updated to show the answer
        await h.send(submit(h.url, ALICE, owner, {"answer": "29:1bob"}))
        when = await h.next_post(3)
        assert (
            card_text(when.card) == "<at>Alice Example</at> Action 1: By when should 'Draft the revised plan' be done?"
        )
        assert when.card["body"][2]["type"] == "Input.Date" and when.card["body"][2]["min"] == date.today().isoformat()
        # typed answers close their cards too: the first two were updated already
        await wait_for(lambda: len(h.fake.of("update")) == 3)
        assert [u.activity_id for u in h.fake.of("update")] == [first.answer_id, what.answer_id, owner.answer_id]
        update = h.fake.of("update")[2]
        assert update.conversation == owner.conversation
        assert h.fake.of("update")[0].card["body"][-1]["text"] == "Alice Example answered: We move the launch to March"
        assert update.card["body"][-1]["text"] == "Alice Example answered: Bob Builder"
        assert update.card["actions"] == []

        await h.send(submit(h.url, ALICE, when, {"answer": due}))
        more = await h.next_post(4)
        assert "Action 2: What is the action?" in card_text(more.card)
        assert [a["title"] for a in more.card["actions"]] == ["Send", "No more"]
        await h.send(submit(h.url, ALICE, more, {"say": "done"}))

        # Bob's confirmation goes to a personal chat, created proactively
        confirm = await h.next_post(5)
        create = [c for c in h.fake.of("create") if not c.body["isGroup"]]
        assert len(create) == 1 and create[0].body["members"] == [{"id": "29:1bob"}]
        assert create[0].body["channelData"] == {"tenant": {"id": TENANT}}
        assert confirm.conversation == "a:chat-with-29:1bob"
        assert "msteams" not in confirm.card  # no @mention in a personal chat
        assert f"'Draft the revised plan', due {due}" in card_text(confirm.card)
        assert [c["value"] for c in confirm.card["body"][2]["choices"]] == ["yes", "no"]

        # Bob types his answer in that chat; it comes back to the run in the channel
        await h.send(personal(h.url, BOB, "yes"))
        review = await h.next_post(6)
        assert review.conversation == f"{CHANNEL};messageid={root}"
        assert "When should we review this decision?" in card_text(review.card)
        assert [a["title"] for a in review.card["actions"]] == ["Send", "Use the default (in 4 weeks)"]
        await h.send(submit(h.url, ALICE, review, {"say": "ok"}))
        summary = await h.next_post(7)
        assert summary.conversation == f"{CHANNEL};messageid={root}"
        assert summary.text.startswith("Decision recorded: Weekly sync")
        assert "Draft the revised plan - Bob Builder, due " in summary.text and "(accepted)" in summary.text
        await h.settle()

        assert h.db("SELECT status, conversation FROM runs") == [("completed", f"teams:{CHANNEL}")]
        assert h.db("SELECT what, owner_id, owner_name, due, accepted_at IS NOT NULL FROM actions") == [
            ("Draft the revised plan", "teams:29:1bob", "Bob Builder", due, 1)
        ]
        assert h.db("SELECT text FROM decisions") == [("We move the launch to March",)]
        assert h.db("SELECT count(*) FROM messages WHERE direction = 'out' AND delivered_at IS NULL") == [(0,)]
        # every card the run posted was answered and updated
        assert h.db("SELECT count(*), count(answered_at) FROM teams_cards") == [(7, 7)]
        assert len(h.fake.of("update")) == 7
        answered = [
            json.loads(r[0]) for r in h.db("SELECT payload FROM messages WHERE kind = 'answer' AND payload IS NOT NULL")
        ]
        assert answered and all(a["channelId"] == "msteams" for a in answered)


async def test_a_card_submit_is_validated_on_the_server_and_the_card_updated(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        h.fake.members[CAROL["aadObjectId"]] = {**CAROL, "userPrincipalName": "carol@example.com"}
        await h.send(personal(h.url, ALICE, "start metric_breach Checkout conversion"))
        ack = await h.next_post(0)
        assert ack.method == "send" and ack.conversation == "a:chat-with-29:1alice"
        # a people picker returns an Azure AD object id: the connector says who that is
        await h.send(submit(h.url, ALICE, ack, {"answer": CAROL["aadObjectId"]}))
        takes = await h.next_post(1)  # the person named is asked, in private, whether she takes it
        assert takes.conversation != ack.conversation and card_text(takes.card).endswith("Do you take it?")
        await h.send(submit(h.url, CAROL, takes, {"answer": "yes"}))
        choice = await h.next_post(2)
        member = h.fake.of("member")
        assert [(m.conversation, m.activity_id) for m in member] == [("a:chat-with-29:1alice", CAROL["aadObjectId"])]
        assert h.db("SELECT value FROM answers WHERE step = 'acknowledge'") == [
            (json.dumps({"id": "teams:29:1carol", "name": "Carol Chen"}),)
        ]
        inputs = choice.card["body"][2]
        assert inputs["type"] == "Input.ChoiceSet" and inputs["style"] == "expanded"
        assert inputs["choices"] == [
            {"title": "Act now", "value": "act"},
            {"title": "Watch it", "value": "watch"},
            {"title": "Ignore it", "value": "ignore"},
        ]
        # Teams' own required-field check is not trusted: a value that is not an option is refused
        await h.send(submit(h.url, ALICE, choice, {"answer": "explode"}))
        refused = await h.next_post(3)
        assert refused.text == "Please pick one of: Act now, Watch it, Ignore it (a number or a word)."
        await h.send(submit(h.url, ALICE, choice, {}))
        empty = await h.next_post(4)
        assert empty.text == "Please give an answer (or say 'help')."
        await h.settle()
        assert [u.activity_id for u in h.fake.of("update")] == [
            ack.answer_id,
            takes.answer_id,
        ]  # the choice card is still open
        await h.send(submit(h.url, ALICE, choice, {"answer": "watch"}))
        plan = await h.next_post(5)
        assert card_text(plan.card) == "What do we watch for, and what would make us act?"
        await h.settle()
        update = h.fake.of("update")[-1]
        assert update.activity_id == choice.answer_id
        assert update.card["body"][-1]["text"] == "Alice Example answered: Watch it"
        assert h.db("SELECT kind, text FROM messages WHERE direction = 'in' AND step = 'response' ORDER BY id") == [
            ("invalid", "explode"),
            ("invalid", ""),
            ("answer", "watch"),
        ]
        # a submit on a card that is answered already, or unknown, gets a short note
        await h.send(submit(h.url, ALICE, choice, {"answer": "act"}))
        note = await h.next_post(6)
        assert (
            note.method == "reply"
            and note.text == "That card is no longer open. Type your answer instead, or say 'help'."
        )
        assert h.db("SELECT value FROM answers WHERE step IN ('response', 'plan')") == [('"watch"',)]


async def test_a_repeated_activity_never_advances_a_run_twice(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        start = personal(h.url, ALICE, "start post_meeting Weekly sync")
        await h.send(start)
        await h.send(start)  # Teams retried the same activity
        await h.next_post(0)
        answer = personal(h.url, ALICE, "We ship in March")
        await h.send(answer)
        await h.send(answer)
        await h.next_post(1)
        await h.settle()
        first = h.fake.posts()[0]
        again = submit(h.url, ALICE, h.fake.posts()[1], {"answer": "Draft the plan"})
        await h.send(again)
        await h.send(again)
        await h.next_post(2)
        await h.settle()
        assert h.db("SELECT count(*) FROM runs") == [(1,)]
        assert h.db("SELECT step, field, raw FROM answers ORDER BY id") == [
            ("decision", None, "We ship in March"),
            ("actions", "what", "Draft the plan"),
        ]
        assert len(h.fake.posts()) == 3 and first.card is not None
        # the start (kept once: its retry adds no row) and the two answers
        assert h.db("SELECT kind FROM messages WHERE direction = 'in' ORDER BY id") == [
            ("start",),
            ("answer",),
            ("answer",),
        ]
        assert h.db("SELECT count(*) FROM deliveries WHERE platform = 'teams'") == [(3,)]


async def test_commands_in_a_channel_answer_in_their_thread_and_only_mentions_count(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        listing = in_channel(h.url, ALICE, "list")
        await h.send(listing)
        empty = await h.next_post(0)
        assert empty.method == "reply" and empty.conversation == f"{CHANNEL};messageid={listing['id']}"
        assert empty.activity_id == listing["id"]
        # plain text, its brackets escaped for Teams' markdown (they read as typed)
        assert empty.text == r"No open decision runs here. Start one with: start FLOW \[@people ...\] \[title\]"
        await h.send(in_channel(h.url, ALICE, "start post_meeting Launch review"))
        first = await h.next_post(1)
        await h.send(in_channel(h.url, BOB, "status 1"))
        status = await h.next_post(2)
        assert (
            status.text
            == "Run #1 post_meeting 'Launch review': active; waiting for Alice Example to answer \"What was decided in Launch review?\"."
        )
        await h.send(in_channel(h.url, BOB, "hello there"))  # not in the run's thread: a command or nothing
        unknown = await h.next_post(3)
        assert unknown.text.startswith("I don't know 'hello'. Commands: start FLOW")
        # a channel message that does not mention the bot is not for it
        quiet = in_channel(h.url, BOB, "lunch?")
        quiet["text"], quiet["entities"] = "lunch?", []
        await h.send(quiet)
        # Bob may not cancel Alice's run: he is told where he asked, once, as for other refusals
        cancel = in_channel(h.url, BOB, "cancel 1")
        await h.send(cancel)
        refused = await h.next_post(4)
        assert refused.conversation == f"{CHANNEL};messageid={cancel['id']}"
        assert refused.text == (  # named: others read the thread (as a bare 'cancel' is)
            f"{at(BOB)} Run #1 ('Launch review'): Only the facilitator (Alice Example) can cancel the run."
        )
        await h.send(in_channel(h.url, ALICE, "cancel #1"))
        done = await h.next_post(5)
        assert done.conversation == f"{CHANNEL};messageid={first.answer_id}"
        assert done.text == "Run cancelled by Alice Example. The transcript is kept."  # the run's notice there
        await h.settle()
        assert len(h.fake.posts()) == 6
        assert h.db("SELECT status FROM runs") == [("cancelled",)]


async def test_status_of_a_channel_run_is_not_told_to_a_stranger_in_a_personal_chat(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await h.send(in_channel(h.url, ALICE, "start post_meeting Acquisition of Initech"))
        await h.next_post(0)
        await h.send(personal(h.url, CAROL, "status 99"))
        unknown = await h.next_post(1)
        await h.send(personal(h.url, CAROL, "status 1"))
        hidden = await h.next_post(2)
        assert hidden.conversation == "a:chat-with-29:1carol"
        assert unknown.text == "No run #99 here. Say 'list' for the open runs of this conversation."
        assert hidden.text == "No run #1 here. Say 'list' for the open runs of this conversation."
        await h.send(personal(h.url, ALICE, "status 1"))  # its facilitator, anywhere
        told = await h.next_post(3)
        assert told.text.startswith("Run #1 post_meeting 'Acquisition of Initech': active; waiting for")


def _routed(trigger: Trigger) -> Trigger:
    trigger.conversation = key_for(CHANNEL)
    return trigger


VOTE = """\
id: vote
title: Vote
roles:
  facilitator: trigger.facilitator
  participants: trigger.participants
steps:
  - id: agree
    to: participants
    ask: "Do you agree with {{ trigger.title }}?"
    type: yes_no
"""


def with_vote(tmp_path: Path) -> Path:
    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    (flows / "vote.yaml").write_text(VOTE)
    return flows
