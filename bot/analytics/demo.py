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

import functools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from bot import texts
from bot.analytics import demo_people
from bot.analytics.demo_after import AfterMeeting
from bot.analytics.demo_world import ACTIONS, DECISIONS, DUES, METRICS, SOURCES, TEAMS, Plan
from bot.errors import BotError
from bot.model import Actor, ConversationKey, Trigger
from bot.store import iso, runs

#: The way in a demo meeting's run records, by channel (as ``runs list`` shows it: "slack slash").
_VIA = {"slack": "slash", "teams": "chat", "console": "chat"}


class Sim(AfterMeeting):
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
            trig.data = {"via": _VIA[channel]}  # how a facilitator starts one there
        else:
            metric, value, threshold = rnd.choice(METRICS)
            source = rnd.choice(list(SOURCES))
            trig = Trigger(flow="metric_breach", source=source, kind=SOURCES[source], title=f"{metric} breached")
            trig.data = {"metric": metric, "value": value, "threshold": threshold, "link": "https://dash.example/m"}
            if source == "check":  # a check's event names it, as bot/triggers/checks.py's do
                trig.data["check"] = metric
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
        self.say(plan, who, self.answer(plan, prompt.step, prompt.field, prompt.purpose))
        plan.answered += 1
        after = self.rnd.lognormvariate(2.5, 1.3) + 60 * 24 * plan.slow_days
        plan.slow_days = 0.0
        nxt = runs.load_run(self.db.conn, plan.run_id)
        if nxt and nxt.status == "completed":
            self.completed(plan)
        elif nxt and nxt.context.prompts:
            first = next((p for p in nxt.context.prompts if p.asked), nxt.context.prompts[0])
            self.at(self.later(first.actor, after), lambda: self.act(plan))

    def correction(self, plan: Plan, kind: str) -> str:
        if kind == "due":
            return f"change the due date of action 1 to {self.rnd.choice(DUES)}"
        if kind == "owner":
            return f"change owner of action 1 to {self.rnd.choice(plan.team).name}"
        target = "decision" if plan.flow == "post_meeting" else "plan"
        return f"change {target} to {self.rnd.choice(DECISIONS)}"

    def answer(self, plan: Plan, step: str, fld: str | None, purpose: str) -> str:
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
