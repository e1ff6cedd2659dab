"""Time zones and daylight saving in what the bot schedules: the review job and its invitation
on the facilitator's calendar, 'overdue' on the owner's, an .ics event that lasts what it says
across a clock change, and cron schedules in the hour the autumn shift repeats or spring skips.

Real parts throughout: the dispatcher and scheduler on a SQLite file, people's zones given
through the dispatcher's ``tz_for`` (as a channel that knows them sets it)."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from bot import ics
from bot.cli import main
from bot.dispatch import Dispatcher
from bot.engine.reader import read_flow_text
from bot.errors import FlowError
from bot.flow_catalog import FlowCatalog
from bot.model import Actor, ConversationKey, Message, Trigger
from bot.scheduler import Scheduler
from bot.store import iso, jobs, open_db, transaction
from bot.triggers import next_time
from tests.clock import Clock
from tests.flows_support import load_flows

ROOT = Path(__file__).resolve().parents[1]
BERLIN = ZoneInfo("Europe/Berlin")
CONV = ConversationKey("console", "room")
SUMMARY = "  - post_summary: conversation\n"


def flows_with(folder: Path, invite: str | None = None) -> Path:
    """The shipped post_meeting and decision_review; post_meeting with ``invite`` (a
    calendar_invite mapping) in its on_complete."""
    folder.mkdir()
    shutil.copy(ROOT / "flows" / "decision_review.yaml", folder)
    text = (ROOT / "flows" / "post_meeting.yaml").read_text()
    if invite:
        assert SUMMARY in text
        text = text.replace(SUMMARY, f"{SUMMARY}  - calendar_invite: {invite}\n")
    (folder / "post_meeting.yaml").write_text(text)
    return folder


class Bot:
    """A dispatcher in ``bot_tz`` whose people live in ``zones`` (by name), on a moving clock."""

    def __init__(self, tmp: Path, now: datetime, bot_tz: str, zones: dict[str, str], invite: str | None = None):
        self.clock = Clock(now)
        self.db = open_db(tmp / "ledger.db")
        catalog = FlowCatalog(flows_with(tmp / "flows", invite), self.db)
        self.bot = Dispatcher(
            self.db,
            catalog,
            ZoneInfo(bot_tz),
            clock=self.clock,
            tz_for=lambda actor: ZoneInfo(zones.get(actor.name, bot_tz)),
        )

    def complete(self, due: str, review: str) -> int:
        """post_meeting by alice: one action for bob due ``due``, reviewed on ``review``."""
        alice, bob = Actor("console:alice", "alice"), Actor("console:bob", "bob")
        trigger = Trigger(flow="post_meeting", title="Weekly sync", facilitator=alice, participants=[bob])
        run = self.bot.start(trigger, CONV)
        for who, text in [(alice, "We ship"), (alice, "Plan"), (alice, "@bob"), (alice, due), (alice, "done")]:
            self.bot.handle(Message(CONV, who, text))
        self.bot.handle(Message(CONV, bob, "yes"))
        self.bot.handle(Message(CONV, alice, review))
        assert self.rows("SELECT status FROM runs WHERE id = ?", run.run_id) == [("completed",)]
        return run.run_id

    def run_due(self, at: datetime) -> list[tuple[str, str]]:
        self.clock.now = at
        return [(j.kind, outcome) for j, outcome in asyncio.run(Scheduler(self.bot, {}).run_due(at))]

    def rows(self, sql: str, *params: object) -> list[tuple]:
        return self.db.execute(sql, params).fetchall()

    def invite_times(self, run_id: int) -> tuple[str, str]:
        content = ics.attachments_of(self.db.conn, run_id)[0]["content"]
        fields = dict(line.split(":", 1) for line in content.split("\r\n") if line.startswith("DT"))
        return fields["DTSTART"], fields["DTEND"]


@pytest.fixture
def hawaii(tmp_path: Path):
    # the bot in UTC; alice (facilitator) and bob in Honolulu (UTC-10); Monday 10:00 there
    zones = {"alice": "Pacific/Honolulu", "bob": "Pacific/Honolulu"}
    monday = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
    bot = Bot(tmp_path, monday, "UTC", zones, "{at: review_at, time: '10:00', duration: 30m}")
    yield bot
    bot.db.conn.close()


# --- 1. the review starts on the facilitator's date, at 09:00 on their clock ------------------


def test_a_review_starts_at_nine_on_the_facilitators_calendar_not_the_bots(hawaii: Bot) -> None:
    run_id = hawaii.complete("friday", "friday")  # Friday 2026-03-06, as alice's calendar shows it
    assert hawaii.rows("SELECT due_at FROM reviews") == [("2026-03-06",)]
    assert hawaii.rows("SELECT due_at FROM jobs WHERE kind = 'start_flow'") == [("2026-03-06T19:00:00.000Z",)]
    # 09:00 UTC on the 6th is Thursday 23:00 in Honolulu: too early
    assert hawaii.run_due(datetime(2026, 3, 6, 9, 0, tzinfo=UTC)) == []
    assert hawaii.run_due(datetime(2026, 3, 6, 19, 0, tzinfo=UTC)) == [("start_flow", "done: run 2")]
    # the invitation is for 10:00 in Honolulu on the same day
    assert hawaii.invite_times(run_id) == ("20260306T200000Z", "20260306T203000Z")


# --- 2. 'overdue' by the owner's own calendar ---------------------------------------------


@pytest.mark.parametrize(
    ("owner_zone", "at", "overdue"),
    [
        ("Pacific/Honolulu", datetime(2026, 12, 7, 8, 0, tzinfo=UTC), False),  # 12-06 22:00 for bob (12-07 in Berlin)
        ("Pacific/Honolulu", datetime(2026, 12, 7, 10, 0, tzinfo=UTC), True),  # 12-07 00:00 for bob
        ("Pacific/Tongatapu", datetime(2026, 12, 6, 12, 0, tzinfo=UTC), True),  # 12-07 01:00 for bob (12-06 in Berlin)
        ("Europe/Berlin", datetime(2026, 12, 6, 22, 59, tzinfo=UTC), False),  # 12-06 23:59 for bob
    ],
)
def test_the_digest_marks_an_action_overdue_only_once_its_owners_day_is_over(
    tmp_path: Path, owner_zone: str, at: datetime, overdue: bool
) -> None:
    bot = Bot(tmp_path, datetime(2026, 12, 1, 20, 0, tzinfo=UTC), "Europe/Berlin", {"bob": owner_zone})
    bot.complete("2026-12-06", "ok")
    with transaction(bot.db) as conn:
        jobs.add_job(conn, None, "digest", at, {"schedule": None}, at)
    assert bot.run_due(at) == [("digest", "done: 1 owner(s)")]
    (text,) = bot.rows("SELECT text FROM messages WHERE actor_name = 'bob' AND text LIKE '%open actions%'")[0]
    assert ("due 2026-12-06 - overdue" in text) is overdue
    assert text.startswith("bob, your open actions (1, 1 overdue):" if overdue else "bob, your open actions (1):")
    bot.db.conn.close()


def test_jobs_run_due_from_cron_reads_the_zone_the_owners_platform_reported(tmp_path: Path) -> None:
    """No server, no channel: the CLI's dispatcher reads the zones the ledger keeps."""
    db_path, folder = tmp_path / "ledger.db", flows_with(tmp_path / "flows")
    db = open_db(db_path)
    alice, bob, conv = Actor("slack:UALICE", "alice"), Actor("slack:UBOB", "bob"), ConversationKey("slack", "C1")
    bot = Dispatcher(db, FlowCatalog(folder, db), BERLIN, clock=lambda: datetime(2026, 12, 1, 20, 0, tzinfo=UTC))
    bot.start(Trigger(flow="post_meeting", title="Weekly", facilitator=alice, participants=[bob]), conv)
    for who, text in [(alice, "We ship"), (alice, "Plan"), (alice, "<@UBOB>"), (alice, "2026-12-06"), (alice, "done")]:
        bot.handle(Message(conv, who, text, mentions={"<@UBOB>": bob}))
    bot.handle(Message(conv, bob, "yes"))
    bot.handle(Message(conv, alice, "ok"))
    at = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # 12-06 22:00 in Honolulu, 12-07 in Berlin
    with transaction(db) as conn:  # as Slack's users.info told the server
        conn.execute(
            "INSERT INTO people (id, name, tz, fetched_at) VALUES ('slack:UBOB', 'bob', 'Pacific/Honolulu', ?)",
            (at.isoformat(),),
        )
        jobs.add_job(conn, None, "digest", at, {"schedule": None}, at)
    db.conn.close()
    args = ["--db", str(db_path), "--flows", str(folder), "jobs", "run-due", "--now", at.isoformat()]
    result = CliRunner().invoke(main, args, env={"DECISIONBOT_TIMEZONE": "Europe/Berlin"})
    assert result.exit_code == 0, result.output
    db = open_db(db_path)
    (text,) = db.execute(
        "SELECT text FROM messages WHERE actor_id = 'slack:UBOB' AND text LIKE '%open actions%'"
    ).fetchone()
    db.conn.close()
    assert text.startswith("bob, your open actions (1):")  # before: "(1, 1 overdue)", by Berlin's date


