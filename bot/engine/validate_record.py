"""What the record reads as one answer, checked at load: ``record.decision`` (a step id, or the
steps its template reads), ``record.review_at``, ``record.outcome``, and the dates
``schedule_flow`` and ``calendar_invite`` are ``at``. A repeat step (its items) or a fan-out (an
answer per item), like a step asked of each participant, has no one answer: the decision would show a Python list, or nothing, and a
review date a mapping the ledger cannot store. Checked on a flow's current version only."""

from __future__ import annotations

from collections.abc import Iterator

from bot import texts
from bot.engine import templates
from bot.engine.model import Flow
from bot.errors import FlowError


def check(flow: Flow) -> None:
    for where, name in _read_once(flow):
        if flow.has_step(name) and _per_item(flow, name):
            per = "person" if flow.step(name).to == "participants" else "item"
            raise FlowError(flow.path, texts.record_reads_per_item(where, name, per), texts.record_reads_per_item_fix())


def _per_item(flow: Flow, name: str) -> bool:
    """A repeat (its items), a fan-out or a step asked of each participant (an answer each)."""
    step = flow.step(name)
    return step.type == "repeat" or step.fan_out is not None or step.to == "participants"


def _read_once(flow: Flow) -> Iterator[tuple[str, str]]:
    """(where it is written, as the message says it; the step read) for each step the record reads
    as one answer."""
    rec = flow.record
    if rec.decision and "{{" in rec.decision:
        yield from (("the template of record.decision reads", name) for name in templates.names_read(rec.decision))
    elif rec.decision:
        yield "record.decision names", rec.decision
    for key in ("review_at", "outcome"):
        if getattr(rec, key):
            yield f"record.{key} names", getattr(rec, key)
    for action in flow.on_complete:
        for kind in ("schedule_flow", "calendar_invite"):
            at = (action.get(kind) or {}).get("at")
            if at:
                yield f"{kind}.at names", at
