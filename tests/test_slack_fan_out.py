"""A question fanned out to approvers on Slack (their direct messages, yes/no buttons), with the
real server and slack_sdk against the fake Web API: a question another's answer closed
(``complete_when: any``) says why, on its widget and to a late typed answer; the question asked
again after a correction of what it quotes is the approver's one live widget, and so is the
facilitator's question put back after a correction."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.test_fan_out_terms import VENDOR
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import (
    ALICE_AND_BOB,
    ROOT,
    Harness,
    SlackPeople,
    bob_asked_to_accept,
    harness,
    message,
    wait_for,
)

CLOSED = "That question closed: Carol answered first (no). Nothing waits on you in this run now."


@pytest.fixture
def slack_people() -> SlackPeople:
    return {**ALICE_AND_BOB, "UC": ("Carol", "UTC")}


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


async def test_a_late_yes_typed_in_a_direct_message_says_why_the_question_closed(
    slack: Harness, fake: FakeSlack
) -> None:
    await to_approvers(slack)
    await slack.event(message("UC", "no", channel="DUC"))
    await wait_for(lambda: [p for p in fake.posted() if p["text"].endswith("Any notes?")])  # the run went on
    await slack.event(message("UB", "yes", channel="DUB"))  # typed late, in his DM: nothing waits on him
    told = await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUB" and p["text"] == CLOSED])
    assert len(told) == 1  # why, not "Nothing is waiting for your answer here"
    assert not [p for p in fake.posted() if p["channel"] == "DUB" and "Nothing is waiting" in p["text"]]
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


async def test_the_question_put_back_after_a_correction_is_the_one_live_widget(tmp_path: Path, fake: FakeSlack) -> None:
    slack = await harness(tmp_path, fake, flows=ROOT / "flows", db_name="meeting.db")
    try:
        thread = await bob_asked_to_accept(slack, "start post_meeting <@UB> Weekly sync")
        await wait_for(lambda: [p for p in fake.posted() if p["channel"] == "DUB"])
        await slack.event(message("UB", "yes", channel="DUB"))
        review = await wait_for(lambda: [p for p in fake.posted() if "When should we review" in p["text"]])
        assert live(review[0])
        await slack.event(message("UA", "change decision to We ship in April", thread_ts=thread))
        again = await wait_for(lambda: [p for p in fake.posted() if "Back to: When should we review" in p["text"]])
        assert live(again[0])  # the question, with its date picker, after "Changed the decision: ..."
        update = await wait_for(lambda: [u for u in fake.of("chat.update") if u.args["ts"] == review[0]["ts"]])
        assert not [b for b in update[-1].args["blocks"] if b["type"] == "actions"]  # one live picker, not two
    finally:
        await slack.client.close()
