"""What a review of the trigger and timer side found: each test fails without its fix."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import sys
import time
import types
from pathlib import Path

import pytest

from bot import refusals, texts
from bot.engine.state import RunState
from bot.errors import ConfigError
from bot.model import ConversationKey
from bot.store import jobs, ledger, transaction
from bot.store.runs import RunRow
from bot.triggers import checks
from tests.triggers.conftest import Process
from tests.triggers.test_checks import shop, write_checks
from tests.triggers.test_hooks import AUTH, counts, post, rows, serve
from tests.triggers.test_timers import start


def test_a_check_job_another_process_ran_after_a_stale_claim_is_not_run_again(proc, clock, flows, tmp_path):
    write_checks(flows, shop(tmp_path, 3.0), schedule="15m")
    a = proc.restart()
    b = Process(a.path, a.flows, clock)
    a.scheduler.plan()
    with transaction(a.db) as conn:  # a claims the due batch ...
        [job] = jobs.claim_due(conn, clock(), 100, clock() - a.scheduler.lease)
    clock.at(minutes=6)  # ... and is still busy when its claim lapses: b takes the job over
    assert [(j.kind, o) for j, o in asyncio.run(b.scheduler.run_due())] == [("check", "ok")]
    assert asyncio.run(a.scheduler.checks.run_job(job)) == "gone"  # a reaches it at last
    b.db.conn.close()
    assert a.rows("SELECT count(*) FROM check_evaluations") == [(1,)]
    assert a.rows("SELECT count(*) FROM jobs WHERE kind = 'check' AND done_at IS NULL") == [(1,)]


@pytest.mark.parametrize("sql", ["VACUUM INTO '{out}'", "ATTACH '{out}' AS x", "PRAGMA user_version = 7"])
def test_a_sqlite_check_cannot_write_files(tmp_path, sql):
    out, source = tmp_path / "copy.db", shop(tmp_path, 3.0)
    check = checks.Check("c", sql.format(out=out), 1.0, "above", "5m", str(source))
    with pytest.raises(checks.CheckFailed, match="not authorized|authorization denied|readonly"):
        checks.evaluate(check)
    assert not out.exists()


@pytest.mark.parametrize("scheme", ["sqlite", "sqlite+pysqlite", "sqlite+aiosqlite", "SQLite"])
def test_a_sqlite_url_of_any_dialect_is_opened_read_only_not_through_sqlalchemy(tmp_path, monkeypatch, scheme):
    shop(tmp_path, 3.0)
    monkeypatch.chdir(tmp_path)  # sqlite+pysqlite:///shop.db is relative to where the bot runs
    url = f"{scheme}:///shop.db"
    assert checks.evaluate(checks.Check("c", "SELECT v FROM kpi", 1.0, "above", "5m", url)) == 3.0
    assert checks.evaluate(checks.Check("c", "SELECT v FROM kpi", 1.0, "above", "5m", f"{url}?mode=rw")) == 3.0
    for sql in ("DROP TABLE kpi", "DELETE FROM kpi", f"VACUUM INTO '{tmp_path / 'copy.db'}'"):
        with pytest.raises(checks.CheckFailed, match="readonly|not authorized|authorization denied"):
            checks.evaluate(checks.Check("c", sql, 1.0, "above", "5m", url))
    with sqlite3.connect(tmp_path / "shop.db") as conn:
        assert conn.execute("SELECT count(*) FROM kpi").fetchone() == (1,)
    assert not (tmp_path / "copy.db").exists()
    assert checks.sqlite_path(f"{scheme}:///{tmp_path}/shop.db") == f"{tmp_path}/shop.db"
    assert checks.sqlite_path("postgresql+psycopg://reader@127.0.0.1/shop") is None


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT count(*) FROM json_each('[1, 2, 3]')",
        "SELECT count(*) FROM notes WHERE notes MATCH 'refund'",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) SELECT max(i) FROM n",
    ],
)
def test_a_sqlite_check_may_read_with_table_functions_and_full_text(tmp_path, sql):
    source = tmp_path / "reads.db"
    with sqlite3.connect(source) as conn:
        conn.execute("CREATE VIRTUAL TABLE notes USING fts5(text)")
        conn.executemany("INSERT INTO notes VALUES (?)", [("refund asked",), ("refund given",), ("thanks",)])
    assert checks.evaluate(checks.Check("c", sql, 1.0, "above", "5m", str(source))) in (2.0, 3.0)


@pytest.mark.parametrize("schedule", ["0s", "30s", "* * * * 6 *", "* 1 * * * *"])
def test_a_check_evaluated_more_than_once_a_minute_is_refused_at_load(flows, tmp_path, schedule):
    write_checks(flows, shop(tmp_path, 3.0), schedule=schedule)
    with pytest.raises(ConfigError, match="more than once a minute"):
        checks.load(flows / "checks.yaml")


def test_a_cron_that_matches_no_date_says_so(flows, tmp_path):
    """'0 9 30 2 *' (30 February) was croniter's "failed to find next date. Fix: use 5m, 1h or a
    cron expression", which it is."""
    write_checks(flows, shop(tmp_path, 3.0), schedule="0 9 30 2 *")
    with pytest.raises(ConfigError) as err:
        checks.load(flows / "checks.yaml")
    assert "check 'conversion': the cron expression '0 9 30 2 *' matches no date there is" in str(err.value)
    assert "Fix: name days each month it names has" in str(err.value)


