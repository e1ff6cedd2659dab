"""A flow drawn from its file (``decisionbot flows diagram``): Mermaid or DOT text, or an image
through Graphviz; with counts from the ledger (:mod:`bot.analytics.flow_counts`) written on its
steps, moves and ends, so an analyst sees where runs go and where they stop."""

from __future__ import annotations

import re
from typing import Any

from bot import texts
from bot.analytics.flow_counts import FlowCounts, StepCounts
from bot.errors import BotError


def draw(machine: Any, fmt: str, counts: FlowCounts | None = None) -> tuple[bytes, int]:
    """``machine`` (a compiled flow) as ``fmt`` (mermaid, dot, svg, png), with ``counts`` written
    on it when given; and how many of the counted moves it has no arrow for (:func:`not_drawn`)."""
    from statemachine.contrib.diagram import DotGraphMachine, MermaidGraphMachine
    from statemachine.contrib.diagram.extract import extract
    from statemachine.contrib.diagram.graphviz import GraphvizError, GraphvizNotFoundError, run_graphviz
    from statemachine.contrib.diagram.renderers.dot import DotRenderer, DotRendererConfig
    from statemachine.contrib.diagram.renderers.mermaid import MermaidRenderer, MermaidRendererConfig

    graph = extract(machine)
    missing = 0
    if counts is not None:
        missing = not_drawn({(t.source, to, t.event.lower()) for t in graph.transitions for to in t.targets}, counts)
        annotate(graph, counts, "\n" if fmt != "mermaid" else " · ")
    if fmt == "mermaid":
        mermaid = MermaidRendererConfig(direction=MermaidGraphMachine.direction)
        return str(MermaidRenderer(config=mermaid).render(graph)).encode(), missing
    config = DotRendererConfig(  # as python-statemachine's DotGraphMachine draws
        graph_rankdir=DotGraphMachine.graph_rankdir,
        state_font_size=DotGraphMachine.state_font_size,
        transition_font_size=DotGraphMachine.transition_font_size,
    )
    dot = numbered_ids(DotRenderer(config=config).render(graph).to_string())
    try:
        return (dot.encode() if fmt == "dot" else run_graphviz(dot, fmt)), missing
    except GraphvizNotFoundError as exc:
        raise BotError(texts.cli_no_graphviz(fmt)) from exc
    except GraphvizError as exc:
        raise BotError(texts.cli_graphviz_failed(str(exc))) from exc


def annotate(graph: Any, counts: FlowCounts, between: str) -> None:
    from statemachine.contrib.diagram.model import StateType

    """Write ``counts`` into the drawing's steps (reached, dropped off, waiting), ends (runs) and
    moves (times taken), ``between`` a step's name and its numbers; a step no run in the window
    reached shows its zeros. A move drawn twice (the same
    steps and event under two conditions) shows its number once."""
    for state in _states(graph.states):
        if state.type == StateType.FINAL:
            state.name += between + texts.diagram_end_counts(counts.ends.get(state.id, 0))
        elif not state.children:
            step = counts.steps.get(state.id, StepCounts())
            state.name += between + texts.diagram_step_counts(step.reached, step.dropped_off, step.waiting)
    shown: set[tuple[str, str, str]] = set()
    for move in graph.transitions:
        if move.is_initial or len(move.targets) != 1 or not move.event:
            continue
        key = (move.source, move.targets[0], move.event.lower())
        if key not in shown:
            shown.add(key)
            move.event = texts.diagram_move_counts(move.event, counts.move(*key))


def not_drawn(graph_moves: set[tuple[str, str, str]], counts: FlowCounts) -> int:
    """How many of the counted moves the drawing has no arrow for (runs on an older version of the
    flow, a step since removed); starts, stalls and resumes are not arrows."""
    return sum(n for key, n in counts.moves.items() if key[2] in ("next", "back", "cancel") and key not in graph_moves)


def _states(states: list[Any]) -> list[Any]:
    out = []
    for state in states:
        out.append(state)
        out.extend(_states(state.children))
    return out


def numbered_ids(dot: str) -> str:
    """python-statemachine names the DOT graph's start point and clusters after Python object ids
    (``__initial_140369...``), new at every run: number them in order of appearance instead, so
    the same flow draws the same text (and image) every time."""
    numbers: dict[str, str] = {}
    return re.sub(r"(__initial_|__atomic_)(\d+)", lambda m: m[1] + numbers.setdefault(m[2], str(len(numbers) + 1)), dot)
