"""What the tests of owners' actions share: a dispatcher on a real ledger with the shipped
post_meeting and decision_review flows, a clock the tests move, and a decision with actions."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.control import run_command
from bot.dispatch import Dispatcher
from bot.flow_catalog import FlowCatalog
from bot.model import Actor, ConversationKey, Message, Trigger
from bot.store import open_db, transaction
from tests.clock import Clock

ROOT = Path(__file__).resolve().parents[2]
ALICE, BOB, CAROL = Actor("console:alice", "alice"), Actor("console:bob", "bob"), Actor("console:carol", "carol")
ROOM, DM = ConversationKey("console", "room"), ConversationKey("console", "bob-dm")
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # where the tests' clock starts


def dispatcher(tmp_path: Path, clock: Clock, *more: str) -> Iterator[Dispatcher]:
    """For a ``bot`` fixture: the dispatcher, its ledger closed after the test; ``more``: shipped
    flows besides post_meeting and decision_review (``action_handover.yaml``)."""
    folder = tmp_path / "flows"
    folder.mkdir()
    for name in ("post_meeting.yaml", "decision_review.yaml", *more):
        shutil.copy(ROOT / "flows" / name, folder)
    db = open_db(tmp_path / "ledger.db")
    yield Dispatcher(db, FlowCatalog(folder, db), ZoneInfo("Europe/Berlin"), clock=clock)
    db.conn.close()


def decide(
    bot: Dispatcher, title: str, items: list[tuple[str, Actor, str]], where: ConversationKey = ROOM
) -> tuple[int, str]:
    """A post_meeting run by alice in ``where``, completed, with ``items`` (what, owner, due)
    accepted; its decision id and the summary the room was sent."""
    people = {f"@{p.name}": p for _, p, _ in items}
    bot.start(Trigger(flow="post_meeting", title=title, facilitator=ALICE, participants=[BOB, CAROL]), where)
    bot.handle(Message(where, ALICE, "We ship in March"))
    for what, owner, due in items:
        for text in (what, f"@{owner.name}", due):
            bot.handle(Message(where, ALICE, text, mentions=people))
    bot.handle(Message(where, ALICE, "done"))
    for _, owner, _ in items:
        bot.handle(Message(where, owner, "yes"))
    last = bot.handle(Message(where, ALICE, "ok"))
    assert last is not None
    summary = next(r.text for r in last.outcome.replies if r.kind == "summary")
    return int(bot.db.conn.execute("SELECT max(id) FROM decisions").fetchone()[0]), summary


def say(bot: Dispatcher, actor: Actor, text: str, where: ConversationKey = DM) -> str:
    with transaction(bot.db):  # as the channels do: the command in the savepoint of its request
        return run_command(bot, actor, where, text).text


def rows(bot: Dispatcher, sql: str, *args: object) -> list[tuple]:
    return bot.db.conn.execute(sql, args).fetchall()
