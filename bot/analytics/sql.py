"""The SQL of every standard measure, written once.

Each measure is one ``SELECT`` with named parameters: ``:since`` / ``:until`` (the window of
trigger times, ``since <= t < until``), ``:flow`` (NULL: every flow), ``:as_of`` (the reference
instant, UTC ISO-8601), ``:grace_days`` (reviews) and ``:idle_days`` (drop-off). The report runs
them with the values it is given; the views of :mod:`bot.analytics.schema` are the same text
with the defaults put in (every run, as of now, 2 days of grace, 7 idle days), but for those that
read the same rows from the summary tables (:data:`VIEWS`). The measures of waiting (answer time,
the wait before a stall) are in :mod:`bot.analytics.sql_waits`.

Times are UTC ISO-8601 text (``2026-11-28T10:15:00.123Z``). Due dates (``actions.due``,
``reviews.due_at``) are local calendar dates with no zone: a date ``D`` ends for everyone at
``D + 1 day 12:00 UTC``, when it is over in the last time zone on Earth (UTC-12, "anywhere on
Earth"); that instant is the deadline, so nobody is late while their own calendar still shows
``D``.
"""

from __future__ import annotations

import re

from bot.analytics import sql_sources, sql_waits
from bot.analytics.sql_parts import (
    A_PERSON,
    NOT_COUNTED,
    SCOPE,
    SUMMARY_SCOPE,
    conversation_name,
    conversation_of,
    deadline,
    iso_week,
    person_name,
    question,
)
from bot.analytics.sql_parts import percentiles as _percentiles
from bot.model import BOTS_OWN_KINDS

RUN_LATENCY = f"""WITH {SCOPE},
first_answer AS (SELECT run_id, min(at) AS at FROM answers GROUP BY run_id),
decided AS (SELECT run_id, min(decided_at) AS at FROM decisions GROUP BY run_id)
SELECT s.run_id, s.flow_id, s.source, coalesce(e.kind, '') AS kind, s.channel, {iso_week("s.triggered_at")} AS week,
       s.triggered_at,
       fa.at AS first_answer_at, d.at AS decided_at,
       round((julianday(fa.at) - julianday(s.triggered_at)) * 86400000.0) / 3600000.0 AS hours_to_first_answer,
       round((julianday(d.at) - julianday(s.triggered_at)) * 86400000.0) / 3600000.0 AS hours_to_decision,
       s.channel AS platform, {conversation_of("s.conversation")} AS conversation,
       {conversation_name(conversation_of("s.conversation"))} AS conversation_name
FROM scope s LEFT JOIN first_answer fa ON fa.run_id = s.run_id LEFT JOIN decided d ON d.run_id = s.run_id
     LEFT JOIN events e ON e.id = s.event_id"""


#: The latency measure's rows, from CTEs ``groups`` (runs per dimension and key), ``fa`` and
#: ``dec`` (first answer and decision: n, median, p90 in hours): the definition's and the view's; a
#: conversation's rows are named (``conversation_name``: NULL when its platform never named it).
LATENCY_BY_DIMENSION = f"""SELECT g.dimension, g.key, g.runs,
       coalesce(fa.n, 0) AS answered, fa.median AS median_hours_to_first_answer, fa.p90 AS p90_hours_to_first_answer,
       coalesce(dec.n, 0) AS decided, dec.median AS median_hours_to_decision, dec.p90 AS p90_hours_to_decision,
       CASE WHEN g.dimension = 'conversation' THEN {conversation_name("g.key")} END AS conversation_name
FROM groups g LEFT JOIN fa USING (dimension, key) LEFT JOIN dec USING (dimension, key)
ORDER BY CASE g.dimension WHEN 'all' THEN 0 WHEN 'flow' THEN 1 WHEN 'source' THEN 2 WHEN 'kind' THEN 3
                         WHEN 'channel' THEN 4 WHEN 'week' THEN 5 WHEN 'platform' THEN 6 ELSE 7 END,
         g.key"""


