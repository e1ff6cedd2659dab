"""The standard measures of the decision process, computed for the report.

Definitions (the views of :mod:`bot.analytics.sql` state the same in SQL over the raw tables;
here they are computed from the summary tables of :mod:`bot.analytics.summary`, which is what
keeps a report on a large ledger fast; the tests check both agree):

- *Scope*: the runs whose trigger time (``events.first_seen_at``, or ``runs.started_at`` for a
  run without an event) falls on a UTC day in ``[since, until]`` and, with ``flow``, of that
  flow. Decisions, actions, reviews, answers and messages count with the run that wrote them.
- *Deadline* of a local date ``D`` (due dates have no zone): ``D + 1 day 12:00 UTC``, when ``D``
  is over everywhere on Earth. ``as_of`` (default: now) is when "due" and "idle" are judged.
- *Median*: the middle value, or the mean of the two middle ones; *p90*: the value at rank
  ``ceil(0.9 n)`` in ascending order. Both over the values that exist.

Each function's docstring gives its measure exactly.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from bot.analytics.sql import OWNER_ID_NAME
from bot.analytics.sql_parts import SUMMARY_SCOPE as SCOPE
from bot.analytics.sql_parts import conversation_name
from bot.store import dicts, iso

Row = dict[str, Any]


@dataclass(frozen=True)
class Params:
    """What a report covers. ``until`` is inclusive (a whole UTC day)."""

    since: date | None = None
    until: date | None = None
    flow: str | None = None
    as_of: datetime = field(default_factory=lambda: datetime.now(UTC))
    grace_days: int = 2
    idle_days: int = 7

    def bind(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat() if self.since else "",
            # the day after ``until``; 9999-12-31, the last day there is, covers every run as no date does
            "until": (self.until + timedelta(days=1)).isoformat() if self.until and self.until < date.max else "9999",
            "flow": self.flow,
            "as_of": iso(self.as_of),
            "grace_days": self.grace_days,
            "idle_days": self.idle_days,
        }

    def describe(self) -> dict[str, Any]:
        out = self.bind()
        out["since"], out["until"] = (d.isoformat() if d else None for d in (self.since, self.until))
        return out


def median(values: Sequence[float]) -> float | None:
    """The middle value of ``values``, or the mean of the two middle ones; None when empty."""
    return _median(sorted(values))


def p90(values: Sequence[float]) -> float | None:
    """Nearest rank: the value at rank ceil(0.9 n) of ``values`` in ascending order."""
    return _p90(sorted(values))


def _median(ordered: list[Any]) -> float | None:
    n = len(ordered)
    return float(ordered[(n - 1) // 2] + ordered[n // 2]) / 2 if n else None


def _p90(ordered: list[Any]) -> float | None:
    return float(ordered[(9 * len(ordered) + 9) // 10 - 1]) if ordered else None


@lru_cache(maxsize=4096)
def iso_week(day: str) -> str:
    """``2026-11-28`` -> ``2026-W48``."""
    year, week, _ = date.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02d}"


def ratio(part: int | None, whole: int | None) -> float | None:
    return (part or 0) / whole if whole else None


# --- runs: totals, latency, drop-off ------------------------------------------------------------

#: Per flow, source, trigger kind, platform (``channel``) and trigger day: the runs and, as text, the
#: milliseconds from the trigger to the first answer and to the decision (text moves 100,000 values
#: at C speed).
LATENCY = f"""SELECT flow_id, source, kind, channel, day, count(*), group_concat(first_answer_ms),
       group_concat(decided_ms)
FROM analytics_runs f WHERE {SCOPE} GROUP BY 1, 2, 3, 4, 5"""

#: The same per conversation (grouped with the rest, it made a group of nearly every run).
LATENCY_BY_CONVERSATION = f"""SELECT conversation, {conversation_name("f.conversation")}, count(*), group_concat(first_answer_ms),
       group_concat(decided_ms)
FROM analytics_runs f WHERE {SCOPE} GROUP BY conversation"""

#: The latency's dimensions, in the order the report and the view give them; ``channel`` holds the
#: platform, as ``platform`` does (kept for the queries written before).
DIMENSIONS = ("all", "flow", "source", "kind", "channel", "week", "platform", "conversation")

#: Runs per flow, reached steps, status, stop step and whether they dropped off.
#: Runs per flow, reached steps, status, state and last transition's source; how many idle.
PATHS = f"""SELECT flow_id, reached, status, state, last_source, count(*),
       count(CASE WHEN status = 'active' AND julianday(:as_of)
                       - julianday((SELECT updated_at FROM runs WHERE id = f.run_id)) > :idle_days THEN 1 END)
