"""The operator sees and runs again the Slack events the bot gave up (``slack_inbox``: a turn that
failed 5 times is kept with why and no longer run). Before, only one error line said so, naming a
raw ``UPDATE``: ``/metrics`` and ``/healthz`` counted nothing, and there was no command. Now
``/metrics`` has ``decisionbot_slack_events_given_up`` and ``..._waiting``, ``/healthz`` a warning
(``slack_events_given_up``: the status stays ok, as for a channel failing), ``decisionbot slack
events`` lists the kept events and ``decisionbot slack retry`` sets those given up to be tried
again, which the running server does. The given-up event is made by a real turn failing on a real
SQLite ledger; the commands are the real ``decisionbot``, run while the server serves it."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families

from bot.cli import main
from bot.store import open_db, transaction
from bot.store import slack_inbox as store
from tests.fakes.slack_api import FakeSlack
from tests.serve_process import CLI
from tests.slack_support import Harness, committed, committed_rows, event_body, harness, message, sign, wait_for

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "metrics-token-ops"
KEPT = "SELECT event_id, tries FROM slack_inbox"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def decisionbot(db: Path, *args: str) -> tuple[int, str, str]:
    """The installed ``decisionbot`` on ``db``, as a process of its own (the server's loop goes on)."""
    proc = await asyncio.create_subprocess_exec(
        str(CLI), "--db", str(db), *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def gauges(slack: Harness) -> dict[str, float]:
    resp = await slack.client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status == 200
    found = {}
    for family in text_string_to_metric_families(await resp.text()):
        for sample in family.samples:
            if sample.name.startswith("decisionbot_slack_events_"):
                found[sample.name] = sample.value
    return found


async def given_up_by_a_failing_turn(slack: Harness, event_id: str) -> None:
    """An event whose turn fails for real (the ledger refuses its answer), on its last try (set as
    an earlier server would have left it after four), until it is given up."""
    await slack.slash("UA", "start post_meeting Weekly")
    thread = (await slack.posts(2))[0]["ts"]
    slack.services.db.conn.execute(
        "CREATE TRIGGER boom BEFORE INSERT ON answers WHEN new.raw = 'explode'"
        " BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
    )
    await slack.turned()
    slack.channel.inbox.stopping = True  # (no pass while the row is set up)
    body = event_body(message("UA", "explode", thread_ts=thread), event_id=event_id)
    resp = await slack.client.post(
        "/slack/events", data=body, headers={"Content-Type": "application/json", **sign(body)}
    )
    assert resp.status == 200
    slack.services.db.conn.execute("UPDATE slack_inbox SET tries = 4, failed = 'earlier', retry_at = NULL")
    slack.channel.inbox.stopping = False
    await wait_for(lambda: committed_rows(slack, KEPT) == [(event_id, 5)], timeout=5)


async def test_an_event_given_up_is_counted_warned_of_listed_and_run_again_by_the_server(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    slack = await harness(tmp_path, fake, env={"DECISIONBOT_METRICS_TOKEN": TOKEN})
    db = tmp_path / "slack.db"
    try:
        assert await gauges(slack) == {  # the table empty: 0, not missing
            "decisionbot_slack_events_given_up": 0,
            "decisionbot_slack_events_waiting": 0,
        }
        with caplog.at_level(logging.WARNING, logger="decisionbot.slack"):
            await given_up_by_a_failing_turn(slack, "EvDoomed")
        said = [r.getMessage() for r in caplog.records if "no longer run" in r.getMessage()]
        assert len(said) == 1 and "slack retry EvDoomed" in said[0] and "UPDATE" not in said[0]

        assert await gauges(slack) == {
            "decisionbot_slack_events_given_up": 1,
            "decisionbot_slack_events_waiting": 0,
        }
        health = await slack.client.get("/healthz")
        body = await health.json()
        assert health.status == 200 and body["status"] == "ok", body  # a warning, as channels_failing
        warning = body["slack_events_given_up"]
        assert warning.startswith("1 Slack event(s) failed 5 times and are no longer run")
        assert "slack events --given-up" in warning and "slack retry ID" in warning

        code, out, err = await decisionbot(db, "slack", "events", "--given-up", "--json")
        assert code == 0, err
        (listed,) = json.loads(out)
        assert {k: listed[k] for k in ("event_id", "tries", "given_up", "type", "channel", "user", "failed")} == {
            "event_id": "EvDoomed",
            "tries": 5,
            "given_up": True,
            "type": "message",
            "channel": "C1",
            "user": "UA",
            "failed": "IntegrityError: disk on fire",
        }

        slack.services.db.conn.execute("DROP TRIGGER boom")  # the cause fixed
        code, out, err = await decisionbot(db, "slack", "retry", str(listed["id"]))
        assert code == 0, err
        assert out.startswith("Set to be tried again: 1 Slack event(s) given up (EvDoomed)")
        await wait_for(lambda: committed(db, KEPT) == [], timeout=5)  # the server's pass turned it
        await slack.turned()
        assert committed(db, "SELECT raw FROM answers") == [("explode",)]
        health = await slack.client.get("/healthz")
        assert "slack_events_given_up" not in await health.json()
        assert (await gauges(slack))["decisionbot_slack_events_given_up"] == 0
    finally:
        await slack.client.close()


def ledger_with(tmp_path: Path, given_up: list[str], waiting: list[str]) -> Path:
    """A ledger holding these events kept: given up (failed TRIES times) or waiting (failed once),
    written through the inbox's own functions."""
    path = tmp_path / "ops.db"
    db = open_db(path)
    try:
        for event_id in given_up + waiting:
            payload = {
                "type": "event_callback",
                "event_id": event_id,
                "event": {"type": "message", "subtype": "message_changed", "channel": "C9", "message": {"user": "UB"}},
            }
            with transaction(db) as conn:
                kept = store.keep(conn, payload, NOW)
                assert kept is not None
                for _ in range(store.TRIES if event_id in given_up else 1):
                    store.failed(conn, kept.id, "RuntimeError: no", NOW)
    finally:
        db.close()
    return path


def cli(db: Path, *args: str):
    return CliRunner().invoke(main, ["--db", str(db), "--flows", str(ROOT / "flows"), *args])


def test_slack_events_lists_the_kept_ones_oldest_first_and_reads_only(tmp_path: Path) -> None:
    db = ledger_with(tmp_path, given_up=["EvOld"], waiting=["EvNew"])
    before = db.read_bytes()
    shown = cli(db, "slack", "events")
    assert shown.exit_code == 0, shown.output
    header, first, second = shown.output.splitlines()
    assert header.split() == ["id", "event_id", "received_at", "tries", "type", "channel", "user", "failed"]
    assert first.split() == [
        "1",
        "EvOld",
        "2026-12-01T09:00:00.000Z",
        "5",
        "message/message_changed",
        "C9",
        "UB",
        "RuntimeError:",
        "no",
    ]
    assert second.split()[:4] == ["2", "EvNew", "2026-12-01T09:00:00.000Z", "1"]
    only = json.loads(cli(db, "slack", "events", "--given-up", "--json").output)
    assert [(e["event_id"], e["given_up"]) for e in only] == [("EvOld", True)]
    assert db.read_bytes() == before


def test_slack_retry_refuses_an_unknown_event_changing_nothing(tmp_path: Path) -> None:
    db = ledger_with(tmp_path, given_up=["EvOld", "EvOther"], waiting=[])
    result = cli(db, "slack", "retry", "EvOld", "99", "EvNope")
    assert result.exit_code == 2
    assert "No Slack event kept with id or event_id 99, EvNope; nothing was changed." in result.output
    assert committed(db, "SELECT event_id, tries FROM slack_inbox ORDER BY id") == [("EvOld", 5), ("EvOther", 5)]
    for args in ([], ["1", "--all"]):  # what to run again: named, or --all
        assert cli(db, "slack", "retry", *args).exit_code == 2


def test_slack_retry_all_sets_every_given_up_event_to_be_tried_and_leaves_the_others(tmp_path: Path) -> None:
    db = ledger_with(tmp_path, given_up=["EvA", "EvB"], waiting=["EvC"])
    note = cli(db, "slack", "retry", "EvC")
    assert note.exit_code == 0 and note.output.startswith("Slack event 3 (EvC) is not given up (tries 1 of 5)")
    result = cli(db, "slack", "retry", "--all")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Set to be tried again: 2 Slack event(s) given up (EvA, EvB)")
    rows = "SELECT event_id, tries, retry_at IS NULL, failed FROM slack_inbox ORDER BY id"
    assert committed(db, rows) == [
        ("EvA", 0, 1, "RuntimeError: no"),  # why it failed kept until it runs
        ("EvB", 0, 1, "RuntimeError: no"),
        ("EvC", 1, 0, "RuntimeError: no"),
    ]
    again = cli(db, "slack", "retry", "--all")
    assert again.exit_code == 0 and again.output.startswith("No Slack event is given up; nothing to run again.")


def test_the_given_up_events_are_counted_through_their_own_index(tmp_path: Path) -> None:
    """The count reads no payload: the event ids' index, and the given-up ones' partial index."""
    db = ledger_with(tmp_path, given_up=["EvA"], waiting=["EvB", "EvC"])
    conn = sqlite3.connect(db)
    try:
        assert store.counts(conn) == store.Counts(waiting=2, given_up=1)
        sql = "SELECT count(*) FROM slack_inbox WHERE tries >= 5"
        plan = " ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
        assert "USING COVERING INDEX slack_inbox_given_up" in plan, plan
    finally:
        conn.close()
