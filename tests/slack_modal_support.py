"""Payloads of the form that starts a decision, as Slack sends them (form-encoded ``payload=``,
signed by the harness): its submission (of a modal the fake opened), the global shortcut, the Home
tab's "Start a decision" button."""

from __future__ import annotations

import itertools
import json
from typing import Any
from urllib.parse import urlencode

from tests.fakes.slack_api import APP, TEAM

_ids = itertools.count(1)


def _form(payload: dict[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def values(
    flow: str | None = None, people: tuple[str, ...] = (), title: str | None = None, channel: str | None = None
) -> dict[str, Any]:
    """``view.state.values`` of the form as Slack sends them: a field left empty is null."""
    option = {"text": {"type": "plain_text", "text": flow}, "value": flow} if flow else None
    return {
        "flow": {"flow": {"type": "static_select", "selected_option": option}},
        "participants": {"participants": {"type": "multi_users_select", "selected_users": list(people)}},
        "title": {"title": {"type": "plain_text_input", "value": title}},
        "channel": {"channel": {"type": "conversations_select", "selected_conversation": channel}},
    }


def submission(view: dict[str, Any], user: str = "UA", **picked: Any) -> dict[str, Any]:
    """A ``view_submission`` of ``view`` (as the fake opened it) with the fields ``picked``."""
    submitted = {**view, "state": {"values": values(**picked)}}
    return {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "fake"},
        "user": {"id": user, "team_id": TEAM},
        "api_app_id": APP,
        "trigger_id": f"{next(_ids)}.2.sub",
        "view": submitted,
        "response_urls": [],
    }


def submission_body(view: dict[str, Any], user: str = "UA", **picked: Any) -> bytes:
    return _form(submission(view, user, **picked))


def shortcut_body(user: str = "UA", callback_id: str = "start_decision") -> bytes:
    payload = {
        "type": "shortcut",
        "team": {"id": TEAM, "domain": "fake"},
        "user": {"id": user, "team_id": TEAM},
        "api_app_id": APP,
        "callback_id": callback_id,
        "trigger_id": f"{next(_ids)}.3.short",
        "action_ts": f"1800000002.{next(_ids):06d}",
    }
    return _form(payload)


def home_start_body(user: str = "UA") -> bytes:
    """The Home tab's "Start a decision" button clicked (``container.type`` view)."""
    action = {
        "type": "button",
        "action_id": "home_start",
        "block_id": "home_start",
        "text": {"type": "plain_text", "text": "Start a decision"},
        "action_ts": f"1800000003.{next(_ids):06d}",
    }
    payload = {
        "type": "block_actions",
        "api_app_id": APP,
        "team": {"id": TEAM, "domain": "fake"},
        "user": {"id": user, "team_id": TEAM},
        "trigger_id": f"{next(_ids)}.4.home",
        "container": {"type": "view", "view_id": f"VH{user}"},
        "view": {"id": f"VH{user}", "type": "home"},
        "actions": [action],
    }
    return _form(payload)
