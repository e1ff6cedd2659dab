"""The bot removed from a team or a chat, or a channel deleted, while runs live there: Teams says so
in a ``conversationUpdate`` (``membersRemoved`` holding the bot, ``channelData.eventType``
``teamMemberRemoved`` / ``channelDeleted``) or an ``installationUpdate`` (``action: remove``). The
conversations the bot can no longer post in are marked uninstalled, with why (``refused``: the ledger's
one record of why the bot cannot post somewhere, :mod:`bot.channels.teams_store`), and the facilitator of each open
run living in one is told at once, in their personal chat, which run and what to do, instead of
when its next message is refused (a reminder, hours later). A team's channels are found by the team
id their conversation reference keeps (``teamId``; a channel first seen before it was kept: the
team's General channel only, whose id is the team's). A route naming one of them is listed in
``/healthz`` (``routes_refused``) at once, with its fix (``Services.refuses_posts``), and leaves it
when the bot is added back, the channel restored (``channelRestored``), or the bot heard from there
(``Services.takes_posts``: :func:`back`); heard from, a conversation a post was refused 403 in stays
refused (the bot is there, which does not say it may post): the app added back lifts it."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot import notices, texts
from bot.channels import teams_activities as acts
from bot.model import Reply, is_placeholder
from bot.store import iso, runs


def removal(body: Mapping[str, Any], inbound: acts.Inbound) -> str:
    """Why this activity says the bot is out of its conversation (and, in a team, the team's
    channels): ``team-app`` / ``chat-app``, the app uninstalled (``installationUpdate``, ``action:
    remove``); ``team`` / ``chat``, the bot removed (``conversationUpdate``, the bot in
    ``membersRemoved``: ``teamMemberRemoved`` in a team); "" when it says neither."""
    if body.get("action") == "remove":
        uninstalled = True
    elif any(isinstance(m, Mapping) and m.get("id") == inbound.bot["id"] for m in body.get("membersRemoved") or []):
        uninstalled = False
    else:
        return ""
    where = "team" if inbound.conversation_type == "channel" else "chat"
    return f"{where}-app" if uninstalled else where


def gone(conn: sqlite3.Connection, body: Mapping[str, Any], inbound: acts.Inbound) -> tuple[list[str], str]:
    """The conversations (bare ids) still marked installed that this activity says the bot can no
    longer post in, and why (``channel``, or as :func:`removal`); ([], "") for any other activity."""
    data = body.get("channelData") if isinstance(body.get("channelData"), Mapping) else {}
    assert isinstance(data, Mapping)
    if data.get("eventType") == "channelDeleted":
        channel = data.get("channel")
        deleted = channel.get("id") if isinstance(channel, Mapping) else None
        return (_installed(conn, [str(deleted)]), "channel") if isinstance(deleted, str) and deleted else ([], "")
    why = removal(body, inbound)
    if not why:
        return [], ""
    if inbound.conversation_type != "channel":
        return _installed(conn, [inbound.base_id]), why
    team = data.get("team")
    team_id = str(team.get("id")) if isinstance(team, Mapping) and team.get("id") else inbound.base_id
    rows = conn.execute(
        "SELECT conversation_id FROM teams_conversations WHERE installed = 1 AND conversation_type = 'channel'"
        " AND (conversation_id = ? OR json_extract(reference, '$.teamId') = ?)",
        (team_id, team_id),
    ).fetchall()
    return sorted({str(r[0]) for r in rows} | set(_installed(conn, [inbound.base_id]))), why


def back(conn: sqlite3.Connection, body: Mapping[str, Any], inbound: acts.Inbound) -> tuple[list[str], list[str]]:
    """The conversations (bare ids) this activity says the bot is in again, and those of them Teams
    said take its posts again (:func:`returned` marks them; the rest are only heard from:
    ``TeamsStore.remember``): the app added to a team (its channels, but those Teams said were
    deleted: ``deleted_at``), or to a chat: all said; a channel restored (``channelRestored``, said
    in the team's General channel): the channel said, General heard from; else, any activity from a
    conversation, that one heard from (the bot hears only where it is)."""
    data = body.get("channelData") if isinstance(body.get("channelData"), Mapping) else {}
    assert isinstance(data, Mapping)
    if data.get("eventType") == "channelDeleted" or removal(body, inbound):
        return [], []
    if data.get("eventType") == "channelRestored":
        channel = data.get("channel")
        restored = [str(channel["id"])] if isinstance(channel, Mapping) and channel.get("id") else []
        return sorted({*restored, inbound.base_id}), restored
    added = body.get("action") == "add" or any(
        isinstance(m, Mapping) and m.get("id") == inbound.bot["id"] for m in body.get("membersAdded") or []
    )
    team = data.get("team")
    if not added or inbound.conversation_type != "channel" or not isinstance(team, Mapping) or not team.get("id"):
        return [inbound.base_id], [inbound.base_id] if added else []
    rows = conn.execute(
        "SELECT conversation_id, installed, deleted_at FROM teams_conversations WHERE conversation_type = 'channel'"
        " AND (conversation_id = ? OR json_extract(reference, '$.teamId') = ?)",
        (str(team["id"]), str(team["id"])),
    ).fetchall()
    channels = sorted({str(r[0]) for r in rows if r[1] or r[2] is None} | {inbound.base_id})
    return channels, channels


def returned(conn: sqlite3.Connection, conversations: list[str], now: datetime) -> None:
    """Mark ``conversations`` (a team's channels or a chat, the app added back to it, or a channel
    restored) installed again, not deleted, and taking posts (a post refused there before, 403 too:
    the app added back is what its fix says); those Teams said were deleted are among them only
    when restored."""
    conn.executemany(
        "UPDATE teams_conversations SET installed = 1, deleted_at = NULL, refused = NULL, updated_at = ?"
        " WHERE conversation_id = ? AND (installed = 0 OR refused IS NOT NULL)",
        [(iso(now), c) for c in conversations],
    )


def _installed(conn: sqlite3.Connection, ids: list[str]) -> list[str]:
    marks = ",".join("?" * len(ids))
    sql = f"SELECT conversation_id FROM teams_conversations WHERE installed = 1 AND conversation_id IN ({marks})"
    return [str(r[0]) for r in conn.execute(sql, ids).fetchall()]


def tell(conn: sqlite3.Connection, conversations: list[str], why: str, now: datetime) -> list[int]:
    """Mark ``conversations`` uninstalled, ``why`` as their ``refused`` (``deleted_at`` too when ``why`` is a
    deleted ``channel``, so that the app added back to its team does not bring it back) and queue, for each open run living
    in one, a notice to its facilitator (in their personal chat); the ids queued. In the caller's
    transaction."""
    deleted = iso(now) if why == "channel" else None
    conn.executemany(
        "UPDATE teams_conversations SET installed = 0, updated_at = ?, deleted_at = ?, refused = ?"
        " WHERE conversation_id = ?",
        [(iso(now), deleted, why, c) for c in conversations],
    )
    queued: list[int] = []
    for conversation in conversations:
        for row in runs.open_in(conn, str(acts.key_for(conversation))):
            fac = row.context.facilitator
            if fac.channel != acts.CHANNEL or is_placeholder(fac.id):  # nobody leads it yet: nobody to tell
                continue
            title = str(row.context.trigger.get("title") or row.flow_id)
            text = texts.teams_run_conversation_gone(row.id, title, why)
            reply = Reply(row.id, row.conversation, text, to=fac, kind=notices.NOTICE, private=True)
            told = notices.write(conn, notices.Notice(0, f"removed {row.conversation}", fac, reply), now)
            queued += [told] if told is not None else []
    return queued
