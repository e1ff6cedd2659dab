"""Cron's nicknames (``@daily``, ``@hourly``, ``@weekly``, ...), which croniter takes, as a
check's or the digest's schedule. Before, ``schedule: "@daily"`` passed croniter's check and
then raised IndexError (the schedule has no second field): ``checks validate`` and ``serve``
stopped with a traceback. Now each is read as the five fields it stands for, in
DECISIONBOT_TIMEZONE like any cron expression."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.errors import ConfigError
from bot.triggers import checks, next_time
from tests.triggers.test_cli_triggers import cli

PARIS = ZoneInfo("Europe/Paris")
THURSDAY = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # 16:00 in Paris


@pytest.mark.parametrize(
    ("nickname", "five"),
    [("@daily", "0 0 * * *"), ("@midnight", "0 0 * * *"), ("@hourly", "0 * * * *"), ("@weekly", "0 0 * * 0"),
     ("@monthly", "0 0 1 * *"), ("@yearly", "0 0 1 1 *"), ("@annually", "0 0 1 1 *"), ("@Daily", "0 0 * * *")],
)  # fmt: skip
def test_a_nickname_runs_when_its_five_fields_do(nickname: str, five: str) -> None:
    assert next_time(nickname, THURSDAY, PARIS) == next_time(five, THURSDAY, PARIS)


def test_daily_is_midnight_in_the_bots_time_zone() -> None:
    assert next_time("@daily", THURSDAY, PARIS) == datetime(2026, 11, 26, 23, 0, tzinfo=UTC)


def test_hourly_counts_both_hours_the_autumn_change_repeats() -> None:
    before = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST; 03:00 CEST becomes 02:00 CET
    assert next_time("@hourly", before, PARIS).astimezone(UTC) == datetime(2026, 10, 25, 1, 0, tzinfo=UTC)  # 02:00 CET


@pytest.mark.parametrize("nickname", ["@daily", "@hourly", "@weekly"])
def test_a_check_scheduled_by_nickname_loads_and_validates(tmp_path: Path, flows: Path, nickname: str) -> None:
    (flows / "checks.yaml").write_text(
        "checks:\n  - {name: orders, sql: SELECT 1, threshold: 5, direction: above,"
        f' schedule: "{nickname}", database: shop.db}}\ndigest: {{schedule: "{nickname}"}}\n'
    )
    assert [c.schedule for c in checks.load(flows / "checks.yaml").checks] == [nickname]
    out = cli(tmp_path, flows, "checks", "validate")
    assert (out.exit_code, out.output) == (0, f"{flows / 'checks.yaml'}: 1 check(s) valid, 1 enabled.\n")


@pytest.mark.parametrize("nickname", ["@reboot", "@fortnightly", "@"])
def test_a_nickname_cron_has_not_is_refused_naming_the_check(tmp_path: Path, nickname: str) -> None:
    path = tmp_path / "checks.yaml"
    path.write_text(
        "checks:\n  - {name: orders, sql: SELECT 1, threshold: 5, direction: above,"
        f' schedule: "{nickname}", database: shop.db}}\n'
    )
    with pytest.raises(ConfigError) as err:
        checks.load(path)
    assert str(err.value).startswith(f"{path}, check 'orders': '{nickname}' is neither an interval")
