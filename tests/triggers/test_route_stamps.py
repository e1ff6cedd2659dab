"""One detector of a change of routes.yaml (and checks.yaml): the Router reads the file again when
its stamp (:func:`file_stamp`: modification time in ns and size) changes, and the check of the
routes' channels (``route_channels.watch``) goes by the same stamps (``CheckRunner.stamp``)."""

from __future__ import annotations

import os
from pathlib import Path

from bot.triggers.router import Router, file_stamp

FLOWS = {"metric_breach"}
ONE = "routes:\n  - {name: a, match: {source: grafana}, flow: metric_breach, channel: slack:C1}\n"
TWO = ONE + "  - {name: bb, match: {source: generic}, flow: metric_breach, channel: slack:C2}\n"


def test_a_routes_file_rewritten_within_its_modification_time_is_read_again(tmp_path: Path) -> None:
    """A coarse clock (or a copy keeping times) leaves the time as it was: the size tells the change."""
    path = tmp_path / "routes.yaml"
    assert file_stamp(path) is None
    path.write_text(ONE)
    router = Router(tmp_path, {}, lambda: FLOWS)
    assert [r.name for r in router.routes()] == ["a"]
    before = path.stat().st_mtime_ns
    path.write_text(TWO)
    os.utime(path, ns=(before, before))
    assert file_stamp(path) == (before, len(TWO))
    assert [r.name for r in router.routes()] == ["a", "bb"]
