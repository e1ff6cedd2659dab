"""The Slack form that starts a decision, opened and submitted: ``/decision start`` with no flow, the
Home tab's "Start a decision" button and the global shortcut ``start_decision`` open it
(``views.open``, at once: the trigger id they carry is good for 3 s); its ``view_submission`` is
checked field by field (:mod:`bot.channels.slack_modal`), and the run started as the
``/decision start FLOW <@people> title`` it stands for is (:class:`SlashStarts`: the thread's root
posted first, a channel that refuses the bot's posts answered under the channel field, anything
else that started nothing (Slack slow or refusing the post, the ledger busy) on a view pushed over the form, the run kept
as started ``via`` ``modal``), all within Slack's 3 s. A submission Slack sends again while the first
is under way gets the first's answer; once its run is stored, the ledger's delivery id closes it.

Where Slack would not open the form (``expired_trigger_id``, a refusal, a 429, no answer in time),
the person is told the command's syntax instead: in the slash command's answer, on their Home tab,
or by direct message (the shortcut). A run started from the form is said "Started" as a slash
command's is: privately in its channel, or by direct message when the form came from no channel."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

from bot import texts
from bot.channels import DeliveryFailed, RetryLater
from bot.channels import slack_blocks as blocks
from bot.channels import slack_messages as messages
from bot.channels import slack_modal as modal
from bot.channels import slack_start_outcome as outcomes
from bot.channels.slack_calls import call, json_call
from bot.channels.slack_events import Answer, Malformed, as_dict
from bot.channels.slack_starts import SlashStarts
from bot.control import start_arguments
from bot.model import Actor
from bot.start_command import participants_missing
from bot.store import write_lock
from bot.store.starts import StartSaid

log = logging.getLogger("decisionbot.slack")

#: Seconds ``views.open`` is given: the trigger id it needs is good for 3 s from the click.
OPEN_WITHIN = 2.0
#: Submissions under way whose retries wait for their answer, at most (a retry beyond waits for none).
UNDER_WAY_MOST = 1_000


def asks_form(payload: Mapping[str, Any]) -> bool:
    """Whether a ``block_actions`` payload is the Home tab's "Start a decision" button."""
    found = payload.get("actions")
    first = as_dict(found[0]) if isinstance(found, list) and found else {}
    return first.get("action_id") == modal.HOME_START


def _user(payload: Mapping[str, Any]) -> str:
    user = as_dict(payload.get("user")).get("id")
    if not isinstance(user, str) or not user:
        raise Malformed(f"{payload.get('type')} without user.id")
    return user


def _trigger(payload: Mapping[str, Any]) -> str:
    trigger = payload.get("trigger_id")
    if not isinstance(trigger, str) or not trigger:
        raise Malformed(f"{payload.get('type')} without trigger_id")
    return trigger


