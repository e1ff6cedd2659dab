"""The decision ledger: decisions, their actions and reviews, written when a run completes (an
action handed over: :mod:`bot.store.handover`)."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from bot import texts
from bot.store import handover, iso
from bot.store.runs import DECISION_CHAIN, RunRow

OUTCOME_STATUS = {"keep": "kept", "change": "changed", "drop": "dropped"}
REVIEW_HOUR = time(9, 0)


def write_completion(
    conn: sqlite3.Connection, run: RunRow, record: dict[str, Any], now: datetime, tz: ZoneInfo
) -> int | None:
    """Write the record of a completed run; return the decision id it created, if any. ``tz`` is
    the facilitator's zone: a review job starts at ``REVIEW_HOUR`` on their calendar's date."""
    if record.get("handover") is not None:  # 'give A12 @person': no decision, an action changes hands
        handover.write(conn, run, record["handover"], now)
        return None
    stamp = iso(now)
    reviewed = record.get("reviewed_decision")
    if reviewed:
        _close_review(conn, run, record, int(reviewed), stamp)
    if reviewed and record.get("outcome") != "change":
        if record.get("outcome") == "keep" and record.get("review_at"):
            _schedule_reviews(conn, int(reviewed), run.id, record, tz, stamp)
            conn.execute("UPDATE decisions SET review_at = ? WHERE id = ?", (record["review_at"], int(reviewed)))
        return None
    if not record.get("decision") and not record.get("actions") and not record.get("review_at"):
        return None  # nothing decided (the summary says so); a review date alone keeps its review
    decided_at = _answered_at(conn, run.id, record.get("decision_steps") or []) or stamp
    cur = conn.execute(
        "INSERT INTO decisions (run_id, flow_id, title, text, decided_by, decided_at, review_at, status, revises,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)",
        (
            run.id,
            record["flow"],
            record["title"],
            record.get("decision"),
            record["facilitator"]["id"],
            decided_at,
            record.get("review_at"),
            reviewed,
            stamp,
        ),
    )
    decision_id = int(cur.lastrowid or 0)
    accepts = _yes_times(conn, run.id, record.get("accepts_step"))
    rows = []
    for i, a in enumerate(record.get("actions") or [], 1):
        at = accepts.get(i) if a["accepted"] else None
        by = (a.get("confirmed_by") or {}).get("id") if at else None  # a yes given in the owner's place
        owners_yes, others_yes = (None, at) if by else (at, None)
        rows.append((decision_id, i, a["what"], a["owner"], a["owner_name"], a["due"], owners_yes, by, others_yes))
    conn.executemany(
        "INSERT INTO actions (decision_id, item, what, owner_id, owner_name, due, accepted_at, confirmed_by,"
        " confirmed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    _schedule_reviews(conn, decision_id, run.id, record, tz, stamp)
    return decision_id


def _schedule_reviews(
    conn: sqlite3.Connection, decision_id: int, run_id: int, record: dict[str, Any], tz: ZoneInfo, stamp: str
) -> None:
    """The review date, and a job per flow to start: each ``schedule_flow`` on its own ``at`` date,
    and decision_review on the review date unless the schedule starts decision_review itself or a
    flow on that day (the review the summary promises: a follow-up on another date took its
    place, and the review never came); led by this run's
    facilitator, on whose calendar the date was given (a review held by another lead, the
    decision's facilitator gone, hands the next to them)."""
    review = record.get("review_at")
    if review:
        conn.execute("INSERT INTO reviews (decision_id, due_at) VALUES (?, ?)", (decision_id, review))
    planned = list(record.get("schedule") or [])
    if review and not any(
        entry["flow"] == "decision_review" or str(entry.get("at") or review)[:10] == str(review)[:10]
        for entry in planned
    ):
        planned.append({"flow": "decision_review", "at": review})  # the review the summary promises
    for entry in planned:
        day = entry.get("at") or review
        if not day:
            continue
        at = datetime.combine(date.fromisoformat(str(day)[:10]), REVIEW_HOUR, tzinfo=tz)
        conn.execute(
            "INSERT INTO jobs (run_id, kind, due_at, payload, created_at) VALUES (?, 'start_flow', ?, ?, ?)",
            (
                run_id,
                iso(at),
                json.dumps(
                    {
                        "flow": entry["flow"],
                        "decision_id": decision_id,
                        "facilitator": record["facilitator"],
                        # the date given, on whose clock: if their zone changes, its REVIEW_HOUR is theirs
                        "day": str(day)[:10],
                        "tz": getattr(tz, "key", None),
                    }
                ),
                stamp,
            ),
        )


def note_changed_meanwhile(conn: sqlite3.Connection, record: dict[str, Any]) -> bool:
    """Mark the review's actions dropped (``drop A12``) or reported done (``done A12``) in the
    ledger while it was under way, for its summary to say so whatever was answered about them (a
    no keeps the done and its time); True when there is one."""
    noted = False
    for entry in record.get("actions_done") or []:
        if entry.get("action_id") is None:
            continue
        found = conn.execute("SELECT status FROM actions WHERE id = ?", (entry["action_id"],)).fetchone()
        if found and found[0] == "dropped":
            entry["dropped"] = noted = True
        elif found and found[0] == "done" and entry.get("done") is not True:
            entry["reported_done"] = noted = True
    return noted


def _close_review(conn: sqlite3.Connection, run: RunRow, record: dict[str, Any], decision_id: int, stamp: str) -> None:
    outcome = OUTCOME_STATUS.get(record.get("outcome") or "", "kept")
    _drop_planned_reviews(conn, run, decision_id, stamp)
    conn.execute("UPDATE decisions SET status = ?, updated_at = ? WHERE id = ?", (outcome, stamp, decision_id))
    conn.execute(
        "UPDATE reviews SET held_at = ?, outcome = ?, run_id = ? WHERE id = ("
        " SELECT id FROM reviews WHERE decision_id = ? AND held_at IS NULL ORDER BY due_at LIMIT 1)",
        (stamp, outcome, run.id, decision_id),
    )
    said_done = _yes_times(conn, run.id, record.get("actions_done_step"))  # reported done then, not at the end
    for item, entry in enumerate(record.get("actions_done") or [], 1):
        if entry.get("action_id") is None or entry.get("done") is None:
            continue
        if entry["done"]:
            by = (entry.get("confirmed_by") or {}).get("id")  # said in the owner's place
            conn.execute(  # an action dropped meanwhile ('drop A12') stays dropped
                "UPDATE actions SET status = 'done', done_at = coalesce(done_at, ?),"
                " done_confirmed_by = CASE WHEN done_at IS NULL THEN ? ELSE done_confirmed_by END"
                " WHERE id = ? AND status != 'dropped'",
                (said_done.get(item, stamp), by, entry["action_id"]),
            )
        elif outcome == "dropped":
            conn.execute(
                "UPDATE actions SET status = 'dropped' WHERE id = ? AND status = 'open'", (entry["action_id"],)
            )


def _drop_planned_reviews(conn: sqlite3.Connection, run: RunRow, decision_id: int, stamp: str) -> None:
    """The decision's reviews of this run's flow still to start (one held by hand before its date
    replaces the scheduled one): what this review decided (a next date, or none) is the plan now."""
    conn.execute(
        "UPDATE jobs SET done_at = ?, outcome = ? WHERE kind = 'start_flow' AND done_at IS NULL"
        " AND json_extract(payload, '$.decision_id') = ? AND json_extract(payload, '$.flow') = ?",
        (stamp, texts.job_review_held(run.id), decision_id, run.flow_id),
    )


def review_under_way(conn: sqlite3.Connection, decision_id: int, flow_id: str) -> int | None:
    """The open run of ``flow_id`` reviewing decision ``decision_id`` (one started by hand
    before its date), if any: a review job of that date starts no second one. A stalled one is
    open too (a late answer resumes it): before, its date started a second review beside it."""
    row = conn.execute(
        "SELECT id FROM runs WHERE status IN ('active', 'stalled') AND flow_id = ?"
        " AND json_extract(context, '$.trigger.decision_id') = ? ORDER BY id LIMIT 1",
        (flow_id, decision_id),
    ).fetchone()
    return int(row[0]) if row else None


def _answered_at(conn: sqlite3.Connection, run_id: int, steps: list[str]) -> str | None:
    """When the decision was made: the latest of the last revisions of the steps it is made of."""
    if not steps:
        return None
    row = conn.execute(
        "SELECT max(at) FROM answers a WHERE run_id = ? AND item IS NULL AND step IN"
        f" ({', '.join('?' * len(steps))}) AND revision = (SELECT max(revision) FROM answers b"
        " WHERE b.run_id = a.run_id AND b.step = a.step AND b.item IS NULL)",
        (run_id, *steps),
    ).fetchone()
    return row[0] if row else None


def _yes_times(conn: sqlite3.Connection, run_id: int, step: str | None) -> dict[int, str]:
    """When each item (1-based) of a per-owner yes/no step was last answered yes, from the
    answers of the run: an action accepted, or reported done at a review."""
    rows = conn.execute(
        "SELECT item, at FROM answers WHERE run_id = ? AND step = ? AND value = 'true' AND item IS NOT NULL"
        " ORDER BY id",
        (run_id, step),
    ).fetchall()
    return {int(item): at for item, at in rows}


def decision_context(conn: sqlite3.Connection, decision_id: int) -> dict[str, Any] | None:
    """What a review flow's trigger carries: the decision, its actions still open (with those of
    the decisions it revises: a change at a review leaves them to the new decision) and who to ask."""
    row = conn.execute(
        "SELECT d.id, d.title, d.text, d.decided_by, d.review_at, r.facilitator_id, r.context"
        " FROM decisions d JOIN runs r ON r.id = d.run_id WHERE d.id = ?",
        (decision_id,),
    ).fetchone()
    if row is None:
        return None
    actions = conn.execute(  # a changed decision's actions still open go on with the new one
        f"{DECISION_CHAIN} SELECT a.id, a.item, a.what, a.owner_id, a.owner_name, a.due, a.status FROM chain c"
        " JOIN actions a ON a.decision_id = c.id WHERE a.status = 'open' ORDER BY a.id",
        (decision_id,),
    ).fetchall()
    roles = json.loads(row[6]).get("roles", {})
    return {
        "decision_id": row[0],
        "title": row[1],
        "decision": row[2],
        "review_at": row[4],
        "facilitator": roles.get("facilitator"),
        "participants": roles.get("participants", []),
        "actions": [
            {"id": a[0], "item": a[1], "what": a[2], "owner": {"id": a[3], "name": a[4]}, "due": a[5], "status": a[6]}
            for a in actions
        ],
    }
