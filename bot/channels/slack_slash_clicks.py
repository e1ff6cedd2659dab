"""Slack's slash commands and widget clicks turned into commands and turns: ``/decision ...``
(a start within Slack's 3 s, a move, any other command answered to its writer alone), the form
that starts a decision (``/decision start`` alone, the global shortcut, the Home tab's button, the
form's submission: :mod:`bot.channels.slack_modal_start`), the Home tab's buttons, and a click on
a question's widget (refused ones kept in the transcript and told once). An outcome known past
Slack's 3 s is told at the request's response_url (:mod:`bot.channels.slack_late`).
:class:`bot.channels.slack_inbound.Inbound` builds on it, adding the Events API's messages.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from functools import partial
from typing import Any

from bot.channels import slack_blocks as blocks
from bot.channels import slack_clicks as clicks
from bot.channels import slack_events as events
from bot.channels import slack_home_tab as app_home
from bot.channels import slack_messages as messages
from bot.channels import slack_modal as modal
from bot.channels import slack_move as moves
from bot.channels.slack_events import Answer
from bot.channels.slack_late import LateAnswers, ResponseUrls
from bot.channels.slack_modal_start import FormStarts, asks_form
from bot.channels.slack_send import is_dm
from bot.channels.slack_start_outcome import slash_answer
from bot.channels.slack_starts import SLASH_BUDGET, SlashStarts
from bot.channels.slack_turns import NAME
from bot.control import start_arguments
from bot.model import ConversationKey, Message
from bot.start_command import start_refused
from bot.store import names, transaction, widgets
from bot.store import slack as store

#: What Slack gives as a slash command's ``channel_name`` where it is no channel's name: a direct
#: message, a private channel (older workspaces), a group DM (``mpdm-...``).
NOT_NAMES = ("directmessage", "privategroup")


def named_channels(form: dict[str, str]) -> list[tuple[str, str]]:
    """The channels a slash command names, with their names as Slack gave them: the one it was
    typed in (``channel_id``, ``channel_name``) and those its text links (``<#C0OPS|ops>``)."""
    named = [(channel, name) for channel, name in moves.CHANNEL.findall(form.get("text", "")) if name]
    channel, name = form.get("channel_id", ""), form.get("channel_name", "")
    if channel[:1] in ("C", "G") and name not in NOT_NAMES and not name.startswith("mpdm-"):
        named.append((channel, name))
    return named


class SlashesAndClicks(SlashStarts):
    """Slack's slash commands, interactive payloads and widget clicks, each carried out as a
    command or a turn."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.app_home = app_home.AppHome(self)  # the Home tab: app_home_opened, and its buttons
        self.forms = FormStarts(self, self.app_home.tell)  # the form that starts a decision
        urls = ResponseUrls(self.services.http, self.poster.client.base_url)
        self.late = LateAnswers(urls, self.services.db, self.dispatcher.clock)  # outcomes past Slack's 3 s

    def _starts(self, words: list[str]) -> bool:  # 'start FLOW ...' of a flow it has ('start the migration': an answer)
        return len(words) > 1 and words[0].lower() == "start" and words[1] in self.dispatcher.catalog.startable()

    # --- slash commands ----------------------------------------------------------------------

    async def on_command(self, form: dict[str, str]) -> Answer:
        """Answered within Slack's 3 s; an outcome known later is told at its response_url."""
        arrived = asyncio.get_running_loop().time()
        command = messages.slash(form)
        await self._keep_names(form)
        if command.text.lower() == "start":  # no flow: the form, opened before anything slow
            return await self.forms.on_slash(command)
        return await self.late.command(command, arrived, SLASH_BUDGET, partial(self._command, form, command, arrived))

    async def _keep_names(self, form: dict[str, str]) -> None:
        """The channels' names the command gave (no call to Slack: :func:`named_channels`), kept for
        analysts (:mod:`bot.store.names`); nothing written when the ledger has them already. Never
        waited for: while another process holds the ledger they are left for a later command (each
        gives its channel's name again), the command itself waiting as it does (:mod:`bot.channels.slack_late`)."""
        await names.kept_if_free(self.services.db, NAME, named_channels(form), self.dispatcher.clock)

    async def _command(self, form: dict[str, str], command: messages.Slash, arrived: float, budget: float) -> Answer:
        """The slash command carried out (``form``: as Slack sent it), a start within ``budget`` of
        its arrival."""
        actor, mentions = await self._people(command.user, command.text)
        text, mentions = messages.named(command.text, mentions)
        command = replace(command, text=text)
        if self._seen(command.platform_id):
            return Answer()
        if (move := moves.move_words(form.get("text", ""))) is not None:
            typed = moves.Typed(command.platform_id, actor, ConversationKey(NAME, command.channel), form.get("team_id"))
            told = await moves.carry_out(self, typed, move)
            return Answer() if told is None else Answer(body=blocks.ephemeral(told))
        others = self._not_people(form.get("text", ""), mentions)
        if self._starts(words := command.text.split()):
            parsed = start_arguments(words[2:], mentions, others)
            if start_refused(self.dispatcher, words[1], parsed, actor) is None:  # else refused below, no root posted
                said = self._typed_start(form, command, actor, arrived)
                started = await self._slash_start(
                    command, said, mentions, words[1], parsed.title, arrived, others, budget
                )
                return slash_answer(started)
        conversation = ConversationKey(NAME, command.channel)
        done = self._once(command.platform_id, actor, conversation, command.text, mentions, others)
        if done is None:
            return Answer()
        self._after_command(done)
        return Answer(body=blocks.ephemeral(done.text, self._unnamed(done), self._links(done)))

    # --- widgets -----------------------------------------------------------------------------

    async def on_interactive(self, payload: dict[str, Any]) -> Answer:
        """The form that starts a decision: its global shortcut, and its submission."""
        kind = payload.get("type")
        if kind == "shortcut" and payload.get("callback_id") == modal.CALLBACK:
            return await self.forms.on_shortcut(payload)
        if kind == "view_submission" and events.as_dict(payload.get("view")).get("callback_id") == modal.CALLBACK:
            return await self.forms.on_submission(payload)
        return Answer()

    async def on_action(self, payload: dict[str, Any], arrived: float) -> None:
        """A click: the Home tab's, or on a question's widget, stored within Slack's 3 s or told
        at its response_url (:mod:`bot.channels.slack_late`)."""
        if asks_form(payload):  # the Home tab's "Start a decision"
            return await self.forms.on_home(payload)
        if app_home.from_home(payload):  # a button of the Home tab: no message, no run's question, no response_url
            home = app_home.clicked(payload)
            carry_out = partial(self.app_home.on_click, home)
            if home.command is None:
                return await carry_out()
            tell = partial(self.app_home.tell_now, home.user)
            return await self.late.home_click(home.user, home.command, arrived, carry_out, tell)
        click = events.clicked(payload)
        if click is not None:
            await self.late.click(payload, click, arrived, partial(self._click, click))

    async def _click(self, click: events.Clicked) -> None:
        actor, mentions = await self._people(click.user, click.answer)
        row = store.prompt(self.services.db.conn, click.channel, click.message_ts)
        thread = None if is_dm(click.channel) else (click.thread_ts or click.message_ts)
        conversation = ConversationKey(NAME, click.channel, thread)
        refused = clicks.refusal(self.services.db.conn, self.poster, click, row, actor)
        if refused is not None:  # kept in the transcript, and told once (a retry adds nothing)
            with transaction(self.services.db) as conn:
                now = self.dispatcher.clock()
                first = widgets.refused(
                    conn, click.message_id, actor, conversation, click.answer, click.platform_id, refused.why, now
                )
            if first:
                self.poster.ephemeral_later(click.channel, click.user, refused.told, click.thread_ts)
            return
        raw = {"type": "block_actions", "user": click.user, "action": click.value, "message_ts": click.message_ts}
        message = Message(
            conversation,
            actor,
            click.answer,
            platform_id=click.platform_id,
            value=click.value,
            mentions=mentions,
            raw=raw,
            not_people=self._not_people(click.answer, mentions),
        )
        self._after_turn(self.dispatcher.handle(message, run_id=click.run_id), actor, click.answer)