LATENCY_SUMMARY = f"""WITH facts AS ({RUN_LATENCY}),
dims AS (
    SELECT 'all' AS dimension, '' AS key, hours_to_first_answer AS fa, hours_to_decision AS dec FROM facts
    UNION ALL SELECT 'flow', flow_id, hours_to_first_answer, hours_to_decision FROM facts
    UNION ALL SELECT 'source', source, hours_to_first_answer, hours_to_decision FROM facts
    UNION ALL SELECT 'kind', kind, hours_to_first_answer, hours_to_decision FROM facts
    UNION ALL SELECT 'channel', channel, hours_to_first_answer, hours_to_decision FROM facts
    UNION ALL SELECT 'week', week, hours_to_first_answer, hours_to_decision FROM facts
    UNION ALL SELECT 'platform', platform, hours_to_first_answer, hours_to_decision FROM facts
    UNION ALL SELECT 'conversation', conversation, hours_to_first_answer, hours_to_decision FROM facts
),
groups AS (SELECT dimension, key, count(*) AS runs FROM dims GROUP BY dimension, key),
fa AS ({_percentiles("dims", "fa", "dimension, key")}),
dec AS ({_percentiles("dims", "dec", "dimension, key")})
{LATENCY_BY_DIMENSION}"""

#: An action's owner's name (:func:`~bot.analytics.sql_parts.person_name`): as ``people`` has it, else
#: the name recorded with the action (``actions.owner_name``: their id when Slack was slow to name them).
OWNER_NAME = person_name("a.owner_id", "a.owner_name")


def owners_name(owner: str, recorded: str) -> str:
    """An owner's name over all their actions grouped by ``owner`` (their recorded names:
    ``recorded``): as ``people`` has it, else the greatest name their actions recorded, else their
    id. The report's (:data:`OWNER_ID_NAME`, over ``analytics_actions``) and
    ``follow_through_by_owner``'s, so that both name everyone alike."""
    return person_name(owner, f"max({recorded})")


#: :func:`owners_name` of the summaries' ``analytics_actions`` grouped by ``owner_id``.
OWNER_ID_NAME = owners_name("owner_id", "owner_name")

ACTION_STATUS = f"""WITH {SCOPE}
SELECT a.id AS action_id, a.decision_id, d.flow_id, a.owner_id, {OWNER_NAME} AS owner_name, a.what, a.due,
       CASE WHEN a.due IS NOT NULL THEN {deadline("a.due")} END AS deadline_at, a.status, a.done_at,
       CASE WHEN a.due IS NOT NULL AND a.status != 'dropped'
             AND ({deadline("a.due")} <= :as_of OR a.status = 'done') THEN 1 ELSE 0 END AS is_due,
       CASE WHEN a.due IS NOT NULL AND a.status = 'done' AND a.done_at < {deadline("a.due")} THEN 1 ELSE 0 END
           AS on_time,
       CASE WHEN a.due IS NOT NULL AND a.status = 'done' AND a.done_at >= {deadline("a.due")}
            THEN CAST(julianday(substr(a.done_at, 1, 10)) - julianday(a.due) AS INTEGER) END AS days_late
FROM actions a JOIN decisions d ON d.id = a.decision_id JOIN scope s ON s.run_id = d.run_id"""


def _follow_through(key: str, name: str) -> str:
    by_owner = key == "owner_id"
    owner_column = f"{owners_name('f.owner_id', 'ac.owner_name')} AS owner_name, " if by_owner else ""
    owner_join = " JOIN actions ac ON ac.id = f.action_id" if by_owner else ""
    return f"""WITH facts AS ({ACTION_STATUS}),
late AS ({_percentiles("facts", "days_late", key)})
SELECT f.{key} AS {name}, {owner_column}count(*) AS actions,
       sum(f.due IS NULL) AS no_due, sum(f.is_due) AS due, sum(f.on_time) AS done_on_time,
       sum(f.days_late IS NOT NULL) AS done_late,
       sum(f.is_due AND f.status = 'open') AS overdue_open, sum(f.status = 'dropped') AS dropped,
       CAST(sum(f.on_time) AS REAL) / nullif(sum(f.is_due), 0) AS follow_through,
       max(late.median) AS median_days_late, CAST(sum(f.status = 'dropped') AS REAL) / count(*) AS share_dropped
FROM facts f LEFT JOIN late ON late.{key} IS f.{key}{owner_join}
GROUP BY f.{key} ORDER BY f.{key}"""


FOLLOW_THROUGH_BY_OWNER = _follow_through("owner_id", "owner_id")
FOLLOW_THROUGH_BY_FLOW = _follow_through("flow_id", "flow_id")

