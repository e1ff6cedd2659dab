"""One run as text for the terminal: transcript, answers with revisions, decision record; and
what the ledger holds made safe to print on a terminal (:func:`terminal_safe`)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from bot import texts
from bot.engine.shown import named
from bot.model import is_placeholder

#: The sources whose events are alerts (a hook's, a metric check's): ``runs show`` names the one
#: behind a run. A run started in chat, by ``decisionbot trigger``, a review's date or a handover has none.
ALERT_SOURCES = frozenset({"alertmanager", "grafana", "generic", "check"})

if TYPE_CHECKING:
    from bot.engine.model import Flow, Step


def _value(value: Any) -> str:
    if isinstance(value, dict) and set(value) <= {"id", "name"}:
        return str(value.get("name") or value["id"])
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "(none)" if value is None else str(value) if not isinstance(value, dict | list) else json.dumps(value)


#: Each choice question's labels by value, by (step, repeat field or None): see :func:`choices_of`.
Choices = dict[tuple[str, str | None], dict[str, str]]


def choices_of(flow: Flow | None) -> Choices:
    """The labels of the choices of ``flow`` (the version a run is on), by question."""
    out: Choices = {}
    for step in flow.steps if flow is not None else ():
        for q in (step, *step.fields):
            if q.type == "choice":
                out[(step.id, None if q is step else q.id)] = {o.value: o.label for o in q.options}
    return out


def _answer(a: dict[str, Any], choices: Choices) -> str:
    """An answer as the chat showed it: a choice by its label, with the value the ledger keeps."""
    label = choices.get((a["step"], a["field"] or None), {}).get(a["value"]) if isinstance(a["value"], str) else None
    return _value(a["value"]) if label is None else texts.option_shown(label, a["value"])


def render_run(detail: dict[str, Any], choices: Choices | None = None, flow: Flow | None = None) -> str:
    """``detail`` (:func:`bot.store.transcript.run_detail`); ``flow``: the version the run is on,
    whose questions name its answers in words (``the due date of Action 1``), and its choices'
    labels; ``detail["run"]["waiting"]``, when set: what an open run waits for, in words."""
    names = {m["actor_id"]: m["actor_name"] for m in detail["messages"] if m["actor_id"] and m["actor_name"]}
    lines = _header(detail["run"], names)
    lines += _transcript(detail["run"], detail["messages"])
    lines += _answers(detail["answers"], choices or choices_of(flow), flow, names)
    for d in detail["decisions"]:
        lines += _decision(d, names)
    return "\n".join(lines)


def _header(run: dict[str, Any], names: dict[str, str]) -> list[str]:
    """The run: its flow and version, status, what an open one waits for (in words when known,
    else whom), title, conversation, facilitator by name, times."""
    at = ""
    # an alert's run that names nobody, until one answers (not a terminal's chat run without -f)
    untaken = run.get("untaken", True) and is_placeholder(str(run["facilitator"] or ""))
    if run.get("waiting_for"):
        waiting = run.get("waiting") or run["waiting_for"]
        if untaken:  # its question waits on the placeholder's name, "facilitator"
            waiting = [
                texts.run_show_untaken(str(run["conversation"])) if w == "facilitator" else w
                for w in run["waiting_for"]
            ]
        at += texts.run_show_waiting(waiting)
    ended = f", {run['status']} {run['completed_at']}" if run["completed_at"] else ""  # completed or cancelled
    lead = texts.run_show_nobody_yet() if untaken else _named(run["facilitator"], names)
    lines = [
        f"Run #{run['id']}: {run['flow']} ({run['version']}), {run['status']}{at}",
        f"  title: {run.get('title') or ''}   channel: {run['conversation']}   facilitator: {lead}",
        f"  started {run['started_at']}, updated {run['updated_at']}{ended}",
    ]
    if run.get("event") and run["event"]["source"] in ALERT_SOURCES:  # an alert, a check, a hook: what started it
        lines.append(f"  {texts.run_show_trigger(run['event'])}")
    return lines


def _transcript(run: dict[str, Any], messages: list[dict[str, Any]]) -> list[str]:
    """Every message in and out, each day named where it changes; changes, refusals and replies
    given up marked so."""
    lines = ["", "Transcript:"]
    day = str(run["started_at"])[:10]
    for m in messages:
        if m["created_at"][:10] != day:  # a run chased over days: each line's time of day alone misleads
            day = m["created_at"][:10]
            lines.append(f"  {texts.run_show_day(day)}")
        who = m["actor_name"] or m["actor_id"] or "everyone"
        arrow = f"{who} >" if m["direction"] == "in" else f"bot -> {who}:"
        if m["kind"] in ("edited", "deleted"):  # a change to a message above, kept as first sent
            arrow = f"{who} {texts.run_show_changed(m['kind'] == 'deleted')} >"
        elif m["kind"] == "refused":  # typed or clicked where it answers nothing: not an answer
            arrow = f"{who} {texts.run_show_refused(m.get('refused_widget'))} >"
        lines.append(f"  {m['created_at'][11:19]} {arrow} {_indented(m['text'])}")
        if m.get("failed_at"):  # given up by the outbox: never delivered
            lines.append(f"      {texts.run_show_given_up(m['failed_at'], m.get('failed_because') or '')}")
    return lines


def _answers(answers: list[dict[str, Any]], choices: Choices, flow: Flow | None, names: dict[str, str]) -> list[str]:
    """Every answer's every revision, by what it answers in words (``the due date of Action 1``)."""
    lines = ["", "Answers (every revision):"]
    for a in answers:
        who = _named(a["actor_id"], names)
        shown = _indented(_answer(a, choices))
        lines.append(f"  {_slot(a, flow)}, r{a['revision']} {a['kind']}: {shown}  (by {who}, {a['at']})")
    return lines


