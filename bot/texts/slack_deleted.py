"""What the Slack channel says when a message of an open run is deleted in Slack: the run's thread
gone with its root (the new thread's first message), and a question's message gone (the words
before the question asked again); the log lines of both."""

from __future__ import annotations


def slack_thread_moved(run_id: int, flow_title: str, title: str, asks: bool) -> str:
    """The root of a run's new thread in the same channel, its first thread deleted (``asks``: the
    questions still waiting there follow, asked again). Slack does not say who deleted it."""
    about = f": {title}" if title and title != flow_title else ""
    said = (
        f"*{flow_title}*{about} (run #{run_id}) goes on in this thread: its first thread was deleted."
        " The answers given there are kept."
    )
    if asks:
        return f"{said} What it still waits for is asked again below."
    return f"{said} Its next messages follow here."


def slack_question_deleted() -> str:
    """Before a question asked again in its thread, its first message deleted."""
    return "Asked again (its message was deleted):"


def slack_thread_moved_log(run_id: int, channel: str, old: str) -> str:
    """Log line: a run's thread root deleted in Slack; the run moved to a new thread."""
    return (
        f"slack: run #{run_id}: its thread {channel}/{old} was deleted in Slack;"
        " it goes on in a new thread of the channel, its waiting questions asked again there"
    )


def slack_question_deleted_log(run_id: int, channel: str, ts: str, who: str) -> str:
    """Log line: the message of a question an open run waits on deleted in Slack; asked again."""
    return f"slack: run #{run_id}: its question to {who} ({channel}/{ts}) was deleted in Slack; asked again"


def slack_thread_gone_retry() -> str:
    """Why a reply refused in a deleted thread is tried again at once: its run lives elsewhere now."""
    return "its thread was deleted: posted again where its run lives now"
