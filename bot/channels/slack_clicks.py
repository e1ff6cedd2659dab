"""Whether a click on a prompt's widget (a button, a menu, a date or person picker) may answer its
question, and if not, why (``bot.store.widgets.WHY``) and what its user is told: the question was
answered already, is closed (the run ended, or moved on), is someone else's, or the run has asked
its user something newer since."""

from __future__ import annotations

import sqlite3

from bot import texts
from bot.channels import slack_blocks as blocks
from bot.channels.slack_dms import is_dm
from bot.channels.slack_events import Clicked
from bot.channels.slack_send import Poster
from bot.channels.slack_withdraw import PLACEHOLDER
from bot.model import Actor
from bot.store import runs, transcript
from bot.store import slack as store
from bot.store import slack_moves as moves
from bot.store.widgets import Refusal


def refusal(
    conn: sqlite3.Connection, poster: Poster, click: Clicked, row: store.PromptRow | None, actor: Actor
) -> Refusal | None:
    """Why the click answers nothing and what the clicker is told (mrkdwn); None when it may."""
    if row is not None and row.status == "superseded":  # asked again (moved, deleted): its copy's answer is its
        row = moves.answered_copy(conn, row.channel, row.ts) or row
    if row is not None and row.status == "answered":
        by = blocks.mention((row.answered_by or "").split(":", 1)[-1])
        return Refusal("answered", texts.slack_already_answered(by, blocks.answer_text(row.answer or "")))
    if row is not None and row.status == "closed":
        return Refusal("closed", blocks.escape(texts.slack_prompt_run_ended()))
    if row is not None and row.status != "open":
        told = moved_away(conn, row, click) or poster.why_gone(row) or blocks.escape(texts.slack_prompt_closed())
        return Refusal("closed", told)
    if row is not None and (gone := poster.withdraw_unasked(row.run_id).get((row.channel, row.ts))):
        return Refusal("closed", gone)  # handed to the facilitator (its redraw had not gone out yet)
    if row is not None and (to := addressee(conn, row)) and to != actor.id:
        return Refusal("not_theirs", texts.slack_not_your_prompt(blocks.mention(to.split(":", 1)[-1])))
    if transcript.asked_since(conn, click.run_id, click.message_id, actor.id):
        poster.withdraw(row)
        return Refusal("asked_since", blocks.escape(texts.slack_prompt_closed()))  # the run asked them something newer
    return None


def moved_away(conn: sqlite3.Connection, row: store.PromptRow, click: Clicked) -> str | None:
    """Where to answer a question left behind in a thread its open run moved away from
    (``/decision move``; its root deleted), with a link to the run's new thread once it has one; None when the
    question is not one so left. Such a click is refused rather than taken: the run reads its
    answers in its new thread alone (the old one is told so), and the copy asked there stays open."""
    run = runs.load_run(conn, row.run_id)
    if run is None or run.status not in runs.OPEN or is_dm(row.channel):
        return None
    channel = run.conversation.conversation
    thread = moves.current_thread(conn, run.id, run.conversation)
    if (row.channel, click.thread_ts or click.message_ts) == (channel, thread):
        return None
    link = blocks.permalink(click.domain, channel, thread) if thread and click.domain else None
    return texts.slack_prompt_moved(run.id, blocks.channel_link(channel), link)


def addressee(conn: sqlite3.Connection, row: store.PromptRow) -> str | None:
    """Who may use a prompt's widgets: the person it asks. A question asked of the placeholder
    facilitator of a triggered run that named none is for whoever has claimed the run, and
    open to anyone until someone has (the dispatcher hands the role to the first speaker)."""
    if row.actor_id != PLACEHOLDER.id:
        return row.actor_id
    run = runs.load_run(conn, row.run_id)
    holder = run.context.facilitator.id if run is not None else None
    return None if holder == PLACEHOLDER.id else holder
