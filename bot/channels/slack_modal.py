"""The Slack form that starts a decision, pure: the modal ``views.open`` shows (a menu of the flows a
``/decision start`` may start, titled as the flow catalog titles them; the participants; a title;
the channel), where it was opened from (``private_metadata``), and a ``view_submission`` read back
and checked field by field, each problem with its fix for Slack to show under its field
(``response_action: errors``). No I/O: :mod:`bot.channels.slack_modal_start` opens it and starts
the run."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot import texts
from bot.channels import slack_blocks as blocks
from bot.channels.slack_events import Malformed, as_dict
from bot.channels.slack_messages import Slash
from bot.flow_catalog import BOT_STARTED
from bot.start_command import TITLE_MAX, unquoted

#: The modal's ``callback_id``, and the global shortcut's (slack/manifest.yaml).
CALLBACK = "start_decision"
#: The Home tab's "Start a decision" button (its action id and its block's).
HOME_START = "home_start"
#: The form's fields: each input block's id, and its element's action id.
FLOW, PEOPLE, TITLE, CHANNEL = "flow", "participants", "title", "channel"
#: The most participants the form takes (``multi_users_select``'s ``max_selected_items``, checked
#: again on submission): each is looked up (``users.info``) within the 3 s Slack gives the answer.
PEOPLE_MOST = 30
#: Block Kit's limits on a static select (https://docs.slack.dev/reference/block-kit/block-elements/select-menu-element).
OPTIONS_MOST, OPTION_VALUE_MOST = 100, 150


@dataclass(frozen=True)
class Origin:
    """Where the form was opened: ``slash`` (``/decision start`` in ``channel``), ``home`` (the
    Home tab's button) or ``shortcut`` (the global shortcut): no channel, so one must be picked,
    and the "Started" note goes by direct message."""

    where: str
    channel: str = ""
    channel_name: str = ""  # the slash command's: "directmessage", "mpdm-..."

    def metadata(self) -> str:
        return json.dumps({"from": self.where, "channel": self.channel, "name": self.channel_name})


def origin_of(metadata: Any) -> Origin:
    """The origin a submitted view's ``private_metadata`` carries (the bot wrote it: Slack keeps it)."""
    try:
        found = json.loads(metadata) if isinstance(metadata, str) else None
    except ValueError:
        found = None
    found = as_dict(found)
    where, channel, name = found.get("from"), found.get("channel"), found.get("name")
    if where not in ("slash", "home", "shortcut"):
        raise Malformed("view_submission with private_metadata the bot did not write")
    return Origin(where, channel if isinstance(channel, str) else "", name if isinstance(name, str) else "")


def form(flows: Sequence[tuple[str, str]], origin: Origin) -> dict[str, Any]:
    """The modal: ``flows`` (id, title) to pick from (the first 100, as Slack shows no more), the
    participants, a title and the channel (the slash command's by default; from elsewhere required)."""
    options = [_option(flow_id, title) for flow_id, title in flows[:OPTIONS_MOST]]
    pick: dict[str, Any] = {
        "type": "static_select",
        "action_id": FLOW,
        "placeholder": _plain(texts.modal_flow_placeholder()),
        "options": options,
    }
    if len(options) == 1:
        pick["initial_option"] = options[0]
    people = {"type": "multi_users_select", "action_id": PEOPLE, "max_selected_items": PEOPLE_MOST}
    title = {"type": "plain_text_input", "action_id": TITLE, "max_length": TITLE_MAX}
    channel: dict[str, Any] = {"type": "conversations_select", "action_id": CHANNEL}
    if origin.channel:
        channel["initial_conversation"] = origin.channel
    return {
        "type": "modal",
        "callback_id": CALLBACK,
        "title": _plain(texts.modal_title()),
        "submit": _plain(texts.modal_submit()),
        "close": _plain(texts.modal_close()),
        "private_metadata": origin.metadata(),
        "blocks": [
            _input(FLOW, texts.modal_flow_label(), pick),
            _input(PEOPLE, texts.modal_people_label(), people, texts.modal_people_hint(PEOPLE_MOST), optional=True),
            _input(TITLE, texts.modal_title_label(), title, texts.modal_title_hint(), optional=True),
            _input(
                CHANNEL,
                texts.modal_channel_label(),
                channel,
                texts.modal_channel_hint(not origin.channel),
                optional=bool(origin.channel),
            ),
        ],
    }


def _option(flow_id: str, title: str) -> dict[str, Any]:
    return {"text": _plain(blocks.label_shown(title or flow_id)), "value": flow_id[:OPTION_VALUE_MOST]}


def _input(
    block_id: str, label: str, element: dict[str, Any], hint: str | None = None, optional: bool = False
) -> dict[str, Any]:
    block = {"type": "input", "block_id": block_id, "label": _plain(label), "element": element, "optional": optional}
    return {**block, "hint": _plain(hint)} if hint else block


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


# --- a submission -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Submitted:
    """A ``view_submission`` of the form: what was picked, and the key its retries share."""

    user: str
    view_id: str
    key: str  # ``view:<id>:<digest of the values>``: a retry's, never a corrected submission's
    flow: str | None
    people: list[str]
    title: str  # its words as a typed start reads them (spaces between words, quotes around it gone)
    channel: str  # the one picked, else the slash command's ("": none)
    origin: Origin


def submitted(payload: Mapping[str, Any]) -> Submitted:
    """The form's values in a ``view_submission`` (raise :class:`Malformed` for one that is not)."""
    view, user = as_dict(payload.get("view")), as_dict(payload.get("user")).get("id")
    view_id, values = view.get("id"), as_dict(as_dict(view.get("state")).get("values"))
    if not isinstance(user, str) or not user or not isinstance(view_id, str) or not view_id:
        raise Malformed("view_submission without user.id or view.id")
    origin = origin_of(view.get("private_metadata"))
    flow = as_dict(_value(values, FLOW).get("selected_option")).get("value")
    people = _value(values, PEOPLE).get("selected_users") or []
    title = _value(values, TITLE).get("value") or ""
    channel = _value(values, CHANNEL).get("selected_conversation") or origin.channel
    if not isinstance(people, list) or not all(isinstance(p, str) and p for p in people) or not isinstance(title, str):
        raise Malformed("view_submission with participants or title of the wrong type")
    digest = hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]
    return Submitted(
        user,
        view_id,
        f"view:{view_id}:{digest}",
        flow if isinstance(flow, str) and flow else None,
        list(dict.fromkeys(people)),
        unquoted(" ".join(title.split())),
        channel if isinstance(channel, str) else "",
        origin,
    )