def test_blank_sql_or_database_and_a_digests_schedule_are_refused_naming_them(flows, tmp_path):
    write_checks(flows, shop(tmp_path, 3.0))
    text = (flows / "checks.yaml").read_text()
    (flows / "checks.yaml").write_text(
        text.replace("    sql: SELECT v FROM kpi WHERE name = 'conversion'\n", "    sql: ''\n")
    )
    with pytest.raises(ConfigError, match="check 'conversion': sql is blank. Fix: give sql, the query"):
        checks.load(flows / "checks.yaml")
    (flows / "checks.yaml").write_text(text + "digest: {schedule: 30s}\n")
    with pytest.raises(ConfigError) as err:
        checks.load(flows / "checks.yaml")
    assert f"{flows / 'checks.yaml'}: digest.schedule: schedule '30s' comes more than once a minute" in str(err.value)
    assert "check 'digest'" not in str(err.value)


@pytest.mark.parametrize("schedule", ["1m", "15m", "0 9 * * 1-5", "0 8-18 * * 1-5", "* * * * * 0"])
def test_schedules_of_a_minute_or_more_are_taken(flows, tmp_path, schedule):
    write_checks(flows, shop(tmp_path, 3.0), schedule=schedule)
    assert checks.load(flows / "checks.yaml").checks[0].schedule == schedule


def test_a_query_that_never_ends_does_not_hold_the_scheduler(proc, flows, tmp_path, monkeypatch):
    class Hung:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def execute(self, _):  # pg_sleep, a lock wait: the driver does not give up by itself
            time.sleep(2.0)
            raise RuntimeError("gave up")

    engine = types.SimpleNamespace(connect=Hung)
    monkeypatch.setitem(sys.modules, "sqlalchemy", types.SimpleNamespace(create_engine=lambda url: engine, text=str))
    monkeypatch.setattr(checks, "QUERY_SECONDS", 0.2)
    check = checks.Check("pg", "SELECT pg_sleep(1e9)", 1.0, "above", "5m", "postgresql://reader@db/shop")
    started = time.monotonic()
    evaluation = asyncio.run(proc.scheduler.checks.run(check))
    assert evaluation.error and "did not finish within 0.2 s" in evaluation.error
    assert time.monotonic() - started < 2.0 + 1.0  # the scheduler went on (asyncio.run then joins the thread)


