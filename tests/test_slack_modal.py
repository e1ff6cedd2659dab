"""The form that starts a decision in Slack: ``/decision start`` alone, the Home tab's "Start a
decision" button and the global shortcut open it (``views.open``); its submission, checked by the
server, starts the run as ``/decision start FLOW @people title`` does. The real server, requests
signed for real (interactive payloads form-encoded as ``payload=``), the fake Web API, a real ledger."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from bot.channels import slack_modal as modal
from bot.cli import main
from tests.fakes.slack_api import BOT_USER, FakeSlack
from tests.flows_support import shipped_flows
from tests.slack_modal_support import home_start_body, shortcut_body, submission, submission_body
from tests.slack_support import ROOT, SOCKET, Harness, harness, sign, slash_body, wait_for

RUN_EVENTS = "SELECT e.source, e.payload FROM runs r JOIN events e ON e.id = r.event_id ORDER BY r.id"


async def opened_by_slash(slack: Harness, channel: str = "C1") -> dict[str, Any]:
    """``/decision start`` alone in ``channel``: answered with nothing; the form Slack opened."""
    resp = await slack.post(_slash("start", channel), form=True)
    assert resp.status == 200 and await resp.text() == ""
    return slack.fake.modals()[-1]


def _slash(text: str, channel: str) -> bytes:
    return slash_body("UA", text, channel)


async def submit(slack: Harness, view: dict[str, Any], **picked: Any) -> dict[str, Any] | None:
    """Submit ``view`` with ``picked``; Slack's answer (None: an empty one, which closes the form)."""
    resp = await slack.post(submission_body(view, **picked), form=True)
    assert resp.status == 200
    text = await resp.text()
    return json.loads(text) if text else None


def field(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


async def test_start_alone_opens_the_form_and_its_submission_starts_the_run(
    tmp_path: Path, slack: Harness, fake: FakeSlack
) -> None:
    """Before, ``/decision start`` alone answered the command's syntax. Now the form opens at once
    (no lookup before it), listing the flows a slash start may start by their titles, the channel
    the command came from picked; submitted, the run starts exactly as the slash command's: the
    root in the channel, the first question in its thread, "Started" privately, kept as started
    from the form (``runs list``: slack modal)."""
    began = time.monotonic()
    view = await opened_by_slash(slack)
    assert time.monotonic() - began < 1.0 and not fake.of("users.info")
    options = field(view, "flow")["element"]["options"]
    assert [(o["value"], o["text"]["text"]) for o in options] == [
        ("metric_breach", "Metric breach decision"),
        ("post_meeting", "Post-meeting decision check"),
    ]  # no review (it needs its decision), no handover (the bot starts those)
    assert field(view, "channel")["element"]["initial_conversation"] == "C1"
    assert field(view, "channel")["optional"] is True
    answer = await submit(slack, view, flow="post_meeting", people=("UB",), title="Weekly sync", channel="C1")
    assert answer is None  # closed
    root, question = await slack.posts(2)
    assert root["channel"] == "C1" and "<@UA> started *Post-meeting decision check*: Weekly sync" in root["text"]
    assert question["thread_ts"] == root["ts"] and "What was decided in Weekly sync?" in question["text"]
    facilitator, participants, title = slack.rows(
        "SELECT facilitator_id, json_extract(context, '$.roles.participants[0].id'),"
        " json_extract(context, '$.trigger.title') FROM runs"
    )[0]
    assert (facilitator, participants, title) == ("slack:UA", "slack:UB", "Weekly sync")
    source, payload = slack.rows(RUN_EVENTS)[0]
    assert (source, json.loads(payload)["via"]) == ("slack", "modal")
    told = await wait_for(lambda: fake.of("chat.postEphemeral"))
    assert told[0].args["user"] == "UA" and told[0].args["channel"] == "C1"
    assert told[0].args["text"].startswith("Started run #1")
    args = ["--db", str(tmp_path / "slack.db"), "--flows", str(ROOT / "flows"), "runs", "list", "--json"]
    listed = await asyncio.to_thread(CliRunner().invoke, main, args)
    assert [r["trigger"] for r in json.loads(listed.output)] == ["slack modal"]


async def test_the_form_lists_every_problem_under_its_field_and_starts_nothing(slack: Harness, fake: FakeSlack) -> None:
    """Checked by the server, not only by Slack's client: no flow, a title over 500 characters,
    more than 30 participants, a participant who is a bot, a channel the bot is not in: each
    named under its field with the fix, nothing posted, nothing stored."""
    view = await opened_by_slash(slack)
    answer = await submit(slack, view, people=tuple(f"U{n:03d}" for n in range(31)), title="x" * 501, channel="C1")
    assert answer is not None and answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"flow", "participants", "title"}
    assert "Pick a flow" in answer["errors"]["flow"] and "30 at most" in answer["errors"]["participants"]
    assert "500 at most" in answer["errors"]["title"]
    answer = await submit(slack, view, flow="post_meeting", people=(BOT_USER,), channel="C1")
    assert answer == {"response_action": "errors", "errors": {"participants": answer["errors"]["participants"]}}
    assert "I cannot answer my own questions" in answer["errors"]["participants"]
    fake.shut_out("C9")
    answer = await submit(slack, view, flow="post_meeting", channel="C9")
    assert answer is not None and list(answer["errors"]) == ["channel"]
    assert "Invite me first (/invite @decisionbot)" in answer["errors"]["channel"]
    assert slack.rows("SELECT count(*) FROM runs") == [(0,)] and fake.posted() == []


