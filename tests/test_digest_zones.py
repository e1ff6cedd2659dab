"""The owners' digest comes at the schedule's hour on each owner's own clock: 09:00 in Tokyo, 09:00
in New York, and 09:00 in the server's zone (DECISIONBOT_TIMEZONE) for an owner whose zone is not
known. Each owner gets at most one a day of their calendar (a zone changed after one came brings
no second that day), and a digest missed while the server was down comes when it is back, that
day. Before, every owner got it at 09:00 in the server's zone: 17:00 in Tokyo, 03:00 in New York.

Real parts: the dispatcher and the scheduler on a SQLite file, the owners' zones given through the
dispatcher's ``tz_for`` (as Slack's users.info and a Teams client set them); the scheduler made
anew for each round, as a restarted server would be."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.dispatch import Dispatcher
from bot.flow_catalog import FlowCatalog
from bot.model import Actor, Message, Trigger
from bot.scheduler import Scheduler
from bot.store import open_db
from tests.clock import Clock
from tests.test_zones import CONV, flows_with

DIGEST = "SELECT actor_name FROM messages WHERE id > ? AND text LIKE '%your open actions%' ORDER BY id"
PENDING = "SELECT due_at FROM jobs WHERE kind = 'digest' AND done_at IS NULL"


class Owners:
    """A server in Berlin; Alice's meeting gave an action each to Bob (New York), Carol (Tokyo) and
    Dan (no zone known: the server's)."""

    def __init__(self, tmp: Path, now: datetime, schedule: str = "0 9 * * *") -> None:
        self.zones = {"bob": "America/New_York", "carol": "Asia/Tokyo"}
        self.clock = Clock(now)
        self.db = open_db(tmp / "ledger.db")
        folder = flows_with(tmp / "flows")
        (folder / "checks.yaml").write_text(f'checks: []\ndigest:\n  schedule: "{schedule}"\n')
        berlin = ZoneInfo("Europe/Berlin")
        self.bot = Dispatcher(
            self.db,
            FlowCatalog(folder, self.db),
            berlin,
            clock=self.clock,
            tz_for=lambda actor: ZoneInfo(self.zones[actor.name]) if actor.name in self.zones else berlin,
        )
        self.seen = 0

    def meeting(self) -> None:
        alice = Actor("console:alice", "alice")
        owners = {n: Actor(f"console:{n}", n) for n in ("bob", "carol", "dan")}
        self.bot.start(
            Trigger(flow="post_meeting", title="Weekly", facilitator=alice, participants=[*owners.values()]), CONV
        )
        said = ["We ship"]
        for name in owners:
            said += [f"Task of {name}", f"@{name}", "2027-01-15"]
        for text in [*said, "done"]:
            self.bot.handle(Message(CONV, alice, text))
        for owner in owners.values():
            self.bot.handle(Message(CONV, owner, "yes"))
        self.bot.handle(Message(CONV, alice, "ok"))
        assert self.rows("SELECT count(*) FROM actions WHERE status = 'open'") == [(3,)]

    def plan(self) -> None:
        Scheduler(self.bot, {}).plan(self.clock.now)

    def run_due(self, at: datetime) -> list[str]:
        """The digests that went out when the server ran what was due at ``at``: to whom."""
        self.clock.now = at
        asyncio.run(Scheduler(self.bot, {}).run_due(at))
        got = [row[0] for row in self.rows(DIGEST, self.seen)]
        self.seen = self.rows("SELECT max(id) FROM messages")[0][0]
        return got

    def rows(self, sql: str, *params: object) -> list[tuple]:
        return self.db.execute(sql, params).fetchall()


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def test_each_owner_gets_the_digest_at_nine_on_their_own_clock(tmp_path: Path) -> None:
    owners = Owners(tmp_path, utc(7, 15))  # Monday 16:00 in Berlin, 10:00 in New York
    owners.meeting()
    owners.plan()
    assert owners.rows(PENDING) == [("2026-12-08T00:00:00.000Z",)]  # Tuesday 09:00 in Tokyo, the first
    assert owners.run_due(utc(7, 23, 59)) == []
    assert owners.run_due(utc(8, 0)) == ["carol"]  # 09:00 in Tokyo (before: 17:00, with everyone's)
    assert owners.run_due(utc(8, 8)) == ["dan"]  # 09:00 in Berlin: the server's zone, his being unknown
    assert owners.run_due(utc(8, 13, 59)) == []
    assert owners.run_due(utc(8, 14)) == ["bob"]  # 09:00 in New York (before: 03:00)
    assert owners.run_due(utc(9, 0)) == ["carol"]  # the next day, each in theirs
    owners.db.conn.close()


def test_an_owner_gets_one_digest_a_day_of_their_calendar_though_their_zone_changed(tmp_path: Path) -> None:
    owners = Owners(tmp_path, utc(7, 15))
    owners.meeting()
    owners.plan()
    assert owners.run_due(utc(8, 0)) == ["carol"]
    assert owners.run_due(utc(8, 8)) == ["dan"]
    assert owners.run_due(utc(8, 14)) == ["bob"]  # Tuesday 09:00 in New York
    owners.zones["bob"] = "Pacific/Honolulu"  # he flew west: Tuesday 09:00 comes again there, at 19:00Z
    owners.plan()  # as the server does each minute
    assert owners.rows(PENDING) == [("2026-12-08T19:00:00.000Z",)]  # Tuesday 09:00 in Honolulu comes first now
    assert owners.run_due(utc(8, 19)) == []  # not a second one on his Tuesday
    assert owners.run_due(utc(9, 0)) == ["carol"]
    assert owners.run_due(utc(9, 8)) == ["dan"]
    assert owners.run_due(utc(9, 19)) == ["bob"]  # Wednesday 09:00 in Honolulu
    owners.db.conn.close()


def test_a_digest_missed_while_the_server_was_down_comes_when_it_is_back_that_day(tmp_path: Path) -> None:
    owners = Owners(tmp_path, utc(7, 15))
    owners.meeting()
    owners.plan()
    assert owners.run_due(utc(8, 0)) == ["carol"]
    assert owners.run_due(utc(8, 8)) == ["dan"]
    # down from 13:00Z to 16:00Z: Bob's 09:00 in New York passed meanwhile
    assert owners.run_due(utc(8, 16)) == ["bob"]  # 11:00 there: late, but on his Tuesday
    assert owners.run_due(utc(9, 0)) == ["carol"]
    # down from Wednesday 01:00Z to Thursday 07:00Z: Wednesday's 09:00 passed everywhere. In Tokyo it
    # is Thursday 16:00, past Thursday's: Carol gets it now. In New York it is 02:00 and in Berlin
    # 08:00: Bob and Dan get Thursday's at its hour, not Wednesday's in the night and another at 09:00
    assert owners.run_due(utc(10, 7)) == ["carol"]
    assert owners.run_due(utc(10, 8)) == ["dan"]
    assert owners.run_due(utc(10, 14)) == ["bob"]
    owners.db.conn.close()


def test_a_weekday_digest_missed_on_friday_comes_on_monday_not_on_saturday(tmp_path: Path) -> None:
    owners = Owners(tmp_path, utc(7, 15), schedule="0 9 * * 1-5")
    owners.meeting()
    owners.plan()
    for day in (8, 9, 10):  # Tuesday to Thursday: each at 09:00 of theirs
        assert [owners.run_due(utc(day, hour)) for hour in (0, 8, 14)] == [["carol"], ["dan"], ["bob"]]
    # down from Thursday 20:00Z to Saturday 10:00Z: Friday's 09:00 passed in every zone. It is
    # Saturday for all three: a day the schedule leaves out (before, each got Friday's then)
    assert owners.run_due(utc(12, 10)) == []
    owners.plan()
    assert owners.rows(PENDING) == [("2026-12-14T00:00:00.000Z",)]  # Monday 09:00 in Tokyo
    assert owners.run_due(utc(14, 0)) == ["carol"]
    assert owners.run_due(utc(14, 8)) == ["dan"]
    assert owners.run_due(utc(14, 14)) == ["bob"]
    owners.db.conn.close()
