"""Which open run a typed message belongs to when it names none (a direct message, a Teams chat,
a Rasa conversation): one place for every channel, so a person asked by two runs at once is
never answered for silently.

In order: ``#12 yes`` answers run 12 when it waits on its writer; a reply to a question (a Slack
thread of a question in a direct message) answers that question's run while it still waits on
them; else the run of the message's own conversation takes it (of several there, the one waiting
on its writer); else the one run waiting on its writer in that channel. When two or more wait there, or ``#12`` names a run that does not wait on
them, nothing is answered: :class:`Unplaced` lists the questions waiting (for the channel to ask
which one is meant); so when the run of the conversation waits on them and another run asked them
there too (its owner's question in their personal chat, where a run of their own waits on them).
A message placed teaches the run the people it names (:func:`claim`).
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot import texts
from bot.model import ConversationKey, Message, placeholder_facilitator
from bot.store import iso
from bot.store.runs import RUN_COLUMNS, RunRow, load_run

#: ``#12 yes`` (also ``#12: yes``): run 12 and the answer. No command starts so (a command starts
#: with its verb: ``status #12``), nor does a Slack channel link (``<#C123|name>``).
_TAGGED = re.compile(r"#(\d{1,18}):?\s+(\S.*)", re.S)


@dataclass(frozen=True)
class Asking:
    """A question waiting on someone: its run, the run's title and the question as last asked."""

    run_id: int
    title: str
    question: str


@dataclass(frozen=True)
class Unplaced:
    """A typed message no run takes: several runs wait on its writer and it names none of them,
    or it names by ``#N`` a run (``named``) that does not wait on them. ``asking``: what waits."""

    asking: list[Asking]
    named: int | None = None

    def told(self, buttons: str | None, thread: bool = False) -> str:
        """What its writer is told (plain text): the questions waiting and how to answer one, by
        the channel's ``buttons`` (None: none that name their run), a ``thread`` reply (Slack)
        or ``#N answer``."""
        listed = [(a.run_id, a.title, a.question) for a in self.asking]
        first = self.asking[0].run_id if self.asking else (self.named or 1)
        return texts.which_question(listed, self.named, texts.which_ways(first, buttons, thread))


@dataclass(frozen=True)
class Placed:
    """The run a message answers, and its answer (without a ``#N`` naming the run)."""

    row: RunRow
    text: str


def tagged(text: str) -> tuple[int, str] | None:
    """``#12 yes``: (12, "yes"); None for text that names no run so."""
    found = _TAGGED.fullmatch(text.strip())
    return (int(found[1]), found[2].strip()) if found else None


def place(
    conn: sqlite3.Connection,
    conversation: ConversationKey,
    actor_id: str,
    text: str,
    replying_to: int | None = None,
) -> Placed | Unplaced | None:
    """The run a typed message by ``actor_id`` answers (see the module's docstring); None when
    none is open there and none waits on them. ``replying_to``: the run whose question it replies to."""
    named = tagged(text)
    own = run_of_conversation(conn, conversation, actor_id)
    if own is not None and named is None and replying_to is None:
        # a run living elsewhere asking them here too (a group chat's run asking its owner in
        # their personal chat, where a run of its own waits on them): nobody's, as when no run
        # lives there (runs living here share it by run_of_conversation's rule)
        others = asked_here_by_others(conn, conversation, actor_id)
        if not others:
            return Placed(own, text)  # the common case: one more query, reading no run's context
        anyone = placeholder_facilitator(conversation.channel).id
        waits = own.context.prompt_for(actor_id) is not None or own.context.prompt_for(anyone) is not None
        asked = [row for run_id in sorted(others) if (row := load_run(conn, run_id)) is not None]
        both = ([own] if waits else []) + asked
        return Placed(both[0], text) if len(both) == 1 else Unplaced(asking(conn, both, actor_id))
    waiting = runs_waiting_on(conn, conversation.channel, actor_id)
    if named is not None and (row := _among(waiting, named[0])) is not None:
        return Placed(row, named[1])
    if replying_to is not None and (row := _among(waiting, replying_to)) is not None:
        return Placed(row, text)
    if own is not None:
        return Placed(own, text)
    if named is not None:
        return Unplaced(asking(conn, waiting, actor_id), named[0])
    if len(waiting) > 1:
        return Unplaced(asking(conn, waiting, actor_id))
    return Placed(waiting[0], text) if waiting else None


def asked_here_by_others(conn: sqlite3.Connection, conversation: ConversationKey, actor_id: str) -> set[int]:
    """The open runs living in another conversation that wait on ``actor_id`` and asked them their
    latest question in ``conversation``. Read off the runs' columns alone (no run's context is
    parsed): on every typed message with a run of its own conversation."""
    rows = conn.execute(
        "SELECT id FROM runs WHERE status IN ('active', 'stalled') AND channel = ? AND conversation != ?"
        " AND instr(waiting_on, ?) > 0",
        (conversation.channel, str(conversation), f" {actor_id} "),
    ).fetchall()
    return {run_id for (run_id,) in rows if asked_here(conn, run_id, actor_id, conversation)}


