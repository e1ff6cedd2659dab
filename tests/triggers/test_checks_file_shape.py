"""The top of ``flows/checks.yaml`` read as strictly as its checks: a key misspelt (``check:``),
checks written without ``checks:`` or as a mapping, a digest that is not ``{schedule: ...}``.
Before, the first three were read as a file of no checks (``checks validate`` said "no checks",
exit 0, and ``serve`` started evaluating nothing), the last was a traceback, and a misspelt
``digest: {schedul: ...}`` sent no digest; ``enabled: "false"`` (quoted) enabled the check."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.triggers import checks
from tests.triggers.test_cli_triggers import cli

ORDERS = "{name: orders, sql: SELECT 1, threshold: 5, direction: above, schedule: 15m, database: shop.db}"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            f"check:\n  - {ORDERS}\n",
            "unknown key(s) check. Fix: use only checks, digest",
        ),
        (f"- {ORDERS}\n", "the file must be a mapping with checks: and digest:. Fix: write checks: [- name: ...]"),
        (f"checks: {ORDERS}\n", "'checks' must be a list. Fix: write checks: [- name: ...]"),
        ('digest: "0 9 * * 1-5"\n', "'digest' must be a mapping. Fix: write digest: {schedule: \"0 9 * * 1-5\"}"),
        ('digest: {schedul: "0 9 * * 1-5"}\n', "digest: unknown key(s) schedul. Fix: use only schedule"),
        ("digest: {schedule: 9}\n", "'9' is neither an interval (5m, 1h, 1d) nor a cron expression"),
    ],
)
def test_a_checks_file_of_the_wrong_shape_is_refused_naming_the_fix(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "checks.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        checks.load(path)
    assert str(err.value).startswith(f"{path}: ") or str(err.value).startswith(f"{path}, check 'digest': ")
    assert says in str(err.value)


def test_checks_validate_names_a_misspelt_top_key_and_exits_1(tmp_path: Path, flows: Path) -> None:
    (flows / "checks.yaml").write_text(f"check:\n  - {ORDERS}\n")
    out = cli(tmp_path, flows, "checks", "validate")
    assert out.exit_code == 1
    assert f"{flows / 'checks.yaml'}: unknown key(s) check. Fix: use only checks, digest" in out.output
    assert "no checks" not in out.output


def test_checks_validate_refuses_a_digest_given_as_text_without_a_traceback(tmp_path: Path, flows: Path) -> None:
    (flows / "checks.yaml").write_text(f'checks:\n  - {ORDERS}\ndigest: "0 9 * * 1-5"\n')
    out = cli(tmp_path, flows, "checks", "validate")
    assert out.exit_code == 1
    assert out.exception is None or isinstance(out.exception, SystemExit)
    assert "'digest' must be a mapping" in out.output


@pytest.mark.parametrize("given", ['"false"', '"no"', "0", "maybe"])
def test_enabled_must_be_true_or_false(tmp_path: Path, given: str) -> None:
    path = tmp_path / "checks.yaml"
    path.write_text(f"checks:\n  - {ORDERS[:-1]}, enabled: {given}}}\n")
    with pytest.raises(ConfigError) as err:
        checks.load(path)
    assert f"{path}, check 'orders': enabled is " in str(err.value)
    assert "Fix: write enabled: true or enabled: false" in str(err.value)


def test_a_good_file_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "checks.yaml"
    path.write_text(f'checks:\n  - {ORDERS[:-1]}, enabled: false}}\ndigest:\n  schedule: "0 9 * * 1-5"\n')
    loaded = checks.load(path)
    assert [(c.name, c.enabled) for c in loaded.checks] == [("orders", False)]
    assert loaded.digest == "0 9 * * 1-5"
    path.write_text("# nothing yet\n")
    assert checks.load(path).checks == []
