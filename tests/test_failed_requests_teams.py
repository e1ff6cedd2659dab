"""A Teams activity whose handling fails part-way (after some of its writes were released into
the pass's group commit) leaves nothing of its own: not the turn, not the activity's delivery id.
It is answered 500, Teams sends it again, and that is carried out once. A command's answer goes
out only once what its request wrote is committed: never for one answered 503. The fault is a
function deep in the request raising once; the activities go to the real server."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.channels import teams_cards
from bot.channels.teams_store import TeamsStore
from tests.faults import Gate, Injected, fail_once
from tests.teams_support import ALICE, BOB, CAROL, Harness, personal, submit, wait_for

DECIDED = "SELECT count(*) FROM answers WHERE step = 'decision'"


async def test_an_answer_whose_request_fails_after_its_turn_is_not_kept_and_is_taken_when_sent_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with Harness(tmp_path) as h:
        await h.send(personal(h.url, ALICE, "start post_meeting Weekly sync"))
        await h.next_post(0)
        fail_once(monkeypatch, TeamsStore, "close_cards")  # after the turn's savepoint was released
        answer = personal(h.url, ALICE, "We ship in March")
        assert (await h.post(answer)).status == 500
        assert h.db(DECIDED) == [(0,)]
        assert h.db("SELECT count(*) FROM deliveries WHERE delivery_id LIKE ?", f"%{answer['id']}") == [(0,)]
        await h.send(answer)  # Teams sends it again
        assert h.db(DECIDED) == [(1,)]
        await h.next_post(1)
        await h.send(answer)  # a repeat of the stored turn is dropped
        await h.settle()
        assert h.db(DECIDED) == [(1,)]
        assert len(h.fake.posts()) == 2


async def test_a_command_whose_answer_fails_leaves_no_delivery_id_and_is_answered_when_sent_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with Harness(tmp_path) as h:
        fail_once(monkeypatch, teams_cards, "markdown")  # the command's savepoint is released by now
        listing = personal(h.url, ALICE, "list")
        assert (await h.post(listing)).status == 500
        assert h.db("SELECT count(*) FROM deliveries") == [(0,)]
        await h.send(listing)
        told = await h.next_post(0)
        assert told.text.startswith("No open decision runs here.")
        await h.send(listing)  # a repeat of the command answered is dropped
        await asyncio.sleep(0.2)
        assert len(h.fake.posts()) == 1


async def test_a_command_answered_503_with_a_failed_neighbour_is_told_only_when_sent_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Carol's 'list' shares its group commit with Alice's failing answer: the group is rolled back,
    Carol's request is answered 503 and her answer is not sent for it, but for its repeat."""
    async with Harness(tmp_path) as h:
        await h.send(personal(h.url, ALICE, "start post_meeting Weekly sync"))
        await h.next_post(0)
        await h.send(personal(h.url, CAROL, "hello"))  # Carol is known (no write of her own below)
        await h.next_post(1)
        gate = Gate(2)
        auth = h.channel.auth
        monkeypatch.setattr(auth, "authenticate_request", gate.around(auth.authenticate_request))
        fail_once(monkeypatch, TeamsStore, "close_cards")
        answer, listing = personal(h.url, ALICE, "We ship in March"), personal(h.url, CAROL, "list")
        failing = asyncio.ensure_future(h.post(answer))
        await wait_for(lambda: gate.arrived == 1)
        neighbour = await h.post(listing)
        assert ((await failing).status, neighbour.status) == (500, 503)
        await asyncio.sleep(0.3)
        assert len(h.fake.posts()) == 2  # nothing told for a request not stored
        assert h.db(DECIDED) == [(0,)]
        await h.send(listing)
        await h.send(answer)
        told = await h.next_post(2)
        assert told.conversation == "a:chat-with-29:1carol" and told.text.startswith("No open decision runs here.")
        await h.next_post(3)
        await h.settle()
        assert len(h.fake.posts()) == 4
        assert h.db(DECIDED) == [(1,)]


