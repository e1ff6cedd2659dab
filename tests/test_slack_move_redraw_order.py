"""The order of a moved question's two redraws. A question left in a run's old thread by ``/decision
move`` is redrawn twice: at once without its widgets, pointing to the new channel, then, once the new
thread's root is out, linking that thread. Before, the two ``chat.update`` calls went out
independently: the first, refused for now by Slack and retried, landed after the second and
dropped the link. Now the redraws of one message go out in the order asked for, one superseded
while it waits to be retried not made again. The real server, requests signed as Slack signs them,
slack-sdk against the fake Web API, a real SQLite ledger."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, wait_for
from tests.test_slack_move import in_channel, ops
from tests.test_slack_move import slack_people as slack_people  # the fixture: Alice, Bob, Carol
from tests.test_slack_move_old_thread import link_to
from tests.test_slack_thread_commands import started, widgets


def redraws(fake: FakeSlack, posted: dict[str, Any]) -> list[tuple[bool, str]]:
    """The redraws of ``posted`` Slack was asked for, in the order they reached it: whether it took
    each, and the line under the question."""
    where = (posted["channel"], posted["ts"])
    return [
        (bool(c.result.get("ok")), c.args["blocks"][-1]["elements"][0]["text"])
        for c in fake.of("chat.update")
        if (c.args["channel"], c.args["ts"]) == where
    ]


async def test_a_moved_questions_first_redraw_retried_does_not_drop_the_new_threads_link(
    slack: Harness, fake: FakeSlack
) -> None:
    ops(fake)
    root, _ = await started(slack)
    await slack.say(root["ts"], "We ship in March", "Draft the plan")
    old = (await slack.posts(4))[3]
    assert widgets(old["blocks"]) == ["users_select"]
    fake.refuse("chat.update", status=429, retry_after="0")  # the move's redraw: retried after 0.5 s
    await slack.slash("UA", "move 1 <#C2|ops-review>")
    new_root = (await wait_for(lambda: in_channel(fake, "C2")))[0]
    linked = (
        "Run #1 goes on in a new thread in <#C2>: this question is asked again there,"
        f" to be <{link_to(new_root)}|answered there>."
    )
    await wait_for(lambda: (True, linked) in redraws(fake, old))
    await asyncio.sleep(1.5)  # (the first redraw's retries, were it still made, have landed by now)
    seen = redraws(fake, old)
    assert seen[0] == (
        False,
        "Run #1 goes on in a new thread in <#C2>: this question is asked again there, to be answered there.",
    )
    taken = [text for ok, text in seen if ok]
    assert taken[-1] == linked, seen
    assert slack.channel.poster.redraws.messages == {}  # (a message remembered only while redrawn)
