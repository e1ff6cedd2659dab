"""A question fanned out to approvers on Teams (cards in their personal chats): a card whose
question another's answer closed (``complete_when: any``) says why when it is used, in the
engine's words."""

from __future__ import annotations

from pathlib import Path

from tests.engine.test_fan_out_terms import VENDOR
from tests.teams_support import ALICE, BOB, CAROL, Harness, at, in_channel, installed, personal, submit, wait_for

CLOSED = "That question closed: Carol Chen answered first (no). Nothing waits on you in this run now."


def vendor_flows(tmp_path: Path) -> Path:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "vendor.yaml").write_text(VENDOR.replace("WHEN", "any"))
    return flows


async def ask_bob_and_carol(h: Harness) -> None:
    """Alice starts the vendor flow in a channel; its approval goes to Bob and Carol, each asked
    in their personal chat."""
    await h.send(installed(h.url, "channel", (ALICE, BOB, CAROL)))
    await h.send(in_channel(h.url, ALICE, "start vendor Acme"))
    root = (await h.next_post(0)).answer_id
    for text, people in (("Acme", ()), ("5000", ()), (at(BOB), (BOB,)), (at(CAROL), (CAROL,)), ("done", ())):
        await h.send(in_channel(h.url, ALICE, text, *people, root=root))
    await wait_for(lambda: len([c for c in h.fake.posts() if c.conversation.startswith("a:chat-with")]) == 2)


async def test_a_card_another_answer_closed_says_why(tmp_path: Path) -> None:
    async with Harness(tmp_path, flows=vendor_flows(tmp_path)) as h:
        await ask_bob_and_carol(h)
        bobs = next(c for c in h.fake.posts() if c.conversation == f"a:chat-with-{BOB['id']}")
        await h.send(personal(h.url, CAROL, "no"))  # the step closes on Carol's answer
        await h.settle()
        await h.send(submit(h.url, BOB, bobs, {"answer": "yes"}))  # Bob's card, used late
        await wait_for(lambda: any(c.text == CLOSED for c in h.fake.posts()))
        assert h.db("SELECT actor_id, value FROM answers WHERE step = 'approve'") == [("teams:29:1carol", "false")]


async def test_a_late_yes_typed_in_a_personal_chat_says_why_the_question_closed(tmp_path: Path) -> None:
    async with Harness(tmp_path, flows=vendor_flows(tmp_path)) as h:
        await ask_bob_and_carol(h)
        await h.send(personal(h.url, CAROL, "no"))
        await h.settle()
        await h.send(personal(h.url, BOB, "yes"))  # typed late: nothing waits on him now
        await wait_for(lambda: any(c.text == CLOSED for c in h.fake.posts()))
        told = [c.conversation for c in h.fake.posts() if c.text == CLOSED]
        assert told == [f"a:chat-with-{BOB['id']}"]  # why, not that 'yes' is no command
        assert h.db("SELECT actor_id, value FROM answers WHERE step = 'approve'") == [("teams:29:1carol", "false")]
