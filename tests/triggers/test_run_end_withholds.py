"""A run's end withholds what it made meaningless: a reminder, escalation or question still in the
outbox (its channel down or paced) is not sent after the run is cancelled (a reminder or escalation
after it is completed), but marked superseded; the cancel notice or summary, what acknowledged
someone, and a completed run's questions (answered, typed ahead of them), still go, in order. And a
stalled run is resumed only by someone it waits on or its facilitator, not by a bystander's chatter.

post_meeting's timers: remind after 4h, escalate after 1d, expire after 14d."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest

from bot import texts
from bot.channels import Channel, RetryLater
from bot.model import Actor, ConversationKey, Trigger
from bot.outbox import Queued, Sender
from bot.outbox_rows import pending
from tests.triggers.conftest import ALICE, BOB, CAROL, Process
from tests.triggers.test_chase_silence import ACCEPT, run_due, to_owner


def unsent(proc: Process) -> list[tuple[str | None, str, str]]:
    """What the outbox would still deliver, as the Slack or Teams sender reads it (one channel's)."""
    return [(q.reply.to.name if q.reply.to else None, q.reply.kind, q.reply.text) for q in pending(proc.db, "console")]


def test_a_reminder_still_queued_when_the_run_is_cancelled_is_not_sent(proc: Process, clock) -> None:
    to_owner(proc)
    proc.db.execute("UPDATE messages SET delivered_at = created_at")  # all sent so far
    clock.at(hours=4)
    assert run_due(proc) == [("remind", "done")]  # queued: the channel is down, it waits
    proc.say(ALICE, "cancel")
    proc.say(ALICE, "yes")
    left = unsent(proc)
    assert not any("Reminder:" in text for _, _, text in left), left
    assert [kind for _, kind, _ in left][-1] == "summary"  # the cancel notice still goes, last
    assert proc.rows("SELECT last_error FROM messages WHERE text = ?", f"Reminder: {ACCEPT}") == [
        ("superseded: the run was cancelled before it was sent",)
    ]


def test_an_escalation_still_queued_when_the_run_is_cancelled_is_not_sent(proc: Process, clock) -> None:
    to_owner(proc)
    proc.db.execute("UPDATE messages SET delivered_at = created_at")
    clock.at(days=1)
    assert run_due(proc) == [("remind", "done: escalate")]
    proc.say(ALICE, "cancel")
    proc.say(ALICE, "yes")
    assert all("Still no answer" not in text for _, _, text in unsent(proc)), unsent(proc)


def test_what_acknowledged_someone_still_goes_when_the_run_ends(proc: Process, clock) -> None:
    to_owner(proc)
    proc.db.execute("UPDATE messages SET delivered_at = created_at")
    clock.at(hours=4)
    assert run_due(proc) == [("remind", "done")]
    acked = [text for _, _, text in proc.say(BOB, "yes")]  # his yes, acknowledged, and the next question
    said = [text for _, _, text in proc.say(ALICE, "ok")]  # the review date: done
    left = unsent(proc)
    assert not any(text.startswith("Reminder:") for _, _, text in left), left
    assert [text for _, _, text in left] == acked + said  # in order, the question answered too, the summary last
    assert any(kind == "prompt" for _, kind, _ in left)
    assert left[-1][1] == "summary"


def test_a_bystanders_chatter_does_not_resume_a_stalled_run(proc: Process, clock) -> None:
    to_owner(proc)
    clock.at(days=15)
    assert run_due(proc) == [("remind", "done: expire")]
    assert proc.rows("SELECT status FROM runs") == [("stalled",)]
    said = proc.say(CAROL, "anyone still on this?")
    assert proc.rows("SELECT status FROM runs") == [("stalled",)]  # before: active, 'Welcome back' to carol
    assert not any("Welcome back" in text for _, _, text in said)
    assert proc.rows("SELECT count(*) FROM transitions WHERE event = 'resume'") == [(0,)]
    said = proc.say(BOB, "yes")  # the owner it waits on resumes it
    assert proc.rows("SELECT count(*) FROM transitions WHERE event = 'resume'") == [(1,)]


def test_the_facilitator_resumes_a_stalled_run(proc: Process, clock) -> None:
    to_owner(proc)
    clock.at(days=15)
    assert run_due(proc) == [("remind", "done: expire")]
    proc.say(ALICE, "status")
    assert proc.rows("SELECT status FROM runs") == [("active",)]


def listed_and_sent(
    proc: Process, channel: str = "slack", others: tuple[str, ...] = ("bob", "carol")
) -> tuple[Actor, ConversationKey]:
    """Alice's post_meeting run in ``channel`` up to bob's acceptance, everything queued so far
    delivered: her and the run's conversation."""
    conv = ConversationKey(channel, "room")
    alice, *people = (Actor(f"{channel}:{name}", name) for name in ("alice", *others))
    proc.bot.start(Trigger(flow="post_meeting", title="Weekly sync", facilitator=alice, participants=people), conv)
    for text in ("We ship in March", "Draft plan", "@bob", "in 5 days", "done"):
        proc.say(alice, text, conv)
    proc.db.execute("UPDATE messages SET delivered_at = created_at")
    return alice, conv


class Recorder(Channel):
    """A channel that delivers (records) what its sender hands it, as Slack's or Teams' would."""

    def __init__(self, name: str):
        self.name = name
        self.sent: list[str] = []

    @classmethod
    def configured(cls, env: Mapping[str, str]) -> bool:
        return False

    async def deliver(self, item: Queued) -> str | None:
        self.sent.append(item.reply.text)
        return None


@pytest.mark.parametrize("channel", ["slack", "teams"])
def test_the_shared_outbox_sends_the_cancel_notice_not_the_reminder(channel: str, proc: Process, clock) -> None:
    """Slack's and Teams' senders (one Sender each, on the shared outbox): once the channel is back,
    what was queued for the run goes out in order, the reminder queued before the cancel left out."""
    alice, conv = listed_and_sent(proc, channel)  # then the channel goes down
    clock.at(hours=4)
    assert run_due(proc) == [("remind", "done")]
    proc.say(alice, "cancel", conv)
    proc.say(alice, "yes", conv)
    recorder = Recorder(channel)
    sender = Sender(proc.db, recorder, clock)
    assert asyncio.run(sender.drain()) is None
    # before: the reminder first; the confirmation alice answered before it reached her is moot too
    assert recorder.sent == [texts.cancelled("alice")]


class CancelledMeanwhile(Recorder):
    """A channel whose first post takes long enough for the run to be cancelled meanwhile: the
    facilitator's 'cancel' and 'yes', handled while the sender awaits the platform."""

    def __init__(self, name: str, proc: Process, facilitator: Actor, conv: ConversationKey):
        super().__init__(name)
        self.proc, self.facilitator, self.conv = proc, facilitator, conv

    async def deliver(self, item: Queued) -> str | None:
        if not self.sent:
            self.proc.say(self.facilitator, "cancel", self.conv)
            self.proc.say(self.facilitator, "yes", self.conv)
        return await super().deliver(item)


def test_a_reminder_the_sender_picked_up_is_withheld_if_the_run_is_cancelled_before_its_turn(
    proc: Process, clock
) -> None:
    """The sender read the reminder into its pass, then the run was cancelled while an earlier
    reply of that conversation was being posted: the reminder is withheld at the last moment (it
    went out after the run ended), the reply in flight is delivered and marked so, and the cancel
    notice goes on the next pass."""
    alice, conv = listed_and_sent(proc)
    status = [text for _, _, text in proc.say(alice, "status", conv)]  # queued: a reply to alice
    clock.at(hours=4)
    assert run_due(proc) == [("remind", "done")]  # queued after it, same conversation
    channel = CancelledMeanwhile("slack", proc, alice, conv)
    sender = Sender(proc.db, channel, clock)
    asyncio.run(sender.drain())
    assert channel.sent == status  # before: the reminder too, after the run was cancelled
    assert proc.rows(
        "SELECT delivered_at IS NULL, last_error FROM messages WHERE text LIKE 'Reminder:%' AND direction = 'out'"
    ) == [(1, "superseded: the run was cancelled before it was sent")]
    assert proc.rows("SELECT count(*) FROM messages WHERE delivered_at IS NOT NULL AND failed_at IS NOT NULL") == [(0,)]
    asyncio.run(sender.drain())
    assert channel.sent == [*status, texts.cancelled("alice")]


def test_a_reminder_in_flight_as_the_run_is_cancelled_is_marked_delivered_not_withheld(proc: Process, clock) -> None:
    """The reminder was being posted when the run was cancelled: it went out, so the ledger says
    delivered (before: delivered and also given up as superseded, counted as never sent)."""
    alice, conv = listed_and_sent(proc, others=("bob",))
    clock.at(hours=4)
    assert run_due(proc) == [("remind", "done")]
    channel = CancelledMeanwhile("slack", proc, alice, conv)
    asyncio.run(Sender(proc.db, channel, clock).drain())
    assert [text.startswith("Reminder:") for text in channel.sent] == [True]
    assert proc.rows(
        "SELECT delivered_at IS NOT NULL, failed_at, last_error FROM messages WHERE text LIKE 'Reminder:%'"
    ) == [(1, None, None)]


class RefusedMeanwhile(CancelledMeanwhile):
    """As :class:`CancelledMeanwhile`, and the platform then refuses the post for now (a 503)."""

    async def deliver(self, item: Queued) -> str | None:
        self.proc.say(self.facilitator, "cancel", self.conv)
        self.proc.say(self.facilitator, "yes", self.conv)
        raise RetryLater(1.0, "503 Service Unavailable")


def test_a_reminder_withheld_while_its_post_was_refused_for_now_stays_withheld(proc: Process, clock) -> None:
    """Before, the refusal's mark cleared the withholding (``failed_at``): the reminder of the
    cancelled run was tried again, and sent, once the platform was back."""
    alice, conv = listed_and_sent(proc, others=("bob",))
    clock.at(hours=4)
    assert run_due(proc) == [("remind", "done")]
    asyncio.run(Sender(proc.db, RefusedMeanwhile("slack", proc, alice, conv), clock).drain())
    assert proc.rows(
        "SELECT delivered_at, failed_at IS NOT NULL, last_error FROM messages WHERE text LIKE 'Reminder:%'"
    ) == [(None, 1, "superseded: the run was cancelled before it was sent")]
    recorder = Recorder("slack")
    asyncio.run(Sender(proc.db, recorder, clock).drain())
    assert recorder.sent == [texts.cancelled("alice")]