def test_a_changed_check_schedule_is_planned_anew(proc, clock, flows, tmp_path):
    db = shop(tmp_path, 3.0)
    write_checks(flows, db, schedule="1w")
    proc = proc.restart()
    proc.scheduler.plan()
    asyncio.run(proc.scheduler.run_due())
    write_checks(flows, db, schedule="5m")
    proc = proc.restart()
    clock.at(minutes=1)
    proc.scheduler.plan()
    [(due, payload)] = proc.rows("SELECT due_at, payload FROM jobs WHERE kind = 'check' AND done_at IS NULL")
    assert due <= "2026-11-26T15:06:00.000Z" and '"5m"' in payload


def completed(proc, clock, record) -> int | None:
    """Run 1 started, then completed with ``record`` as the engine would write it: its decision's id."""
    start(proc)
    ctx = RunState(roles={}, trigger={})
    row = RunRow(1, "post_meeting", "1", ConversationKey("console", "room"), "s", "active", ctx, None)
    with transaction(proc.db) as conn:
        return ledger.write_completion(conn, row, {"flow": "x", "title": "t", **record}, clock(), proc.bot.tz)


def test_each_scheduled_flow_starts_on_its_own_date(proc, clock):
    completed(proc, clock, {"facilitator": {"id": "console:alice"}, "decision": "d", "review_at": "2026-12-10",
                            "schedule": [{"flow": "decision_review", "at": "2027-01-15"}]})  # fmt: skip
    assert proc.rows("SELECT due_at FROM jobs WHERE kind = 'start_flow'") == [("2027-01-15T08:00:00.000Z",)]
    assert proc.rows("SELECT due_at FROM reviews") == [("2026-12-10",)]


def test_a_follow_up_on_another_date_leaves_the_promised_review_in_place(proc, clock):
    """A flow scheduling a follow-up of its own (another flow, another date) lost the review its
    summary promised on record.review_at: only the follow-up's job was written."""
    completed(proc, clock, {"facilitator": {"id": "console:alice"}, "decision": "d", "review_at": "2026-12-30",
                            "schedule": [{"flow": "followup", "at": "2026-12-16"}]})  # fmt: skip
    jobs = proc.rows("SELECT due_at, json_extract(payload, '$.flow') FROM jobs WHERE kind = 'start_flow' ORDER BY 1")
    assert jobs == [("2026-12-16T08:00:00.000Z", "followup"), ("2026-12-30T08:00:00.000Z", "decision_review")]


def test_a_review_date_alone_is_kept_with_its_review(proc, clock):
    """No decision text (an optional step skipped) and no action, but a review date: the summary
    says "Review on ...", and the ledger kept nothing of it, review included."""
    record = {"facilitator": {"id": "console:alice"}, "decision": None, "review_at": "2026-12-30"}
    assert completed(proc, clock, record) is not None
    assert proc.rows("SELECT text, review_at FROM decisions") == [(None, "2026-12-30")]
    assert proc.rows("SELECT due_at FROM reviews") == [("2026-12-30",)]
    assert proc.rows("SELECT json_extract(payload, '$.flow') FROM jobs WHERE kind = 'start_flow'") == [
        ("decision_review",)
    ]
    assert texts.summary({"title": "t", "decision": None, "records": True}) == (
        "Nothing was decided in t: no decision, action or review date was given."
    )


@pytest.mark.parametrize("field", ["decision", "decision_id", "labels"])
async def test_a_generic_event_may_not_set_the_names_decisionbot_reads(tmp_path: Path, flows: Path, field):
    client = await serve(tmp_path, flows)
    try:
        body = {"title": "Model drift", "dedup_key": "d", "data": {field: "rollback"}}
        resp = await client.post("/hooks/events", json=body, headers=AUTH)
        assert resp.status == 400
        assert f"data.{field} is a name decisionbot uses itself" in (await resp.json())["error"]
    finally:
        await client.close()


