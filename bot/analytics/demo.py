"""Synthetic history for trying the analysts' tools, made by driving the real engine.

A small discrete-event simulation: a clock the :class:`~bot.dispatch.Dispatcher` reads
(``clock=``) moves from 13 weeks ago to now through a queue of timed acts. Runs of the shipped
flows are triggered (meetings, alerts, metric checks) on Slack, Teams and the console, with people
in several time zones who answer inside their working hours. Each person answers whatever the bot
asked them (read from the run's open prompts), so the history is what the engine really wrote:
messages, answers and revisions, transitions, decisions, actions and reviews.

Scripted fates: most runs complete; some are abandoned mid-way (the real scheduler fires their
reminders, escalations and expiry at each job's time, so they end stalled) or cancelled; facilitators correct
decisions, owners and dates; owners decline and actions are reassigned; alerts repeat while their
run is open. After the meeting, some owners move a due date or hand the action to a teammate, and
some facilitators drop one (``due A12``, ``give A12``, ``drop A12``). Some owners report their action done in chat (``done A12``, through the same command
every platform runs), before its due date or after it. At each review date the review run starts (the demo plays the scheduler's part: it
marks the ``start_flow`` job done and sets the review's ``run_id``; for repeats it plays the
router's, counting ``repeat_count``); it is answered on time, late, or never; owners say whether
their action was done, so actions end done on time, done late, open or dropped.
"""

from __future__ import annotations

import asyncio
import functools
import heapq
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from bot import config, outbox, texts
from bot.analytics import demo_people
from bot.control import run_command
from bot.dispatch import Dispatcher
from bot.errors import BotError
from bot.flow_catalog import FlowCatalog
from bot.model import Actor, ConversationKey, Message, Trigger
from bot.scheduler import Scheduler
from bot.store import iso, runs, transaction

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


