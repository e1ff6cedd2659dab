"""A run's turns and the ledger: another process resumes the run, a run in flight finishes on its
flow version, a retried delivery is dropped, a turn is all or nothing, the flow version is
stored. Helpers, and the fixed clock, in tests/test_engine_turns.py."""

from __future__ import annotations

import gc
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from bot.engine.reader import version_of
from bot.model import ConversationKey
from bot.store import open_db
from tests.test_engine_turns import (
    ALICE,
    BOB,
    DECISION_PROMPT,
    DRAFT,
    FLOWS,
    STAMP,
    action_lines,
    answers,
    make_bot,
    person,
    rows,
    run_row,
    say,
    say_all,
    shown,
    start,
    to_owners,
    turn,
)

# --- 9. another process resumes the run ------------------------------------------------------

FIRST_PROCESS = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.dispatch import Dispatcher
from bot.flow_catalog import FlowCatalog
from bot.model import Actor, ConversationKey, Message, Trigger
from bot.store import open_db

db = open_db(sys.argv[1])
bot = Dispatcher(db, FlowCatalog(Path(sys.argv[2]), db), ZoneInfo("Europe/Paris"),
                 clock=lambda: datetime(2026, 11, 26, 14, 0, tzinfo=UTC))
alice, conv = Actor("console:alice", "alice"), ConversationKey("console", "t1")
people = [Actor("console:bob", "bob"), Actor("console:carol", "carol")]
run = bot.start(Trigger(flow="post_meeting", title="Weekly sync", facilitator=alice, participants=people), conv)
for text in ("We ship in March", "Draft plan"):
    bot.handle(Message(conv, alice, text))
print(run.run_id)
"""


def test_a_new_process_resumes_the_run_from_the_ledger(tmp_path, db):
    script = tmp_path / "first.py"
    script.write_text(FIRST_PROCESS)
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "t.db"), str(FLOWS)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"

    db.conn.close()  # and open it again, as a restarted process would
    again = open_db(tmp_path / "t.db")
    try:
        bot = make_bot(again)
        assert run_row(again) == ("actions", "active")
        assert say(bot, ALICE, "@bob") == [("alice", "prompt", "Action 1: By when should 'Draft plan' be done?")]
        say_all(bot, [(ALICE, "next friday"), (ALICE, "done"), (BOB, "yes"), (ALICE, "ok")])
        assert run_row(again) == ("completed", "completed")
        # the first two answers come from the other process (its clock said 14:00)
        assert rows(again, "SELECT step, field, value, at FROM answers ORDER BY id") == [
            ("decision", None, '"We ship in March"', "2026-11-26T14:00:00.000Z"),
            ("actions", "what", '"Draft plan"', "2026-11-26T14:00:00.000Z"),
            ("actions", "owner", person(BOB), STAMP),
            ("actions", "due", '"2026-11-27"', STAMP),
            ("owner_accepts", None, "true", STAMP),
            ("review_at", None, '"2026-12-24"', STAMP),
        ]
        assert rows(again, "SELECT text, decided_at FROM decisions") == [
            ("We ship in March", "2026-11-26T14:00:00.000Z")
        ]
        assert rows(again, "SELECT what, owner_id, due FROM actions") == [("Draft plan", "console:bob", "2026-11-27")]
    finally:
        again.conn.close()


# --- 10. the flow file changes while a run is in flight --------------------------------------

NOTES_STEP = """  - id: notes
    to: facilitator
    ask: "Anything else to note?"
    type: text
