"""A copy of shipped flows (flows/*.yaml) in a folder of a test's own, for tests that write routes,
checks or broken files next to them, or that run some of the flows only."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
THREE = ("post_meeting", "metric_breach", "decision_review")  # no routes, checks or handovers


def shipped_flows(folder: Path, names: Iterable[str] = THREE) -> Path:
    """``folder`` (made if need be) with a copy of the shipped flows ``names``."""
    folder.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(ROOT / "flows" / f"{name}.yaml", folder)
    return folder
