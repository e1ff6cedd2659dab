"""Group commit in the server (bot/store/group.py): the turns of one event-loop pass share one
COMMIT, each still all-or-nothing on its own; no response leaves and no reply is sent before its
commit; a commit that fails answers 503 and keeps nothing, and the platform's retry is stored
once; a Slack event's turn (run after its acknowledgement, from the event kept) whose commit
fails is run again until it is stored, once. Driven through the real Slack path (signed requests, the fake Web API) and the outbox."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import sqlite3
from pathlib import Path

import pytest

from bot.channels.teams_store import Reference, TeamsStore
from bot.outbox import pending
from bot.server import GROUP, SENDERS
from bot.store import kept_write, open_db, transaction, utc_now, write_lock
from bot.store.group import KEPT_TRIES, GroupCommit, abandon, committed
from bot.store.group_requests import _WRITTEN, track
from tests.slack_support import ALICE_AND_BOB, Harness, SlackPeople, committed_rows, event_body, message, wait_for

ANSWERS = "SELECT count(*) FROM messages WHERE direction = 'in'"


@pytest.fixture
def slack_people() -> SlackPeople:
    return {**ALICE_AND_BOB, "UC": ("Carol", "UTC")}


async def threads(slack: Harness, count: int) -> list[str]:
    """``count`` post_meeting runs, one per channel, each waiting for its decision."""
    for n in range(count):
        await slack.slash("UA", "start post_meeting Weekly", channel=f"C{n}")
    posted = await slack.posts(2 * count)
    return [p["ts"] for p in posted if p["text"].startswith("<@UA> started")]


async def test_turns_arriving_together_share_commits_and_each_is_stored(slack: Harness) -> None:
    roots = await threads(slack, 12)
    group: GroupCommit = slack.client.server.app[GROUP]
    commits = group.commits
    answers = [message("UA", f"We ship plan {n}", channel=f"C{n}", thread_ts=ts) for n, ts in enumerate(roots)]
    replies = await asyncio.gather(*(slack.event(a) for a in answers))
    assert [r.status for r in replies] == [200] * 12
    decided = committed_rows(slack, "SELECT count(*) FROM answers WHERE step = 'decision'")[0][0]
    assert decided == 12  # every acknowledged turn is committed to the file
    assert 1 <= group.commits - commits < 12  # by commits they shared: not one each
    await slack.posts(2 * 12 + 12)  # each got its next question


async def test_a_failing_turn_rolls_back_alone_inside_its_group(slack: Harness) -> None:
    roots = await threads(slack, 2)
    group: GroupCommit = slack.client.server.app[GROUP]
    slack.services.db.conn.execute(
        "CREATE TRIGGER boom BEFORE INSERT ON answers WHEN new.raw = 'explode'"
        " BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
    )
    before = committed_rows(slack, ANSWERS)[0][0]
    commits = group.commits
    good, bad = await asyncio.gather(
        slack.event(message("UA", "We ship", channel="C0", thread_ts=roots[0])),
        slack.event(message("UA", "explode", channel="C1", thread_ts=roots[1])),
    )
    assert good.status == 200 and bad.status == 200  # both kept; the bad one's turn fails after
    assert committed_rows(slack, "SELECT tries, failed FROM slack_inbox") == [(1, "IntegrityError: disk on fire")]
    # the good turn was committed (seen from another connection below); no upper bound: background
    # work (housekeeping, the lease, the outbox's marks) commits groups of its own meanwhile
    assert group.commits > commits
    assert committed_rows(slack, ANSWERS)[0][0] == before + 1
    assert committed_rows(slack, "SELECT raw FROM answers WHERE step = 'decision'") == [("We ship",)]


async def test_a_failed_commit_answers_503_keeps_nothing_and_the_retry_is_stored_once(slack: Harness) -> None:
    """The commit of the group holding the kept event fails: Slack is answered 503 (nothing kept,
    no turn run), and its retry is kept and carried out once."""
    (root,) = await threads(slack, 1)
    conn = slack.services.db.conn
    # a deferred foreign key is checked at COMMIT: the group's commit itself fails, for real
    conn.execute("CREATE TABLE doomed (run_id INTEGER REFERENCES runs(id) DEFERRABLE INITIALLY DEFERRED)")
    conn.execute(
        "CREATE TRIGGER doom AFTER INSERT ON slack_inbox WHEN new.event_id = 'EvRetry1'"
        " BEGIN INSERT INTO doomed VALUES (999999); END"
    )
    before = slack.rows(ANSWERS)[0][0]
    body = event_body(message("UA", "We ship", channel="C0", thread_ts=root), event_id="EvRetry1")
    failed = await slack.post(body)
    assert failed.status == 503 and failed.headers["Retry-After"] == "1"
    await asyncio.sleep(0.2)
    assert slack.rows(ANSWERS)[0][0] == before  # no turn ran for what was not kept
    assert slack.rows("SELECT count(*) FROM slack_inbox") == [(0,)]
    conn.execute("DROP TRIGGER doom")
    retried = await slack.post(body, headers=None)  # Slack sends it again, signed afresh
    assert retried.status == 200
    again = await slack.post(body)
    assert again.status == 200
    assert slack.rows(ANSWERS)[0][0] == before + 1
    assert slack.rows("SELECT raw FROM answers WHERE step = 'decision'") == [("We ship",)]


async def test_a_turn_whose_commit_fails_is_run_again_until_it_is_stored_once(slack: Harness) -> None:
    """The event was kept and acknowledged; its turn's group fails to commit (the disk, say): the
    turn is run again from the kept event, once a second, until it is stored, once."""
    (root,) = await threads(slack, 1)
    conn = slack.services.db.conn
    conn.execute("CREATE TABLE doomed (run_id INTEGER REFERENCES runs(id) DEFERRABLE INITIALLY DEFERRED)")
    conn.execute(
        "CREATE TRIGGER doom AFTER INSERT ON messages WHEN new.text = 'We ship'"
        " BEGIN INSERT INTO doomed VALUES (999999); END"
    )
    before = committed_rows(slack, ANSWERS)[0][0]
    body = event_body(message("UA", "We ship", channel="C0", thread_ts=root), event_id="EvLost1")
    assert (await slack.post(body)).status == 200
    await asyncio.sleep(1.5)  # run again at least once, lost again
    assert committed_rows(slack, ANSWERS)[0][0] == before
    assert committed_rows(slack, "SELECT event_id, tries FROM slack_inbox") == [("EvLost1", 0)]  # (not its fault)
    conn.execute("DROP TRIGGER doom")
    await wait_for(lambda: committed_rows(slack, ANSWERS)[0][0] == before + 1, timeout=5)
    await slack.turned()
    assert committed_rows(slack, "SELECT count(*) FROM slack_inbox") == [(0,)]
    assert (await slack.post(body)).status == 200  # Slack's retry: a repeat
    assert committed_rows(slack, "SELECT raw FROM answers WHERE step = 'decision'") == [("We ship",)]


async def test_the_outbox_sends_no_reply_before_its_group_commits(slack: Harness) -> None:
    (root,) = await threads(slack, 1)
    db, group = slack.services.db, slack.client.server.app[GROUP]
    sender = slack.client.server.app[SENDERS]["slack"]
    await group.settled()
    posted = len(slack.fake.posted())
    with transaction(db) as conn:  # a turn of a group still open: its reply is queued, not committed
        conn.execute(
            "INSERT INTO messages (run_id, direction, channel, conversation, kind, text, created_at)"
            " VALUES (1, 'out', 'slack', ?, 'info', 'not yet', '2026-01-01T00:00:00.000Z')",
            (f"slack:C0;{root}",),
        )
    assert group.open
    assert [q.reply.text for q in pending(db, "slack")] == ["not yet"]  # this connection sees it...
    horizon = group.horizon()
    assert horizon is not None and pending(db, "slack", upto=horizon) == []  # ...the sender does not
    await sender.drain()
    assert len(slack.fake.posted()) == posted
    await group.settled()  # committed: the sender is woken and sends it
    found = await slack.posts(posted + 1)
    assert found[-1]["text"] == "not yet"


async def test_when_sqlite_rolls_the_whole_group_back_no_turn_of_it_is_acknowledged(tmp_path: Path) -> None:
    db = open_db(tmp_path / "w.db")
    group = GroupCommit.install(db.conn)
    try:
        # RAISE(ROLLBACK) ends the whole transaction, as a full disk or an I/O error does
        db.conn.execute("CREATE TRIGGER wipe BEFORE INSERT ON deliveries WHEN new.delivery_id = 'bad'"
                        " BEGIN SELECT RAISE(ROLLBACK, 'disk full'); END")  # fmt: skip
        add = "INSERT INTO deliveries (platform, delivery_id, received_at) VALUES ('t', ?, 'now')"
        good = track()
        with transaction(db) as conn:  # a turn done and released into the group ...
            conn.execute(add, ("good",))
        with pytest.raises(sqlite3.IntegrityError), transaction(db) as conn:  # ... then one that wipes it
            conn.execute(add, ("bad",))
        assert not group.open and not db.conn.in_transaction
        with pytest.raises(sqlite3.Error):
            await committed(good, db.conn)  # the good turn must not be acknowledged
        assert db.conn.execute("SELECT count(*) FROM deliveries").fetchone() == (0,)
        with transaction(db) as conn:  # the next write opens a new group and commits
            conn.execute(add, ("good",))
        await group.settled()
        assert db.conn.execute("SELECT delivery_id FROM deliveries").fetchall() == [("good",)]
    finally:
        group.uninstall()


async def test_through_slack_every_acknowledged_turn_is_stored_and_no_other(slack: Harness) -> None:
    roots = await threads(slack, 8)
    conn = slack.services.db.conn
    conn.execute("CREATE TRIGGER wipe BEFORE INSERT ON answers WHEN new.raw = 'wipe'"
                 " BEGIN SELECT RAISE(ROLLBACK, 'disk full'); END")  # fmt: skip
    texts = [f"We ship {n}" for n in range(7)] + ["wipe"]
    bodies = [
        event_body(message("UA", text, channel=f"C{n}", thread_ts=ts), event_id=f"Ev{n}")
        for n, (text, ts) in enumerate(zip(texts, roots, strict=True))
    ]
    replies = await asyncio.gather(*(slack.post(b) for b in bodies))
    assert [r.status for r in replies] == [200] * 8  # each kept before its turn ran
    kept = {event_id for (event_id,) in committed_rows(slack, "SELECT event_id FROM slack_inbox")}
    stored = {raw for (raw,) in committed_rows(slack, "SELECT raw FROM answers WHERE step = 'decision'")}
    for n, text in enumerate(texts):  # acknowledged: its turn stored, or its event kept to run again
        assert text in stored or f"Ev{n}" in kept, text
    assert "wipe" not in stored and "Ev7" in kept
    conn.execute("DROP TRIGGER wipe")
    await wait_for(lambda: len(slack.rows("SELECT raw FROM answers WHERE step = 'decision'")) == 8, timeout=5)
    assert [(await slack.post(b)).status for b in bodies] == [200] * 8  # Slack's retries: repeats
    assert sorted(raw for (raw,) in slack.rows("SELECT raw FROM answers WHERE step = 'decision'")) == sorted(texts)
    assert committed_rows(slack, "SELECT count(*) FROM slack_inbox") == [(0,)]


async def test_a_request_is_acknowledged_only_when_every_group_it_wrote_into_committed(tmp_path: Path) -> None:
    db = open_db(tmp_path / "g.db")
    group = GroupCommit.install(db.conn)
    try:
        db.conn.execute("CREATE TABLE doomed (run_id INTEGER REFERENCES runs(id) DEFERRABLE INITIALLY DEFERRED)")
        written = track()
        with transaction(db) as conn:  # the request writes into group A ...
            conn.execute("INSERT INTO doomed VALUES (424242)")  # ... whose commit will fail
        await asyncio.sleep(0)  # the request awaits something; group A commits (and fails) meanwhile
        await asyncio.sleep(0)
        assert not group.open
        with transaction(db) as conn:  # then writes into group B, which is fine
            conn.execute("INSERT INTO deliveries (platform, delivery_id, received_at) VALUES ('t', 'x', 'now')")
        with pytest.raises(sqlite3.Error):
            await committed(written, db.conn)  # B alone would have said yes
        assert db.conn.execute("SELECT count(*) FROM doomed").fetchone() == (0,)
    finally:
        group.uninstall()


async def test_caches_of_rows_a_lost_group_wrote_are_dropped(tmp_path: Path) -> None:
    db = open_db(tmp_path / "c.db")
    group = GroupCommit.install(db.conn)
    try:
        store = TeamsStore(db)
        db.conn.execute("CREATE TABLE doomed (run_id INTEGER REFERENCES runs(id) DEFERRABLE INITIALLY DEFERRED)")
        track()  # an activity's request (background work's writes are kept: see the next tests)
        with transaction(db) as conn:
            conn.execute("INSERT INTO doomed VALUES (424242)")  # this group's commit will fail ...
        ref = Reference("19:room@thread.tacv2", "channel", "https://smba.example/", "tenant", "28:bot", "decisionbot")
        store.remember(ref, lambda: {"conversation": {"id": ref.conversation_id}}, [], utc_now())  # ... and holds this
        assert store.reference(ref.conversation_id) == ref
        with pytest.raises(sqlite3.Error):
            await group.settled()
        assert db.conn.execute("SELECT count(*) FROM teams_conversations").fetchone() == (0,)
        assert store.reference(ref.conversation_id) is None  # not believed stored any more
        store.remember(ref, lambda: {"conversation": {"id": ref.conversation_id}}, [], utc_now())
        await group.settled()  # the next activity stores it for real
        assert db.conn.execute("SELECT count(*) FROM teams_conversations").fetchone() == (1,)
    finally:
        group.uninstall()


async def test_a_background_write_outlives_the_loss_of_its_group_and_a_requests_does_not(tmp_path: Path) -> None:
    db = open_db(tmp_path / "k.db")
    group = GroupCommit.install(db.conn)
    add = "INSERT INTO deliveries (platform, delivery_id, received_at) VALUES ('t', ?, 'now')"
    try:
        db.conn.execute("CREATE TABLE doomed (run_id INTEGER REFERENCES runs(id) DEFERRABLE INITIALLY DEFERRED)")

        def request() -> None:
            track()
            with transaction(db) as conn:
                conn.execute("INSERT INTO doomed VALUES (424242)")  # this group's commit will fail ...
            kept_write(db, lambda conn: conn.execute(add, ("request's",)))  # (a request's: it comes again)

        contextvars.copy_context().run(request)  # in a context of its own, as a request's task
        kept_write(db, lambda conn: conn.execute(add, ("posted",)))  # ... and holds the outbox's record of a post
        with pytest.raises(sqlite3.Error):
            await group.settled()
        await group.settled()  # written again at once, in a new group, and committed with it
        seen = sqlite3.connect(tmp_path / "k.db")
        try:
            assert seen.execute("SELECT delivery_id FROM deliveries").fetchall() == [("posted",)]
            assert seen.execute("SELECT count(*) FROM doomed").fetchone() == (0,)
        finally:
            seen.close()
    finally:
        group.uninstall()


async def test_a_background_write_lost_with_an_abandoned_group_is_written_again_before_anything_reads(
    tmp_path: Path,
) -> None:
    db = open_db(tmp_path / "a.db")
    group = GroupCommit.install(db.conn)
    add = "INSERT INTO deliveries (platform, delivery_id, received_at) VALUES ('t', ?, 'now')"
    try:
        written = track()
        with transaction(db) as conn:  # a request's write, released into the open group
            conn.execute(add, ("request's",))
        _WRITTEN.set(None)  # (the outbox's task is no request)
        kept_write(db, lambda conn: conn.execute(add, ("posted",)))
        assert abandon(written, RuntimeError("the request failed"))
        rows = db.conn.execute("SELECT delivery_id FROM deliveries").fetchall()
        assert rows == [("posted",)]  # the request's went, the post's record is there again at once
        await group.settled()
        assert db.conn.execute("SELECT delivery_id FROM deliveries").fetchall() == [("posted",)]
    finally:
        group.uninstall()


async def test_a_background_write_whose_groups_keep_failing_is_given_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = open_db(tmp_path / "f.db")
    group = GroupCommit.install(db.conn)
    try:
        db.conn.execute("CREATE TABLE doomed (run_id INTEGER REFERENCES runs(id) DEFERRABLE INITIALLY DEFERRED)")
        kept_write(db, lambda conn: conn.execute("INSERT INTO doomed VALUES (424242)"))  # every commit fails
        for _ in range(2 * KEPT_TRIES):
            with contextlib.suppress(sqlite3.Error):
                await group.settled()
        assert not group.open  # not written a fifth time: no endless round of failing commits
        assert group.health.failed == KEPT_TRIES + 1  # commits that failed: the first and the kept write's retries
        assert caplog.text.count("A commit failed") == 1  # one line a minute (tests/test_commit_failures_logged.py)
        assert f"lost {KEPT_TRIES} times in a row" in caplog.text
    finally:
        group.uninstall()


async def test_two_servers_in_one_process_on_one_ledger_do_not_wait_for_each_others_lock(tmp_path: Path) -> None:
    """Two groups on one file in one event loop (two servers in one process, as the tests run a
    rolling restart): the second's BEGIN IMMEDIATE used to wait for the first's lock, which only
    this thread releases, at its next pass: the busy timeout went by, then "database is locked"."""
    add = "INSERT INTO deliveries (platform, delivery_id, received_at) VALUES ('t', ?, 'now')"
    first, second, outside = (open_db(tmp_path / "one.db") for _ in range(3))
    groups = [GroupCommit.install(db.conn) for db in (first, second)]
    try:
        for db in (first, second, outside):
            db.conn.execute("PRAGMA busy_timeout=1000")  # failing fast, not after 30 s
        for db, name in ((first, "first"), (second, "second")):  # in one pass
            with transaction(db) as conn:
                conn.execute(add, (name,))
        assert [g.open for g in groups] == [False, True]  # the first committed before the second began
        with transaction(outside) as conn:  # a connection of no server (the CLI run in-process)
            conn.execute(add, ("outside",))
        assert not groups[1].open
        seen = "SELECT delivery_id FROM deliveries ORDER BY rowid"
        assert committed_file(tmp_path / "one.db", seen) == [("first",), ("second",), ("outside",)]
    finally:
        for group in groups:
            group.uninstall()
        for db in (first, second, outside):
            db.conn.close()


def committed_file(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


async def test_a_delivered_replys_mark_is_written_into_the_group_without_a_savepoint_of_its_own(
    slack: Harness,
) -> None:
    (root,) = await threads(slack, 1)
    conn = slack.services.db.conn
    await slack.client.server.app[GROUP].settled()
    said: list[str] = []
    conn.set_trace_callback(said.append)  # (the tests' watch of writes outside a transaction: set again below)
    try:
        await slack.event(message("UA", "We ship", channel="C0", thread_ts=root))
        await slack.posts(3)  # the root's notice, the first question, the next question
        await slack.client.server.app[SENDERS]["slack"].drain()
    finally:
        conn.set_trace_callback(None)
        write_lock.watch(conn)
    marks = [n for n, sql in enumerate(said) if sql.startswith("UPDATE messages SET delivered_at")]
    assert marks  # the next question's mark, at least
    assert all(said[n - 1] != "SAVEPOINT turn" and said[n + 1] != "RELEASE turn" for n in marks)
    assert (
        committed_rows(slack, "SELECT count(*) FROM messages WHERE direction = 'out' AND delivered_at IS NULL")[0][0]
        == 0
    )


async def test_a_request_that_gave_up_on_the_lock_marks_the_ledger_failing_until_one_writes(tmp_path: Path) -> None:
    """Socket Mode envelopes and slash commands that gave up on another process's write lock
    left /healthz ok (only the HTTP middleware told it); they call ``group.busy`` too."""
    from bot.store import group as groups

    db = open_db(tmp_path / "b.db")
    group = GroupCommit.install(db.conn)
    try:
        groups.busy(db.conn)
        assert group.health.locked_out()
        await group.writable()
        db.conn.execute("INSERT INTO deliveries (platform, delivery_id, received_at) VALUES ('t', 'x', 'now')")
        await group.settled()
        assert not group.health.locked_out()  # a commit that wrote: free again
    finally:
        db.close()
