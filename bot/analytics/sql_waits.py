"""The SQL of the measures of waiting: how long each person takes to answer a question put to them,
and how long a run waited before it stalled. Parameters and defaults as in :mod:`bot.analytics.sql`.

- *Answer time* of a question: per person, run and step they were prompted at (the distinct
  ``(person, run, step)`` that ``participation`` counts as prompts addressed), the first answer they
  gave to that step of that run at or after the first prompt to them there (``answers.at``) - that
  first prompt (``messages.created_at``: when the bot asked, reminders being later prompts); NULL
  while unanswered. The placeholder facilitator of a triggered run naming none is no person.
- *Wait before a stall*: a run stalls when nothing moved it for its flow's ``expire_after``
  (``transitions.event = 'stall'``, at its step: ``source``); it had been waiting since its last
  answer taken or step moved (the latest ``answers.at`` or ``transitions.at``, a resume included,
  before the stall). An answer that did not fit, a ``help`` or a reminder moves nothing; nor does a
  Slack channel lost or back, a thread moved, a question asked again, or a lead who left the company
  and the one who took the run over (``lead_left``, ``take``: at a reminder, with no answer).
"""

from __future__ import annotations

from bot.analytics.sql_parts import SCOPE, percentiles, question

#: Not the placeholder facilitator (``slack:facilitator``): as :data:`bot.analytics.sql_parts.A_PERSON`.
_PERSON = "substr({p}, instr({p}, ':') + 1) != 'facilitator'"

ANSWER_TIMES = f"""WITH {SCOPE},
asked AS (SELECT m.actor_id AS person, m.run_id, coalesce(m.step, '') AS step, min(m.created_at) AS asked_at
          FROM messages m JOIN scope s ON s.run_id = m.run_id
          WHERE {question("m")} AND m.actor_id IS NOT NULL
          GROUP BY m.actor_id, m.run_id, coalesce(m.step, '')),
answered AS (SELECT q.*, (SELECT min(a.at) FROM answers a WHERE a.run_id = q.run_id AND a.step = q.step
                              AND a.actor_id = q.person AND a.at >= q.asked_at) AS answered_at
             FROM asked q)
SELECT q.person, s.flow_id, q.run_id, q.step, q.asked_at, q.answered_at,
       round((julianday(q.answered_at) - julianday(q.asked_at)) * 86400000.0) / 3600000.0 AS hours_to_answer
FROM answered q JOIN scope s ON s.run_id = q.run_id
WHERE {_PERSON.format(p="q.person")}
ORDER BY q.person, q.run_id, q.step"""

#: ``answer_times`` from the summaries: ``analytics_prompts`` keeps each prompt's first time and
#: its answer's (and the milliseconds between: ``ms / 3600000.0`` is the definition's hours, to the bit).
ANSWER_TIMES_VIEW = f"""SELECT p.person, p.flow_id, p.run_id, p.step, p.asked_at, p.answered_at,
       p.answer_ms / 3600000.0 AS hours_to_answer
FROM analytics_prompts p
WHERE {_PERSON.format(p="p.person")}
ORDER BY p.person, p.run_id, p.step"""

#: The report's answer times read in order, per person, flow and step, within the scope, without
#: the runs (schema m013).
PROMPTS_INDEX = (
    "CREATE INDEX IF NOT EXISTS analytics_prompts_times ON analytics_prompts(person, flow_id, step, day, answer_ms)"
)

#: Milliseconds from a prompt's first time ``{asked}`` to its answer's ``{at}`` (``analytics_prompts.answer_ms``).
ANSWER_MS = "CAST(round((julianday({at}) - julianday({asked})) * 86400000.0) AS INTEGER)"

#: Each prompt's first time, its person's first answer at or after it and the milliseconds between,
#: counted from the ledger into ``analytics_prompts`` (the summaries' back-fill; schema m013).
PROMPT_TIMES = [
    """UPDATE analytics_prompts SET (flow_id, day) = (SELECT flow_id, day FROM analytics_runs
        WHERE run_id = analytics_prompts.run_id)""",
    f"""UPDATE analytics_prompts SET asked_at = (SELECT min(m.created_at) FROM messages m
        WHERE m.run_id = analytics_prompts.run_id AND {question("m")}
            AND m.actor_id = analytics_prompts.person AND coalesce(m.step, '') = analytics_prompts.step)""",
    """UPDATE analytics_prompts SET answered_at = (SELECT min(a.at) FROM answers a
        WHERE a.run_id = analytics_prompts.run_id AND a.step = analytics_prompts.step
            AND a.actor_id = analytics_prompts.person AND a.at >= analytics_prompts.asked_at)""",
    f"UPDATE analytics_prompts SET answer_ms = {ANSWER_MS.format(at='answered_at', asked='asked_at')}",
]


