"""Why a Teams card no longer takes the answer of the person it asked: the run has asked them
something newer since (after 'back', a claim ...), or handed its question to someone else (an
escalation: ``escalate: reassign``, or an owner's misses), or no longer asks them that question at
all (the one it was handed to has answered it). A late click on it changes nothing and is told
so, as Slack's buttons are (``bot.channels.slack_clicks``)."""

from __future__ import annotations

import sqlite3

from bot import texts
from bot.channels import teams_activities as acts
from bot.channels import teams_cards as cards
from bot.channels.teams_posts import Card
from bot.store import runs, transcript
from bot.store.widgets import Refusal


def _why_closed(conn: sqlite3.Connection, card: Card, actor_id: str) -> str | None:
    """What to answer ``actor_id``'s submit of ``card`` (theirs, still open, asked nothing newer
    since) when the run no longer asks them its question; None when it does (or has ended, which
    the run's turn says)."""
    run = runs.load_run(conn, card.run_id)
    if run is None or run.status != "active" or card.to_id != actor_id:
        return None
    prompts = run.context.prompts
    if any(p.step == card.step and p.to["id"] == actor_id for p in prompts):
        return None
    closed = run.context.closed_note(actor_id)
    if closed:  # another's answer closed it (complete_when: any)
        return closed
    to = next((p.actor for p in prompts if p.escalated and p.step == card.step), None)
    return texts.teams_card_handed_over(to.name) if to is not None else texts.teams_card_closed()


def unasked(conn: sqlite3.Connection, cards_open: list[Card]) -> list[tuple[Card, str]]:
    """The open cards whose person the run no longer asks their question (a correction gave their
    action to someone else, an escalation handed it on), each with why."""
    found = [(card, _why_closed(conn, card, card.to_id)) for card in cards_open if card.to_id]
    return [(card, why) for card, why in found if why is not None]


def refusal(
    conn: sqlite3.Connection, card: Card | None, base_id: str, actor_id: str, anyone: str, run_id: int | None = None
) -> Refusal | None:
    """Why ``actor_id``'s submit of ``card`` (found by its submit data, in conversation ``base_id``)
    answers nothing; None when it may answer. ``anyone``: the placeholder facilitator, whose cards
    anyone may answer until the run is claimed. ``run_id``: the run the submit data names, for a
    card no longer kept (its run ended long ago: ``runs.forget_cards``)."""
    named = card.run_id if card is not None else run_id
    run = runs.load_run(conn, named) if named is not None else None
    if run is not None and run.status in runs.ENDED:  # its card may not show it yet
        return Refusal("closed", cards.card_text(texts.teams_card_run_ended(run.status)), stale=True)
    if card is None or card.answered or acts.split_conversation(card.conversation_id)[0] != base_id:
        why = _why_closed(conn, card, actor_id) if card is not None and card.answered else None  # redrawn so
        return Refusal("answered" if card is not None and card.answered else "closed", why or texts.teams_card_closed())
    if card.to_id not in (None, actor_id, anyone):
        return Refusal("not_theirs", texts.teams_not_your_card())  # someone else's card: theirs stays open
    if transcript.asked_since(conn, card.run_id, card.message_id, actor_id):  # sent or still queued
        return Refusal("asked_since", texts.teams_card_asked_since(), stale=True)  # a reminder's card, a newer question
    closed = _why_closed(conn, card, actor_id)
    return Refusal("closed", closed, stale=True) if closed is not None else None