def asked_here(conn: sqlite3.Connection, run_id: int, actor_id: str, conversation: ConversationKey) -> bool:
    """Whether the run's latest question to ``actor_id`` was said in ``conversation``."""
    said = conn.execute(
        "SELECT conversation FROM messages WHERE run_id = ? AND direction = 'out' AND kind = 'prompt'"
        " AND actor_id = ? ORDER BY id DESC LIMIT 1",
        (run_id, actor_id),
    ).fetchone()
    return said is not None and said[0] == str(conversation)


def _among(rows: list[RunRow], run_id: int) -> RunRow | None:
    return next((row for row in rows if row.id == run_id), None)


def run_of_conversation(conn: sqlite3.Connection, conversation: ConversationKey, actor_id: str) -> RunRow | None:
    """The open run living in the conversation that waits on ``actor_id`` or on whoever speaks
    first (a triggered run that named nobody; the newest of them), else the newest open run there:
    runs sharing a conversation (two facilitators' in one Teams group chat, a review started beside
    a meeting's run) each get their own people's answers. A handover's run (``give A12 @person``)
    lives in the decision's conversation but asks one person alone: only whom it waits on finds
    it, so it never takes what others say there."""
    anyone = placeholder_facilitator(conversation.channel).id
    row = conn.execute(
        f"SELECT {RUN_COLUMNS} FROM runs WHERE conversation = ? AND status IN ('active', 'stalled')"
        " AND json_extract(context, '$.trigger.handover') IS NULL"
        " ORDER BY (instr(waiting_on, ?) > 0 OR instr(waiting_on, ?) > 0) DESC, id DESC LIMIT 1",
        (str(conversation), f" {actor_id} ", f" {anyone} "),
    ).fetchone()
    return RunRow.from_row(row) if row else None


def runs_waiting_on(conn: sqlite3.Connection, channel: str, actor_id: str) -> list[RunRow]:
    """The open runs of ``channel`` waiting for this person's answer, oldest first."""
    rows = conn.execute(
        f"SELECT {RUN_COLUMNS} FROM runs WHERE status IN ('active', 'stalled') AND channel = ?"
        " AND instr(waiting_on, ?) > 0 ORDER BY id",
        (channel, f" {actor_id} "),
    ).fetchall()
    return [RunRow.from_row(row) for row in rows]


def closed_for(conn: sqlite3.Connection, channel: str, actor_id: str, now: datetime | None = None) -> str | None:
    """Why nothing waits on ``actor_id`` in ``channel`` when another's answer closed their question
    in an open run there (``complete_when: any``): who answered first and with what (or that their
    question was handed to the facilitator), for a late answer typed where nothing takes it; None otherwise. Off the hot path: only once nothing
    took the message."""
    row = conn.execute(
        f"SELECT {RUN_COLUMNS} FROM runs WHERE status IN ('active', 'stalled') AND channel = ?"
        " AND json_extract(context, ?) IS NOT NULL ORDER BY id DESC LIMIT 1",
        (channel, f'$.closed."{actor_id}"'),
    ).fetchone()
    if row is not None and (note := RunRow.from_row(row).context.late_note(actor_id)):
        return note
    return ended_for(conn, channel, actor_id, now)


#: How many of a channel's newest runs :func:`ended_for` looks through for the one that asked last.
_RECENT_RUNS = 50
#: How long after someone answered their latest question words typed where nothing waits are told
#: it has their answer (rather than taken for a command no one knows).
JUST_ANSWERED = timedelta(minutes=15)


def ended_for(conn: sqlite3.Connection, channel: str, actor_id: str, now: datetime | None = None) -> str | None:
    """That the run which asked ``actor_id`` their latest question in ``channel`` ended before
    they answered it (cancelled, or completed without them): a 'yes' typed after a cancel is
    told so, naming the run, instead of being taken for a command. Given ``now``: that it has
    their answer already, when they gave it within :data:`JUST_ANSWERED` (a card clicked, then
    'yes, by Friday' typed), or that it was cancelled, when it was that lately (not by them). None otherwise.
    Off the hot path: only once nothing took the message."""
    latest: tuple[int, RunRow] | None = None
    for row in conn.execute(
        f"SELECT {RUN_COLUMNS} FROM runs WHERE channel = ? ORDER BY id DESC LIMIT ?", (channel, _RECENT_RUNS)
    ).fetchall():
        asked = latest_asked(conn, row[0], actor_id)
        if asked is not None and (latest is None or asked > latest[0]):
            latest = (asked, RunRow.from_row(row))
    if latest is None:
        return None
    return question_fate(conn, latest[1], actor_id, latest[0], None if now is None else iso(now - JUST_ANSWERED))