async def test_a_card_answered_in_a_request_answered_503_is_not_shown_answered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alice's card submit shares its group commit with Carol's failing 'list': the group is rolled
    back, Alice's submit is answered 503 and her card keeps its inputs until the submit comes again."""
    async with Harness(tmp_path) as h:
        await h.send(personal(h.url, ALICE, "start post_meeting Weekly sync"))
        await h.next_post(0)
        await h.send(personal(h.url, ALICE, "We ship in March"))
        card = await h.next_post(1)
        await h.send(personal(h.url, CAROL, "hello"))  # Carol is known (no write of her own below)
        await h.next_post(2)
        await h.settle()
        updates = len(h.fake.of("update"))
        gate = Gate(2)
        auth = h.channel.auth
        monkeypatch.setattr(auth, "authenticate_request", gate.around(auth.authenticate_request))
        fail_once(monkeypatch, teams_cards, "markdown")  # Carol's answer, after her command's savepoint
        answer, listing = submit(h.url, ALICE, card, {"answer": "Draft the plan"}), personal(h.url, CAROL, "list")
        failing = asyncio.ensure_future(h.post(listing))
        await wait_for(lambda: gate.arrived == 1)
        neighbour = await h.post(answer)
        assert ((await failing).status, neighbour.status) == (500, 503)
        await asyncio.sleep(0.3)
        assert len(h.fake.of("update")) == updates  # not shown answered: the answer is not stored
        assert h.db("SELECT count(*) FROM answers WHERE step = 'actions'") == [(0,)]
        await h.send(answer)
        await h.next_post(3)
        await h.settle()
        assert [u.activity_id for u in h.fake.of("update")[updates:]] == [card.answer_id]
        assert h.db("SELECT count(*) FROM answers WHERE step = 'actions'") == [(1,)]


async def test_a_card_the_outbox_posted_outlives_a_failing_request_in_its_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The outbox posts Alice's question card and writes it down (to take her submit) in the group
    Carol's 'help' opened and Bob's failing 'list' writes into: the group is rolled back, but the
    card is posted and marked delivered, so the ledger must keep it, or her submit would be
    refused as no longer open."""
    async with Harness(tmp_path) as h:
        for who in (CAROL, BOB, ALICE):  # all known: nothing of theirs to remember below
            await h.send(personal(h.url, who, "hello"))
        await wait_for(lambda: len(h.fake.posts()) == 3)
        await h.settle()
        # the outbox's post, Bob's request, Carol's request: then Carol's goes on first (and opens a
        # group commit), the outbox writes the card into it, Bob's writes into it and fails
        gate = Gate(3)
        auth, connector = h.channel.auth, h.channel.connector
        check, send = auth.authenticate_request, connector.send

        async def sent_then_held(url: str, conversation: str, activity: dict[str, Any]) -> Any:
            posted = await send(url, conversation, activity)
            if activity.get("attachments") and not gate.opened.is_set():  # Alice's card
                await gate.wait()
            return posted

        async def checked_then_held(activity: Any, header: Any) -> Any:
            claims = await check(activity, header)
            if not gate.opened.is_set():
                await gate.wait()
            return claims

        monkeypatch.setattr(connector, "send", sent_then_held)
        await h.send(personal(h.url, ALICE, "start post_meeting Weekly sync"))
        await wait_for(lambda: gate.arrived == 1)
        monkeypatch.setattr(auth, "authenticate_request", checked_then_held)
        markdown = teams_cards.markdown

        def failing_for_bob(text: str) -> str:  # Bob's answer, after his command's savepoint
            if text.startswith("No open decision runs"):
                raise Injected("injected fault in Bob's answer")
            return markdown(text)

        monkeypatch.setattr(teams_cards, "markdown", failing_for_bob)
        failing = asyncio.ensure_future(h.post(personal(h.url, BOB, "list")))
        await wait_for(lambda: gate.arrived == 2)
        neighbour = await h.post(personal(h.url, CAROL, "help"))
        assert ((await failing).status, neighbour.status) == (500, 503)
        assert "A request failed" in caplog.text  # the group holding the outbox's writes was rolled back
        monkeypatch.setattr(teams_cards, "markdown", markdown)
        card = await h.next_post(3)
        await h.settle()
        assert h.db("SELECT delivered_at IS NOT NULL FROM messages WHERE run_id = 1 AND direction = 'out'") == [(1,)]
        assert h.db("SELECT count(*) FROM teams_cards WHERE answered_at IS NULL") == [(1,)]
        await h.send(submit(h.url, ALICE, card, {"answer": "We ship in March"}))
        assert h.db(DECIDED) == [(1,)]