@pytest.mark.parametrize("kind", ["review", "handover"])
async def test_a_generic_event_may_not_take_the_kind_of_the_bots_own_events(tmp_path: Path, flows: Path, kind):
    """A review or a handover the bot made is left out of trigger quality's '(all)': a sender's event
    of that kind would be left out with them, and counted as theirs."""
    client = await serve(tmp_path, flows)
    try:
        body = [{"title": "Nightly job", "kind": "model"}, {"title": "Nightly job", "kind": kind}]
        resp = await client.post("/hooks/events", json=body, headers=AUTH)
        assert resp.status == 400
        error = (await resp.json())["error"]
        assert f"[1].kind '{kind}' is a kind decisionbot gives its own events" in error, error
        assert counts(client) == {"events": 0, "runs": 0, "messages": 0, "jobs": 0}  # not even the first
        resp = await client.post("/hooks/events", json=body[0], headers=AUTH)
        assert resp.status == 200 and counts(client)["events"] == 1
    finally:
        await client.close()


@pytest.mark.parametrize(
    ("title", "said"),
    [
        ("   ", "'title': is blank: say what happened, in a few words"),
        ("drift\x00", "'title': holds a control character (a NUL, an escape)"),
        ("\x1b[31mdrift", "'title': holds a control character (a NUL, an escape)"),
    ],
)
async def test_a_title_people_could_not_read_is_a_400_and_nothing_is_stored(tmp_path: Path, flows: Path, title, said):
    """Before, a title of spaces started a run no message could name, and a NUL or an escape
    sequence went into every message about it (and the terminal's transcript as escapes)."""
    client = await serve(tmp_path, flows)
    try:
        resp = await client.post("/hooks/events", json=[{"title": "ok"}, {"title": title}], headers=AUTH)
        assert resp.status == 400
        assert (await resp.json())["error"].startswith(said.replace("'title'", "'[1].title'"))
        assert counts(client)["runs"] == 0  # the list refused whole: its good event neither
        multi = await client.post("/hooks/events", json={"title": "Disk full\n\thost db-2"}, headers=AUTH)
        assert multi.status == 200 and counts(client)["runs"] == 1  # a line break or a tab is text
    finally:
        await client.close()


async def test_json_nested_too_deeply_is_a_400(tmp_path: Path, flows: Path):
    client = await serve(tmp_path, flows)
    try:
        resp = await client.post(
            "/hooks/events", data=b"[" * 200_000, headers={**AUTH, "Content-Type": "application/json"}
        )
        assert resp.status == 400 and "nested too deeply" in (await resp.json())["error"]
    finally:
        await client.close()


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (b'{"title": "drift", "dedup_key": "k", "data": {"psi": NaN}}', "NaN is not a JSON number"),
        (b'{"title": "drift", "dedup_key": "k", "data": {"psi": -Infinity}}', "-Infinity is not a JSON number"),
        (b'{"title": "drift \\ud800", "dedup_key": "k"}', "lone surrogate"),
    ],
)
async def test_json_python_reads_but_the_ledger_cannot_store_is_a_400(tmp_path: Path, flows: Path, body, named):
    client = await serve(tmp_path, flows)
    try:
        resp = await client.post("/hooks/events", data=body, headers={**AUTH, "Content-Type": "application/json"})
        assert resp.status == 400 and named in (await resp.json())["error"]  # before: 200, then 503 for every repeat
        clean = await client.post("/hooks/events", json={"title": "drift", "dedup_key": "k"}, headers=AUTH)
        assert clean.status == 200 and (await clean.json())["started"]  # nothing was stored for the refused one
    finally:
        await client.close()


