"""A reply the outbox gives up for good is told to the run's facilitator (bot.notices), with real
botbuilder against the fake Bot Connector refusing on demand: an owner the bot cannot open a
personal chat with is named in the run's thread; a thread that refuses the bot is told to the
facilitator in a personal chat."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from tests.fakes.bot_connector import Call
from tests.teams_support import (
    ALICE,
    BOB,
    CAROL,
    CHANNEL,
    Harness,
    at,
    in_channel,
    installed,
    personal,
    submit,
    wait_for,
)


async def up_to_the_last_action(h: Harness) -> tuple[str, Call]:
    """post_meeting in a channel, up to "Action 2" (whose "done" asks Bob to confirm, in a
    personal chat): the thread's root and that question's card."""
    due = (date.today() + timedelta(days=30)).isoformat()
    await h.send(installed(h.url, "channel", (ALICE, BOB)))
    await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
    root = str((await h.next_post(0)).answer_id)
    await h.send(in_channel(h.url, ALICE, "We move the launch to March", root=root))
    await h.next_post(1)
    await h.send(in_channel(h.url, ALICE, "Draft the plan", root=root))
    owner = await h.next_post(2)
    await h.send(submit(h.url, ALICE, owner, {"answer": "29:1bob"}))
    when = await h.next_post(3)
    await h.send(submit(h.url, ALICE, when, {"answer": due}))
    return root, await h.next_post(4)


async def test_an_owner_without_a_personal_chat_is_named_to_the_facilitator_in_the_thread(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        root, more = await up_to_the_last_action(h)
        h.fake.refuse("create", 403)  # Bob's personal chat cannot be created: the app is not installed for him
        await h.send(submit(h.url, ALICE, more, {"say": "done"}))
        told = await h.next_post(5)
        assert told.conversation == f"{CHANNEL};messageid={root}"
        assert told.text.startswith(
            "<at>Alice Example</at> I could not reach Bob Builder: the app is not installed for them in Teams,"
            " or is blocked (HTTP 403). They have not seen: \"Alice Example assigned you an action from 'Weekly"
            " sync': 'Draft the plan'"
        )
        assert told.text.endswith(
            "What you can do: Bob Builder can answer here instead; or give their part to someone else by"
            " correcting the answer that named them (for example 'change owner of action 1 to @someone'); or"
            " say 'cancel' to end the run."
        )
        await h.settle()
        gone = h.db("SELECT actor_id, substr(last_error, 1, 22) FROM messages WHERE failed_at IS NOT NULL")
        assert gone == [("teams:29:1bob", "failed: HTTP 403 POST ")]
        assert h.db("SELECT actor_id, private FROM messages WHERE kind = 'notice'") == [("teams:29:1alice", 0)]


async def test_the_notice_goes_to_the_runs_thread_even_to_a_facilitator_writing_in_her_personal_chat(
    tmp_path: Path,
) -> None:
    async with Harness(tmp_path) as h:
        root, _ = await up_to_the_last_action(h)
        h.fake.refuse("create", 404)  # Bob left the organisation
        await h.send(personal(h.url, ALICE, "done"))  # Alice answers from her personal chat with the bot
        told = await h.next_post(5)
        assert told.conversation == f"{CHANNEL};messageid={root}"
        assert told.text.startswith(
            "<at>Alice Example</at> I could not reach Bob Builder: Teams does not know them, perhaps they left"
            " the organisation (HTTP 404)."
        )


async def test_a_thread_that_refuses_the_bot_is_told_to_the_facilitator_in_a_personal_chat(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        root = str((await h.next_post(0)).answer_id)
        h.fake.refuse("send", 403)  # the bot was removed from the team: its next post in the thread is refused
        await h.send(in_channel(h.url, ALICE, "We move the launch to March", root=root))
        await wait_for(lambda: bool(h.db("SELECT 1 FROM messages WHERE kind = 'notice' AND delivered_at IS NOT NULL")))
        told = h.fake.posts()[-1]
        assert told.conversation == "a:chat-with-29:1alice"
        assert told.text == (
            "Run #1 ('Weekly sync') cannot post in its conversation, teams:19:general-a@thread.tacv2: the bot is no longer allowed in the"
            " conversation, perhaps removed from the team or chat (HTTP 403). Nobody there has seen its question:"
            ' "Action 1: What is the action?". You can answer it here, in this chat. Add the bot back to that'
            " conversation and the run goes on there (its next reminder asks again); or end the run with the"
            " bot's command 'cancel 1'."
        )
        assert h.db("SELECT actor_id, private FROM messages WHERE kind = 'notice'") == [("teams:29:1alice", 1)]
        await h.send(personal(h.url, ALICE, "Draft the plan"))  # as the notice says: she answers there
        assert h.db("SELECT step, raw FROM answers WHERE raw = 'Draft the plan'") == [("actions", "Draft the plan")]


NOTICED = "SELECT 1 FROM messages WHERE kind = 'notice' AND delivered_at IS NOT NULL"


async def test_a_message_refused_itself_is_told_in_the_thread_that_still_takes_the_bot(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        root = str((await h.next_post(0)).answer_id)
        h.fake.refuse("send", 400)  # Teams refuses this one question as malformed; the bot is still in the team
        await h.send(in_channel(h.url, ALICE, "We move the launch to March", root=root))
        await wait_for(lambda: bool(h.db(NOTICED)))
        [told] = [p for p in h.fake.posts() if "was refused" in (p.text or "")]
        assert told.conversation == f"{CHANNEL};messageid={root}"
        assert told.text == (
            "<at>Alice Example</at> A message of this run to you was refused: Teams refused the message as"
            ' malformed (HTTP 400). You have not seen: "Action 1: What is the action?". You can answer it here'
            " all the same."
        )
        assert h.db("SELECT actor_id, private FROM messages WHERE kind = 'notice'") == [("teams:29:1alice", 0)]
        assert not [c for c in h.fake.of("create") if not c.activity]  # no personal chat: nothing said there
        n = len(h.fake.posts())
        await h.send(in_channel(h.url, ALICE, "Draft the plan", root=root))  # as it says: answered here
        owner = await h.next_post(n)  # the next question (a people picker): the run went on
        assert owner.card is not None and owner.conversation == f"{CHANNEL};messageid={root}"
        assert h.db("SELECT text FROM messages WHERE direction = 'in' AND kind = 'answer' ORDER BY id")[-1] == (
            "Draft the plan",
        )


async def test_a_message_refused_in_a_working_personal_chat_does_not_blame_the_person(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        root, more = await up_to_the_last_action(h)
        h.fake.refuse("send", 400)  # Bob's personal chat is created; Teams refuses the question in it
        await h.send(submit(h.url, ALICE, more, {"say": "done"}))
        await wait_for(lambda: bool(h.db(NOTICED)))
        [told] = [p for p in h.fake.posts() if "could not reach" in (p.text or "")]
        assert told.conversation == f"{CHANNEL};messageid={root}"
        assert told.text.startswith(
            "<at>Alice Example</at> I could not reach Bob Builder: Teams refused the message as malformed"
            " (HTTP 400). They have not seen:"
        )
        assert told.text.endswith("or say 'cancel' to end the run.")


async def test_the_end_of_a_run_its_conversation_refuses_is_told_even_just_after_its_question_was(
    tmp_path: Path,
) -> None:
    """The bot removed from the team while Bob's confirmation waits: Alice is told of the review
    question nobody saw and answers it in her personal chat, as the notice says. The summary is
    refused in turn; before, a notice about the same conversation within the hour was swallowed,
    and Alice never learnt whether anything was recorded."""
    async with Harness(tmp_path) as h:
        root, more = await up_to_the_last_action(h)
        await h.send(submit(h.url, ALICE, more, {"say": "done"}))
        await h.next_post(5)  # Bob's "Do you accept it?", in his personal chat
        h.fake.refused_in[f"{CHANNEL};messageid={root}"] = 403  # the bot removed from the team
        await h.send(personal(h.url, BOB, "yes"))
        await wait_for(lambda: bool(h.db(NOTICED)))
        asked = h.fake.posts()[-1]
        assert asked.conversation == "a:chat-with-29:1alice" and "You can answer it here" in asked.text
        await h.send(personal(h.url, ALICE, "ok"))  # the review date, answered where the notice is
        await wait_for(lambda: len(h.db(NOTICED)) == 2)
        ended = h.fake.posts()[-1]
        assert ended.conversation == "a:chat-with-29:1alice"
        assert ended.text == (
            "Run #1 ('Weekly sync') cannot post in its conversation, teams:19:general-a@thread.tacv2: the bot is no longer allowed in the"
            ' conversation, perhaps removed from the team or chat (HTTP 403). Nobody there has seen: "Decision'
            " recorded: Weekly sync\". The run has ended, so nothing more is posted there; 'status 1' shows its"
            " record."
        )
        assert h.db("SELECT status FROM runs") == [("completed",)]


async def test_a_bystander_the_bot_cannot_write_to_alone_is_told_in_the_thread_and_no_news_for_the_facilitator(
    tmp_path: Path,
) -> None:
    """Carol, asked nothing by the run, types in its thread; the bot tells her that the question
    is Alice's. Before, Alice was told in the thread that Carol could not be reached and had not
    seen 'This question is for Alice Example'; then the note went to a personal chat opened for it,
    out of context. It is said in the thread, @mentioning her, whether or not she has a personal chat."""
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB, CAROL)))
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        root = str((await h.next_post(0)).answer_id)
        h.fake.refuse("create", 403)  # no personal chat with Carol
        await h.send(in_channel(h.url, CAROL, "I think we decided to ship", root=root))
        await h.next_post(1)
        await h.settle()
        assert h.db("SELECT count(*) FROM messages WHERE failed_at IS NOT NULL") == [(0,)]
        assert h.db("SELECT count(*) FROM messages WHERE kind = 'notice'") == [(0,)]
        told = h.fake.posts()[1]
        assert told.conversation == f"{CHANNEL};messageid={root}" and told.text.startswith(
            f"{at(CAROL)} This question is for Alice"
        )
        assert h.fake.of("create") == [h.fake.calls[0]]  # the run's thread only