class Sim:
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

    def zone_of(self, actor: Actor) -> ZoneInfo:
        return self.zones.get(actor.name, ZoneInfo("UTC"))

    # --- the clock ---------------------------------------------------------------------------

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

    # --- runs --------------------------------------------------------------------------------

    def trigger(self) -> None:
        rnd = self.rnd
        channel = rnd.choices(list(TEAMS), weights=[55, 30, 15])[0]
        names = rnd.sample(list(TEAMS[channel]), 4)
        fac, *team = (Actor(f"{channel}:{n}", n) for n in names)
        self.started += 1
        conversation = ConversationKey(channel, f"demo-{self.started}")
        if rnd.random() < 0.55:
            trig = Trigger(flow="post_meeting", source=channel, title=rnd.choice(["Weekly sync", "Planning", "Retro"]))
        else:
            metric, value, threshold = rnd.choice(METRICS)
            source = rnd.choice(list(SOURCES))
            trig = Trigger(flow="metric_breach", source=source, kind=SOURCES[source], title=f"{metric} breached")
            trig.data = {"metric": metric, "value": value, "threshold": threshold, "link": "https://dash.example/m"}
            trig.dedup_key = f"{source}:{metric}"
        trig.facilitator, trig.participants = fac, team
        result = self.dispatcher.start(trig, conversation)
        plan = Plan(result.run_id, trig.flow, conversation, fac, team, actions=rnd.choice([1, 1, 2, 2, 3]))
        plan.fate = rnd.choices(["complete", "abandon", "cancel"], weights=[80, 12, 8])[0]
        plan.stop_after = rnd.randint(1, 5)
        if rnd.random() < 0.3:
            plan.corrections.append(rnd.choice(["decision", "due", "owner"]))
        self.delivered(channel)
        if trig.flow == "metric_breach" and rnd.random() < 0.4:
            for k in range(rnd.randint(1, 4)):
                self.at(self.now + timedelta(hours=2 * (k + 1)), functools.partial(self.repeat, plan))
        self.at(self.later(fac, rnd.lognormvariate(3, 1.2)), lambda: self.act(plan))

    def repeat(self, plan: Plan) -> None:
        """The same alert fires again while its run is open: the router counts it on the event."""
        row = runs.load_run(self.db.conn, plan.run_id)
        if row and row.status == "active" and row.event_id:
            self.db.conn.execute(
                "UPDATE events SET repeat_count = repeat_count + 1, last_seen_at = ? WHERE id = ?",
                (iso(self.now), row.event_id),
            )

    def act(self, plan: Plan) -> None:
        """Answer the first open question of the run, then come back for the next one."""
        row = runs.load_run(self.db.conn, plan.run_id)
        if row is None or row.status not in ("active", "stalled"):  # a late answer picks a stalled run up
            return
        if plan.fate in ("abandon", "silent") and plan.answered >= plan.stop_after:
            return
        if plan.fate == "cancel" and plan.answered >= plan.stop_after:
            self.say(plan, plan.fac, "cancel")
            self.say(plan, plan.fac, "yes")
            return
        prompts = [p for p in row.context.prompts if p.asked]
        if not prompts:
            return
        prompt = prompts[0]
        who = prompt.actor
        if who.id == plan.fac.id and plan.corrections and prompt.step in ("owner_accepts", "review_at", "next_review"):
            self.say(plan, who, self.correction(plan, plan.corrections.pop()))
        self.say(plan, who, self.answer(plan, prompt.step, prompt.field, prompt.purpose, who))
        plan.answered += 1
        after = self.rnd.lognormvariate(2.5, 1.3) + 60 * 24 * plan.slow_days
        plan.slow_days = 0.0
        nxt = runs.load_run(self.db.conn, plan.run_id)
        if nxt and nxt.status == "completed":
            self.completed(plan)
        elif nxt and nxt.context.prompts:
            first = next((p for p in nxt.context.prompts if p.asked), nxt.context.prompts[0])
            self.at(self.later(first.actor, after), lambda: self.act(plan))

    def say(self, plan: Plan, who: Actor, text: str) -> None:
        self.dispatcher.handle(Message(plan.conversation, who, text), run_id=plan.run_id)
        self.delivered(plan.conversation.channel)

    def delivered(self, channel: str) -> None:
        queued = outbox.pending(self.db, channel)
        outbox.mark_sent(self.db, [q.id for q in queued], self.now + timedelta(seconds=1))

    def correction(self, plan: Plan, kind: str) -> str:
        if kind == "due":
            return f"change the due date of action 1 to {self.rnd.choice(DUES)}"
        if kind == "owner":
            return f"change owner of action 1 to {self.rnd.choice(plan.team).name}"
        target = "decision" if plan.flow == "post_meeting" else "plan"
        return f"change {target} to {self.rnd.choice(DECISIONS)}"

    def answer(self, plan: Plan, step: str, fld: str | None, purpose: str, who: Actor) -> str:
        rnd = self.rnd
        if purpose == "reassign":
            return rnd.choice(plan.team).name
        if step == "actions":
            if fld == "what":
                plan.actions -= 1
                return rnd.choice(ACTIONS) if plan.actions >= 0 else "done"
            if fld == "owner":
                return rnd.choice(plan.team).name
            return rnd.choice(DUES) if rnd.random() > 0.05 else "someday"  # 'someday' is refused, then retried
        choices: dict[str, Any] = {
            "decision": lambda: rnd.choice(DECISIONS),
            "plan": lambda: rnd.choice(DECISIONS),
            "new_decision": lambda: rnd.choice(DECISIONS),
            "ignore_reason": lambda: "It is a known blip from the data import",
            "acknowledge": lambda: "me",
            "response": lambda: rnd.choices(["act", "watch", "ignore"], weights=[60, 25, 15])[0],
            "owner_accepts": lambda: "no" if rnd.random() < 0.08 else "yes",
            "review_at": lambda: rnd.choice(["ok", "ok", "in 3 weeks", "in 2 weeks"]),
            "next_review": lambda: rnd.choice(["ok", "in 3 weeks"]),
            "actions_done": lambda: "yes" if rnd.random() < 0.7 else "no",
            "outcome": lambda: rnd.choices(["keep", "change", "drop"], weights=[60, 25, 15])[0],
            "takes_over": lambda: "no" if self.changes_rnd.random() < 0.2 else "yes",
        }
        return choices.get(step, lambda: "ok")()

    # --- reviews -----------------------------------------------------------------------------

    def completed(self, plan: Plan) -> None:
        """Start the review runs the completed run scheduled, at their time (the scheduler's part);
        some owners report their action done before then, on time or late."""
        self.report_done(plan)
        jobs = self.db.conn.execute(
            "SELECT id, due_at FROM jobs WHERE run_id = ? AND kind = 'start_flow' AND done_at IS NULL",
            (plan.run_id,),
        ).fetchall()
        for job_id, due_at in jobs:
            when = datetime.fromisoformat(due_at.replace("Z", "+00:00"))
            self.at(when, functools.partial(self.review, job_id, plan))

    def report_done(self, plan: Plan) -> None:
        """About half the owners say ``done A12`` themselves, most before the due date, some after."""
        rnd = self.owners_rnd
        people = {p.id: p for p in [plan.fac, *plan.team]}
        rows = self.db.conn.execute(
            "SELECT a.id, a.owner_id, a.due FROM actions a JOIN decisions d ON d.id = a.decision_id"
            " WHERE d.run_id = ? AND a.status = 'open' ORDER BY a.id",
            (plan.run_id,),
        ).fetchall()
        for action_id, owner_id, due in rows:
            owner = people.get(owner_id)
            if owner is None or not due or rnd.random() < 0.5:
                if owner is not None and due:
                    self.plan_change(plan, owner, action_id, due)
                continue
            deadline = datetime.fromisoformat(f"{due}T17:00:00").replace(tzinfo=self.zone_of(owner))
            when = deadline + timedelta(days=rnd.choice([-6, -3, -2, -1, -1, 0, 0, 2, 5]))
            if when > self.now:
                self.at(self.working_time(owner, when), functools.partial(self.say_done, owner, action_id))

    def say_done(self, owner: Actor, action_id: int) -> None:
        self.say_command(owner, f"done A{action_id}")

    def say_command(self, who: Actor, text: str) -> None:
        with transaction(self.db):
            run_command(self.dispatcher, who, ConversationKey(who.id.split(":")[0], f"dm-{who.name}"), text)

    def plan_change(self, plan: Plan, owner: Actor, action_id: int, due: str) -> None:
        """Plans change after the meeting, a few days before the due date: an owner moves it or
        hands the action to a teammate, who says yes or no (``due A12``, ``give A12``), or the
        facilitator drops it (``drop A12``)."""
        rnd = self.changes_rnd
        change = rnd.choices(["none", "due", "give", "drop"], weights=[64, 14, 12, 10])[0]
        others = [p for p in plan.team if p.id != owner.id]
        said = {
            "due": (owner, f"due A{action_id} in 2 weeks"),
            "give": (owner, f"give A{action_id} {rnd.choice(others or [owner]).name} I am away next month"),
            "drop": (plan.fac, f"drop A{action_id} the plan changed"),
        }.get(change)
        when = datetime.fromisoformat(f"{due}T12:00:00").replace(tzinfo=UTC) - timedelta(days=rnd.randint(1, 5))
        if said and when > self.now and (change != "give" or others):
            self.at(self.working_time(said[0], when, rnd), functools.partial(self.say_change, plan, *said))

    def say_change(self, plan: Plan, who: Actor, text: str) -> None:
        (before,) = self.db.conn.execute("SELECT max(id) FROM runs").fetchone()
        self.say_command(who, text)
        self.delivered(plan.conversation.channel)
        handover = runs.load_run(self.db.conn, before + 1)  # give: the question to the teammate, a run
        if handover is not None:
            asked = Plan(handover.id, handover.flow_id, handover.conversation, who, plan.team)
            rnd = self.changes_rnd
            self.at(
                self.working_time(who, self.now + timedelta(minutes=rnd.lognormvariate(5, 1)), rnd),
                lambda: self.act(asked),
            )

    def review(self, job_id: int, plan: Plan) -> None:
        payload = self.db.conn.execute("SELECT payload FROM jobs WHERE id = ?", (job_id,)).fetchone()[0]
        self.db.conn.execute(
            "UPDATE jobs SET claimed_at = ?, done_at = ?, outcome = 'done' WHERE id = ?",
            (iso(self.now), iso(self.now), job_id),
        )
        data = json.loads(payload)
        trig = Trigger(flow=data["flow"], source="schedule", kind="review", data={"decision_id": data["decision_id"]})
        result = self.dispatcher.start(trig, plan.conversation)
        runs.review_started(self.db.conn, data["decision_id"], result.run_id)  # as the scheduler does
        self.delivered(plan.conversation.channel)
        fate = self.rnd.choices(["on_time", "late", "missed"], weights=[70, 15, 15])[0]
        nxt = Plan(result.run_id, trig.flow, plan.conversation, plan.fac, plan.team)
        nxt.fate, nxt.stop_after = ("silent", 0) if fate == "missed" else ("complete", 99)
        nxt.slow_days = self.rnd.uniform(3.5, 6) if fate == "late" else 0.0
        self.at(self.later(plan.fac, 60 * 24 * nxt.slow_days + self.rnd.uniform(10, 300)), lambda: self.act(nxt))