# --- 3. the invitation across a clock change; a zero duration refused -----------------------


@pytest.mark.parametrize(
    ("time", "duration", "review", "start", "end"),
    [
        # 02:30 does not exist on 2027-03-28 in Berlin: it moves forward to 03:30 CEST (01:30Z)
        ("02:30", "45m", "2027-03-28", "20270328T013000Z", "20270328T021500Z"),
        # 01:30 CEST + 2h of elapsed time is 02:30 CET (the clock went back): 2h, not 3h
        ("01:30", "2h", "2026-10-25", "20261024T233000Z", "20261025T013000Z"),
        # 01:30 CET + 2h is 04:30 CEST (the clock went forward): 2h, not 1h
        ("01:30", "2h", "2027-03-28", "20270328T003000Z", "20270328T023000Z"),
    ],
)
def test_the_invitation_lasts_its_duration_across_a_clock_change(
    tmp_path: Path, time: str, duration: str, review: str, start: str, end: str
) -> None:
    now = datetime.fromisoformat(f"{review}T12:00:00+00:00") - timedelta(days=8)
    bot = Bot(tmp_path, now, "Europe/Berlin", {}, f"{{at: review_at, time: '{time}', duration: {duration}}}")
    run_id = bot.complete("tomorrow", review)
    assert bot.invite_times(run_id) == (start, end)
    bot.db.conn.close()


