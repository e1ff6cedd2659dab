"""Prometheus Alertmanager's webhook (``version: "4"``) -> one :class:`~bot.model.Trigger` per alert.

The fields prompts use are filled from the alert: ``title`` (summary annotation, else the
alert name), ``metric``, ``value``, ``threshold``, ``summary``, ``link`` (dashboard, runbook or
generator URL) and every URL by its own name. ``decision_*`` labels or annotations (flow,
channel, facilitator, participants, owners, backup, route) go to ``data["decision"]`` for the
router. The dedup key is the alert's fingerprint; a route may group by ``groupKey`` instead.
``truncated_alerts`` counts the alerts of the notification its ``max_alerts`` left out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from bot import texts
from bot.model import Trigger
from bot.triggers import TITLE_MAX, URL_MAX, PayloadError, check_people

STATUSES = ("firing", "resolved")
PEOPLE = ("facilitator", "participants", "owners", "backup")
HINTS = ("flow", "route", "channel", *PEOPLE)
URLS = ("generatorURL", "dashboardURL", "panelURL", "silenceURL", "imageURL")

#: The longest identifiers taken (a 400 naming the field and its limit past them, nothing stored),
#: far above what Alertmanager and Grafana send: a ``fingerprint`` (16 hex digits; the dedup key,
#: as long as the generic hook's ``dedup_key`` may be), a ``groupKey`` (the route's matchers and the
#: group's labels: ``{}/{team="payments"}:{alertname="CheckoutErrorRate"}``; the dedup key under
#: ``dedup: group``), a ``receiver``'s name. A megabyte given as one was stored as the event's key.
LIMITS = {"fingerprint": 500, "groupKey": 10_000, "receiver": 500}
#: The longest ``decision_*`` hint of an alert naming a route, a flow or a channel (Teams'
#: conversation ids are some 100 characters), as for the generic hook's fields of those names.
HINT_LIMITS = {"route": 200, "flow": 200, "channel": 1000}


def parse(body: Any) -> list[Trigger]:
    obj = need_object(body, "body")
    check_version(obj, "Alertmanager", "4")
    return alerts(obj, "alertmanager")


def check_version(obj: Mapping[str, Any], source: str, expected: str) -> None:
    if "version" not in obj:
        raise PayloadError(texts.payload_missing("version"))
    if obj["version"] != expected:
        raise PayloadError(texts.payload_version(source, obj["version"], expected))


def alerts(obj: Mapping[str, Any], source: str) -> list[Trigger]:
    """The alerts of an Alertmanager-shaped body (Alertmanager's, Grafana's)."""
    group_status = need_enum(obj, "status", STATUSES, "")
    for key in ("groupKey", "receiver"):
        check_length(obj.get(key), key, LIMITS[key])
    items = obj.get("alerts")
    if not isinstance(items, list):
        raise PayloadError(texts.payload_missing("alerts") if items is None else texts.payload_type("alerts", "a list"))
    common = {
        "receiver": obj.get("receiver"),
        "group_key": str(obj.get("groupKey") or ""),
        "group_status": group_status,
        "externalURL": obj.get("externalURL"),
        "truncated_alerts": left_out(obj),
    }
    return [alert(need_object(a, f"alerts[{i}]"), f"alerts[{i}]", source, common) for i, a in enumerate(items)]


def left_out(obj: Mapping[str, Any]) -> int:
    """The alerts the sender's ``max_alerts`` left out of this notification (``truncatedAlerts``)."""
    count = obj.get("truncatedAlerts")
    return count if isinstance(count, int) and not isinstance(count, bool) and count > 0 else 0


