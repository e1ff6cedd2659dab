"""What a person typing to a run that has ended, or to a run that asks them nothing, is told, and
where. Before: an owner whose question was cancelled typed 'yes' in his personal chat and got
"I don't know 'yes'. Commands: ..."; the facilitator's 'yes' typed in the run's thread after the
cancel, and a bystander's answer typed there, were answered in a personal chat the bot opened for
it, out of context ("This run is cancelled; ...", "This question is for Alice Example. ...")."""

from __future__ import annotations

from pathlib import Path

from tests import dates
from tests.fakes.bot_connector import Call
from tests.teams_support import ALICE, BOB, CAROL, CHANNEL, Harness, at, in_channel, installed, personal, submit

CANCELLED = "Run #1 ('Weekly sync') was cancelled before you answered: nothing waits for your answer now."


async def owner_asked(h: Harness) -> tuple[str, Call]:
    """post_meeting in the channel up to Bob's question in his personal chat: (the thread's root, the card)."""
    await h.send(installed(h.url, "channel", (ALICE, BOB, CAROL)))
    await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
    root = str((await h.next_post(0)).answer_id)
    for n, typed in enumerate(["We ship in March", "Draft the plan", at(BOB), dates.JAN15], start=1):
        await h.send(in_channel(h.url, ALICE, typed, *((BOB,) if typed == at(BOB) else ()), root=root))
        more = await h.next_post(n)
    await h.send(submit(h.url, ALICE, more, {"say": "done"}))
    confirm = await h.next_post(5)
    assert confirm.conversation == "a:chat-with-29:1bob"
    await h.settle()
    return root, confirm


def said_since(h: Harness, n: int) -> list[tuple[str | None, str]]:
    return [(c.conversation, c.text) for c in h.fake.posts()[n:]]


async def test_an_owners_yes_after_the_run_was_cancelled_is_told_the_run_was_cancelled(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        root, _ = await owner_asked(h)
        await h.send(in_channel(h.url, ALICE, "cancel 1", root=root))
        await h.settle()
        n = len(h.fake.posts())
        await h.send(personal(h.url, BOB, "yes"))
        await h.settle()
        assert said_since(h, n) == [("a:chat-with-29:1bob", CANCELLED)]


async def test_what_is_said_to_one_person_in_the_thread_is_answered_there_naming_the_run(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB, CAROL)))
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        root = str((await h.next_post(0)).answer_id)
        thread = f"{CHANNEL};messageid={root}"
        await h.settle()
        n = len(h.fake.posts())
        await h.send(in_channel(h.url, CAROL, "We ship in April", root=root))
        await h.settle()
        await h.send(in_channel(h.url, CAROL, "cancel", root=root))
        await h.settle()
        await h.send(in_channel(h.url, ALICE, "cancel 1", root=root))
        await h.settle()
        await h.send(in_channel(h.url, ALICE, "yes", root=root))
        await h.settle()
        assert said_since(h, n) == [
            (
                thread,
                f"{at(CAROL)} This question is for Alice Example. Your message was noted but not taken as an answer.",
            ),
            (thread, f"{at(CAROL)} Only the facilitator (Alice Example) can cancel the run."),
            (thread, "Run cancelled by Alice Example. The transcript is kept."),
            (
                thread,
                f"{at(ALICE)} Run #1 ('Weekly sync') was cancelled; nothing more to answer. Start a new one to decide again.",
            ),
        ]
        assert h.db("SELECT count(*) FROM teams_conversations WHERE conversation_type = 'personal'") == [(0,)]


async def test_help_from_someone_the_run_asks_nothing_names_the_run_in_his_personal_chat(tmp_path: Path) -> None:
    """Bob's 'help' in the thread while the run asks him nothing is answered in his personal chat
    (for him alone); it said 'This run asks you nothing right now ...': which run, there?"""
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        await h.send(in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB))
        root = str((await h.next_post(0)).answer_id)
        await h.send(in_channel(h.url, BOB, "help", root=root))
        told = await h.next_post(1)
        assert told.conversation == "a:chat-with-29:1bob"
        assert told.text.startswith("Run #1 ('Weekly sync') asks you nothing right now. It waits for Alice Example")


async def test_words_typed_just_after_a_card_answer_are_told_the_run_has_the_answer(tmp_path: Path) -> None:
    """Bob clicks Yes on his card, then types 'yes, by Friday' as people do: he got "I don't know
    'yes,'. Commands: start FLOW ...", as if he had typed a command wrong."""
    async with Harness(tmp_path) as h:
        _, confirm = await owner_asked(h)
        await h.send(submit(h.url, BOB, confirm, {"answer": "yes"}))
        await h.settle()
        n = len(h.fake.posts())
        await h.send(personal(h.url, BOB, "yes, by Friday"))
        await h.settle()
        assert said_since(h, n) == [
            (
                "a:chat-with-29:1bob",
                "Run #1 ('Weekly sync') has your answer already: nothing waits for your answer now.",
            )
        ]
