"""A SQL metric check runs as a job every few minutes, each evaluation a ``jobs`` row: kept for
good, a server up for a year would hold a hundred thousand rows a check for nothing. The
evaluation itself is the analysts' record (``check_evaluations``, kept); its done job is forgotten
after a week by the housekeeping's upkeep, as delivery ids are. Runs' timers, pending jobs and
the digests' stay."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.store import iso, migrations, open_db, utc_now


def test_done_check_jobs_older_than_a_week_are_forgotten_and_everything_else_is_kept(tmp_path: Path) -> None:
    db = open_db(tmp_path / "checks.db")
    now = utc_now()
    conn = db.conn
    add = "INSERT INTO jobs (run_id, kind, due_at, payload, created_at, claimed_at, done_at, outcome) VALUES (?, ?, ?, '{}', ?, ?, ?, ?)"

    def job(kind: str, done_days_ago: float | None) -> int:
        at = iso(now - timedelta(days=done_days_ago or 0))
        done = None if done_days_ago is None else at
        return int(conn.execute(add, (None, kind, at, at, done, done, "done" if done else None)).lastrowid or 0)

    with conn:
        old_checks = [job("check", 8 + n / 10) for n in range(5)]
        kept = [job("check", 6), job("check", None), job("digest", 30)]
        conn.execute(
            "INSERT INTO check_evaluations (check_name, at, value, threshold, direction) VALUES ('p99', ?, 1, 2, 'above')",
            (iso(now - timedelta(days=8)),),
        )
    assert migrations.upkeep_due(db)
    migrations.catch_up(db)
    left = [row[0] for row in conn.execute("SELECT id FROM jobs ORDER BY id")]
    assert not set(old_checks) & set(left)
    assert set(kept) <= set(left)
    assert conn.execute("SELECT count(*) FROM check_evaluations").fetchone() == (1,)
    assert not migrations.upkeep_due(db)  # nothing more to do: the housekeeping takes no write lock for it
