"""What the bot answers to what people say instead of an answer or a command: "what is this?",
"thanks!", "stop", "remind me tomorrow", a command misspelt."""

from __future__ import annotations


def about_bot(facilitator: str, title: str, is_facilitator: bool) -> str:
    """Before the question and its help: what the bot is, to someone asking ("who are you?")."""
    if is_facilitator:
        return f"I'm decisionbot: I record decisions and their actions for the team. This is your question ('{title}'):"
    return f"I'm decisionbot: I record decisions and their actions for the team. {facilitator} needs your answer ('{title}'):"


def welcome_question_waits() -> str:
    return "You're welcome. The question above still waits for your answer (say 'help' if it is unclear)."


def cannot_stop_question(facilitator: str) -> str:
    return (
        f"I can't stop this question: {facilitator}'s decision waits for your answer."
        f" Answer it when you can, or ask {facilitator} to ask someone else."
    )


def cannot_postpone(reminds: bool) -> str:
    later = " I'll send a reminder if it still waits." if reminds else ""
    return f"I can't postpone a question: it stays open here, answer it when you're ready.{later}"


def about_commands(commands: str) -> str:
    """To "who are you?" where nothing waits on its writer: what the bot is, then its commands."""
    return (
        "I'm decisionbot: I walk a team through a decision (after a meeting, or an alert) in chat, one"
        " question at a time, and keep it with its actions and their owners.\n" + commands
    )


def welcome() -> str:
    return "You're welcome."


def console_meant(word: str, meant: str) -> str:
    return f"I don't know '{word}'. Did you mean '{meant}'? Say 'help' for the commands."


def nothing_to_stop() -> str:
    """To "stop" or "unsubscribe" where nothing waits on its writer."""
    return (
        "There is nothing to unsubscribe from: I write to you only when a decision asks you something,"
        " to remind you of it, or about your open actions ('actions' lists them). To hand an action"
        " over, say 'give A12 @person'."
    )


def nod_nothing_waits() -> str:
    """To 👍, 'ok' or 'got it' where nothing waits on its writer."""
    return "Noted: nothing here waits on your answer. Say 'help' for what I can do."


def slack_answer_in_thread(run_id: int, title: str) -> str:
    """To someone who typed in a Slack channel itself while a run of it waits on them in its thread."""
    return (
        f"I read answers in the run's thread, not the channel: run #{run_id} ('{title}') waits for your"
        " answer there, or in our direct message if I asked you there. What you typed here was not taken."
    )


def list_taken(count: int, label: str, first: str) -> str:
    """Several items typed at once where one was asked for: taken one at a time."""
    return f"That is {count} {label.lower()}s: I'll take them one at a time, '{first}' first."


def cannot_remove_item(label: str, facilitator: bool) -> str:
    """ "remove the second action" mid-run: what can be done instead."""
    word = label.lower()
    change = f"change it instead ('change {word} 2 to ...')" if facilitator else "ask the facilitator to change it"
    return (
        f"I can't remove a listed {word} while the decision is being recorded: {change}, or once it is"
        f" recorded, drop it with its code ('drop A12 why')."
    )


def slack_taken_for_thread(run_id: int, title: str) -> str:
    """In a direct message that answered a question of a run living in a channel's thread."""
    return f"Taken for run #{run_id} ('{title}'). Its next question is in the run's thread."


def teams_taken_for_elsewhere(run_id: int, title: str, in_thread: bool) -> str:
    """In a Teams personal chat that answered a question of a run living in a channel's thread
    (``in_thread``) or a group chat, where its next question went."""
    where = "the run's thread" if in_thread else "the run's chat"
    return f"Taken for run #{run_id} ('{title}'). Its next question is in {where}."


def adding_here(midway: bool) -> str:
    """Before the question waiting, to "add another action" said while the list is being made;
    ``midway``: this item is not finished yet."""
    return "Finish this one first, then add it:" if midway else "Add it here:"
