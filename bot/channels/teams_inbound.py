"""Teams activities, once their token verified and their fields checked, turned into turns: the
people and conversation remembered, messages to the dispatcher or the shared commands (:mod:`bot.control`),
card submits and invokes checked against their card (:mod:`bot.channels.teams_stale`), edits and deletions
(:mod:`bot.channels.teams_edits`); a command's answer posted off the request, once committed. Built by the
Teams channel when it starts (:mod:`bot.channels.teams`), with its connector and outbound."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any, TypeVar

from aiohttp import web

from bot import notices, texts
from bot.bounded import CACHED_AT_MOST, Bounded
from bot.channels import Services, teams_edits, teams_picked, teams_removed, teams_stale
from bot.channels import teams_activities as acts
from bot.channels import teams_cards as cards
from bot.channels.teams_connector import Connector
from bot.channels.teams_delivery import TeamsOutbound
from bot.channels.teams_posts import Card
from bot.channels.teams_store import Reference, TeamsStore
from bot.control import CommandResult, actions_of, answers_words, comes_first, run_command_kept
from bot.dispatch import TurnResult
from bot.errors import BotError
from bot.model import CHAT, Actor, Message, placeholder_facilitator
from bot.store import group, group_requests, names, runs, transaction, widgets
from bot.store.placing import Unplaced
from bot.store.widgets import Refusal

T = TypeVar("T")

#: Tries of an answer to a command (list, status, help ...) refused for now: not in the outbox (no run owns it).
SAY_TRIES = 4


#: Seconds an activity answering a post of the bot waits for that post to be stored when it came
#: before the Bot Connector's answer to the post (a card, a run's thread: stored with the id that
#: answer gives); under Teams' 15 s.
POSTED_WITHIN = 10.0

#: The kinds of an inbound message a run did not take (``Outcome.inbound_kind``): a card submit of
#: one is answered "Not taken: see my reply." on the card, not "Got it.".
NOT_TAKEN = ("invalid", "refused", "closed")

#: How many (run, person) pairs told 'Taken for run #N' are remembered (the least recently told forgotten).
TOLD_AT_MOST = CACHED_AT_MOST


def named_id(activity: dict[str, Any], base_id: str) -> str:
    """The conversation an activity's name is of (:func:`bot.channels.teams_activities.conversation_name`):
    the channel ``channelData.channel`` names with it (a channel created or renamed is told in the
    team's General channel, the activity's conversation), else the activity's own (``base_id``)."""
    data = activity.get("channelData")
    channel = data.get("channel") if isinstance(data, dict) else None
    if not isinstance(channel, dict):
        return base_id
    name, found = channel.get("name"), channel.get("id")
    named = isinstance(name, str) and name.strip() and isinstance(found, str) and found
    return str(found) if named else base_id


