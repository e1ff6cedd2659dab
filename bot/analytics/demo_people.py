"""The demo's people in ``people``, as the platforms would have told of them: everyone its runs
name (facilitators, the people written to or answering, owners), with the name they write under
and their time zone, last fetched when the history last named them. So an analyst's join on
``people`` (names, time zones) finds them all, as it would on a ledger the Slack channel filled."""

from __future__ import annotations

from collections.abc import Mapping

from sqlite_utils import Database

from bot.store import transaction

#: Everyone a run names, and the last time the history did.
NAMED = """SELECT id, max(at) FROM (
    SELECT facilitator_id AS id, updated_at AS at FROM runs
    UNION ALL SELECT actor_id, created_at FROM messages WHERE actor_id IS NOT NULL
    UNION ALL SELECT actor_id, at FROM answers
    UNION ALL SELECT actor_id, at FROM action_changes
    UNION ALL SELECT a.owner_id, d.decided_at FROM actions a JOIN decisions d ON d.id = a.decision_id
    WHERE a.owner_id IS NOT NULL)
GROUP BY id"""


def fill(db: Database, teams: Mapping[str, Mapping[str, str]]) -> int:
    """Write the people of ``teams`` (channel -> name -> IANA zone) the ledger's runs name; how many."""
    known = {f"{channel}:{name}": (name, zone) for channel, team in teams.items() for name, zone in team.items()}
    with transaction(db) as conn:
        rows = [(pid, *known[pid], at) for pid, at in conn.execute(NAMED).fetchall() if pid in known]
        conn.executemany("INSERT OR REPLACE INTO people (id, name, tz, fetched_at) VALUES (?, ?, ?, ?)", rows)
    return len(rows)
