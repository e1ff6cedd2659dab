"""Measures of waiting, for the report: answer time per person and per step, and the wait before
each stall per step (definitions in :mod:`bot.analytics.sql_waits`, the views state the same).

Answer times are read from ``analytics_prompts`` (each prompt's first time and its answer's, kept
by triggers), so the report reads no message nor answer; stalls from their own index.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from typing import Any

from bot.analytics.measures import SCOPE, Params, Row, median, p90, ratio
from bot.analytics.sql_waits import STALL_WAITS
from bot.model import is_placeholder
from bot.store import dicts

#: Per person, flow and step: prompts, and the milliseconds to each answer, as text.
PROMPTS = f"""SELECT person, flow_id, step, count(*), group_concat(answer_ms)
FROM analytics_prompts f WHERE {SCOPE} GROUP BY 1, 2, 3"""

_HOUR = 3_600_000


def answer_times(conn: sqlite3.Connection, params: Params) -> dict[str, list[Row]]:
    """Answer time, ``by_person`` and ``by_step`` (flow and step): per distinct person, run and
    step prompted, the first answer the person gave to that step of that run at or after the first
    prompt to them there - that prompt, in hours; ``prompts``, ``answered`` (those with an answer
    time), ``share_answered``, and the median and p90 of the answer times."""
    counts: dict[tuple[str, ...], int] = defaultdict(int)
    times: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for person, flow, step, n, ms in conn.execute(PROMPTS, params.bind()):
        if is_placeholder(person):
            continue
        values = list(map(int, ms.split(","))) if ms else []
        for key in ((person,), (flow, step)):
            counts[key] += n
            times[key].extend(values)
    out: dict[str, list[Row]] = {"by_person": [], "by_step": []}
    for group in sorted(counts):
        ordered = sorted(times[group])
        names: tuple[str, ...] = ("person",) if len(group) == 1 else ("flow_id", "step")
        out["by_person" if len(group) == 1 else "by_step"].append(
            {
                **dict(zip(names, group, strict=True)),
                "prompts": counts[group],
                "answered": len(ordered),
                "share_answered": ratio(len(ordered), counts[group]),
                "median_hours_to_answer": _hours(median(ordered)),
                "p90_hours_to_answer": _hours(p90(ordered)),
            }
        )
    return out


def _hours(ms: float | None) -> float | None:
    return None if ms is None else ms / _HOUR


def stall_waits(conn: sqlite3.Connection, params: Params) -> list[Row]:
    """Per flow and step a run stalled at: ``stalls``, the ``runs`` that stalled there, those
    ``resumed`` after, and the median, p90 and longest hours each had waited since its last answer
    taken or step moved. The stalls are few and read from their own index."""
    return dicts(conn.execute(STALL_WAITS, params.bind()))


def sections(conn: sqlite3.Connection, params: Params) -> dict[str, Any]:
    """The report's sections of waiting."""
    answers = answer_times(conn, params)
    return {
        "answer_time_by_person": answers["by_person"],
        "answer_time_by_step": answers["by_step"],
        "stall_waits": stall_waits(conn, params),
    }
