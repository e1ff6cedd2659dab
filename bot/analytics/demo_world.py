"""The demo's world: its people (one team per platform, each in their own time zone) and their words,
what one run's people will do (``Plan``), and the clock the real dispatcher reads, with the real
scheduler firing reminders, escalations and expiries at their time, inside people's working hours."""

from __future__ import annotations

import asyncio
import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from bot import config, outbox
from bot.dispatch import Dispatcher
from bot.flow_catalog import FlowCatalog
from bot.model import Actor, ConversationKey, Message
from bot.scheduler import Scheduler

#: One team per platform; everyone in their own time zone.
TEAMS = {
    "slack": {"alice": "Europe/Paris", "bob": "America/New_York", "carol": "Asia/Tokyo", "dan": "America/Los_Angeles"},
    "teams": {"erin": "Europe/London", "farid": "Asia/Kolkata", "grace": "Australia/Sydney", "hugo": "Europe/Berlin"},
    "console": {"ines": "Europe/Madrid", "jon": "America/Chicago", "kim": "Asia/Seoul", "lea": "UTC"},
}
DECISIONS = [
    "We move the launch to March and cut the mobile scope",
    "We keep the current pricing for one more quarter",
    "We hire two engineers for the payments team",
    "We switch the onboarding emails to the new vendor",
    "We pause the referral programme until churn is below 3%",
    "We roll back the checkout redesign",
]
ACTIONS = [
    "Draft the revised plan",
    "Tell the sales team",
    "Update the budget sheet",
    "Open the hiring requisition",
    "Write the customer announcement",
    "Check the vendor contract",
    "Add a dashboard for the metric",
]
DUES = ["next friday", "in 10 days", "in 2 weeks", "in 3 weeks", "end of month", "in 5 weeks", "in 6 weeks"]
METRICS = [("conversion", "1.9%", "2.5%"), ("p95 latency", "870 ms", "500 ms"), ("churn", "4.1%", "3%")]
SOURCES = {"alertmanager": "alert", "grafana": "alert", "check": "metric"}
#: The timers the scheduler fires on a run that waits: reminders, escalations and expiries.
CHASES = ("remind", "escalate", "expire")


@dataclass
class Plan:
    """What one run's people will do, drawn when it starts."""

    run_id: int
    flow: str
    conversation: ConversationKey
    fac: Actor
    team: list[Actor]
    fate: str = "complete"  # complete | abandon | cancel | silent
    stop_after: int = 99
    actions: int = 1
    answered: int = 0
    corrections: list[str] = field(default_factory=list)
    slow_days: float = 0.0  # review runs answered late wait this long first


class World:
    def __init__(self, db: Database, flows_dir: Path, seed: int, end: datetime):
        self.db = db
        self.rnd = random.Random(seed)
        self.owners_rnd = random.Random(seed + 1)  # its own draws: the rest of the history is as before
        self.changes_rnd = random.Random(seed + 2)  # so are the changes to actions after their meeting
        self.end = end
        self.now = end - timedelta(weeks=13)
        self.queue: list[tuple[datetime, int, Callable[[], None]]] = []
        self.seq = 0
        self.started = 0
        self.zones = {name: ZoneInfo(zone) for team in TEAMS.values() for name, zone in team.items()}
        self.dispatcher = Dispatcher(
            db, FlowCatalog(flows_dir, db), config.timezone(), clock=lambda: self.now, tz_for=self.zone_of
        )
        self.scheduler = Scheduler(self.dispatcher)

    # --- the clock ---------------------------------------------------------------------------

    def zone_of(self, actor: Actor) -> ZoneInfo:
        return self.zones.get(actor.name, ZoneInfo("UTC"))

    def at(self, when: datetime, act: Callable[[], None]) -> None:
        if when <= self.end:
            self.seq += 1
            heapq.heappush(self.queue, (when, self.seq, act))

    def run(self) -> None:
        while self.queue:
            if self.chase(before=self.queue[0][0]):
                continue
            when, _, act = heapq.heappop(self.queue)
            self.now = max(self.now, when)
            act()
        while self.chase(before=self.end):
            pass

    def chase(self, before: datetime) -> bool:
        """The scheduler's part: the first reminder, escalation or expiry due before ``before``
        fires at its time, through the real scheduler; False when none is due by then."""
        (due,) = self.db.conn.execute(
            f"SELECT min(due_at) FROM jobs WHERE kind IN ({', '.join('?' * len(CHASES))})"
            " AND claimed_at IS NULL AND done_at IS NULL",
            CHASES,
        ).fetchone()
        if due is None or (when := datetime.fromisoformat(due.replace("Z", "+00:00"))) >= before:
            return False
        self.now = max(self.now, when)
        asyncio.run(self.scheduler.run_due(self.now, CHASES))
        for channel in TEAMS:
            self.delivered(channel)
        return True

    def working_time(self, actor: Actor, after: datetime, rnd: random.Random | None = None) -> datetime:
        """``after``, or 09:00-ish on the person's next working morning when it falls at night."""
        local = after.astimezone(self.zone_of(actor))
        if local.weekday() < 5 and time(8) <= local.time() <= time(19):
            return after
        day = local.date() + timedelta(days=0 if local.time() < time(8) else 1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        start = datetime.combine(day, time(9), tzinfo=local.tzinfo) + timedelta(
            minutes=(rnd or self.rnd).randint(0, 90)
        )
        return start.astimezone(UTC)

    def later(self, actor: Actor, minutes: float) -> datetime:
        return self.working_time(actor, self.now + timedelta(minutes=minutes))

    # --- what people say ---------------------------------------------------------------------

    def say(self, plan: Plan, who: Actor, text: str) -> None:
        self.dispatcher.handle(Message(plan.conversation, who, text), run_id=plan.run_id)
        self.delivered(plan.conversation.channel)

    def delivered(self, channel: str) -> None:
        queued = outbox.pending(self.db, channel)
        outbox.mark_sent(self.db, [q.id for q in queued], self.now + timedelta(seconds=1))
