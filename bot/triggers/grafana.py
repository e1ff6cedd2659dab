"""Grafana-managed alerting's webhook (``version: "1"``) -> one Trigger per alert.

The body has Alertmanager's shape (see :mod:`bot.triggers.alertmanager`) plus, per alert,
``values`` (refId -> number), ``valueString``, ``dashboardURL``, ``panelURL`` and
``silenceURL``. The value prompts show is the ``value`` annotation, else the first of ``values``
by refId; all of them are in ``values``. The dedup key is the alert's fingerprint.
"""

from __future__ import annotations

from typing import Any

from bot import texts
from bot.model import Trigger
from bot.triggers import PayloadError, alertmanager
from bot.triggers.alertmanager import need_object


def parse(body: Any) -> list[Trigger]:
    obj = need_object(body, "body")
    if "version" not in obj and ("evalMatches" in obj or "ruleName" in obj):
        raise PayloadError(texts.payload_grafana_legacy())
    alertmanager.check_version(obj, "Grafana", "1")
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
        if obj.get("orgId") is not None:
            trigger.data["org_id"] = obj["orgId"]
    return triggers


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
