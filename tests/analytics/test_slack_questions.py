"""What an analyst reads of a Slack run: the questions put to each person (``participation``'s prompts
addressed, ``answer_times``, ``answer_time_by_step``) are the flow's questions, not the bot asking
the facilitator to confirm a ``cancel`` (a yes/no it also sends as a prompt, so that the reply is
placed to that run). Before, a facilitator who typed ``cancel`` while the run waited on an owner,
then kept the run, counted as asked at the owner's step, unanswered: a lower response rate, and a
question nobody put in that step's answer times. The real server, signed requests, the fake Web API."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

from bot.analytics import sql_waits, summary_triggers
from bot.analytics.sql import MEASURES, as_view
from bot.store import iso, open_db, utc_now
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, bob_asked_to_accept, message, wait_for

#: The measures' definitions, on the raw tables (the views read the summary tables).
DEFINITIONS = {**MEASURES, **sql_waits.MEASURES}


def _questions(slack: Harness) -> set[tuple[str, int, str]]:
    """(person, run, step) of each question the flow put to someone: the prompts that expect an answer."""
    rows = slack.rows(
        "SELECT actor_id, run_id, step FROM messages WHERE direction = 'out' AND kind = 'prompt'"
        " AND actor_id IS NOT NULL AND expects IS NOT NULL"
    )
    return set(rows)


def _answered(slack: Harness) -> set[tuple[str, int, str]]:
    return set(slack.rows("SELECT DISTINCT actor_id, run_id, step FROM answers"))


async def test_a_cancel_kept_is_no_question_put_at_the_step_it_was_typed_at(slack: Harness, fake: FakeSlack) -> None:
    thread = await bob_asked_to_accept(slack)
    await wait_for(lambda: slack.rows("SELECT 1 FROM runs WHERE state = 'owner_accepts'"))
    await slack.say(thread, "cancel", "no")  # Alice thinks better of it: the run goes on
    await wait_for(lambda: any("not cancelled" in p["text"] for p in fake.posted()))  # (Bob's DM may come after)
    await slack.event(message("UB", "yes", channel="DUB"))
    await wait_for(lambda: slack.rows("SELECT 1 FROM runs WHERE state = 'review_at'"))
    await slack.say(thread, "ok")
    assert slack.rows("SELECT status FROM runs") == [("completed",)]

    asked, answered = _questions(slack), _answered(slack)
    addressed = Counter(person for person, _, _ in asked)
    replied = Counter(person for person, run, step in asked if (person, run, step) in answered)
    for sql in (as_view(MEASURES["participation"]), "SELECT * FROM participation"):
        got = {r[0]: (r[4], r[5]) for r in slack.rows(sql)}
        assert got == {p: (addressed[p], replied[p]) for p in ("slack:UA", "slack:UB")}, sql
    times = slack.rows("SELECT person, run_id, step, answered_at IS NOT NULL FROM answer_times")
    assert {(p, r, s) for p, r, s, _ in times} == asked
    assert all(done for *_, done in times)  # every question put was answered
    by_step = {r[1]: r[2] for r in slack.rows("SELECT * FROM answer_time_by_step")}
    assert by_step["owner_accepts"] == sum(1 for _, _, step in asked if step == "owner_accepts")


async def test_a_ledger_that_counted_a_cancel_kept_as_a_question_is_counted_again_by_its_migration(
    slack: Harness, fake: FakeSlack, tmp_path: Path
) -> None:
    """A ledger of the version before: its trigger counted every prompt as a question. The migration
    counts them again; the views then agree with the definitions, read from the raw tables."""
    await bob_asked_to_accept(slack)
    await wait_for(lambda: slack.rows("SELECT 1 FROM runs WHERE state = 'owner_accepts'"))
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as copy:
        slack.services.db.conn.backup(copy)
    conn = sqlite3.connect(old, isolation_level=None)
    before = summary_triggers.TRIGGERS[-1].replace(" AND new.expects IS NOT NULL", "")  # every prompt
    conn.execute("DROP TRIGGER analytics_messages_ai")
    conn.execute(before)
    conn.execute(
        "INSERT INTO messages (run_id, direction, channel, conversation, actor_id, actor_name, step, kind, text,"
        " created_at) SELECT 1, 'out', 'slack', conversation, 'slack:UA', 'Alice', 'owner_accepts', 'prompt',"
        " 'Cancel this decision run?', ? FROM runs WHERE id = 1",
        (iso(utc_now()),),
    )
    assert conn.execute("SELECT count(*) FROM analytics_prompts WHERE step = 'owner_accepts'").fetchone() == (2,)
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm017_prompts_are_questions'")
    conn.close()
    migrated = open_db(old).conn
    for name in ("participation", "answer_times", "answer_time_by_person", "answer_time_by_step"):
        want = migrated.execute(as_view(DEFINITIONS[name])).fetchall()  # from the raw tables
        assert migrated.execute(f"SELECT * FROM {name}").fetchall() == want, name
    assert migrated.execute("SELECT prompts_addressed FROM participation WHERE person = 'slack:UA'").fetchone() == (2,)