REVIEW_STATUS = f"""WITH {SCOPE}
SELECT v.id AS review_id, v.decision_id, d.flow_id, v.due_at, {deadline("v.due_at", ":grace_days")} AS deadline_at,
       v.held_at, v.outcome, v.run_id AS review_run_id,
       CASE WHEN v.held_at IS NOT NULL AND v.held_at < {deadline("v.due_at", ":grace_days")} THEN 'held on time'
            WHEN v.held_at IS NOT NULL THEN 'held late'
            WHEN {deadline("v.due_at", ":grace_days")} <= :as_of THEN 'missed'
            ELSE 'pending' END AS state
FROM reviews v JOIN decisions d ON d.id = v.decision_id JOIN scope s ON s.run_id = d.run_id"""

REVIEW_ADHERENCE = f"""WITH facts AS ({REVIEW_STATUS}),
per AS (SELECT flow_id, state FROM facts UNION ALL SELECT '(all)', state FROM facts)
SELECT flow_id, count(*) AS reviews, sum(state != 'pending') AS due, sum(state = 'held on time') AS held_on_time,
       sum(state = 'held late') AS held_late, sum(state = 'missed') AS missed, sum(state = 'pending') AS pending,
       CAST(sum(state = 'held on time') AS REAL) / nullif(sum(state != 'pending'), 0) AS adherence
FROM per GROUP BY flow_id ORDER BY flow_id = '(all)', flow_id"""

RUN_STOPS = f"""WITH {SCOPE}
SELECT s.run_id, s.flow_id, s.status, s.updated_at,
       CASE WHEN s.status = 'completed' THEN NULL
            WHEN s.state IN ('completed', 'cancelled')
            THEN (SELECT t.source FROM transitions t WHERE t.run_id = s.run_id ORDER BY t.id DESC LIMIT 1)
            ELSE s.state END AS stop_step,
       CASE WHEN s.status IN ('cancelled', 'stalled')
             OR (s.status = 'active' AND julianday(:as_of) - julianday(s.updated_at) > :idle_days) THEN 1 ELSE 0 END
           AS dropped_off
FROM scope s"""

STEP_DROPOFF = f"""WITH stops AS ({RUN_STOPS}),
reached AS (SELECT t.run_id, t.target AS step, min(t.id) AS first_id
            FROM transitions t WHERE t.target NOT IN ('completed', 'cancelled') GROUP BY t.run_id, t.target)
SELECT st.flow_id, r.step, count(*) AS reached, sum(st.dropped_off AND st.stop_step = r.step) AS dropped_off,
       CAST(sum(st.dropped_off AND st.stop_step = r.step) AS REAL) / count(*) AS dropoff_rate,
       sum(st.status = 'active' AND st.stop_step = r.step AND NOT st.dropped_off) AS waiting
FROM reached r JOIN stops st ON st.run_id = r.run_id
GROUP BY st.flow_id, r.step ORDER BY st.flow_id, reached DESC, min(r.first_id)"""

ANSWER_REVISIONS = f"""WITH {SCOPE}
SELECT s.flow_id, a.step, coalesce(a.field, '') AS field, sum(a.revision = 1) AS slots,
       sum(a.revision = 2) AS revised_slots, sum(a.revision > 1) AS revisions,
       CAST(sum(a.revision = 2) AS REAL) / sum(a.revision = 1) AS share_revised
FROM answers a JOIN scope s ON s.run_id = a.run_id
GROUP BY s.flow_id, a.step, coalesce(a.field, '') ORDER BY s.flow_id, a.step, field"""

