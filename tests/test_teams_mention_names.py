"""A person's display name in the bot's own @mentions (Teams renders a message's text as markup):
the real server against the fake Bot Connector, with a name holding ``&``, ``<`` and ``</at>``."""

from __future__ import annotations

import html
from pathlib import Path

from tests.teams_support import ALICE, Harness, in_channel, installed

ODD = {"id": "29:1odd", "name": "Tom & Jerry <Ops></at> x", "aadObjectId": "00000000-0000-0000-0000-0000000000d4"}


async def test_a_name_with_markup_is_mentioned_escaped_in_the_text_and_its_entity_alike(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        await h.send(installed(h.url, "channel", (ODD, ALICE)))
        await h.send(in_channel(h.url, ODD, "start post_meeting Weekly sync"))
        first = await h.next_post(0)
        card = first.card
        assert card is not None  # a card's TextBlock takes no HTML: the name as it is, in both places
        [card_entity] = card["msteams"]["entities"]
        assert card["body"][1]["text"].startswith(card_entity["text"] + " ")
        assert card_entity["text"] == f"<at>{ODD['name']}</at>"
        await h.send(in_channel(h.url, ODD, "help", root=first.answer_id))
        helped = await h.next_post(1)
        tag = f"<at>{html.escape(ODD['name'], quote=False)}</at>"
        assert helped.text.startswith(f"{tag} ")
        assert helped.text.count("<at>") == 1 and helped.text.count("</at>") == 1  # no tag of the name's own
        [entity] = helped.activity["entities"]
        assert entity["text"] == tag  # identical to the text's, as Teams requires
        assert entity["mentioned"] == {"id": ODD["id"], "name": ODD["name"]}  # the name itself, as it is