def alert(item: Mapping[str, Any], where: str, source: str, common: Mapping[str, Any]) -> Trigger:
    labels = string_map(item, "labels", where, required=True)
    annotations = string_map(item, "annotations", where, required=False)
    status = need_enum(item, "status", STATUSES, where)
    for name, given in (("labels", labels), ("annotations", annotations)):
        for hint in PEOPLE:
            check_people(given.get(f"decision_{hint}"), f"{where}.{name}.decision_{hint}")
        for hint, limit in HINT_LIMITS.items():
            check_length(given.get(f"decision_{hint}"), f"{where}.{name}.decision_{hint}", limit)
    fingerprint = item.get("fingerprint") or derived_fingerprint(labels)
    if not isinstance(fingerprint, str):
        raise PayloadError(texts.payload_type(f"{where}.fingerprint", "a string"))
    check_length(fingerprint, f"{where}.fingerprint", LIMITS["fingerprint"])
    urls = {k: item[k] for k in URLS if linkable(item.get(k))}
    runbook = annotations.get("runbook_url") if linkable(annotations.get("runbook_url")) else None
    data: dict[str, Any] = {
        "metric": annotations.get("metric") or labels.get("metric") or labels.get("alertname", ""),
        "value": annotations.get("value", ""),
        "threshold": annotations.get("threshold") or labels.get("threshold", ""),
        "summary": annotations.get("description", ""),
        "link": urls.get("dashboardURL") or runbook or urls.get("generatorURL", ""),
        **urls,
        **({"runbook_url": runbook} if runbook else {}),
        "labels": labels,
        "annotations": annotations,
        "fingerprint": fingerprint,
        "starts_at": item.get("startsAt"),
        "ends_at": item.get("endsAt"),
        **{k: v for k, v in common.items() if v},
    }
    hints = decision_hints(labels, annotations)
    if hints:
        data["decision"] = hints
    title = annotations.get("summary") or labels.get("alertname") or texts.untitled_alert()
    title = texts.payload_shortened(title, TITLE_MAX)  # for display: the whole in ``annotations``
    return Trigger(
        flow="",
        source=source,
        kind="alert",
        title=title,
        data=data,
        status=status,
        dedup_key=f"{source}:{fingerprint}",
    )


def linkable(url: Any) -> bool:
    """Whether an alert's URL is made a link of its run: text, and not longer than a link can be
    (Alertmanager drops a notification answered 4xx, so a longer one is left out, not refused)."""
    return isinstance(url, str) and 0 < len(url) <= URL_MAX


def decision_hints(labels: Mapping[str, str], annotations: Mapping[str, str]) -> dict[str, str]:
    """``decision_flow``, ``decision_channel``, ... from labels, overridden by annotations."""
    merged = {**labels, **annotations}
    return {h: merged[f"decision_{h}"] for h in HINTS if merged.get(f"decision_{h}")}


def derived_fingerprint(labels: Mapping[str, str]) -> str:
    """A stable stand-in when a sender leaves the fingerprint out: a hash of the labels."""
    return hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]


def check_length(value: Any, where: str, limit: int) -> None:
    """A :class:`PayloadError` (a 400) naming ``where`` and ``limit`` if ``value`` is a longer text."""
    if isinstance(value, str) and len(value) > limit:
        raise PayloadError(texts.payload_schema(where, texts.payload_too_long(len(value), limit)))


def need_object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise PayloadError(texts.payload_type(where, "a JSON object"))
    return value


def need_enum(obj: Mapping[str, Any], key: str, allowed: tuple[str, ...], where: str) -> str:
    name = f"{where}.{key}" if where else key
    if key not in obj:
        raise PayloadError(texts.payload_missing(name))
    if obj[key] not in allowed:
        raise PayloadError(texts.payload_enum(name, obj[key], allowed))
    return str(obj[key])


def string_map(obj: Mapping[str, Any], key: str, where: str, required: bool) -> dict[str, str]:
    name = f"{where}.{key}"
    value = obj.get(key)
    if value is None:
        if required:
            raise PayloadError(texts.payload_missing(name))
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise PayloadError(texts.payload_type(name, "an object of strings"))
    return dict(value)