PARTICIPATION = f"""WITH {SCOPE},
inbound AS (SELECT m.actor_id AS person, count(*) AS n, max(m.actor_name) AS name
            FROM messages m JOIN scope s ON s.run_id = m.run_id
            WHERE m.direction = 'in' AND m.kind NOT IN {NOT_COUNTED} AND m.actor_id IS NOT NULL GROUP BY m.actor_id),
given AS (SELECT a.actor_id AS person, count(*) AS n FROM answers a JOIN scope s ON s.run_id = a.run_id
          GROUP BY a.actor_id),
asked AS (SELECT m.actor_id AS person, m.run_id, m.step, max(m.actor_name) AS name
          FROM messages m JOIN scope s ON s.run_id = m.run_id
          WHERE {question("m")} AND m.actor_id IS NOT NULL
          GROUP BY m.actor_id, m.run_id, coalesce(m.step, '')),
slots AS (SELECT DISTINCT a.actor_id AS person, a.run_id, a.step FROM answers a JOIN scope s ON s.run_id = a.run_id),
prompts AS (SELECT q.person, max(q.name) AS name, count(*) AS addressed, count(sl.person) AS answered
            FROM asked q LEFT JOIN slots sl ON sl.person = q.person AND sl.run_id = q.run_id AND sl.step = q.step
            GROUP BY q.person),
led AS (SELECT facilitator_id AS person, count(*) AS n FROM scope GROUP BY facilitator_id),
owned AS (SELECT a.owner_id AS person, count(*) AS n, max(a.owner_name) AS name
          FROM actions a JOIN decisions d ON d.id = a.decision_id JOIN scope s ON s.run_id = d.run_id
          WHERE a.owner_id IS NOT NULL GROUP BY a.owner_id),
persons AS (SELECT person FROM inbound UNION SELECT person FROM given UNION SELECT person FROM prompts
            UNION SELECT person FROM led UNION SELECT person FROM owned)
SELECT p.person, {person_name("p.person", "i.name", "pr.name", "o.name")} AS name,
       coalesce(i.n, 0) AS inbound_messages, coalesce(g.n, 0) AS answers,
       coalesce(pr.addressed, 0) AS prompts_addressed, coalesce(pr.answered, 0) AS prompts_answered,
       CAST(pr.answered AS REAL) / nullif(pr.addressed, 0) AS response_rate,
       coalesce(l.n, 0) AS runs_facilitated, coalesce(o.n, 0) AS actions_owned
FROM persons p LEFT JOIN inbound i ON i.person = p.person LEFT JOIN given g ON g.person = p.person
     LEFT JOIN prompts pr ON pr.person = p.person LEFT JOIN led l ON l.person = p.person
     LEFT JOIN owned o ON o.person = p.person
WHERE {A_PERSON}
ORDER BY p.person"""

TRIGGER_QUALITY = f"""WITH decided_runs AS (SELECT DISTINCT run_id FROM decisions),
per_event AS (SELECT r.event_id, count(*) AS runs, count(d.run_id) > 0 AS decided
              FROM runs r LEFT JOIN decided_runs d ON d.run_id = r.id
              WHERE r.event_id IS NOT NULL AND (:flow IS NULL OR r.flow_id = :flow) GROUP BY r.event_id),
ev AS (SELECT e.source, e.kind, e.repeat_count, coalesce(p.runs, 0) AS runs, coalesce(p.decided, 0) AS decided
       FROM events e LEFT JOIN per_event p ON p.event_id = e.id
       WHERE e.first_seen_at >= :since AND e.first_seen_at < :until AND (:flow IS NULL OR p.runs > 0)),
per AS (SELECT source, kind, runs, decided, repeat_count FROM ev
        UNION ALL SELECT '(all)', '(not review)', runs, decided, repeat_count FROM ev
        WHERE kind NOT IN {BOTS_OWN_KINDS!r})
SELECT source, kind, count(*) AS events, sum(runs > 0) AS with_run, sum(decided) AS decided,
       CAST(sum(decided) AS REAL) / count(*) AS share_decided, sum(runs) AS runs, sum(repeat_count) AS repeats,
       CAST(sum(CASE WHEN runs > 0 THEN repeat_count END) AS REAL) / nullif(sum(runs), 0) AS repeats_per_run
FROM per GROUP BY source, kind ORDER BY source = '(all)', source, kind"""

#: name -> SQL, in the order the report and the docs show them.
MEASURES: dict[str, str] = {
    "run_latency": RUN_LATENCY,
    "latency_summary": LATENCY_SUMMARY,
    "action_status": ACTION_STATUS,
    "follow_through_by_owner": FOLLOW_THROUGH_BY_OWNER,
    "follow_through_by_flow": FOLLOW_THROUGH_BY_FLOW,
    "review_status": REVIEW_STATUS,
    "review_adherence": REVIEW_ADHERENCE,
    "run_stops": RUN_STOPS,
    "step_dropoff": STEP_DROPOFF,
    "answer_revisions": ANSWER_REVISIONS,
    "participation": PARTICIPATION,
    "trigger_quality": TRIGGER_QUALITY,
    **sql_waits.MEASURES,
    **sql_sources.MEASURES,
}

#: The views of ``run_latency``, ``latency_summary``, ``step_dropoff`` and ``participation``: the
#: same rows as their definitions above, read from the summary tables (:mod:`bot.analytics.summary`)
#: instead of every answer, message and transition. ``analytics_runs`` holds each run's trigger
#: time, first answer and decision, and the milliseconds between: ``ms / 3600000.0`` is the
#: definition's hours, to the bit.
_WEEKS = f"weeks AS (SELECT day, {iso_week('day')} AS week FROM (SELECT DISTINCT day FROM analytics_runs))"

