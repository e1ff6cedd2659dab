"""``demo-data`` fills ``people`` as the platforms would have told of the people it made up: everyone
who takes part in its runs, with the name they write under and their time zone, so an analyst's
join on ``people`` finds every one of them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from bot.analytics.demo import TEAMS
from bot.cli import main
from bot.store import open_readonly

ROOT = Path(__file__).resolve().parents[2]

#: Everyone a run names: facilitators, the people written to or answering, owners (not the
#: placeholder facilitator of a triggered run nobody leads yet: no person).
TAKING_PART = """SELECT id FROM (
    SELECT facilitator_id AS id FROM runs UNION SELECT actor_id FROM messages UNION SELECT actor_id FROM answers
    UNION SELECT owner_id FROM actions UNION SELECT actor_id FROM action_changes)
WHERE id IS NOT NULL AND id NOT LIKE '%:facilitator'"""


def test_demo_people_are_everyone_its_runs_name_with_their_names_and_zones(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    result = CliRunner().invoke(main, ["--db", str(db), "--flows", str(ROOT / "flows"), "demo-data", "--runs", "30"])
    assert result.exit_code == 0, result.output
    conn = open_readonly(db).conn
    people = {
        row[0]: row[1:] for row in conn.execute("SELECT id, name, tz, fetched_at, deactivated, is_bot FROM people")
    }
    taking_part = {row[0] for row in conn.execute(TAKING_PART)}
    assert len(taking_part) >= 8 and set(people) == taking_part
    zones = {f"{channel}:{name}": zone for channel, team in TEAMS.items() for name, zone in team.items()}
    now = datetime.now(UTC)
    for pid, (name, tz, fetched_at, deactivated, is_bot) in people.items():
        assert (name, tz, deactivated, is_bot) == (pid.split(":", 1)[1], zones[pid], 0, 0), pid
        assert now - timedelta(weeks=14) < datetime.fromisoformat(fetched_at) <= now
    written = set(conn.execute("SELECT DISTINCT actor_id, actor_name FROM messages WHERE direction = 'in'"))
    assert written and all(people[pid][0] == name for pid, name in written)  # the name they write under
    joined = conn.execute(
        "SELECT count(*), count(p.id), count(DISTINCT p.tz) FROM answers a LEFT JOIN people p ON p.id = a.actor_id"
    ).fetchone()
    assert joined[0] == joined[1] > 100 and joined[2] >= 8  # every answer has its person, in their zone
