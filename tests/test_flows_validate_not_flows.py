"""``decisionbot flows validate`` on files the flows folder does not read as flows: a routes or
checks file named by mistake, and a ``.yml`` twin of a flow file (an old copy, an editor's save),
which the folder skips unseen while the ``.yaml`` runs. Each is named with the fix that applies to
it, not a flow format's."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main

ROOT = Path(__file__).resolve().parents[1]


def validate(flows: Path, *paths: str):
    return CliRunner().invoke(main, ["--flows", str(flows), "flows", "validate", *paths], catch_exceptions=False)


def copy_of_flows(tmp_path: Path) -> Path:
    folder = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", folder)
    return folder


def test_a_yml_twin_of_a_flow_file_is_named_not_counted_valid(tmp_path: Path) -> None:
    """post_meeting.yml beside post_meeting.yaml was '5 flow file(s) valid', though serve never
    reads it: what was edited there never ran. Named alone, its fix was to rename it over the flow."""
    flows = copy_of_flows(tmp_path)
    twin = flows / "post_meeting.yml"
    twin.write_text((flows / "post_meeting.yaml").read_text().replace("Post-meeting", "Edited"))
    result = validate(flows)
    assert result.exit_code == 1, result.output
    assert f"{twin}: the file is not read as a flow" in result.output
    assert "post_meeting.yaml is the flow 'post_meeting'" in result.output
    assert "rename it post_meeting.yaml" not in result.output
    alone = validate(flows, str(twin))
    assert alone.exit_code == 1
    assert "rename it post_meeting.yaml" not in alone.output
    assert "remove post_meeting.yml" in alone.output
    folder = validate(flows, str(flows))
    assert folder.exit_code == 1 and str(twin) in folder.output


def test_a_routes_or_checks_file_named_to_flows_validate_points_to_its_own_check(tmp_path: Path) -> None:
    """flows validate flows/routes.yaml said the 'flow' missed an 'id' and to correct the spelling
    of 'routes'."""
    for name, command in (("routes", "routes validate"), ("checks", "checks validate")):
        result = validate(ROOT / "flows", str(ROOT / "flows" / f"{name}.yaml"))
        assert result.exit_code == 1, result.output
        assert "missing a required key" not in result.output
        assert f"is the {name} file, not a flow" in result.output
        assert f"--flows {ROOT / 'flows'} {command}" in result.output


def test_the_flows_folder_as_shipped_is_valid() -> None:
    result = validate(ROOT / "flows")
    assert result.exit_code == 0, result.output
