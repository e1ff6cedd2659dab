"""What a Slack start came to, as a plain value: the run started (its id, the words that say so)
or refused (why, with the fix), or nothing to say (a repeat of a start carried out already). The
start (:class:`bot.channels.slack_starts.SlashStarts`) returns it; each surface puts it in its own
words: the slash command's ephemeral answer (:func:`slash_answer`), the form's private "Started",
the error under the field it is about, or on a view over the form when it is about none
(:mod:`bot.channels.slack_modal_start`)."""

from __future__ import annotations

from dataclasses import dataclass

from bot import texts
from bot.channels import slack_blocks as blocks
from bot.channels.slack_events import Answer


@dataclass(frozen=True)
class Started:
    """The run ``run_id`` started; ``said``: the plain words that say so ("Started run #3 ..."),
    ``unnamed``: the people they name by their Slack ids (shown as live mentions), ``paced``: no
    root of its own (a burst): its first question starts its thread, in a moment."""

    run_id: int
    said: str
    unnamed: frozenset[str] = frozenset()
    paced: bool = False

    def words(self) -> str:
        """What the person who started it is told, plain."""
        return f"{self.said} {texts.slack_start_paced()}" if self.paced else self.said


@dataclass(frozen=True)
class Refused:
    """Nothing started: ``why``, in plain words with what to do (the channel refuses the bot's
    posts, the flow is unknown, a person named is a group, Slack did not answer in time...);
    ``unnamed`` as for :class:`Started`; ``of_channel``: the refusal is about the channel (the bot
    not in it, it archived...), not about anything else (a form says it under its channel field)."""

    why: str
    unnamed: frozenset[str] = frozenset()
    of_channel: bool = False

    def words(self) -> str:
        return self.why


#: Slack's refusals of a start's root that are about its channel (else about the post, or Slack).
CHANNEL_REFUSALS = ("not_in_channel", "channel_not_found", "is_archived", "restricted_action")


def root_refused(error: str, between_people: bool) -> Refused:
    """A start whose thread's root Slack refused with ``error`` (or did not answer in time:
    ``texts.slack_post_timed_out()``); ``between_people``: typed in a DM or group DM."""
    return Refused(texts.slack_root_not_posted(error, between_people), of_channel=error in CHANNEL_REFUSALS)


#: A start's outcome; None: a repeat of one carried out already (nothing more to say).
StartOutcome = Started | Refused | None


def mrkdwn(outcome: Started | Refused) -> str:
    """The outcome's words as a Slack message says them (escaped, its unnamed people live mentions)."""
    return blocks.ephemeral(outcome.words(), outcome.unnamed)["text"]


def slash_answer(outcome: StartOutcome) -> Answer:
    """The slash command's answer: the outcome's words, privately (none for a repeat)."""
    if outcome is None:
        return Answer()
    return Answer(body=blocks.ephemeral(outcome.words(), outcome.unnamed))
