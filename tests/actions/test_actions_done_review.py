"""``actions`` and ``done A12`` where a review found them wrong: a facilitator's view of the
actions they lead, a run's item numbers never taken for action codes, a review under way; and
what was found right: the analysts' measures, a claimed triggered run, a 'no' at a review. On a
real SQLite ledger, driven through the dispatcher and the shared commands as the platforms do."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.analytics import report
from bot.analytics.measures import Params
from bot.analytics.sql import MEASURES
from bot.dispatch import Dispatcher
from bot.flow_catalog import FlowCatalog
from bot.model import Message, Trigger
from bot.store import open_db
from tests.actions.support import ALICE, BOB, CAROL, ROOM, ROOT, decide, say
from tests.clock import Clock


def test_the_facilitator_learns_the_codes_of_the_actions_of_the_decisions_she_leads(bot: Dispatcher) -> None:
    """Alice leads two meetings and owns no action: 'actions' shows her theirs, with their owners
    and the codes 'done' takes in an owner's place."""
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-10")])
    decide(bot, "Venue meeting", [("Book the venue", CAROL, "2026-12-11")])
    assert say(bot, ALICE, "actions") == (
        "Open actions of decisions you lead (2):\n"
        "  A1 Draft the plan - bob ('Weekly sync'), due 2026-12-10\n"
        "  A2 Book the venue - carol ('Venue meeting'), due 2026-12-11\n"
        "You may report one done in its owner's place: done A1."
    )


def test_the_summarys_item_number_is_never_taken_for_an_action_code(bot: Dispatcher) -> None:
    """The summary of the second meeting numbers carol's action '1.': 'done 1' marks nothing
    (before, it marked bob's action 1 of the other meeting); its code does."""
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-10")])
    _, summary = decide(bot, "Venue meeting", [("Book the venue", CAROL, "2026-12-11")])
    assert "  1. Book the venue - carol" in summary
    assert say(bot, ALICE, "done 1") == "Say which action by its code, as 'actions' and the digest show it: done A12."
    assert say(bot, ALICE, "done A2") == "Marked done in carol's place: 'Book the venue' (from 'Venue meeting')."
    rows = bot.db.conn.execute("SELECT what, status FROM actions ORDER BY id").fetchall()
    assert rows == [("Draft the plan", "open"), ("Book the venue", "done")]


def test_a_review_under_way_still_asks_and_its_yes_keeps_the_earlier_done(bot: Dispatcher, clock: Clock) -> None:
    """A review already asking bob whether his action was done is left as it is by his 'done A1'
    (no answer is made up in his name: a review run of another step, a pending 'cancel?', a custom
    review's other yes/no question would take it); his yes there keeps the time he reported it."""
    decision, _ = decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-10")])
    clock.now += timedelta(days=20)
    review = bot.start(Trigger(flow="decision_review", data={"decision_id": decision}, facilitator=ALICE), ROOM)
    assert any("'Draft the plan'" in r.text for r in review.outcome.replies)
    assert say(bot, BOB, "done A1") == "Marked done: 'Draft the plan' (from 'Weekly sync')."
    reported = bot.db.conn.execute("SELECT done_at FROM actions").fetchall()
    assert "waiting for bob" in say(bot, ALICE, f"status {review.run_id}", ROOM)
    assert bot.db.conn.execute("SELECT count(*) FROM answers WHERE run_id = ?", (review.run_id,)).fetchone() == (0,)
    clock.now += timedelta(hours=2)
    bot.handle(Message(ROOM, BOB, "yes"))
    bot.handle(Message(ROOM, ALICE, "keep"))
    bot.handle(Message(ROOM, ALICE, "ok"))
    assert bot.db.conn.execute("SELECT status, done_at FROM actions").fetchall() == [("done", reported[0][0])]


def test_report_participation_and_latency_equal_their_definitions_after_done(bot: Dispatcher, clock: Clock) -> None:
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-10")])
    clock.now += timedelta(days=3)
    say(bot, BOB, "done A1")
    params = Params(as_of=clock.now + timedelta(days=1))
    rep = report.build(bot.db.conn, params)
    args = {
        "since": "",
        "until": "9999",
        "flow": None,
        "as_of": "2026-12-05T09:00:00.000Z",
        "grace_days": 2,
        "idle_days": 7,
    }
    cur = bot.db.conn.execute(MEASURES["participation"], args)
    names = [d[0] for d in cur.description]
    defined = {r[0]: dict(zip(names, r, strict=True)) for r in cur}
    for row in rep["participation"]:
        for column, value in row.items():
            if column in defined[row["person"]]:
                assert defined[row["person"]][column] == value, (row["person"], column)
    assert defined["console:bob"]["inbound_messages"] == 2  # his 'yes' and his 'done A1'
    cur = bot.db.conn.execute(MEASURES["follow_through_by_owner"], args)
    names = [d[0] for d in cur.description]
    bob = next(dict(zip(names, r, strict=True)) for r in cur if r[0] == "console:bob")
    assert (bob["due"], bob["done_on_time"], bob["follow_through"]) == (1, 1, 1.0)


