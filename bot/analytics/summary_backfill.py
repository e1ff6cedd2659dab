"""The summary tables' back-fill (:mod:`bot.analytics.summary`): what a ledger already holds when
they are made, counted as their triggers (:mod:`bot.analytics.summary_triggers`) would have.
"""

from __future__ import annotations

from bot.analytics.sql_parts import NOT_COUNTED, conversation_of, question
from bot.analytics.sql_waits import PROMPT_TIMES
from bot.analytics.summary_triggers import ACTION_FACTS, RUN_MS

#: Count what is already in the ledger, as the triggers would have.
BACKFILL = [
    f"""INSERT INTO analytics_runs (run_id, flow_id, day, triggered_at, event_id, source, channel, facilitator_id,
        status, state, last_source, first_answer_at, decided_at, reached, kind, conversation)
    SELECT r.id, r.flow_id, substr(coalesce(e.first_seen_at, r.started_at), 1, 10), coalesce(e.first_seen_at, r.started_at),
           r.event_id, coalesce(e.source, ''), r.channel, r.facilitator_id, r.status, r.state,
           (SELECT t.source FROM transitions t WHERE t.run_id = r.id ORDER BY t.id DESC LIMIT 1),
           (SELECT min(a.at) FROM answers a WHERE a.run_id = r.id),
           (SELECT min(d.decided_at) FROM decisions d WHERE d.run_id = r.id),
           ' ' || coalesce((SELECT group_concat(target, ' ') || ' ' FROM (SELECT DISTINCT t.target FROM transitions t
               WHERE t.run_id = r.id AND t.target NOT IN ('completed', 'cancelled'))), ''),
           coalesce(e.kind, ''), {conversation_of("r.conversation")}
    FROM runs r LEFT JOIN events e ON e.id = r.event_id""",
    f"""UPDATE analytics_runs SET first_answer_ms = {RUN_MS.format(at="first_answer_at")},
        decided_ms = {RUN_MS.format(at="decided_at")}""",
    f"""INSERT INTO analytics_actions (action_id, owner_id, owner_name, flow_id, day, status, deadline_jd, done_jd,
        days_late)
    SELECT new.id, new.owner_id, new.owner_name, f.flow_id, f.day, {ACTION_FACTS}
    FROM actions new JOIN decisions d ON d.id = new.decision_id JOIN analytics_runs f ON f.run_id = d.run_id""",
    """INSERT INTO analytics_reviews (review_id, flow_id, day, due_jd, held_jd)
    SELECT v.id, f.flow_id, f.day, julianday(v.due_at) + 1.5, julianday(v.held_at)
    FROM reviews v JOIN decisions d ON d.id = v.decision_id JOIN analytics_runs f ON f.run_id = d.run_id""",
    """INSERT INTO analytics_events (event_id, source, kind, day, repeat_count, runs, decided_runs)
    SELECT e.id, e.source, e.kind, substr(e.first_seen_at, 1, 10), e.repeat_count, count(f.run_id), count(f.decided_at)
    FROM events e LEFT JOIN analytics_runs f ON f.event_id = e.id GROUP BY e.id""",
    """INSERT INTO analytics_revisions (flow_id, step, field, day, slots, revised_slots, revisions)
    SELECT f.flow_id, a.step, coalesce(a.field, ''), f.day, sum(a.revision = 1), sum(a.revision = 2), sum(a.revision > 1)
    FROM answers a JOIN analytics_runs f ON f.run_id = a.run_id GROUP BY 1, 2, 3, 4""",
    f"""INSERT INTO analytics_prompts (person, run_id, step, answered)
    SELECT DISTINCT m.actor_id, m.run_id, coalesce(m.step, ''), EXISTS (SELECT 1 FROM answers a
        WHERE a.run_id = m.run_id AND a.step = m.step AND a.actor_id = m.actor_id)
    FROM messages m JOIN analytics_runs f ON f.run_id = m.run_id
    WHERE {question("m")} AND m.actor_id IS NOT NULL""",
    *PROMPT_TIMES,
    f"""INSERT INTO analytics_people (person, day, flow_id, name, prompt_name, inbound, answers, addressed, answered,
        facilitated)
    SELECT person, day, flow_id, max(CASE WHEN inbound THEN name END), max(CASE WHEN NOT inbound THEN name END),
           sum(inbound), sum(answers), sum(addressed), sum(answered), sum(facilitated)
    FROM (
        SELECT m.actor_id AS person, f.day, f.flow_id, m.actor_name AS name, m.direction = 'in' AS inbound,
               0 AS answers, 0 AS addressed, 0 AS answered, 0 AS facilitated
        FROM messages m JOIN analytics_runs f ON f.run_id = m.run_id
        WHERE m.actor_id IS NOT NULL AND (m.direction = 'in' AND m.kind NOT IN {NOT_COUNTED} OR {question("m")})
        UNION ALL SELECT a.actor_id, f.day, f.flow_id, NULL, 0, 1, 0, 0, 0
        FROM answers a JOIN analytics_runs f ON f.run_id = a.run_id
        UNION ALL SELECT p.person, f.day, f.flow_id, NULL, 0, 0, 1, p.answered, 0
        FROM analytics_prompts p JOIN analytics_runs f ON f.run_id = p.run_id
        UNION ALL SELECT facilitator_id, day, flow_id, NULL, 0, 0, 0, 0, 1 FROM analytics_runs)
    GROUP BY person, day, flow_id""",
]
