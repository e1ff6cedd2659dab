"""A form start that Slack's Web API refuses, or does not answer in time, says so truly and where
it belongs: a refusal about the channel under the channel field; anything else (Slack slow, a
refusal not about the channel, the ledger busy) as a general error on a view pushed over the form,
which "Back" closes to the form as filled in. Nothing started in each case. The real server,
requests signed for real, the fake Web API, a real ledger."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.fakes.slack_api import FakeSlack
from tests.slack_modal_support import submission_body
from tests.slack_support import Harness, slash_body
from tests.test_slack_late_clicks import ledger_held

RUNS = "SELECT count(*) FROM runs"


async def _opened(slack: Harness) -> dict[str, Any]:
    resp = await slack.post(slash_body("UA", "start", "C1"), form=True)
    assert resp.status == 200
    return slack.fake.modals()[-1]


async def _submit(slack: Harness, view: dict[str, Any]) -> dict[str, Any]:
    resp = await slack.post(submission_body(view, flow="post_meeting", title="Sync", channel="C1"), form=True)
    assert resp.status == 200
    return dict(json.loads(await resp.text()))


def _said(answer: dict[str, Any]) -> str:
    """The words of a general error: the view pushed over the form."""
    assert answer["response_action"] == "push", answer
    return " ".join(b["text"]["text"] for b in answer["view"]["blocks"] if b["type"] == "section")


async def test_a_root_slack_is_slow_to_take_is_said_as_slow_not_refused(slack: Harness, fake: FakeSlack) -> None:
    """Slack takes the root after 3.5 s. Before: "Slack refused my message (no answer in time)"
    under the channel field (Slack refused nothing; the channel is fine). Now: a general error that
    Slack did not answer in time, nothing started, to press Start again."""
    view = await _opened(slack)
    fake.slow_down("chat.postMessage", 3.5)
    said = _said(await _submit(slack, view))
    assert (
        "did not take the run's first message in time" in said
        and "nothing was started" in said
        and "refused" not in said
    )
    assert slack.rows(RUNS) == [(0,)]


async def test_a_refusal_not_about_the_channel_is_no_channel_error(slack: Harness, fake: FakeSlack) -> None:
    """Slack refuses the root for a reason that is not the channel's (``invalid_arguments``):
    before, said under the channel field; now a general error naming Slack's code."""
    view = await _opened(slack)
    fake.refuse("chat.postMessage", error="invalid_arguments")
    said = _said(await _submit(slack, view))
    assert "Slack refused my message (invalid_arguments)" in said and "nothing was started" in said
    assert slack.rows(RUNS) == [(0,)]


async def test_a_channel_refusal_stays_under_the_channel_field(slack: Harness, fake: FakeSlack) -> None:
    """``is_archived``: about the channel, so under its field, as before."""
    view = await _opened(slack)
    fake.refuse("chat.postMessage", error="is_archived")
    answer = await _submit(slack, view)
    assert answer["response_action"] == "errors" and list(answer["errors"]) == ["channel"]
    assert "archived" in answer["errors"]["channel"]


async def test_a_busy_ledger_is_no_flow_error(slack: Harness, fake: FakeSlack, tmp_path: Path) -> None:
    """Another process holds the ledger's write lock past Slack's 3 s: before, said under the flow
    field (the flow was fine); now a general error, nothing started."""
    view = await _opened(slack)
    with ledger_held(tmp_path / "slack.db"):
        said = _said(await _submit(slack, view))
    assert "The decision ledger is busy" in said and "nothing was started" in said
    assert slack.rows(RUNS) == [(0,)]


async def test_the_same_form_submitted_again_after_nothing_started_starts_the_run(
    slack: Harness, fake: FakeSlack
) -> None:
    """After *Nothing started*, Back and Start again with the form as filled in (the same view, the
    same values): not taken for Slack's retry of the first submission, which started nothing."""
    view = await _opened(slack)
    fake.refuse("chat.postMessage", error="invalid_arguments")
    assert _said(await _submit(slack, view))
    again = await slack.post(submission_body(view, flow="post_meeting", title="Sync", channel="C1"), form=True)
    assert again.status == 200 and await again.text() == ""  # the form closes: started
    assert slack.rows(RUNS) == [(1,)]


async def test_a_handover_named_in_the_form_says_how_a_handover_starts(slack: Harness, fake: FakeSlack) -> None:
    """A stale form, or a payload naming action_handover (the menu offers it not): it was refused
    with a review's reason ("a review starts on its decision's date")."""
    view = await _opened(slack)
    body = submission_body(view, flow="action_handover", title="Sync", channel="C1")
    answer = json.loads(await (await slack.post(body, form=True)).text())
    assert answer["response_action"] == "errors"
    assert "give A12 @person" in str(answer["errors"]) and "review" not in str(answer["errors"])
    assert slack.rows(RUNS) == [(0,)]