def test_the_claimer_of_a_triggered_run_may_report_its_action_done(tmp_path: Path, clock: Clock) -> None:
    from bot.admission import Admission

    folder = tmp_path / "flows2"
    folder.mkdir()
    for name in ("metric_breach.yaml", "decision_review.yaml"):
        shutil.copy(ROOT / "flows" / name, folder)
    db = open_db(tmp_path / "claimed.db")
    bot = Dispatcher(db, FlowCatalog(folder, db), ZoneInfo("Europe/Berlin"), clock=clock)
    trig = Trigger(flow="metric_breach", source="generic", title="Checkout", conversation=ROOM)
    bot.admit([Admission(trig)])
    people = {"@bob": BOB}
    for text in ("me", "act", "Roll back", "Revert", "@bob", "2026-12-10", "done"):
        bot.handle(Message(ROOM, CAROL, text, mentions=people))
    bot.handle(Message(ROOM, BOB, "yes"))
    bot.handle(Message(ROOM, CAROL, "ok"))
    assert db.conn.execute("SELECT decided_by FROM decisions").fetchall() == [("console:carol",)]
    assert say(bot, CAROL, "done A1") == "Marked done in bob's place: 'Revert' (from 'Checkout')."
    db.conn.close()


def test_an_owners_no_at_a_review_in_flight_keeps_the_done_they_reported(bot: Dispatcher, clock: Clock) -> None:
    decision, _ = decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-10")])
    clock.now += timedelta(days=20)
    bot.start(Trigger(flow="decision_review", data={"decision_id": decision}, facilitator=ALICE), ROOM)
    say(bot, BOB, "done A1")
    bot.handle(Message(ROOM, BOB, "no"))
    bot.handle(Message(ROOM, ALICE, "drop"))
    rows = bot.db.conn.execute("SELECT status, done_at, done_confirmed_by FROM actions").fetchall()
    assert rows == [("done", "2026-12-21T09:00:00.000Z", None)]
    assert bot.db.conn.execute("SELECT status FROM decisions WHERE id = ?", (decision,)).fetchall() == [("dropped",)]


def test_done_never_confirms_a_pending_cancel_of_the_review(bot: Dispatcher, clock: Clock) -> None:
    """Alice leads the decision and owns A1 herself. In the review she types 'cancel' (asked: are
    you sure?), then reports A1 done from her DM: the review stays (a done once answered the question in front
    of her, here 'Cancel this run?', with a made-up yes)."""
    decision, _ = decide(bot, "Weekly sync", [("Draft the plan", ALICE, "2026-12-10")])
    clock.now += timedelta(days=20)
    review = bot.start(Trigger(flow="decision_review", data={"decision_id": decision}, facilitator=ALICE), ROOM)
    bot.handle(Message(ROOM, ALICE, "cancel"))  # "Cancel this run? yes/no"
    say(bot, ALICE, "done A1")
    status = bot.db.conn.execute("SELECT status FROM runs WHERE id = ?", (review.run_id,)).fetchone()[0]
    assert status == "active"


def test_done_answers_no_question_of_a_custom_review(tmp_path: Path, clock: Clock) -> None:
    """A custom review flow asks each owner first 'is it still needed?' (yes/no, over the same
    actions), then whether it was done. Bob's 'done A1' answers neither (it used to answer 'still needed?')."""
    folder = tmp_path / "flows"
    folder.mkdir()
    shutil.copy(ROOT / "flows" / "post_meeting.yaml", folder)
    text = (ROOT / "flows" / "decision_review.yaml").read_text()
    extra = (
        "steps:\n  - id: still_needed\n    to: each trigger.actions.owner\n"
        "    ask: \"Is '{{ item.what }}' still needed?\"\n    type: yes_no\n"
    )
    (folder / "decision_review.yaml").write_text(text.replace("steps:\n", extra, 1))
    db = open_db(tmp_path / "ledger.db")
    d = Dispatcher(db, FlowCatalog(folder, db), ZoneInfo("Europe/Berlin"), clock=clock)
    decision, _ = decide(d, "Weekly sync", [("Draft the plan", BOB, "2026-12-10")])
    clock.now += timedelta(days=20)
    review = d.start(Trigger(flow="decision_review", data={"decision_id": decision}, facilitator=ALICE), ROOM)
    assert [r.text for r in review.outcome.replies if r.to == BOB] == ["Is 'Draft the plan' still needed?"]
    assert say(d, BOB, "done A1") == "Marked done: 'Draft the plan' (from 'Weekly sync')."
    taken = db.conn.execute("SELECT step, value FROM answers WHERE run_id = ?", (review.run_id,)).fetchall()
    db.conn.close()
    assert taken == [], taken


def test_participation_counts_no_message_bob_never_sent(bot: Dispatcher, clock: Clock) -> None:
    """Bob sends two messages (his acceptance 'yes', then 'done A1' while the review asks him);
    the report says two (it said three: a made-up 'yes' of his in the review's transcript)."""
    decision, _ = decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-10")])
    clock.now += timedelta(days=20)
    review = bot.start(Trigger(flow="decision_review", data={"decision_id": decision}, facilitator=ALICE), ROOM)
    say(bot, BOB, "done A1")
    rows = bot.db.conn.execute(
        "SELECT run_id, conversation, text FROM messages WHERE direction = 'in' AND actor_id = ? ORDER BY id",
        (BOB.id,),
    ).fetchall()
    rep = report.build(bot.db.conn, Params(as_of=clock.now + timedelta(days=1)))
    bob = next(r for r in rep["participation"] if r["person"] == BOB.id)
    assert bob["inbound_messages"] == 2, rows
    assert (review.run_id, "console:room", "yes") not in rows