class TeamsInbound:
    name = acts.CHANNEL

    def __init__(
        self,
        services: Services,
        store: TeamsStore,
        connector: Connector,
        outbound: TeamsOutbound,
        spawn: Callable[[Coroutine[Any, Any, None]], None],
    ):
        self.services = services
        self.store = store
        self.connector = connector
        self.outbound = outbound
        self._spawn = spawn
        self.told_here: Bounded[tuple[int, str], None] = Bounded(TOLD_AT_MOST)  # (run, person) told: taken here

    async def take(self, inbound: acts.Inbound, body: dict[str, Any]) -> web.Response:
        """One checked activity: remembered, then carried out by its kind; 201 once its turn is stored."""
        await group.writable(self.services.db.conn)  # another process's write lock waited for off the loop
        gone, why = teams_removed.gone(self.services.db.conn, body, inbound) if inbound.kind == "install" else ([], "")
        back, said = teams_removed.back(self.services.db.conn, body, inbound)  # (before this one is marked back)
        self._remember(inbound, body)
        named = [(acts.key_for(named_id(body, inbound.base_id)).conversation, inbound.conversation_name)]
        names.learnt(self.services.db, acts.CHANNEL, named, self.services.dispatcher.clock())  # for analysts
        if said:  # the app added back to a team (its channels with it) or a chat, or a channel restored
            with transaction(self.services.db) as conn:
                teams_removed.returned(conn, said, self.services.dispatcher.clock())
            self.store.forget()
        self._tell_routes(gone, why, back)
        if gone:  # the bot removed from a team or chat, a channel deleted: the runs there told of at once
            with transaction(self.services.db) as conn:
                told = teams_removed.tell(conn, gone, why, self.services.dispatcher.clock())
            self.store.forget()  # the conversations' installed flags, changed beside remember()
            if told:
                self.services.notify(self.name)
        if inbound.kind == "invoke":
            return await self._invoke(inbound, body)
        if inbound.kind == "ignore":  # an edit or a deletion of a message a run has: kept, its writer told
            note = teams_edits.kept(self.services.db, body, inbound, self.services.dispatcher.clock())
            if note is not None:
                self._say(inbound, inbound.activity_id, note, teams_edits.mentioned(body, inbound))
        elif inbound.kind == "submit" and not self._seen(inbound):
            await self._submit(inbound, body)
        elif inbound.kind == "message" and inbound.addressed and not self._seen(inbound):
            await self._message(inbound)
        return web.Response(status=201)

    def _tell_routes(self, gone: list[str], why: str, back: list[str]) -> None:
        """The routes naming a conversation the bot was removed from (or deleted) join ``/healthz``'s
        ``routes_refused`` at once, with the fix; those naming one it is back in, or heard from, leave it
        when the ledger says it takes posts now (heard from, one a post was refused 403 in does not)."""
        said, fix = texts.teams_route_refused(why) if gone else ("", "")
        for conversation in gone:
            self.services.refuses_posts(self.name, acts.key_for(conversation).conversation, said, fix)
        for conversation in back:
            if self.store.refusal(conversation) is None:
                self.services.takes_posts(self.name, acts.key_for(conversation).conversation)

    def _remember(self, inbound: acts.Inbound, body: dict[str, Any]) -> None:
        i = inbound
        ref = Reference(i.base_id, i.conversation_type, i.service_url, i.tenant_id, i.bot["id"], i.bot["name"])
        people: list[tuple[Actor, str | None]] = [(inbound.actor, inbound.aad_object_id)] if inbound.actor else []
        named = list(inbound.message.mentions.values()) if inbound.message is not None else []
        people.extend((who, None) for who in named)
        mentioned = frozenset(w.platform_id for w in named if w != inbound.actor)  # their personal chat is elsewhere
        for member in body.get("membersAdded") or []:
            if member.get("id") and member["id"] != inbound.bot["id"]:
                people.append((acts.actor(member), member.get("aadObjectId")))
        removed = teams_removed.removal(body, inbound)
        now = self.services.dispatcher.clock()
        self.store.remember(ref, lambda: acts.reference_of(body), people, now, removed, mentioned)
        left = [
            m["id"]
            for m in body.get("membersRemoved") or []
            if isinstance(m, dict) and m.get("id") not in (None, i.bot["id"])
        ]
        if left:
            self.store.forget_members(i.base_id, left)
        if inbound.actor is not None and inbound.timezone:
            self.store.set_zone(inbound.actor.platform_id, inbound.timezone)

    def _seen(self, inbound: acts.Inbound) -> bool:
        # Ids stored before deliveries were keyed by conversation were bare activity ids: a platform retry of
        # one of those is still dropped (new ids, later timestamps, never match; forget_deliveries drops them).
        row = self.services.db.conn.execute(
            "SELECT 1 FROM deliveries WHERE platform = ? AND delivery_id IN (?, ?)",
            (self.name, inbound.delivery_id or "", inbound.activity_id or ""),
        ).fetchone()
        return row is not None

    def _taken_before(self, delivery_id: str | None) -> bool:
        """Whether the submit first delivered as ``delivery_id`` was taken (an answer, a command)."""
        row = self.services.db.conn.execute(
            "SELECT kind FROM messages WHERE direction = 'in' AND channel = ? AND platform_id = ?",
            (self.name, delivery_id or ""),
        ).fetchone()
        return row is not None and row[0] not in NOT_TAKEN

    def _first_delivery(self, delivery_id: str | None) -> bool:
        if not delivery_id:
            return True
        with transaction(self.services.db) as conn:
            return not runs.seen_delivery(conn, self.name, delivery_id, self.services.dispatcher.clock())

    async def _message(self, inbound: acts.Inbound) -> None:
        message = inbound.message
        assert message is not None
        if not message.text.strip() and acts.carries_file(message.raw or {}):  # a file, a picture: not an answer
            if self._first_delivery(message.platform_id):
                self._say(inbound, inbound.activity_id, texts.teams_text_only())
            return
        message = replace(message, text=message.text.strip() or "help")  # the bot's mention alone: help
        bot = self.services.dispatcher
        if comes_first(message.text, bot.catalog.current, actions_of(bot, message.actor.id)):
            self._command(inbound, message)
            return
        run_id = None
        if inbound.conversation_type == "channel":
            if inbound.thread and inbound.thread != inbound.activity_id:  # a reply in a thread, not a new post
                run_id = await self._run_in_thread(inbound.base_id, inbound.thread)
            await group.writable(self.services.db.conn)  # (the group may have committed while it waited)
            if run_id is None:
                self._command(inbound, message)
                return
        with transaction(self.services.db):  # no run found: the command shares the turn's savepoint
            result = bot.handle(message, run_id) if run_id is not None else bot.answer(message)
            if isinstance(result, Unplaced) and answers_words(message.text):  # "hlep", "thanks!", "staus 3"
                result = None  # answered as such, not with the questions waiting
            if result is None:
                self._command(inbound, message, dedup=False)
        if isinstance(result, Unplaced):  # several questions wait on them: which one (listed in private only)
            private = inbound.conversation_type == "personal"
            self._say(inbound, inbound.activity_id, result.told("card") if private else texts.teams_which_in_private())
        elif result is not None:
            self._after_turn(result, message)
            if inbound.conversation_type == "personal":
                self._taken_for_elsewhere(inbound, result, message.actor)

    def _taken_for_elsewhere(self, inbound: acts.Inbound, result: TurnResult, actor: Actor) -> None:
        """An answer typed in the personal chat to a run living in a channel's thread or a group chat,
        whose next question to its writer went there: said here, once a run (the chat shows nothing
        of it else), unless that conversation refuses the bot (the question then follows them here)."""
        outcome = result.outcome
        asked = [r for r in outcome.replies if r.kind == "prompt" and not r.private and r.to and r.to.id == actor.id]
        if outcome.inbound_kind != "answer" or not asked or (result.run_id, actor.id) in self.told_here:
            return
        conn = self.services.db.conn
        row = runs.load_run(conn, result.run_id)
        if row is None or row.conversation.channel != acts.CHANNEL or acts.base_of(row.conversation) == inbound.base_id:
            return
        if notices.told_lately(conn, row.id, f"conversation {row.conversation}", self.services.dispatcher.clock()):
            return
        self.told_here[(result.run_id, actor.id)] = None
        title = cards.escape(str(row.context.trigger.get("title") or row.flow_id))
        in_thread = self.store.thread_of(row.id, acts.base_of(row.conversation)) is not None
        self._say(inbound, inbound.activity_id, texts.teams_taken_for_elsewhere(row.id, title, in_thread))

    def _command(self, inbound: acts.Inbound, message: Message, dedup: bool = True) -> None:
        """Carry out a command in the savepoint that records its delivery id (``dedup`` False: the turn it is
        nested in recorded it): a command whose turn fails leaves no id, so Teams' retry is carried out."""
        key = acts.key_for(inbound.base_id)  # a channel run gets its thread at its first delivery (or where started)
        dispatcher = self.services.dispatcher
        with transaction(self.services.db) as conn:
            delivery = message.platform_id if dedup else None
            if delivery and runs.seen_delivery(conn, self.name, delivery, dispatcher.clock()):
                return
            try:
                result = run_command_kept(dispatcher, conn, message, key, CHAT)
            except BotError as exc:  # e.g. a review of a decision not in the ledger (the id stays)
                result = CommandResult(str(exc), ok=False)
            if result.started is not None and inbound.thread not in (None, inbound.activity_id):  # in a reply chain
                self.store.adopt_thread(result.started.run_id, inbound.base_id, inbound.thread, dispatcher.clock())
        if result.queued_on is not None:  # e.g. 'done A12' tells the decision's conversation
            self.services.notify(result.queued_on)
        if result.started is not None or result.cancelled is not None:
            self.services.notify(self.name)
            return
        if result.private and inbound.conversation_type != "personal":
            status = message.text.split(maxsplit=1)[0].lower() == "status"  # else 'actions'
            self._spawn(self._tell_alone(inbound, message.actor, result.text, status))
            return
        thread_run = self.store.run_in_thread(inbound.base_id, inbound.thread or "")
        if not result.told_where_typed(acts.key_for(inbound.base_id, inbound.thread), thread_run):
            # a refusal where others read it ('cancel 22' by someone else) @mentions whom it is for
            to = inbound.actor if result.refused_writer and inbound.conversation_type != "personal" else None
            self._say(inbound, inbound.activity_id, result.text, to)  # else the notice to the decision is the one

    def _say(self, inbound: acts.Inbound, reply_to: str | None, text: str, to: Actor | None = None) -> None:
        """Answer a command in its own conversation (in a channel: in its thread), off the request:
        once what the request wrote is committed (a lost commit answers 503 and Teams sends the
        activity again, so the answer goes out once), retrying 429, 5xx and network errors."""
        said = cards.text_messages(inbound.bot, inbound.conversation_id, text, to)  # to: @mentioned
        self._spawn(self._say_later(inbound.service_url, inbound.conversation_id, reply_to, said))

    async def _say_later(self, service_url: str, conversation: str, reply_to: str | None, said: list[dict]) -> None:
        """Post ``said`` (an answer, or the parts of a long one, in order) once committed."""
        try:
            await group_requests.request_stored()
        except sqlite3.Error:
            return  # not stored: the request was answered 5xx and comes again
        for activity in said:
            await self.connector.say(service_url, conversation, reply_to, activity, SAY_TRIES)

    async def _tell_alone(self, inbound: acts.Inbound, person: Actor, text: str, status: bool = False) -> None:
        """An answer for its caller alone (their actions) asked in a channel or a group chat: to
        their personal chat, once committed (as :meth:`_say`); where they asked, a short pointer
        to it, or that it could not be had."""
        try:
            await group_requests.request_stored()
        except sqlite3.Error:
            return  # not stored: the request was answered 5xx and comes again
        told = await self.outbound.tell_alone(person, inbound.base_id, text, SAY_TRIES)
        pointer = texts.teams_told_alone(status) if told else texts.teams_not_told_alone(status)
        self._say(inbound, inbound.activity_id, pointer)

    async def _submit(self, inbound: acts.Inbound, body: dict[str, Any]) -> TurnResult | None:
        """A card's Action.Submit: its value becomes the typed answer, for the engine to check.
        The card is checked after the last await (the picked person's name): a second submit of
        it, arriving meanwhile (a double click), then finds it answered and changes nothing."""
        value = inbound.value or {}
        run_id, message_id = acts.card_ref(value)
        reply_to = None if message_id else body.get("replyToId")
        seen = await self._posted_card(message_id, reply_to)
        people: dict[str, Actor] = {}
        if seen is not None and not seen.answered:
            people = await teams_picked.people_in(self.store, self.connector, self.services, value, seen, inbound)
        await group.writable(self.services.db.conn)
        card = self.store.card(message_id, reply_to)
        assert inbound.actor is not None
        anyone = placeholder_facilitator(self.name).id
        conn = self.services.db.conn
        refused = teams_stale.refusal(conn, card, inbound.base_id, inbound.actor.id, anyone, run_id)
        text, mentions = acts.submitted_answer(value, card.expects if card else None, people)
        if refused is not None:
            self._refuse(inbound, body.get("id"), card, refused, text)
            return None
        assert card is not None
        where = acts.key_for(inbound.base_id, inbound.thread)
        message = Message(where, inbound.actor, text, inbound.delivery_id, value=value, mentions=mentions, raw=body)
        result = self.services.dispatcher.handle(message, card.run_id)
        if result is not None:
            self._after_turn(result, message, card)
        return result

    async def _posted_card(self, message_id: int | None, reply_to: str | None) -> Card | None:
        """The card a submit answers; one shown in Teams before the connector answered its post (its
        outbox message not marked sent) waited for."""
        posting = "id = ?" if message_id is not None else ""
        return await self._once_posted(lambda: self.store.card(message_id, reply_to), posting, message_id)

    async def _run_in_thread(self, base_id: str, root_id: str) -> int | None:
        """The run whose thread ``root_id`` is; one opened in Teams before the connector answered
        the post that opens it (a message of the channel's outside any thread being sent for the
        first time: not one refused for now, retried for up to a day) waited for."""
        where, posting = str(acts.key_for(base_id)), "conversation = ? AND retry_since IS NULL"
        return await self._once_posted(lambda: self.store.run_in_thread(base_id, root_id), posting, where)

    async def _once_posted(self, found: Callable[[], T | None], posting: str, arg: object) -> T | None:
        """``found()``; while None and an outbox message of this channel matching ``posting`` (SQL,
        one argument ``arg``) is still to be marked sent or given up, again, POSTED_WITHIN at most."""
        sql = (
            f"SELECT 1 FROM messages WHERE {posting} AND direction = 'out' AND channel = ?"
            " AND delivered_at IS NULL AND failed_at IS NULL LIMIT 1"
        )
        conn, loop = self.services.db.conn, asyncio.get_running_loop()
        deadline = loop.time() + POSTED_WITHIN
        value = found()
        while value is None and posting and loop.time() < deadline:
            if conn.execute(sql, (arg, self.name)).fetchone() is None:
                break
            await asyncio.sleep(0.05)
            value = found()
        return value

    def _refuse(self, inbound: acts.Inbound, reply_to: str | None, card: Card | None, no: Refusal, said: str) -> None:
        """A submit that answers nothing: kept in the transcript with its card's question (a stale
        card closed), told once (a retry of the delivery adds nothing)."""
        closed = False
        if card is None or inbound.actor is None:
            first = self._first_delivery(inbound.delivery_id)
        else:
            where, who = acts.key_for(inbound.base_id, inbound.thread), inbound.actor
            with transaction(self.services.db) as conn:
                now = self.services.dispatcher.clock()
                first = widgets.refused(conn, card.message_id, who, where, said, inbound.delivery_id, no.why, now)
                closed = no.stale and self.store.close_card(card.message_id, now)
            if closed:  # redrawn, saying so: it kept its inputs for good (asked again since, by a reminder)
                self._spawn(self.outbound.replace_card(card, cards.closed_card(card.card, cards.card_text(no.told))))
        if first:  # where others read it (a thread, a group chat), it names whom it is for
            to = inbound.actor if inbound.conversation_type != "personal" else None
            self._say(inbound, reply_to, no.told, to)

    def _after_turn(self, result: TurnResult, message: Message, submitted: Card | None = None) -> None:
        """Wake the outbox; show the answer on the cards it answered (the submitted one too, when
        it asked someone else: the placeholder facilitator of a run its first speaker claimed)."""
        self.services.notify(self.name)
        outcome = result.outcome
        mine = [a for a in outcome.answers if a.get("actor") == message.actor.id]
        skipped = any(a["kind"] == "skip" for a in mine)  # (a skip taken is the card's answer too)
        if (outcome.inbound_kind != "answer" and not skipped) or not outcome.inbound_step:
            return
        now = self.services.dispatcher.clock()
        closed = self.store.close_cards(result.run_id, outcome.inbound_step, message.actor.id, now)
        if submitted is not None and self.store.close_card(submitted.message_id, now):
            closed.append(submitted)
        # an older card of the step, left open by 'back' (the due date's, when the owner was asked
        # again): moved past, not answered with this answer (it showed the owner as its due date)
        newest = max((c.message_id for c in closed), default=0)
        for card in closed:
            if card is not submitted and card.message_id != newest:
                since = cards.card_text(texts.teams_card_asked_since())
                self._spawn(self.outbound.replace_card(card, cards.closed_card(card.card, since)))
                continue
            # the answer to the card's question: the turn's first of its step (a list typed at once
            # records the items after it: "Alpha task\nBeta task" then a date showed "answered: Beta task")
            value = next((a["value"] for a in mine if a.get("step") == card.step), mine[0]["value"] if mine else None)
            shown = texts.teams_skipped() if skipped else cards.answer_display(value, card.expects, result.text)
            self._spawn(self.outbound.update_card(card, message.actor.name, shown))

    async def _invoke(self, inbound: acts.Inbound, body: dict[str, Any]) -> web.Response:
        """Invokes are answered in the HTTP response; an Action.Execute counts as a submit."""
        if inbound.name != "adaptiveCard/action":
            return web.json_response({"error": texts.teams_unknown_invoke(inbound.name or "")}, status=501)
        if self._seen(inbound):  # a retry: as the first was taken
            taken = self._taken_before(inbound.delivery_id)
        else:  # refused, or an answer that does not fit: the reply says why, the note on the card not "Got it."
            result = await self._submit(inbound, body)
            taken = result is not None and result.outcome.inbound_kind not in NOT_TAKEN
        done = {"statusCode": 200, "type": "application/vnd.microsoft.activity.message"}
        return web.json_response(
            {**done, "value": texts.teams_invoke_done() if taken else texts.teams_invoke_refused()}
        )
