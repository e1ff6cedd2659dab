"""Which surface each Slack answer came through, as ``answer_sources`` shows it: the widget clicked
(a button, a user picker, a date picker), the run's thread, a direct message; an edit in Slack
no second answer, a correction typed in the thread a revision. Before, nothing tied an answer to
the message that gave it (``answers.message_id``): an analyst could not tell a click from a reply.
The real server, signed requests, the fake Web API; each expected row is noted as the script does it."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from bot.analytics.sql import MEASURES, as_view
from bot.store import open_db
from tests.analytics.history import build
from tests.dates import JAN15
from tests.fakes.slack_api import BOT_USER, FakeSlack
from tests.slack_support import Harness, message, wait_for
from tests.test_slack_edits import edited

Row = tuple[int, str, str | None, str, str]  # run, step, field, person, surface


class Day:
    """Alice's and Bob's answers, each noted with where it was given."""

    def __init__(self, slack: Harness) -> None:
        self.slack = slack
        self.expected: list[Row] = []

    def note(self, run: int, step: str, field: str | None, user: str, surface: str) -> None:
        self.expected.append((run, step, field, f"slack:{user}", surface))

    async def typed(self, run: int, step: str, field: str | None, user: str, text: str, **where: Any) -> None:
        n = len(self.slack.fake.posted())
        await self.slack.event(message(user, text, **where))
        await wait_for(lambda: len(self.slack.fake.posted()) > n)
        self.note(run, step, field, user, "dm" if where.get("channel", "").startswith("D") else "thread")

    async def clicked(self, run: int, step: str, field: str | None, user: str, action: dict[str, Any]) -> None:
        n = len(self.slack.fake.posted())
        await self.slack.click(user, self.slack.fake.posted()[-1], action)
        await wait_for(lambda: len(self.slack.fake.posted()) > n)
        self.note(run, step, field, user, action["type"])


async def test_each_answer_names_the_surface_it_came_through(slack: Harness, fake: FakeSlack, tmp_path: Path) -> None:
    day = Day(slack)
    await slack.slash("UA", "start post_meeting Weekly sync")
    thread = (await slack.posts(2))[0]["ts"]
    first = message("UA", "We ship in March", thread_ts=thread)
    await slack.event(first)
    day.note(1, "decision", None, "UA", "thread")
    await wait_for(lambda: "What is the action" in fake.posted()[-1]["text"])
    await slack.event(edited(first, "We ship in May"))  # an edit: no answer
    await day.typed(1, "actions", "what", "UA", "Draft the plan", thread_ts=thread)
    await day.clicked(1, "actions", "owner", "UA", {"type": "users_select", "selected_user": "UB"})
    await day.clicked(1, "actions", "due", "UA", {"type": "datepicker", "selected_date": JAN15})
    await day.clicked(1, "actions", None, "UA", {"type": "button", "value": "done"})  # no more: no answer
    day.expected.pop()
    await day.typed(1, "owner_accepts", None, "UB", "yes", channel="DUB")
    await day.typed(1, "decision", None, "UA", "change decision to We ship in April", thread_ts=thread)
    await day.clicked(1, "review_at", None, "UA", {"type": "button", "value": "default"})

    mention = message("UA", f"<@{BOT_USER}> start post_meeting <@UB> Retro", type="app_mention")
    del mention["channel_type"]
    await slack.event(mention)
    await wait_for(lambda: slack.rows("SELECT 1 FROM runs WHERE id = 2"))
    for field, text in (("decision", "We keep it"), ("what", "Book the room"), ("owner", "<@UB>"), ("due", JAN15)):
        step = "decision" if field == "decision" else "actions"
        await day.typed(2, step, None if field == "decision" else field, "UA", text, thread_ts=mention["ts"])
    await slack.say(mention["ts"], "done")
    await wait_for(lambda: fake.posted()[-1]["channel"] == "DUB")
    await day.clicked(2, "owner_accepts", None, "UB", {"type": "button", "value": "yes"})

    got = slack.rows("SELECT run_id, step, field, actor_id, surface FROM answer_sources ORDER BY answer_id")
    assert got == day.expected
    assert got == slack.rows(
        f"SELECT run_id, step, field, actor_id, surface FROM ({as_view(MEASURES['answer_sources'])})"
    )
    names = dict(slack.rows("SELECT DISTINCT actor_id, actor_name FROM answer_sources"))
    assert names == {"slack:UA": "Alice", "slack:UB": "Bob"}
    revised = slack.rows("SELECT revision, kind, surface FROM answer_sources WHERE run_id = 1 AND step = 'decision'")
    assert revised == [(1, "answer", "thread"), (2, "correction", "thread")]
    _a_ledger_made_before_finds_each_answers_message(slack, tmp_path)


def _a_ledger_made_before_finds_each_answers_message(slack: Harness, tmp_path: Path) -> None:
    """Its answers had no message_id: the migration finds each one's message (its turn's)."""
    want = slack.rows("SELECT id, message_id FROM answers ORDER BY id")
    assert all(message_id for _, message_id in want)
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as copy:
        slack.services.db.conn.backup(copy)
    conn = sqlite3.connect(old, isolation_level=None)
    conn.execute("DROP VIEW answer_sources")
    conn.execute("ALTER TABLE answers DROP COLUMN message_id")
    conn.execute(
        "DELETE FROM _sqlite_migrations WHERE name IN ('m011_answers_name_their_message', 'm019_answer_sources')"
    )
    conn.close()
    migrated = open_db(old).conn
    assert migrated.execute("SELECT id, message_id FROM answers ORDER BY id").fetchall() == want
    assert migrated.execute("SELECT count(*) FROM answer_sources WHERE surface IS NULL").fetchone() == (0,)


def test_where_a_slack_message_was_typed_is_read_from_its_conversation_as_slack_spells_it(tmp_path: Path) -> None:
    """Slack's ids are upper case: ``slack:D...`` is a direct message; ``demo-data``'s made-up
    ``slack:demo-3`` is no direct message (a LIKE, blind to case, took it for one)."""
    conn = build(tmp_path / "h.db").conn
    places = {
        "slack:DUB": "dm",
        "slack:C1/1700000000.000001": "thread",
        "slack:C1": "channel",
        "slack:demo-3": "channel",
    }
    for conversation in places:
        message_id = conn.execute(
            "INSERT INTO messages (run_id, direction, channel, conversation, actor_id, step, kind, text, created_at)"
            " VALUES (1, 'in', 'slack', ?, 'slack:alice', 'decision', 'answer', 'x', '2026-03-02T10:00:00.000Z')",
            (conversation,),
        ).lastrowid
        conn.execute(
            "INSERT INTO answers (run_id, step, actor_id, value, raw, kind, revision, at, message_id)"
            " VALUES (1, 'decision', 'slack:alice', '\"x\"', 'x', 'answer', 2, '2026-03-02T10:00:00.000Z', ?)",
            (message_id,),
        )
    got = conn.execute("SELECT conversation, surface FROM answer_sources WHERE message_id IS NOT NULL").fetchall()
    assert dict(got) == places