def _slot(a: dict[str, Any], flow: Flow | None) -> str:
    """What an answer answers, as people read it: ``the decision``, ``the due date of Action 1``,
    ``the owners' answers to take their actions (Action 1)``; by the flow's questions when known."""
    step = flow.step(a["step"]) if flow is not None and flow.has_step(a["step"]) else None
    label = _items_called(step, flow)
    if a["field"]:
        field = next((f for f in step.fields if f.id == a["field"]), None) if step is not None else None
        words = named(field) if field is not None else texts.answer_named(a["field"])
        return texts.item_field(words, label, a["item"] or 0)
    words = named(step) if step is not None else texts.answer_named(a["step"])
    return words if a["item"] is None else f"{words} ({label} {a['item']})"


def _items_called(step: Step | None, flow: Flow | None) -> str:
    """What the items of ``step``'s answers are called: its own (a repeat), the list's it fans out over
    (``to: each ...``), ``participant`` (``to: participants``: one answer each; it was named by an
    unrelated list's label, 'the votes (Task 2)'), else the flow's first list's."""
    if step is not None and step.type == "repeat":
        return step.item_label
    source = step.fan_out[0] if step is not None and step.fan_out else None
    if flow is not None and source is not None and flow.has_step(source):
        return flow.step(source).item_label
    if step is not None and step.to == "participants":
        return "participant"
    return _label_of(flow)


def _label_of(flow: Flow | None) -> str:
    """What the items a question fans out over are called: the flow's first list's item label."""
    labels = flow.item_labels if flow is not None else ()
    return labels[0] if labels else "Item"


def _named(actor_id: str | None, names: dict[str, str]) -> str:
    """A person by the name they spoke under, their id when they never spoke in the run."""
    return names.get(actor_id or "", actor_id or "?")


def _indented(text: str) -> str:
    """A text of several lines (an answer, a decision typed with line breaks), its lines after the
    first indented under the line it starts: read as one, not as lines of the listing."""
    return text.replace("\n", "\n      ")


def _decision(d: dict[str, Any], names: dict[str, str]) -> list[str]:
    """A decision, its actions (who accepted or confirmed each, and its being done) and reviews."""
    lines = [
        "",
        f"Decision {d['id']} ({d['status']}): {_indented(d['text'] or '')}",
        f"  decided by {_named(d['decided_by'], names)} at {d['decided_at']}",
    ]
    for act in d["actions"]:
        by = act.get("confirmed_by")  # a yes given in the owner's place (older ledgers: no column)
        accepted = "accepted" if act["accepted_at"] else f"confirmed by {names.get(by, by)}" if by else "not accepted"
        done_by = act.get("done_confirmed_by")  # a "done" said in the owner's place
        status = f"{act['status']} (confirmed by {names.get(done_by, done_by)})" if done_by else act["status"]
        lines.append(
            f"  action {act['item']} (A{act['id']}): {_indented(act['what'])} - {act['owner_name']}, due {act['due'] or '-'}, {status}, {accepted}"
        )
    for r in d["reviews"]:
        lines.append(f"  review due {r['due_at']}" + (f", held {r['held_at']}: {r['outcome']}" if r["held_at"] else ""))
    return lines


#: Control characters a terminal acts on (C0 but tab and line feed, DEL, C1): ESC starts the
#: sequences that clear the screen, recolour or hide text, set the window title or write the
#: clipboard (OSC 52); U+009B is CSI on its own.
#: The bidirectional overrides and isolates too (U+202A-E, U+2066-9): a right-to-left override
#: makes a line read otherwise than it is ("Trojan Source").
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """``text`` (what people typed, an alert's title: anything) with every control character a
    terminal would act on shown as its escape (``\\x1b``, ``\\u202e``), so printing a run cannot
    drive the operator's terminal or reorder what it shows."""
    return _CONTROLS.sub(_escaped, text)


def _escaped(found: re.Match[str]) -> str:
    code = ord(found.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