def test_a_zero_invitation_duration_is_refused_at_load(tmp_path: Path) -> None:
    folder = flows_with(tmp_path / "flows", "{at: review_at, time: '10:00', duration: 0m}")
    with pytest.raises(FlowError) as refused:
        load_flows(folder)
    assert "calendar_invite.duration is 0m" in str(refused.value)
    assert "post_meeting.yaml" in str(refused.value)


def test_a_pinned_version_with_a_zero_duration_gets_the_default_length(tmp_path: Path) -> None:
    """A run pinned to a version from before the check still gets a valid event (30 minutes)."""
    text = (ROOT / "flows" / "post_meeting.yaml").read_text()
    text = text.replace(SUMMARY, f"{SUMMARY}  - calendar_invite: {{at: review_at, time: '10:00', duration: 0m}}\n")
    flow = read_flow_text(text, str(tmp_path / "post_meeting.yaml"), pinned=True)
    record = {"run": 1, "title": "Weekly sync", "facilitator": {"id": "console:alice", "name": "alice"},
              "answers": {"review_at": "2027-01-15"}, "actions": []}  # fmt: skip
    invite = ics.review_invite(flow, record, [], 1, BERLIN, datetime(2027, 1, 1, tzinfo=UTC))
    assert invite is not None
    assert "DTSTART:20270115T090000Z\r\nDTEND:20270115T093000Z\r\n" in invite["content"]


# --- 4. cron in the repeated and the skipped hour --------------------------------------------


def series(schedule: str, after: str, count: int, tz: ZoneInfo = BERLIN) -> list[str]:
    out, moment = [], datetime.fromisoformat(after)
    for _ in range(count):
        moment = next_time(schedule, moment, tz)
        out.append(moment.astimezone(UTC).strftime("%m-%dT%H:%MZ"))
    return out


def test_a_daily_time_in_the_repeated_autumn_hour_runs_once() -> None:
    # 02:30 on 2026-10-25 is 00:30Z (CEST) and again 01:30Z (CET): only the first
    assert series("30 2 * * *", "2026-10-24T12:00:00+00:00", 3) == ["10-25T00:30Z", "10-26T01:30Z", "10-27T01:30Z"]
    assert series("30 2 * * *", "2026-10-25T00:30:00+00:00", 1) == ["10-26T01:30Z"]
    # a run that went late, into the repeated hour, does not bring the repeat back
    assert series("45 2 * * *", "2026-10-25T01:35:00+00:00", 1) == ["10-26T01:45Z"]


