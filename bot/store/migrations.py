"""The ledger's schema, owned by ordered migrations (sqlite-utils ``Migrations``): the core set
(:mod:`bot.store.schema`), then each area's (``AREA_SETS``), applied together; and each area's
batched upkeep.

Each migration runs once, in order, in a transaction with the record of it having been applied;
re-applying is a no-op. Never edit an applied migration: add the next one.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.store.schema import INITIAL, migrations

__all__ = [
    "AREA_SETS",
    "INITIAL",
    "all_sets",
    "apply",
    "apply_by_set",
    "catch_up",
    "migrations",
    "unknown",
    "upkeep",
    "upkeep_due",
]

#: Modules that own more tables, each with its own ``migrations = Migrations("decisionbot-<area>")``
#: set; applied after the core set, in this order.
AREA_SETS: tuple[str, ...] = (
    "bot.triggers.schema",
    "bot.store.names",  # before the analytics views that read conversation_names
    "bot.analytics.schema",
    "bot.store.people",
    "bot.store.slack",
    "bot.store.slack_inbox",
    "bot.channels.teams_store",
    "bot.channels.rasa_store",
)


def upkeep(db: Database) -> int:
    """Run the ``upkeep(db)`` of every area that has one (batched work kept off the turns, such as
    the full-text index), one batch each: between turns and in the server's housekeeping.
    Returns how many items the batches did."""
    done = 0
    for module in AREA_SETS:
        hook = getattr(importlib.import_module(module), "upkeep", None)
        if hook is not None:
            done += hook(db) or 0
    return done


def upkeep_due(db: Database) -> bool:
    """Whether an area's upkeep has work now (its ``upkeep_due(db)``, read without the write lock;
    an area with ``upkeep`` but no ``upkeep_due``: always), so the server takes the lock for it."""
    for module in AREA_SETS:
        area = importlib.import_module(module)
        if hasattr(area, "upkeep") and getattr(area, "upkeep_due", lambda _: True)(db):
            return True
    return False


def catch_up(db: Database) -> None:
    """Upkeep until nothing is left, still batch by batch: after a CLI command and ``db migrate``,
    which have no housekeeping to finish the work later."""
    while upkeep(db):
        pass


def all_sets() -> list[Migrations]:
    return [migrations, *(importlib.import_module(m).migrations for m in AREA_SETS)]


def unknown(db: Database) -> list[str]:
    """The migrations the ledger records that this version does not have: a newer version
    applied them (sqlite-utils keeps a set's migrations in ``_migrations``; it has no public list)."""
    found: list[str] = []
    for mset in all_sets():
        known = {m.name for m in mset._migrations}
        found.extend(a.name for a in mset.applied(db) if a.name not in known)
    return found


def apply(db: Database, before: Callable[[], object] | None = None) -> list[str]:
    """Apply pending migrations of every set; return the names applied, in order (each set's
    alone: :func:`apply_by_set`)."""
    return [name for names in apply_by_set(db, before).values() for name in names]


def apply_by_set(db: Database, before: Callable[[], object] | None = None) -> dict[str, list[str]]:
    """Apply pending migrations of every set; return the names applied by set (its name, as
    ``_migrations`` records it: ``decisionbot``, ``decisionbot-analytics``...), the sets in the order
    applied, a set with nothing applied left out. ``before`` is called
    once, under the write lock, before the first of them is applied (the copy an upgrade takes:
    :mod:`bot.store.upgrade_copy`); a process that finds the work done does not call it.

    Several processes may open a ledger that needs migrating at the same moment (the restarted
    server, cron's ``jobs run-due``, an operator's ``db migrate``). A set with something pending
    is applied under the write lock, taken first (``BEGIN IMMEDIATE`` waits the busy timeout),
    and what is pending is worked out again inside it: the process that waited finds the work
    done and applies nothing. sqlite-utils' ``Migrations.apply`` runs inside that transaction
    (each migration in a savepoint with its record, as it writes them on its own), so the set's
    pending migrations commit together. Inside a transaction already open (the dry run that
    refuses another application's file) they are a savepoint of it."""
    from bot.store import transaction  # bot.store imports this module

    applied: dict[str, list[str]] = {}
    for mset in all_sets():
        if not mset.pending(db):  # the common case: read only, no lock taken
            continue
        with transaction(db):
            pending = [m.name for m in mset.pending(db)]
            if pending and before is not None:
                before()
                before = None
            mset.apply(db)
        if pending:
            applied[mset.name] = pending
    return applied
