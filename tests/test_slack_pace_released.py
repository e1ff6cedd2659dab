"""A reply the channel's pacing holds back keeps a slot reserved for it (Slack's one message a
second per channel). Withheld meanwhile (its run cancelled), its slot goes to the next message, and
nothing of it is kept: it used to stay used, the next message a second later, its reservation
kept for ever."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.channels.slack_limits import Pacer
from bot.model import Actor, ConversationKey, Trigger
from bot.server import SENDERS
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import harness, message, wait_for


async def test_the_slot_of_a_question_withheld_as_its_run_is_cancelled_goes_to_the_next_message(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """Six alerts at once in C1: four roots at once, the fifth run's question waits for its slot a
    second later. The operator cancels the fifth and sixth runs: the question is withheld, and the
    fifth run's note of its cancellation takes its slot (a second after the burst, not two)."""
    slack = await harness(tmp_path, fake)
    pacer = slack.channel.poster.pacer = Pacer()  # the server's own pacing, as in production
    try:
        alice = Actor("slack:UA", "Alice")
        dispatcher = slack.services.dispatcher
        for n in range(6):
            dispatcher.start(
                Trigger("post_meeting", facilitator=alice, title=f"Alert {n}"), ConversationKey("slack", "C1")
            )
        slack.client.server.app[SENDERS]["slack"].notify()
        await slack.posts(4)
        await wait_for(lambda: pacer._reserved)  # the fifth question's slot
        for run in (5, 6):
            dispatcher.cancel(run, alice, operator=True)
        slack.client.server.app[SENDERS]["slack"].notify()
        notes = await wait_for(
            lambda: (
                len(found := [c for c in fake.of("chat.postMessage") if "cancelled" in c.args["text"]]) == 2 and found
            ),
            timeout=10,
        )
        first = min(c.at for c in fake.of("chat.postMessage"))
        assert notes[0].at - first < 1.6, notes[0].at - first  # the withheld question's slot, not the one after
        assert notes[1].at - notes[0].at > 0.8  # still one a second
        assert not [c for c in fake.of("chat.postMessage") if "What was decided in Alert 4" in c.args["text"]]
        await asyncio.sleep(0.1)
        assert pacer._reserved == {}  # nothing kept of it
    finally:
        await slack.client.close()


async def test_questions_withheld_unsent_do_not_fill_the_backlog_for_ever(tmp_path: Path, fake: FakeSlack) -> None:
    """Eight runs started and cancelled at once: six of their first questions, waiting for their
    slots, are withheld unsent. They were counted in the backlog of replies to send and never
    counted out: with enough of them (256 by default; 4 here) the backlog stayed full for good,
    every later request waiting its second for room. Now the backlog is counted again from the
    ledger when it looks full."""
    slack = await harness(tmp_path, fake)
    slack.channel.poster.pacer = Pacer()
    backlog = slack.channel.backlog
    backlog.limit = 4
    try:
        for n in range(8):
            assert (await slack.slash("UA", f"start post_meeting Sync {n}"))["text"].startswith("Started run")
        for n in range(1, 9):
            assert (await slack.slash("UA", f"cancel {n}"))["text"].startswith(f"Run #{n} (")
        sent = "SELECT count(*) FROM messages WHERE kind = 'summary' AND delivered_at IS NOT NULL"
        await wait_for(lambda: slack.rows(sent) == [(8,)], timeout=20)
        withheld = "SELECT count(*) FROM messages WHERE kind = 'prompt' AND failed_at IS NOT NULL"
        assert slack.rows(withheld)[0][0] >= 4  # enough to have filled it
        loop = asyncio.get_running_loop()
        began = loop.time()
        resp = await slack.event(message("UA", "<@UBOT> list", channel="C2", type="app_mention"))
        assert resp.status == 200 and loop.time() - began < 0.5  # no wait for room
        assert backlog.count < backlog.limit
    finally:
        await slack.client.close()


def test_a_slot_released_between_others_goes_to_the_next_message_that_asks() -> None:
    """The pace itself (one a second after a burst of four), on a clock of its own: a slot released
    between two others is kept for the next message (it would otherwise wait for a slot after the
    last); the last slot released is given back; a 429's hold drops the slots released before it, and moves
    those reserved before its end past it, in their order."""
    now = [100.0]
    pacer = Pacer(clock=lambda: now[0])
    assert [pacer.wait("C1", t) for t in (1, 2, 3, 4)] == [0.0] * 4
    assert [pacer.wait("C1", t) for t in (5, 6, 7)] == [1.0, 2.0, 3.0]
    pacer.release(6)  # between 5 and 7
    assert pacer.wait("C1", 8) == 2.0  # its slot, not 4.0
    pacer.release(7)  # the last
    assert pacer.wait("C1", 9) == 3.0
    pacer.release(5)
    pacer.hold("C1", 5.0)  # Slack said 429: nothing before its Retry-After
    assert pacer.wait("C1", 8) == 5.0 and pacer.wait("C1", 9) == 6.0  # their slots (2.0, 3.0) moved past it, in order
    assert pacer.wait("C1", 10) == 7.0  # then the next: not the slot 5 released (1.0)
    assert pacer.wait("C2", 11) == 0.0  # another channel's pace is its own
    assert set(pacer._reserved) == {8, 9, 10}
