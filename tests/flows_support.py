"""A copy of shipped flows (flows/*.yaml) in a folder of a test's own, for tests that write routes,
checks or broken files next to them, or that run some of the flows only."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from bot.engine.model import Flow
from bot.engine.reader import load_folder

ROOT = Path(__file__).resolve().parents[1]
THREE = ("post_meeting", "metric_breach", "decision_review")  # no routes, checks or handovers


def shipped_flows(folder: Path, names: Iterable[str] = THREE) -> Path:
    """``folder`` (made if need be) with a copy of the shipped flows ``names``."""
    folder.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(ROOT / "flows" / f"{name}.yaml", folder)
    return folder


def load_flows(folder: Path) -> dict[str, Flow]:
    """Every flow in ``folder`` (routes.yaml and checks.yaml are not flows), all or nothing: the
    first bad file raises its FlowError (``load_folder`` keeps the good ones and says why the
    others are refused)."""
    flows, refused = load_folder(folder)
    for error in refused.values():
        raise error
    return flows