def _answer_time_by(rows: str, keys: tuple[str, ...]) -> str:
    on = " AND ".join(f"t.{k} = f.{k}" for k in keys)
    group = ", ".join(f"f.{k}" for k in keys)
    return f"""WITH facts AS ({rows}),
t AS ({percentiles("facts", "hours_to_answer", ", ".join(keys))})
SELECT {group}, count(*) AS prompts, count(f.answered_at) AS answered,
       CAST(count(f.answered_at) AS REAL) / count(*) AS share_answered,
       max(t.median) AS median_hours_to_answer, max(t.p90) AS p90_hours_to_answer
FROM facts f LEFT JOIN t ON {on}
GROUP BY {group} ORDER BY {group}"""


ANSWER_TIME_BY_PERSON = _answer_time_by(ANSWER_TIMES, ("person",))
ANSWER_TIME_BY_STEP = _answer_time_by(ANSWER_TIMES, ("flow_id", "step"))
ANSWER_TIME_BY_PERSON_VIEW = _answer_time_by(ANSWER_TIMES_VIEW, ("person",))
ANSWER_TIME_BY_STEP_VIEW = _answer_time_by(ANSWER_TIMES_VIEW, ("flow_id", "step"))

#: The stalls, and no other transition, in an index of their own (schema m013): the stall
#: measures read them and, per stall, its run's answers and transitions by ``run_id``.
TRANSITIONS_STALLS = "CREATE INDEX transitions_stalls ON transitions(run_id, id) WHERE event = 'stall'"

RUN_STALLS = f"""WITH {SCOPE},
stalls AS MATERIALIZED (SELECT t.id, t.run_id, t.source AS step, t.at AS stalled_at,
                  max(coalesce((SELECT max(a.at) FROM answers a WHERE a.run_id = t.run_id AND a.at <= t.at), ''),
                      coalesce((SELECT max(p.at) FROM transitions p
                                WHERE p.run_id = t.run_id AND p.id < t.id
                                  AND p.event NOT IN ('stall', 'channel_lost', 'channel_back', 'thread_moved',
                                                      'asked_again', 'lead_left', 'take')), '')) AS waiting_since
           FROM transitions t WHERE t.event = 'stall')
SELECT st.run_id, s.flow_id, st.step, nullif(st.waiting_since, '') AS waiting_since, st.stalled_at,
       round((julianday(st.stalled_at) - julianday(nullif(st.waiting_since, ''))) * 86400000.0) / 3600000.0
           AS hours_waited,
       (SELECT min(r.at) FROM transitions r WHERE r.run_id = st.run_id AND r.id > st.id AND r.event = 'resume')
           AS resumed_at
FROM stalls st JOIN scope s ON s.run_id = st.run_id
ORDER BY st.id"""

STALL_WAITS = f"""WITH facts AS MATERIALIZED ({RUN_STALLS}),
w AS ({percentiles("facts", "hours_waited", "flow_id, step")})
SELECT f.flow_id, f.step, count(*) AS stalls, count(DISTINCT f.run_id) AS runs, count(f.resumed_at) AS resumed,
       max(w.median) AS median_hours_waited, max(w.p90) AS p90_hours_waited, max(f.hours_waited) AS max_hours_waited
FROM facts f LEFT JOIN w ON w.flow_id = f.flow_id AND w.step = f.step
GROUP BY f.flow_id, f.step ORDER BY f.flow_id, f.step"""

#: name -> SQL (the definitions), in the order the docs show them.
MEASURES: dict[str, str] = {
    "answer_times": ANSWER_TIMES,
    "answer_time_by_person": ANSWER_TIME_BY_PERSON,
    "answer_time_by_step": ANSWER_TIME_BY_STEP,
    "run_stalls": RUN_STALLS,
    "stall_waits": STALL_WAITS,
}

#: The views that read the summaries instead of every prompt and answer.
VIEWS: dict[str, str] = {
    "answer_times": ANSWER_TIMES_VIEW,
    "answer_time_by_person": ANSWER_TIME_BY_PERSON_VIEW,
    "answer_time_by_step": ANSWER_TIME_BY_STEP_VIEW,
}
