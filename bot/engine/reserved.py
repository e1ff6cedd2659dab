"""Step ids a flow may not use, and why: an id that the engine or python-statemachine already
uses for something else breaks a run when it reaches that step, so it is refused at load.

A step's id is four things at once: the name of a state of the flow's StateChart (set as an
attribute of the machine's class and of every instance, over whatever the library has there),
a keyword argument of the ``next`` event (the answers, which branch conditions read), and a
variable of branch conditions and of prompts. Each set below was found by running every
candidate through whole runs (a middle step, a first step, read by a condition and a prompt,
``back`` into it): ``next`` crashes the turn that moves to it, ``send`` every turn, ``actor``
or ``delay`` every answer, ``source`` the condition reading it, ``true`` reads as a constant.
"""

from __future__ import annotations

import keyword

from bot.engine.model import FINAL_STATES

#: The events the compiler gives every step (``bot/engine/compiler.py``): a state of that name is
#: replaced by the event of its name, and a run moving to it has no state.
ENGINE_EVENTS = frozenset({"next", "back", "cancel"})

#: Names prompts and the record's templates are rendered with, besides the step ids.
TEMPLATE_NAMES = frozenset({"trigger", "answers", "run", "item", "n", "flow", "now"})

#: Arguments taken on the way from a turn to a branch condition, next to the answers passed by
#: step id: the engine's (``TurnBase.transition``, ``Interpreter.send``), python-statemachine's
#: ``send`` and ``put``, and the event data it hands conditions itself (``_event_data_kwargs``).
EVENT_ARGUMENTS = frozenset(
    {"self", "actor", "state", "event", "delay", "send_id", "internal"}
    | {"event_data", "machine", "model", "transition", "source", "target"}
)

#: python-statemachine's own names on a machine that break a run when a step takes them (its
#: methods and attributes the engine or the library use while a run moves): a step replaces them.
MACHINE_NAMES = frozenset(
    {
        "add_event",
        "add_from_attributes",
        "add_inherited",
        "add_state",
        "configuration",
        "history_values",
        "listeners",
        "model",
        "prepare",
        "send",
        "start_configuration_values",
        "state_field",
        "states",
        "states_map",
        "validate_trap_states",
    }
)

#: The library's other names on a machine: a step of such a name replaces it, and a run through
#: it (a first and a middle step, read by a condition and a prompt, ``back`` into it, ``cancel``,
#: the diagrams) completes, so they are not refused (``name`` and ``id`` are natural step ids). A
#: name the library adds in a new version is neither: a test says so, to be tried and sorted.
MACHINE_NAMES_TRIED_HARMLESS = frozenset(
    {
        "activate_initial_state",
        "active_listeners",
        "add_listener",
        "allow_event_without_transition",
        "allowed_events",
        "atomic_configuration_update",
        "bind_events_to",
        "cancel_event",
        "catch_errors_as_events",
        "configuration_values",
        "current_state",
        "current_state_value",
        "enable_self_transition_entries",
        "enabled_events",
        "events",
        "final_states",
        "id",
        "initial_state",
        "is_terminated",
        "listeners_inherit",
        "name",
        "raise_",
        "validate_disconnected_states",
        "validate_final_reachability",
    }
)

#: A repeat's item is a dict in prompts (``item.<field>``): a field of one of its methods' names
#: reads as the method, not the answer.
ITEM_METHODS = frozenset(name for name in dir(dict) if not name.startswith("_"))

#: Read as constants, not as a step's answer: by branch conditions (true, false, null) or by
#: prompts (true, false, none).
CONSTANTS = frozenset({"true", "false", "null", "none"})

#: Python's keywords (the lowercase ones; the others are no step id): a condition cannot name them.
KEYWORDS = frozenset(word for word in keyword.kwlist if word.islower())

#: Reserved from the first flow format on: a version runs are pinned to was checked against these.
#: The others are refused in current files only, so a run in flight is not stopped by a check
#: added after it started (it finishes, or stops at that step as it would have).
ALWAYS = (
    frozenset(FINAL_STATES) | TEMPLATE_NAMES | {"event", "machine", "model", "source", "state", "target", "transition"}
)

#: Every reserved id by what it is, the first set that holds it naming it.
KINDS: tuple[tuple[str, frozenset[str]], ...] = (
    ("end", frozenset(FINAL_STATES)),
    ("event", ENGINE_EVENTS),
    ("template", TEMPLATE_NAMES),
    ("argument", EVENT_ARGUMENTS),
    ("machine", MACHINE_NAMES),
    ("constant", CONSTANTS),
    ("keyword", KEYWORDS),
)

RESERVED = frozenset().union(*(names for _, names in KINDS))


def kind_of(step_id: str, pinned: bool = False) -> str | None:
    """Why ``step_id`` may not be a step's id (a key of ``KINDS``), or None when it may.
    ``pinned``: a version runs are pinned to, checked against ``ALWAYS`` only."""
    if pinned and step_id not in ALWAYS:
        return None
    return next((kind for kind, names in KINDS if step_id in names), None)
