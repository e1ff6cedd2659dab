"""What a person asked by two or more runs at once is told when a typed answer names none of
them (a direct message, a Teams chat, Rasa): the questions waiting, and how to answer one; and
what someone writing to a run that ended, or that has their answer already, is told."""

from __future__ import annotations

from collections.abc import Sequence

# --- which question -----------------------------------------------------------------------------


def which_question(asking: Sequence[tuple[int, str, str]], named: int | None, ways: str) -> str:
    """The answer to a typed message no run took: ``asking`` (run, title, question) waits on its
    writer; ``named`` a run its ``#N`` named that does not wait on them; ``ways`` how to answer
    (the channel's own, see :func:`which_ways`)."""
    if named is not None:
        head = f"Run #{named} does not wait on you."
        if not asking:
            return f"{head} Nothing is waiting for your answer here."
        head += " Open questions:" if len(asking) > 1 else " Open question:"
    else:
        head = "Two or more questions wait on you, so I did not take that as an answer. Which one is it for?"
    lines = [f"• #{run_id} {title}" + (f": {' '.join(q.split())}" if q.strip() else "") for run_id, title, q in asking]
    return "\n".join([head, *lines, ways])


def which_ways(first: int, buttons: str | None, thread: bool) -> str:
    """How to answer one of the questions listed: ``buttons`` the channel's widgets ("buttons",
    "card"; None for none that say which run), ``thread`` a reply in the question's thread (Slack),
    or the run's number typed before the answer (``first``: the example's run)."""
    ways = [f"with its {buttons}"] if buttons else []
    if thread:
        ways.append("by replying in its thread")
    ways.append(f"by typing its number before your answer (#{first} yes)")
    if len(ways) == 1:
        return f"Answer one {ways[0]}."
    return f"Answer one {', '.join(ways[:-1])}, or {ways[-1]}."


# --- a run that ended, an answer given -------------------------------------------------------------


def run_closed(status: str, run_id: int, title: str) -> str:
    """To someone writing to a run that has ended, where it lived (its thread, its chat)."""
    return f"Run #{run_id} ('{title}') was {status}; nothing more to answer. Start a new one to decide again."


def question_answered_already(run_id: int, title: str) -> str:
    """To someone typing where nothing waits just after answering their question (a card clicked, then words typed)."""
    return f"Run #{run_id} ('{title}') has your answer already: nothing waits for your answer now."


def run_ended_unanswered(run_id: int, title: str, status: str, answered: bool = False) -> str:
    """To someone whose latest question's run ended before they answered (``answered``: it was
    cancelled lately, after their answer), writing where nothing waits."""
    ended = "was cancelled" if status == "cancelled" else "ended"
    before = "" if answered else " before you answered"
    return f"Run #{run_id} ('{title}') {ended}{before}: nothing waits for your answer now."