def test_an_hourly_schedule_runs_in_both_repeated_hours_in_autumn() -> None:
    # 02:00 CEST (00:00Z), 02:00 CET (01:00Z), 03:00 CET: elapsed hours; the second 02:00 was skipped
    assert series("0 * * * *", "2026-10-24T23:30:00+00:00", 3) == ["10-25T00:00Z", "10-25T01:00Z", "10-25T02:00Z"]
    assert series("0 * * * *", "2026-10-25T00:30:00+00:00", 2) == ["10-25T01:00Z", "10-25T02:00Z"]
    assert series("*/30 * * * *", "2026-10-25T00:50:00+00:00", 3) == ["10-25T01:00Z", "10-25T01:30Z", "10-25T02:00Z"]


def test_named_hours_in_the_repeated_autumn_hour_run_once() -> None:
    # hours named (a range, a list): wall-clock times, as a daily one
    assert series("0 2-3 * * *", "2026-10-24T23:30:00+00:00", 3) == ["10-25T00:00Z", "10-25T02:00Z", "10-26T01:00Z"]
    assert series("*/30 2 * * *", "2026-10-24T23:30:00+00:00", 3) == ["10-25T00:00Z", "10-25T00:30Z", "10-26T01:00Z"]


def test_a_time_the_spring_shift_skips_runs_once_just_after_it() -> None:
    # 02:30 does not exist on 2026-03-29 in Berlin: 03:00 CEST (01:00Z) that day, then 02:30 again
    assert series("30 2 * * *", "2026-03-28T12:00:00+00:00", 3) == ["03-29T01:00Z", "03-30T00:30Z", "03-31T00:30Z"]
    assert series("0 * * * *", "2026-03-29T00:30:00+00:00", 3) == ["03-29T01:00Z", "03-29T02:00Z", "03-29T03:00Z"]
    assert series("*/30 * * * *", "2026-03-29T00:20:00+00:00", 4) == [
        "03-29T00:30Z",
        "03-29T01:00Z",
        "03-29T01:30Z",
        "03-29T02:00Z",
    ]


def test_the_two_repeated_hours_are_stored_an_hour_apart() -> None:
    first = datetime(2026, 10, 25, 2, 0, tzinfo=BERLIN)
    assert (iso(first), iso(first.replace(fold=1))) == ("2026-10-25T00:00:00.000Z", "2026-10-25T01:00:00.000Z")


def test_an_hourly_digest_job_runs_in_both_repeated_hours(tmp_path: Path) -> None:
    bot = Bot(tmp_path, datetime(2026, 10, 24, 23, 30, tzinfo=UTC), "Europe/Berlin", {})
    (tmp_path / "flows" / "checks.yaml").write_text('checks: []\ndigest:\n  schedule: "0 * * * *"\n')
    Scheduler(bot.bot, {}).plan(bot.clock.now)
    for hour in (0, 1, 2):  # 02:00 CEST, 02:00 CET, 03:00 CET
        assert bot.run_due(datetime(2026, 10, 25, hour, 0, tzinfo=UTC)) == [("digest", "done: 0 owner(s)")]
    bot.db.conn.close()


def test_the_digest_job_runs_once_on_the_autumn_day(tmp_path: Path) -> None:
    bot = Bot(tmp_path, datetime(2026, 10, 24, 12, 0, tzinfo=UTC), "Europe/Berlin", {})
    (tmp_path / "flows" / "checks.yaml").write_text('checks: []\ndigest:\n  schedule: "30 2 * * *"\n')
    Scheduler(bot.bot, {}).plan(bot.clock.now)
    assert bot.run_due(datetime(2026, 10, 25, 0, 30, tzinfo=UTC)) == [("digest", "done: 0 owner(s)")]
    assert bot.run_due(datetime(2026, 10, 25, 1, 30, tzinfo=UTC)) == []
    assert bot.rows("SELECT due_at FROM jobs WHERE kind = 'digest' AND done_at IS NULL") == [
        ("2026-10-26T01:30:00.000Z",)
    ]
    bot.db.conn.close()
