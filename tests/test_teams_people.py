"""What people new to the bot say in Teams, in a personal chat and a channel thread: a nod where
nothing waits, a question handed over, a list typed at once."""

from __future__ import annotations

from pathlib import Path

from tests.teams_support import ALICE, BOB, Harness, installed, personal


async def test_a_nod_where_nothing_waits_is_taken_as_one(tmp_path: Path) -> None:
    """👍 (or 'ok', 'got it') typed in the personal chat after a run was told "I don't know '👍'",
    then every command; it is a nod, and is answered as one."""
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ALICE, BOB)))
        for text in ["👍", "👍🏽", "🙏 ", "ok", "Got it!"]:
            n = len(h.fake.posts())
            await h.send(personal(h.url, ALICE, text))
            told = await h.next_post(n)
            assert told.text == "Noted: nothing here waits on your answer. Say 'help' for what I can do.", text
        n = len(h.fake.posts())
        await h.send(personal(h.url, ALICE, "staus 3"))  # a slip of a command is still one
        assert (await h.next_post(n)).text.startswith("I don't know 'staus'. Did you mean 'status 3'?")
