"""An analyst's acceptance of a Slack day: three runs played through the real server (signed
requests, the fake Web API, the server's scheduler run at chosen instants) and every measure an
analyst asks of them checked against what the script did. Run 1, started by slash: answers typed
in the thread (one edited), its thread's root deleted (moved), an owner and a date picked, the
owner answering by direct message after a reminder. Run 2, started by a mention: an answer deleted,
the bot removed from the channel and back, an answer by direct message meanwhile, cancelled.
Run 3, an alert routed to #ops naming nobody: nobody answers, it stalls."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.analytics import report
from bot.analytics.measures import Params
from bot.analytics.sql import MEASURES, as_view
from bot.triggers.hooks import SCHEDULER
from tests.analytics.test_slack_sources import Day
from tests.clock import Clock
from tests.dates import JAN15
from tests.fakes.slack_api import BOT_USER, FakeSlack
from tests.slack_support import Harness, message, wait_for
from tests.test_slack_alert_channel_refused import served
from tests.test_slack_deleted import deletion
from tests.test_slack_edits import deleted, edited
from tests.test_slack_trigger_people import NOW, alert, hook


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


class Script(Day):
    """The day as it is played: when each question was first put to whom, and when answered."""

    def __init__(self, slack: Harness, clock: Clock) -> None:
        super().__init__(slack)
        self.clock = clock
        self.asked: dict[tuple[str, int, str], datetime] = {}
        self.answered: dict[tuple[str, int, str], datetime] = {}

    def at(self, hours: float) -> datetime:
        return self.clock.at(hours=hours)

    def ask(self, user: str, run: int, step: str) -> None:
        self.asked.setdefault((f"slack:{user}", run, step), self.clock.now)

    def note(self, run: int, step: str, field: str | None, user: str, surface: str) -> None:
        super().note(run, step, field, user, surface)
        self.answered.setdefault((f"slack:{user}", run, step), self.clock.now)

    async def due(self, hours: float) -> None:
        self.at(hours)
        await self.slack.client.server.app[SCHEDULER].run_due(self.clock.now)
        self.slack.services.notify("slack")


def _hours(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


def _rows(slack: Harness, sql: str) -> list[dict[str, Any]]:
    cur = slack.services.db.conn.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


async def _run_1(day: Script, slack: Harness, fake: FakeSlack) -> None:
    await slack.slash("UA", "start post_meeting Weekly sync")
    root = (await slack.posts(2))[0]
    day.ask("UA", 1, "decision")
    day.at(1)
    first = message("UA", "We ship in March", thread_ts=root["ts"])
    await day.typed(1, "decision", None, "UA", first["text"], thread_ts=root["ts"], ts=first["ts"])
    day.ask("UA", 1, "actions")
    day.at(1.25)
    await slack.event(edited(first, "We ship in May"))  # no answer
    day.at(2)
    await day.typed(1, "actions", "what", "UA", "Draft the plan", thread_ts=root["ts"])
    day.at(3)
    fake.remove("C1", root["ts"])
    await slack.event(deletion(root))  # the run moves to a new thread: its question asked again
    moved = await wait_for(lambda: [p for p in fake.posted() if "goes on in this thread" in p["text"]])
    await wait_for(
        lambda: fake.posted()[-1].get("thread_ts") == moved[0]["ts"] and "Who owns" in fake.posted()[-1]["text"]
    )
    day.at(4)
    await day.clicked(1, "actions", "owner", "UA", {"type": "users_select", "selected_user": "UB"})
    await day.clicked(1, "actions", "due", "UA", {"type": "datepicker", "selected_date": JAN15})
    more = await wait_for(lambda: [p for p in fake.posted() if "Action 2" in p["text"]])
    await slack.click("UA", more[-1], {"type": "button", "value": "done"})  # no more actions: no answer
    await wait_for(lambda: fake.posted()[-1]["channel"] == "DUB")
    day.ask("UB", 1, "owner_accepts")
    await day.due(9)  # Bob is reminded
    await wait_for(lambda: "Reminder" in fake.posted()[-1]["text"] and fake.posted()[-1]["channel"] == "DUB")
    day.at(10)
    await day.typed(1, "owner_accepts", None, "UB", "yes", channel="DUB")
    day.ask("UA", 1, "review_at")
    day.at(11)
    await day.clicked(1, "review_at", None, "UA", {"type": "button", "value": "default"})
    assert slack.rows("SELECT status FROM runs WHERE id = 1") == [("completed",)]


async def _run_2(day: Script, slack: Harness, fake: FakeSlack) -> None:
    day.at(20)
    mention = message("UA", f"<@{BOT_USER}> start post_meeting Retro", type="app_mention")
    del mention["channel_type"]
    await slack.event(mention)
    await wait_for(lambda: slack.rows("SELECT 1 FROM runs WHERE id = 2"))
    day.ask("UA", 2, "decision")
    day.at(21)
    kept = message("UA", "We keep it", thread_ts=mention["ts"])
    await day.typed(2, "decision", None, "UA", kept["text"], thread_ts=mention["ts"], ts=kept["ts"])
    day.ask("UA", 2, "actions")
    day.at(21.5)
    await slack.event(deleted(kept))  # the answer stays
    day.at(22)
    fake.shut_out("C1")  # as Slack says it now: the bot asks before it believes the event
    await slack.event({"type": "channel_left", "channel": "C1", "actor_id": "UB", "event_ts": "1800000300.1"})
    await wait_for(lambda: fake.posted()[-1]["channel"] == "DUA")
    day.at(23)
    await day.typed(2, "actions", "what", "UA", "Book the room", channel="DUA", channel_type="im")
    day.at(24)
    fake.let_in("C1")
    back = {"type": "member_joined_channel", "user": "UBOT", "channel": "C1", "channel_type": "C", "team": "T111"}
    await slack.event({**back, "event_ts": "1800000300.2"})
    await wait_for(lambda: slack.rows("SELECT 1 FROM transitions WHERE event = 'channel_back'"))
    day.at(25)
    await slack.say(mention["ts"], "cancel", "yes")
    assert slack.rows("SELECT status FROM runs WHERE id = 2") == [("cancelled",)]


async def test_a_slack_day_as_an_analyst_reads_it(tmp_path: Path, fake: FakeSlack, clock: Clock) -> None:
    slack = await served(tmp_path, fake, clock, "")
    await slack.client.server.app[SCHEDULER].stop()
    try:
        day = Script(slack, clock)
        await _run_1(day, slack, fake)
        await _run_2(day, slack, fake)
        day.at(30)
        assert (await hook(slack, alert()))["started"] == [3]
        await day.due(30 + 7 * 24 + 1)  # past metric_breach's expire_after: it stalls
        stalled_at = clock.now
        _check(slack, day, stalled_at)
    finally:
        await slack.client.close()


def _check(slack: Harness, day: Script, stalled_at: datetime) -> None:
    start = {1: NOW, 2: NOW + timedelta(hours=20), 3: NOW + timedelta(hours=30)}
    first = {run: min(at for (_, r, _), at in day.answered.items() if r == run) for run in (1, 2)}
    latency = {
        r["run_id"]: (r["hours_to_first_answer"], r["hours_to_decision"])
        for r in _rows(slack, "SELECT * FROM run_latency")
    }
    decided = day.answered[("slack:UA", 1, "decision")]
    assert latency == {1: (_hours(start[1], first[1]), _hours(start[1], decided)),
                       2: (_hours(start[2], first[2]), None), 3: (None, None)}  # fmt: skip

    times = {
        (r["person"], r["run_id"], r["step"]): r["hours_to_answer"] for r in _rows(slack, "SELECT * FROM answer_times")
    }
    assert times == {k: _hours(at, day.answered[k]) if k in day.answered else None for k, at in day.asked.items()}

    people = {r["person"]: r for r in _rows(slack, "SELECT * FROM participation")}
    for person in ("slack:UA", "slack:UB"):
        asked = [k for k in day.asked if k[0] == person]
        row = people[person]
        assert row["answers"] == sum(1 for r in day.expected if r[3] == person), person
        assert (row["prompts_addressed"], row["prompts_answered"]) == (
            len(asked),
            sum(k in day.answered for k in asked),
        )
    assert set(people) == {"slack:UA", "slack:UB"}  # the alert's placeholder lead is nobody
    assert (people["slack:UA"]["name"], people["slack:UB"]["name"]) == ("Alice", "Bob")

    got = slack.rows("SELECT run_id, step, field, actor_id, surface FROM answer_sources ORDER BY answer_id")
    assert got == day.expected

    stops = {r["run_id"]: (r["status"], r["stop_step"]) for r in _rows(slack, "SELECT * FROM run_stops")}
    assert stops == {1: ("completed", None), 2: ("cancelled", "actions"), 3: ("stalled", "acknowledge")}
    [stall] = _rows(slack, "SELECT * FROM run_stalls")
    assert (stall["run_id"], stall["hours_waited"]) == (3, _hours(start[3], stalled_at))

    quality = {
        (r["source"], r["kind"]): (r["events"], r["decided"]) for r in _rows(slack, "SELECT * FROM trigger_quality")
    }
    assert quality == {
        ("slack", "manual"): (2, 1),
        ("alertmanager", "alert"): (1, 0),
        ("(all)", "(not review)"): (3, 1),
    }

    for name in ("run_latency", "answer_times", "participation", "answer_sources", "run_stalls", "trigger_quality"):
        assert slack.rows(f"SELECT * FROM {name}") == slack.rows(as_view(MEASURES[name])), name
    rep = report.build(slack.services.db.conn, Params(as_of=stalled_at))
    assert {r["person"]: r["answers"] for r in rep["participation"]} == {p: r["answers"] for p, r in people.items()}
