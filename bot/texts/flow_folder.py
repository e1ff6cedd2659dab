"""What is said of the flows folder as it loads: reserved step and field ids, flow files refused, the folder reloaded."""

from __future__ import annotations

from pathlib import Path

from bot.texts._common import command

#: Why a step id is reserved, by its kind in bot/engine/reserved.py.
_RESERVED_BECAUSE = {
    "end": "runs end in a state of that name",
    "event": "the engine moves every run on with an event of that name",
    "template": "prompts and templates have a variable of that name",
    "argument": "the engine and python-statemachine pass an argument of that name with the answers,"
    " so a run could not move on from it or a condition could not read it",
    "machine": "it is a name of python-statemachine's state machine (a method, attribute or setting),"
    " which a step of that name would replace",
    "constant": "conditions or prompts read it as a constant (true, false, none), not as the step's answer",
    "keyword": "it is a Python keyword, which a branch condition cannot name",
}


def step_id_reserved(step_id: str, kind: str) -> str:
    """A flow file's step id the engine cannot use (``kind``: why, from bot/engine/reserved.py)."""
    return f"the step id '{step_id}' is a reserved name: {_RESERVED_BECAUSE[kind]}"


def field_id_reserved(field_id: str) -> str:
    return (
        f"the field id '{field_id}' is a reserved name: a prompt's item.{field_id} would read a method, not the answer"
    )


def field_id_reserved_fix(field_id: str) -> str:
    return f"rename it, e.g. '{field_id}_text', wherever the flow names it (fields, prompts, record)"


def step_id_reserved_fix(step_id: str) -> str:
    return f"rename it, e.g. '{step_id}_step', wherever the flow names it (id, goto, when, prompts, record)"


def flow_refused(error: object) -> str:
    """A flow file that is refused while the others run (``error``: its FlowError, file, step and fix)."""
    return f"Flow refused, the other flows run without it: {error}"


def flows_all_refused(errors: list[str]) -> str:
    return "No flow file loads; nothing to run:\n" + "\n".join(f"  {e}" for e in errors)


def cli_flows_refused(errors: list[str], total: int) -> str:
    good = total - len(errors)
    valid = f"; the other {good} valid" if good else ""
    return f"{len(errors)} of {total} flow files refused{valid}:\n" + "\n".join(f"  {e}" for e in errors)


def flows_folder_empty() -> str:
    return "the folder holds no flow file (*.yaml)"


def flows_folder_empty_fix() -> str:
    return "name a flows folder or flow files"


def cli_no_flows(folder: str, exists: bool, env: str, a_file: bool = False) -> str:
    """``--flows`` naming no folder of flow files; one naming a file (``a_file``:
    ``flows/post_meeting.yaml``) is told so, with its folder (it said the folder "does not exist")."""
    if a_file:
        return (
            f"--flows names the file {folder}, not a folder. Point --flows (env {env}) at the folder of"
            f" your flow files: {Path(folder).parent}"
        )
    why = "holds no flow file (*.yaml)" if exists else "does not exist"
    return f"The flows folder {folder} {why}. Point --flows (env {env}) at the folder of your flow files."


def flows_reloaded(folder: str, changed: dict[str, list[str]]) -> str:
    """One line per reload of a running server's flows folder; ``changed``: added, fixed, updated,
    removed, refused, each with its flow ids."""
    what = "; ".join(f"{how} {', '.join(names)}" for how, names in changed.items() if names)
    return f"Flows reloaded from {folder}: {what}. Runs in flight go on with the version they started on."


def flows_reload_refused(error: object) -> str:
    return f"Flow refused on reload, new runs of it wait for the fix (the other flows run): {error}"


def flows_all_refused_kept(folder: str, kept: list[str], errors: list[str]) -> str:
    """A running server's flows folder where no flow file loads any more: the last good flows run."""
    why = "\n".join(f"  {e}" for e in errors) if errors else "  it holds no flow file (*.yaml)"
    return (
        f"No flow file in {folder} loads any more; the server keeps running the last good versions"
        f" of {', '.join(kept)} until one does. Fix the folder ({command()} flows validate):\n{why}"
    )


def flows_reload_failed(folder: str, problem: str) -> str:
    return f"Could not look at the flows folder {folder} (trying again in a second): {problem}"


def flow_file_suffix() -> str:
    return "the file is not read as a flow: flow files end in .yaml"


def flow_file_suffix_fix(stem: str) -> str:
    return f"rename it {stem}.yaml"


def flow_file_suffix_taken(flow_id: str) -> str:
    return (
        f"it holds the flow '{flow_id}', whose file {flow_id}.yaml is there already: remove this copy,"
        " or give it an id of its own and name it after that"
    )
