"""A flow saved as ``launch.yml`` (or ``.YAML``), as many editors and habits name YAML files: before,
the folder skipped it without a word, ``flows validate`` said every file was valid (exit 0) and
``chat launch`` answered "No flow 'launch'"; now it is refused as any bad file is, naming the file
and the fix (rename it ``launch.yaml``), by ``flows validate`` (folder or file), ``chat`` and the
folder's loading (so ``serve`` logs it and lists it in /healthz)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bot.cli import main
from bot.engine.reader import load_folder
from bot.flow_catalog import folder_stamp
from tests.flows_support import shipped_flows

LAUNCH = "id: launch\ntitle: Launch\nsteps:\n  - id: call\n    ask: Go?\n    type: yes_no\n"


def folder(tmp_path: Path, name: str = "launch.yml") -> Path:
    flows = shipped_flows(tmp_path / "flows", ["post_meeting", "decision_review"])
    (flows / name).write_text(LAUNCH, encoding="utf-8")
    return flows


def run(flows: Path, tmp_path: Path, *args: str, text: str = "") -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "t.db"), "--flows", str(flows), *args], input=text)
    return result.exit_code, result.output


def test_flows_validate_names_a_yml_file_and_the_rename(tmp_path: Path) -> None:
    flows = folder(tmp_path)
    code, out = run(flows, tmp_path, "flows", "validate")
    assert code == 1
    assert f"{flows / 'launch.yml'}: the file is not read as a flow: flow files end in .yaml" in out
    assert "Fix: rename it launch.yaml" in out


def test_flows_validate_of_the_file_itself_refuses_it(tmp_path: Path) -> None:
    flows = folder(tmp_path, "launch.YAML")
    code, out = run(flows, tmp_path, "flows", "validate", str(flows / "launch.YAML"))
    assert code == 1 and "Fix: rename it launch.yaml" in out


def test_chat_says_why_the_flow_is_not_there(tmp_path: Path) -> None:
    flows = folder(tmp_path)
    code, out = run(flows, tmp_path, "chat", "launch", "-f", "alice", text="yes\n")
    assert code == 1
    assert "No flow 'launch'" not in out and "rename it launch.yaml" in out


def test_the_folder_refuses_it_and_serves_the_others_and_a_reload_notices_it(tmp_path: Path) -> None:
    flows = shipped_flows(tmp_path / "flows", ["post_meeting", "decision_review"])
    before = folder_stamp(flows)
    (flows / "launch.yml").write_text(LAUNCH, encoding="utf-8")
    assert folder_stamp(flows) != before  # serve's look at the folder sees it come
    loaded, refused = load_folder(flows)
    assert set(loaded) == {"post_meeting", "decision_review"}
    assert "rename it launch.yaml" in str(refused["launch"])
    (flows / "launch.yml").rename(flows / "launch.yaml")
    loaded, refused = load_folder(flows)
    assert "launch" in loaded and refused == {}


def test_the_rename_offered_is_the_flows_id_which_the_folder_then_takes(tmp_path: Path) -> None:
    """budget.yml holding the flow budget_approval was told "rename it budget.yaml", which the id
    check then refused (a flow's file is named after its id)."""
    flows = folder(tmp_path, "budget.yml")
    code, out = run(flows, tmp_path, "flows", "validate")
    assert code == 1 and "Fix: rename it launch.yaml" in out  # LAUNCH's id is launch
    (flows / "budget.yml").rename(flows / "launch.yaml")
    code, out = run(flows, tmp_path, "flows", "validate")
    assert code == 0, out


def test_a_yml_copy_of_a_flow_there_is_not_told_to_replace_it(tmp_path: Path) -> None:
    """launch-old.yml holding the flow launch was told "rename it launch.yaml": over launch.yaml."""
    flows = folder(tmp_path, "launch-old.yml")
    (flows / "launch.yaml").write_text(LAUNCH, encoding="utf-8")
    code, out = run(flows, tmp_path, "flows", "validate")
    assert code == 1 and "rename it launch.yaml" not in out
    assert "Fix: it holds the flow 'launch', whose file launch.yaml is there already: remove this copy" in out
    (tmp_path / "b").mkdir()
    broken = folder(tmp_path / "b", "budget.yml")  # its id readable, the rest of it broken
    (broken / "budget.yml").write_text(LAUNCH.replace("steps:", "stepz:"), encoding="utf-8")
    assert "Fix: rename it launch.yaml" in run(broken, tmp_path, "flows", "validate")[1]
