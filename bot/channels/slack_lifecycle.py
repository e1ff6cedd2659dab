"""The workspace changing under the bot while runs are open, as Slack's events say it.

- The bot removed from a channel (``/kick``, "Remove app": ``channel_left``, ``group_left`` for a
  private one; Slack does not send ``member_left_channel`` to the bot removed) or the channel
  archived (``channel_archive``, ``group_archive``, and the ``message`` of that subtype posted in
  the channel): what is typed there no longer reaches the bot, so the open runs living there wait
  on questions nobody can answer. Each such run keeps a ``channel_lost`` transition at its step
  (who did it, when: why it stalled, for analysts), and whoever leads it (its facilitator; for an
  alert's run nobody has taken, the route's backup) is told at once by direct message: where the
  run waits, who can answer where, and how it goes on (invite the bot back or unarchive; ``cancel``).
  The notice is about the run's conversation, the target a later refusal there is told of, so the
  refusal of the run's next message within the hour adds only her next question, in a line.
  One person leading several runs there gets one message naming them all (an alert storm's backup).
  Slack is asked first (``conversations.info``) whether the bot is still in the channel and it is
  not archived: an event delivered late (Slack's retries, Socket Mode's redelivery), after the bot
  was invited back or the channel unarchived, changes nothing (one debug line). When Slack cannot
  tell (``channels:read``/``groups:read`` missing, out of reach), the event is believed.
- The bot back in such a channel (``member_joined_channel`` of the bot itself: invited back;
  ``channel_unarchive``, ``group_unarchive``): each run that lost it keeps a ``channel_back``
  transition and asks again at once, as a reminder to those people alone, the questions waiting
  there (what was typed meanwhile never reached the bot), not at its next reminder, hours later.
- The app uninstalled (``app_uninstalled``) or the bot token revoked (``tokens_revoked`` naming the
  bot user): every call will be refused, so the channel says so at once (``/healthz``, one error
  with the fix) instead of at its next call, which may be hours away.

A channel renamed, or made private, changes nothing the bot keeps (runs are keyed by the channel's
id, which neither changes; the bot stays a member and reads private channels with
``groups:history``): no event is needed for them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot import notices, texts
from bot.channels import DeliveryFailed, RetryLater
from bot.channels import slack_postable as postable
from bot.channels.slack_send import slack_user
from bot.engine.timers import backup_of
from bot.model import Actor, Reply, is_placeholder
from bot.store import group, iso, jobs, runs, transaction, transcript
from bot.store.runs import RunRow

if TYPE_CHECKING:
    from bot.channels.slack_turns import Turns

NAME = "slack"

log = logging.getLogger("decisionbot.slack")

#: The events (or ``message`` subtypes) that say the bot can no longer read or post in a channel, and why.
LOST = {"channel_left": "removed", "group_left": "removed", "channel_archive": "archived", "group_archive": "archived"}
#: Seconds Slack is given to say whether a channel an event says the bot lost still takes its posts
#: (``conversations.info``): inside Slack's 3 s for the event, beside the lookup of who did it (1 s).
VERIFY_WITHIN = 1.0
#: The events (or ``message`` subtypes) that say the channel may take the bot again: unarchived;
#: ``member_joined_channel`` of the bot itself (invited back) is read apart.
BACK = frozenset({"channel_unarchive", "group_unarchive"})


@dataclass(frozen=True)
class Lost:
    """A channel the bot lost: ``why`` ``removed`` or ``archived``, ``by`` whom (a Slack user id)."""

    channel: str
    why: str
    by: str | None


def lost(event: Mapping[str, Any]) -> Lost | None:
    """The channel ``event`` says the bot lost; None for any other event."""
    kind = event.get("type")
    if kind == "message":  # the channel's own "archived the channel" message (message.channels)
        kind = event.get("subtype")
    why = LOST.get(kind) if isinstance(kind, str) else None
    channel = event.get("channel")
    if why is None or not isinstance(channel, str) or not channel:
        return None
    by = event.get("actor_id") if why == "removed" else event.get("user")
    return Lost(channel, why, by if isinstance(by, str) and by else None)


def back(event: Mapping[str, Any], bot_user: str | None) -> str | None:
    """The channel ``event`` says the bot is back in (invited back, or the channel unarchived); None otherwise."""
    kind = event.get("type")
    if kind == "message":
        kind = event.get("subtype")
    channel = event.get("channel")
    if not isinstance(kind, str) or not isinstance(channel, str) or not channel:
        return None  # (a subtype that is no string is refused as malformed further on)
    if kind == "member_joined_channel":
        return channel if bot_user is not None and event.get("user") == bot_user else None
    return channel if kind in BACK else None


def token_gone(event: Mapping[str, Any], bot_user: str | None) -> str | None:
    """The event's type when it says the bot token no longer works; None otherwise (a user
    token revoked, which the bot does not use)."""
    kind = event.get("type")
    if kind == "app_uninstalled":
        return kind
    if kind == "tokens_revoked":
        tokens = event.get("tokens")
        bots = tokens.get("bot") if isinstance(tokens, Mapping) else None
        if isinstance(bots, list) and (bot_user is None or bot_user in bots):
            return kind
    return None


def open_runs(conn: sqlite3.Connection, channel: str) -> list[RunRow]:
    """The open runs living in Slack channel ``channel`` (in its threads or the channel itself)."""
    return runs.open_in(conn, f"slack:{channel}")


def open_channels(conn: sqlite3.Connection) -> list[str]:
    """The Slack channels (not direct messages) open runs live in, for the bot to be invited back to."""
    rows = conn.execute(
        "SELECT DISTINCT substr(conversation, 7, instr(substr(conversation, 7) || '/', '/') - 1) FROM runs"
        " WHERE status IN ('active', 'stalled') AND conversation LIKE 'slack:%' AND conversation NOT LIKE 'slack:D%'"
        " ORDER BY 1"
    ).fetchall()
    return [str(r[0]) for r in rows]


def tell(conn: sqlite3.Connection, gone: Lost, by: Actor | None, now: datetime) -> tuple[int, int]:
    """Keep a ``channel_lost`` transition for each open run of the channel and queue what its
    lead is told; (runs, people told). In the caller's transaction. A run told already, whose
    last transition is this one (the event and its ``message`` twin), is left as it is."""
    where = f"slack:{gone.channel}"
    name = by.name if by is not None else None
    leads: dict[str, tuple[Actor, bool, list[RunRow]]] = {}
    count = 0
    for row in open_runs(conn, gone.channel):
        last = conn.execute("SELECT event FROM transitions WHERE run_id = ? ORDER BY id DESC LIMIT 1", (row.id,))
        if (last.fetchone() or [None])[0] == "channel_lost":
            continue
        count += 1
        conn.execute(
            "INSERT INTO transitions (run_id, source, target, event, actor_id, at) VALUES (?, ?, ?, 'channel_lost', ?, ?)",
            (row.id, row.state, row.state, by.id if by is not None else None, iso(now)),
        )
        lead, backup = _lead(row)
        if lead is None:
            log.warning(texts.slack_lost_nobody(where, row.id, gone.why))
            continue
        leads.setdefault(lead.id, (lead, backup, []))[2].append(row)
    for lead, backup, led in leads.values():
        if len(led) == 1:
            row = led[0]
            asks, stalled = _asks(conn, row), row.status == "stalled"
            text = texts.slack_lost_run(row.id, _title(row), where, gone.why, name, asks, backup, stalled)
        else:
            runs_led, stalled_ones = [(r.id, _title(r)) for r in led], tuple(r.id for r in led if r.status == "stalled")
            text = texts.slack_lost_runs(runs_led, where, gone.why, name, backup, stalled_ones)
        reply = Reply(led[0].id, led[0].conversation, text, to=lead, kind=notices.NOTICE, private=True)
        payload = {"notice": {"about": f"conversation {led[0].conversation}", "message": 0}}  # as a refusal's
        runs.queue_replies(conn, [reply], iso(now), json.dumps(payload))  # each loss told: one a loss, guarded above
    if count:
        log.info(texts.slack_lost_log(where, gone.why, name, count, len(leads)))
    return count, len(leads)


def ask_again(conn: sqlite3.Connection, channel: str, now: datetime) -> int:
    """The bot back in ``channel``: each open run there that lost it (its last transition
    ``channel_lost``, or its latest message there given up) keeps a ``channel_back`` transition,
    and its questions asked there are asked again now, a reminder to those people alone (what was
    typed there meanwhile never reached the bot), instead of at its next reminder. How many runs."""
    count = 0
    for row in open_runs(conn, channel):
        if not _lost_here(conn, row):
            continue
        count += 1
        conn.execute(
            "INSERT INTO transitions (run_id, source, target, event, actor_id, at) VALUES (?, ?, ?, 'channel_back', NULL, ?)",
            (row.id, row.state, row.state, iso(now)),
        )
        there = [who for who, private in _asked(conn, row) if not private]
        if there and row.status == "active":
            jobs.add_job(conn, row.id, "remind", now, {"since": iso(now), "to": sorted(there)}, now)
    if count:
        log.info(texts.slack_back_log(f"slack:{channel}", count))
    return count


def _lost_here(conn: sqlite3.Connection, row: RunRow) -> bool:
    """Whether the run lost its channel: told so (its last transition ``channel_lost``), or its
    latest message there given up since the channel last came back (the bot back once asks once:
    the channel unarchived, its message twin and the bot invited back are one return)."""
    last = conn.execute("SELECT event FROM transitions WHERE run_id = ? ORDER BY id DESC LIMIT 1", (row.id,))
    if (last.fetchone() or [None])[0] == "channel_lost":
        return True
    latest = conn.execute(
        "SELECT failed_at FROM messages WHERE run_id = ? AND direction = 'out' AND conversation = ? AND private = 0"
        " ORDER BY id DESC LIMIT 1",
        (row.id, str(row.conversation)),
    ).fetchone()
    if latest is None or latest[0] is None:
        return False
    came_back = conn.execute(
        "SELECT max(at) FROM transitions WHERE run_id = ? AND event = 'channel_back'", (row.id,)
    ).fetchone()[0]
    return came_back is None or str(latest[0]) > str(came_back)


def _asked(conn: sqlite3.Connection, row: RunRow) -> list[tuple[str, bool]]:
    """Each person a question of the run waits on, and whether it was put to them alone (a direct message)."""
    found: dict[str, bool] = {}
    for prompt in row.context.prompts:
        who = prompt.to["id"]
        if prompt.asked and who not in found:
            found[who] = transcript.asked_privately(conn, row.id, who)
    return list(found.items())


def _lead(row: RunRow) -> tuple[Actor | None, bool]:
    """Who is told of the run: its facilitator, else (an alert's run nobody has taken) the
    trigger's backup; either only when the bot can write to them directly. (lead, as backup)"""
    fac = row.context.facilitator
    if not is_placeholder(fac.id):
        return (fac, False) if slack_user(fac) is not None else (None, False)
    backup = backup_of(row.context.trigger.get("escalate_to"))
    return (backup, True) if backup is not None and slack_user(backup) is not None else (None, False)


def _title(row: RunRow) -> str:
    return str(row.context.trigger.get("title") or row.flow_id)


def _asks(conn: sqlite3.Connection, row: RunRow) -> str:
    """What the run waits for, by whom and where (the facilitator's own question quoted)."""
    fac = row.context.facilitator
    question: str | None = None
    anyone: str | None = None  # an alert's question nobody has taken: whoever answers first, in the channel
    direct: list[str] = []
    there: list[str] = []
    seen: set[str] = set()
    for prompt in row.context.prompts:
        who = prompt.actor
        if not prompt.asked or who.id in seen:
            continue
        seen.add(who.id)
        asked = conn.execute(
            "SELECT text, private FROM messages WHERE run_id = ? AND direction = 'out' AND kind = 'prompt'"
            " AND actor_id = ? ORDER BY id DESC LIMIT 1",
            (row.id, who.id),
        ).fetchone()
        private = bool(asked and asked[1])
        if who.id == fac.id and not private and asked is not None and is_placeholder(fac.id):
            anyone = texts.notice_question(str(asked[0]))
        elif who.id == fac.id and not private and asked is not None:
            question = texts.notice_question(str(asked[0]))
        else:
            (direct if private else there).append("you" if who.id == fac.id else who.name)
    return texts.slack_lost_asks(question, direct, there, anyone)


async def on_lost(turns: Turns, gone: Lost, event_id: str) -> None:
    """A channel lost, told once: Slack's retry of the event (its id, dropped before Slack is asked
    anything) and the event's ``message`` twin add nothing. Slack is asked first whether the bot
    still posts there (``still_postable``: the event delivered late, after the bot's return); whoever
    did it is named as the people cache knows them (looked up once, meanwhile)."""
    if turns._seen(f"event:{event_id}"):  # (checked again in the write: a twin delivery racing this one)
        return
    postable_now, by = await asyncio.gather(still_postable(turns, gone), _who(turns, gone))
    if postable_now:
        return
    turns.poster.postable.refused(gone.channel, "is_archived" if gone.why == "archived" else "not_in_channel")
    await group.writable(turns.services.db.conn)
    with transaction(turns.services.db) as conn:
        now = turns.dispatcher.clock()
        if runs.seen_delivery(conn, NAME, f"event:{event_id}", now):
            return
        _, told = tell(conn, gone, by, now)
    if told:
        turns.count_replies(told)  # the notices, once committed
        turns.services.notify(NAME)


async def still_postable(turns: Turns, gone: Lost) -> bool:
    """Whether Slack says now (``conversations.info``, ``VERIFY_WITHIN`` s at most) that the bot is
    in the channel and it is not archived: the removal or the archiving was delivered after the bot
    was invited back, or the channel unarchived (Slack retries an event for an hour, and Socket Mode
    redelivers after a reconnection). Then nothing is lost: one debug line. Slack that cannot tell
    (a scope missing, out of reach, slow, the token refused) leaves the event believed, as before."""
    try:
        problem = await postable.asked(turns.poster.side, gone.channel, VERIFY_WITHIN)
    except (RetryLater, DeliveryFailed) as exc:
        log.debug(texts.slack_lost_unverified(f"slack:{gone.channel}", gone.why, str(exc)))
        return False
    if problem is not None:
        return False
    turns.poster.postable.works(gone.channel)
    log.debug(texts.slack_lost_stale(f"slack:{gone.channel}", gone.why))
    return True


async def _who(turns: Turns, gone: Lost) -> Actor | None:
    """Who removed the bot or archived the channel, as the people cache knows them."""
    if not gone.by:
        return None
    key = f"{NAME}:{gone.by}"
    found = await turns.people.ensure([key])
    return found[key].actor if key in found else Actor(key, gone.by)


async def on_back(turns: Turns, channel: str, event_id: str) -> None:
    """The bot back in a channel, once an event (Slack's retry adds nothing); the scheduler sends
    the reminders it queued within its next second."""
    turns.poster.postable.works(channel)  # a start there posts its root again
    await group.writable(turns.services.db.conn)
    with transaction(turns.services.db) as conn:
        now = turns.dispatcher.clock()
        if runs.seen_delivery(conn, NAME, f"event:{event_id}", now):
            return
        ask_again(conn, channel, now)
