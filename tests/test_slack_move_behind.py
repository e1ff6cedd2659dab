"""Words typed in a run's old thread after ``/decision move RUN #channel``: before, an answer typed
there right after the move was dropped silently (nothing stored, its writer not told). Now it is
kept in the run's transcript as words not taken (``kind = 'refused'``), and its writer alone is
told that the run goes on in the new channel, to answer there, with a link to the new thread once
its root is out. The real server, requests signed as Slack signs them, slack-sdk against the
fake Web API."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.channels.slack_behind import moved_from
from bot.store import open_db
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, message, wait_for
from tests.test_slack_move import in_channel, ops
from tests.test_slack_move import slack_people as slack_people  # the fixture: Alice, Bob, Carol


def ephemerals(fake: FakeSlack, user: str) -> list[dict[str, Any]]:
    return [c.args for c in fake.of("chat.postEphemeral") if c.args.get("user") == user]


def kept(slack: Harness) -> list[tuple[Any, ...]]:
    return slack.rows(
        "SELECT run_id, conversation, actor_id, kind, text, step, payload FROM messages"
        " WHERE direction = 'in' AND platform_id LIKE 'msg:%'"
    )


async def moved_to_ops(slack: Harness, fake: FakeSlack) -> tuple[str, dict[str, Any]]:
    """Alice's post_meeting in C1, its free-text question waiting on her, moved to #ops-review:
    the old thread, and the new root once posted."""
    ops(fake)
    await slack.slash("UA", "start post_meeting Weekly sync")
    thread = (await slack.posts(2))[0]["ts"]
    assert (await slack.slash("UA", "move 1 <#C2|ops-review>"))["text"].startswith("Run #1 moves to #ops-review")
    root = (await wait_for(lambda: len(in_channel(fake, "C2")) >= 2 and in_channel(fake, "C2")))[0]
    return thread, root


async def test_an_answer_typed_in_the_old_thread_is_kept_and_its_writer_told_where_to_answer(
    slack: Harness, fake: FakeSlack
) -> None:
    thread, root = await moved_to_ops(slack, fake)
    said = message("UA", "We ship in March", thread_ts=thread)
    await slack.event(said)
    [told] = await wait_for(lambda: ephemerals(fake, "UA"))
    link = f"https://fake.slack.com/archives/C2/p{root['ts'].replace('.', '')}"
    assert (told["channel"], told["thread_ts"]) == ("C1", thread)
    assert told["text"] == (
        f"Run #1 goes on in a new thread in <#C2>: what is typed here no longer reaches it. Your message is kept"
        f" but not taken: <{link}|answer there>."
    )
    [(run, where, who, kind, text, step, payload)] = kept(slack)
    assert (run, where, who, kind, text, step) == (
        1,
        f"slack:C1/{thread}",
        "slack:UA",
        "refused",
        "We ship in March",
        "decision",
    )
    assert json.loads(payload)["moved_to"] == "slack:C2"
    assert slack.rows("SELECT count(*) FROM answers") == [(0,)]
    await slack.event(said)  # Slack's retry: kept and told once
    await slack.event(message("UA", "We ship in March", channel="C2", thread_ts=root["ts"]))
    await wait_for(lambda: slack.rows("SELECT step FROM answers") == [("decision",)])
    assert len(kept(slack)) == 2 and len(ephemerals(fake, "UA")) == 1


async def test_someone_elses_words_in_the_old_thread_are_kept_too_without_a_link_when_slack_gives_none(
    slack: Harness, fake: FakeSlack
) -> None:
    thread, _ = await moved_to_ops(slack, fake)
    fake.refuse("chat.getPermalink", error="message_not_found")
    await slack.event(message("UB", "I think March is too late", thread_ts=thread))
    [told] = await wait_for(lambda: ephemerals(fake, "UB"))
    assert told["text"] == (
        "Run #1 goes on in a new thread in <#C2>: what is typed here no longer reaches it. Your message is kept"
        " but not taken: answer there."
    )
    assert [(r[2], r[3], r[4]) for r in kept(slack)] == [("slack:UB", "refused", "I think March is too late")]


async def test_a_command_typed_in_the_old_thread_is_carried_out_not_kept_as_words(
    slack: Harness, fake: FakeSlack
) -> None:
    """A run's command typed plainly in the thread it moved away from ('status 1', 'done A12', the
    lead's 'cancel 1') is the command, as in any thread no run reads, not words kept for the run."""
    thread, _ = await moved_to_ops(slack, fake)
    await slack.event(message("UA", "cancel 1", thread_ts=thread))
    await wait_for(lambda: slack.rows("SELECT status FROM runs") == [("cancelled",)])
    assert [r for r in kept(slack) if r[3] == "refused"] == []
    assert not [e for e in ephemerals(fake, "UA") if "kept but not taken" in e["text"]]


def plan_of_moved_from(conn: sqlite3.Connection) -> list[str]:
    """How SQLite runs the query ``moved_from`` asks of every thread reply no run reads."""
    asked: list[str] = []
    conn.set_trace_callback(asked.append)
    try:
        assert moved_from(conn, "C9", "1700000000.000100") is None
    finally:
        conn.set_trace_callback(None)
    [query] = [q for q in asked if "slack_moves" in q]
    return [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {query}")]


@pytest.mark.parametrize("ledger", ["new", "before the index", "of commit 956d256"])
def test_a_thread_reply_no_run_reads_finds_no_move_by_an_index(ledger: str, tmp_path: Path, old_ledger: Path) -> None:
    """Before, each such reply joined the moves of every open run (slack_moves had no index on the
    thread a move left); now the thread is looked up by one, in a ledger an earlier version wrote too."""
    path = old_ledger if ledger == "of commit 956d256" else tmp_path / "t.db"
    if ledger == "before the index":
        db = open_db(path)
        db.execute("DROP INDEX slack_moves_from")
        db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm004_thread_moves_by_old_thread'")
        db.conn.close()
    db = open_db(path)
    try:
        plan = plan_of_moved_from(db.conn)
        assert any("slack_moves_from (from_conversation=?)" in step for step in plan), plan
        assert not any("TEMP B-TREE" in step for step in plan), plan  # the latest move: the index's order
    finally:
        db.conn.close()