class FormStarts:
    """The form of the Slack channel's turns (:class:`bot.channels.slack_inbound.Inbound`);
    ``home_note``: a note on a person's Home tab (the form not opened from it)."""

    def __init__(self, turns: SlashStarts, home_note: Callable[[str, str], None]) -> None:
        self.turns = turns
        self.home_note = home_note
        self.under_way: dict[str, asyncio.Future[Answer]] = {}  # by submission key

    def flows(self) -> list[tuple[str, str]]:
        """The flows a ``/decision start`` may start (id, title), as the form lists them."""
        catalog = self.turns.dispatcher.catalog
        return [(flow, catalog.current[flow].title) for flow in catalog.startable_in_chat()]

    async def _open(self, trigger_id: str, user: str, origin: modal.Origin) -> str | None:
        """Open the form for ``user``: None once Slack did, else why not (Slack's error)."""
        request = json_call(self.turns.poster.client, "views.open", trigger_id=trigger_id, view=self._form(origin))
        try:
            await call(request, OPEN_WITHIN)
        except RetryLater as exc:  # (ChannelDown among them: the token refused)
            late = isinstance(exc.__cause__, TimeoutError)
            error = "ratelimited" if exc.rate_limited else texts.slack_post_timed_out() if late else exc.reason
        except DeliveryFailed as exc:
            error = exc.code or str(exc)
        else:
            return None
        log.warning(texts.slack_modal_not_opened(user, error))
        return error

    def _form(self, origin: modal.Origin) -> dict[str, Any]:
        return modal.form(self.flows(), origin)

    def _not_opened(self, error: str) -> str:
        return texts.modal_not_opened(error, self.turns.dispatcher.catalog.startable_in_chat())

    # --- where it is opened from --------------------------------------------------------------

    async def on_slash(self, command: messages.Slash) -> Answer:
        """``/decision start`` alone: the form opened, the command answered with nothing (else the syntax)."""
        origin = modal.Origin("slash", command.channel, command.channel_name)
        error = await self._open(command.trigger_id, command.user, origin)
        return Answer() if error is None else Answer(body=blocks.ephemeral(self._not_opened(error)))

    async def on_home(self, payload: Mapping[str, Any]) -> None:
        """The Home tab's button: the form opened (else the syntax on the tab)."""
        user = _user(payload)
        error = await self._open(_trigger(payload), user, modal.Origin("home"))
        if error is not None:
            self.home_note(user, blocks.escape(self._not_opened(error)))

    async def on_shortcut(self, payload: Mapping[str, Any]) -> Answer:
        """The global shortcut: the form opened (else the syntax, by direct message)."""
        user = _user(payload)
        error = await self._open(_trigger(payload), user, modal.Origin("shortcut"))
        if error is not None:
            self.turns.poster.spawn(self._direct(user, blocks.escape(self._not_opened(error))))
        return Answer()

    # --- a submission -----------------------------------------------------------------------------

    async def on_submission(self, payload: Mapping[str, Any]) -> Answer:
        """The form submitted: the run started and the form closed, or its problems shown under
        their fields. A retry of a submission under way waits for its answer."""
        arrived = asyncio.get_running_loop().time()
        sub = modal.submitted(payload)
        first = self.under_way.get(sub.key)
        if first is not None:
            await asyncio.wait({first})
            if not first.cancelled():
                return first.result()
        if len(self.under_way) >= UNDER_WAY_MOST:
            return await self._submit(sub, arrived)
        self.under_way[sub.key] = mine = asyncio.get_running_loop().create_future()
        try:
            answer = await self._submit(sub, arrived)
        except BaseException:
            mine.cancel()  # a retry waiting on it tries for itself
            raise
        else:
            mine.set_result(answer)
        finally:
            self.under_way.pop(sub.key, None)
        return answer

    async def _submit(self, sub: modal.Submitted, arrived: float) -> Answer:
        turns = self.turns
        if turns._seen(sub.key):  # its run is stored: Slack sent it again
            return Answer()
        catalog = turns.dispatcher.catalog
        found = modal.problems(sub, catalog.startable_in_chat(), list(catalog.refused), list(catalog.current))
        if found:
            return Answer(body=modal.errors(found))
        tokens = " ".join(blocks.mention(person) for person in sub.people)
        try:
            actor, mentions = await turns._people(sub.user, tokens)  # (a title's <@U..> is only words)
            text, mentions = messages.named(modal.typed_start(sub), mentions)
            others = turns._not_people(tokens, mentions)
            parsed = start_arguments(text.split()[2:], mentions, others)
            if parsed.refused is not None:
                word, kind = parsed.refused
                return Answer(body=modal.errors({modal.PEOPLE: texts.modal_not_a_person(word.lstrip("@"), kind)}))
            if participants_missing(turns.dispatcher, sub.flow or "", parsed, actor) is not None:
                return Answer(body=modal.errors({modal.PEOPLE: texts.modal_needs_participants()}))
            command = modal.as_slash(sub, text)
            said = self._chosen(sub, actor, mentions, arrived)
            outcome = await turns._slash_start(command, said, mentions, sub.flow or "", sub.title, arrived, others)
        except write_lock.LedgerBusy:
            return Answer(body=modal.not_started(blocks.escape(texts.modal_try_again())))
        return self._answered(sub, outcome)

    def _chosen(self, sub: modal.Submitted, actor: Actor, mentions: dict[str, Actor], arrived: float) -> StartSaid:
        """The submission as the run's transcript keeps it: what its person chose, when."""
        text = texts.modal_start_said(sub.flow or "", sub.title, list(mentions))
        payload: dict[str, Any] = {"type": "view_submission", "origin": sub.origin.where, "flow": sub.flow}
        payload |= {"title": sub.title, "participants": list(sub.people), "channel": sub.channel}
        return StartSaid(actor, text, self.turns.came_at(arrived), payload)

    def _answered(self, sub: modal.Submitted, outcome: outcomes.StartOutcome) -> Answer:
        """The start's outcome as the form's answer: closed once the run started (the person told
        "Started" as a slash command's caller is), else what refused it under its field."""
        if isinstance(outcome, outcomes.Started):
            said = outcomes.mrkdwn(outcome)
            if sub.origin.where == "slash":  # privately, in the run's channel
                self.turns.poster.ephemeral_later(sub.channel, sub.user, said)
            else:  # from no channel: by direct message
                self.turns.poster.spawn(self._direct(sub.user, said, outcome.run_id))
            return Answer()
        if outcome is None:  # a submission carried out already
            return Answer()
        if sub.flow not in self.turns.dispatcher.catalog.startable_in_chat():  # removed meanwhile
            return Answer(body=modal.errors({modal.FLOW: outcome.why}))
        if outcome.of_channel:  # the bot not in it, it archived...
            return Answer(body=modal.errors({modal.CHANNEL: outcome.why}))
        return Answer(body=modal.not_started(outcomes.mrkdwn(outcome)))  # Slack slow, or refusing the post

    async def _direct(self, user: str, mrkdwn: str, run_id: int | None = None) -> None:
        """``mrkdwn`` said to ``user`` in their direct message with the bot (once the request is stored)."""
        try:
            channel = await self.turns.poster.dm_channel(user)
        except (RetryLater, DeliveryFailed) as exc:
            if run_id is not None:
                log.warning(texts.slack_modal_started_untold(user, run_id, str(exc)))
            return
        self.turns.poster.say_later(channel, mrkdwn)
