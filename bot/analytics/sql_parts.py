"""The parts the standard measures' SQL is written with (:mod:`bot.analytics.sql`,
:mod:`bot.analytics.sql_waits`): the scope of runs, ISO weeks, deadlines of local dates, median and p90,
a person's name, a conversation's name."""

from __future__ import annotations

#: The kinds of inbound rows that keep a change to a message someone sent (an edit, a deletion:
#: bot/channels/slack_edits.py), not a message sent: no measure counts them as messages.
NOT_SENT = "('edited', 'deleted')"
#: Those, and a run's start kept in its transcript (``start``: the ``/decision start`` typed, the
#: form submitted; bot/store/starts.py), counted as the run, not as a message its person sent.
#: (The summary triggers need no such list: a start's row is written before its run, without it,
#: and given it after, so that no trigger ever counts it.)
NOT_COUNTED = "('edited', 'deleted', 'start')"

#: A question the flow put to someone (``{m}``: the messages row's alias): a prompt that expects an
#: answer. The bot's "Cancel this decision run? (yes/no)" to a facilitator who typed ``cancel`` is
#: sent as a prompt too (so that the reply is placed to that run), without ``expects``: no question
#: of the step it was typed at.
QUESTION = "{m}.direction = 'out' AND {m}.kind = 'prompt' AND {m}.expects IS NOT NULL"


def question(alias: str) -> str:
    return QUESTION.format(m=alias)


#: A timestamp's ISO week as ``2026-W48``: the year and week of the Thursday of its week.
#: (SQLite < 3.46 has no ``%V``.)
_THURSDAY = "date({t}, '-' || ((CAST(strftime('%w', {t}) AS INTEGER) + 6) % 7) || ' days', '+3 days')"
ISO_WEEK = (
    "printf('%s-W%02d', strftime('%Y', "
    + _THURSDAY
    + "), (CAST(strftime('%j', "
    + _THURSDAY
    + ") AS INTEGER) - 1) / 7 + 1)"
)


def iso_week(column: str) -> str:
    return ISO_WEEK.replace("{t}", column)


def deadline(date_expr: str, extra_days: str = "0") -> str:
    """The instant a local date ends everywhere: ``date + extra + 1 day`` at 12:00 UTC."""
    return f"strftime('%Y-%m-%dT12:00:00.000Z', {date_expr}, '+' || ({extra_days} + 1) || ' days')"


SCOPE = """scope AS (
    SELECT r.id AS run_id, r.flow_id, r.channel, r.conversation, r.status, r.state, r.updated_at, r.facilitator_id,
           coalesce(e.first_seen_at, r.started_at) AS triggered_at, coalesce(e.source, '') AS source,
           r.event_id, coalesce(e.repeat_count, 0) AS repeat_count
    FROM runs r LEFT JOIN events e ON e.id = r.event_id
    WHERE coalesce(e.first_seen_at, r.started_at) >= :since AND coalesce(e.first_seen_at, r.started_at) < :until
      AND (:flow IS NULL OR r.flow_id = :flow)
)"""


def conversation_of(key: str) -> str:
    """The conversation of a conversation key ``key`` (``runs.conversation``) without its thread:
    ``slack:C0OPS/1700000000.000100`` -> ``slack:C0OPS`` (the channel); a direct message, a Teams
    chat as they are."""
    return f"CASE WHEN instr({key}, '/') THEN substr({key}, 1, instr({key}, '/') - 1) ELSE {key} END"


def conversation_name(conversation: str) -> str:
    """The name its platform last gave ``conversation`` (``slack:C0OPS`` -> ``ops``;
    :mod:`bot.store.names`), the one definition every view and the report name conversations by;
    NULL when none was given."""
    return f"(SELECT cn.name FROM conversation_names cn WHERE cn.conversation = {conversation})"


#: The summary rows (alias ``f``) of the runs in scope: their trigger day in the window, their flow.
SUMMARY_SCOPE = "f.day >= :since AND f.day < :until AND (:flow IS NULL OR f.flow_id = :flow)"


def percentiles(source: str, value: str, keys: str) -> str:
    """Median (middle value, or the mean of the two middle values) and p90 (nearest rank: the
    value at rank ceil(0.9 n)) of ``value`` per ``keys``, over the rows where it is not NULL."""
    return f"""SELECT {keys}, count(*) AS n,
       avg(CASE WHEN rn IN ((cnt + 1) / 2, (cnt + 2) / 2) THEN v END) AS median,
       max(CASE WHEN rn = (9 * cnt + 9) / 10 THEN v END) AS p90
FROM (SELECT {keys}, {value} AS v, row_number() OVER (PARTITION BY {keys} ORDER BY {value}) AS rn,
             count(*) OVER (PARTITION BY {keys}) AS cnt
      FROM {source} WHERE {value} IS NOT NULL)
GROUP BY {keys}"""


#: A person, not the placeholder facilitator (``slack:facilitator``, bot.model.placeholder_facilitator)
#: that a triggered run naming none asks until someone claims it: it is nobody's participation.
A_PERSON = "substr(p.person, instr(p.person, ':') + 1) != 'facilitator'"


def person_name(person: str, *kept: str) -> str:
    """A person's name, the one definition every measure, view and search names people by: the one
    ``people`` has for ``person`` (their actor id: what their platform last said of them; for a Teams
    person, who is not in ``people``, the name ``teams_users`` has from their latest activity; a person
    named by their id while Slack was slow to answer keeps that id in the messages and actions of
    the moment), else the first of the names the ledger ``kept`` (SQL expressions, in order: the
    ones they wrote under, were asked as, own actions as) that is not NULL, else their id without
    its platform (``slack:U0123`` -> ``U0123``). NULL only when ``person`` and every kept name are."""
    known = f"(SELECT pe.name FROM people pe WHERE pe.id = {person})"
    # a Teams person: the name Teams gave with their latest activity (teams_users, by its key: no scan)
    teams = (
        f"(SELECT tu.name FROM teams_users tu WHERE tu.user_id ="
        f" CASE WHEN substr({person}, 1, 6) = 'teams:' THEN substr({person}, 7) END)"
    )
    bare = f"substr({person}, instr({person}, ':') + 1)"
    return f"coalesce({', '.join((known, teams, *kept, bare))})"
