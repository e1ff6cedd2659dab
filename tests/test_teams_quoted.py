"""What Teams clients send, read as the person typed it (an acceptance review found both wrong):
a quoted reply leads its text with a ``<quoted .../>`` placeholder, which is not part of the
answer or the command; a character reference counts only with its semicolon, so a typed
``Ops&registry`` stays as typed (html.unescape alone reads ``&reg`` as ®)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.channels import teams_activities as acts
from tests.teams_support import ALICE, Harness, personal


def quoted(service_url: str, text: str, message_id: str) -> dict[str, Any]:
    """A quoted reply in a chat as Teams sends it (microsoft/teams.net PR #389 fixtures, the
    Teams SDK's GetQuotedMessages): a ``<quoted messageId=.../>`` placeholder leading the text,
    and a ``quotedReply`` entity describing the quoted message."""
    body = personal(service_url, ALICE, f'<quoted messageId="{message_id}"/> {text}')
    body["entities"] = [
        {
            "type": "quotedReply",
            "quotedReply": {
                "messageId": message_id,
                "senderId": "28:11111111-2222-3333-4444-555555555555",
                "senderName": "DecisionBot",
                "preview": "What was decided in Weekly sync?",
                "time": message_id,
                "validatedMessageReference": True,
            },
        },
        {"type": "clientInfo", "locale": "en-US", "country": "US", "platform": "Web", "timezone": "Europe/Paris"},
    ]
    return body


async def test_a_quoted_reply_to_the_bots_question_answers_with_what_was_typed(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(personal(h.url, ALICE, "start post_meeting Weekly sync"))
        card = await h.next_post(0)
        await h.send(quoted(h.url, "We ship in March", card.answer_id or "1"))
        await h.next_post(1)
        await h.settle()
        assert h.db("SELECT raw FROM answers") == [("We ship in March",)]


async def test_a_quoted_reply_can_start_a_flow(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(personal(h.url, ALICE, "help"))
        said = await h.next_post(0)
        await h.send(quoted(h.url, "start post_meeting Weekly sync", said.answer_id or "1"))
        await h.next_post(1)
        await h.settle()
        assert h.db("SELECT count(*) FROM runs") == [(1,)]


@pytest.mark.parametrize(
    ("sent", "read"),
    [
        ("Ops&registry and R&D", "Ops&registry and R&D"),  # typed as is: no legacy entity read
        ("Launch &amp; review &lt;v2&gt; &#39;go&#39; &#x41;", "Launch & review <v2> 'go' A"),
        ("a&nbsp;b", "a b"),
        ('<quoted messageId="17"/> yes', "yes"),
        ('<QUOTED messageId="17" /> We ship', "We ship"),
    ],
)
def test_text_reads_as_typed(sent: str, read: str) -> None:
    assert acts.clean_text(sent, [], {"id": "28:bot"}).text == read
