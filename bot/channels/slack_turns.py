"""What every Slack turn shares, whatever brought it (an event, a slash command, a click): the speaker
and the people its text names (fetched once, with what names no one person), a command carried out
once in the savepoint that records its delivery id, the prompts an answer took redrawn, the outbox
woken and the backlog counted once committed. :class:`bot.channels.slack_inbound.Inbound` builds on it."""

from __future__ import annotations

import contextlib
from datetime import date
from functools import partial

from bot import texts
from bot.channels import Services
from bot.channels import slack_blocks as blocks
from bot.channels import slack_members as members
from bot.channels import slack_messages as messages
from bot.channels.slack_limits import Backlog
from bot.channels.slack_posted import shown_value
from bot.channels.slack_send import Poster
from bot.channels.slack_withdraw import PLACEHOLDER
from bot.control import CommandResult, run_command, started_run
from bot.dispatch import TurnResult
from bot.engine.asking import taken_value
from bot.model import Actor, ConversationKey
from bot.store import group, one_statement, runs, starts, transaction
from bot.store import slack as store
from bot.store.people import People

NAME = "slack"


#: (run, person) notes a server remembers having said; beyond, the oldest are forgotten (such a note
#: may then come twice, as after a restart), so a server up for months does not grow with every run
TOLD_AT_MOST = 10_000


def remember(told: dict[tuple[int, str], tuple[object, ...]], key: tuple[int, str], what: tuple[object, ...]) -> None:
    """Note in ``told`` that ``key`` was told ``what``, forgetting the oldest past TOLD_AT_MOST."""
    told.pop(key, None)
    told[key] = what
    while len(told) > TOLD_AT_MOST:
        del told[next(iter(told))]


def _refuses(services: Services, channel: str, code: str) -> None:
    """Slack refused the bot's posts in ``channel`` for good (``code``): the routes naming it say so."""
    services.refuses_posts(NAME, channel, texts.slack_refusal(code, False), texts.slack_remedy(code))


