"""What the bot says in a conversation: prompts, commands, completion (re-prompts and help: answers.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.texts._common import _join, _one_line
from bot.texts.answers import correction_example

# --- prompts ---------------------------------------------------------------------------------


def item_prefix(label: str, number: int) -> str:
    return f"{label} {number}: "


def done_hint() -> str:
    return "(say 'done' when there are no more)"


def currently(value: str, word: str) -> str:
    return f"(currently: {value}; say '{word}' to keep it)"


def default_hint(value: str, word: str) -> str:
    return f"(default: {value}; say '{word}' to take it)"


def optional_hint() -> str:
    return "(optional: say 'skip' to leave it out)"


def escalated_prompt(owner: str, question: str) -> str:
    return f"{owner} could not answer this one, so it comes to you: {question}"


def asked_for_owner(role: str, owner: str, label: str, number: int, what: str, due: str, question: str) -> str:
    """An owner's question as the person it was handed to reads it (the owner's own wording says
    'you'): ``role`` is what the step records, ``accepts`` (the owner takes the item),
    ``done`` (the owner did it) or anything else (the owner's question, quoted)."""
    thing = f"the {label.lower()} '{what}'" if what else f"{label} {number}"
    if due:
        thing += f" (due {due})"
    if role == "accepts":
        return f"does {owner} take {thing}?"
    if role == "done":
        return f"did {owner} do {thing}?"
    return f'{owner} was asked about {thing}: "{question}" What is the answer for {owner}?'


def escalation_notice(owner: str, facilitator: str) -> str:
    return f"Thanks, {owner}. I've handed this question to {facilitator}."


def reassign_prompt(owner: str, label: str, number: int, what: str, reason_aside: bool = False) -> str:
    """Asked where the run lives, which others read: ``reason_aside``, the owner said more than no,
    and their words were told to the one asked alone (:func:`decline_reason`), never quoted here."""
    why = ", with a reason told to you alone" if reason_aside else ""
    return f"{owner} declined {label} {number} ('{what}'){why}. Who should own it instead?"


def decline_reason(owner: str, label: str, number: int, what: str, title: str, said: str) -> str:
    """The owner's words when they declined in private ("No, I'm out that week"), for the one who
    names the new owner alone (a direct message on Slack), not the run's conversation."""
    return (
        f"{owner}'s reason for declining {label} {number} ('{what}') of '{title}', for you alone: \"{_one_line(said)}\""
    )


def declined_ack(facilitator: str, yourself: bool = False) -> str:
    """``yourself``: the one who declined leads the run, and picks the new owner themselves."""
    if yourself:
        return "Noted. You lead this run, so I'll ask you who should own it instead."
    return f"Noted. I'll ask {facilitator} to reassign it."


def you_declined() -> str:
    """Who declined, in :func:`reassign_prompt` to the facilitator who declined their own action."""
    return "You"


# --- commands --------------------------------------------------------------------------------


def not_for_you(addressees: list[str]) -> str:
    if not addressees:
        return "Nothing is waiting for your answer in this run right now."
    return f"This question is for {_join(addressees)}. Your message was noted but not taken as an answer."


def help_nothing_asked(waiting: list[str], facilitator: bool, item_label: str | None, run_id: int, title: str) -> str:
    """``help`` from someone the run asks nothing now (a participant, an owner whose turn is later,
    the facilitator while owners answer): what it waits for, and what they can say meanwhile. Named
    (it may reach them alone, away from the run: a direct message, a Teams personal chat)."""
    now = f"It waits for {_join(waiting)}." if waiting else "It waits for nobody's answer right now."
    said = f"Run #{run_id} ('{title}') asks you nothing right now. {now} When it asks you something, 'help' explains the question."
    if not facilitator:
        return said
    return f"{said} Meanwhile you can say 'cancel' (end the run) or correct an earlier answer{correction_example(item_label)}."


def question_taken_over(new: str, what: str) -> str:
    """To the former owner of an action handed over, answering its review's question late."""
    return f"That question is {new}'s now: {new} took over '{what}'. Nothing waits on you in this run now."


def question_handed_closed(to: str) -> str:
    """To an owner whose question went to the facilitator ``to``, answering it late."""
    return (
        f"That question closed: I handed it to {to} when no answer came that I could take, and {to}"
        f" answers it now. Nothing waits on you in this run now; tell {to} what you wanted to say."
    )


def question_closed_by(by: str, answer: str) -> str:
    return f"That question closed: {by} answered first ({answer}). Nothing waits on you in this run now."


def cannot_skip() -> str:
    return "This question can't be skipped. Say 'help' to see what is expected."


def at_first_question() -> str:
    return "This is the first question; there is nothing to go back to."


def only_facilitator(action: str, facilitator: str | None, backup: str | None = None) -> str:
    """``facilitator`` None: nobody has claimed the run (``backup``: its route's, who may too)."""
    if facilitator is not None:
        return f"Only the facilitator ({facilitator}) can {action}."
    who = f"the route's backup ({backup}), or whoever claims it by answering its question," if backup else ""
    return f"Nobody has claimed this run yet: only {who or 'whoever claims it by answering its question'} can {action}."


def confirm_cancel() -> str:
    return "Cancel this decision run? Nothing will be recorded as decided. (yes/no)"


def cancel_kept() -> str:
    return "OK, not cancelled. Let's carry on."


def chat_unknown_run(run_id: object) -> str:
    return f"No run #{run_id} here. Say 'list' for the open runs of this conversation."


def _run(run: tuple[int, str] | None) -> str:
    """A run as its end's notice names it: ``Run`` in its own thread or terminal; ``run`` (its
    number and title) where its conversation holds its person's other runs too (a Rasa sender's),
    as ``cancel N``'s answer names it: ``Run #3 ('Weekly sync')``."""
    return f"Run #{run[0]} ('{run[1]}')" if run else "Run"


def cancelled(by: str, run: tuple[int, str] | None = None) -> str:
    return f"{_run(run)} cancelled by {by}. The transcript is kept."


def cancelled_by_operator(run: tuple[int, str] | None = None) -> str:
    return f"{_run(run)} cancelled by the bot's operator. The transcript is kept."


def cancelled_by_branch(step: str, run: tuple[int, str] | None = None) -> str:
    """``step``: the answer the flow stops after, as people read it (``texts.answer_named``)."""
    return f"{_run(run)} ended without a decision: the flow stops here, after {step}. The transcript is kept."


def skipped_after_failures(answer: str) -> str:
    """``answer``: the optional answer left out after its misses (``on_fail: skip``), as people read it."""
    return f"I couldn't read that either, so {answer} is left out (it is optional)."


def cancelled_after_failures(step: str, run: tuple[int, str] | None = None) -> str:
    """``step``: the answer asked for, as people read it (``texts.answer_named``)."""
    return f"{_run(run)} cancelled: no usable answer for {step}."


def back_to() -> str:
    return "Back to:"


def waiting_for_confirmations(names: list[str]) -> str:
    return f"Thanks. The decision is recorded once {_join(names)} confirm(s)."


def no_branch_takes(answer: str) -> str:
    return (
        f"'{answer}' leads nowhere in the version of the flow this run follows, so it was not taken."
        " Give another answer, or the facilitator can say 'cancel'."
    )


def resumed() -> str:
    return "Welcome back: this run had stalled, and your answer resumes it."


# --- bot commands (start, list, status, cancel, help) --------------------------------------------


def _flows(flows: list[str]) -> str:
    """The flows a chat may start, listed; "none" when every one is gone (not "nobody yet")."""
    return ", ".join(flows) if flows else "none"


def command_help(flows: list[str], titles: Mapping[str, str] | None = None) -> str:
    """``titles``: each flow's title, shown beside its id (``help`` itself; not a command misspelt's)."""
    named = [f"{f} ({titles[f]})" if titles and titles.get(f) else f for f in flows]
    example = "post_meeting" if "post_meeting" in flows or not flows else flows[0]
    try_it = (
        f" Example: start {example} @bob @carol Weekly sync" if flows else " Ask whoever runs decisionbot to add one."
    )
    return (
        "Commands: start FLOW [@people ...] [title] | list | status RUN | cancel RUN | actions | done ACTION"
        " | due ACTION DATE | drop ACTION [why] | give ACTION @person [why] | move RUN #channel (Slack) | help.\n"
        "RUN: a run's number, as 'list' shows it (3 or #3). ACTION: an action's code, as 'actions' shows it (A12).\n"
        f"Flows: {_flows(named)}.{try_it}"
    )


def command_unknown(verb: str, flows: list[str], meant: str | None) -> str:
    """``meant``: the command ``verb`` is a slip from, with its words ("status 3")."""
    guess = f" Did you mean '{meant}'?" if meant else ""
    return f"I don't know '{_word(verb)}'.{guess} " + command_help(flows)


def _word(verb: str, most: int = 60) -> str:
    """A word typed as a command, quoted back short: a pasted token or URL of 150,000 characters was
    echoed whole, in four posts."""
    return verb if len(verb) <= most else verb[:most].rstrip() + "…"


def command_unknown_beside_thread(verb: str, run_id: int, title: str, flows: list[str], channel: str) -> str:
    """Words no command knows, typed in a channel beside the thread of a run that waits on them;
    ``channel``: where, said in its own terms (a Slack thread reply needs no mention; Teams
    delivers one only with it, and asks on cards)."""
    if channel == "slack":
        where = "answer in the run's own thread, or in our direct message if it asked you there"
    else:
        where = "give it on its card, or reply in the run's own thread (mentioning me)"
    waits = f"Run #{run_id} ('{title}') waits for your answer: {where}."
    return f"I don't know '{_word(verb)}'. {waits} " + command_help(flows)


def command_start_usage(flows: list[str]) -> str:
    return f"Say which flow to start: start FLOW [@people ...] [title]. Flows: {_flows(flows)}."


def command_title_too_long(length: int, limit: int) -> str:
    return f"Nothing started: that title is too long ({length} characters; {limit} at most)."


def command_not_a_person(word: str, kind: str) -> str:
    if kind == "deactivated":
        return (
            f"Nothing started: {word}'s account is deactivated, so they cannot take part. Name the people"
            " who can, one by one with @person: start FLOW @bob @carol [title]."
        )
    what = {"group": "a user group", "channel": "a channel", "team": "a team", "everyone": "everyone here"}.get(kind)
    why = "groups and channels cannot be participants" if what else "I cannot answer my own questions"
    what, why = (what or "that is me", why) if kind != "app" else ("another bot", "only people can take part")
    return (
        f"Nothing started: {word} is not a person ({what}: {why}). Name the people one by one with @person:"
        " start FLOW @bob @carol [title], or start FLOW @bob, @carol [title]."
    )


def command_needs_participants(flow: str) -> str:
    return (
        f"Nothing started: {flow} asks its participants, and you named none (its questions for them would all"
        f" come to you). Name them after the flow: start {flow} @bob @carol [title]"
    )


def command_unknown_flow(flow: str, flows: list[str], meant: str | None = None) -> str:
    """``meant``: the flow ``flow`` is a slip from, if one is."""
    guess = f" Did you mean '{meant}'?" if meant else ""
    return f"There is no flow '{flow}'.{guess} Flows: {_flows(flows)}."


def command_flow_refused(flow: str) -> str:
    return f"The flow '{flow}' cannot start: its file has an error. Ask whoever runs decisionbot to check it with: decisionbot flows validate"


def command_needs_run(verb: str) -> str:
    return f"Say which run: {verb} RUN (the number from 'list')."


def run_started(run_id: int, flow: str, title: str | None = None, people: list[str] | None = None) -> str:
    """``title`` and ``people`` (its participants, by name), when the start named them: a start in
    chat says back what it understood (``@bob`` typed as plain words is no participant)."""
    named = f": '{title}'" if title else ""
    taking_part = f", with {', '.join(people)}" if people else ""
    return f"Started run #{run_id} ({flow}){named}{taking_part}."


def run_list(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No open decision runs here. Start one with: start FLOW [@people ...] [title]"
    return "\n".join(["Open decision runs here:", *run_lines(rows)])


def run_lines(rows: list[dict[str, Any]]) -> list[str]:
    """One line per open run of ``list``: its number, flow, title, status and what it waits for."""
    lines = []
    for r in rows:
        waiting = f"; waiting for {_join(r['waiting_for'])}" if r["waiting_for"] else ""
        lines.append(f"  #{r['id']} {r['flow']}: {r['title'] or ''} ({r['status']}{waiting})")
    return lines


def run_status(run_id: int, flow: str, title: str | None, status: str, waiting: list[str]) -> str:
    """A run's status and, while it goes on, what it waits for in words ("bob to accept 'Draft
    the plan'"), not the id of the step it is at."""
    who = f"; waiting for {_join(waiting)}" if waiting else ""
    return f"Run #{run_id} {flow} '{title or ''}': {status}{who}."


# --- completion ------------------------------------------------------------------------------


def action_without_what() -> str:
    """An action stored from a flow version that let its 'what' be skipped."""
    return "(no description given)"


def summary(record: Mapping[str, Any]) -> str:
    if record.get("reviewed_decision") is not None:
        return review_summary(record)
    if record.get("records") and not any(record.get(key) for key in ("decision", "actions", "review_at", "outcome")):
        return f"Nothing was decided in {record.get('title')}: no decision, action or review date was given."
    if not record.get("records", True) and not record.get("decision"):  # a flow of questions alone
        return f"Finished: {record.get('title')}."
    lines = [f"Decision recorded: {record.get('title')}"]
    if record.get("decision"):
        lines.append(f"Decided: {record['decision']}")
    for i, action in enumerate(record.get("actions") or [], 1):
        state = {True: "accepted", False: "declined", None: "not confirmed yet"}[action.get("accepted")]
        if action.get("confirmed_by") and action.get("accepted") is not None:  # answered for the owner
            state = f"{'confirmed' if action['accepted'] else 'declined'} by {action['confirmed_by']['name']}"
        due = f"due {action['due']}" if action.get("due") else "no due date"
        lines.append(f"  {i}. {action['what']} - {action['owner_name']}, {due} ({state})")
    if record.get("review_at"):
        lines.append(f"Review on {record['review_at']}.")
    if record.get("outcome"):
        lines.append(f"Review outcome: {record.get('outcome_shown') or record['outcome']}.")
    return "\n".join(lines)


_OUTCOMES = {"keep": "kept", "change": "changed", "drop": "dropped"}


def review_summary(record: Mapping[str, Any]) -> str:
    """What a review ends with: the decision kept, changed or dropped, what each owner said of
    their action, and the next review."""
    outcome = record.get("outcome")
    lines = [f"Review recorded: {record.get('title')} - " + _OUTCOMES.get(str(outcome), "held")]
    if outcome == "change" and record.get("decision"):
        lines.append(f"New decision: {record['decision']}")
    for entry in record.get("actions_done") or []:
        said = {True: "done", False: "not done", None: "no answer"}[entry.get("done")]
        if entry.get("confirmed_by") and entry.get("done") is not None:
            said += f" (said by {entry['confirmed_by']['name']})"
        if entry.get("said") and entry.get("done") is not None:  # their reason, as a decline's is told
            said += f': "{_one_line(entry["said"])}"'
        if entry.get("dropped"):  # 'drop A12' while the review was under way
            said = "dropped"
        elif entry.get("reported_done"):  # 'done A12' meanwhile: a no here keeps the done
            said = f"done (reported with done A{entry['action_id']})"
        lines.append(f"  - {entry.get('what') or 'action'} - {entry.get('owner_name') or '?'}: {said}")
    if outcome == "change":
        lines.extend(_carried_on(record.get("actions_done") or []))
    if record.get("review_at"):
        lines.append(f"Next review on {record['review_at']}.")
    return "\n".join(lines)


def _carried_on(entries: list[Mapping[str, Any]]) -> list[str]:
    """The line of a changed decision's summary naming the actions still open, which the new
    decision's review asks about, and how to drop one that no longer applies."""
    still = [
        e
        for e in entries
        if e.get("action_id") is not None
        and e.get("done") is not True
        and not e.get("dropped")
        and not e.get("reported_done")
    ]
    if not still:
        return []
    named = ", ".join(f"A{e['action_id']} {e.get('what') or 'action'} ({e.get('owner_name') or '?'})" for e in still)
    code = f"A{still[0]['action_id']}"
    return [f"Still open, and reviewed with the new decision: {named}. If one no longer applies: drop {code} [why]"]
