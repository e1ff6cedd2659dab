"""Grafana-managed alerting's webhook (``version: "1"``) -> one Trigger per alert.

The body has Alertmanager's shape (see :mod:`bot.triggers.alertmanager`) plus, per alert,
``values`` (refId -> number), ``valueString``, ``dashboardURL``, ``panelURL`` and
``silenceURL``. The value prompts show is the ``value`` annotation, else the first of ``values``
by refId (all of them are in ``values``), else the first number of ``valueString`` (Grafana
8.x to 9.5 send only that: ``[ metric='' labels={} value=14151.33 ]``). The dedup key is the
alert's fingerprint.

A contact point's "Test" button posts Grafana's test alert (labels ``alertname=TestAlert``,
``instance=Grafana``, annotation ``summary=Notification test``): :func:`is_test` tells it.
"""

from __future__ import annotations

import math
import re
from typing import Any

from bot import texts
from bot.model import Trigger
from bot.triggers import PayloadError, alertmanager
from bot.triggers.alertmanager import need_object

#: The labels of the alert Grafana's contact-point test sends (grafana/alerting, notify's
#: newTestAlert), unless the tester gives their own.
TEST_LABELS = {"alertname": "TestAlert", "instance": "Grafana"}


def parse(body: Any) -> list[Trigger]:
    obj = need_object(body, "body")
    if "version" not in obj and ("evalMatches" in obj or "ruleName" in obj):
        raise PayloadError(texts.payload_grafana_legacy())
    alertmanager.check_version(obj, "Grafana", "1")
    check_org_id(obj.get("orgId"))
    triggers = alertmanager.alerts(obj, "grafana")
    for i, (trigger, raw) in enumerate(zip(triggers, obj["alerts"], strict=True)):
        values = raw.get("values")
        if values is not None and not isinstance(values, dict):
            raise PayloadError(texts.payload_type(f"alerts[{i}].values", "an object of numbers"))
        numbers = {k: v for k, v in (values or {}).items() if isinstance(v, int | float) and not isinstance(v, bool)}
        if values:
            trigger.data["values"] = values
        if numbers and not trigger.data.get("value"):  # a query with no data has null values: no value
            trigger.data["value"] = _number(numbers[sorted(numbers)[0]])
        if raw.get("valueString"):
            trigger.data["value_string"] = raw["valueString"]
            if not trigger.data.get("value"):  # Grafana 8.x-9.5: no values, only this text
                trigger.data["value"] = first_value(str(raw["valueString"]))
        if obj.get("orgId") is not None:
            trigger.data["org_id"] = obj["orgId"]
    return triggers


#: The longest ``orgId`` given as a string (Grafana sends a number: 1).
ORG_ID_MAX = 100


def check_org_id(org_id: Any) -> None:
    """A 400 for an ``orgId`` that is no organisation's id: not a number (nor a string of one's
    length), kept in the event as it came."""
    if org_id is not None and (isinstance(org_id, bool) or not isinstance(org_id, int | str)):
        raise PayloadError(texts.payload_type("orgId", "a number"))
    alertmanager.check_length(org_id, "orgId", ORG_ID_MAX)


#: One evaluation in ``valueString``: ``[ var='B' labels={instance=web-1} value=1.9 ]`` (8.x: ``metric=``).
#: Grafana prints label values unquoted, braces and all (``handler=/items/{id}``): the labels end
#: at the first ``} value=``.
_EVALUATION = re.compile(r"labels=\{.*?\} value=([^\s\]]+)")


def first_value(value_string: str) -> str:
    """The first number ``valueString`` shows ('' when it shows none: ``value=null``, no data)."""
    for found in _EVALUATION.finditer(value_string):
        try:
            number = float(found.group(1))
        except ValueError:
            continue
        if math.isfinite(number):
            return found.group(1)
    return ""


def _number(value: Any) -> str:
    """As a check's number reads: six significant digits, written out (0.952381, not
    0.9523809523809523); every digit stays in ``values``."""
    return str(value) if isinstance(value, int) else texts.metric_number(float(value))


def is_test(body: Any) -> bool:
    """Whether a body is Grafana's contact-point test: its alerts carry the test's labels and none
    comes from a rule (Grafana 9-11 give every Grafana-managed alert a ``grafana_folder`` label and
    a ``ruleUID``; a real rule named TestAlert is not the test)."""
    alerts = body.get("alerts") if isinstance(body, dict) else None
    if not isinstance(alerts, list) or not alerts:
        return False
    for alert in alerts:
        labels = alert.get("labels") if isinstance(alert, dict) else None
        if not isinstance(labels, dict) or any(labels.get(k) != v for k, v in TEST_LABELS.items()):
            return False
        if "grafana_folder" in labels or alert.get("ruleUID"):
            return False
    return True
