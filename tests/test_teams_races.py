"""Teams deliveries that overlap: a card submitted twice at once (a double click) while the
first submit is still asking the fake Bot Connector who the picked person is."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tests.teams_support import ALICE, CAROL, Harness, personal, submit


async def test_a_card_submitted_twice_at_once_is_answered_once(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        h.fake.members[CAROL["aadObjectId"]] = {**CAROL, "userPrincipalName": "carol@example.com"}
        await h.send(personal(h.url, ALICE, "start metric_breach Checkout conversion"))
        ack = await h.next_post(0)  # a people picker: each submit looks the person up first
        twice = [submit(h.url, ALICE, ack, {"answer": CAROL["aadObjectId"]}) for _ in range(2)]
        responses = await asyncio.gather(*(h.post(body) for body in twice))
        assert [r.status for r in responses] == [201, 201]
        await h.next_post(2)
        await h.settle()
        assert h.db("SELECT step, kind, text FROM messages WHERE direction = 'in' ORDER BY id") == [
            ("acknowledge", "answer", "@Carol_Chen"),
            ("acknowledge", "refused", "@Carol_Chen"),  # the second submit, kept, answering nothing
        ]
        assert h.db("SELECT step, value FROM answers") == [
            ("acknowledge", json.dumps({"id": "teams:29:1carol", "name": "Carol Chen"}))
        ]
        assert len(h.fake.posts()) == 3  # the two cards (Alice's, then Carol's), and one note to the second submit
        assert [c.text for c in h.fake.posts() if c.method == "reply"] == [
            "That card is no longer open. Type your answer instead, or say 'help'."
        ]
        assert h.db("SELECT state FROM runs") == [("takes_it",)]  # the next question (Carol's) is still unanswered
        assert len(h.fake.of("update")) == 1