def _value(values: Mapping[str, Any], field: str) -> dict[str, Any]:
    return as_dict(as_dict(values.get(field)).get(field))


def problems(
    sub: Submitted, startable: Sequence[str], refused: Sequence[str], current: Sequence[str]
) -> dict[str, str]:
    """What is wrong with ``sub``, by field (its block id), each with its fix; empty: nothing.
    ``startable``: the flows a typed start may start; ``refused``: flow files with an error;
    ``current``: every flow loaded (a review among them cannot be started this way)."""
    found: dict[str, str] = {}
    if sub.flow is None:
        found[FLOW] = texts.modal_pick_a_flow()
    elif sub.flow in refused:
        found[FLOW] = texts.modal_flow_refused(sub.flow)
    elif sub.flow in BOT_STARTED:  # action_handover: for the action 'give' names
        found[FLOW] = texts.handover_not_started()
    elif sub.flow in current and sub.flow not in startable:
        found[FLOW] = texts.modal_flow_not_here(sub.flow)
    elif sub.flow not in startable:
        found[FLOW] = texts.modal_flow_gone(sub.flow)
    if len(sub.people) > PEOPLE_MOST:
        found[PEOPLE] = texts.modal_too_many_people(len(sub.people), PEOPLE_MOST)
    if len(sub.title) > TITLE_MAX:
        found[TITLE] = texts.modal_title_too_long(len(sub.title), TITLE_MAX)
    if not sub.channel:
        found[CHANNEL] = texts.modal_pick_a_channel()
    return found


def errors(found: Mapping[str, str]) -> dict[str, Any]:
    """The answer to a submission that Slack shows under each field named."""
    return {"response_action": "errors", "errors": dict(found)}


def not_started(mrkdwn: str) -> dict[str, Any]:
    """The answer to a submission that started nothing for a reason of no one field (Slack slow, or
    refusing the post itself; the ledger busy): ``mrkdwn`` on a view pushed over the form, whose
    "Back" returns to the form as filled in, to press Start again."""
    section = {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}
    view = {"type": "modal", "title": _plain(texts.modal_not_started_title()), "close": _plain(texts.modal_back())}
    return {"response_action": "push", "view": {**view, "blocks": [section]}}


@dataclass(frozen=True)
class FormSlash(Slash):
    """A submission as the ``/decision start`` it stands for, started by the same path; its
    platform id its submission's key (``view:``), so the run says it came from the form."""

    key: str = ""

    @property
    def platform_id(self) -> str:
        return self.key


def typed_start(sub: Submitted) -> str:
    """``sub`` as the ``/decision start FLOW <@U1> <@U2> title`` it stands for, as Slack would send it
    (the caller writes the mentions as names, as for a slash command)."""
    mentions = " ".join(blocks.mention(user) for user in sub.people)
    return " ".join(part for part in ("start", sub.flow or "", mentions, sub.title) if part)


def as_slash(sub: Submitted, text: str) -> FormSlash:
    """``sub`` as a slash command of ``text`` (:func:`typed_start`, its mentions written as names)."""
    name = sub.origin.channel_name if sub.channel == sub.origin.channel else ""
    return FormSlash(sub.user, sub.channel, text, sub.view_id, name, key=sub.key)
