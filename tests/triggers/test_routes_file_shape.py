"""A misspelt top key of ``flows/routes.yaml`` (``route:``) is refused naming it, as a route's own
misspelt key is. Before, the file was read as one of no routes: every alert went to
``DECISIONBOT_DEFAULT_CHANNEL`` (or was recorded unrouted), and ``routes validate`` said
"no routes", exit 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.triggers.router import load_routes
from tests.triggers.test_cli_triggers import cli

ROUTE = "  - {name: payments, channel: slack:C0PAY}\n"


@pytest.mark.parametrize("key", ["route", "Routes", "defaults"])
def test_a_misspelt_top_key_is_refused_naming_it(tmp_path: Path, key: str) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text(f"{key}:\n{ROUTE}")
    with pytest.raises(ConfigError) as err:
        load_routes(path)
    assert str(err.value) == f"{path}: unknown key(s) {key}. Fix: use only routes"


def test_routes_validate_exits_1_on_a_misspelt_top_key(tmp_path: Path, flows: Path) -> None:
    (flows / "routes.yaml").write_text(f"route:\n{ROUTE}")
    out = cli(tmp_path, flows, "routes", "validate")
    assert out.exit_code == 1
    assert "unknown key(s) route. Fix: use only routes" in out.output


def test_a_good_or_empty_file_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text(f"routes:\n{ROUTE}")
    assert [r.name for r in load_routes(path)] == ["payments"]
    path.write_text("# none yet\n")
    assert load_routes(path) == []


@pytest.mark.parametrize(
    ("cooldown", "shown"),
    [
        ("1hour", "1hour"),
        ("soon", "soon"),
        # these were tracebacks (OverflowError from timedelta), at load and for every hook after a reload
        (".inf", "inf"),
        (".nan", "nan"),
        ("99999999999999999999", "99999999999999999999"),
        ("99999999999d", "99999999999d"),
        ("-5", "-5"),
        ("true", "True"),
    ],
)
def test_a_bad_cooldown_reads_as_one_sentence_then_its_fix(tmp_path: Path, cooldown: str, shown: str) -> None:
    """The duration's own message ended with a full stop, then ". Fix:": "... or 2w.. Fix: ..."."""
    path = tmp_path / "routes.yaml"
    path.write_text(f"routes:\n  - {{name: a, channel: console, cooldown: {cooldown}}}\n")
    with pytest.raises(ConfigError) as err:
        load_routes(path)
    assert str(err.value) == (
        f"{path}, route 'a': '{shown}' is not a duration. Use a number and a unit: 30s, 5m, 4h, 1d or 2w"
        " (ten years at most). Fix: correct the value"
    )