async def test_a_number_too_large_for_a_float_is_a_400_naming_it_and_its_key_keeps_working(
    tmp_path: Path, flows: Path
) -> None:
    """``1e400`` is valid JSON that Python reads as infinity; stored as ``Infinity``, SQLite's
    json_patch refused it and every later notification of its dedup key got a 503, for ever.
    Now it is a 400 naming the number, nothing is stored, and the key's repeats and resolution go
    through (review-trigger-shapes)."""
    client = await serve(tmp_path, flows)
    try:
        first = await post(client, "events", b'{"title": "drift", "dedup_key": "k", "data": {"psi": 1e400}}')
        assert first == (400, {"error": "The body is not JSON: the number 1e400 is too large"
                                        " (beyond about 1.8e308): send it as a string"})  # fmt: skip
        fired = await post(client, "events", {"title": "drift", "dedup_key": "k"})
        repeat = await post(client, "events", {"title": "drift", "dedup_key": "k"})
        resolved = await post(client, "events", {"title": "drift", "dedup_key": "k", "status": "resolved"})
        assert (fired[1]["started"], repeat[1]["repeats"], resolved[1]["resolved"]) == ([1], 1, 1)
    finally:
        await client.close()


async def test_a_lone_surrogate_sent_as_raw_utf8_bytes_is_a_400_too(tmp_path: Path, flows: Path) -> None:
    """bot.inbound_json promises no lone surrogate; it checks only the \\ud800 escape, but Python's
    json reads bytes with 'surrogatepass', so the raw bytes ED A0 80 give one too."""
    client = await serve(tmp_path, flows)
    try:
        status, answer = await post(client, "events", b'{"title": "drift \xed\xa0\x80", "dedup_key": "k"}')
        assert status == 400 and "lone surrogate" in answer["error"], (status, answer)
        fired = await post(client, "events", {"title": "drift", "dedup_key": "k"})
        assert fired[1]["started"] == [1], fired
    finally:
        await client.close()


async def test_a_refused_hook_request_is_logged_with_its_reason_at_most_once_a_minute(
    tmp_path: Path, flows: Path, caplog, monkeypatch
) -> None:
    """A 400 or 401 showed in the access log only, without its reason (in the body Alertmanager got):
    now one warning per hook and kind a minute, counting the ones it left out; never the token."""
    caplog.set_level(logging.WARNING, logger="decisionbot.hooks")
    client = await serve(tmp_path, flows)
    try:
        for _ in range(3):
            assert (await post(client, "alertmanager", {"version": "4", "status": "firing"}))[0] == 400
        assert (await post(client, "alertmanager", {}, {"Authorization": "Bearer s3cret-hook-tokenX"}))[0] == 401
        lines = [r.getMessage() for r in caplog.records if r.name == "decisionbot.hooks"]
        assert lines == [
            "/hooks/alertmanager refused a request: 400 'alerts' is missing",
            "/hooks/alertmanager refused a request: 401 " + texts.hook_unauthorized(),
        ]
        monkeypatch.setattr(refusals, "TOLD_EVERY", 0.0)  # a minute later
        await post(client, "alertmanager", {"version": "4", "status": "firing"})
        last = [r.getMessage() for r in caplog.records if r.name == "decisionbot.hooks"][-1]
        assert last.endswith("400 'alerts' is missing (2 more refused like it in the last minute, not logged)")
        assert "s3cret" not in caplog.text
    finally:
        await client.close()


async def test_a_storm_too_large_for_the_alertmanager_hook_says_to_set_max_alerts(
    tmp_path: Path, flows: Path, caplog
) -> None:
    """An alert storm Alertmanager sends whole (``max_alerts`` is 0 by default) is over the body
    limit: the 413, which Alertmanager drops, said only "The body is larger than 8388608 bytes."
    (review-trigfix); its answer and the log line say to set max_alerts. Other hooks' do not."""
    caplog.set_level(logging.WARNING, logger="decisionbot.hooks")
    client = await serve(tmp_path, flows)
    huge = b'{"version": "4", "alerts": [' + b'{"labels": {}}, ' * 600_000 + b"{}]}"
    try:
        status, answer = await post(client, "alertmanager", huge)
        assert status == 413
        assert answer["error"] == (
            "The body is larger than 8388608 bytes. Alertmanager drops it (it retries no 4xx): set max_alerts: 1000"
            " in the webhook_configs entry of decisionbot's receiver, so that a notification holds 1000 alerts at"
            " most (decisionbot takes no more of one) and counts the others."
        )
        assert f"/hooks/alertmanager refused a request: 413 {answer['error']}" in caplog.text
        assert await post(client, "events", huge) == (413, {"error": "The body is larger than 8388608 bytes."})
        assert counts(client) == {"events": 0, "runs": 0, "messages": 0, "jobs": 0}
    finally:
        await client.close()


