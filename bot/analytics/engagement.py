"""Measures of how people and triggers take part: revisions, participation, trigger quality.

Scope and wording as in :mod:`bot.analytics.measures`; read from the summary tables.
"""

from __future__ import annotations

import sqlite3

from bot.analytics.measures import SCOPE, Params, Row, ratio
from bot.analytics.sql import PARTICIPATION_VIEW
from bot.model import BOTS_OWN_KINDS
from bot.store import dicts

REVISIONS = f"""SELECT flow_id, step, field, sum(slots) AS slots, sum(revised_slots) AS revised_slots,
       sum(revisions) AS revisions
FROM analytics_revisions f WHERE {SCOPE} GROUP BY flow_id, step, field ORDER BY flow_id, step, field"""


def revisions(conn: sqlite3.Connection, params: Params) -> list[Row]:
    """Revisions per flow, step and field (``''`` for a step without fields): ``slots`` = answers
    with ``revision = 1`` (one per place an answer goes: run, step, item, field);
    ``revised_slots`` = answers with ``revision = 2`` (places answered again: ``back``, a
    correction, a new owner's confirmation); ``revisions`` = answers with ``revision > 1``;
    ``share_revised`` = revised slots / slots. Decision text, owners and dates are the steps and
    fields that hold them (``decision``/``plan``, ``actions.owner``, ``actions.due``)."""
    rows = []
    for flow, step, fld, slots, revised, count in conn.execute(REVISIONS, params.bind()):
        rows.append(
            {
                "flow_id": flow,
                "step": step,
                "field": fld,
                "slots": slots,
                "revised_slots": revised,
                "revisions": count,
                "share_revised": ratio(revised, slots),
            }
        )
    return rows


def participation(conn: sqlite3.Connection, params: Params) -> list[Row]:
    """Participation per person (their ``actor_id``): ``inbound_messages`` they sent;
    ``answers`` they gave (every revision counts); ``prompts_addressed`` = distinct (run, step)
    where a prompt was sent to them; ``prompts_answered`` = those where they answered that step of
    that run; ``response_rate`` = answered / addressed; ``runs_facilitated``; ``actions_owned``;
    ``name``: the one ``people`` has, else the greatest seen (sql_parts.person_name). The
    placeholder facilitator of a triggered run that named none (until someone claims it) is no
    person: left out. The view's SQL (sql.PARTICIPATION_VIEW), in scope."""
    return dicts(conn.execute(PARTICIPATION_VIEW, params.bind()))


#: Without a flow filter: the per-event counters.
EVENTS = """SELECT source, kind, count(*), sum(runs > 0), sum(decided_runs > 0), sum(runs), sum(repeat_count),
       sum(CASE WHEN runs > 0 THEN repeat_count ELSE 0 END)
FROM analytics_events WHERE day >= :since AND day < :until GROUP BY source, kind ORDER BY source, kind"""

#: With a flow filter: the events with a run of that flow.
TRIGGERS = """SELECT e.source, e.kind, count(*), sum(p.runs > 0), sum(coalesce(p.decided, 0)),
       sum(coalesce(p.runs, 0)), sum(e.repeat_count), sum(CASE WHEN p.runs > 0 THEN e.repeat_count ELSE 0 END)
FROM events e LEFT JOIN (
    SELECT event_id, count(*) AS runs, count(decided_at) > 0 AS decided FROM analytics_runs
    WHERE event_id IS NOT NULL AND (:flow IS NULL OR flow_id = :flow) GROUP BY event_id) p ON p.event_id = e.id
WHERE e.first_seen_at >= :since AND e.first_seen_at < :until AND (:flow IS NULL OR p.runs > 0)
GROUP BY e.source, e.kind ORDER BY e.source, e.kind"""


def trigger_quality(conn: sqlite3.Connection, params: Params) -> list[Row]:
    """Trigger quality per ``source`` and ``kind`` of event, and ``(all)`` over events that are
    not reviews nor handovers (:data:`BOTS_OWN_KINDS`): ``events`` first seen in the window (with ``flow``: those with a run of it);
    ``with_run``; ``decided`` = events whose run wrote a decision; ``share_decided`` = decided /
    events; ``runs``; ``repeats`` = the sum of ``events.repeat_count``; ``repeats_per_run`` =
    the repeats of events with a run / their runs."""
    rows: list[Row] = []
    total = [0] * 6
    query = TRIGGERS if params.flow else EVENTS
    for source, kind, events, with_run, decided, runs, repeats, run_repeats in conn.execute(query, params.bind()):
        rows.append(_trigger_row(source, kind, [events, with_run, decided, runs, repeats, run_repeats]))
        if kind not in BOTS_OWN_KINDS:
            total = [a + b for a, b in zip(total, [events, with_run, decided, runs, repeats, run_repeats], strict=True)]
    if any(r["kind"] not in BOTS_OWN_KINDS for r in rows):
        rows.append(_trigger_row("(all)", "(not review)", total))
    return rows


def _trigger_row(source: str, kind: str, c: list[int]) -> Row:
    events, with_run, decided, runs, repeats, run_repeats = c
    return {
        "source": source,
        "kind": kind,
        "events": events,
        "with_run": with_run,
        "decided": decided,
        "share_decided": ratio(decided, events),
        "runs": runs,
        "repeats": repeats,
        "repeats_per_run": ratio(run_repeats, runs),
    }
