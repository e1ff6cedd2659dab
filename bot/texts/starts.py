"""What a start of a flow that cannot start that way is told: a review, which needs the decision
it reviews."""

from __future__ import annotations

from bot.texts._common import command


def review_needs_decision(flow: str) -> str:
    """A review flow started in chat (``start decision_review``), which names no decision to review."""
    return (
        f"Nothing started: {flow} reviews a recorded decision, and starts by itself on that decision's"
        " review date (its summary names the day)."
    )


def cli_review_needs_decision(flow: str) -> str:
    """``decisionbot chat`` of a review flow without ``--data decision_id=N``."""
    return (
        f"{flow} reviews a recorded decision: name it with --data decision_id=N (the decisions: {command()} runs"
        " list --status completed). It also starts by itself on each decision's review date."
    )
