"""A widget used where it answers nothing is kept in the transcript: someone else's question, a
question answered already, one the run moved past. The run is untouched, the clicker is told
once, and Slack's retry of the same click adds nothing. The real server and slack_sdk against
the fake Web API, requests signed for real, on a real SQLite ledger."""

from __future__ import annotations

import json

from bot.render import render_run
from bot.store.transcript import run_detail
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, action_body, message, wait_for

REFUSED = "SELECT actor_id, step, text, payload FROM messages WHERE direction = 'in' AND kind = 'refused' ORDER BY id"


async def test_a_click_on_someone_elses_question_is_kept_once_and_changes_nothing(
    slack: Harness, fake: FakeSlack
) -> None:
    """Before, the refusal was told and nothing kept: analysts could not see Bob trying to answer
    Alice's question."""
    await slack.slash("UA", "start metric_breach Checkout")
    prompt = (await slack.posts(2))[1]
    block = next(b for b in prompt["blocks"] if b["type"] == "actions")
    body = action_body("UB", prompt["channel"], prompt["ts"], block["block_id"], {"type": "button", "value": "act"},
                       prompt.get("thread_ts"))  # fmt: skip
    for _ in range(2):  # the click, and Slack's retry of the same payload
        assert (await slack.post(body, form=True)).status == 200
    await wait_for(lambda: fake.of("chat.postEphemeral"))
    question = slack.rows("SELECT id, step FROM messages WHERE direction = 'out' AND kind = 'prompt'")[-1]
    ((actor, step, text, payload),) = slack.rows(REFUSED)
    assert (actor, step, text) == ("slack:UB", question[1], "act")
    assert json.loads(payload) == {"widget": "not_theirs", "question": question[0]}
    assert len(fake.of("chat.postEphemeral")) == 1
    assert slack.rows("SELECT count(*) FROM answers") == [(0,)]
    assert slack.rows("SELECT waiting_on FROM runs") == [(" slack:UA ",)]


async def test_a_second_click_on_an_answered_question_is_kept_as_refused(slack: Harness, fake: FakeSlack) -> None:
    await slack.slash("UA", "start metric_breach Checkout")
    thread = (await slack.posts(1))[0]["ts"]
    await slack.event(message("UA", "me", thread_ts=thread))
    prompt = (await slack.posts(3))[2]  # the response: act, watch or ignore
    assert (await slack.click("UA", prompt, {"type": "button", "value": "act"})).status == 200
    await wait_for(lambda: slack.rows("SELECT count(*) FROM answers") == [(2,)])
    assert (await slack.click("UA", prompt, {"type": "button", "value": "watch"})).status == 200
    told = await wait_for(lambda: fake.of("chat.postEphemeral"))
    assert "already" in told[0].args["text"].lower()
    rows = slack.rows(REFUSED)
    assert [(r[0], r[2], json.loads(r[3])["widget"]) for r in rows] == [("slack:UA", "watch", "answered")]
    assert slack.rows("SELECT value FROM answers WHERE step = 'response'") == [('"act"',)]  # the first click's


async def test_runs_show_marks_what_it_did_not_take_as_an_answer(slack: Harness, fake: FakeSlack) -> None:
    """Before, ``runs show`` printed a refused click as ``Bob > act``, as it prints an answer, with
    nothing after it (the clicker's note is private): the transcript read as if Bob had answered."""
    await slack.slash("UA", "start metric_breach Checkout")
    thread = (await slack.posts(1))[0]["ts"]
    await slack.event(message("UB", "I can take it", thread_ts=thread))  # typed to Alice's question
    await slack.event(message("UA", "me", thread_ts=thread))
    prompt = (await slack.posts(3))[2]
    assert (await slack.click("UB", prompt, {"type": "button", "value": "ignore"})).status == 200
    assert (await slack.click("UA", prompt, {"type": "button", "value": "act"})).status == 200
    await wait_for(lambda: slack.rows("SELECT count(*) FROM answers") == [(2,)])
    assert (await slack.click("UA", prompt, {"type": "button", "value": "watch"})).status == 200
    await wait_for(lambda: len(slack.rows(REFUSED)) == 3)
    shown = render_run(run_detail(slack.services.db.conn, 1) or {})
    assert "Bob (not taken as an answer) > I can take it" in shown
    assert "Bob (clicked a question not theirs: not taken) > ignore" in shown
    assert "Alice (clicked a question already answered: not taken) > watch" in shown
    assert "Alice > act" in shown  # the answer itself, as before
