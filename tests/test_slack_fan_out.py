"""A question fanned out to approvers on Slack (their direct messages, yes/no buttons), with the
real server and slack_sdk against the fake Web API: a question another's answer closed
(``complete_when: any``) says why, on its widget and to a late typed answer; the question asked
again after a correction of what it quotes is the approver's one live widget."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.test_fan_out_terms import VENDOR
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, harness, message, wait_for

CLOSED = "That question closed: Carol answered first (no). Nothing waits on you in this run now."


@pytest.fixture
async def fake(fake_with_carol: FakeSlack) -> FakeSlack:
    return fake_with_carol


@pytest.fixture
async def slack(tmp_path: Path, fake: FakeSlack):
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "vendor.yaml").write_text(VENDOR.replace("WHEN", "any"))
    h = await harness(tmp_path, fake, flows=flows)
    yield h
    await h.client.close()


def live(posted: dict) -> bool:
    return any(b["type"] == "actions" for b in posted.get("blocks", []))


async def to_approvers(slack: Harness) -> tuple[str, dict, dict]:
    """The vendor flow up to its approvers' questions: the thread, Bob's and Carol's DMs."""
    await slack.slash("UA", "start vendor Acme")
    thread = (await slack.posts(2))[0]["ts"]
    for text in ("Acme", "5000", "<@UB>", "<@UC>", "done"):
        await slack.event(message("UA", text, thread_ts=thread))
    posted = await wait_for(lambda: [p for p in slack.fake.posted() if p["channel"] in ("DUB", "DUC")][1:] and
                            [p for p in slack.fake.posted() if p["channel"] in ("DUB", "DUC")])  # fmt: skip
    bob = next(p for p in posted if p["channel"] == "DUB")
    carol = next(p for p in posted if p["channel"] == "DUC")
    assert live(bob) and live(carol) and bob["text"].endswith("Do you approve Acme for 5000?")
    return thread, bob, carol


async def test_a_question_another_answer_closed_says_why(slack: Harness, fake: FakeSlack) -> None:
    thread, bob, _ = await to_approvers(slack)
    await slack.event(message("UC", "no", channel="DUC"))
    update = await wait_for(lambda: [u for u in fake.of("chat.update") if u.args["ts"] == bob["ts"]])
    assert update[-1].args["blocks"][-1]["elements"][0]["text"] == CLOSED  # its buttons taken away, and why
    await slack.event(message("UB", "yes", thread_ts=thread))  # typed late, in the run's thread
    told = await wait_for(lambda: [c for c in fake.of("chat.postEphemeral") if c.args["text"] == CLOSED])
    assert told[0].args["user"] == "UB"
    assert slack.rows("SELECT actor_id, value FROM answers WHERE step = 'approve'") == [("slack:UC", "false")]


async def test_approvers_asked_again_after_a_correction_have_one_live_widget(slack: Harness, fake: FakeSlack) -> None:
    thread, bob, _ = await to_approvers(slack)
    await slack.event(message("UA", "change amount to 4000", thread_ts=thread))
    again = await wait_for(
        lambda: [p for p in fake.posted() if p["channel"] == "DUB" and p["text"].endswith("Acme for 4000?")]
    )
    assert live(again[0])
    update = await wait_for(lambda: [u for u in fake.of("chat.update") if u.args["ts"] == bob["ts"]])
    assert not [b for b in update[-1].args["blocks"] if b["type"] == "actions"]  # the old buttons went
