"""The Teams channel end to end against the fake Bot Connector: activities shaped as Teams sends
them (channelId msteams, tenant in channelData, mentions in entities), posted to the real
server's /api/messages with authentication off (recipe A); replies read from what the fake
connector was sent."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.admission import Admission
from bot.channels.teams_activities import key_for
from bot.model import Actor, Trigger
from bot.store import transaction
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
        choice = await h.next_post(1)
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
        refused = await h.next_post(2)
        assert refused.text == "Please pick one of: Act now, Watch it, Ignore it (a number or a word)."
        await h.send(submit(h.url, ALICE, choice, {}))
        empty = await h.next_post(3)
        assert empty.text == "Please give an answer (or say 'help')."
        await h.settle()
        assert [u.activity_id for u in h.fake.of("update")] == [ack.answer_id]  # the choice card is still open
        await h.send(submit(h.url, ALICE, choice, {"answer": "watch"}))
        plan = await h.next_post(4)
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
        note = await h.next_post(5)
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
        assert h.db("SELECT count(*) FROM messages WHERE direction = 'in'") == [(2,)]
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
        assert status.text == "Run #1 post_meeting 'Launch review': active, at decision; waiting for Alice Example."
        await h.send(in_channel(h.url, BOB, "hello there"))  # not in the run's thread: a command or nothing
        unknown = await h.next_post(3)
        assert unknown.text.startswith("I don't know 'hello'. Commands: start FLOW")
        # a channel message that does not mention the bot is not for it
        quiet = in_channel(h.url, BOB, "lunch?")
        quiet["text"], quiet["entities"] = "lunch?", []
        await h.send(quiet)
        # Bob may not cancel Alice's run: he is told in a personal chat
        await h.send(in_channel(h.url, BOB, "cancel 1"))
        refused = await h.next_post(4)
        assert refused.conversation == "a:chat-with-29:1bob"
        assert refused.text == "Only the facilitator (Alice Example) can cancel the run."
        await h.send(in_channel(h.url, ALICE, "cancel #1"))
        done = await h.next_post(5)
        assert done.conversation == f"{CHANNEL};messageid={first.answer_id}"
        assert done.text == "Run cancelled by Alice Example. The transcript is kept."
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
        assert unknown.text == "No run 99 here. Say 'list' for the open runs of this conversation."
        assert hidden.text == "No run 1 here. Say 'list' for the open runs of this conversation."
        await h.send(personal(h.url, ALICE, "status 1"))  # its facilitator, anywhere
        told = await h.next_post(3)
        assert told.text.startswith("Run #1 post_meeting 'Acquisition of Initech': active, at decision; waiting for")


async def test_a_triggered_run_posts_into_a_channel_after_a_restart(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE,)))
        await h.restart()  # the reference comes back from SQLite, not from memory
        assert h.channel.store._refs == {}
        trigger = Trigger(
            flow="post_meeting",
            source="alertmanager",
            title="Disk full",
            facilitator=Actor("teams:29:1alice", "Alice Example"),
        )
        h.services.dispatcher.start(trigger, key_for(CHANNEL))
        h.services.notify("teams")
        first = await h.next_post(0)
        assert first.method == "create" and first.body["channelData"]["channel"] == {"id": CHANNEL}
        assert first.body["bot"]["id"] == "28:11111111-2222-3333-4444-555555555555"
        assert card_text(first.card) == "<at>Alice Example</at> What was decided in Disk full?"
        # the thread's replies find the run
        await h.send(in_channel(h.url, ALICE, "Add a disk", root=first.answer_id))
        second = await h.next_post(1)
        assert second.conversation == f"{CHANNEL};messageid={first.answer_id}"
        assert h.db("SELECT raw FROM answers") == [("Add a disk",)]
        # a facilitator given by bare id (decisionbot trigger -f 29:1alice) is mentioned by her name
        bare = Trigger(flow="post_meeting", title="Disk full again", facilitator=Actor("teams:29:1alice", "29:1alice"))
        h.services.dispatcher.start(bare, key_for(CHANNEL))
        h.services.notify("teams")
        third = await h.next_post(2)
        assert card_text(third.card) == "<at>Alice Example</at> What was decided in Disk full again?"
        assert third.card["msteams"]["entities"][0]["text"] == "<at>Alice Example</at>"


async def test_a_429_is_retried_no_sooner_than_its_retry_after(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        h.fake.refusals = [(429, "3")]  # longer than the outbox's first backoff (0.5 to 1.25 s)
        await h.send(personal(h.url, ALICE, "start post_meeting Weekly sync"))
        card = await h.next_post(1)  # the refused try, then the card
        refused, retried = h.fake.calls
        assert retried is card and (refused.method, refused.conversation) == (card.method, card.conversation)
        assert card.at - refused.at >= 2.95, card.at - refused.at
        await h.settle()  # the card reached the fake; its delivery is marked just after
        assert h.db("SELECT attempts, last_error LIKE 'retry: HTTP 429%' FROM messages WHERE direction = 'out'") == [
            (2, 1)
        ]


async def test_refused_deliveries_are_retried_in_order_or_given_up(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        h.fake.refusals = [(429, "0"), (503, None)]
        await h.send(personal(h.url, ALICE, "start post_meeting Weekly sync"))
        first = await h.next_post(2)  # two refused tries, then the card
        assert [c.method for c in h.fake.calls] == ["send", "send", "send"]
        assert card_text(first.card) == "What was decided in Weekly sync?"
        await h.settle()
        assert h.db(
            "SELECT attempts, last_error LIKE 'retry: HTTP 503%', platform_id FROM messages WHERE direction = 'out'"
        ) == [(3, 1, first.answer_id)]
        # a conversation the bot was never in: refused for good, and nothing else is held up
        h.fake.refusals = [(403, None)]
        await h.send(personal(h.url, BOB, "start post_meeting Other"))
        await wait_for(lambda: len(h.fake.calls) >= 4)
        await h.settle()
        assert h.db("SELECT attempts, substr(last_error, 1, 21) FROM messages WHERE failed_at IS NOT NULL") == [
            (1, "failed: HTTP 403 POST")
        ]
        # its facilitator is told directly (here the same personal chat, which takes this one)
        assert h.db("SELECT actor_id, private, delivered_at IS NOT NULL FROM messages WHERE kind = 'notice'") == [
            ("teams:29:1bob", 1, 1)
        ]
        h.services.dispatcher.start(Trigger(flow="post_meeting", title="x"), key_for("19:never-seen@thread.v2"))
        h.services.notify("teams")
        await h.settle()
        errors = h.db("SELECT last_error FROM messages WHERE conversation = 'teams:19:never-seen@thread.v2'")
        assert errors == [
            (
                "failed: No stored Teams conversation '19:never-seen@thread.v2': install the app there, or say something to the bot there first.",
            )
        ]


async def test_invokes_are_answered_not_failed(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(personal(h.url, ALICE, "start post_meeting Weekly sync"))
        card = await h.next_post(0)
        execute = submit(h.url, ALICE, card, {})
        execute.update(type="invoke", name="adaptiveCard/action")
        execute["value"] = {
            "action": {
                "type": "Action.Execute",
                "verb": "answer",
                "data": {**card.card["actions"][0]["data"], "answer": "We ship"},
            },
            "trigger": "manual",
        }
        resp = await h.post(execute)
        assert resp.status == 200
        assert await resp.json() == {
            "statusCode": 200,
            "type": "application/vnd.microsoft.activity.message",
            "value": "Got it.",
        }
        await h.next_post(1)
        assert h.db("SELECT raw FROM answers") == [("We ship",)]
        other = dict(execute, id="other-1", name="composeExtension/query")
        resp = await h.post(other)
        assert (
            resp.status == 501
            and (await resp.json())["error"] == "This bot does not handle 'composeExtension/query' invokes."
        )


async def test_malformed_requests_get_a_clear_error_and_store_nothing(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        assert h.client is not None
        resp = await h.client.post("/api/messages", data=b"hello", headers={"Content-Type": "text/plain"})
        assert (
            resp.status == 415
            and (await resp.json())["error"] == "Not a usable activity: Content-Type must be application/json."
        )
        resp = await h.client.post("/api/messages", data=b"{nope", headers={"Content-Type": "application/json"})
        assert resp.status == 400 and (await resp.json())["error"].startswith(
            "Not a usable activity: the body is not JSON"
        )
        resp = await h.post({"text": "no type"})
        assert (
            resp.status == 400
            and (await resp.json())["error"] == "Not a usable activity: it is not an object with a type."
        )
        no_conversation = personal(h.url, ALICE, "start post_meeting")
        del no_conversation["conversation"]
        resp = await h.post(no_conversation)
        assert (
            resp.status == 400 and (await resp.json())["error"] == "Not a usable activity: conversation.id is missing."
        )
        assert h.db("SELECT count(*) FROM teams_conversations") == [(0,)]
        assert h.db("SELECT count(*) FROM runs") == [(0,)]


async def test_dates_are_read_in_the_time_zone_the_teams_client_reports(tmp_path: Path) -> None:
    zone = "Pacific/Kiritimati"  # UTC+14: its today is not UTC's for 14 hours a day
    async with Harness(tmp_path) as h:
        for n, text in enumerate(["start post_meeting Weekly sync", "We ship", "Draft the plan", "me", "today"]):
            body = personal(h.url, ALICE, text)
            body["localTimezone"] = zone
            await h.send(body)
            await h.next_post(n)
        await h.settle()
        today = datetime.now(ZoneInfo(zone)).date().isoformat()
        assert h.db("SELECT value FROM answers WHERE field = 'due'") == [(json.dumps(today),)]
        assert h.db("SELECT tz FROM teams_users WHERE user_id = '29:1alice'") == [(zone,)]


async def test_a_question_answered_before_its_card_got_out_is_shown_answered(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        h.fake.refusals = [(503, None)]  # the first card is held back for a retry ...
        await h.send(personal(h.url, ALICE, "start post_meeting Weekly sync"))
        await wait_for(lambda: len(h.fake.calls) == 1)
        await h.send(personal(h.url, ALICE, "We ship in March"))  # ... and answered meanwhile
        await h.settle()
        first, second = h.fake.posts()[1:3]
        assert card_text(first.card) == "What was decided in Weekly sync?"
        # it goes out answered: one call, not a post then an update
        assert first.card["body"][-1]["text"] == "Alice Example answered: We ship in March"
        assert first.card["actions"] == [] and not [b for b in first.card["body"] if "id" in b]
        assert card_text(second.card) == "Action 1: What is the action?"
        assert h.fake.of("update") == []
        assert h.db("SELECT count(answered_at) FROM teams_cards") == [(1,)]


async def test_a_card_left_behind_by_back_is_no_longer_open(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(personal(h.url, ALICE, "start post_meeting Weekly sync"))
        await h.next_post(0)
        await h.send(personal(h.url, ALICE, "We ship in March"))
        what = await h.next_post(1)
        await h.send(personal(h.url, ALICE, "back"))
        again = await h.next_post(2)
        assert card_text(again.card).startswith("What was decided in Weekly sync?")
        await h.send(submit(h.url, ALICE, what, {"answer": "Draft the plan"}))  # the older card
        note = await h.next_post(3)
        assert note.text == "That card is no longer open. Type your answer instead, or say 'help'."
        assert h.db("SELECT step, raw FROM answers") == [("decision", "We ship in March")]
        await h.send(submit(h.url, ALICE, again, {"say": "ok"}))
        await h.next_post(4)
        assert h.db("SELECT step, kind FROM answers ORDER BY id") == [("decision", "answer"), ("decision", "kept")]


async def test_a_card_of_a_question_the_run_moved_past_answers_nothing_even_before_its_successor_is_sent(
    tmp_path: Path,
) -> None:
    async with Harness(tmp_path) as h:
        await h.send(personal(h.url, ALICE, "start post_meeting Weekly sync"))
        await h.next_post(0)
        await h.send(personal(h.url, ALICE, "We ship in March"))
        what = await h.next_post(1)  # "Action 1: What is the action?"
        await h.settle()
        h.fake.refusals = [(503, "5")]
        await h.send(personal(h.url, ALICE, "back"))  # asks the decision again; its card waits in the outbox
        await wait_for(lambda: len(h.fake.calls) == 3)
        await h.send(submit(h.url, ALICE, what, {"answer": "Draft the plan"}))  # the older card
        await wait_for(lambda: any("no longer open" in (c.text or "") for c in h.fake.calls))
        assert h.db("SELECT step, raw FROM answers ORDER BY id") == [("decision", "We ship in March")]


def _routed(trigger: Trigger) -> Trigger:
    trigger.conversation = key_for(CHANNEL)
    return trigger


async def test_the_first_card_of_a_claimed_run_is_closed_once_answered_and_cannot_answer_again(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        trigger = _routed(Trigger(flow="post_meeting", source="alertmanager", title="Disk full"))  # no facilitator
        h.services.dispatcher.admit([Admission(trigger)])
        h.services.notify("teams")
        first = await h.next_post(0)  # to the placeholder facilitator: whoever answers first takes the role
        await h.send(submit(h.url, ALICE, first, {"answer": "Add a disk"}))
        second = await h.next_post(1)
        assert "Action 1: What is the action?" in card_text(second.card)
        await h.settle()
        assert h.db("SELECT answered_at IS NOT NULL FROM teams_cards WHERE activity_id = ?", first.answer_id) == [(1,)]
        updates = [c for c in h.fake.of("update") if c.activity_id == first.answer_id]
        assert updates  # the card shows its answer, without its inputs
        await h.send(submit(h.url, ALICE, first, {"answer": "Buy a bigger disk"}))  # the same card again
        await h.settle()
        assert h.db("SELECT step, field, raw FROM answers ORDER BY id") == [("decision", None, "Add a disk")]


async def test_a_file_or_picture_alone_answers_nothing(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(personal(h.url, ALICE, "start post_meeting Weekly sync"))
        await h.next_post(0)
        picture = personal(h.url, ALICE, "")
        picture["attachments"] = [{"contentType": "image/png", "contentUrl": "https://example.com/screenshot.png"}]
        await h.send(picture)
        said = await h.next_post(1)
        assert "a file or picture alone answers nothing" in (said.text or "")
        assert h.db("SELECT count(*) FROM answers") == [(0,)]
        assert h.db("SELECT state FROM runs") == [("decision",)]


async def test_the_same_activity_id_in_two_conversations_is_two_deliveries(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        a = personal(h.url, ALICE, "start post_meeting Weekly sync")
        b = personal(h.url, BOB, "start post_meeting Other sync")
        b["id"] = a["id"]  # two chats, the same millisecond
        await h.send(a)
        await h.send(b)
        await h.next_post(1)
        assert h.db("SELECT count(*) FROM runs") == [(2,)]
        await h.send(b)  # a real repeat is still dropped
        await h.settle()
        assert h.db("SELECT count(*) FROM runs") == [(2,)]


async def test_an_answer_to_a_command_refused_for_now_is_sent_again(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        h.fake.refusals = [(429, "0"), (503, "0")]
        await h.send(personal(h.url, ALICE, "list"))  # answered off the request, once it is stored
        await wait_for(lambda: len(h.fake.calls) == 3)  # refused twice, then taken
        assert [c.method for c in h.fake.calls] == ["reply", "reply", "reply"]
        assert h.fake.calls[2].text.startswith("No open decision runs here")


async def test_a_card_update_refused_for_now_is_made_again(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(personal(h.url, ALICE, "start post_meeting Weekly sync"))
        first = await h.next_post(0)
        await h.settle()
        h.fake.refusals_of["update"] = [(429, "0"), (503, "0")]  # the answered card's update, twice
        await h.send(personal(h.url, ALICE, "We ship in March"))
        await h.next_post(1)
        await wait_for(lambda: len(h.fake.of("update")) == 3)  # refused twice, then taken
        update = h.fake.of("update")[-1]
        assert update.activity_id == first.answer_id
        assert update.card["body"][-1]["text"] == "Alice Example answered: We ship in March"


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


async def test_a_card_for_someone_else_answers_nothing_and_stays_open_for_them(tmp_path: Path) -> None:
    async with Harness(tmp_path, flows=with_vote(tmp_path)) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB, CAROL)))
        await h.send(in_channel(h.url, ALICE, f"start vote {at(BOB)} {at(CAROL)} Plan", BOB, CAROL))
        cards = [await h.next_post(0), await h.next_post(1)]
        await h.settle()
        to = {c.card["msteams"]["entities"][0]["mentioned"]["id"]: c for c in cards}
        bobs, carols = to[BOB["id"]], to[CAROL["id"]]
        await h.send(submit(h.url, CAROL, bobs, {"answer": "yes"}))  # Carol clicks Bob's card by mistake
        await wait_for(lambda: any("asks someone else" in (c.text or "") for c in h.fake.calls))
        assert h.db("SELECT count(*) FROM answers") == [(0,)]
        await h.send(submit(h.url, BOB, bobs, {"answer": "no"}))  # Bob's card still takes his answer
        await h.send(submit(h.url, CAROL, carols, {"answer": "yes"}))
        await h.settle()
        assert sorted(h.db("SELECT actor_id, value FROM answers")) == [
            ("teams:29:1bob", "false"),
            ("teams:29:1carol", "true"),
        ]


async def test_a_retry_of_an_activity_recorded_before_the_conversation_keyed_ids_is_still_dropped(
    tmp_path: Path,
) -> None:
    async with Harness(tmp_path) as h:
        start = personal(h.url, ALICE, "start post_meeting Weekly sync")
        with transaction(h.services.db) as conn:  # what a ledger of the previous version holds: the bare id
            conn.execute(
                "INSERT INTO deliveries (platform, delivery_id, received_at) VALUES ('teams', ?, '2026-11-27')",
                (start["id"],),
            )
        await h.send(start)
        await h.settle()
        assert h.db("SELECT count(*) FROM runs") == [(0,)] and h.fake.calls == []