def test_a_sqlite_query_stopped_at_the_time_limit_says_so(proc, monkeypatch, tmp_path):
    """Before: "the query failed: interrupted", naming no limit."""
    db = tmp_path / "slow.db"
    sqlite3.connect(db).close()
    monkeypatch.setattr(checks, "QUERY_SECONDS", 0.2)
    slow = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT max(i) FROM n"
    check = checks.Check("slow", slow, 1.0, "above", "5m", f"sqlite:///{db}")
    evaluation = asyncio.run(proc.scheduler.checks.run(check))
    assert evaluation.error == (
        "the query was stopped after 0.2 s, the most a check's query may take; make it faster (an index, a narrower"
        " WHERE)"
    ), evaluation.error


@pytest.mark.parametrize("nobody", ["@", "console:", "slack:  "])
async def test_a_trigger_naming_nobody_as_its_lead_is_refused(tmp_path: Path, flows: Path, nobody: str):
    """A blank id started a run waiting on 'console:' (Slack: 'slack:'), which nobody could answer:
    "This question is for slack:." Refused as an id no person has is, naming the field."""
    client = await serve(tmp_path, flows)
    try:
        body = {"title": "Blank lead", "channel": "console", "facilitator": nobody}
        resp = await client.post("/hooks/events", json=body, headers=AUTH)
        assert resp.status == 400
        assert "'facilitator' names" in (error := (await resp.json())["error"]) and "which is nobody" in error, error
        body = {"title": "Among others", "channel": "console", "facilitator": "alice", "participants": [nobody]}
        assert (await client.post("/hooks/events", json=body, headers=AUTH)).status == 400
        assert counts(client) == {"events": 0, "runs": 0, "messages": 0, "jobs": 0}
    finally:
        await client.close()


async def test_a_blank_person_hint_is_none_given(tmp_path: Path, flows: Path):
    """An annotation a template rendered empty (or blanks) names no one: the run is claimed by who
    speaks first, as with the hint left out; it does not wait on 'console:'."""
    client = await serve(tmp_path, flows)
    try:
        body = {"title": "Blank lead", "channel": "console", "facilitator": "   ", "owners": "", "participants": " "}
        resp = await client.post("/hooks/events", json=body, headers=AUTH)
        assert resp.status == 200, await resp.text()
        [(facilitator, waiting)] = rows(client, "SELECT facilitator_id, waiting_on FROM runs")
        assert facilitator == "console:facilitator" and "console: " not in waiting, (facilitator, waiting)
    finally:
        await client.close()


@pytest.mark.parametrize("key", ["k\x1b", "   ", "a\u00a0b\u200b"])
async def test_a_dedup_key_with_a_control_character_or_blank_is_refused(tmp_path: Path, flows: Path, key: str):
    """As decisionbot trigger --dedup-key refuses it: a key people and logs cannot show."""
    client = await serve(tmp_path, flows)
    try:
        resp = await client.post("/hooks/events", json={"title": "Disk", "dedup_key": key}, headers=AUTH)
        assert resp.status == 400
        assert "dedup_key" in (error := (await resp.json())["error"]) and "a stable name of the incident" in error
        assert counts(client)["events"] == 0
    finally:
        await client.close()
