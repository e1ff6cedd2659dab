"""``/decision start`` as a slash command: the thread's root posted in the channel, then the run
started in that thread, all within Slack's 3 s, or, when the command came with Slack's
``response_url``, within what :mod:`bot.channels.slack_late` gives it (its outcome told there once
known: any slash command so); a root whose run is not stored taken back. In a
burst (the channel's pacing foresees Slack's 429), a start posts no root of its own: its run starts
in the channel itself unless the roots under way there, or one lately, learnt that Slack refuses the
bot's posts there for good (:mod:`bot.channels.slack_postable`): then it is told so, as they are,
and nothing is started. A start's outcome is a plain value (:mod:`bot.channels.slack_start_outcome`)
each surface words as its own; the start (the command, the form's choice, a mention) and its root
begin the run's transcript (:mod:`bot.store.starts`).
:class:`bot.channels.slack_slash_clicks.SlashesAndClicks` builds on it."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial

from bot import texts
from bot.channels import DeliveryFailed, RetryLater
from bot.channels import slack_blocks as blocks
from bot.channels import slack_messages as messages
from bot.channels.slack_start_outcome import Refused, Started, StartOutcome, root_refused
from bot.channels.slack_turns import NAME, Turns
from bot.model import Actor, ConversationKey
from bot.store import group, starts
from bot.store import slack as store

#: Seconds a ``/decision start`` may take in all (the person's name, the thread's root): Slack
#: shows the user an error after 3 s even when the command went through.
SLASH_BUDGET = 2.5
#: Seconds of SLASH_BUDGET kept for starting the run once the roots under way in its channel are
#: answered (a start in a burst waits on them).
START_TIME = 0.5


def starts_a_run(text: str) -> bool:
    """Whether a command typed to the bot (``start FLOW ...``, any case) starts a run."""
    words = text.split(maxsplit=1)
    return bool(words) and words[0].lower() == "start"


class SlashStarts(Turns):
    """The slash command's starts, each with the thread's root it posts (or, in a burst, none)."""

    def came_at(self, arrived: float) -> datetime:
        """The ledger's time of an instant of the loop's clock (``arrived``: when a request came)."""
        return self.dispatcher.clock() - timedelta(seconds=max(0.0, asyncio.get_running_loop().time() - arrived))

    def _typed_start(
        self, form: dict[str, str], command: messages.Slash, actor: Actor, arrived: float
    ) -> starts.StartSaid:
        """``/decision start ...`` as the transcript keeps it: the command as typed (its people by
        name), when it came; its payload the command's name and text as Slack sent them."""
        name = form.get("command") or texts.slack_command_name()
        payload = {"type": "slash_command", "command": name, "text": form.get("text", "")}
        return starts.StartSaid(actor, f"{name} {command.text}", self.came_at(arrived), payload)

    def _message_start(self, said: messages.Said, actor: Actor, text: str, came: datetime) -> starts.StartSaid:
        """``@decisionbot start ...``, or ``start ...`` typed to the bot in a direct message, as the
        transcript keeps it: the bot named as Slack showed it (its installed name) when it was named,
        the words after it (its people by name), when it came; its payload how it came (an
        ``app_mention``, a message to the bot)."""
        payload = {"type": said.kind, "channel": said.channel, "ts": said.ts, "text": said.text}
        named = f"{texts.slack_mention_name(self.bot_name)} " if said.kind == "app_mention" or said.mentions_bot else ""
        return starts.StartSaid(actor, f"{named}{text}", came, payload)

    async def _slash_start(
        self,
        command: messages.Slash,
        said: starts.StartSaid,
        mentions: dict[str, Actor],
        flow_id: str,
        title: str,
        arrived: float,
        others: dict[str, str] | None = None,
        budget: float = SLASH_BUDGET,
    ) -> StartOutcome:
        """Post the thread's root in the channel, then start the run in that thread; all within
        ``budget`` of the command's arrival (SLASH_BUDGET: Slack shows an error after 3 s; more
        when the answer can come later, at the command's response_url: ``slack_late``). The root is
        deleted again when the run is not stored: its turn fails, it did not start, or the group
        commit holding it is lost (Slack does not retry a slash command); so is a root Slack posts
        only after the command gave up waiting for it (and answered that nothing was started).
        ``said``: the start as the run's transcript keeps it (the root it posted added)."""
        flow = self.dispatcher.catalog.get(flow_id)
        root = texts.slack_run_root(blocks.mention(command.user), blocks.escape(flow.title), blocks.escape(title))
        until = arrived + budget  # a 429 is waited out when the post can still be made by then
        asked_at = self.dispatcher.clock()
        posting = asyncio.ensure_future(self.poster.post_now(command.channel, root, until))
        self.poster.postable.track(command.channel, posting)  # what Slack says of it, the burst's others learn
        try:
            left = budget - (asyncio.get_running_loop().time() - arrived)
            ts = await asyncio.wait_for(asyncio.shield(posting), max(0.5, left))
        except asyncio.CancelledError:  # stopped (a server stopping: slack_late): a root it makes is taken back
            self.poster.spawn_to_finish(self._take_back(command.channel, posting))
            raise
        except (RetryLater, DeliveryFailed, TimeoutError) as exc:
            if isinstance(exc, RetryLater) and exc.rate_limited:  # Slack's pace, not a failure: no root
                return await self._start_unrooted(command, said, mentions, others, until)
            reason = exc.code or str(exc) if isinstance(exc, DeliveryFailed) else str(exc)
            if isinstance(exc, TimeoutError):  # the post goes on: a root it makes after all is taken back
                self.poster.spawn_to_finish(self._take_back(command.channel, posting))
                reason = texts.slack_post_timed_out()
            return root_refused(reason, command.between_people)
        plain = texts.slack_run_root(said.actor.name or command.user, flow.title, title)
        rooted = replace(said, root=starts.Posted(ts, plain, asked_at, self.dispatcher.clock()))
        return await self._start_run(command, rooted, mentions, others, ts)

    async def _start_unrooted(
        self,
        command: messages.Slash,
        said: starts.StartSaid,
        mentions: dict[str, Actor],
        others: dict[str, str] | None,
        until: float,
    ) -> StartOutcome:
        """A start in a burst, with no root of its own: its run starts in the channel, unless the
        roots under way there (waited on) or one lately learnt that Slack refuses the bot's posts
        there for good; then it is told so, as they are, and nothing is started (nor kept)."""
        left = until - START_TIME - asyncio.get_running_loop().time()
        try:
            refused = await self.poster.postable.refusal(command.channel, left)
        except TimeoutError:  # Slack has not said yet whether the channel takes the bot's posts
            refused = texts.slack_post_timed_out()
        if refused is not None:
            return root_refused(refused, command.between_people)
        return await self._start_run(command, said, mentions, others, None)

    async def _start_run(
        self,
        command: messages.Slash,
        said: starts.StartSaid,
        mentions: dict[str, Actor],
        others: dict[str, str] | None,
        root: str | None,
    ) -> StartOutcome:
        """Start the run of a ``/decision start`` in the thread of ``root`` (its ts), or, with no root
        (Slack takes no more messages in the channel for now: a burst of starts), in the channel
        itself: its first question becomes its thread's root when Slack takes it, as for a run an
        alert starts, and the caller is told why it comes later. A root whose run is not stored
        (its turn fails, it did not start, its group commit is lost) is deleted again."""
        conversation = ConversationKey(NAME, command.channel, root)
        try:
            await group.writable(self.services.db.conn)
            done = self._once(command.platform_id, said.actor, conversation, command.text, mentions, others, said)
        except Exception:
            self._delete_root(command.channel, root)
            raise
        if done is None or done.started is None:  # a repeat of a command carried out, or no run
            self._delete_root(command.channel, root)
            return None if done is None else Refused(done.text, self._unnamed(done))
        grouped = group.installed(self.services.db.conn)
        if grouped is not None and root is not None:
            grouped.after_commit(lambda: self._delete_root_unless_stored(command.channel, root))
        self._after_command(done)
        self._warn_absent(done.started.run_id, command.channel, command.user, root, mentions, others)
        return Started(done.started.run_id, done.text, self._unnamed(done), paced=root is None)

    def _delete_root_unless_stored(self, channel: str, ts: str) -> None:
        """After the commit (or its loss): a root whose run's thread is not in the ledger goes."""
        if store.thread_run(self.services.db.conn, channel, ts) is None:
            self._delete_root(channel, ts)

    def _delete_root(self, channel: str, ts: str | None) -> None:
        """Take back the "started" root of a run that was not stored (off the request); none: nothing."""
        if ts is not None:
            self.poster.spawn(self._delete(channel, ts))

    async def _take_back(self, channel: str, posting: asyncio.Future[str]) -> None:
        """A root posted after its command had given up (and said nothing was started) goes."""
        try:
            ts = await posting
        except (RetryLater, DeliveryFailed):
            return  # never posted
        await self._delete(channel, ts)

    async def _delete(self, channel: str, ts: str) -> None:
        await self.poster.retried("chat.delete", partial(self.poster.side.chat_delete, channel=channel, ts=ts), channel)
