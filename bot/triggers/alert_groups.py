"""Alerts of one notification, as the runs they start show them: a group's alerts merged into the
run of its first (``dedup: group``), listed with the labels that tell them apart; alerts that start
runs of their own under one title told apart by their labels."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bot import texts
from bot.admission import Admission
from bot.model import Trigger

GROUP_LISTED = 10  # the alerts of a group a run lists (the rest are counted): a prompt stays readable
GROUP_LABELS = 5  # the labels listed per alert: those that tell it from the group's others
TITLE_LABELS = 3  # the labels a title names to tell its alert from the others of its notification
GROUP_LIST_CHARS = 1500  # the list's text at most (the rest counted): with its question, within a Slack section


def merge_groups(admissions: list[Admission], statuses: Sequence[str]) -> list[Admission]:
    """One admission per group key, where its first member was; the lead is the group's first
    alert of the group's status (a firing group counts its firing alerts, as Alertmanager does,
    and the alerts its ``max_alerts`` left out, whose status the notification does not tell)."""
    members: dict[str, list[int]] = {}
    for i, admission in enumerate(admissions):
        if admission.trigger.grouped:
            members.setdefault(admission.trigger.dedup_key or "", []).append(i)
    out: list[Admission] = []
    for i, admission in enumerate(admissions):
        key = admission.trigger.dedup_key or ""
        group = members.get(key, [i])
        if group[0] != i:
            continue
        counted = [m for m in group if statuses[m] == admission.trigger.status] or group
        lead = admissions[counted[0]]
        left_out = int(lead.trigger.data.get("truncated_alerts") or 0) if key in members else 0
        if key in members:
            lead.trigger.data.update(group_alerts([admissions[m].trigger for m in counted], left_out))
            lead.alert_keys = tuple(k for m in group for k in admissions[m].alert_keys)
        if len(counted) + left_out > 1:
            lead.trigger.title = texts.alert_group_title(lead.trigger.title, len(counted) - 1 + left_out)
        out.append(lead)
    return out


def tell_apart(alerts: Sequence[Trigger]) -> None:
    """Alerts of one notification that start runs of their own under one title: each title names
    the labels that tell its alert from the others of that title (``Disk full [instance=web-2]``),
    so the runs, and their first prompts, can be told apart."""
    by_title: dict[str, list[Trigger]] = {}
    for alert in alerts:
        by_title.setdefault(alert.title, []).append(alert)
    for same in by_title.values():
        if len(same) < 2:
            continue
        for alert, telling in zip(same, telling_labels(same, TITLE_LABELS), strict=True):
            if telling:
                alert.title = texts.alert_told_apart(alert.title, telling)


def telling_labels(alerts: Sequence[Trigger], most: int) -> list[dict[str, str]]:
    """Per alert, the labels (``most`` at most, shortened) that tell it from the others: those
    not shared by all of them, nor named by its title already."""
    labels = [dict(a.data.get("labels") or {}) for a in alerts]
    shared = set.intersection(*(set(each.items()) for each in labels))
    return [
        dict(
            [
                (_short(k, 40), _short(v, 100))
                for k, v in own.items()
                if (k, v) not in shared and not _names(alert.title, str(v))
            ][:most]
        )
        for alert, own in zip(alerts, labels, strict=True)
    ]


def _names(title: str, value: str) -> bool:
    """Whether ``title`` names ``value`` already, as a word of its own: ``eu`` is not named by
    "Queue backlog", nor ``a`` by "Flap grp" (a label's value found inside a word was left out)."""
    if not value:  # an empty label tells nothing apart
        return True
    return re.search(rf"(?<!\w){re.escape(value)}(?!\w)", title) is not None


def group_alerts(alerts: Sequence[Trigger], left_out: int) -> dict[str, Any]:
    """What a group's run shows of its alerts: ``alerts`` (the first ``GROUP_LISTED``, each with
    its title, metric, value, threshold, link and the labels that tell it from the others),
    ``alert_count`` (all of them, with the ``left_out`` ones the sender's max_alerts cut) and
    ``alert_list`` (them as text, as many as GROUP_LIST_CHARS holds and the rest counted, those
    left out said so; empty for a lone alert).
    Written on every notification of the group, so a repeat's event holds its latest alerts."""
    listed: list[dict[str, Any]] = []
    for alert, telling in zip(alerts[:GROUP_LISTED], telling_labels(alerts, GROUP_LABELS), strict=False):
        listed.append({
            "title": _short(alert.title, 160),
            **{k: _short(alert.data.get(k), 200) for k in ("metric", "value", "threshold", "link")},
            "labels": telling,
        })  # fmt: skip
    count = len(alerts) + left_out
    text = texts.alert_group_list(listed, len(alerts), GROUP_LIST_CHARS, left_out) if count > 1 else ""
    return {"alerts": listed, "alert_count": count, "alert_list": text}


def _short(value: Any, limit: int) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