def latest_asked(conn: sqlite3.Connection, run_id: int, actor_id: str) -> int | None:
    """The id of the latest question run ``run_id`` put to ``actor_id``; None when it never asked them.
    A question withdrawn unsent (a Rasa sender's, given up when the run ended or moved on before they
    called: ``superseded: ...``, ``withdrawn: ...``) never reached them: they were told on every
    later message that the run "was cancelled before you answered" a question they never saw."""
    found: int | None = conn.execute(
        "SELECT max(id) FROM messages WHERE run_id = ? AND direction = 'out' AND actor_id = ? AND kind = 'prompt'"
        " AND NOT (delivered_at IS NULL AND failed_at IS NOT NULL"
        " AND (last_error LIKE 'superseded:%' OR last_error LIKE 'withdrawn:%'))",
        (run_id, actor_id),
    ).fetchone()[0]
    return found


def question_fate(conn: sqlite3.Connection, run: RunRow, actor_id: str, asked: int, since: str | None) -> str | None:
    """What became of question ``asked`` of ``run`` to ``actor_id``, for words of theirs nothing takes:
    the run ended before they answered; or, for an answer they gave at or after ``since`` (``''``:
    whenever; None: not told), that it has their answer, or was cancelled after it (lately:
    at or after ``since`` too). None when there is no news for them (they cancelled it themselves)."""
    title = str(run.context.trigger.get("title") or run.flow_id)
    answered = conn.execute(
        "SELECT max(created_at) FROM messages WHERE run_id = ? AND direction = 'in' AND actor_id = ? AND id > ?"
        " AND kind = 'answer'",
        (run.id, actor_id, asked),
    ).fetchone()[0]
    if (
        run.status == "cancelled"
        and conn.execute(
            "SELECT 1 FROM transitions WHERE run_id = ? AND event = 'cancel' AND actor_id = ?", (run.id, actor_id)
        ).fetchone()
    ):
        return None  # they cancelled it themselves: no news to them
    if answered is None:
        return (
            texts.run_ended_unanswered(run.id, title, run.status) if run.status in ("completed", "cancelled") else None
        )
    if since is None:
        return None
    if run.status == "cancelled":  # after their answer: cancelled lately, it is that they are told
        ended = conn.execute("SELECT completed_at FROM runs WHERE id = ?", (run.id,)).fetchone()[0]
        return texts.run_ended_unanswered(run.id, title, run.status, answered=True) if (ended or "") >= since else None
    return texts.question_answered_already(run.id, title) if answered >= since else None


def asking(conn: sqlite3.Connection, rows: list[RunRow], actor_id: str) -> list[Asking]:
    """What each of ``rows`` asks this person: the question as the outbox last queued it for them."""
    found = []
    for row in rows:
        prompt = row.context.prompt_for(actor_id)
        asked = actor_id
        if prompt is None:  # a run waiting on whoever speaks first (an alert's naming no one)
            asked = placeholder_facilitator(row.conversation.channel).id
            prompt = row.context.prompt_for(asked)
        question = conn.execute(
            "SELECT text FROM messages WHERE run_id = ? AND direction = 'out' AND actor_id = ? AND kind = 'prompt'"
            " AND step IS ? ORDER BY id DESC LIMIT 1",
            (row.id, asked, prompt.step if prompt else None),
        ).fetchone()
        title = str(row.context.trigger.get("title") or row.flow_id)
        found.append(Asking(row.id, title, str(question[0]) if question else ""))
    return found


def claim(conn: sqlite3.Connection, row: RunRow, message: Message, now: datetime) -> Message:
    """The people a message names (its speaker, whom it mentions) learnt where the run knew
    them only by their platform ids (a trigger's). A triggered run that named no facilitator:
    the first person to speak in it takes the role. Returns the message with its speaker named
    as the run knows them when their platform gave only their id, so that the transcript and
    the report name them as the run's actions do; so are the people it mentions (Rasa's ``@bob``
    from a tracker that has no ``decision_participants``)."""
    ctx = row.context
    actor = ctx.named(message.actor)
    mentions = {token: ctx.named(person) for token, person in message.mentions.items()}
    message = replace(message, actor=actor, mentions=mentions)
    for person in (actor, *message.mentions.values()):
        ctx.learn(person)
    placeholder = ctx.facilitator
    if not ctx.trigger.get("claimable") or actor.id == placeholder.id:
        return message
    ctx.trigger.pop("claimable")
    ctx.trigger["facilitator"] = actor.name
    ctx.roles["facilitator"] = actor.to_dict()
    for prompt in ctx.prompts:
        if prompt.to["id"] == placeholder.id:
            prompt.to = actor.to_dict()
    conn.execute("UPDATE runs SET facilitator_id = ? WHERE id = ?", (actor.id, row.id))
    if ctx.trigger.pop("lead_left", None):  # taking over from one who left: for analysts
        conn.execute(  # once: a turn taken again after TransitionNotAllowed claims again
            "INSERT INTO transitions (run_id, source, target, event, actor_id, at) SELECT ?, ?, ?, 'take', ?, ?"
            " WHERE NOT EXISTS (SELECT 1 FROM transitions WHERE run_id = ? AND event = 'take' AND at = ?)",
            (row.id, row.state, row.state, actor.id, iso(now), row.id, iso(now)),
        )
    return message
