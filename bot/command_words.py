"""How typed words are read as a bot command, on every chat platform: the verb and its words
(``A12 done`` is ``done A12``), a command misspelt (``staus 3``), and which commands come before a
question's answer where one waits on their writer (``status 3``, ``done A12``, ``list``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from bot.command_result import action_id_of, run_id_of
from bot.dispatch import Dispatcher
from bot.engine.commands import one_slip_from
from bot.engine.small_talk import chatter
from bot.store import actions

VERBS = ("start", "list", "status", "cancel", "actions", "done", "due", "drop", "give", "move", "help")


def command_words(text: str) -> list[str]:
    """The words of a command; ``A12 done`` (the code first, as people also say it) is ``done A12``."""
    words = text.strip().split()
    if len(words) == 2 and words[1].lower().rstrip(".!") == "done" and action_id_of(words[:1]) is not None:
        return ["done", words[0]]
    return words


def is_command(text: str) -> bool:
    words = command_words(text)
    return bool(words) and words[0].lower() in VERBS


def meant_command(text: str) -> str | None:
    """The command ``text`` is a slip of the keyboard from ("staus 3": ``status 3``), or None:
    words after it that the command would not take make it a sentence ("lost my laptop")."""
    words = command_words(text)
    verb = one_slip_from(words[0], VERBS) if words else None
    args = words[1:]
    if verb in ("list", "actions", "help"):
        fits = not args
    elif verb in ("status", "cancel"):
        fits = len(args) == 1 and run_id_of(args) is not None
    elif verb == "move":  # move RUN #channel
        fits = len(args) == 2 and run_id_of(args) is not None and args[1].startswith("#")
    elif verb in ("done", "due", "drop", "give"):
        fits = len(args) >= (1 if verb in ("done", "drop") else 2) and action_id_of(args) is not None
    else:  # start FLOW ...
        fits = bool(args) and len(args) <= 3
    return " ".join([verb, *args]) if verb and fits else None


def answers_words(text: str) -> bool:
    """Whether ``text``, though no command, gets an answer where nothing waits on its writer:
    a command misspelt, "what is this?", "thanks!" (:func:`run_command` says what they meant)."""
    return is_command(text) or meant_command(text) is not None or chatter(text) in ("about", "thanks", "stop")


def names_a_run(text: str, mine: Callable[[int], bool] | None = None) -> bool:
    """Whether ``text`` is a command that names its run or action (``status N``, ``cancel N``,
    ``cancel #N``, ``done A12``, ``due A12 DATE``, ``drop A12 [why]``, ``give A12 @person [why]``): a command
    wherever it is typed, before any run's answer (a bare ``cancel`` or ``done`` is a run's word, and so is ``done 1``)."""
    words = command_words(text)
    verb = words[0].lower() if words else ""
    if verb in (
        "due",
        "drop",
        "give",
    ):  # due A12 DATE, drop A12 [why]: sentences too ("Drop A4 paper, print on Letter")
        action_id = action_id_of(words[1:2])
        if len(words) < (2 if verb == "drop" else 3) or action_id is None:
            return False
        return mine is None or mine(action_id)
    if len(words) != 2:
        return False
    if verb == "done":
        return action_id_of(words[1:]) is not None
    return verb in ("status", "cancel") and words[1].lstrip("#").isdigit()


def gives_here(text: str, mine: Callable[[int], bool], leads: Callable[[int | None], bool]) -> bool:
    """Whether ``text``, typed plainly where it may be an answer (a run's thread), is a command of its
    writer's: one that names its run or action (:func:`names_a_run`) that they may give. ``status N``
    anyone (it changes nothing); ``cancel N`` who leads run N (``leads``); ``done A12``, ``due``,
    ``drop``, ``give`` whose action is theirs to change (``mine``). Anyone else's is an answer."""
    if not names_a_run(text, mine):
        return False
    words = command_words(text)
    verb = words[0].lower()
    if verb == "cancel":
        return leads(run_id_of(words[1:]))
    if verb == "done":
        action_id = action_id_of(words[1:])
        return action_id is not None and mine(action_id)
    return True


def comes_first(text: str, flows: Collection[str], mine: Callable[[int], bool] | None = None) -> bool:
    """Whether ``text`` is a command even where a question waits on its writer (a direct message, a
    Teams chat): one that names its run or action, ``start`` with a flow of ``flows``, or a bare
    ``list`` or ``actions``; no question takes these as its answer."""
    words = command_words(text)
    verb = words[0].lower() if words else ""
    if verb == "start":
        return len(words) >= 2 and words[1] in flows
    if verb in ("list", "actions"):
        return len(words) == 1
    return names_a_run(text, mine)


def actions_of(dispatcher: Dispatcher, actor_id: str) -> Callable[[int], bool]:
    """For :func:`names_a_run`: whether an action is ``actor_id``'s to change (they own it, or lead its
    decision), so that ``due A4 ...``/``drop A4 ...``/``give A4 ...`` typed where a question waits on them is a
    command only then, and an answer that merely starts so ("Drop A4 paper") stays an answer."""
    return lambda action_id: actions.may_change(dispatcher.db.conn, action_id, actor_id)