RUN_LATENCY_VIEW = f"""WITH {_WEEKS}
SELECT f.run_id, f.flow_id, f.source, f.kind, f.channel, w.week, f.triggered_at, f.first_answer_at, f.decided_at,
       f.first_answer_ms / 3600000.0 AS hours_to_first_answer, f.decided_ms / 3600000.0 AS hours_to_decision,
       f.channel AS platform, f.conversation, {conversation_name("f.conversation")} AS conversation_name
FROM analytics_runs f JOIN weeks w USING (day) ORDER BY f.run_id"""


def _ranked(ms: str) -> str:
    """Median and p90 of ``ms`` (in hours) per dimension and key, as :func:`~bot.analytics.sql_parts.percentiles`: ranked
    within each dimension's own column (five sorts of 100,000 rows cost less than one of 500,000),
    and only the rows at those ranks grouped."""
    one = """SELECT '{dimension}' AS dimension, key, max(cnt) AS n,
       avg(CASE WHEN rn IN ((cnt + 1) / 2, (cnt + 2) / 2) THEN v / 3600000.0 END) AS median,
       max(CASE WHEN rn = (9 * cnt + 9) / 10 THEN v / 3600000.0 END) AS p90
FROM (SELECT {key} AS key, {ms} AS v, row_number() OVER w AS rn,
             count(*) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS cnt
      FROM facts WHERE {ms} IS NOT NULL WINDOW w AS (PARTITION BY {key} ORDER BY {ms}))
WHERE rn IN ((cnt + 1) / 2, (cnt + 2) / 2, (9 * cnt + 9) / 10) GROUP BY key"""
    dimensions = {
        "all": "''",
        "flow": "flow_id",
        "source": "source",
        "kind": "kind",
        "channel": "channel",
        "week": "week",
        "conversation": "conversation",
    }
    return "\nUNION ALL ".join(one.format(dimension=d, key=k, ms=ms) for d, k in dimensions.items())


def _as_platform(ranked: str) -> str:
    """The rows of CTE ``ranked`` with the ``channel`` ones again as ``platform`` (the same column)."""
    return f"SELECT * FROM {ranked} UNION ALL SELECT 'platform', key, n, median, p90 FROM {ranked} WHERE dimension = 'channel'"


LATENCY_SUMMARY_VIEW = f"""WITH {_WEEKS},
facts AS MATERIALIZED (SELECT f.flow_id, f.source, f.kind, f.channel, f.conversation, w.week, f.first_answer_ms,
                              f.decided_ms
                       FROM analytics_runs f JOIN weeks w USING (day)),
counted AS (
    SELECT 'all' AS dimension, '' AS key, count(*) AS runs FROM facts HAVING count(*) > 0
    UNION ALL SELECT 'flow', flow_id, count(*) FROM facts GROUP BY flow_id
    UNION ALL SELECT 'source', source, count(*) FROM facts GROUP BY source
    UNION ALL SELECT 'kind', kind, count(*) FROM facts GROUP BY kind
    UNION ALL SELECT 'channel', channel, count(*) FROM facts GROUP BY channel
    UNION ALL SELECT 'week', week, count(*) FROM facts GROUP BY week
    UNION ALL SELECT 'conversation', conversation, count(*) FROM facts GROUP BY conversation),
groups AS (SELECT * FROM counted UNION ALL SELECT 'platform', key, runs FROM counted WHERE dimension = 'channel'),
ranked_fa AS ({_ranked("first_answer_ms")}),
ranked_dec AS ({_ranked("decided_ms")}),
fa AS ({_as_platform("ranked_fa")}),
dec AS ({_as_platform("ranked_dec")})
{LATENCY_BY_DIMENSION}"""

#: Where a transition first targeted a step (schema m008): the drop-off view's order among steps
#: reached by as many runs (the first transition there, by id, of a run of the flow).
TRANSITIONS_TARGET = "CREATE INDEX transitions_target ON transitions(target)"

