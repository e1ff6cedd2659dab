"""A handover keeps the old owner's acceptance: the new owner's yes replaces the action's
``accepted_at`` (and clears ``confirmed_by``/``confirmed_at``), so the owner change's row in
``action_changes`` keeps what it replaces. On a real SQLite ledger with the shipped flows; a ledger
from before gets the rows it already has filled by migration m009."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from bot.dispatch import Dispatcher
from bot.model import Actor, Message
from bot.store import migrations
from tests.actions.support import ALICE, BOB, CAROL, DM, decide, dispatcher, rows, say
from tests.clock import Clock

DAVE = Actor("console:dave", "dave")
KEPT = "SELECT old, new, at, old_accepted_at, old_confirmed_by, old_confirmed_at FROM action_changes ORDER BY id"


@pytest.fixture
def bot(tmp_path: Path, clock: Clock) -> Iterator[Dispatcher]:
    yield from dispatcher(tmp_path, clock, "action_handover.yaml")


def hand(bot: Dispatcher, clock: Clock, giver: Actor, taker: Actor) -> None:
    clock.now += timedelta(hours=1)
    say(bot, giver, f"give A1 @{taker.name}")
    clock.now += timedelta(hours=1)
    bot.handle(Message(DM, taker, "yes"))


def test_each_owner_change_keeps_the_acceptance_it_replaces(bot: Dispatcher, clock: Clock) -> None:
    """Before, carol's yes overwrote bob's ``accepted_at`` and his was kept nowhere."""
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03")])
    (bobs,) = rows(bot, "SELECT accepted_at FROM actions WHERE id = 1")[0]
    hand(bot, clock, BOB, CAROL)
    hand(bot, clock, CAROL, DAVE)
    assert rows(bot, KEPT) == [
        ("console:bob", "console:carol", "2026-12-01T11:00:00.000Z", bobs, None, None),
        ("console:carol", "console:dave", "2026-12-01T13:00:00.000Z", "2026-12-01T11:00:00.000Z", None, None),
    ]
    assert bobs == "2026-12-01T09:00:00.000Z"


def test_a_confirmation_given_in_the_old_owners_place_is_kept(bot: Dispatcher, clock: Clock) -> None:
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03")])
    confirmed = "UPDATE actions SET accepted_at = NULL, confirmed_by = ?, confirmed_at = ? WHERE id = 1"
    bot.db.conn.execute(confirmed, (ALICE.id, "2026-12-01T09:00:00.000Z"))  # as an escalation leaves it
    hand(bot, clock, ALICE, CAROL)
    assert rows(bot, KEPT)[0][3:] == (None, ALICE.id, "2026-12-01T09:00:00.000Z")
    assert rows(bot, "SELECT accepted_at, confirmed_by FROM actions") == [("2026-12-01T11:00:00.000Z", None)]


def test_the_migration_fills_the_handovers_a_ledger_already_has(bot: Dispatcher, clock: Clock) -> None:
    """The rows written before the columns: the first owner's yes from the deciding run's answers,
    a later owner's from the change that gave them the action; applied again, nothing changes."""
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03")])
    hand(bot, clock, BOB, CAROL)
    hand(bot, clock, CAROL, DAVE)
    expected = rows(bot, KEPT)
    db = Database(bot.db.conn)
    db.execute("UPDATE action_changes SET old_accepted_at = NULL, old_confirmed_by = NULL, old_confirmed_at = NULL")
    for column in ("old_accepted_at", "old_confirmed_by", "old_confirmed_at"):
        db.execute(f"ALTER TABLE action_changes DROP COLUMN {column}")
    db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm009_handover_keeps_the_old_acceptance'")
    assert migrations.apply(db) == ["m009_handover_keeps_the_old_acceptance"]
    assert rows(bot, KEPT) == expected
    assert migrations.apply(db) == [] and rows(bot, KEPT) == expected


def test_a_yes_with_a_due_date_to_a_handover_takes_nothing_and_says_how_to_move_the_date(
    bot: Dispatcher, clock: Clock
) -> None:
    """Owners confirm "yes, by next friday" to move the date; to a handover the same words were
    taken as a plain yes and the date dropped without a word ("due 2026-12-03 is yours now"). Now
    nothing is taken and the re-prompt says to say yes, then ``due A1 ...``; a plain yes after it
    hands it over as it is, and "yes, by the way" is still a yes."""
    decide(bot, "Weekly sync", [("Draft the plan", BOB, "2026-12-03")])
    say(bot, BOB, "give A1 @carol")
    said = bot.handle(Message(DM, CAROL, "yes, by 2026-12-20"))
    assert said is not None
    assert [r.text for r in said.outcome.replies] == [
        "Say yes or no: do you take it over as it is (due 2026-12-03)? Once it is yours, move its due date with"
        " due A1 2026-12-20"
    ]
    assert rows(bot, "SELECT owner_id, due FROM actions") == [("console:bob", "2026-12-03")]
    assert rows(bot, "SELECT kind FROM messages WHERE direction = 'in' ORDER BY id DESC LIMIT 1") == [("invalid",)]
    bot.handle(Message(DM, CAROL, "yes, by the way"))
    assert rows(bot, "SELECT owner_id, due FROM actions") == [("console:carol", "2026-12-03")]
