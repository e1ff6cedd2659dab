"""What became of a notification a hook took: the parts of its one log line (the runs started, by
where and route; the repeats; the resolutions told, recorded, of an older incident, of nothing seen
firing; the unrouted) and the hook's JSON answer."""

from __future__ import annotations

from typing import Any

from bot import texts
from bot.admission import Admission, Admitted


def took(admissions: list[Admission], results: list[Admitted], hook: str) -> list[str]:
    """What became of a notification's triggers, for its log line: the runs started (by where and
    route), the repeats, the resolutions told in their runs or only recorded, those of an older
    incident (stale: nothing changed), the unrouted."""
    started: dict[tuple[str, str | None], list[tuple[int, str]]] = {}
    repeats: list[int] = []
    told: list[int] = []
    recorded: list[int | None] = []
    stale: list[tuple[int, int | None]] = []
    unrouted = unseen = 0
    for admission, result in zip(admissions, results, strict=True):
        trigger = admission.trigger
        if result.outcome == "started" and result.run_id is not None:
            where = (str(trigger.conversation), admission.route)
            started.setdefault(where, []).append((result.run_id, trigger.title))
        elif result.outcome == "repeat" and result.run_id is not None:
            repeats.append(result.run_id)
        elif result.outcome == "resolved" and result.run_id is not None:
            told.append(result.run_id)
        elif result.outcome == "recorded":
            recorded.append(result.run_id)
        elif result.outcome == "stale":
            stale.append((result.event_id, result.run_id))
        elif result.outcome == "unrouted":
            unrouted += 1
        elif result.outcome == "unseen":
            unseen += 1
    parts = [texts.hook_took_started(runs, where, route) for (where, route), runs in started.items()]
    if repeats:
        parts.append(texts.hook_took_repeats(repeats))
    if told:
        parts.append(texts.hook_took_resolved(told))
    if recorded:
        parts.append(texts.hook_took_recorded(recorded))
    if stale:
        parts.append(texts.hook_took_stale(stale))
    if unrouted:
        parts.append(texts.hook_took_unrouted(unrouted))
    if unseen:
        parts.append(texts.hook_took_unseen(unseen, hook))
    return parts


def summary(received: int, admissions: list[Any], results: list[Admitted]) -> dict[str, Any]:
    """``received`` counts the alerts of the body, ``started``/``repeats``/... its admissions (an
    alert group under ``dedup: group`` is one); ``stale`` the resolutions of an older incident than
    their alert's on record, which changed nothing."""
    out: dict[str, Any] = {
        "received": received, "started": [], "repeats": 0, "resolved": 0, "stale": 0, "unrouted": [], "unseen": 0
    }  # fmt: skip
    for admission, result in zip(admissions, results, strict=True):
        if result.outcome == "started":
            out["started"].append(result.run_id)
        elif result.outcome == "repeat":
            out["repeats"] += 1
        elif result.outcome in ("resolved", "recorded") and admission.trigger.status == "resolved":
            out["resolved"] += 1
        elif result.outcome == "stale":
            out["stale"] += 1
        elif result.outcome == "unseen":  # a resolution of a key never seen firing (mistyped?): nothing resolved
            out["unseen"] += 1
        elif result.outcome == "unrouted":
            out["unrouted"].append(
                {"title": admission.trigger.title, "problem": admission.problem or texts.no_channel()}
            )
    return out
