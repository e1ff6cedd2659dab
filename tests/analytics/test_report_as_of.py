"""``decisionbot report --as-of``: an instant in ISO 8601, with its offset (``+02:00``, ``Z``) or
without one (UTC), judged as that instant."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.analytics.history import build

ROOT = Path(__file__).resolve().parents[2]


def _as_of(db: Path, value: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["--db", str(db), "--flows", str(ROOT / "flows"), "report", "--format", "json", "--as-of", value]
    )
    if result.exit_code:
        return result.exit_code, result.output
    return 0, json.loads(result.output)["params"]["as_of"]


@pytest.mark.parametrize(
    ("given", "judged"),
    [
        ("2026-03-31T02:00:00+02:00", "2026-03-31T00:00:00.000Z"),  # a Berlin analyst's summer clock
        ("2026-03-30T19:30-04:30", "2026-03-31T00:00:00.000Z"),  # minutes without seconds, any offset
        ("2026-03-31T00:00:00.250Z", "2026-03-31T00:00:00.250Z"),
        ("2026-03-31T00:00:00", "2026-03-31T00:00:00.000Z"),  # no offset: UTC, as before
        ("2026-03-31", "2026-03-31T00:00:00.000Z"),
        ("2026-03-31 05:30+05:30", "2026-03-31T00:00:00.000Z"),
    ],
)
def test_as_of_takes_an_offset_and_judges_that_instant(tmp_path: Path, given: str, judged: str) -> None:
    db = tmp_path / "h.db"
    build(db).conn.close()
    assert _as_of(db, given) == (0, judged)


def test_as_of_refused_says_what_it_takes(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    build(db).conn.close()
    code, output = _as_of(db, "31/03/2026")
    assert code == 2
    assert "'31/03/2026' is not an ISO 8601 date or time" in output
    assert "2026-03-31T09:00:00+02:00" in output  # an example with an offset
    help_text = CliRunner().invoke(main, ["report", "--help"]).output
    assert "+02:00" in help_text and "UTC" in help_text