async def test_a_flow_removed_while_the_form_was_open_is_named_under_the_flow(tmp_path: Path, fake: FakeSlack) -> None:
    """The flows folder changed between the form's opening and its submission: the flow picked is
    gone, said under the flow field; once another is picked, that run starts."""
    flows = shipped_flows(tmp_path / "flows")
    slack = await harness(tmp_path, fake, flows=flows)
    try:
        view = await opened_by_slash(slack)
        catalog = slack.services.dispatcher.catalog
        catalog.current.pop("metric_breach")  # as a reload after the file's removal leaves it
        answer = await submit(slack, view, flow="metric_breach", channel="C1")
        assert answer is not None and list(answer["errors"]) == ["flow"]
        assert "no longer there" in answer["errors"]["flow"]
        assert await submit(slack, view, flow="post_meeting", channel="C1") is None
        await wait_for(lambda: slack.rows("SELECT flow_id FROM runs") == [("post_meeting",)])
    finally:
        await slack.client.close()


async def test_the_home_tab_button_opens_the_form_and_the_run_is_told_by_direct_message(
    slack: Harness, fake: FakeSlack
) -> None:
    """The Home tab shows a "Start a decision" button; its form has no channel to default to, so
    the channel is required (unpicked: said under it); the run starts there, and its facilitator,
    who was in no channel, is told "Started" by direct message."""
    opened = {"type": "app_home_opened", "user": "UA", "channel": "DUA", "tab": "home", "event_ts": "1.1"}
    assert (await slack.event(opened)).status == 200
    home = await wait_for(lambda: fake.home("UA"))
    button = next(b for b in home["blocks"] if b.get("block_id") == "home_start")
    assert button["elements"][0]["text"]["text"] == "Start a decision"
    assert (await slack.post(home_start_body("UA"), form=True)).status == 200
    view = fake.modals()[-1]
    channel = field(view, "channel")
    assert channel["optional"] is False and "initial_conversation" not in channel["element"]
    answer = await submit(slack, view, flow="post_meeting", title="Retro")
    assert answer is not None and list(answer["errors"]) == ["channel"]
    assert await submit(slack, view, flow="post_meeting", title="Retro", channel="C7") is None
    root = (await slack.posts(2))[0]
    assert root["channel"] == "C7" and "Retro" in root["text"]
    said = await wait_for(lambda: [c for c in fake.of("chat.postMessage") if c.args.get("channel") == "DUA"])
    assert said[0].args["text"].startswith("Started run #1") and not fake.of("chat.postEphemeral")


async def test_the_global_shortcut_opens_the_form(slack: Harness, fake: FakeSlack) -> None:
    assert (await slack.post(shortcut_body("UA"), form=True)).status == 200
    view = fake.modals()[-1]
    assert view["callback_id"] == "start_decision" and field(view, "channel")["optional"] is False
    assert await submit(slack, view, flow="metric_breach", channel="C2") is None
    await wait_for(lambda: slack.rows("SELECT flow_id FROM runs") == [("metric_breach",)])
    assert (await slack.posts(1))[0]["channel"] == "C2"


