"""What Slack refuses for size, as the fake Web API checks it (chat.postMessage, chat.postEphemeral,
chat.update): ``text`` over 40,000 characters is ``msg_too_long``; more than 50 blocks, a block's
text over 3,000 characters, or an interactive element beyond Block Kit's limits (a button or an
option with no text or one over 75 characters, a value too long, too many options or elements) is
``invalid_blocks``. A Home tab (``views.publish``) beyond its own limits is ``invalid_arguments``
(:func:`view_refused`)."""

from __future__ import annotations

import json
from datetime import date
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
    return "invalid_blocks" if any(not _block_fits(block) for block in blocks) else None


def _block_fits(block: dict[str, Any]) -> bool:
    texts = [block.get("text"), *(block.get("fields") or [])]
    texts += [e for e in block.get("elements") or [] if e.get("type") in ("mrkdwn", "plain_text")]
    if any(len(str(t.get("text") or "")) > BLOCK_TEXT_LIMIT for t in texts if isinstance(t, dict)):
        return False
    return block.get("type") != "actions" or _elements_fit(block.get("elements") or [])


#: A Home tab's limits (https://docs.slack.dev/reference/views/home-tab-views,
#: https://docs.slack.dev/reference/block-kit/blocks): its blocks, a header's plain text, a context
#: block's elements, a block id, an action id.
VIEW_BLOCKS_LIMIT, HEADER_LIMIT, CONTEXT_ELEMENTS_LIMIT, ID_LIMIT = 100, 150, 10, 255
#: The blocks a Home tab may hold (an ``input`` block only in a modal).
VIEW_BLOCK_TYPES = frozenset({"section", "actions", "context", "divider", "header", "image", "rich_text", "video"})


def view_refused(args: dict[str, Any]) -> str | None:
    """The error Slack answers a ``views.publish`` with when the view is not a Home tab it takes
    (``invalid_arguments``: not of type home, over 100 blocks, a block Slack refuses, a block id
    used twice); None when it takes it."""
    view = args.get("view")
    if isinstance(view, str):
        view = json.loads(view)
    if not args.get("user_id") or not isinstance(view, dict) or view.get("type") != "home":
        return "invalid_arguments"
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or len(blocks) > VIEW_BLOCKS_LIMIT:
        return "invalid_arguments"
    ids = [b["block_id"] for b in blocks if "block_id" in b]
    if len(set(ids)) < len(ids) or any(not 0 < len(str(i)) <= ID_LIMIT for i in ids):
        return "invalid_arguments"
    if not all(b.get("type") in VIEW_BLOCK_TYPES and _block_fits(b) and _view_block_fits(b) for b in blocks):
        return "invalid_arguments"
    return None


def _view_block_fits(block: dict[str, Any]) -> bool:
    """What Slack checks of a block besides :func:`_block_fits`: a header's plain text within 150
    characters, a context block's 10 elements, a section's text or fields, an accessory's limits."""
    kind, text = block.get("type"), block.get("text") or {}
    if kind == "header" and (text.get("type") != "plain_text" or not 0 < len(text.get("text", "")) <= HEADER_LIMIT):
        return False
    if kind == "context" and not 0 < len(block.get("elements") or []) <= CONTEXT_ELEMENTS_LIMIT:
        return False
    if kind == "section" and not (text.get("text") or block.get("fields")):
        return False
    elements = [*(block.get("elements") or []), *([block["accessory"]] if "accessory" in block else [])]
    if kind in ("actions", "section") and not _elements_fit([e for e in elements if isinstance(e, dict)]):
        return False
    return all(_element_fits(e) for e in elements if isinstance(e, dict) and "action_id" in e)


#: A confirmation dialog's limits (https://docs.slack.dev/reference/block-kit/composition-objects/confirmation-dialog-object):
#: its title, its text, its confirm and deny buttons, each plain text.
DIALOG_LIMITS = {"title": 100, "text": 300, "confirm": 30, "deny": 30}


def _dialog_fits(dialog: Any) -> bool:
    if not isinstance(dialog, dict) or set(dialog) - {*DIALOG_LIMITS, "style"}:
        return False
    for part, limit in DIALOG_LIMITS.items():
        text = dialog.get(part)
        if not isinstance(text, dict) or text.get("type") != "plain_text":
            return False
        if not 0 < len(str(text.get("text") or "")) <= limit:
            return False
    return True


def _element_fits(element: dict[str, Any]) -> bool:
    """An interactive element: its action id within 255 characters; a date picker's initial date
    a real ``YYYY-MM-DD``; a confirmation dialog within its limits."""
    if not 0 < len(str(element["action_id"])) <= ID_LIMIT:
        return False
    if "confirm" in element and not _dialog_fits(element["confirm"]):
        return False
    if element.get("type") == "datepicker" and "initial_date" in element:
        try:
            return date.fromisoformat(element["initial_date"]).isoformat() == element["initial_date"]
        except (TypeError, ValueError):
            return False
    return True


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


#: A modal's limits (https://docs.slack.dev/reference/views/modal-views, .../blocks/input-block):
#: its title, submit and close texts, its private metadata, an input block's label and hint, a
#: text input's length; the elements an input block may hold.
MODAL_TEXT_LIMIT, METADATA_LIMIT, INPUT_LABEL_LIMIT, INPUT_MAX_LENGTH = 24, 3_000, 2_000, 3_000
INPUT_ELEMENTS = frozenset(
    {"static_select", "multi_users_select", "users_select", "plain_text_input", "conversations_select", "datepicker"}
)


def modal_refused(args: dict[str, Any]) -> str | None:
    """The error Slack answers a ``views.open`` with when it would not show the modal
    (``invalid_arguments``: no trigger id, not a modal, a text over its limit, no submit button
    with inputs, an input block or element beyond Block Kit's limits); None when it would."""
    view = args.get("view")
    if isinstance(view, str):
        view = json.loads(view)
    if not args.get("trigger_id") or not isinstance(view, dict) or view.get("type") != "modal":
        return "invalid_arguments"
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or not blocks or len(blocks) > VIEW_BLOCKS_LIMIT:
        return "invalid_arguments"
    inputs = [b for b in blocks if b.get("type") == "input"]
    texts = [view.get("title"), view.get("close"), *([view.get("submit")] if inputs or "submit" in view else [])]
    if any(not _plain_within(t, MODAL_TEXT_LIMIT) for t in texts):
        return "invalid_arguments"
    if len(str(view.get("private_metadata") or "")) > METADATA_LIMIT:
        return "invalid_arguments"
    ids = [b["block_id"] for b in blocks if "block_id" in b]
    if len(set(ids)) < len(ids) or not all(_input_fits(b) for b in inputs):
        return "invalid_arguments"
    return None


def _plain_within(text: Any, limit: int) -> bool:
    return isinstance(text, dict) and text.get("type") == "plain_text" and 0 < len(str(text.get("text") or "")) <= limit


def _input_fits(block: dict[str, Any]) -> bool:
    element = block.get("element")
    if not _plain_within(block.get("label"), INPUT_LABEL_LIMIT) or not isinstance(element, dict):
        return False
    if "hint" in block and not _plain_within(block["hint"], INPUT_LABEL_LIMIT):
        return False
    if element.get("type") not in INPUT_ELEMENTS or not _elements_fit([element]) or not _element_fits(element):
        return False
    if element.get("type") == "static_select" and not element.get("options"):
        return False
    return int(element.get("max_length", 0)) <= INPUT_MAX_LENGTH
