"""The scopes of slack/manifest.yaml are exactly what the bot needs: every Slack Web API method
the code calls (found in bot/ by reading it: slack_sdk's client methods, ``json_call``'s method
names) and every event the manifest subscribes to has its scope listed, and no scope is listed
that neither a call nor an event needs. A call added without its scope would fail in a real
workspace with ``missing_scope``, which the fake Web API never says; a scope nothing uses is one
more permission an admin is asked to grant for nothing (docs/slack.md, "Install the app")."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import yaml
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack_modal import CALLBACK

ROOT = Path(__file__).resolve().parents[1]

#: The bot token scopes each Web API method needs (https://api.slack.com/methods). A method
#: missing here fails the test: add it with its scope, and the scope to the manifest.
METHOD_SCOPES: dict[str, set[str]] = {
    "auth.test": set(),
    "bots.info": {"users:read"},
    "users.info": {"users:read"},
    "chat.postMessage": {"chat:write"},
    "chat.postEphemeral": {"chat:write"},
    "chat.update": {"chat:write"},
    "chat.delete": {"chat:write"},
    "chat.getPermalink": set(),  # the link to a moved run's new thread, told in its old one (no scope)
    "conversations.open": {"im:write"},  # an owner's direct message (one person, never a group DM)
    "conversations.info": {"channels:read", "groups:read"},  # routes' channels at start-up, public and private
    "conversations.members": {"channels:read", "groups:read"},  # who of a start's people is in its channel
    "views.publish": set(),  # the Home tab
    "views.open": set(),  # the form that starts a decision (a trigger id, no scope)
    "files.getUploadURLExternal": {"files:write"},  # files_upload_v2: a review's .ics
    "files.completeUploadExternal": {"files:write"},
    "apps.connections.open": set(),  # Socket Mode: the app-level token's connections:write, not the bot's
}

#: The scopes each subscribed bot event needs (https://api.slack.com/events).
EVENT_SCOPES: dict[str, set[str]] = {
    "app_mention": {"app_mentions:read"},
    "message.channels": {"channels:history"},
    "message.groups": {"groups:history"},
    "message.im": {"im:history"},
    "user_change": {"users:read"},
    "app_home_opened": set(),
    "channel_left": {"channels:read"},
    "group_left": {"groups:read"},
    "channel_archive": {"channels:read"},
    "group_archive": {"groups:read"},
    "member_joined_channel": {"channels:read", "groups:read"},  # public and private channels
    "channel_unarchive": {"channels:read"},
    "group_unarchive": {"groups:read"},
    "app_uninstalled": set(),
    "tokens_revoked": set(),
}


def _client_methods() -> dict[str, set[str]]:
    """slack_sdk's client method names (``chat_postMessage``) -> the Web API methods each calls,
    those of the client methods it calls in turn included (``files_upload_v2``: two)."""
    direct: dict[str, set[str]] = {}
    calls: dict[str, set[str]] = {}
    for name, function in inspect.getmembers(AsyncWebClient, inspect.isfunction):
        if name.startswith("_"):
            continue
        source = inspect.getsource(function)
        direct[name] = set(re.findall(r'api_call\(\s*"([^"]+)"', source))
        calls[name] = set(re.findall(r"self\.(\w+)\(", source))
    resolved: dict[str, set[str]] = {}

    def methods(name: str, seen: frozenset[str] = frozenset()) -> set[str]:
        if name not in resolved:
            found = set(direct.get(name, set()))
            for other in calls.get(name, set()) - seen - {name}:
                if other in direct:
                    found |= methods(other, seen | {name})
            resolved[name] = found
        return resolved[name]

    return {name: found for name in direct if (found := methods(name))}


def _json_call_method(node: ast.Call) -> str | None:
    """The method of ``json_call(client, "chat.update", ...)``, or of ``partial(json_call, client,
    "chat.update", ...)``."""
    arguments = [node.func, *node.args]
    for at, argument in enumerate(arguments):
        if isinstance(argument, ast.Name) and argument.id == "json_call" and len(arguments) > at + 2:
            method = arguments[at + 2]
            if isinstance(method, ast.Constant) and isinstance(method.value, str):
                return method.value
    return None


def called_methods() -> dict[str, str]:
    """Every Web API method bot/ calls -> one place it is called from."""
    client = _client_methods()
    found: dict[str, str] = {}
    for path in sorted((ROOT / "bot").rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Attribute) and node.attr in client:
                for method in client[node.attr]:
                    found.setdefault(method, where)
            if isinstance(node, ast.Call) and (method := _json_call_method(node)):
                found.setdefault(method, where)
    return found


def manifest() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((ROOT / "slack" / "manifest.yaml").read_text())


def test_the_calls_are_found() -> None:
    """The search finds the calls the channel is known to make, each way they are made."""
    called = called_methods()
    assert {"chat.postMessage", "chat.postEphemeral", "chat.update"} <= called.keys()  # json_call
    assert {"auth.test", "bots.info", "conversations.open", "views.publish", "chat.delete"} <= called.keys()
    assert "views.open" in called  # json_call: the form that starts a decision
    assert {"files.getUploadURLExternal", "files.completeUploadExternal"} <= called.keys()  # files_upload_v2


def test_every_method_called_is_known() -> None:
    unknown = {method: where for method, where in called_methods().items() if method not in METHOD_SCOPES}
    assert not unknown, f"add these Web API methods and their scopes to METHOD_SCOPES and the manifest: {unknown}"


def test_the_manifest_lists_exactly_the_scopes_used() -> None:
    app = manifest()
    listed = set(app["oauth_config"]["scopes"]["bot"])
    events = app["settings"]["event_subscriptions"]["bot_events"]
    needed: dict[str, str] = {}
    for method, where in called_methods().items():
        for scope in METHOD_SCOPES.get(method, set()):
            needed.setdefault(scope, f"{method} ({where})")
    for event in events:
        assert event in EVENT_SCOPES, f"event {event}: add it and its scopes to EVENT_SCOPES"
        for scope in EVENT_SCOPES[event]:
            needed.setdefault(scope, f"the {event} event")
    if app["features"].get("slash_commands"):
        needed.setdefault("commands", "/decision")
    if app["features"].get("shortcuts"):
        needed.setdefault("commands", "the global shortcut")
    missing = {scope: why for scope, why in needed.items() if scope not in listed}
    assert not missing, f"scopes the bot needs that slack/manifest.yaml does not ask for: {missing}"
    assert listed <= needed.keys(), f"scopes asked for that nothing uses: {sorted(listed - needed.keys())}"


def test_every_event_subscribed_is_handled() -> None:
    """An event subscribed is one the channel reads (``message.im`` as ``message``): none is
    delivered only to be dropped."""
    source = "\n".join(path.read_text() for path in (ROOT / "bot" / "channels").glob("slack*.py"))
    for event in manifest()["settings"]["event_subscriptions"]["bot_events"]:
        assert f'"{event.split(".")[0]}"' in source, f"{event} is subscribed but bot/channels/slack*.py never names it"


def test_the_global_shortcut_is_the_one_the_channel_answers() -> None:
    """The manifest's global shortcut opens the form: its callback id is the one the channel reads."""
    shortcuts = manifest()["features"]["shortcuts"]
    assert [(s["type"], s["callback_id"]) for s in shortcuts] == [("global", CALLBACK)]