async def test_a_form_slack_will_not_open_is_answered_with_the_slash_syntax(slack: Harness, fake: FakeSlack) -> None:
    """The trigger id expired (Slack took more than 3 s to reach the bot), or a 429: the command is
    answered with the way to start without the form; from the Home tab, the tab says it."""
    fake.refuse("views.open", error="expired_trigger_id")
    resp = await slack.post(_slash("start", "C1"), form=True)
    said = (await resp.json())["text"]
    assert "could not open the form" in said and "/decision start FLOW [@people ...] [title]" in said
    assert "post_meeting" in said
    fake.refuse("views.open", status=429, retry_after="30")
    opened = {"type": "app_home_opened", "user": "UA", "channel": "DUA", "tab": "home", "event_ts": "1.1"}
    await slack.event(opened)
    await wait_for(lambda: fake.home("UA"))
    assert (await slack.post(home_start_body("UA"), form=True)).status == 200
    home = await wait_for(lambda: (h := fake.home("UA")) and "could not open the form" in json.dumps(h) and h)
    assert "Slack is busy" in json.dumps(home)
    assert slack.rows("SELECT count(*) FROM runs") == [(0,)]


async def test_a_submission_sent_again_starts_one_run(slack: Harness, fake: FakeSlack) -> None:
    """Slack sends a submission again (its answer was late): sent while the first is under way, it
    gets the first's answer; sent after, it finds the run stored; one run, one root."""
    view = await opened_by_slash(slack)
    body = submission_body(view, flow="post_meeting", title="Sync", channel="C1")
    fake.slow_down("chat.postMessage", 0.3)
    first, again = await asyncio.gather(
        slack.post(body, form=True), slack.post(body, headers={**sign(body), "X-Slack-Retry-Num": "1"}, form=True)
    )
    assert (first.status, again.status) == (200, 200)
    assert await first.text() == "" and await again.text() == ""
    later = await slack.post(body, form=True)
    assert later.status == 200 and await later.text() == ""
    await slack.posts(2)
    await asyncio.sleep(0.5)
    assert slack.rows("SELECT count(*) FROM runs") == [(1,)]
    roots = [c for c in fake.of("chat.postMessage") if not c.args.get("thread_ts")]
    assert len(roots) == 1  # not one posted, then taken back, per copy


async def test_a_corrected_submission_of_the_same_form_starts_its_run(slack: Harness, fake: FakeSlack) -> None:
    """Refused (the bot not in the channel), then submitted again from the same form once fixed: the
    same view id, so it is no retry, and it starts."""
    view = await opened_by_slash(slack)
    fake.shut_out("C9")
    refused = await submit(slack, view, flow="post_meeting", channel="C9")
    assert refused is not None and "channel" in refused["errors"]
    fake.let_in("C9")
    fake.calls.clear()
    joined = {"type": "member_joined_channel", "user": BOT_USER, "channel": "C9", "channel_type": "C"}
    await slack.event(joined)
    assert await submit(slack, view, flow="post_meeting", channel="C9") is None
    await wait_for(lambda: slack.rows("SELECT count(*) FROM runs") == [(1,)])


async def test_an_unsigned_submission_is_refused(slack: Harness, fake: FakeSlack) -> None:
    view = await opened_by_slash(slack)
    body = submission_body(view, flow="post_meeting", channel="C1")
    resp = await slack.post(body, headers=sign(body, secret="not-the-secret"), form=True)
    assert resp.status == 401
    assert slack.rows("SELECT count(*) FROM runs") == [(0,)]


async def test_a_submission_over_socket_mode_answers_in_its_acknowledgement(tmp_path: Path, fake: FakeSlack) -> None:
    """Over Socket Mode the form's errors are the envelope's acknowledgement payload."""
    slack = await harness(tmp_path, fake, env=SOCKET)
    try:
        await fake.wait_connected()
        view = {**json.loads(json.dumps(_view_of(slack))), "id": "VM1", "hash": "1.h"}
        payload = submission(view, flow=None, channel="C1")
        await fake.send_envelope({"envelope_id": "env-9", "type": "interactive", "payload": payload})
        ack = await wait_for(lambda: next((a for a in fake.acks if a.get("envelope_id") == "env-9"), None))
        assert ack["payload"]["response_action"] == "errors" and list(ack["payload"]["errors"]) == ["flow"]
    finally:
        await slack.client.close()


def _view_of(slack: Harness) -> dict[str, Any]:
    return modal.form(slack.channel.inbound.forms.flows(), modal.Origin("slash", "C1"))


async def test_a_form_slack_is_slow_to_open_is_answered_within_3_s(slack: Harness, fake: FakeSlack) -> None:
    """Slack not answering ``views.open`` within 2 s: the command is still answered in Slack's 3 s,
    with the syntax (not an error Slack would show for a late answer)."""
    fake.slow_down("views.open", 2.6)
    began = time.monotonic()
    resp = await slack.post(_slash("start", "C1"), form=True)
    said = (await resp.json())["text"]
    assert time.monotonic() - began < 2.9
    assert "could not open the form (Slack did not answer in time)" in said
    assert "/decision start FLOW [@people ...] [title]" in said
