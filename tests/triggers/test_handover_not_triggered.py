"""The handover flow (flows/action_handover.yaml) is started by ``give A12 @person`` alone: a
trigger naming it (the generic hook's ``flow``, a route's, Alertmanager's label) would hand any
action to whomever its data names, on their own yes. Through the real server's hook."""

from __future__ import annotations

from pathlib import Path

from bot.model import Actor, ConversationKey, Message
from bot.server import SERVICES
from tests.actions.support import BOB, decide
from tests.triggers.test_hooks import ROOT, post, rows, serve

MALLORY = {"id": "console:mallory", "name": "mallory"}


async def test_a_hook_event_naming_the_handover_flow_starts_nothing(tmp_path: Path) -> None:
    client = await serve(tmp_path, ROOT / "flows")
    try:
        bot = client.server.app[SERVICES].dispatcher
        decide(bot, "Weekly sync", [("Draft the plan", BOB, "2030-12-03")], where=ConversationKey("console", "alerts"))
        handover = {"action_id": 1, "what": "Draft the plan", "by": MALLORY, "from": BOB.to_dict(), "to": MALLORY}
        item = {"id": 1, "what": "Draft the plan", "due": "2030-12-03", "owner": MALLORY}
        body = {"title": "x", "flow": "action_handover", "data": {"handover": handover, "actions": [item]}}
        status, answer = await post(client, "events", body)
        assert (status, answer["started"]) == (200, [])
        assert "give A12 @person" in str(answer["unrouted"])
        assert rows(client, "SELECT flow_id FROM runs") == [("post_meeting",)]
        bot.handle(Message(ConversationKey("console", "m"), Actor.from_dict(MALLORY), "yes"))
        assert rows(client, "SELECT owner_id FROM actions") == [("console:bob",)]
        assert rows(client, "SELECT count(*) FROM action_changes") == [(0,)]
    finally:
        await client.close()


def test_the_command_line_refuses_it_without_a_channel_hint_that_cannot_help(tmp_path: Path) -> None:
    """``decisionbot trigger action_handover --channel console`` is refused naming 'give'; the
    hint to pass --channel (given with every refusal before) is for a trigger with nowhere to post."""
    from tests.triggers.test_cli_triggers import cli

    refused = cli(tmp_path, ROOT / "flows", "trigger", "action_handover", "--channel", "console")
    assert refused.exit_code == 1 and "give A12 @person" in refused.output
    assert "--channel" not in refused.output
    nowhere = cli(tmp_path, ROOT / "flows", "trigger", "post_meeting", "-f", "alice")
    assert "Try: --channel slack:C0123 (or set DECISIONBOT_DEFAULT_CHANNEL)" in nowhere.output


async def test_a_trigger_naming_no_flow_lists_only_the_flows_a_trigger_can_start(tmp_path: Path) -> None:
    """ "there is no flow 'nosuch' (flows: action_handover, decision_review, ...)" offered the one
    flow a trigger is refused (review-trigfix): the hook's answer, a route's flow and the command
    line list the startable flows only."""
    startable = "decision_review, metric_breach, post_meeting"
    client = await serve(tmp_path, ROOT / "flows")
    try:
        status, answer = await post(client, "events", {"title": "x", "flow": "nosuch", "channel": "console:a"})
        assert (status, answer["unrouted"]) == (
            200,
            [{"title": "x", "problem": f"there is no flow 'nosuch' (flows: {startable})"}],
        )
    finally:
        await client.close()
    from tests.triggers.test_cli_triggers import cli

    refused = cli(tmp_path, ROOT / "flows", "trigger", "nosuch", "--channel", "console")
    assert refused.exit_code == 1, refused.output
    assert f"Known flows: {startable}." in refused.output