FROM analytics_runs f WHERE {SCOPE} GROUP BY 1, 2, 3, 4, 5"""


@dataclass
class RunFacts:
    totals: Row
    latency: list[Row]
    dropoff: list[Row]


def runs(conn: sqlite3.Connection, params: Params) -> RunFacts:
    """The runs in scope: totals by status, latency and drop-off.

    Latency, per ``dimension`` (``all``, ``flow``, ``source``, ``kind`` of the trigger, ``channel``,
    ``week``, ``platform``, ``conversation``) and ``key``:
    hours to first answer = the first ``answers.at`` of the run - its trigger time; hours to
    decision = ``decisions.decided_at`` (the latest answer, as last revised, of the steps the
    flow's ``record.decision`` uses) - the trigger time; ``runs``, ``answered`` and ``decided`` count the runs of the group and those
    that have each time; ``week`` is the ISO week of the trigger time (UTC); ``platform`` (and
    ``channel``, as before) is slack, teams, console or rasa; ``conversation`` is where the run lives
    now, without its thread (``slack:C0OPS``; a moved run: its new channel), and its rows give its
    ``conversation_name`` as its platform last gave it (NULL when it never did, and in the other
    dimensions' rows).

    Drop-off, per flow and step: a run *reaches* a step when a transition targets it; its *stop
    step* is its state, or the source of its last transition when it is cancelled (or finished
    while still waiting for confirmations); it *dropped off* when cancelled or stalled, or
    active and untouched (``runs.updated_at``) for more than ``idle_days`` before ``as_of``.
    ``dropoff_rate`` = runs that dropped off at the step / runs that reached it; ``waiting`` =
    active runs at the step that are not idle yet.
    """
    bind = params.bind()
    counts: dict[tuple[str, str], int] = defaultdict(int)
    times: dict[tuple[str, str], tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for flow, source, kind, channel, day, n, fa, dec in conn.execute(LATENCY, bind):
        keys = (("all", ""), ("flow", flow), ("source", source), ("kind", kind), ("channel", channel))
        _count((*keys, ("week", iso_week(day)), ("platform", channel)), n, fa, dec, counts, times)
    named: dict[tuple[str, str], str | None] = {}
    for conversation, name, n, fa, dec in conn.execute(LATENCY_BY_CONVERSATION, bind):
        _count((("conversation", conversation),), n, fa, dec, counts, times)
        named[("conversation", conversation)] = name
    latency = [
        {**_latency_row(key, counts[key], *times[key]), "conversation_name": named.get(key)}
        for key in sorted(counts, key=_dimension_order)
    ]
    totals, dropoff = paths(conn, params)
    return RunFacts(totals, latency, dropoff)


def paths(conn: sqlite3.Connection, params: Params) -> tuple[Row, list[Row]]:
    """The runs in scope by status (totals), and the drop-off per flow and step (as :func:`runs`
    defines it): what ``flows diagram --counts`` needs of the report, without its latency."""
    bind = params.bind()
    totals: dict[str, int] = dict.fromkeys(("runs", "completed", "active", "cancelled", "stalled"), 0)
    reached: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for flow, steps, status, state, last_source, n, idle in conn.execute(PATHS, bind):
        totals["runs"] += n
        totals[status] = totals.get(status, 0) + n
        stop = None if status == "completed" else last_source if state in ("completed", "cancelled") else state
        dropped = n if status in ("cancelled", "stalled") else idle if status == "active" else 0
        for step in steps.split():
            cell = reached[(flow, step)]
            cell[0] += n
            if step == stop:
                cell[1] += dropped
                cell[2] += n - idle if status == "active" else 0
    dropoff = [
        {"flow_id": flow, "step": step, "reached": n, "dropped_off": d, "dropoff_rate": d / n, "waiting": w}
        for (flow, step), (n, d, w) in reached.items()
    ]
    return totals, dropoff


def _count(
    keys: Sequence[tuple[str, str]],
    n: int,
    fa: str | None,
    dec: str | None,
    counts: dict[tuple[str, str], int],
    times: dict[tuple[str, str], tuple[list[int], list[int]]],
) -> None:
    """Add ``n`` runs and their milliseconds to first answer and to decision (``fa``, ``dec``: as
    text, comma-separated) to each of ``keys``."""
    fa_ms = list(map(int, fa.split(","))) if fa else []
    dec_ms = list(map(int, dec.split(","))) if dec else []
    for key in keys:
        counts[key] += n
        times[key][0].extend(fa_ms)
        times[key][1].extend(dec_ms)


def _dimension_order(key: tuple[str, str]) -> tuple[int, str]:
    return (DIMENSIONS.index(key[0]), key[1])


def _latency_row(key: tuple[str, str], n: int, fa: list[int], dec: list[int]) -> Row:
    hours = 3_600_000
    fa.sort()
    dec.sort()
    return {
        "dimension": key[0],
        "key": key[1],
        "runs": n,
        "answered": len(fa),
        "median_hours_to_first_answer": _scaled(_median(fa), hours),
        "p90_hours_to_first_answer": _scaled(_p90(fa), hours),
        "decided": len(dec),
        "median_hours_to_decision": _scaled(_median(dec), hours),
        "p90_hours_to_decision": _scaled(_p90(dec), hours),
    }


def _scaled(value: float | None, unit: int) -> float | None:
    return None if value is None else value / unit


# --- actions and reviews -----------------------------------------------------------------------

#: Per owner and flow: counts, and the days late of the actions done late, as text.
ACTIONS = f"""SELECT owner_id, flow_id, {OWNER_ID_NAME} AS owner_name, count(*) AS actions,
       sum(deadline_jd IS NULL) AS no_due,
       sum(status != 'dropped' AND (julianday(:as_of) >= deadline_jd OR (status = 'done' AND deadline_jd IS NOT NULL)))
           AS due,
       sum(status = 'done' AND done_jd < deadline_jd) AS done_on_time,
       sum(status = 'done' AND done_jd >= deadline_jd) AS done_late,
       sum(status = 'open' AND julianday(:as_of) >= deadline_jd) AS overdue_open,
       sum(status = 'dropped') AS dropped, group_concat(days_late) AS late
FROM analytics_actions f WHERE {SCOPE} GROUP BY owner_id, flow_id"""

#: Each owner's name over all their actions in scope (sql.OWNER_ID_NAME, as ``follow_through_by_owner``).
OWNERS = f"""SELECT owner_id, {OWNER_ID_NAME} FROM analytics_actions f WHERE {SCOPE} GROUP BY owner_id"""

_COUNTS = ("actions", "no_due", "due", "done_on_time", "done_late", "overdue_open", "dropped")


def follow_through(conn: sqlite3.Connection, params: Params) -> dict[str, list[Row]]:
    """Action follow-through, ``by_owner`` and ``by_flow``:

    - an action is *due* when it has a due date, is not dropped, and its deadline has passed as of
      ``as_of`` or it is done already; *done on time*: done, ``done_at`` before the deadline;
    - ``follow_through`` = done on time / due (None when nothing is due);
    - ``days_late`` of an action done after its deadline = the UTC date of ``done_at`` - ``due``
      in whole days (at least 1); ``median_days_late`` over those actions;
    - ``overdue_open``: open past the deadline; ``share_dropped`` = dropped / all actions;
      ``no_due``: actions without a due date (they count only in ``share_dropped``);
    - ``owner_name``: the one ``people`` has, else the greatest recorded with their actions in scope,
      else their id (sql.OWNER_ID_NAME: the view's).
    """
    bind = params.bind()
    owners = dict(conn.execute(OWNERS, bind).fetchall())
    groups: dict[str, dict[Any, Row]] = {"owner_id": {}, "flow_id": {}}
    late: dict[tuple[str, Any], list[int]] = defaultdict(list)
    for row in dicts(conn.execute(ACTIONS, bind)):
        days = list(map(int, row["late"].split(","))) if row["late"] else []
        late[("owner_id", row["owner_id"])].extend(days)
        late[("flow_id", row["flow_id"])].extend(days)
        for key in groups:
            names = {"owner_name": owners[row["owner_id"]]} if key == "owner_id" else {}
            acc = groups[key].setdefault(row[key], {key: row[key], **names, **dict.fromkeys(_COUNTS, 0)})
            for c in _COUNTS:
                acc[c] += row[c] or 0
    out: dict[str, list[Row]] = {}
    for key, name in (("owner_id", "by_owner"), ("flow_id", "by_flow")):
        rows = []
        for value, acc in sorted(groups[key].items(), key=lambda kv: str(kv[0])):
            acc["follow_through"] = ratio(acc["done_on_time"], acc["due"])
            acc["median_days_late"] = median(late[(key, value)])
            acc["share_dropped"] = ratio(acc["dropped"], acc["actions"])
            rows.append(acc)
        out[name] = rows
    return out


REVIEWS = f"""SELECT flow_id, count(CASE WHEN held_jd < due_jd + :grace_days THEN 1 END),
       count(CASE WHEN held_jd >= due_jd + :grace_days THEN 1 END),
       count(CASE WHEN held_jd IS NULL AND julianday(:as_of) >= due_jd + :grace_days THEN 1 END),
       count(CASE WHEN held_jd IS NULL AND julianday(:as_of) < due_jd + :grace_days THEN 1 END)
FROM analytics_reviews f WHERE {SCOPE} GROUP BY flow_id"""


def review_adherence(conn: sqlite3.Connection, params: Params) -> list[Row]:
    """Review adherence per flow of the reviewed decision, and ``(all)``: a review's deadline is
    the deadline of ``reviews.due_at + grace_days``; *held on time*: ``held_at`` before it;
    *held late*: after it; *missed*: not held and the deadline has passed as of ``as_of``;
    *pending*: neither. ``due`` = every review but the pending ones; ``adherence`` = held on
    time / due."""
    states = ("held_on_time", "held_late", "missed", "pending")
    acc: dict[str, dict[str, int]] = {}
    for flow, *counts in conn.execute(REVIEWS, params.bind()):
        for key in (flow, "(all)"):
            cell = acc.setdefault(key, dict.fromkeys(states, 0))
            for state, n in zip(states, counts, strict=True):
                cell[state] += n
    rows = []
    for flow in sorted(acc, key=lambda k: (k == "(all)", k)):
        c = acc[flow]
        due = c["held_on_time"] + c["held_late"] + c["missed"]
        rows.append({"flow_id": flow, "reviews": due + c["pending"], "due": due, **c,
                     "adherence": ratio(c["held_on_time"], due)})  # fmt: skip
    return rows