class Turns:
    home = messages.Home()  # the bot token's installation (the channel sets it once known)
    bot_name: str | None = None  # the bot user's name (auth.test's), as Slack shows its mentions

    def __init__(self, services: Services, poster: Poster, people: People, backlog: Backlog, bot_user: str | None):
        self.services = services
        self.dispatcher = services.dispatcher
        self.poster = poster
        poster.postable.takes = lambda channel: services.takes_posts(NAME, channel)  # its routes leave routes_refused
        poster.postable.refuses = partial(_refuses, services)  # ... and join it at once
        self.people = people
        self.backlog = backlog
        self.bot_user = bot_user
        # (run, person) -> the question they were told to answer in its thread, not the channel: once each
        self.told_beside: dict[tuple[int, str], tuple[object, ...]] = {}
        # (run, person) told its thread goes on after a DM answer
        self.told_direct: dict[tuple[int, str], tuple[object, ...]] = {}

    async def _people(self, user: str, text: str) -> tuple[Actor, dict[str, Actor]]:
        """The speaker and the people ``text`` mentions, with names (fetched once)."""
        ids = [user, *(u for u in messages.mention_ids(text) if u != self.bot_user)]
        found = await self.people.ensure(f"slack:{u}" for u in ids)
        await group.writable(self.services.db.conn)  # what the caller writes next waits here, not on the loop
        actors = {u: found[f"slack:{u}"].actor if f"slack:{u}" in found else Actor(f"slack:{u}", u) for u in ids}
        if self.bot_user and self.bot_name:  # the bot named (as a participant, an owner): by its name, not its id
            actors.setdefault(self.bot_user, Actor(f"slack:{self.bot_user}", self.bot_name))
        return actors[user], messages.mentions(text, actors)

    def _not_people(self, raw: str, mentions: dict[str, Actor]) -> dict[str, str]:
        """What ``raw`` (as Slack sent it) names that is not one person who can take part: a group,
        a channel, everyone, the bot (:func:`messages.not_people`), another app's bot user (``app``:
        ``users.info`` says ``is_bot``, or Slackbot), and a person whose account is deactivated
        (``users.info`` says ``deleted``): they can neither answer nor own anything."""
        kinds = {word: self.people.kind(actor.id) for word, actor in mentions.items()}
        return {**{w: k for w, k in kinds.items() if k}, **messages.not_people(raw, mentions, self.bot_user)}

    def _after_turn(self, result: TurnResult | None, actor: Actor, answer: str) -> None:
        """Redraw the prompts the answer took (no second click) with the answer the run took,
        and wake the outbox."""
        if result is None:
            return
        self.count_replies(len(result.outbox))
        skipped = any(a["kind"] == "skip" and a["actor"] == actor.id for a in result.outcome.answers)
        if result.outcome.inbound_kind == "answer" or skipped:  # (a skip, taken, is the question's answer too)
            now = self.dispatcher.clock()
            value = taken_value(result.outcome, actor.id)
            answer = texts.slack_skipped() if skipped else answer
            answered = []
            taken = store.prompts_answered_by(self.services.db.conn, result.run_id, actor.id, PLACEHOLDER.id)
            if taken:  # an answer that takes none (a question without widgets) opens no savepoint, one no pair
                with (one_statement if len(taken) == 1 else transaction)(self.services.db) as conn:
                    for row in taken:
                        shown = shown_value(value, row.expects, answer)
                        if value is True and (due := _due_moved(result, actor)):  # "yes, by next friday"
                            shown = texts.slack_yes_due_moved(shown, due)
                        if store.answer_prompt(conn, row.channel, row.ts, actor.id, shown, now):
                            answered.append((row, shown))
            for row, shown in answered:
                self.poster.update_later(row.channel, row.ts, blocks.answered(row.text, actor.platform_id, shown))
        self.services.notify(NAME)

    def _unnamed(self, done: CommandResult) -> frozenset[str]:
        """Whom the answer names by their ids, of the runs it speaks of: live mentions."""
        return self.poster.unnamed_of(done.text, done.about)

    def _links(self, done: CommandResult) -> dict[int, str]:
        """The threads of the Slack runs the answer speaks of (``list``, ``status N``), by run:
        a link each, built from the workspace's address (none known: no links)."""
        if not self.home.url:
            return {}
        found = {}
        for run_id in done.about:
            row = runs.load_run(self.services.db.conn, run_id)
            where = row.conversation if row is not None else None
            if where is None or where.channel != NAME:
                continue
            # a run whose first question became its thread's root (an alert's, a start paced in a burst)
            # keeps the bare channel in runs.conversation: its thread is the one slack_threads holds
            thread = where.thread or store.run_thread(self.services.db.conn, run_id, where.conversation)
            if thread:
                found[run_id] = blocks.thread_link(self.home.url, where.conversation, thread)
        return found

    def _after_command(self, done: CommandResult) -> None:
        turn = done.started or done.cancelled
        if turn is not None:
            self.count_replies(len(turn.outbox))
            self.services.notify(NAME)
        if done.queued_on is not None:  # e.g. 'done A12' tells the decision's conversation
            if done.queued_on == NAME:
                self.count_replies(1)
            self.services.notify(done.queued_on)

    def _warn_absent(
        self,
        run_id: int,
        channel: str,
        user: str,
        thread: str | None,
        mentions: dict[str, Actor],
        others: dict[str, str] | None,
    ) -> None:
        """Run ``run_id`` just started by ``user`` in ``channel`` (its thread ``thread``): who of the
        people it names cannot see it, told to ``user`` once it is stored (off the request)."""
        people = members.participants(mentions, others or {}, user, self.bot_user)
        if people:
            self.poster.spawn(members.warn_absent(self.poster, run_id, channel, user, thread, people))

    def _with_unseen(
        self, done: CommandResult, told: list[str], user: str, mentions: dict[str, Actor], others: dict[str, str]
    ) -> list[str]:
        """The answer ``told`` to a command typed in the bot's direct message with ``user``: when it
        started a run there, where nobody else can be, its last part says whom else the run names,
        who cannot see it (no call to Slack)."""
        people = members.participants(mentions, others, user, self.bot_user)
        if done.started is None or not people or not told:
            return told
        named = [blocks.mention(p.platform_id) for p in people]
        return [*told[:-1], f"{told[-1]}\n{texts.slack_people_not_in_channel(done.started.run_id, named, True)}"]

    def count_replies(self, replies: int) -> None:
        """The backlog counts a turn's replies once they are committed: a turn rolled back (its
        request failed, or a neighbour's in its group commit) queued nothing that will be sent."""
        if replies:
            group.on_commit(self.services.db.conn, partial(self.backlog.add, replies))

    def _once(
        self,
        platform_id: str,
        actor: Actor,
        conversation: ConversationKey,
        text: str,
        mentions: dict[str, Actor],
        not_people: dict[str, str] | None = None,
        said: starts.StartSaid | None = None,
    ) -> CommandResult | None:
        """Carry out a command in the savepoint that records its delivery id, with the thread of a
        run it starts: when it fails the id goes too, so Slack's retry is carried out. None for a
        retry of a command carried out already. A start in a thread that belongs to a run by now
        (another start in it won the race over ``users.info``, or its run ended) starts nothing.
        ``said``: a start as the transcript of the run it starts keeps it (:mod:`bot.store.starts`)."""
        with transaction(self.services.db) as conn:
            now = self.dispatcher.clock()
            if runs.seen_delivery(conn, NAME, platform_id, now):
                return None
            thread = conversation.thread
            held = store.thread_holder(conn, conversation.conversation, thread) if thread else None
            if held is not None:
                return CommandResult(texts.slack_thread_has_run(held), ok=False)
            via = messages.command_via(platform_id, conversation.conversation)
            command = partial(run_command, self.dispatcher, actor, conversation, text, mentions, not_people, via)
            done = starts.kept_start(conn, said, conversation, platform_id, command, started_run)
            if done.started is not None and conversation.thread:
                store.add_thread(conn, conversation.conversation, conversation.thread, done.started.run_id, now)
            return done

    def _seen(self, platform_id: str) -> bool:
        return store.delivered(self.services.db.conn, NAME, platform_id)


def _due_moved(result: TurnResult, actor: Actor) -> date | None:
    """The due date ``actor``'s yes moved their action to in this turn ("yes, by next friday"): the
    date their yes corrected, whatever the flow calls its field (the engine's ``_due_of``)."""
    moved = [a for a in result.outcome.answers if a["actor"] == actor.id and a["kind"] == "correction"]
    with contextlib.suppress(ValueError, TypeError):
        return date.fromisoformat(str(moved[-1]["value"])) if moved else None
    return None