def _unused(path: Path) -> str:
    """A file next to ``path`` that does not exist yet: ``demo-2.db``, ``demo-3.db``, ..."""
    n = 2
    while (fresh := path.with_name(f"{path.stem}-{n}{path.suffix}")).exists():
        n += 1
    return str(fresh)


def fill(
    db: Database,
    flows_dir: Path,
    runs: int,
    seed: int = 1,
    end: datetime | None = None,
    flows_given: str | None = None,
) -> dict[str, int]:
    """Simulate ``runs`` triggered runs (plus the review runs they lead to) into an empty ledger.
    ``flows_given``: the flows folder as the command was told it, for the advice on a ledger
    that is not empty."""
    existing = db.conn.execute("SELECT count(*) FROM runs").fetchone()[0]
    if existing:
        path = Path(db.conn.execute("PRAGMA database_list").fetchone()[2])
        raise BotError(texts.analytics_demo_not_empty(str(path), existing, _unused(path), flows_given))
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    sim = Sim(db, flows_dir, seed, end or today)
    span = (sim.end - timedelta(days=2) - sim.now).total_seconds()
    for offset in sorted(sim.rnd.uniform(0, span) for _ in range(runs)):
        sim.at(sim.now + timedelta(seconds=offset), sim.trigger)
    sim.run()
    demo_people.fill(db, TEAMS)  # as the platforms would have told of them
    count = {t: db.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("runs", "decisions", "actions")}
    count["reviews"] = db.conn.execute("SELECT count(*) FROM reviews").fetchone()[0]
    count["messages"] = db.conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    return count
