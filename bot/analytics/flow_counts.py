"""How many runs of one flow took each of its steps and moves: the numbers ``flows diagram
--counts`` writes on the flow's drawing, so drop-off shows where it happens.

A step's numbers are the report's drop-off (:func:`bot.analytics.measures.paths`: the runs that
reached it, those that dropped off there, those still waiting there); a move's number is how many
times runs took it (a run sent back and forward takes a move more than once); an end's number is
how many runs ended there. Runs are those the report's window and flow would take."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from bot.analytics import measures
from bot.analytics.measures import Params
from bot.analytics.sql_parts import SCOPE

#: Moves of runs in scope, by where from, where to and what moved them (``next``, ``back``,
#: ``cancel``; ``start`` from ''; ``stall`` and ``resume`` stay on a step).
MOVES = f"""WITH {SCOPE}
SELECT t.source, t.target, t.event, count(*) FROM transitions t JOIN scope s ON s.run_id = t.run_id
GROUP BY 1, 2, 3"""
#: Runs in scope that ended, by how.
ENDS = f"""WITH {SCOPE}
SELECT status, count(*) FROM scope WHERE status IN ('completed', 'cancelled') GROUP BY 1"""


@dataclass
class StepCounts:
    reached: int = 0
    dropped_off: int = 0
    waiting: int = 0


@dataclass
class FlowCounts:
    steps: dict[str, StepCounts] = field(default_factory=dict)
    moves: dict[tuple[str, str, str], int] = field(default_factory=dict)
    ends: dict[str, int] = field(default_factory=dict)

    def move(self, source: str, target: str, event: str) -> int:
        return self.moves.get((source, target, event.lower()), 0)


def flow_counts(conn: sqlite3.Connection, params: Params) -> FlowCounts:
    """The counts of ``params.flow``'s runs in ``params``' window (read only)."""
    counts = FlowCounts()
    for row in measures.paths(conn, params)[1]:
        if row["flow_id"] == params.flow:
            counts.steps[row["step"]] = StepCounts(row["reached"], row["dropped_off"], row["waiting"])
    bind = params.bind()
    counts.moves = {(source, target, event): n for source, target, event, n in conn.execute(MOVES, bind)}
    counts.ends = dict(conn.execute(ENDS, bind).fetchall())
    return counts
