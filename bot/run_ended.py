"""``status N`` of a run that has ended: when and how (completed, cancelled and by whom), and what
it recorded: the decision, each action with its code, owner, due date and state, the review."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

from bot import texts
from bot.store import transcript
from bot.texts._common import moment


def ended_status(conn: sqlite3.Connection, detail: Mapping[str, Any], tz: tzinfo, now: datetime) -> str:
    """``detail`` (:func:`bot.store.transcript.run_detail`) of a finished run, for someone on ``tz``."""
    run = detail["run"]
    when = moment(run["completed_at"] or run["updated_at"], tz)
    by = _ended_by(conn, detail) if run["status"] == "cancelled" else None
    head = texts.run_ended_status(run["id"], run["flow"], run["title"], run["status"], when, by)
    if run["status"] != "completed":
        return head
    today = now.astimezone(tz).date().isoformat()
    lines: list[str] = []
    for decision in detail["decisions"]:
        lines += _recorded(decision, today)
    return texts.status_record(head, detail["decisions"], lines)


def came_to(conn: sqlite3.Connection, run_id: int) -> str:
    """What finished run ``run_id`` came to, as :func:`ended_status` says it: ``completed``,
    ``cancelled by Alice`` (``texts.ended_how``)."""
    detail = transcript.run_detail(conn, run_id)
    if detail is None:
        return texts.ended_how("ended", None)
    run = detail["run"]
    return texts.ended_how(run["status"], _ended_by(conn, detail) if run["status"] == "cancelled" else None)


def _recorded(decision: Mapping[str, Any], today: str) -> list[str]:
    lines = [texts.status_decided(decision["text"])]
    for act in decision["actions"]:
        overdue = act["status"] == "open" and bool(act["due"]) and str(act["due"]) < today
        lines.append(texts.status_action(act["id"], act["what"], act["owner_name"], act["due"], act["status"], overdue))
    for review in decision["reviews"]:
        lines.append(texts.status_review(review["due_at"], review["held_at"], review["outcome"]))
    return lines


def _ended_by(conn: sqlite3.Connection, detail: Mapping[str, Any]) -> str | None:
    """Who cancelled the run, by name: the person whose ``cancel`` ended it (as they spoke in it),
    the bot's operator (``decisionbot runs cancel``); None when the flow or the bot ended it."""
    cancels = [t for t in detail["transitions"] if t["target"] == "cancelled"]
    actor = cancels[-1]["actor_id"] if cancels else None
    if not actor:
        return None
    if actor == "cli:operator":
        return texts.cancelled_by_whom_operator()
    named = conn.execute(
        "SELECT actor_name FROM messages WHERE run_id = ? AND actor_id = ? AND actor_name IS NOT NULL LIMIT 1",
        (detail["run"]["id"], actor),
    ).fetchone()
    return str(named[0]) if named else None