#: ``step_dropoff`` from ``analytics_runs``: runs grouped by flow, steps reached (``' a b '``),
#: status, state and last transition's source (the covering index ``analytics_runs_paths``, as
#: :data:`bot.analytics.measures.PATHS`), each group's steps split out, then counted per step.
STEP_DROPOFF_VIEW = """WITH RECURSIVE paths AS (
    SELECT flow_id, reached, status,
           CASE WHEN status = 'completed' THEN NULL WHEN state IN ('completed', 'cancelled') THEN last_source
                ELSE state END AS stop_step,
           count(*) AS n,
           count(CASE WHEN status = 'active' AND julianday(:as_of)
                           - julianday((SELECT updated_at FROM runs WHERE id = f.run_id)) > :idle_days THEN 1 END) AS idle
    FROM analytics_runs f GROUP BY flow_id, reached, status, state, last_source),
steps (flow_id, status, stop_step, n, idle, step, rest) AS (
    SELECT flow_id, status, stop_step, n, idle, NULL, substr(reached, 2) FROM paths
    UNION ALL SELECT flow_id, status, stop_step, n, idle, substr(rest, 1, instr(rest, ' ') - 1),
                     substr(rest, instr(rest, ' ') + 1) FROM steps WHERE rest != ''),
counted AS (
    SELECT flow_id, step, sum(n) AS reached,
           sum(CASE WHEN stop_step IS NOT step THEN 0 WHEN status IN ('cancelled', 'stalled') THEN n
                    WHEN status = 'active' THEN idle ELSE 0 END) AS dropped_off,
           sum(CASE WHEN status = 'active' AND stop_step = step THEN n - idle ELSE 0 END) AS waiting
    FROM steps WHERE step IS NOT NULL GROUP BY flow_id, step)
SELECT flow_id, step, reached, dropped_off, CAST(dropped_off AS REAL) / reached AS dropoff_rate, waiting
FROM counted c
ORDER BY flow_id, reached DESC,
         (SELECT t.id FROM transitions t WHERE t.target = c.step
              AND (SELECT r.flow_id FROM runs r WHERE r.id = t.run_id) = c.flow_id ORDER BY t.id LIMIT 1)"""

#: ``participation`` from the summaries, the view's and the report's: the runs in scope are those of
#: the trigger days and flow of :data:`bot.analytics.measures.SCOPE` (the view's: every day, every flow).
PARTICIPATION_VIEW = f"""WITH counted AS (
    SELECT person, coalesce(max(name), max(prompt_name)) AS name, sum(inbound) AS inbound, sum(answers) AS answers,
           sum(addressed) AS addressed, sum(answered) AS answered, sum(facilitated) AS facilitated
    FROM analytics_people f WHERE {SUMMARY_SCOPE} GROUP BY person),
owned AS (SELECT owner_id AS person, max(owner_name) AS name, count(*) AS n FROM analytics_actions f
          WHERE owner_id IS NOT NULL AND {SUMMARY_SCOPE} GROUP BY owner_id),
persons AS (SELECT person FROM counted UNION SELECT person FROM owned)
SELECT p.person, {person_name("p.person", "c.name", "o.name")} AS name,
       coalesce(c.inbound, 0) AS inbound_messages, coalesce(c.answers, 0) AS answers,
       coalesce(c.addressed, 0) AS prompts_addressed, coalesce(c.answered, 0) AS prompts_answered,
       CAST(c.answered AS REAL) / nullif(c.addressed, 0) AS response_rate,
       coalesce(c.facilitated, 0) AS runs_facilitated, coalesce(o.n, 0) AS actions_owned
FROM persons p LEFT JOIN counted c ON c.person = p.person LEFT JOIN owned o ON o.person = p.person
WHERE {A_PERSON}
ORDER BY p.person"""

#: name -> the SQL of its view: the definition, or the same rows from the summaries.
VIEWS: dict[str, str] = {
    **MEASURES,
    "run_latency": RUN_LATENCY_VIEW,
    "latency_summary": LATENCY_SUMMARY_VIEW,
    "step_dropoff": STEP_DROPOFF_VIEW,
    "participation": PARTICIPATION_VIEW,
    **sql_waits.VIEWS,
}

#: What a view puts in place of each parameter.
VIEW_DEFAULTS = {
    "since": "''",
    "until": "'9999'",
    "flow": "NULL",
    "as_of": "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
    "grace_days": "2",
    "idle_days": "7",
}


def as_view(sql: str) -> str:
    """The measure's SQL with the defaults in place of its parameters."""
    return re.sub(r":(\w+)\b", lambda m: VIEW_DEFAULTS.get(m.group(1), m.group(0)), sql)
