"""An owner picked with a card's people picker in the facilitator's personal chat is asked to
accept their action in their own personal chat (before: the picker's member lookup recorded the
facilitator's chat as theirs, so "Do you accept it?" went to the facilitator). The real server
against the fake Bot Connector."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.bot_connector import Call
from tests.teams_support import ALICE, CAROL, Harness, personal, submit


async def up_to_the_owner(h: Harness) -> Call:
    """Alice's post_meeting in her personal chat up to its owner question's card (Carol a member
    the connector describes); that card."""
    h.fake.members[CAROL["aadObjectId"]] = {**CAROL, "userPrincipalName": "carol@example.com"}
    await h.send(personal(h.url, ALICE, "start post_meeting Weekly sync"))
    await h.next_post(0)
    await h.send(personal(h.url, ALICE, "We ship in March"))
    await h.next_post(1)
    await h.send(personal(h.url, ALICE, "Draft the plan"))
    return await h.next_post(2)


async def test_an_owner_picked_in_a_personal_chat_is_asked_in_their_own(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        owner = await up_to_the_owner(h)
        await h.send(submit(h.url, ALICE, owner, {"answer": CAROL["aadObjectId"]}))  # the people picker
        await h.next_post(3)
        await h.send(personal(h.url, ALICE, "2099-01-15"))
        await h.next_post(4)
        await h.send(personal(h.url, ALICE, "done"))
        asked = await h.next_post(5)
        assert h.db("SELECT actor_id FROM messages WHERE direction = 'out' AND step = 'owner_accepts'") == [
            ("teams:29:1carol",)
        ]
        assert asked.conversation == f"a:chat-with-{CAROL['id']}", asked.conversation


async def test_a_member_lookup_refused_for_now_is_asked_again_not_blamed_on_the_picker(tmp_path: Path) -> None:
    """Teams answered the lookup of the person picked 429 (or a 5xx) once: the picker was told
    "I don't know '00000000-...'", the submit counted as one of their three misses. Now the
    lookup is asked again after the wait Teams names, and the pick is taken."""
    async with Harness(tmp_path) as h:
        owner = await up_to_the_owner(h)
        h.fake.refuse("member", 503)
        await h.send(submit(h.url, ALICE, owner, {"answer": CAROL["aadObjectId"]}))
        await h.next_post(3)
        assert [c.method for c in h.fake.calls if c.method == "member"] == ["member", "member"]
        assert h.db("SELECT kind, text FROM messages WHERE direction = 'in' ORDER BY id DESC LIMIT 1") == [
            ("answer", "@Carol_Chen")
        ]