"""


def test_a_run_in_flight_finishes_on_its_own_flow_version(tmp_path, db):
    flows = tmp_path / "flows"
    flows.mkdir()
    path = flows / "post_meeting.yaml"
    shutil.copy(FLOWS / "post_meeting.yaml", path)
    shutil.copy(FLOWS / "decision_review.yaml", flows)  # the flow post_meeting schedules
    old_text = path.read_text()
    old_version = version_of(old_text)

    first = make_bot(db, flows)
    start(first)
    say(first, ALICE, "We ship in March")

    new_text = old_text.replace("What was decided in {{ trigger.title }}?", "What did {{ trigger.title }} decide?")
    new_text = new_text.replace("\nrecord:\n", "\n" + NOTES_STEP + "record:\n")
    assert new_text.count("id: notes") == 1 and "What did" in new_text
    path.write_text(new_text)
    new_version = version_of(new_text)

    bot = make_bot(db, flows)
    say_all(bot, action_lines(DRAFT))
    say(bot, BOB, "yes")
    last = turn(bot, ALICE, "ok")
    assert last is not None
    assert (last.outcome.state, last.outcome.status) == ("completed", "completed")
    assert [kind for _, kind, _ in shown(last.outcome.replies)] == ["summary"]
    assert rows(db, "SELECT flow_version, state FROM runs WHERE id = 1") == [(old_version, "completed")]
    assert rows(db, "SELECT count(*) FROM messages WHERE text = 'Anything else to note?'") == [(0,)]

    conv2 = ConversationKey("console", "t2")
    second = start(bot, conv2, title="Retro")
    assert shown(second.outcome.replies) == [("alice", "prompt", "What did Retro decide?")]
    assert rows(db, "SELECT flow_version FROM runs WHERE id = ?", second.run_id) == [(new_version,)]
    assert rows(
        db, "SELECT version FROM flow_versions WHERE flow_id = 'post_meeting' ORDER BY first_loaded_at, version"
    ) == sorted([(old_version,), (new_version,)])
    for actor, text in [(ALICE, "Keep the format"), *action_lines(DRAFT), (BOB, "yes")]:
        say(bot, actor, text, conv2)
    assert say(bot, ALICE, "ok", conv2) == [("alice", "prompt", "Anything else to note?")]


# --- 11. a retried delivery ------------------------------------------------------------------


def test_a_retried_delivery_is_dropped(db, bot):
    start(bot)
    first = turn(bot, ALICE, "We ship in March", platform_id="ev1")
    assert first is not None
    assert shown(first.outcome.replies) == [("alice", "prompt", "Action 1: What is the action?")]
    assert turn(bot, ALICE, "We ship in March", platform_id="ev1") is None
    assert rows(db, "SELECT platform_id, text FROM messages WHERE direction = 'in'") == [("ev1", "We ship in March")]
    assert rows(db, "SELECT count(*) FROM messages WHERE direction = 'out'") == [(2,)]
    assert [a[0] for a in answers(db)] == ["decision"]
    assert rows(db, "SELECT platform, delivery_id FROM deliveries") == [("console", "ev1")]
    assert run_row(db) == ("actions", "active")


# --- 12. a turn is all or nothing ------------------------------------------------------------


def test_a_turn_that_fails_writes_nothing(db, bot):
    to_owners(bot, DRAFT)
    say(bot, BOB, "yes")
    assert run_row(db) == ("review_at", "active")

    def snapshot():
        return {
            "runs": rows(db, "SELECT state, status, context, waiting_on, updated_at, completed_at FROM runs"),
            "messages": rows(db, "SELECT * FROM messages ORDER BY id"),
            "answers": rows(db, "SELECT * FROM answers ORDER BY id"),
            "transitions": rows(db, "SELECT * FROM transitions ORDER BY id"),
            "jobs": rows(db, "SELECT * FROM jobs ORDER BY id"),
            "deliveries": rows(db, "SELECT * FROM deliveries"),
        }

    before = snapshot()
    # the completing turn writes the decision last of all: make exactly that insert fail
    db.execute("CREATE TRIGGER boom BEFORE INSERT ON decisions BEGIN SELECT RAISE(ABORT, 'boom'); END")
    later = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
    bot.clock = lambda: later
    with pytest.raises(sqlite3.IntegrityError, match="boom"):
        turn(bot, ALICE, "ok", platform_id="ev-last")
    assert not db.conn.in_transaction
    assert snapshot() == before
    assert rows(db, "SELECT count(*) FROM decisions") == [(0,)]

    # the platform redelivers once the fault is gone: the turn is not taken for a duplicate
    db.execute("DROP TRIGGER boom")
    again = turn(bot, ALICE, "ok", platform_id="ev-last")
    assert again is not None and again.outcome.status == "completed"
    assert run_row(db) == ("completed", "completed")
    assert rows(db, "SELECT text FROM decisions") == [("We ship in March",)]
    assert rows(db, "SELECT count(*) FROM messages WHERE platform_id = 'ev-last'") == [(1,)]


# --- regressions: storing the flow version ---------------------------------------------------
# bot.store.runs once cached "this flow version is stored" per str(conn), for the whole process:
# a rolled-back start() left the version cached but not stored, and a new connection at a freed
# one's address skipped the insert; either way start() then failed the flow_versions foreign key.


def test_start_after_a_rolled_back_start_still_stores_the_flow_version(db, bot):
    db.execute("CREATE TRIGGER boom BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'boom'); END")
    with pytest.raises(sqlite3.IntegrityError, match="boom"):
        start(bot)
    assert rows(db, "SELECT count(*) FROM flow_versions") == [(0,)]
    db.execute("DROP TRIGGER boom")
    started = start(bot)
    assert shown(started.outcome.replies) == [("alice", "prompt", DECISION_PROMPT)]
    assert rows(db, "SELECT flow_id FROM flow_versions") == [("post_meeting",)]


def test_ledgers_opened_one_after_another_each_store_the_flow_version(tmp_path):
    for n in range(5):  # CPython often hands a freed connection's address to the next one
        ledger = open_db(tmp_path / f"{n}.db")
        try:
            assert start(make_bot(ledger)).run_id == 1
            assert rows(ledger, "SELECT flow_id FROM flow_versions") == [("post_meeting",)]
        finally:
            ledger.conn.close()
            del ledger
            gc.collect()
