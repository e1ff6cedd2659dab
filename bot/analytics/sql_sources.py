"""The SQL of ``answer_sources``: each answer with the inbound message that gave it
(``answers.message_id``) and the surface it came through. Parameters and defaults as in
:mod:`bot.analytics.sql`.

- *Surface* of an inbound message ``m``, from its platform payload (``messages.payload``): on Slack
  the widget clicked (``block_actions``: ``button``, ``static_select``, ``users_select``,
  ``datepicker``, as Slack names the element), else where it was typed, by its conversation
  (``slack:D...``: ``dm``, a direct message with the bot; ``slack:C.../<ts>``: ``thread``, a reply in
  the run's thread; else ``channel``: GLOB, as Slack's ids are upper case); on Teams ``card`` (an
  Adaptive Card submitted), ``dm`` (the personal chat with the bot), ``chat`` (a channel or group
  chat); elsewhere the platform (``console``, ``rasa``). NULL for an answer no message gave (a
  default the bot took).
"""

from __future__ import annotations

from bot.analytics.sql_parts import SCOPE, person_name

#: The surface of inbound message ``m`` (NULL when there is none: ``m.id`` NULL).
SURFACE = """CASE
    WHEN m.id IS NULL THEN NULL
    WHEN m.channel = 'slack' AND json_extract(m.payload, '$.type') = 'block_actions'
        THEN coalesce(json_extract(m.payload, '$.action.type'), 'widget')
    WHEN m.channel = 'slack' AND m.conversation GLOB 'slack:D*' THEN 'dm'
    WHEN m.channel = 'slack' AND m.conversation GLOB 'slack:*/*' THEN 'thread'
    WHEN m.channel = 'slack' THEN 'channel'
    WHEN m.channel = 'teams' AND json_extract(m.payload, '$.value') IS NOT NULL THEN 'card'
    WHEN m.channel = 'teams' AND json_extract(m.payload, '$.conversation.conversationType') = 'personal' THEN 'dm'
    WHEN m.channel = 'teams' THEN 'chat'
    ELSE m.channel END"""

ANSWER_SOURCES = f"""WITH {SCOPE}
SELECT a.id AS answer_id, a.run_id, s.flow_id, a.step, a.item, a.field, a.revision, a.kind, a.actor_id,
       {person_name("a.actor_id", "m.actor_name")} AS actor_name, a.at,
       a.message_id, m.channel AS platform, m.conversation, {SURFACE} AS surface
FROM answers a JOIN scope s ON s.run_id = a.run_id LEFT JOIN messages m ON m.id = a.message_id
ORDER BY a.id"""

#: name -> SQL, in the order the docs show them.
MEASURES: dict[str, str] = {"answer_sources": ANSWER_SOURCES}
