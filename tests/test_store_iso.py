"""The ledger's timestamps: UTC ISO-8601 with milliseconds, whatever zone or fold the moment is in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.store import iso

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("moment", "written"),
    [
        (datetime(2026, 3, 4, 5, 6, 7, 891_999, tzinfo=UTC), "2026-03-04T05:06:07.891Z"),  # cut, not rounded
        (datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC), "2026-03-04T05:06:07.000Z"),
        (datetime(2026, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))), "2025-12-31T19:00:00.000Z"),
        (datetime(2026, 10, 25, 2, 30, tzinfo=PARIS), "2026-10-25T00:30:00.000Z"),  # the repeated hour, first
        (datetime(2026, 10, 25, 2, 30, tzinfo=PARIS, fold=1), "2026-10-25T01:30:00.000Z"),  # and second time
        (datetime(999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC), "999-12-31T23:59:59.999Z"),  # as strftime wrote it
    ],
)
def test_a_moment_is_written_in_utc_with_milliseconds(moment: datetime, written: str) -> None:
    assert iso(moment) == written
