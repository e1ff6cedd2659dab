"""Flow files fuzzed: the files of flows/ mutated as data (fields dropped, of the wrong type, odd
values, steps' ids of other steps) and as text (a line dropped, doubled, indented by a tab, the
file cut short), loaded from a folder as ``serve`` loads them. Each file either loads (and
compiles to its state machine) or is refused by FlowError naming its file, with a fix; never
another exception. (That one refused file leaves the others running: tests/test_broken_flows.py.)"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import event, given
from hypothesis import strategies as st

from bot.engine.compiler import compile_flow
from bot.engine.reader import flow_files, load_folder
from bot.errors import FlowError
from tests.fuzz_support import HOSTILE, fuzz, mutated, paths

ROOT = Path(__file__).resolve().parents[1]
FLOWS = {path.stem: path.read_text(encoding="utf-8") for path in flow_files(ROOT / "flows")}
DOCS = {name: yaml.safe_load(text) for name, text in FLOWS.items()}


def step_ids(doc: Any) -> list[str]:
    steps = doc.get("steps") if isinstance(doc, dict) else None
    return [s["id"] for s in steps or [] if isinstance(s, dict) and isinstance(s.get("id"), str)]


@st.composite
def as_data(draw: st.DrawFn, name: str) -> str:
    """The flow's document mutated; sometimes a field given another step's id or a step's field
    another type of step's (``options`` on a date, ``fields`` on a choice)."""
    doc = draw(mutated(DOCS[name]))
    if draw(st.booleans()) and (where := [p for p in paths(doc) if p and isinstance(p[-1], str)]):
        path = draw(st.sampled_from(where))
        holder = doc
        for key in path[:-1]:
            holder = holder[key]
        value = st.sampled_from([*step_ids(DOCS[name]), "completed", "nowhere"]) | HOSTILE
        holder[path[-1]] = draw(value)
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


@st.composite
def as_text(draw: st.DrawFn, name: str) -> str:
    """The flow's text with one to three lines dropped, doubled, tab-indented, or cut short."""
    lines = FLOWS[name].splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(lines) - 1))
        how = draw(st.sampled_from(["drop", "double", "tab", "cut", "dedent"]))
        if how == "drop":
            del lines[at]
        elif how == "double":
            lines.insert(at, lines[at])
        elif how == "tab":
            lines[at] = "\t" + lines[at]
        elif how == "dedent":
            lines[at] = lines[at].lstrip(" ")
        else:
            lines[at] = lines[at][: draw(st.integers(0, len(lines[at])))]
        if not lines:
            break
    return "".join(lines)


@st.composite
def flow_texts(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(st.sampled_from(sorted(FLOWS)))
    return name, draw(as_data(name) if draw(st.booleans()) else as_text(name))


def held_to_the_rules(folder: Path, name: str) -> None:
    """``name``'s file in ``folder`` loads and compiles, or is refused naming file and fix, briefly."""
    flows, refused = load_folder(folder)
    if name in flows:
        event("loaded")
        compile_flow(flows[name])
        return
    error = refused[name]
    event("refused")
    assert isinstance(error, FlowError)
    assert str(error).startswith(str(folder / f"{name}.yaml")) and error.problem and error.fix
    assert re.search(r"\. Fix: .+", str(error)), str(error)
    assert len(str(error)) < 1000 + len(str(folder)), str(error)  # a value it quotes is cut short


@fuzz(200)
@given(flow=flow_texts())
def test_a_mutated_flow_file_loads_or_is_refused_naming_file_and_fix(tmp_path: Path, flow: tuple[str, str]) -> None:
    name, text = flow
    folder = tmp_path / "flows"
    folder.mkdir(exist_ok=True)
    for other in FLOWS:  # the others there to be named (``schedule_flow``), each refused as empty
        (folder / f"{other}.yaml").write_text(text if other == name else "", encoding="utf-8")
    held_to_the_rules(folder, name)


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_every_flow_file_loads_unchanged(tmp_path: Path, name: str) -> None:
    """The base of the mutations: each file as it is loads (the fuzz test's 'loaded' cases)."""
    folder = tmp_path / "flows"
    folder.mkdir()
    for other, original in FLOWS.items():
        (folder / f"{other}.yaml").write_text(original, encoding="utf-8")
    flows, refused = load_folder(folder)
    assert refused == {} and name in flows
    compile_flow(flows[name])


# --- what the fuzzing found, kept as explicit cases ----------------------------------------

LONG_VALUES = {
    "a long role": ("    type: text\n    to: '" + "0" * 1000 + "'\n", "'to: 000", "names no role. Fix: "),
    "a long type": ("    type: " + "Q" * 30_000 + "\n", "'type' is invalid: 'QQQQ", "is not one of ['text'"),
    "a mapping for a text": (
        "    type: text\n    to: " + "{" + ", ".join(f"k{i}: {'v' * 50}" for i in range(200)) + "}\n",
        "'to' is invalid: {'k0': 'vvv",
        "Fix: ",
    ),
}


@pytest.mark.parametrize("case", LONG_VALUES)
def test_a_refusal_quotes_a_long_value_cut_short(tmp_path: Path, case: str) -> None:
    """The error repeated the value whole (a 33,000-character line in the log, the CLI, a chat
    reply); it shows its start, and the rest of the message as before."""
    step, start, end = LONG_VALUES[case]
    path = tmp_path / "t.yaml"
    path.write_text("id: t\ntitle: T\nsteps:\n  - id: decision\n    ask: What was decided?\n" + step, encoding="utf-8")
    flows, refused = load_folder(tmp_path)
    error = str(refused["t"])
    assert error.startswith(f"{path}, step 'decision': {start}") and end in error and len(error) < 800, error


def test_a_refusal_names_a_step_with_a_long_id_short(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(
        f"id: t\ntitle: T\nsteps:\n  - id: '{'0' * 2000}'\n    ask: What?\n    type: text\n"
    )
    error = str(load_folder(tmp_path)[1]["t"])
    assert error.startswith(f"{tmp_path / 't.yaml'}, step '{'0' * 80}…': 'id' is invalid: '000") and len(error) < 400, (
        error
    )
