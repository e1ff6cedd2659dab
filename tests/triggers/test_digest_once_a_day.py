"""A digest schedule read on each owner's clock comes once a day of theirs (bot.triggers.digest),
so one naming several moments a day (``0 9,15 * * *``, ``0 */2 * * *``) would reach each owner
only at the first of them, without a word. It is refused at load instead, naming the fix; one
time a day, an interval and an every-hour schedule (both read on the server's clock, reaching
everyone each time) load as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.triggers import checks
from tests.triggers.test_cli_triggers import cli


@pytest.mark.parametrize(("schedule", "moments"), [("0 9,15 * * *", 2), ("0,30 9 * * 1-5", 2), ("0 */2 * * *", 12)])
def test_a_digest_of_several_moments_a_day_is_refused_naming_the_fix(
    tmp_path: Path, schedule: str, moments: int
) -> None:
    path = tmp_path / "checks.yaml"
    path.write_text(f'digest: {{schedule: "{schedule}"}}\n')
    with pytest.raises(ConfigError) as err:
        checks.load(path)
    assert str(err.value) == (
        f"{path}: digest.schedule '{schedule}' names {moments} moments a day, but each owner gets one digest a day"
        " of their own clock, at the first of them. Fix: name one time of day ('0 9 * * 1-5'), or an interval"
        " ('6h', read on the server's clock) to reach every owner each time"
    )


@pytest.mark.parametrize("schedule", ["0 9 * * 1-5", "@daily", "30 8 * * *", "6h", "0 * * * *"])
def test_a_digest_once_a_day_an_interval_or_every_hour_loads(tmp_path: Path, schedule: str) -> None:
    path = tmp_path / "checks.yaml"
    path.write_text(f'digest: {{schedule: "{schedule}"}}\n')
    assert checks.load(path).digest == schedule


def test_checks_validate_says_so_and_exits_1(tmp_path: Path, flows: Path) -> None:
    (flows / "checks.yaml").write_text('digest: {schedule: "0 9,15 * * *"}\n')
    out = cli(tmp_path, flows, "checks", "validate")
    assert out.exit_code == 1 and "names 2 moments a day" in out.output and "Fix: name one time of day" in out.output
