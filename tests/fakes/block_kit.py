"""What Slack refuses for size, as the fake Web API checks it (chat.postMessage, chat.postEphemeral,
chat.update): ``text`` over 40,000 characters is ``msg_too_long``; more than 50 blocks, a block's
text over 3,000 characters, or an interactive element beyond Block Kit's limits (a button or an
option with no text or one over 75 characters, a value too long, too many options or elements) is
``invalid_blocks``."""

from __future__ import annotations

import json
from typing import Any

#: Slack's limits on a message (https://docs.slack.dev/reference/methods/chat.postMessage,
#: https://docs.slack.dev/reference/block-kit/blocks): what the fake refuses above them.
TEXT_LIMIT, BLOCKS_LIMIT, BLOCK_TEXT_LIMIT = 40_000, 50, 3_000
#: Block Kit's limits on interactive elements (https://docs.slack.dev/reference/block-kit/block-elements):
#: an actions block's elements, a button's or an option's text, a placeholder, a button's value, an
#: option's value, a menu's options.
ELEMENTS_LIMIT, LABEL_LIMIT, PLACEHOLDER_LIMIT = 25, 75, 150
BUTTON_VALUE_LIMIT, OPTION_VALUE_LIMIT, OPTIONS_LIMIT = 2_000, 150, 100


def oversized(args: dict[str, Any]) -> str | None:
    """The error Slack answers a message beyond its size limits with; None when it fits."""
    if len(str(args.get("text") or "")) > TEXT_LIMIT:
        return "msg_too_long"
    blocks = args.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if len(blocks) > BLOCKS_LIMIT:
        return "invalid_blocks"
    for block in blocks:
        texts = [block.get("text"), *(block.get("fields") or [])]
        texts += [e for e in block.get("elements") or [] if e.get("type") in ("mrkdwn", "plain_text")]
        if any(len(str(t.get("text") or "")) > BLOCK_TEXT_LIMIT for t in texts if isinstance(t, dict)):
            return "invalid_blocks"
        if block.get("type") == "actions" and not _elements_fit(block.get("elements") or []):
            return "invalid_blocks"
    return None


def _elements_fit(elements: list[dict[str, Any]]) -> bool:
    """An actions block's elements within Block Kit's limits (what Slack answers ``invalid_blocks`` to)."""
    if len(elements) > ELEMENTS_LIMIT:
        return False
    for element in elements:
        placeholder = (element.get("placeholder") or {}).get("text", "")
        if len(placeholder) > PLACEHOLDER_LIMIT:
            return False
        button = element.get("type") == "button"
        if button and not 0 < len(element["text"]["text"]) <= LABEL_LIMIT:
            return False
        if button and len(element.get("value", "")) > BUTTON_VALUE_LIMIT:
            return False
        options = element.get("options") or []
        values = [str(o.get("value", "")) for o in options]
        if len(options) > OPTIONS_LIMIT:
            return False
        if any(not 0 < len(o["text"]["text"]) <= LABEL_LIMIT for o in options):
            return False
        if any(len(v) > OPTION_VALUE_LIMIT for v in values):
            return False
    return True
