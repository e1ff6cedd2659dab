"""After the meeting in the demo: owners report their action done, move its due date or hand it over,
facilitators drop one; review runs start at their date (the scheduler's part) and are answered on
time, late or never."""

from __future__ import annotations

import functools
import json
from abc import ABC, abstractmethod
from datetime import UTC, datetime, timedelta

from bot.analytics.demo_world import Plan, World
from bot.control import run_command
from bot.model import Actor, ConversationKey, Trigger
from bot.store import iso, runs, transaction


class AfterMeeting(World, ABC):
    @abstractmethod
    def act(self, plan: Plan) -> None:
        """Answer the first open question of the run, then come back for the next one."""

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
